// The demo article page's total transfer at a phone's viewport (390 x 844 CSS pixels at 3 device
// pixels per CSS pixel, as on a current iPhone), in headless Chromium: every response's bytes on
// the wire (headers and encoded body), on load and again after scrolling to the foot of the page.
// Beside it, the same images as the JPEGs the page would have fetched without AVIF and WebP.
// Run through scripts/page-weight.sh, which builds the binary and installs what this needs.
import { launchBrowser, startDemo } from "../tests/browser/harness.mjs";

const ARTICLE = "/council-approves-a-leaner-budget-after-a-night-of-testimony/";
const BUDGET = 150 * 1024;

const site = await startDemo();
// The demo's AVIF copies come from a background job, newest photo first; this story's photo
// (story-00) is the oldest.
for (let waited = 0; ; waited += 200) {
  const html = await (await fetch(site.url + ARTICLE)).text();
  if (html.includes("/media/demo/story-00-480w.avif")) break;
  if (waited > 120_000) throw new Error("the demo's AVIF copies were not made within two minutes");
  await new Promise((r) => setTimeout(r, 200));
}
const { browser, close } = await launchBrowser();
try {
  const context = await browser.newContext({
    viewport: { width: 390, height: 844 },
    deviceScaleFactor: 3,
    isMobile: true,
    hasTouch: true,
  });
  const page = await context.newPage();
  const responses = [];
  page.on("requestfinished", async (request) => {
    const sizes = await request.sizes();
    const response = await request.response();
    responses.push({
      url: request.url().replace(site.url, ""),
      type: response?.headers()["content-type"] ?? "",
      bytes: sizes.responseHeadersSize + sizes.responseBodySize,
    });
  });
  await page.goto(site.url + ARTICLE, { waitUntil: "networkidle" });
  const onLoad = responses.slice();
  await page.evaluate(() => window.scrollTo(0, document.body.scrollHeight));
  await page.waitForLoadState("networkidle");
  await page.waitForTimeout(500);

  const total = (list) => list.reduce((n, r) => n + r.bytes, 0);
  const kb = (n) => (n / 1024).toFixed(1);
  console.log(`${"bytes".padStart(8)}  type                        path`);
  for (const r of responses) {
    console.log(`${String(r.bytes).padStart(8)}  ${r.type.split(";")[0].padEnd(26)}  ${r.url}`);
  }
  // What the images would weigh as the WebP and JPEG twins of the candidates Chromium chose.
  const bodyOf = async (path) => (await (await fetch(site.url + path)).arrayBuffer()).byteLength;
  let images = 0;
  let webps = 0;
  let jpegs = 0;
  const chosen = responses.filter((r) => /\.(avif|webp)$/.test(r.url));
  for (const r of chosen) {
    images += await bodyOf(r.url);
    webps += await bodyOf(r.url.replace(/\.(avif|webp)$/, ".webp"));
    jpegs += await bodyOf(r.url.replace(/\.(avif|webp)$/, ".jpg"));
  }
  console.log(`on load: ${onLoad.length} responses, ${kb(total(onLoad))} kB`);
  console.log(`after scrolling to the foot: ${responses.length} responses, ${kb(total(responses))} kB`);
  if (images > 0) {
    const formats = [...new Set(chosen.map((r) => r.url.split(".").pop().toUpperCase()))].join(" and ");
    console.log(`images as ${formats}: ${kb(images)} kB; as their WebP twins: ${kb(webps)} kB (ratio ${(images / webps).toFixed(2)}x); as their JPEG twins: ${kb(jpegs)} kB (ratio ${(images / jpegs).toFixed(2)}x)`);
  }
  console.log(`target: under ${kb(BUDGET)} kB on load: ${total(onLoad) < BUDGET ? "met" : "NOT met"}`);
} finally {
  await close();
  await site.stop();
}
