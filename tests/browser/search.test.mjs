// A reader searches the demo site from the masthead box, on a phone and on a desktop screen: the
// results mark the words found, pass axe-core, fit the screen, and lead to the story.
import assert from "node:assert/strict";
import { mkdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join, resolve } from "node:path";
import { after, before, test } from "node:test";
import { launchBrowser, startDemo } from "./harness.mjs";

const SHOTS = resolve(import.meta.dirname, "../../target/screenshots");
const AXE = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");

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

for (const width of [390, 1280]) {
  test(`at ${width}px a reader searches from the masthead and opens a result`, async () => {
    const context = await chrome.browser.newContext({ viewport: { width, height: 900 } });
    const page = await context.newPage();
    const errors = [];
    page.on("pageerror", (err) => errors.push(String(err)));
    page.on("console", (msg) => msg.type() === "error" && errors.push(msg.text()));
    await page.goto(`${site.url}/`);
    const box = page.getByRole("searchbox", { name: /^Search/ });
    await box.fill("ferry");
    await box.press("Enter");
    await page.waitForURL(/\/search\/\?q=ferry$/);
    assert.match(await page.getByRole("status").textContent(), /\d+ stor(y|ies) match/);
    const marks = await page.locator(".search-results mark").allTextContents();
    assert.ok(marks.length > 0 && marks.every((m) => /^ferr/i.test(m)), `marked: ${marks}`);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.equal(overflow, 0, "nothing wider than the screen");
    mkdirSync(SHOTS, { recursive: true });
    await page.screenshot({ path: join(SHOTS, `search-${width}.png`) });

    // Axe is injected as an inline script, which the page's policy refuses: a separate context.
    const audit = await chrome.browser.newContext({ viewport: { width, height: 900 }, bypassCSP: true });
    const auditPage = await audit.newPage();
    await auditPage.goto(page.url());
    await auditPage.addScriptTag({ content: AXE });
    const violations = await auditPage.evaluate(async () =>
      (await window.axe.run()).violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`),
    );
    assert.deepEqual(violations, []);
    await audit.close();

    const first = page.locator(".search-results h2 a").first();
    const title = (await first.textContent()).trim();
    await first.click();
    assert.equal((await page.locator("h1").first().textContent()).trim(), title);
    assert.deepEqual(errors, []);
    await context.close();
  });
}
