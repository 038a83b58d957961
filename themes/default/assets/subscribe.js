// Tidings signup: solves the form's proof-of-work challenge in the browser (a fraction of a second
// for a person, a real cost for a bot sending thousands), then submits. No third-party service.
(function () {
  "use strict";

  // SHA-256 (FIPS 180-4). Constants are derived from the primes, as the standard defines them.
  var K = [];
  var H0 = [];
  (function () {
    var n = 2;
    var found = 0;
    while (found < 64) {
      var prime = true;
      for (var d = 2; d * d <= n; d++) if (n % d === 0) { prime = false; break; }
      if (prime) {
        if (found < 8) H0[found] = (Math.pow(n, 1 / 2) * 4294967296) | 0;
        K[found] = (Math.pow(n, 1 / 3) * 4294967296) | 0;
        found++;
      }
      n++;
    }
  })();

  function sha256(bytes) {
    var len = bytes.length;
    var words = new Array(((len + 8) >> 6) * 16 + 16).fill(0);
    for (var i = 0; i < len; i++) words[i >> 2] |= bytes[i] << (24 - (i % 4) * 8);
    words[len >> 2] |= 0x80 << (24 - (len % 4) * 8);
    var total = ((len + 8) >> 6) * 16 + 16;
    words[total - 1] = len * 8;
    var h = H0.slice();
    var w = new Array(64);
    for (var block = 0; block < total; block += 16) {
      for (var t = 0; t < 64; t++) {
        if (t < 16) {
          w[t] = words[block + t] | 0;
        } else {
          var a = w[t - 15], b = w[t - 2];
          var s0 = ((a >>> 7) | (a << 25)) ^ ((a >>> 18) | (a << 14)) ^ (a >>> 3);
          var s1 = ((b >>> 17) | (b << 15)) ^ ((b >>> 19) | (b << 13)) ^ (b >>> 10);
          w[t] = (w[t - 16] + s0 + w[t - 7] + s1) | 0;
        }
      }
      var A = h[0], B = h[1], C = h[2], D = h[3], E = h[4], F = h[5], G = h[6], HH = h[7];
      for (var j = 0; j < 64; j++) {
        var S1 = ((E >>> 6) | (E << 26)) ^ ((E >>> 11) | (E << 21)) ^ ((E >>> 25) | (E << 7));
        var ch = (E & F) ^ (~E & G);
        var t1 = (HH + S1 + ch + K[j] + w[j]) | 0;
        var S0 = ((A >>> 2) | (A << 30)) ^ ((A >>> 13) | (A << 19)) ^ ((A >>> 22) | (A << 10));
        var maj = (A & B) ^ (A & C) ^ (B & C);
        var t2 = (S0 + maj) | 0;
        HH = G; G = F; F = E; E = (D + t1) | 0; D = C; C = B; B = A; A = (t1 + t2) | 0;
      }
      h[0] = (h[0] + A) | 0; h[1] = (h[1] + B) | 0; h[2] = (h[2] + C) | 0; h[3] = (h[3] + D) | 0;
      h[4] = (h[4] + E) | 0; h[5] = (h[5] + F) | 0; h[6] = (h[6] + G) | 0; h[7] = (h[7] + HH) | 0;
    }
    return h;
  }

  function leadingZeroBits(h) {
    var bits = 0;
    for (var i = 0; i < 8; i++) {
      if (h[i] === 0) { bits += 32; continue; }
      return bits + Math.clz32(h[i]);
    }
    return bits;
  }

  function solve(token, difficulty) {
    var encoder = new TextEncoder();
    for (var n = 0; ; n++) {
      if (leadingZeroBits(sha256(encoder.encode(token + ":" + n))) >= difficulty) return n;
    }
  }

  if (typeof module !== "undefined") { module.exports = { sha256: sha256, solve: solve }; return; }

  // Forms on cached pages carry no challenge of their own: they fetch a fresh one when sent.
  function challengeFor(form) {
    var inline = form.getAttribute("data-challenge");
    if (inline) return Promise.resolve({ token: inline, difficulty: Number(form.getAttribute("data-difficulty")) });
    return fetch(form.getAttribute("data-challenge-url"), { credentials: "same-origin", cache: "no-store" })
      .then(function (r) { return r.json(); });
  }

  document.querySelectorAll("form[data-challenge], form[data-challenge-url]").forEach(function (form) {
    var note = form.querySelector("[data-needs-js]");
    if (note) note.hidden = true;
    var source = form.querySelector("input[name=source]");
    if (source && !source.value) source.value = location.pathname;
    form.addEventListener("submit", function (event) {
      var solution = form.querySelector("input[name=solution]");
      if (solution.value) return;
      event.preventDefault();
      var button = form.querySelector("button[type=submit]");
      button.disabled = true;
      challengeFor(form).then(function (c) {
        form.querySelector("input[name=challenge]").value = c.token;
        solution.value = String(solve(c.token, c.difficulty));
        form.submit();
      }, function () { button.disabled = false; });
    });
  });
})();
