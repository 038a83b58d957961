// A new outlet makes the site its own: `tidings serve` on an empty folder, the owner account,
// the organisation and site settings, a logo upload; the home page shows them all. The screenshots
// it takes are the README's.
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { after, before, test } from "node:test";
import { crc32, deflateSync } from "node:zlib";
import { createOwner, launchBrowser, startEmpty } from "./harness.mjs";

let site;
let chrome;
const SHOTS = resolve(import.meta.dirname, "../../target/screenshots");

before(async () => {
  site = await startEmpty();
  chrome = await launchBrowser();
  mkdirSync(SHOTS, { recursive: true });
});

after(async () => {
  await chrome?.close();
  await site?.stop();
});

/** A w×h PNG: a dark blue wordmark-like bar on white. */
function png(w, h) {
  const chunk = (type, data) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body));
    return Buffer.concat([len, body, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0);
  ihdr.writeUInt32BE(h, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // RGB
  const rows = [];
  for (let y = 0; y < h; y++) {
    const row = Buffer.alloc(1 + w * 3);
    for (let x = 0; x < w; x++) {
      const ink = y > h * 0.25 && y < h * 0.75 && x % 40 < 30;
      row.set(ink ? [11, 79, 138] : [255, 255, 255], 1 + x * 3);
    }
    rows.push(row);
  }
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  return Buffer.concat([
    signature,
    chunk("IHDR", ihdr),
    chunk("IDAT", deflateSync(Buffer.concat(rows))),
    chunk("IEND", Buffer.alloc(0)),
  ]);
}

test("a new owner names the site, the organisation and the look, and readers see it", async () => {
  const context = await chrome.browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const errors = [];
  page.on("pageerror", (err) => errors.push(String(err)));
  await page.goto(`${site.url}/`);
  assert.match(await page.locator(".brand").textContent(), /Tidings/, "the built-in name first");

  await createOwner(page, site);

  await page.getByRole("link", { name: "Settings" }).first().click();
  await page.waitForURL(/\/admin\/settings$/);
  await page.getByLabel("Site name").fill("The Quay Courier");
  await page.getByLabel("Tagline").fill("News from the harbour, every day.");
  await page.getByLabel("Accent colour").fill("#ffcc00");
  await page.getByRole("button", { name: "Save site" }).click();
  assert.match(await page.locator("[role=alert]").textContent(), /contrast of 1\.\d+:1/);
  await page.getByLabel("Accent colour").fill("#0b4f8a");
  await page.getByRole("button", { name: "Save site" }).click();
  await page.waitForURL(/saved=1/);

  const dir = mkdtempSync(join(tmpdir(), "tidings-logo-"));
  const logo = join(dir, "courier-logo.png");
  writeFileSync(logo, png(480, 96));
  await page.getByLabel("Logo", { exact: true }).setInputFiles(logo);
  await page.getByRole("button", { name: "Upload images" }).click();
  await page.waitForURL(/saved=1/);
  assert.ok(await page.locator("img.current-image").first().isVisible(), "the current logo is shown");
  await page.screenshot({ path: join(SHOTS, "settings-site.png"), fullPage: true });

  await page.getByRole("link", { name: "Organisation" }).click();
  await page.getByLabel("Legal name").fill("Quay Courier Trust");
  await page.getByLabel("Postal address").fill("2 Dock Road, Port Alder");
  await page.getByLabel("Contact email").fill("newsroom@quaycourier.example");
  await page.getByRole("button", { name: "Save organisation" }).click();
  await page.waitForURL(/organisation\?saved=1/);

  // The footer menu, reordered from the keyboard: About moves up past Donate.
  await page.getByRole("link", { name: "Navigation" }).click();
  await page.getByRole("button", { name: "Move About up" }).focus();
  await page.keyboard.press("Enter");
  await page.waitForURL(/navigation\?saved=1#menu-footer-1$/);
  assert.equal(await page.evaluate(() => document.activeElement?.id), "menu-footer-1", "focus stays on the moved item");
  assert.match(await page.locator("#menu-footer-1 .menu-label").textContent(), /About/);
  await page.screenshot({ path: join(SHOTS, "settings-navigation.png"), fullPage: true });

  // A reader's browser (the owner's own keeps the first home page for a minute, as HTTP allows).
  await context.close();
  const readerContext = await chrome.browser.newContext({ viewport: { width: 1280, height: 900 } });
  const reader = await readerContext.newPage();
  reader.on("pageerror", (err) => errors.push(String(err)));
  await reader.goto(`${site.url}/`);
  const brand = reader.locator(".brand img");
  assert.equal(await brand.getAttribute("alt"), "The Quay Courier");
  assert.match(await reader.locator("footer address").textContent(), /Quay Courier Trust[\s\S]*2 Dock Road/);
  assert.match(await reader.locator("footer").textContent(), /newsroom@quaycourier\.example/);
  const footerLinks = await reader.locator("footer .footer-links").first().locator("a").allTextContents();
  assert.deepEqual(footerLinks.slice(0, 3), ["RSS feed", "About", "Donate"]);
  const accent = await reader.evaluate(() => getComputedStyle(document.documentElement).getPropertyValue("--accent").trim());
  assert.equal(accent, "#0b4f8a");
  assert.equal(await reader.title(), "The Quay Courier");
  await reader.screenshot({ path: join(SHOTS, "home-own-name.png") });
  assert.deepEqual(errors, []);
  await readerContext.close();
});
