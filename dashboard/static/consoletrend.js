// The console's trend dialog links to the trend page for the same point, where it can be
// overlaid with any other point, given a custom window and exported. The point is taken
// from the alarm row whose trend was opened (rows carry data-alarm="SITE/TAG/TYPE").

function trendHref(alarmId) {
  const [site, tag] = alarmId.split("/");
  return `/trend?${new URLSearchParams([["point", `${site}/${tag}`], ["range", "8h"]])}`;
}

document.addEventListener("click", (event) => {
  const opener = event.target.closest?.("#alarm-rows button.trend, #alarm-rows a.point-link");
  const row = opener?.closest("tr[data-alarm]");
  const link = document.getElementById("trend-page-link");
  if (row && link) link.href = trendHref(row.dataset.alarm);
}, true);
