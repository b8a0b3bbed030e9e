// Pure helpers of the enterprise file (/enterprise), tested under node --test.

// The words config/gb18218.py uses in a basis, with their keys in words_duty.js.
const BASIS_WORDS = [
  ["站点文件", "ent.basis.site"],
  ["易燃液体", "ent.basis.flammableLiquids"],
  ["易燃气体", "ent.basis.flammableGases"],
  ["表", "ent.basis.table"],
];

/**
 * Where a β comes from, in the page's language: the gateway says "表1/表4 易燃液体"
 * (GB 18218-2018's tables and the category) or "站点文件" (given in the site file). tr is
 * i18n's t (or translate with a language).
 */
export function basisText(basis, tr) {
  let text = String(basis ?? "");
  for (const [word, key] of BASIS_WORDS) text = text.replaceAll(word, tr(key));
  return text;
}
