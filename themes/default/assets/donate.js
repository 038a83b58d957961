// Tidings donation form: shows the total as the donor chooses (the server recomputes it and
// refuses a total that does not match). Money is counted in integer minor units, as on the server.
(function () {
  "use strict";
  var form = document.querySelector("form.donate-form");
  if (!form) return;
  var exp = Number(form.getAttribute("data-exponent"));
  var scale = Math.pow(10, exp);
  var bp = Number(form.getAttribute("data-fee-bp"));
  var fixed = Number(form.getAttribute("data-fee-fixed"));
  var currency = form.getAttribute("data-currency");
  var out = form.querySelector("[data-total]");
  var perMonth = form.querySelector("[data-per-month]");
  var shown = form.querySelector("input[name=shown_total]");

  function parse(text) {
    var t = String(text).replace(/[\s,$€£¥_]/g, "");
    if (!/^\d*(\.\d*)?$/.test(t) || t === "" || t === ".") return null;
    var parts = t.split(".");
    var frac = (parts[1] || "").replace(/0+$/, "");
    if (frac.length > exp) return null;
    while (frac.length < exp) frac += "0";
    return Number(parts[0] || "0") * scale + Number(frac || "0");
  }

  function format(minor) {
    try {
      return new Intl.NumberFormat(document.documentElement.lang || "en", { style: "currency", currency: currency }).format(minor / scale);
    } catch (e) {
      return currency + " " + (minor / scale).toFixed(exp);
    }
  }

  function gift() {
    var choice = form.querySelector("input[name=amount]:checked");
    if (!choice || choice.value === "custom") return parse(form.querySelector("input[name=custom_amount]").value);
    return Number(choice.value);
  }

  function update() {
    var g = gift();
    var cover = form.querySelector("input[name=cover_fee]");
    if (g === null) {
      out.textContent = "-";
      shown.value = "";
      return;
    }
    var total = g;
    if (cover && cover.checked) total = Math.ceil(((g + fixed) * 10000) / (10000 - bp));
    out.textContent = format(total);
    shown.value = String(total);
    var monthly = form.querySelector("input[name=frequency]:checked");
    if (perMonth) perMonth.hidden = !(monthly && monthly.value === "monthly");
  }

  form.querySelector("input[name=custom_amount]").addEventListener("focus", function () {
    var other = form.querySelector("input[name=amount][value=custom]");
    if (other) other.checked = true;
    update();
  });
  form.addEventListener("input", update);
  form.addEventListener("change", update);
  update();
})();
