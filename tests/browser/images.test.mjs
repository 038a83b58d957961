// A phone is given the AVIF copy of a feature photo once the background job has made it.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { launchBrowser, startDemo } from "./harness.mjs";

let site;
let chrome;

before(async () => {
  site = await startDemo();
  chrome = await launchBrowser();
});

after(async () => {
  await chrome?.close();
  await site?.stop();
});

/** The first story on the home page whose card offers AVIF, once the job has made one. */
async function storyWithAvif() {
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    const html = await (await fetch(`${site.url}/`)).text();
    for (const card of html.split('<article class="card').slice(1)) {
      const href = card.match(/<a class="card-image" href="([^"]+)"/);
      if (href && card.includes('<source type="image/avif"')) return href[1];
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error("no story offered AVIF within two minutes");
}

test("a phone shows a feature photo from its AVIF copy, decoded at the width it needs", async () => {
  const path = await storyWithAvif();
  const context = await chrome.browser.newContext({
    viewport: { width: 390, height: 844 },
    deviceScaleFactor: 3,
    isMobile: true,
  });
  const page = await context.newPage();
  const avif = [];
  page.on("response", (res) => res.url().endsWith(".avif") && avif.push(res.headers()["content-type"]));
  await page.goto(path.startsWith("http") ? path : site.url + path, { waitUntil: "load" });
  const img = page.locator("figure.feature img");
  await img.evaluate((el) => el.decode());
  // 390 CSS pixels at 3 device pixels each need 1,170: the 1,200-pixel original, as AVIF.
  const chosen = await img.evaluate((el) => el.currentSrc);
  assert.match(chosen, /\/media\/demo\/story-\d\d\.avif$/);
  // Chromium decoded it (a file it cannot show leaves the image broken, 0 pixels wide); with `w`
  // descriptors the natural width is in CSS pixels: 1,200 device pixels over the chosen density.
  assert.ok(await img.evaluate((el) => el.complete && el.naturalWidth > 300), "decoded");
  assert.ok(avif.length >= 1 && avif.every((t) => t === "image/avif"), `${avif}`);
  await context.close();
});
