// Settings → Emails in a real browser, under the site's own security policy: the Preview button
// shows the unsaved draft in the frame beside the editor, and an unknown variable comes back named.
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { after, before, test } from "node:test";
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

test("an editor previews a confirmation email draft in the frame, then fixes an unknown variable", async () => {
  const context = await chrome.browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const errors = [];
  page.on("pageerror", (err) => errors.push(String(err)));
  // The refused draft's 422 is logged by the browser as a failed load; a blocked frame or style is not allowed.
  page.on("console", (msg) => msg.type() === "error" && /Refused/.test(msg.text()) && errors.push(msg.text()));
  await createOwner(page, site);
  await page.goto(`${site.url}/admin/settings`);
  await page.getByRole("link", { name: "Emails" }).click();
  await page.getByRole("link", { name: "Subscription confirmation" }).click();

  const frame = page.frameLocator("iframe[name=email-preview]");
  await assert.doesNotReject(frame.getByText("Confirm my subscription").waitFor());

  await page.getByLabel("Subject").fill("One tap for {{ newsletter_name }}");
  await page.getByLabel("Text").fill("Hello {{ email }},\n\nTap the button:\n\n{{ confirm_url }}\n\nThanks from {{ site_name }}.");
  await page.getByRole("button", { name: "Preview" }).click();
  await assert.doesNotReject(frame.getByText("Subject: One tap for The Daily Briefing").waitFor());
  assert.match(await frame.locator("body").textContent(), /Hello owner@example\.org,[\s\S]*Thanks from/);
  assert.equal(await frame.getByRole("link", { name: "Confirm my subscription" }).count(), 1, "the link is a button");
  await page.screenshot({ path: join(SHOTS, "settings-emails.png"), fullPage: true });

  await page.getByLabel("Text").fill("Hello {{ first_name }}, {{ confirm_url }}");
  await page.getByRole("button", { name: "Save" }).click();
  const alert = page.getByRole("alert");
  assert.match(await alert.textContent(), /Unknown variable \{\{ first_name \}\}/);
  assert.equal(await page.evaluate(() => document.activeElement?.getAttribute("role")), "alert", "the problem takes focus");
  assert.equal(await page.getByLabel("Text").getAttribute("aria-invalid"), "true");

  await page.getByLabel("Text").fill("Hello {{ email }}, confirm here:\n\n{{ confirm_url }}");
  await page.getByRole("button", { name: "Save" }).click();
  await page.waitForURL(/confirmation\?saved=1$/);
  assert.deepEqual(errors, []);
  await context.close();
});
