// The options page (also the toolbar popup): connection status that tells the failures apart, the bridge
// address, pairing (the same code is shown here and in the app; the user approves in the app), and a debug
// report without secrets.

import { createBridge, DEFAULT_URL, helloStatus, STATUS } from "./lib/bridge.js";

const $ = (id) => document.getElementById(id);
const t = (key, ...args) => chrome.i18n.getMessage(key, args) || key;
const MESSAGES = {
  [STATUS.offline]: "statusOffline",
  [STATUS.foreign]: "statusForeign",
  [STATUS.unpaired]: "statusUnpaired",
  [STATUS.revoked]: "statusRevoked",
  [STATUS.version]: "statusVersion",
  [STATUS.permission]: "statusPermission",
  [STATUS.loading]: "statusLoading",
};
let last = { status: "", hello: null, error: "" };

async function settings() {
  const { bridgeUrl, token } = await chrome.storage.local.get(["bridgeUrl", "token"]);
  return { url: bridgeUrl || DEFAULT_URL, token: token || "" };
}

async function client() {
  return createBridge({ ...(await settings()), fetch: (...args) => fetch(...args) });
}

async function refresh() {
  let status;
  try {
    const hello = await (await client()).hello();
    status = helloStatus(hello);
    last = { status, hello, error: "" };
  } catch (error) {
    status = error.status || STATUS.offline;
    last = { status, hello: null, error: String(error.message) };
  }
  const box = $("status");
  box.dataset.status = status;
  box.textContent = status === STATUS.ready ? t("statusReady", last.hello.version) : t(MESSAGES[status]);
}

async function pair() {
  const bridge = await client();
  $("pairing").textContent = "";
  $("code").textContent = "";
  let started;
  try {
    started = await bridge.pair(navigator.userAgent.includes("Firefox") ? "Firefox" : "Chrome");
  } catch (error) {
    $("pairing").textContent = error.code === "pairing_closed" ? t("statusUnpaired") : String(error.message);
    return;
  }
  $("pairing").textContent = t("pairCode", started.code);
  $("code").textContent = started.code;
  const deadline = Date.now() + started.expires_in * 1000;
  while (Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 1000));
    let answer;
    try {
      answer = await bridge.pollPair(started.request);
    } catch {
      break;
    }
    if (answer.status === "approved") {
      await chrome.storage.local.set({ token: answer.token });
      $("pairing").textContent = t("pairDone");
      $("code").textContent = "";
      return refresh();
    }
    if (answer.status === "denied") {
      $("pairing").textContent = t("pairDenied");
      $("code").textContent = "";
      return;
    }
  }
}

async function report() {
  const { url, token } = await settings();
  const text = JSON.stringify({
    extension: chrome.runtime.getManifest().version,
    browser: navigator.userAgent,
    bridgeUrl: url,
    hasToken: Boolean(token),
    status: last.status,
    hello: last.hello,
    error: last.error,
  }, null, 2);
  await navigator.clipboard.writeText(text);
  $("copied").textContent = t("copied");
}

for (const el of document.querySelectorAll("[data-i18n]")) el.textContent = t(el.dataset.i18n);
settings().then(({ url }) => { $("url").value = url; });
$("save").addEventListener("click", async () => {
  await chrome.storage.local.set({ bridgeUrl: $("url").value.trim() || DEFAULT_URL });
  refresh();
});
$("pair").addEventListener("click", pair);
$("report").addEventListener("click", report);
refresh();
