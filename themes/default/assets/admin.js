// Tidings newsroom: live preview through the server's own Markdown pipeline. Everything works
// without this script (the Preview button renders the same thing with a full page load).
(function () {
  "use strict";
  var body = document.querySelector("textarea[data-preview]");
  if (!body) return;
  var target = document.querySelector(body.getAttribute("data-preview"));
  var form = body.form;
  var csrf = form.querySelector("input[name=csrf]").value;
  var timer = null;
  var last = null;
  function refresh() {
    if (body.value === last) return;
    last = body.value;
    fetch("/admin/preview", {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded", "X-CSRF-Token": csrf },
      body: new URLSearchParams({ body: body.value }),
      credentials: "same-origin",
    }).then(function (r) { return r.ok ? r.text() : null; }).then(function (html) {
      if (html !== null) target.innerHTML = html;
    });
  }
  body.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(refresh, 400);
  });
  refresh();
})();
