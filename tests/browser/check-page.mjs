// Loads a page in Debian's headless Chromium and reports, as JSON on stdout, what a test needs to judge it:
// console errors, page errors, failed requests, counts of elements per CSS selector, the text of selected elements,
// and a full-page screenshot. Usage:
//   node check-page.mjs URL SCREENSHOT.png [--count SELECTOR ...] [--text SELECTOR ...] [--fill SELECTOR=VALUE ...]
//                       [--click SELECTOR] [--wait SELECTOR] [--file SELECTOR=PATH[\nPATH...]] [--select SELECTOR=VALUE]
//                       [--basic USER:PASSWORD]
// The actions (--fill, --click, --wait, --file, --select) run in the order given; counts and texts are taken after them.
// --file sets a file input's files (several paths separated by newlines); --select picks an option of a select.
// --basic answers the server's HTTP Basic challenge as a user typing into the browser's sign-in prompt.
import { chromium } from "playwright-core";

const [url, screenshot, ...rest] = process.argv.slice(2);
if (!url || !screenshot) {
  console.error("usage: node check-page.mjs URL SCREENSHOT.png [--count SEL] [--text SEL] [--fill SEL=VALUE] [--click SEL] [--wait SEL]");
  process.exit(2);
}

const counts = [], texts = [], actions = [], basic = [];
for (let i = 0; i < rest.length; i += 2) {
  const [flag, value] = [rest[i], rest[i + 1]];
  if (["--fill", "--click", "--wait", "--file", "--select"].includes(flag)) actions.push([flag, value]);
  else ({ "--count": counts, "--text": texts, "--basic": basic })[flag]?.push(value);
}
// "SELECTOR=VALUE" split at the first "=".
const pair = spec => [spec.slice(0, spec.indexOf("=")), spec.slice(spec.indexOf("=") + 1)];

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"],
});
const result = { consoleErrors: [], pageErrors: [], failedRequests: [], counts: {}, texts: {} };
// The result is taken before the browser closes: closing aborts the page's pending requests (a model list still loading
// after the awaited selector appeared), which would otherwise be reported as failed requests of the page.
let output;
try {
  const credentials = basic.length ? { username: basic[0].slice(0, basic[0].indexOf(":")), password: basic[0].slice(basic[0].indexOf(":") + 1) } : undefined;
  const page = await browser.newPage({ viewport: { width: 1100, height: 900 }, httpCredentials: credentials });
  page.setDefaultTimeout(60000);  // every action and the navigation: 2 busy cores can take 15 s (see --wait)
  page.on("console", m => { if (m.type() === "error") result.consoleErrors.push(m.text()); });
  page.on("pageerror", e => result.pageErrors.push(String(e)));
  page.on("requestfailed", r => result.failedRequests.push(`${r.url()} ${r.failure()?.errorText ?? ""}`));
  await page.goto(url, { waitUntil: "load" });
  for (const [flag, value] of actions) {
    if (flag === "--fill") await page.fill(...pair(value));
    else if (flag === "--click") await page.click(value);
    else if (flag === "--wait") await page.waitForSelector(value, { timeout: 60000 });  // returns as soon as it appears; 2 busy cores can take 15 s
    else if (flag === "--file") { const [selector, paths] = pair(value); await page.setInputFiles(selector, paths.split("\n")); }
    else await page.selectOption(...pair(value));
  }
  for (const selector of counts) result.counts[selector] = await page.locator(selector).count();
  for (const selector of texts) result.texts[selector] = (await page.locator(selector).allInnerTexts()).join("\n");
  await page.screenshot({ path: screenshot, fullPage: true });
  output = JSON.stringify(result);
} finally {
  await browser.close();
}
console.log(output);
