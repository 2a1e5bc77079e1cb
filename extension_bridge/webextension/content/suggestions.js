// The suggestion loop every site shares: watch the page's typing (debounced, never while an input method is
// composing), ask the service worker for suggestions for the site's draft, show chips, and report what the
// user did. A site adapter says where the chips go, what the draft is, how a tag enters the page, and which
// suggestions fit.

import { retryDelay } from "../lib/bridge.js";
import { createChipBar } from "../lib/chips.js";
import { debounce, latestOnly } from "../lib/debounce.js";

export const DEBOUNCE_MS = 150;
export const MAX_CHIPS = 5;

/** The first element that matches one of `selectors`, tried in order (sites change markup: layered hooks). */
export function firstOf(document, selectors) {
  for (const selector of selectors) {
    const found = document.querySelector(selector);
    if (found) return found;
  }
  return null;
}

/**
 * Run suggestions on a page. `site` is the bridge's site word; `adapter` has:
 *   anchor(document) -> element the chips follow, or null (then nothing is shown: unknown markup)
 *   draft(document) -> { title, body, tags }   (what to suggest for; tags already chosen)
 *   insert(document, tag) -> boolean           (add the tag the way the page expects; false if it cannot)
 *   choices(suggestions, draft) -> suggestions (what fits the site's rules)
 *   request: extra fields for /v1/suggest (e.g. lang)
 */
export function runSuggestions(window, chrome, site, adapter) {
  const document = window.document;
  const item = `draft:${window.crypto.randomUUID()}`;
  const shown = new Set();
  const rejected = new Set();
  let composing = false;
  let bar = null;
  // After a failed request, the same draft is asked again (after the app's Retry-After, else 1 s, 2 s, 4 s...
  // at most 30 s) while the page is visible; any newer request cancels the retry.
  let retry = null;
  let attempt = 0;
  let retryWanted = false;

  const send = (message) =>
    new Promise((resolve) => chrome.runtime.sendMessage(message, (answer) => resolve(answer || { ok: false })));
  const ask = latestOnly((draft) => send({ type: "suggest", draft }), null);

  function chips() {
    const anchor = adapter.anchor(document);
    if (!anchor) return null;
    if (!bar || !bar.host.isConnected) {
      bar = createChipBar(document, anchor, {
        label: chrome.i18n.getMessage("chipsLabel") || "tagrec suggests",
        dismissLabel: chrome.i18n.getMessage("dismiss") || "Dismiss",
        onAccept: accept,
        onDismiss: dismiss,
      });
    }
    return bar;
  }

  function report(extra) {
    const draft = adapter.draft(document);
    send({ type: "feedback", event: { site, item, url: window.location.href, title: draft.title, body: draft.body,
                                      shown: [...shown], ...extra } });
  }

  function cancelRetry() {
    if (retry !== null) clearTimeout(retry);
    retry = null;
    retryWanted = false;
  }

  function scheduleRetry(key, retryAfter) {
    retryWanted = true;
    if (document.visibilityState === "hidden") return; // asked again when the page shows
    const delay = retryDelay(attempt, retryAfter);
    attempt += 1;
    retry = setTimeout(() => {
      retry = null;
      retryWanted = false;
      if (JSON.stringify(adapter.draft(document)) === key) refresh({ retrying: true });
    }, delay);
  }

  async function refresh({ retrying = false } = {}) {
    cancelRetry(); // a newer request supersedes a waiting retry
    if (!retrying) attempt = 0;
    if (composing) return; // the text is not final until the input method commits it
    const target = chips();
    if (!target) return;
    const draft = adapter.draft(document);
    if (!draft.title.trim() && !draft.body.trim()) {
      target.render([]);
      return;
    }
    const key = JSON.stringify(draft);
    const answer = await ask({ site, url: window.location.href, ...draft, limit: 8, ...(adapter.request || {}) });
    if (answer === null || composing) return; // a newer request is on its way, or typing resumed
    if (!answer.ok) {
      // The chips of an older draft go; a short note says the model is loading.
      target.state(answer.status === "loading" ? chrome.i18n.getMessage("statusLoading") : "");
      if (JSON.stringify(adapter.draft(document)) === key) scheduleRetry(key, answer.retryAfter);
      return;
    }
    attempt = 0;
    const visible = adapter
      .choices(answer.suggestions, adapter.draft(document))
      .filter((s) => !rejected.has(s.tag))
      .slice(0, MAX_CHIPS);
    for (const s of visible) shown.add(s.tag);
    target.render(visible);
  }

  const later = debounce(refresh, DEBOUNCE_MS);

  function accept(tag) {
    if (!adapter.insert(document, tag)) return;
    report({ accepted: [tag] });
    refresh();
  }

  function dismiss(tag) {
    rejected.add(tag);
    report({ rejected: [tag] });
    refresh();
  }

  document.addEventListener("compositionstart", () => {
    composing = true;
    later.cancel();
  }, true);
  document.addEventListener("compositionend", () => {
    composing = false;
    later.call();
  }, true);
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "hidden") {
      if (retry !== null) clearTimeout(retry);
      retry = null; // retryWanted stays: the page asks again when it shows
    } else if (retryWanted) {
      refresh({ retrying: true });
    }
  });
  document.addEventListener("input", (e) => {
    if (bar && e.composedPath().includes(bar.host)) return;
    if (!e.isComposing) later.call();
  }, true);
  later.call();
  return { report };
}
