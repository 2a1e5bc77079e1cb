// The options page (also the toolbar popup): connection status that tells the failures apart, the bridge
// address, pairing (the same code is shown here and in the app; the user approves in the app), and a debug
// report without secrets.

import { bridgeUrlOf, createBridge, DEFAULT_URL, helloStatus, MIN_SCORES, minScoreOf, STATUS } from "./lib/bridge.js";

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
  [STATUS.busy]: "statusBusy",
  [STATUS.unresponsive]: "statusUnresponsive",
  [STATUS.address]: "statusAddress",
  [STATUS.problem]: "statusProblem",
};
// What the extension needs to reach: tagrec's address (host_permissions) and the pages its content scripts
// read. Chrome grants them at install. Firefox's Manifest V3 leaves them to the user: granted at install since
// Firefox 127, revocable in about:addons (and withheld on 121-126), so this page checks them and asks.
const MANIFEST = chrome.runtime.getManifest();
const NEEDED = [...(MANIFEST.host_permissions || []), ...MANIFEST.content_scripts.flatMap((s) => s.matches)];
let missing = [];
let last = { status: "", hello: null, error: "" };

async function settings() {
  const { bridgeUrl, token } = await chrome.storage.local.get(["bridgeUrl", "token"]);
  return { url: bridgeUrl || DEFAULT_URL, token: token || "" };
}

async function client() {
  return createBridge({ ...(await settings()), fetch: (...args) => fetch(...args) });
}

/** The needed origins the browser does not grant now. */
async function missingOrigins() {
  const granted = await Promise.all(NEEDED.map((origin) => chrome.permissions.contains({ origins: [origin] })));
  return NEEDED.filter((_, i) => !granted[i]);
}

async function refresh() {
  let status;
  try {
    const hello = await (await client()).hello();
    status = helloStatus(hello);
    last = { status, hello, error: "" };
  } catch (error) {
    status = error.status || STATUS.offline;
    last = { status, hello: null, error: [error.code, error.message].filter(Boolean).join(": ") };
  }
  // A missing permission comes first: without it the browser may block the bridge (an unpaired Firefox gets
  // a bare network error, which would read as "not running") or never run the extension on the sites.
  missing = await missingOrigins();
  if (missing.length) status = last.status = STATUS.permission;
  $("access").hidden = !missing.length;
  $("missing").textContent = missing.length ? t("accessMissing", missing.map((o) => o.split("/")[2]).join(", ")) : "";
  const box = $("status");
  box.dataset.status = status;
  if (status === STATUS.ready && last.hello) box.textContent = t("statusReady", String(last.hello.version || ""));
  else box.textContent = t(MESSAGES[status] || "statusProblem", last.error || "?");
}

async function pair() {
  // One request at a time: a second one would show its code while the app asks about the first, and both
  // could be approved (a second token, orphaned).
  $("pair").disabled = true;
  try {
    await pairOnce();
  } finally {
    $("pair").disabled = false;
  }
}

/** What to tell the user when a pairing request fails: the status's message (in the user's language). */
function pairingError(error) {
  if (error.code === "pairing_closed") return t("statusUnpaired");
  return t(MESSAGES[error.status] || "statusProblem", [error.code, error.message].filter(Boolean).join(": "));
}

async function pairOnce() {
  const { token: previous } = await settings();
  const bridge = await client();
  $("pairing").textContent = "";
  $("code").textContent = "";
  let started;
  try {
    started = await bridge.pair(navigator.userAgent.includes("Firefox") ? "Firefox" : "Chrome");
  } catch (error) {
    $("pairing").textContent = pairingError(error);
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
      break; // expired, collected, or the app went away: said below
    }
    if (answer.status === "approved") {
      await chrome.storage.local.set({ token: answer.token });
      if (previous) {
        // The old token would stay valid in the app, unused: give it back (the app may no longer know it).
        const old = createBridge({ ...(await settings()), token: previous, fetch: (...args) => fetch(...args) });
        await old.unpair().catch(() => {});
      }
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
  $("pairing").textContent = t("pairExpired");
  $("code").textContent = "";
  return refresh();
}

async function report() {
  const { url, token } = await settings();
  const text = JSON.stringify({
    extension: chrome.runtime.getManifest().version,
    browser: navigator.userAgent,
    bridgeUrl: url,
    hasToken: Boolean(token),
    missingPermissions: missing,
    status: last.status,
    hello: last.hello,
    error: last.error,
  }, null, 2);
  await navigator.clipboard.writeText(text);
  $("copied").textContent = t("copied");
}

/** The choices of the lowest score to show, the stored one (or the default) selected; a change is saved at once. */
async function minScoreChoices() {
  const select = $("minScore");
  const { minScore } = await chrome.storage.local.get("minScore");
  const current = minScoreOf(minScore);
  const choices = MIN_SCORES.includes(current) ? MIN_SCORES : [...MIN_SCORES, current].sort((a, b) => a - b);
  select.replaceChildren(...choices.map((score) => {
    const option = document.createElement("option");
    option.value = String(score);
    option.textContent = score === 0 ? t("minScoreAll") : `${Math.round(score * 1000) / 10}%`;
    option.selected = score === current;
    return option;
  }));
  select.addEventListener("change", () => chrome.storage.local.set({ minScore: Number(select.value) }));
}

document.documentElement.lang = chrome.i18n.getUILanguage(); // screen readers read the texts in their language
for (const el of document.querySelectorAll("[data-i18n]")) el.textContent = t(el.dataset.i18n);
settings().then(({ url }) => { $("url").value = url; });
minScoreChoices();
$("save").addEventListener("click", async () => {
  const url = $("url").value.trim() ? bridgeUrlOf($("url").value) : DEFAULT_URL;
  $("urlError").textContent = url ? "" : t("urlInvalid");
  if (!url) return; // the address in use stays as it was
  $("url").value = url;
  await chrome.storage.local.set({ bridgeUrl: url });
  refresh();
});
$("pair").addEventListener("click", pair);
$("grant").addEventListener("click", () => {
  // Firefox accepts a request only while it handles the click: ask before awaiting anything.
  chrome.permissions.request({ origins: missing }).then(refresh, (error) => {
    $("missing").textContent = String(error.message);
  });
});
$("report").addEventListener("click", report);
refresh();
