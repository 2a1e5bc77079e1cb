// Drives a real Firefox for tests/test_webextension_firefox.py: Python sends one JSON command per line on
// stdin, this answers one JSON line on stdout ({id, value} or {id, error}). Firefox is Debian's firefox-esr,
// driven by puppeteer-core over WebDriver BiDi (no driver binary, no downloaded browser). The extension is
// installed as a temporary add-on from the packed Firefox zip (BiDi webExtension.install, as about:debugging
// does), so it runs unsigned, with the permissions Firefox grants at install.
//
// Selectors may pierce the chips' shadow root with " >>> " ("[data-tagrec-root] >>> [data-tag]").

import { createInterface } from "node:readline";

import puppeteer from "puppeteer-core";

let browser = null;
const pages = new Map(); // id -> { page, errors }
let nextPage = 1;

const fn = (source) => new Function(`return (${source});`)();

// Runs in the page: the first element matching a selector that may pierce shadow roots with " >>> ".
const FIND = `(selector) => {
  const parts = selector.split(" >>> ");
  let found = [document];
  parts.forEach((part, i) => {
    found = found.flatMap((scope) => [...scope.querySelectorAll(part)]);
    if (i < parts.length - 1) found = found.map((el) => el.shadowRoot).filter(Boolean);
  });
  return found;
}`;

function pageOf(id) {
  const entry = pages.get(id);
  if (!entry) throw new Error(`no page ${id}`);
  return entry.page;
}

async function poll(check, timeout, what) {
  const deadline = Date.now() + timeout;
  for (;;) {
    const value = await check().catch(() => undefined); // a page between two documents answers nothing
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeout} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function newPage() {
  const page = await browser.newPage();
  page.setDefaultTimeout(15_000);
  const id = nextPage++;
  const errors = [];
  page.on("pageerror", (error) => errors.push(String(error && error.message)));
  pages.set(id, { page, errors });
  return { id, page };
}

const OPS = {
  async launch({ executablePath, extension, prefs }) {
    browser = await puppeteer.launch({
      browser: "firefox",
      executablePath,
      headless: true,
      // Lets the automation open moz-extension:// pages (the options page) by address; the extension itself
      // runs as it would for a user.
      args: ["--remote-allow-system-access"],
      extraPrefsFirefox: prefs,
    });
    const id = await browser.installExtension(extension);
    return { id, version: await browser.version() };
  },

  /** A new tab on `url`, answered with `body` (HTML); every other request but 127.0.0.1's is refused. */
  async open({ url, body }) {
    const { id, page } = await newPage();
    await page.setRequestInterception(true);
    page.on("request", (request) => {
      if (request.url() === url) request.respond({ status: 200, contentType: "text/html; charset=utf-8", body });
      else if (/^http:\/\/127\.0\.0\.1[:/]/.test(request.url())) request.continue();
      else request.abort();
    });
    await page.goto(url);
    return id;
  },

  /** A new tab on an extension page. BiDi's navigation to moz-extension:// never reports its end (the tab
   * changes process), so this waits for the document itself. */
  async openExtensionPage({ url }) {
    const { id, page } = await newPage();
    page.goto(url).catch(() => {});
    await poll(() => page.evaluate(
      (u) => location.href === u && document.readyState === "complete", url), 15_000, url);
    return id;
  },

  async evaluate({ page, source, arg }) {
    return pageOf(page).evaluate(fn(source), arg);
  },

  async waitFor({ page, source, arg, timeout = 10_000 }) {
    const p = pageOf(page);
    return poll(() => p.evaluate(fn(source), arg), timeout, source);
  },

  async waitForSelector({ page, selector, state = "attached", timeout = 10_000 }) {
    const p = pageOf(page);
    const want = state === "attached";
    await poll(async () => (await p.evaluate(`(${FIND})(${JSON.stringify(selector)}).length > 0`)) === want,
      timeout, `${selector} ${state}`);
    return null;
  },

  async count({ page, selector }) {
    return pageOf(page).evaluate(`(${FIND})(${JSON.stringify(selector)}).length`);
  },

  async attributes({ page, selector, name }) {
    return pageOf(page).evaluate(`(${FIND})(${JSON.stringify(selector)}).map((el) => el.getAttribute(${
      JSON.stringify(name)}))`);
  },

  /** A real click (BiDi input actions at the element's centre) on the first match. */
  async click({ page, selector }) {
    const p = pageOf(page);
    const handle = await p.evaluateHandle(`(${FIND})(${JSON.stringify(selector)})[0] || null`);
    const element = handle.asElement();
    if (!element) throw new Error(`nothing matches ${selector}`);
    await element.click();
    await handle.dispose();
    return null;
  },

  /** Key by key, as a person types (BiDi key actions). */
  async type({ page, text, delay = 5 }) {
    await pageOf(page).keyboard.type(text, { delay });
    return null;
  },

  async errors({ page }) {
    return pages.get(page).errors;
  },

  async closePage({ page }) {
    await pageOf(page).close();
    pages.delete(page);
    return null;
  },
};

async function shutdown() {
  if (browser) await browser.close().catch(() => {});
  browser = null;
}

const lines = createInterface({ input: process.stdin });
for await (const line of lines) {
  if (!line.trim()) continue;
  const { id, op, ...args } = JSON.parse(line);
  let answer;
  try {
    if (!OPS[op]) throw new Error(`unknown op ${op}`);
    answer = { id, value: (await OPS[op](args)) ?? null };
  } catch (error) {
    answer = { id, error: String((error && error.stack) || error) };
  }
  process.stdout.write(JSON.stringify(answer) + "\n");
}
await shutdown();
