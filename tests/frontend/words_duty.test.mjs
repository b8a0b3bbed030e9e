// dashboard/static/words_duty.js (the duty-room pages' words) and enterpriselogic.js: every
// word in both languages with the same placeholders, English without Chinese, and merged
// into i18n's table without taking the gateway's vocabulary's place.

import { test } from "node:test";
import assert from "node:assert/strict";

import { importStatic } from "./static.mjs";

const { DUTY_TEXT } = await importStatic("words_duty.js");
const { translate } = await importStatic("i18n.js");
const { TERMS } = await importStatic("terms.js");
const { basisText } = await importStatic("enterpriselogic.js");

const CJK = /[\p{Script=Han}\u3000-\u303f\uff00-\uffef]/u;
const placeholders = (text) => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

test("every duty-room word has zh-CN and English, with the same placeholders", () => {
  const keys = Object.keys(DUTY_TEXT);
  assert.ok(keys.length > 100, `only ${keys.length} words`);
  for (const [key, pair] of Object.entries(DUTY_TEXT)) {
    assert.equal(pair.length, 2, key);
    const [zh, en] = pair;
    assert.ok(zh.length > 0 && en.length > 0, key);
    assert.deepEqual(placeholders(en), placeholders(zh), key);
    assert.ok(!CJK.test(en), `${key}: Chinese in the English "${en}"`);
  }
});

test("the duty-room words reach t(), and the gateway's vocabulary still wins", () => {
  assert.equal(translate("ho.title", "en"), "Shift handover and reports");
  assert.equal(translate("ho.kind.correction", "zh-CN", { id: 3 }), "更正 #3");
  assert.equal(translate("duty.named", "en", { name: "A", code: "B" }), "A (B)");
  for (const key of Object.keys(DUTY_TEXT)) assert.ok(!Object.hasOwn(TERMS, key), `${key} is a term`);
  assert.equal(translate("nav.console", "en"), "Console");  // the older screens' words are kept
});

test("basisText: GB 18218-2018's tables and the site file in the page's language", () => {
  const en = (key) => translate(key, "en");
  const zh = (key) => translate(key, "zh-CN");
  assert.equal(basisText("表1/表3", en), "Table 1/Table 3");
  assert.equal(basisText("表1/表3", zh), "表1/表3");
  assert.equal(basisText("站点文件", en), "site file");
  assert.equal(basisText("站点文件", zh), "站点文件");
  assert.equal(basisText("表1/表4 易燃液体", en), "Table 1/Table 4 flammable liquids");
  assert.equal(basisText("表1/表4 易燃气体", zh), "表1/表4 易燃气体");
});
