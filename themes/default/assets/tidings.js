// Tidings: the only script on reading pages. Everything works without it; it adds "copy link"
// and takes the reader to a form's list of problems when the form comes back with some.
(function () {
  "use strict";
  var summary = document.querySelector("[data-error-summary]");
  if (summary) summary.focus();
  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("[data-copy]");
    if (!link || !navigator.clipboard) return;
    event.preventDefault();
    navigator.clipboard.writeText(link.getAttribute("data-copy")).then(function () {
      var label = link.textContent;
      link.textContent = "Link copied";
      link.setAttribute("aria-live", "polite");
      setTimeout(function () { link.textContent = label; }, 2000);
    });
  });
})();
