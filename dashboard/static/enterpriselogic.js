// Pure helpers of the enterprise file (/enterprise), tested under node --test.

/**
 * Where a β comes from, in the page's language: the gateway says "表1/表3" (GB 18218-2018's
 * tables) or "站点文件" (given in the site file). tr is i18n's t (or translate with a language).
 */
export function basisText(basis, tr) {
  if (basis === "站点文件") return tr("ent.basis.site");
  return String(basis ?? "").replaceAll("表", tr("ent.basis.table"));
}
