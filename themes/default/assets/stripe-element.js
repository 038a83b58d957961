// Mounts Stripe's Payment Element for one gift and confirms it; Stripe then returns the donor to
// our thank-you page. Card data stays inside Stripe's frames.
(function () {
  "use strict";
  var form = document.getElementById("payment-form");
  if (!form || typeof window.Stripe !== "function") return;
  var stripe = window.Stripe(form.getAttribute("data-publishable-key"));
  var elements = stripe.elements({ clientSecret: form.getAttribute("data-client-secret") });
  elements.create("payment").mount("#payment-element");
  var error = form.querySelector("[data-payment-error]");
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    form.querySelector("button[type=submit]").disabled = true;
    stripe
      .confirmPayment({ elements: elements, confirmParams: { return_url: form.getAttribute("data-return-url") } })
      .then(function (result) {
        if (result.error) {
          error.textContent = result.error.message;
          error.hidden = false;
          form.querySelector("button[type=submit]").disabled = false;
        }
      });
  });
})();
