// Every admin page of the demo, signed in as the owner, at 1280 and 390 pixels: no axe-core
// violation of any impact, and no page wider than the screen (wide tables scroll in their own box).
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { after, before, test } from "node:test";
import { createOwner, launchBrowser, startDemo } from "./harness.mjs";

const AXE = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");

let site;
let chrome;
let context;
let page;
let pages;

before(async () => {
  site = await startDemo();
  chrome = await launchBrowser();
  // axe is injected as an inline script, which the admin's security policy rightly refuses.
  context = await chrome.browser.newContext({ viewport: { width: 1280, height: 900 }, bypassCSP: true });
  page = await context.newPage();
  await createOwner(page, site);
  const linked = await page.evaluate(() =>
    [...document.querySelectorAll(".admin-bar a")].map((a) => a.getAttribute("href")).filter((h) => h.startsWith("/admin")),
  );
  const firstArticle = await page.evaluate(async () => {
    const found = (await (await fetch("/admin/articles")).text()).match(/href="(\/admin\/articles\/\d+)"/);
    return found && found[1];
  });
  assert.ok(firstArticle, "the demo has articles");
  pages = [
    ...new Set([
      "/admin/",
      ...linked,
      firstArticle,
      `${firstArticle}/revisions`,
      "/admin/articles/new",
      "/admin/tags",
      "/admin/authors",
      "/admin/media",
      "/admin/users",
      "/admin/account",
      "/admin/account/tokens",
      "/admin/webhooks",
      "/admin/donations/forms",
      "/admin/settings/organisation",
      "/admin/settings/newsletter",
      "/admin/settings/donations",
      "/admin/settings/search",
      "/admin/settings/navigation",
      "/admin/settings/emails",
      "/admin/settings/emails/confirmation",
      "/admin/settings/emails/receipt",
      "/admin/health",
    ]),
  ];
});

after(async () => {
  await context?.close();
  await chrome?.close();
  await site?.stop();
});

for (const width of [1280, 390]) {
  test(`every admin page at ${width}px: no axe violations, nothing wider than the screen`, async () => {
    await page.setViewportSize({ width, height: 900 });
    const found = [];
    for (const path of pages) {
      const res = await page.goto(site.url + path);
      assert.equal(res.status(), 200, path);
      await page.addScriptTag({ content: AXE });
      const violations = await page.evaluate(async () =>
        (await window.axe.run()).violations.map(
          (v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(" ")).slice(0, 3).join(", ")}`,
        ),
      );
      for (const v of violations) found.push(`${path}: ${v}`);
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      if (overflow > 0) found.push(`${path}: ${overflow}px wider than the screen`);
    }
    assert.ok(pages.length >= 25, `only ${pages.length} pages checked`);
    assert.deepEqual(found, []);
  });
}

test("at 390px the navigation folds behind a Menu button that keyboard users open and close", async () => {
  await page.setViewportSize({ width: 390, height: 900 });
  await page.goto(site.url + "/admin/");
  const menu = page.getByRole("button", { name: "Menu" });
  const articles = page.locator("#admin-nav").getByRole("link", { name: "Articles", exact: true });
  assert.ok(await menu.isVisible(), "the Menu button shows");
  assert.equal(await menu.getAttribute("aria-expanded"), "false");
  assert.ok(!(await articles.isVisible()), "the links are folded away");

  // Keyboard: the skip link, the brand, then the button; Enter opens, Escape closes and returns.
  await menu.focus();
  await page.keyboard.press("Enter");
  assert.equal(await menu.getAttribute("aria-expanded"), "true");
  assert.ok(await articles.isVisible());
  await page.keyboard.press("Tab");
  assert.equal(await page.evaluate(() => document.activeElement.textContent.trim()), "Articles");
  await page.keyboard.press("Escape");
  assert.equal(await menu.getAttribute("aria-expanded"), "false");
  assert.ok(!(await articles.isVisible()));
  assert.equal(await page.evaluate(() => document.activeElement.className), "menu-toggle");

  // A click opens it too, and a link leads on.
  await menu.click();
  await articles.click();
  await page.waitForURL(/\/admin\/articles$/);

  // Wide, the links are always there and the button is not.
  await page.setViewportSize({ width: 1280, height: 900 });
  assert.ok(!(await menu.isVisible()));
  assert.ok(await page.locator("#admin-nav").getByRole("link", { name: "Articles", exact: true }).isVisible());
});
