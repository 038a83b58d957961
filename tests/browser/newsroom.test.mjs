// The newsroom in a real browser: set up the owner, upload an image, write with live preview,
// publish, and read the story on the public site.
import assert from "node:assert/strict";
import { writeFileSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { createOwner, launchBrowser, linkIn, mailTo, startDemo } from "./harness.mjs";

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

test("set up the owner, write an article with an image, preview, publish, read it", async () => {
  const context = await chrome.browser.newContext();
  const page = await context.newPage();
  const errors = [];
  page.on("pageerror", (err) => errors.push(String(err)));
  page.on("console", (msg) => msg.type() === "error" && errors.push(msg.text()));

  await createOwner(page, site);
  assert.match(await page.locator("h1").textContent(), /Hello, Olu Owner/);

  // Upload a photo to the media library.
  const photo = await (await fetch(`${site.url}/media/demo/story-01.jpg`)).arrayBuffer();
  const dir = mkdtempSync(join(tmpdir(), "tidings-upload-"));
  const file = join(dir, "harbour-wall.jpg");
  writeFileSync(file, Buffer.from(photo));
  await page.getByRole("link", { name: "Media" }).click();
  await page.getByLabel("Image (JPEG, PNG, WebP or GIF, up to 15 MB)").setInputFiles(file);
  await page.getByLabel("Description for people who can't see it").fill("The harbour wall at high tide");
  await page.getByRole("button", { name: "Upload" }).click();
  await page.waitForURL(/\/admin\/media\?uploaded=/);
  const path = (await page.locator(".media-grid code").first().textContent()).trim();
  assert.match(path, /^uploads\/\d{4}\/\d{2}\/harbour-wall-[0-9a-f]{8}\.jpg$/);

  // Write, with the live preview rendered by the server's own pipeline.
  await page.getByRole("link", { name: "New article" }).click();
  await page.getByLabel("Headline", { exact: true }).fill("Harbour wall holds in first winter storm");
  await page.getByLabel("Dek (the line under the headline)").fill("Engineers say the test went well.");
  await page.getByLabel("Story (Markdown)").fill("The wall **held** overnight.\n\n> Not a drop came over.");
  await page.locator("#preview strong", { hasText: "held" }).waitFor();
  assert.equal(await page.locator("#preview blockquote").count(), 1);
  await page.getByLabel("Image path under /media/").fill(path);
  await page.getByLabel("Description for people who can't see it").fill("The harbour wall at high tide");
  await page.getByRole("button", { name: "Publish now" }).click();
  await page.waitForURL(/\/admin\/articles\/\d+\?saved=1$/);
  assert.equal((await page.locator(".badge").first().textContent()).trim(), "published");

  // Read it on the public site.
  await page.getByRole("link", { name: "View on the site" }).click();
  await page.waitForURL(/\/harbour-wall-holds-in-first-winter-storm\/$/);
  assert.equal((await page.locator("h1.headline").textContent()).trim(), "Harbour wall holds in first winter storm");
  const img = page.locator("figure.feature img");
  assert.equal(await img.getAttribute("alt"), "The harbour wall at high tide");
  assert.ok(await img.evaluate((el) => el.complete && el.naturalWidth > 0), "the image loaded");
  assert.deepEqual(errors, []);
  await context.close();
});

test("a reader signs up from the box under an article; the browser solves the challenge", async () => {
  const context = await chrome.browser.newContext();
  const page = await context.newPage();
  const errors = [];
  page.on("pageerror", (err) => errors.push(String(err)));
  await page.goto(`${site.url}/harbour-sea-wall-must-rise-by-60-centimetres-engineers-warn/`);
  const box = page.locator("section.signup-article");
  await box.getByLabel("Email").fill("reader@example.org");
  await box.getByRole("button", { name: "Sign up" }).click();
  await page.waitForURL(/\/subscribe\/$/);
  assert.equal((await page.locator("h1").textContent()).trim(), "Check your inbox");
  assert.deepEqual(errors, []);
  await context.close();
});

test("a reader confirms from the emailed link, gets the digest, and unsubscribes from it", async () => {
  const context = await chrome.browser.newContext();
  const page = await context.newPage();
  await page.goto(`${site.url}/council-approves-a-leaner-budget-after-a-night-of-testimony/`);
  const box = page.locator("section.signup-article");
  await box.getByLabel("Email").fill("digest-reader@example.org");
  await box.getByRole("button", { name: "Sign up" }).click();
  await page.waitForURL(/\/subscribe\/$/);

  // The confirmation email's link opens a page; only its button confirms.
  const confirmation = await mailTo(site.dataDir, "digest-reader@example.org", /subscribe\/confirm\//);
  await page.goto(linkIn(confirmation, `${site.url}/subscribe/confirm/`));
  assert.equal((await page.locator("h1").textContent()).trim(), "One more step");
  await page.getByRole("button", { name: "Confirm my subscription" }).click();
  assert.equal((await page.locator("h1").textContent()).trim(), "You're subscribed");

  // The newsroom sends today's digest from the command line, beside the running site.
  const out = site.run(["newsletter", "digest", "--send"]);
  assert.match(out, /delivered, 0 failed/);
  const digest = await mailTo(site.dataDir, "digest-reader@example.org", /List-Unsubscribe-Post/);
  assert.match(digest, /^List-Unsubscribe: <http:\/\/127\.0\.0\.1:\d+\/unsubscribe\//m);
  await page.goto(linkIn(digest, `${site.url}/unsubscribe/`));
  await page.getByRole("button", { name: "Unsubscribe" }).click();
  assert.equal((await page.locator("h1").textContent()).trim(), "You're unsubscribed");
  await context.close();
});

test("the signup page says plainly that it needs JavaScript when it is off", async () => {
  const context = await chrome.browser.newContext({ javaScriptEnabled: false });
  const page = await context.newPage();
  await page.goto(`${site.url}/subscribe/`);
  assert.ok(await page.locator("[data-needs-js]").isVisible());
  const form = page.locator("form.signup-form");
  await form.getByLabel("Email").fill("nojs@example.org");
  await form.getByRole("button", { name: "Subscribe" }).click();
  assert.match(await page.locator(".error-summary").textContent(), /needs JavaScript/);
  await context.close();
});
