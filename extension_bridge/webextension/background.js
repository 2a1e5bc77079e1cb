// The service worker: the only part of the extension that talks to the tagrec app. Content scripts and the
// options page send it messages; it reads the address, the token and the lowest score to show from
// chrome.storage.local (`bridgeUrl`, `token`, `minScore`: documented, so tests and power users may set them) and
// answers with the bridge's JSON.

import { BridgeError, createBridge, DEFAULT_URL, helloStatus, minScoreOf, STATUS } from "./lib/bridge.js";

async function bridge() {
  const { bridgeUrl, token } = await chrome.storage.local.get(["bridgeUrl", "token"]);
  return createBridge({ url: bridgeUrl || DEFAULT_URL, token: token || "", fetch: (...args) => fetch(...args) });
}

const HANDLERS = {
  async suggest({ draft }) {
    const { minScore } = await chrome.storage.local.get("minScore");
    return { ok: true, ...(await (await bridge()).suggest({ ...draft, min_score: minScoreOf(minScore) })) };
  },
  async feedback({ event }) {
    return { ok: true, ...(await (await bridge()).feedback(event)) };
  },
  async status() {
    const hello = await (await bridge()).hello();
    return { ok: true, status: helloStatus(hello), hello };
  },
};

chrome.runtime.onMessage.addListener((message, sender, reply) => {
  const handler = sender.id === chrome.runtime.id && message && HANDLERS[message.type];
  if (!handler) return false;
  handler(message).then(reply, (error) => {
    const known = error instanceof BridgeError;
    reply({ ok: false, status: known ? error.status : STATUS.offline, code: known ? error.code : "",
            message: String(error && error.message) });
  });
  return true; // the answer comes asynchronously
});
