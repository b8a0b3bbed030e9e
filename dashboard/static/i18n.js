// zh-CN first, with an English toggle remembered in localStorage.
//
// Static text: <span data-i18n="key">中文</span> (also data-i18n-title,
// data-i18n-placeholder, data-i18n-aria-label). Dynamic text: t("key", {n: 3}).
// Pages re-render their dynamic parts from onLanguageChange().

import { LEDGER_TEXT } from "./ledgerlogic.js";
import { CHANNEL_KIND_TERMS, COMMENT_TERMS, TERMS } from "./terms.js";
import { DUTY_TEXT } from "./words_duty.js";

const STORAGE_KEY = "hazgw.lang";
export const LANGUAGES = ["zh-CN", "en"];

// key: [zh-CN, en]. {name} placeholders are filled from t()'s second argument.
// The words for qualities, reasons (reason.*), alarm types (type.*), priorities
// (priority.*), warning colours (colour.*), alarm states (state.*) and event kinds (event.*)
// are not here: they come from the gateway (/static/terms.js, made from alerting/terms.py),
// the same words as in the CSV export and the notifications.
const SCREEN_TEXT = {
  "app.name": ["重大危险源监测网关", "Major hazard monitoring gateway"],
  "lang.toggle": ["English", "中文"],
  "nav.wall": ["大屏", "Wall"],
  "nav.console": ["值班台", "Console"],
  "nav.commissioning": ["调试", "Commissioning"],
  "nav.handover": ["交接班", "Handover"],
  "nav.trend": ["趋势", "Trends"],
  "nav.plan": ["平面图", "Plant plan"],
  "nav.enterprise": ["一企一档", "Enterprise file"],
  "nav.live": ["实时数据", "Live data"],
  "nav.logout": ["退出", "Sign out"],

  "role.viewer": ["只读", "viewer"],
  "role.operator": ["操作员", "operator"],
  "role.engineer": ["工程师", "engineer"],
  "role.admin": ["管理员", "admin"],
  "role.display": ["大屏令牌", "display token"],

  "conn.connected": ["已连接", "Connected"],
  "conn.connecting": ["连接中…", "Connecting…"],
  "conn.disconnected": ["连接断开", "Disconnected"],
  "conn.stale": ["数据已停止更新，{s} 秒后第 {n} 次重新连接…",
    "Data is not updating; reconnect attempt {n} in {s} s…"],
  "conn.notLive": ["连接断开 · 以下数据不是实时数据", "DISCONNECTED · the data below is NOT live"],
  "conn.hungShort": ["网关无响应", "Gateway not responding"],
  "conn.hung": ["网关无响应 · 本页数据已停止更新，网关恢复后自动继续",
    "Gateway not responding · the data on this page has stopped updating; it resumes by itself"],

  "login.title": ["登录", "Sign in"],
  "login.heading": ["重大危险源监测网关", "Major hazard monitoring gateway"],
  "login.username": ["用户名", "User name"],
  "login.password": ["密码", "Password"],
  "login.submit": ["登录", "Sign in"],
  "login.busy": ["正在登录…", "Signing in…"],
  "login.bad": ["用户名或密码错误", "Wrong user name or password"],
  "login.limited": ["尝试次数过多，请 {s} 秒后再试", "Too many attempts; try again in {s} s"],
  "login.failed": ["登录失败：{e}", "Sign-in failed: {e}"],
  "login.expired": ["请登录后继续", "Please sign in to continue"],
  "login.display": ["大屏令牌无效或已吊销，请登录或重新配对", "The display token is invalid or revoked: sign in or pair again"],

  "wall.title": ["重大危险源安全监测大屏", "Major hazard sources · monitoring wall"],
  "wall.active": ["活动报警", "Active alarms"],
  "wall.unacked": ["未确认", "Unacknowledged"],
  "wall.shelved": ["已搁置", "Shelved"],
  "wall.gateway": ["网关", "Gateway"],
  "wall.devices": ["设备在线", "Devices online"],
  "wall.currentAlarms": ["当前报警", "Current alarms"],
  "wall.noAlarms": ["无活动报警", "No active alarms"],
  "wall.connectivity": ["网关与设备", "Gateway and devices"],
  "wall.flood": ["报警泛滥：{site} 10 分钟内 {n} 条报警，请按优先级处置",
    "ALARM FLOOD: {site} {n} alarms in 10 min; handle by priority"],
  "wall.critical": ["紧急报警：{what}", "CRITICAL ALARM: {what}"],
  "wall.silence": ["消音", "Silence"],
  "wall.silenced": ["已消音（报警未确认）", "Silenced (not acknowledged)"],
  "wall.enableSound": ["点击启用报警声音", "Click to enable alarm sound"],
  "wall.unackedAlarm": ["报警未确认：{what}", "UNACKNOWLEDGED ALARM: {what}"],
  "wall.audioBlocked": ["报警声音未启用", "ALARM SOUND IS OFF"],
  "wall.audioBlockedHow": ["点击此处启用；值班大屏请按运行手册以允许自动播放的方式启动浏览器",
    "Click here to enable it; start a wall PC's browser with autoplay allowed (see the operation manual)"],
  "wall.more": ["另有 {n} 个点位", "{n} more points"],
  "wall.moreAlarms": ["另有 {n} 条报警", "{n} more alarms"],
  "wall.updated": ["更新于 {t}", "Updated {t}"],
  "wall.legend": ["红 紧急 · 橙 高 · 黄 中 · 蓝 低 · 绿 正常 · 灰 无数据",
    "red critical · orange high · yellow medium · blue low · green normal · grey no data"],
  "wall.state.active_unacknowledged": ["未确认", "UNACK"],
  "wall.state.returned_unacknowledged": ["已恢复未确认", "RTN UNACK"],
  "wall.state.active_acknowledged": ["已确认", "ACKED"],
  "wall.unreachable": ["不可达", "unreachable"],
  "wall.loadError": ["加载失败：{e}", "Loading failed: {e}"],

  "status.green": ["正常", "Normal"],
  "status.grey": ["无数据", "No data"],
  "status.fault": ["测点故障", "Point fault"],
  "status.suppressed": ["有报警被搁置或停用", "Alarms shelved or out of service"],
  "wall.shelved": ["搁置", "shelved"],
  "wall.outOfService": ["停用", "out of service"],
  "heartbeat.ok": ["心跳正常", "Heartbeat OK"],
  "heartbeat.stopped": ["心跳停止", "Heartbeat stopped"],
  "status.red": ["红色报警", "Red alarm"],
  "status.orange": ["橙色报警", "Orange alarm"],
  "status.yellow": ["黄色报警", "Yellow alarm"],
  "status.blue": ["蓝色报警", "Blue alarm"],

  "link.connected": ["已连接", "connected"],
  "link.connecting": ["连接中", "connecting"],
  "link.disconnected": ["已断开", "disconnected"],
  "link.unknown": ["未知", "unknown"],

  "health.ok": ["正常", "OK"],
  "health.degraded": ["降级", "Degraded"],
  "health.down": ["中断", "Down"],

  "grade.1": ["一级", "Grade 1"],
  "grade.2": ["二级", "Grade 2"],
  "grade.3": ["三级", "Grade 3"],
  "grade.4": ["四级", "Grade 4"],
  "kind.tank_farm": ["储罐区", "tank farm"],
  "kind.warehouse": ["库区", "warehouse"],
  "kind.process_unit": ["生产装置", "process unit"],
  "kind.dust_line": ["粉尘涉爆", "dust line"],

  // Reading qualities and reasons, alarm types, priorities, states and events are the
  // gateway's vocabulary (TERMS, below); these are the screens' own words about readings.
  "reading.none": ["等待数据", "no data yet"],
  "reading.bad": TERMS["quality.bad"],
  "reading.uncertain": TERMS["quality.uncertain"],
  "reading.on": ["触发", "ON"],
  "reading.off": ["正常", "off"],

  "console.title": ["值班台", "Duty console"],
  "console.bell": ["{n} 条报警未确认", "{n} alarms unacknowledged"],
  "ack.disposition": ["处置结论", "Disposition"],
  "ack.includeUrgent": ["含紧急/高优先级（须填意见）", "Include critical/high (comment required)"],
  "ack.urgentLeftOut": ["{n} 条紧急/高优先级报警未随批量确认：请逐条确认，或勾选“含紧急/高优先级”并填写意见",
    "{n} critical/high alarms were left out: acknowledge them one by one, or tick “include critical/high” and write a comment"],
  "ack.urgentNeedsComment": ["批量确认紧急/高优先级报警须填写确认意见", "A comment is required to acknowledge critical/high alarms in bulk"],
  "disposition.none": ["处置结论（紧急报警必选）", "Disposition (required for critical)"],
  "disposition.real": ["真实报警", "Real alarm"],
  "disposition.false_alarm": ["误报", "False alarm"],
  "disposition.maintenance": ["检修", "Maintenance"],
  "disposition.instrument_fault": ["仪表故障", "Instrument fault"],
  "service.title": ["停用报警", "Take alarm out of service"],
  "service.reason": ["停用原因", "Reason"],
  "service.hours": ["停用时长（到期自动投用）", "For (returns to service by itself)"],
  "service.remove": ["停用", "Out of service"],
  "service.restore": ["投用", "Return to service"],
  "service.days": ["{n} 天", "{n} days"],
  "console.audioBlockedHow": ["点击此处启用报警声音", "Click here to enable the alarm sound"],
  "console.tab.active": ["实时报警", "Active alarms"],
  "console.tab.history": ["历史记录", "History"],
  "console.tab.shift": ["交接班", "Shift handover"],
  "console.filter": ["筛选", "Filter"],
  "console.filterPlaceholder": ["位号 / 名称 / 危险源", "tag / name / hazard source"],
  "console.allSites": ["全部企业", "All sites"],
  "console.allPriorities": ["全部优先级", "All priorities"],
  "console.comment": ["确认意见", "Comment"],
  "console.commentPlaceholder": ["确认意见（可选）", "comment (optional)"],
  "console.ackSelected": ["确认所选", "Acknowledge selected"],
  "console.ackVisible": ["确认全部可见", "Acknowledge all visible"],
  "console.ack": ["确认", "Ack"],
  "console.shelve": ["搁置", "Shelve"],
  "console.unshelve": ["取消搁置", "Unshelve"],
  "console.note": ["处置", "Note"],
  "console.trend": ["趋势", "Trend"],
  "console.readOnly": ["只读账号：不能确认、搁置或记录处置", "Read-only account: cannot acknowledge, shelve or write notes"],
  "console.col.priority": ["优先级", "Priority"],
  "console.col.time": ["报警时间", "Raised"],
  "console.col.source": ["危险源", "Hazard source"],
  "console.col.point": ["点位", "Point"],
  "console.col.type": ["类型", "Type"],
  "console.col.value": ["报警值 / 限值", "Value / limit"],
  "console.col.current": ["当前值", "Now"],
  "console.col.state": ["状态", "State"],
  "console.col.by": ["确认人", "Acked by"],
  "console.col.actions": ["操作", "Actions"],
  "console.none": ["没有活动报警", "No active alarms"],
  "console.count": ["共 {n} 条，未确认 {u} 条", "{n} alarms, {u} unacknowledged"],
  "console.acked": ["已确认 {n} 条", "{n} acknowledged"],
  "console.refused": ["{n} 条未能确认：{why}", "{n} could not be acknowledged: {why}"],
  "console.nothingSelected": ["请先勾选报警", "Select alarms first"],
  "console.actionFailed": ["操作失败：{e}", "Action failed: {e}"],
  "console.shelvedUntil": ["搁置至 {t}", "shelved until {t}"],
  "console.selectAll": ["全选", "Select all"],
  "console.recent": ["最近事件", "Recent events"],

  "dialog.cancel": ["取消", "Cancel"],
  "dialog.close": ["关闭", "Close"],
  "dialog.ackTitle": ["确认报警", "Acknowledge alarm"],
  "dialog.shelveTitle": ["搁置报警", "Shelve alarm"],
  "dialog.shelveReason": ["搁置原因", "Reason"],
  "dialog.shelveMinutes": ["搁置时长", "Duration"],
  "dialog.noteTitle": ["闭环处置记录", "Handling note"],
  "dialog.noteText": ["处置措施与结果", "Action taken and result"],
  "dialog.save": ["保存", "Save"],
  "dialog.minutes": ["{n} 分钟", "{n} min"],
  "dialog.hours": ["{n} 小时", "{n} h"],
  "dialog.events": ["报警记录", "Alarm events"],

  "history.since": ["开始", "From"],
  "history.until": ["结束", "To"],
  "history.site": ["企业", "Site"],
  "history.tag": ["位号", "Tag"],
  "history.priority": ["优先级", "Priority"],
  "history.type": ["类型", "Type"],
  "history.kind": ["事件", "Event"],
  "history.any": ["全部", "Any"],
  "history.search": ["查询", "Search"],
  "history.export": ["导出 CSV", "Export CSV"],
  "history.col.time": ["时间", "Time"],
  "history.col.user": ["人员", "User"],
  "history.col.comment": ["说明", "Comment"],
  "history.rows": ["{n} 条记录", "{n} events"],
  "history.more": ["加载更早的记录", "Load older events"],

  "shift.hours": ["班次时长", "Shift length"],
  "shift.refresh": ["刷新", "Refresh"],
  "shift.print": ["打印", "Print"],
  "shift.period": ["{from} 至 {to}", "{from} to {to}"],
  "shift.raised": ["本班报警", "Raised this shift"],
  "shift.acknowledged": ["已确认", "Acknowledged"],
  "shift.open": ["未闭环", "Still open"],
  "shift.alarmsTitle": ["本班报警", "Alarms of the shift"],
  "shift.openTitle": ["遗留事项（仍在报警或未确认）", "Open items (still active or unacknowledged)"],
  "shift.none": ["无", "None"],
  "shift.events": ["{n} 个事件", "{n} events"],
  "shift.tally": ["报警 {r} 次 · 确认 {a} 次", "raised {r}× · acknowledged {a}×"],

  "console.tab.kpi": ["报警指标", "Alarm KPIs"],
  "kpi.period": ["时段", "Period"],
  "kpi.period.8h": ["最近 8 小时", "Last 8 h"],
  "kpi.period.24h": ["最近 24 小时", "Last 24 h"],
  "kpi.period.7d": ["最近 7 天", "Last 7 days"],
  "kpi.period.30d": ["最近 30 天", "Last 30 days"],
  "kpi.post": ["值班岗位", "Duty post"],
  "kpi.source": ["危险源", "Hazard source"],
  "kpi.allPosts": ["全部岗位", "All posts"],
  "kpi.allSources": ["全部危险源", "All hazard sources"],
  "kpi.refresh": ["刷新", "Refresh"],
  "kpi.range": ["{from} 至 {to} · 共 {n} 次报警", "{from} to {to} · {n} alarms"],
  "kpi.target": ["目标 {t}", "target {t}"],
  "kpi.noTarget": ["无定量目标，须逐条审核", "no numeric target: review each"],
  "kpi.over": ["超出目标", "over target"],
  "kpi.per10min": ["平均每 10 分钟报警数", "Alarms per 10 min (average)"],
  "kpi.perDay": ["平均每天报警数", "Alarms per day (average)"],
  "kpi.peak": ["10 分钟内最多报警数", "Most alarms in 10 min"],
  "kpi.flood": ["报警泛滥时间占比", "Time in flood"],
  "kpi.floodDetail": ["共 {d}，{n} 次泛滥", "{d} in {n} floods"],
  "kpi.topShare": ["前 10 个报警占比", "Share of the top 10 alarms"],
  "kpi.chattering": ["振荡报警", "Chattering alarms"],
  "kpi.stale": ["长期报警（≥ 24 小时）", "Stale alarms (≥ 24 h)"],
  "kpi.shelved": ["搁置时长", "Time shelved"],
  "kpi.outOfService": ["停用时长", "Time out of service"],
  "kpi.alarmsCount": ["{n} 个报警", "{n} alarms"],
  "kpi.mix": ["优先级构成（低 / 中 / 高）", "Priority mix (low / medium / high)"],
  "kpi.mixDetail": ["高 = 红色 + 橙色，中 = 黄色，低 = 蓝色", "high = red + orange, medium = yellow, low = blue"],
  "kpi.topTitle": ["报警次数前 10 位", "Top 10 alarms"],
  "kpi.byPost": ["按值班岗位", "By duty post"],
  "kpi.bySource": ["按危险源", "By hazard source"],
  "kpi.listsTitle": ["振荡、长期、搁置与停用的报警", "Chattering, stale, shelved and out-of-service alarms"],
  "kpi.col.tag": ["位号", "Tag"],
  "kpi.col.name": ["名称", "Name"],
  "kpi.col.alarm": ["报警", "Alarm"],
  "kpi.col.count": ["次数", "Count"],
  "kpi.col.share": ["占比", "Share"],
  "kpi.col.scope": ["范围", "Scope"],
  "kpi.col.what": ["情况", "Finding"],
  "kpi.chatterRow": ["振荡：1 分钟内 {n} 次", "chattering: {n} within 1 min"],
  "kpi.staleRow": ["已持续 {h} 小时", "active for {h} h"],
  "kpi.shelvedRow": ["搁置 {d}", "shelved {d}"],
  "kpi.oosRow": ["停用 {d}", "out of service {d}"],
  "kpi.none": ["无", "None"],
  "kpi.minutes": ["{n} 分钟", "{n} min"],
  "kpi.hours": ["{n} 小时", "{n} h"],
  "kpi.standard": ["目标值依据 EEMUA 191 / ISA-18.2；报警泛滥：10 分钟内超过 10 次开始，少于 5 次结束。",
    "Targets from EEMUA 191 / ISA-18.2; flood: starts above 10 alarms in 10 min, ends below 5."],

  "trend.title": ["点位趋势", "Point trend"],
  "trend.range.1h": ["1 小时", "1 h"],
  "trend.range.8h": ["8 小时", "8 h"],
  "trend.range.24h": ["24 小时", "24 h"],
  "trend.range.7d": ["7 天", "7 d"],
  "trend.mean": ["均值", "mean"],
  "trend.min": ["最小", "min"],
  "trend.max": ["最大", "max"],
  "trend.empty": ["该时段没有数据", "No data in this period"],
  "trend.interval": ["每 {s} 秒一个点，共 {n} 点", "one point per {s} s, {n} points"],
  "trend.unavailable": ["趋势不可用：{e}", "Trend unavailable: {e}"],
  "trend.alarmMarks": ["竖线：报警时刻", "Vertical lines: alarm moments"],

  "comm.title": ["现场调试", "Commissioning"],
  "comm.devices": ["设备", "Devices"],
  "comm.col.device": ["设备", "Device"],
  "comm.col.site": ["企业", "Site"],
  "comm.col.transport": ["协议", "Transport"],
  "comm.col.endpoint": ["地址", "Endpoint"],
  "comm.col.state": ["状态", "State"],
  "comm.col.lastGood": ["最近成功", "Last good poll"],
  "comm.col.requests": ["请求数", "Requests"],
  "comm.col.errors": ["错误数", "Errors"],
  "comm.col.lastError": ["最近错误", "Last error"],
  "comm.points": ["点位", "Points"],
  "comm.registers": ["原始寄存器与字节序", "Raw registers and byte orders"],
  "comm.pickPoint": ["选择一个 Modbus 点位查看原始寄存器", "Pick a Modbus point to see its raw registers"],
  "comm.configured": ["当前配置", "configured"],
  "comm.readAt": ["读取于 {t}", "read at {t}"],
  "comm.neverRead": ["尚未读到该点位", "not read yet"],
  "comm.notModbus": ["不是 Modbus 点位", "not a Modbus point"],
  "comm.mqtt": ["MQTT 最近报文", "Last MQTT payloads"],
  "comm.pickMqtt": ["选择一个 MQTT 设备查看最近报文", "Pick an MQTT device to see its last payloads"],
  "comm.noPayloads": ["尚未收到报文", "No payloads yet"],
  "comm.reload": ["重新加载配置", "Reload configuration"],
  "comm.reloading": ["正在校验并加载配置…", "Validating and loading…"],
  "comm.reloaded": ["配置已加载：{sites} 个企业，{points} 个点位", "Configuration loaded: {sites} sites, {points} points"],
  "comm.rejected": ["配置被拒绝，未做任何更改：", "Configuration rejected, nothing changed:"],
  "comm.forbidden": ["需要工程师权限", "Engineer role required"],
  "comm.table": ["表", "Table"],
  "comm.address": ["地址", "Address"],
  "comm.type": ["类型", "Type"],
  "comm.order": ["字节序", "Byte order"],
  "comm.value": ["解码值", "Decoded value"],
  "comm.noOrders": ["位 / 线圈点位：没有字节序之分", "Bit or coil point: byte order does not apply"],
  "comm.scaled": ["工程值（×{s} + {o}）", "Engineering value (×{s} + {o})"],
  "comm.raw": ["寄存器", "Registers"],
  "comm.refresh": ["自动刷新中", "auto-refreshing"],

  "alarm.timeout": ["超时 {s} 秒", "timeout {s} s"],
  "console.skipToAck": ["跳到第一个待确认报警", "Skip to the first alarm awaiting acknowledgement"],
  "shift.badge": ["{name} 至 {end} · 值班 {who}", "{name} until {end} · on duty {who}"],
  "shift.badgeNone": ["交接班", "Handover"],
  "shift.badgeTitle": ["当前班次 {name}，{from} 至 {to}", "Current shift {name}, {from} to {to}"],
  "comm.error.noAnswer": ["设备无应答", "no answer"],
  "comm.error.notConnected": ["未连接（连接被拒绝或超时）", "not connected"],
  "comm.error.exception": ["设备返回 Modbus 异常", "Modbus exception"],
  "comm.error.other": ["通讯错误（详情见提示）", "communication error"],

  "common.loading": ["加载中…", "Loading…"],
  "common.error": ["错误：{e}", "Error: {e}"],
  "common.never": ["从未", "never"],
  "common.yes": ["是", "yes"],
  "common.no": ["否", "no"],
};

// The gateway's words win over a screen's, so that a key added to both cannot drift.
const TEXT = { ...SCREEN_TEXT, ...LEDGER_TEXT, ...TERMS };
Object.assign(TEXT, { ...DUTY_TEXT, ...TERMS });  // the duty-room pages' words; the gateway's still win

let language = readStored();
const listeners = new Set();

function readStored() {
  try {
    const stored = localStorage.getItem(STORAGE_KEY);
    return LANGUAGES.includes(stored) ? stored : "zh-CN";
  } catch {
    return "zh-CN";  // storage blocked: Chinese, not a crash
  }
}

export function currentLanguage() {
  return language;
}

export function locale() {
  return language === "en" ? "en-GB" : "zh-CN";
}

/** Translated text for key; unknown keys come back as the key itself (visible, not blank). */
export function t(key, vars = {}) {
  return translate(key, language, vars);
}

/** t() in a given language, whatever the page's: pure, for the tests and the page alike. */
export function translate(key, lang, vars = {}) {
  const entry = Object.hasOwn(TEXT, key) ? TEXT[key] : null;
  let text = entry ? entry[lang === "en" ? 1 : 0] : key;
  for (const [name, value] of Object.entries(vars)) {
    text = text.replaceAll(`{${name}}`, String(value));
  }
  return text;
}

const COMMENT_PATTERNS = COMMENT_TERMS.map(([pattern, words]) => [new RegExp(`^(?:${pattern})$`), words]);

function oneComment(comment, lang) {
  const index = lang === "en" ? 1 : 0;
  for (const [pattern, words] of COMMENT_PATTERNS) {
    const match = comment.match(pattern);
    if (!match) continue;
    const text = words[index].replace(/\{(k?)(\d)\}/g, (_, kind, n) => {
      const group = match[Number(n)] ?? "";
      return kind ? (CHANNEL_KIND_TERMS[group]?.[index] ?? group) : group;
    });
    // In English the level's name keeps its words, not the full-width brackets.
    return index === 1 ? text.replaceAll("（", " (").replaceAll("）", ")") : text;
  }
  return null;
}

/**
 * An event's comment in the page's language: the gateway's own words ("no valid reading
 * for 30 s", a notice sent; alerting/terms.py COMMENT_TERMS) translated, a person's words
 * as written.
 */
export function commentText(comment, lang = language) {
  if (!comment) return "";
  const whole = oneComment(comment, lang);
  if (whole !== null) return whole;
  const words = [];
  for (const part of comment.split(", ")) {
    const word = oneComment(part, lang);
    if (word === null) return comment;  // a person's words: never half-translated
    words.push(word);
  }
  return words.join(lang === "en" ? ", " : "，");
}

/** t() for a key that may not exist (an enum value the server added later): the raw value. */
export function tOr(key, fallback) {
  return Object.hasOwn(TEXT, key) ? t(key) : fallback;
}

export function setLanguage(next) {
  if (!LANGUAGES.includes(next) || next === language) return;
  language = next;
  try {
    localStorage.setItem(STORAGE_KEY, next);
  } catch {
    // not remembered, still switched
  }
  applyI18n(document);
  for (const listener of listeners) listener(language);
}

export function toggleLanguage() {
  setLanguage(language === "en" ? "zh-CN" : "en");
}

export function onLanguageChange(listener) {
  listeners.add(listener);
}

const ATTRIBUTES = [
  ["data-i18n-title", "title"],
  ["data-i18n-placeholder", "placeholder"],
  ["data-i18n-aria-label", "aria-label"],
];

/** Fill every data-i18n* element under root, and the page's lang attribute and title. */
export function applyI18n(root = document) {
  for (const node of root.querySelectorAll("[data-i18n]")) {
    node.textContent = t(node.dataset.i18n);
  }
  for (const [data, attribute] of ATTRIBUTES) {
    for (const node of root.querySelectorAll(`[${data}]`)) {
      node.setAttribute(attribute, t(node.getAttribute(data)));
    }
  }
  if (root === document) {
    document.documentElement.lang = language;
    const titleKey = document.documentElement.dataset.titleKey;
    if (titleKey) document.title = `${t(titleKey)} · hazgw`;
  }
}

/** Wire every [data-lang-toggle] button and translate the page once. */
export function initI18n() {
  for (const button of document.querySelectorAll("[data-lang-toggle]")) {
    button.addEventListener("click", toggleLanguage);
  }
  applyI18n(document);
}
