// Progressive enhancement only: every page works without it.
// A form is sent once: its submit buttons are disabled after the first click, so a double click does not
// register twice or post a reply twice.
document.addEventListener("submit", function (event) {
  var form = event.target;
  if (form.hasAttribute("hx-post") || form.hasAttribute("hx-get")) return;
  window.setTimeout(function () {
    form.querySelectorAll("button[type=submit]").forEach(function (b) { b.disabled = true; });
  }, 0);
}, true);

// The mention picker (forum composer): a found member's button writes "@handle " into the text where the
// cursor is, and the preview follows. Without this script the picker's link opens the search as a page.
document.addEventListener("click", function (event) {
  var button = event.target.closest && event.target.closest("button[data-mention]");
  if (!button) return;
  var picker = button.closest(".mention-picker");
  var text = picker && document.getElementById(picker.getAttribute("data-mention-target"));
  if (!text) return;
  var mention = "@" + button.getAttribute("data-mention") + " ";
  var start = text.selectionStart, end = text.selectionEnd;
  var before = text.value.slice(0, start);
  if (before && !/\s$/.test(before)) mention = " " + mention;
  text.value = before + mention + text.value.slice(end);
  text.focus();
  text.selectionStart = text.selectionEnd = before.length + mention.length;
  text.dispatchEvent(new Event("input", { bubbles: true }));
  picker.querySelector("#mention-results").innerHTML = "";
});

// A panel htmx is loading or changing says so: aria-busy while the request is on its way (its visible
// "Loading…" is its hx-indicator), so that a screen reader announces its aria-live content once, complete.
document.addEventListener("htmx:beforeRequest", function (event) {
  var target = event.detail.target;
  if (target) target.setAttribute("aria-busy", "true");
});
document.addEventListener("htmx:afterSettle", function (event) {
  var target = event.detail.target;
  if (target) target.setAttribute("aria-busy", "false");
});
document.addEventListener("htmx:afterRequest", function (event) {
  var target = event.detail.target;
  var nothingToSwap = event.detail.elt && event.detail.elt.getAttribute("hx-swap") === "none";
  if (target && (!event.detail.successful || nothingToSwap)) target.setAttribute("aria-busy", "false");
});
