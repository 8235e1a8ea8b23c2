// Drives Debian's chromium through the workbench, as a reader would, and
// through the XSS corpus, watching for the two things that must never
// happen: a script running (a dialog, or any request it would make) and a
// request to any host but the server.
//
//   node run.mjs BASE_URL SHOTS_DIR
//
// Prints what failed and exits 1; takes screenshots into SHOTS_DIR.
import { chromium } from "playwright-core";

const [base, shots] = process.argv.slice(2);
const origin = new URL(base).origin;
const failures = [];
const fail = (what) => { failures.push(what); console.error("FAIL: " + what); };

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: ["--no-sandbox"],
});
const context = await browser.newContext({ viewport: { width: 1280, height: 1000 } });
context.setDefaultTimeout(10000);
// Every request of every page and frame: only the server may be asked.
// (Observed, not intercepted: interception changes how chromium navigates
// out of a page with a sandboxed frame. This machine has no route out, so
// such a request fails anyway; what matters is that it was attempted.)
context.on("request", (req) => {
  const url = req.url();
  if (!(url.startsWith(origin + "/") || url === origin)) fail(`request to another host: ${url}`);
});
const page = await context.newPage();
page.on("dialog", async (d) => { fail(`a script ran: dialog "${d.message()}" on ${page.url()}`); await d.dismiss(); });
page.on("popup", (p) => fail(`a popup opened: ${p.url()}`));

async function step(name, f) {
  try { await f(); } catch (e) { fail(`${name}: ${e.message.split("\n")[0]} (at ${page.url()})`); }
}

// 1. A reader's path: search, open a message, read its evidence, follow
//    its thread, tag it.
await step("dashboard", async () => {
  await page.goto(base + "/");
  await page.getByRole("heading", { name: /messages$/ }).first().waitFor();
  await page.screenshot({ path: `${shots}/dashboard.png`, fullPage: true });
});
await step("search", async () => {
  await page.getByLabel("search").fill("budget has:attachment");
  await page.getByRole("button", { name: "Search" }).click();
  await page.waitForURL(/\/search\?q=budget/);
  const hits = await page.locator("li.hit").count();
  if (hits === 0) throw new Error("no result for budget has:attachment");
  if (await page.locator("li.hit mark").count() === 0) throw new Error("no highlighted word in the snippets");
  await page.screenshot({ path: `${shots}/search.png`, fullPage: true });
});
await step("message and evidence", async () => {
  await page.goto(base + "/search?q=verdict%3Aauthentic");
  await page.locator("li.hit a.subject").first().click();
  await page.waitForURL(/\/m\/[0-9a-f]{64}$/);
  await page.getByRole("heading", { name: /Verdict/ }).waitFor();
  const text = await page.locator("section.verdict-box").innerText();
  if (!/Signature 1/.test(text) || !/Body hash: matches/.test(text)) throw new Error(`no evidence shown: ${text}`);
  await page.screenshot({ path: `${shots}/message.png`, fullPage: true });
});
const messageUrl = page.url();
await step("thread", async () => {
  // Follow the message's thread link (by its address: a click can land
  // while the body frame is still loading on a busy machine).
  const href = await page.locator('main a[href^="/t/"]').last().getAttribute("href");
  if (!/^\/t\/[0-9a-f]+$/.test(href || "")) throw new Error(`no thread link: ${href}`);
  await page.goto(base + href);
  const n = await page.locator("ul.thread li").count();
  if (n === 0) throw new Error("empty thread");
  await page.screenshot({ path: `${shots}/thread.png`, fullPage: true });
});
await step("tag", async () => {
  await page.goto(messageUrl);
  await page.getByLabel("tag").fill("à vérifier");
  await page.getByRole("button", { name: "Add tag" }).click();
  await page.waitForURL(messageUrl);
  await page.locator("span.tag", { hasText: "à vérifier" }).waitFor();
  await page.goto(base + "/tags");
  await page.locator("span.tag", { hasText: "à vérifier" }).waitFor();
});

// A word no browser can break wraps inside the results, never widening
// the page (it would scroll sideways).
await step("long lines wrap", async () => {
  await page.goto(base + "/search?q=from%3Along%40outside.example");
  await page.locator("li.hit").first().waitFor();
  const [scroll, client] = await page.evaluate(() =>
    [document.documentElement.scrollWidth, document.documentElement.clientWidth]);
  if (scroll > client) throw new Error(`the results page is ${scroll}px wide in a ${client}px window`);
  await page.screenshot({ path: `${shots}/long-lines.png`, fullPage: true });
});

// 2. The XSS corpus: every hostile message, its page and its body frame.
await step("xss corpus", async () => {
  await page.goto(base + "/search?q=xss&limit=100");
  const links = await page.locator("li.hit a.subject").evaluateAll((as) => as.map((a) => a.href));
  if (links.length < 8) throw new Error(`expected the 8 XSS messages, found ${links.length}`);
  for (const href of links) {
    await page.goto(href);
    const frame = page.frameLocator("iframe.body");
    await frame.locator("body").waitFor();
    // Hover and click what an attacker would want clicked or hovered.
    await frame.locator("body *").first().hover({ timeout: 1000 }).catch(() => {});
    await page.waitForTimeout(200);
    await page.goto(href + "/body");
    await page.waitForTimeout(100);
  }
  await page.goto(links[0]);
  await page.frameLocator("iframe.body").locator("body").waitFor();
  await page.screenshot({ path: `${shots}/xss-message.png`, fullPage: true });
});

await browser.close();
if (failures.length) {
  console.error(`${failures.length} failure(s)`);
  process.exit(1);
}
console.log("browser: all steps passed");
