// The service worker: the only part of the extension that talks to the tagrec app. Content scripts and the
// options page send it messages; it reads the address, the token and the lowest score to show from
// chrome.storage.local (`bridgeUrl`, `token`, `minScore`: documented, so tests and power users may set them) and
// answers with the bridge's JSON.
//
// Feedback the app could not take (offline, loading, busy) waits in chrome.storage.local (`outbox`; the browser
// may stop this worker at any time, so not in memory) and is sent again, in order, after the next answer from
// the app and on an alarm while anything waits.

import { BridgeError, createBridge, DEFAULT_URL, helloStatus, minScoreOf, STATUS } from "./lib/bridge.js";
import { createOutbox } from "./lib/outbox.js";

const OUTBOX_KEY = "outbox";
const OUTBOX_ALARM = "outbox";

async function bridge() {
  const { bridgeUrl, token } = await chrome.storage.local.get(["bridgeUrl", "token"]);
  return createBridge({ url: bridgeUrl || DEFAULT_URL, token: token || "", fetch: (...args) => fetch(...args) });
}

const outbox = createOutbox({
  load: async () => (await chrome.storage.local.get(OUTBOX_KEY))[OUTBOX_KEY] || [],
  save: async (queue) => {
    if (queue.length) {
      await chrome.storage.local.set({ [OUTBOX_KEY]: queue });
      // Chrome runs alarms at most every 30 s; the next answer from the app flushes sooner.
      if (!(await chrome.alarms.get(OUTBOX_ALARM))) chrome.alarms.create(OUTBOX_ALARM, { periodInMinutes: 0.5 });
    } else {
      await chrome.storage.local.remove(OUTBOX_KEY);
      await chrome.alarms.clear(OUTBOX_ALARM);
    }
  },
  send: async (event) => (await bridge()).feedback(event),
});

/** The app answered: send what waits (in the background; the caller does not wait for it). */
function answered() {
  outbox.flush().catch(() => {});
}

const HANDLERS = {
  async suggest({ draft }) {
    const { minScore } = await chrome.storage.local.get("minScore");
    const answer = await (await bridge()).suggest({ ...draft, min_score: minScoreOf(minScore) });
    answered();
    return { ok: true, suggestions: answer.suggestions };
  },
  async feedback({ event }) {
    const result = await outbox.deliver(event);
    if (result.dropped) throw result.error;
    return { ok: true, queued: Boolean(result.queued) };
  },
  async status() {
    const hello = await (await bridge()).hello();
    const status = helloStatus(hello);
    if (status === STATUS.ready) answered();
    return { ok: true, status, hello };
  },
};

chrome.alarms.onAlarm.addListener((alarm) => {
  if (alarm.name === OUTBOX_ALARM) answered();
});

chrome.runtime.onMessage.addListener((message, sender, reply) => {
  const handler = sender.id === chrome.runtime.id && message && HANDLERS[message.type];
  if (!handler) return false;
  handler(message).then(reply, (error) => {
    const known = error instanceof BridgeError;
    reply({ ok: false, status: known ? error.status : STATUS.offline, code: known ? error.code : "",
            retryAfter: known ? error.retryAfter : null, message: String(error && error.message) });
  });
  return true; // the answer comes asynchronously
});
