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
