// Pure helpers of the park wall, tested with node --test (tests/frontend).

export function priorityClass(enterprise) {
  if (!enterprise.online) return "offline";
  return enterprise.worst_priority ? `prio-${enterprise.worst_priority}` : "ok";
}

// The Chinese of the words below, for a caller without i18n (and the tests).
const ZH = {
  "age.none": "无", "age.s": "{n} 秒前", "age.min": "{n} 分钟前", "age.h": "{n} 小时前",
};
const zh = (key, vars = {}) => Object.entries(vars)
  .reduce((text, [name, value]) => text.replaceAll(`{${name}}`, String(value)), ZH[key] ?? key);

/** How old the data is; tr is i18n's t (words in words_duty.js), Chinese by default. */
export function ageText(seconds, tr = zh) {
  if (seconds === null || seconds === undefined) return tr("age.none");
  if (seconds < 60) return tr("age.s", { n: Math.round(seconds) });
  if (seconds < 3600) return tr("age.min", { n: Math.round(seconds / 60) });
  return tr("age.h", { n: Math.round(seconds / 3600) });
}

/**
 * A park alarm's line. The park registry sends it as Chinese prose (ParkAlarm.text), which
 * zh-CN shows as it is; another language rebuilds it from the enterprise's name and the
 * figures in that prose. Prose it cannot read is shown as it came: a Chinese line is better
 * than a missing alarm.
 */
export function parkAlarmText(alarm, names, tr, lang) {
  const text = alarm.text ?? "";
  if (lang !== "en") return text;
  const name = names.get(alarm.enterprise) ?? alarm.enterprise;
  if (alarm.kind === "offline") {
    const silent = /已 (\d+) 秒无心跳/.exec(text);
    if (silent) return tr("park.offlineText", { name, s: silent[1] });
  } else if (alarm.kind === "call") {
    const prefix = `叫应: ${name} `;
    const call = text.startsWith(prefix) ? /^(\S+) (\S+) 报警 (\d+) 分钟未确认/.exec(text.slice(prefix.length)) : null;
    if (call) {
      const [, tag, type, minutes] = call;
      const word = tr(`type.${type}`);  // t() answers an unknown key with the key
      return tr("park.callText", { name, what: `${tag} ${word === `type.${type}` ? type : word}`, m: minutes });
    }
  }
  return text;
}

const RANK = { critical: 4, high: 3, medium: 2, low: 1 };

function worst(priorities) {
  let best = null;
  for (const p of priorities) {
    if (p && (best === null || (RANK[p] || 0) > (RANK[best] || 0))) best = p;
  }
  return best;
}

/** The drill-down of one enterprise (GET /api/enterprises/{code}) as the wall draws it:
 * one card per hazard source, coloured by the worst active alarm of its points, each point
 * coloured by its own worst active alarm; points of no listed source in a last card.
 * ``unacked``: some alarm of the point (or card) awaits acknowledgement (it blinks). */
export function sourceCards(enterprise) {
  const alarmsByTag = new Map();
  for (const alarm of enterprise.active_alarms || []) {
    if (!alarmsByTag.has(alarm.tag)) alarmsByTag.set(alarm.tag, []);
    alarmsByTag.get(alarm.tag).push(alarm);
  }
  const point = (p) => {
    const alarms = alarmsByTag.get(p.tag) || [];
    return {
      tag: p.tag, name: p.name, unit: p.unit,
      priority: enterprise.online === false ? null : worst(alarms.map((a) => a.priority)),
      unacked: alarms.some((a) => String(a.state).endsWith("unacknowledged")),
      alarms,
    };
  };
  const known = new Set((enterprise.hazard_sources || []).map((s) => s.id));
  const cards = (enterprise.hazard_sources || []).map((s) => ({
    id: s.id, name: s.name, grade: s.grade, kind: s.kind,
    points: (enterprise.points || []).filter((p) => p.source === s.id).map(point),
  }));
  const loose = (enterprise.points || []).filter((p) => !known.has(p.source)).map(point);
  if (loose.length) cards.push({ id: "", name: "", grade: null, kind: "", points: loose });
  for (const card of cards) {
    card.priority = worst(card.points.map((p) => p.priority));
    card.unacked = card.points.some((p) => p.unacked);
  }
  return cards;
}

/** The CSS class of a card or point: its alarm colour, grey when the enterprise is offline. */
export function cellClass(enterprise, cell) {
  if (enterprise.online === false) return "offline";
  const colour = cell.priority ? `prio-${cell.priority}` : "ok";
  return cell.unacked ? `${colour} unacked` : colour;
}
