// After a menu item moves, focus returns to it (the address names it), so keyboard users carry on
// where they were; a message the page comes back with takes focus first.
(function () {
  "use strict";
  var message = document.querySelector("[data-focus-on-load]");
  var target = location.hash.length > 1 && document.getElementById(location.hash.slice(1));
  var el = message || target;
  if (el && el.hasAttribute("tabindex")) el.focus();
})();

// On a narrow screen the newsroom's navigation folds behind a Menu button (a disclosure: the
// button says whether it is open, Escape closes it and gives focus back). Without this script the
// navigation simply stays open.
(function () {
  "use strict";
  var toggle = document.querySelector(".menu-toggle");
  var nav = toggle && document.getElementById(toggle.getAttribute("aria-controls"));
  if (!nav) return;
  document.documentElement.classList.add("js-nav");
  toggle.hidden = false;
  function set(open) {
    toggle.setAttribute("aria-expanded", open ? "true" : "false");
    nav.classList.toggle("open", open);
  }
  toggle.addEventListener("click", function () {
    set(toggle.getAttribute("aria-expanded") !== "true");
  });
  nav.addEventListener("keydown", function (e) {
    if (e.key === "Escape" && toggle.getAttribute("aria-expanded") === "true") {
      set(false);
      toggle.focus();
    }
  });
})();

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

// Autosave: every few seconds after typing stops, the words go to the server as an autosave that
// never overwrites the article itself.
(function () {
  "use strict";
  var form = document.querySelector("form[data-autosave]");
  if (!form) return;
  var url = form.getAttribute("data-autosave");
  var csrf = form.querySelector("input[name=csrf]").value;
  var fields = ["title", "dek", "body"].map(function (n) { return form.querySelector("[name=" + n + "]"); });
  var timer = null;
  var last = fields.map(function (f) { return f.value; }).join("\u0000");
  function save() {
    var now = fields.map(function (f) { return f.value; }).join("\u0000");
    if (now === last) return;
    last = now;
    var data = new URLSearchParams();
    fields.forEach(function (f) { data.append(f.name, f.value); });
    fetch(url, {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded", "X-CSRF-Token": csrf },
      body: data,
      credentials: "same-origin",
    });
  }
  fields.forEach(function (f) {
    f.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(save, 3000);
    });
  });
  window.addEventListener("beforeunload", save);
})();
