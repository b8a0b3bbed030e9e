// Pure helpers of the park wall, tested with node --test (tests/frontend).

export function priorityClass(enterprise) {
  if (!enterprise.online) return "offline";
  return enterprise.worst_priority ? `prio-${enterprise.worst_priority}` : "ok";
}

export function ageText(seconds) {
  if (seconds === null || seconds === undefined) return "无";
  if (seconds < 60) return `${Math.round(seconds)} 秒前`;
  if (seconds < 3600) return `${Math.round(seconds / 60)} 分钟前`;
  return `${Math.round(seconds / 3600)} 小时前`;
}
