// Donations in a real browser with the test gateway: from an article's call to action, pick $100,
// fill in personal details, complete (and in another run decline) the simulated payment; the receipt
// arrives at an SMTP server on loopback and the gift shows in the admin and its CSV.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { createOwner, launchBrowser, startDemo, startSmtp } from "./harness.mjs";

let site;
let chrome;
let smtp;

before(async () => {
  smtp = await startSmtp();
  site = await startDemo({ TIDINGS_MAIL__URL: smtp.url });
  chrome = await launchBrowser();
});

after(async () => {
  await chrome?.close();
  await site?.stop();
  await smtp?.stop();
});

const STORY = "harbour-sea-wall-must-rise-by-60-centimetres-engineers-warn";

async function startGift(page) {
  await page.goto(`${site.url}/${STORY}/`);
  await page.locator("aside.donate-cta").getByRole("link", { name: "Donate today" }).click();
  await page.waitForURL(/\/donate\/$/);
  assert.match(await page.locator(".test-mode").first().textContent(), /Test mode/);
  await page.getByLabel("$100.00").check();
  await page.getByLabel("Add the processing fee").check();
  assert.equal((await page.locator("output[name=total]").textContent()).trim(), "$103.30");
  await page.getByLabel("Add the processing fee").uncheck();
  assert.equal((await page.locator("output[name=total]").textContent()).trim(), "$100.00");
}

async function fillDetails(page, email) {
  await page.getByLabel("First name").fill("Ana");
  await page.getByLabel("Last name").fill("Reader");
  await page.locator("form.donate-form").getByLabel("Email").fill(email);
  await page.getByRole("button", { name: "Continue" }).click();
  await page.waitForURL(/\/donate\/test-checkout\//);
}

test("a reader gives $100 from an article and gets a receipt; the newsroom sees the gift", async () => {
  const context = await chrome.browser.newContext();
  const page = await context.newPage();
  const errors = [];
  page.on("pageerror", (err) => errors.push(String(err)));
  await startGift(page);
  await fillDetails(page, "ana@example.org");
  assert.match(await page.locator("body").textContent(), /\$100\.00/);
  await page.getByRole("button", { name: "Complete test payment" }).click();
  await page.waitForURL(/\/donate\/thanks\//);
  assert.equal((await page.locator("h1").textContent()).trim(), "Thank you, Ana");
  const receipt = await smtp.waitFor("ana@example.org", /receipt/i);
  assert.match(receipt, /\$100\.00/);
  assert.match(receipt, /Harbour Ledger Foundation/);
  assert.deepEqual(errors, []);

  // The owner finds it in the admin list and the accountant's CSV.
  await createOwner(page, site);
  await page.goto(`${site.url}/admin/donations`);
  const row = page.locator("table.list tbody tr").first();
  assert.match(await row.textContent(), /ana@example\.org/);
  assert.match(await row.textContent(), /succeeded/);
  assert.match(await row.textContent(), new RegExp(`/${STORY}/`));
  const csv = await page.evaluate(async () => (await fetch("/admin/donations/export")).text());
  assert.match(csv, /succeeded,once,USD,100\.00,0\.00,100\.00,0\.00,Ana,Reader,ana@example\.org/);
  await context.close();
});

test("a declined payment brings the form back with nothing recorded as paid", async () => {
  const context = await chrome.browser.newContext();
  const page = await context.newPage();
  await startGift(page);
  await fillDetails(page, "declined@example.org");
  await page.getByRole("button", { name: "Decline test payment" }).click();
  assert.match(await page.locator(".error-summary").textContent(), /declined, so nothing was charged/);
  assert.ok(await page.getByLabel("$100.00").isVisible(), "the form is there to try again");
  await new Promise((r) => setTimeout(r, 500));
  assert.equal(smtp.messages.filter((m) => m.to.includes("declined@example.org")).length, 0, "no receipt");
  await context.close();
});
