// A reader opens the demo site in a real browser.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { launchBrowser, startDemo } from "./harness.mjs";

let site;
let chrome;

before(async () => {
  // AVIF copies arrive from a background job at a moment no test here can count on; the phone
  // test below is about WebP, and images.test.mjs waits for the AVIF ones.
  site = await startDemo({ TIDINGS_MEDIA__AVIF: "false" });
  chrome = await launchBrowser();
});

after(async () => {
  await chrome?.close();
  await site?.stop();
});

/** Opens a page, recording console errors and any request that leaves the site. */
async function open(path, options = {}) {
  const context = await chrome.browser.newContext(options);
  const page = await context.newPage();
  const errors = [];
  const foreign = [];
  page.on("console", (msg) => msg.type() === "error" && errors.push(msg.text()));
  page.on("pageerror", (err) => errors.push(String(err)));
  page.on("request", (req) => {
    if (!req.url().startsWith(site.url) && !req.url().startsWith("data:")) foreign.push(req.url());
  });
  const res = await page.goto(site.url + path, { waitUntil: "load" });
  return { context, page, res, errors, foreign };
}

test("the home page renders without console errors or third-party requests", async () => {
  const { context, page, res, errors, foreign } = await open("/");
  assert.equal(res.status(), 200);
  assert.match(await page.title(), /The Harbour Ledger/);
  await page.locator(".card-lead .card-title a").waitFor();
  assert.ok((await page.locator(".card").count()) >= 10);
  // Scroll to the bottom so lazy images load too.
  await page.evaluate(() => window.scrollTo(0, document.body.scrollHeight));
  await page.waitForLoadState("networkidle");
  assert.deepEqual(errors, []);
  assert.deepEqual(foreign, []);
  await context.close();
});

test("a reader opens an article from the home page and finds its title, reading time and share links", async () => {
  const { context, page, errors } = await open("/");
  const lead = page.locator(".card-lead .card-title a");
  const title = (await lead.textContent()).trim();
  await lead.click();
  await page.waitForURL(/\/council-approves-a-leaner-budget-after-a-night-of-testimony\/$/);
  assert.equal((await page.locator("h1.headline").textContent()).trim(), title);
  assert.match(await page.locator(".story-header .reading-time").textContent(), /^\d+ min read$/);
  const shares = await page.locator(".share a").evaluateAll((links) =>
    links.map((a) => [a.textContent.trim(), a.getAttribute("href")]),
  );
  const names = shares.map(([name]) => name);
  assert.deepEqual(names, ["Facebook", "X", "WhatsApp", "Telegram", "LinkedIn", "Email", "Copy link"]);
  for (const [name, href] of shares) {
    assert.ok(href && href.length > 10, `${name} has a link`);
  }
  assert.ok(await page.locator(".signup").first().isVisible());
  assert.ok(await page.locator(".donate-cta").isVisible());
  assert.deepEqual(errors, []);
  await context.close();
});

test("a phone shows the feature photo from its WebP copy at the width its screen needs", async () => {
  const { context, page } = await open("/council-approves-a-leaner-budget-after-a-night-of-testimony/", {
    viewport: { width: 390, height: 844 },
    deviceScaleFactor: 3,
    isMobile: true,
  });
  const img = page.locator("figure.feature img");
  await img.evaluate((el) => el.decode());
  // 390 CSS pixels at 3 device pixels each need 1,170: the 1,200-pixel original, as WebP.
  assert.match(await img.evaluate((el) => el.currentSrc), /\/media\/demo\/story-00\.webp$/);
  await context.close();
});

test("copy link puts the article URL on the clipboard", async () => {
  const { context, page } = await open("/harbour-sea-wall-must-rise-by-60-centimetres-engineers-warn/", {
    permissions: ["clipboard-read", "clipboard-write"],
  });
  await page.locator(".share-copy").click();
  await page.locator(".share-copy", { hasText: "Link copied" }).waitFor();
  const copied = await page.evaluate(() => navigator.clipboard.readText());
  assert.equal(copied, `${site.url}/harbour-sea-wall-must-rise-by-60-centimetres-engineers-warn/`);
  await context.close();
});

test("reading works with JavaScript turned off", async () => {
  const { context, page, res } = await open("/", { javaScriptEnabled: false });
  assert.equal(res.status(), 200);
  await page.locator(".card-lead .card-title a").click();
  assert.match(await page.locator("h1.headline").textContent(), /Council approves/);
  await context.close();
});

test("unknown pages get the themed 404", async () => {
  const { context, page, res } = await open("/no-such-story/");
  assert.equal(res.status(), 404);
  assert.match(await page.locator("h1").textContent(), /can't find that page/);
  await context.close();
});
