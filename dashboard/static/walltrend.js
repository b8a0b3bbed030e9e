// The wall's drill-down to trends: a click (or Enter) on a point's value opens its trend in
// a new tab, so that the wall itself keeps showing the site.

function open(cell) {
  window.open(`/trend?${new URLSearchParams([["point", cell.dataset.point], ["range", "8h"]])}`, "_blank");
}

document.addEventListener("click", (event) => {
  const cell = event.target.closest?.(".val[data-point]");
  if (cell) open(cell);
});
document.addEventListener("keydown", (event) => {
  const cell = event.target.closest?.(".val[data-point]");
  if (cell && event.key === "Enter") open(cell);
});
