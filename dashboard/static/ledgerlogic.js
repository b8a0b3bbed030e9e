// The 叫应 ledger's words and its table, as pure functions (tested under node --test).
// The console's alarm detail (consoleledger.js) and the answer-link page (answer.js) draw
// what these return. The words join the screens' own in i18n.js (LEDGER_TEXT).

// key: [zh-CN, en]
export const LEDGER_TEXT = {
  "ledger.title": ["叫应记录", "Call-and-respond ledger"],
  "ledger.none": ["此报警没有发出通知", "No notice was sent for this alarm"],
  "ledger.failed": ["叫应记录读取失败：{e}", "Cannot read the ledger: {e}"],
  "ledger.col.level": ["级别", "Level"],
  "ledger.col.channel": ["渠道", "Channel"],
  "ledger.col.recipient": ["接收人", "Recipient"],
  "ledger.col.sent": ["发送时间", "Sent"],
  "ledger.col.result": ["结果", "Result"],
  "ledger.col.retries": ["重试", "Retries"],
  "ledger.col.deadline": ["确认期限", "Deadline"],
  "ledger.col.met": ["按时确认", "Met"],
  "ledger.answers": ["应答", "Answers"],
  "ledger.noAnswer": ["尚无人确认", "Not acknowledged yet"],
  "ledger.col.who": ["确认人", "Answered by"],
  "ledger.col.via": ["方式", "Via"],
  "ledger.col.when": ["时间", "When"],
  "ledger.result.sent": ["已送达", "sent"],
  "ledger.result.failed": ["失败", "failed"],
  "ledger.met.met": ["按时", "met"],
  "ledger.met.missed": ["超时", "missed"],
  "ledger.met.open": ["等待中", "open"],
  "ledger.met.none": ["末级（无期限）", "top level (none)"],
  "ledger.via.console": ["值班台", "console"],
  "ledger.via.link": ["通知链接", "notice link"],
  "ledger.level": ["第{n}级", "Level {n}"],
  "ledger.kind.webhook": ["Webhook", "webhook"],
  "ledger.kind.wecom": ["企业微信", "WeCom"],
  "ledger.kind.dingtalk": ["钉钉", "DingTalk"],
  "ledger.kind.email": ["邮件", "email"],
  "ledger.paren": ["{a}（{b}）", "{a} ({b})"],
  "ledger.because": ["{a}：{b}", "{a}: {b}"],
  "answer.title": ["确认报警（通知链接）", "Acknowledge alarm (notice link)"],
  "answer.loading": ["正在核对链接…", "Checking the link…"],
  "answer.forged": ["此链接无效：不是本系统发出的确认链接，或已被改动。", "This link is not valid: it was not issued by this gateway, or it was altered."],
  "answer.expired": ["此确认链接已过期。请在值班台确认报警。", "This acknowledgement link has expired. Acknowledge the alarm on the console."],
  "answer.used": ["此确认链接已被 {user} 于 {when} 使用，不能再次使用。", "This link was already used by {user} at {when}; it cannot be used again."],
  "answer.for": ["通知对象：{who}（路由 {route}）", "Sent to: {who} (route {route})"],
  "answer.state": ["当前状态", "State"],
  "answer.value": ["报警时值", "Value at raise"],
  "answer.raised": ["报警时间", "Raised"],
  "answer.ack": ["确认报警", "Acknowledge"],
  "answer.done": ["已确认：{user}，{when}", "Acknowledged by {user} at {when}"],
  "answer.notAwaiting": ["此报警当前不需要确认（{state}）。", "This alarm does not await acknowledgement ({state})."],
  "answer.readOnly": ["您的角色不能确认报警。", "Your role may not acknowledge alarms."],
  "answer.console": ["打开值班台", "Open the console"],
};

/** The words of ``key`` in ``lang``, placeholders filled: for the node tests. */
export function ledgerWord(key, lang, vars = {}) {
  const entry = LEDGER_TEXT[key];
  let text = entry ? entry[lang === "en" ? 1 : 0] : key;
  for (const [name, value] of Object.entries(vars)) text = text.replaceAll(`{${name}}`, String(value));
  return text;
}

/**
 * The notice rows of a ledger (GET /api/alarms/<id>/ledger) as cells, oldest first. Each
 * notice row carries its level's deadline verdict from ``ledger.levels``.
 * ``word(key, vars)`` translates; ``when(ts)`` formats a time.
 */
export function noticeRows(ledger, word, when) {
  const verdict = new Map(ledger.levels.map((l) => [`${l.route}|${l.level}|${l.due_at}`, l.met]));
  return ledger.notices.map((n) => {
    const met = verdict.get(`${n.route}|${n.level}|${n.due_at}`) ?? (n.deadline == null ? "none" : "open");
    return {
      result: n.result,
      met,
      cells: [
        word("ledger.level", { n: n.level }) + (n.level_name ? ` ${n.level_name}` : ""),
        word("ledger.paren", { a: n.channel, b: word(`ledger.kind.${n.channel_kind}`) }),
        n.recipient,
        when(n.ts),
        n.error
          ? word("ledger.because", { a: word(`ledger.result.${n.result}`), b: n.error })
          : word(`ledger.result.${n.result}`),
        String(n.retries),
        n.deadline == null ? "—" : when(n.deadline),
        word(`ledger.met.${met}`),
      ],
    };
  });
}

/** The answers of a ledger as cells: who, how, when (and through which notice). */
export function answerRows(ledger, word, when) {
  return ledger.answers.map((a) => [
    a.user,
    a.via === "link" && a.recipient
      ? word("ledger.paren", { a: word("ledger.via.link"), b: a.recipient })
      : word(`ledger.via.${a.via}`),
    when(a.ts),
  ]);
}

/** What the answer page shows for a link (GET /api/answer/<token>): a message key, or the form. */
export function linkView(answer) {
  if (answer.status === "forged") return { message: "answer.forged" };
  if (answer.status === "expired") return { message: "answer.expired" };
  if (answer.status === "used") return { message: "answer.used", vars: { user: answer.used_by } };
  const awaiting = ["active_unacknowledged", "returned_unacknowledged"].includes(answer.alarm?.state);
  return { form: awaiting, critical: answer.alarm?.priority === "critical" };
}
