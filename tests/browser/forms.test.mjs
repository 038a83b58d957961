// The forms readers fill in, measured in Chromium on a phone-sized and a desktop-sized screen: one
// column, each label above its field, no text field narrower than 60% of its form, the total and the
// button on screen together; problems listed at the top, focused, and linked to their fields.
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { after, before, test } from "node:test";
import { launchBrowser, startDemo } from "./harness.mjs";

let site;
let chrome;

const SHOTS = resolve(import.meta.dirname, "../../target/screenshots");

before(async () => {
  site = await startDemo();
  chrome = await launchBrowser();
  mkdirSync(SHOTS, { recursive: true });
});

after(async () => {
  await chrome?.close();
  await site?.stop();
});

/** Every visible text field in `form` with its box, its label's box and the form's box. */
async function measure(page, formSelector) {
  return page.locator(formSelector).first().evaluate((form) => {
    const box = (el) => {
      const r = el.getBoundingClientRect();
      return { left: r.left, right: r.right, top: r.top, bottom: r.bottom, width: r.width };
    };
    const fields = [...form.querySelectorAll("input, textarea, select")].filter((el) => {
      const skip = ["hidden", "radio", "checkbox", "submit", "button"];
      return !skip.includes(el.type) && el.offsetParent !== null && !el.closest(".hp");
    });
    return {
      form: box(form),
      fields: fields.map((el) => {
        const label = form.querySelector(`label[for="${el.id}"]`);
        return { id: el.id, box: box(el), label: label ? box(label) : null, autocomplete: el.autocomplete };
      }),
    };
  });
}

function assertOneColumn(found, where) {
  assert.ok(found.fields.length > 0, `${where}: no text fields found`);
  for (const f of found.fields) {
    assert.ok(f.label, `${where}: #${f.id} has a label`);
    assert.ok(
      f.box.width >= 0.6 * found.form.width,
      `${where}: #${f.id} is ${Math.round(f.box.width)}px wide in a ${Math.round(found.form.width)}px form`,
    );
    assert.ok(f.label.bottom <= f.box.top + 1, `${where}: the label of #${f.id} sits above it, not beside it`);
  }
}

for (const [width, height] of [
  [390, 844],
  [1280, 900],
]) {
  test(`the donation form at ${width}px: one column, labels above, total beside the button`, async () => {
    const context = await chrome.browser.newContext({ viewport: { width, height } });
    const page = await context.newPage();
    await page.goto(`${site.url}/donate/`);
    await page.getByLabel("Other", { exact: true }).check();
    assertOneColumn(await measure(page, "form.donate-form"), `donate ${width}`);
    const auto = Object.fromEntries(
      (await measure(page, "form.donate-form")).fields.map((f) => [f.id, f.autocomplete]),
    );
    assert.equal(auto.first_name, "given-name");
    assert.equal(auto.last_name, "family-name");
    assert.equal(auto.email, "email");
    assert.equal(auto.address, "street-address");
    // Required fields say so, to the eye and to assistive technology.
    const first = page.locator("#first_name");
    assert.equal(await first.getAttribute("required"), "");
    assert.match(await page.locator('label[for="first_name"]').textContent(), /\*/);
    // With the button on screen, the total is on screen too.
    const button = page.locator("form.donate-form button[type=submit]");
    await button.scrollIntoViewIfNeeded();
    assert.ok(await page.locator(".donate-total").isVisible());
    const [total, submit] = await Promise.all([
      page.locator(".donate-total").boundingBox(),
      button.boundingBox(),
    ]);
    assert.ok(total.y >= 0 && total.y + total.height <= height, "the total is in view with the button");
    assert.ok(submit.y + submit.height <= height, "the button is in view");
    assert.ok(total.y < submit.y, "the total comes just before the button");
    await page.screenshot({ path: join(SHOTS, `donate-${width}.png`), fullPage: true });
    await context.close();
  });
}

test("the signup page and the donor portal at 390px: one column, labels above", async () => {
  const context = await chrome.browser.newContext({ viewport: { width: 390, height: 844 } });
  const page = await context.newPage();
  await page.goto(`${site.url}/subscribe/`);
  assertOneColumn(await measure(page, "main form.signup-form"), "subscribe");
  await page.goto(`${site.url}/donate/portal`);
  assertOneColumn(await measure(page, "main form.reader-form"), "portal");
  // The signup box under stories keeps its field wide on a phone.
  const box = await measure(page, "footer form.signup-box");
  const email = box.fields[0];
  assert.ok(email.box.width >= 0.6 * box.form.width, `signup box field is ${email.box.width}px`);
  await context.close();
});

test("problems come back listed at the top, focused, each linked to its field", async () => {
  const context = await chrome.browser.newContext({ viewport: { width: 390, height: 844 } });
  const page = await context.newPage();
  await page.goto(`${site.url}/donate/`);
  await page.getByLabel("First name").fill("Ana");
  await page.getByLabel("Last name").fill("Reader");
  await page.locator("form.donate-form").getByLabel("Email").fill("ana@");
  // The browser's own checks are the first line; the server's answer is what this test is about.
  await page.locator("form.donate-form").evaluate((f) => f.setAttribute("novalidate", ""));
  await page.getByRole("button", { name: "Continue" }).click();
  await page.waitForSelector("[data-error-summary]");
  assert.equal(await page.evaluate(() => document.activeElement?.hasAttribute("data-error-summary")), true);
  const link = page.locator(".error-summary a");
  assert.match(await link.textContent(), /Email/);
  await link.click();
  assert.equal(await page.evaluate(() => document.activeElement?.id), "email");
  assert.equal(await page.locator("#email").getAttribute("aria-invalid"), "true");
  assert.equal(await page.locator("#first_name").inputValue(), "Ana", "what was typed is kept");
  await page.screenshot({ path: join(SHOTS, "donate-problems-390.png") });
  await context.close();
});
