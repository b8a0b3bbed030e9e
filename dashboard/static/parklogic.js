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
