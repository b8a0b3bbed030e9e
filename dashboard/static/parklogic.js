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

/** A time of day (or date and time when not today) for the park's lines. */
export function clockText(ts, lang, now = Date.now() / 1000) {
  const when = new Date(ts * 1000);
  const loc = lang === "en" ? "en-GB" : "zh-CN";
  const time = when.toLocaleTimeString(loc, { hour12: false, hour: "2-digit", minute: "2-digit", second: "2-digit" });
  const sameDay = new Date(now * 1000).toDateString() === when.toDateString();
  return sameDay ? time : `${when.toLocaleDateString(loc)} ${time}`;
}

/**
 * A park alarm's line, in the page's language, from the alarm's structured fields (kind,
 * enterprise name, tag, alarm type, when the enterprise alarm rose and when the park's
 * did, the last heartbeat). An alarm without them (a central of an older version) is
 * rebuilt from its Chinese prose (ParkAlarm.text) as before; prose it cannot read is
 * shown as it came: a Chinese line is better than a missing alarm.
 */
export function parkAlarmText(alarm, names, tr, lang, now = Date.now() / 1000) {
  const name = alarm.enterprise_name || names.get(alarm.enterprise) || alarm.enterprise;
  const typeWord = (type) => {
    const word = tr(`type.${type}`);  // t() answers an unknown key with the key
    return word === `type.${type}` ? type : word;
  };
  if (alarm.kind === "offline" && typeof alarm.silent_since === "number") {
    return tr("park.offlineSince", { name, time: clockText(alarm.silent_since, lang, now) });
  }
  if (alarm.kind === "call" && alarm.tag && typeof alarm.source_raised_at === "number") {
    const minutes = Math.floor((alarm.raised_at - alarm.source_raised_at) / 60);
    return tr("park.callText", { name, what: `${alarm.tag} ${typeWord(alarm.alarm_type)}`, m: minutes });
  }
  const text = alarm.text ?? "";
  if (lang !== "en") return text;
  if (alarm.kind === "offline") {
    const silent = /已 (\d+) 秒无心跳/.exec(text);
    if (silent) return tr("park.offlineText", { name, s: silent[1] });
  } else if (alarm.kind === "call") {
    const prefix = `叫应: ${name} `;
    const call = text.startsWith(prefix) ? /^(\S+) (\S+) 报警 (\d+) 分钟未确认/.exec(text.slice(prefix.length)) : null;
    if (call) {
      const [, tag, type, minutes] = call;
      return tr("park.callText", { name, what: `${tag} ${typeWord(type)}`, m: minutes });
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
