// The console's skip link: Tab, Enter, and the keyboard is on the first 确认 button (the
// most urgent unacknowledged alarm, as the table is sorted), Enter again opens its dialog.

const link = document.getElementById("skip-to-ack");
link?.addEventListener("click", (event) => {
  const first = document.querySelector("#alarm-rows button.ack");
  if (!first) return;  // nothing to acknowledge: the link goes to the list itself
  event.preventDefault();
  first.focus();
  first.scrollIntoView({ block: "center" });
});
