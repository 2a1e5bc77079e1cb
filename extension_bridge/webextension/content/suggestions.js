// The suggestion loop every site shares: watch the page's typing (debounced, never while an input method is
// composing), ask the service worker for suggestions for the site's draft, show chips, and report what the
// user did. A site adapter says where the chips go, what the draft is, how a tag enters the page, and which
// suggestions fit.
//
// The chips never stand for long for a text they were not suggested for: when the answer for the text as it is
// now is late (tagrec busy, or hanging: a request may take up to its 10 s timeout), the bar says it is waiting
// instead, then that tagrec does not answer, and the chips come back with tagrec's next answer.

import { retryDelay } from "../lib/bridge.js";
import { createChipBar } from "../lib/chips.js";
import { debounce } from "../lib/debounce.js";

export const DEBOUNCE_MS = 150;
export const MAX_CHIPS = 5;
// How long the answer for a changed text may take before the chips of the older text give way to a note (ms).
// Answers take milliseconds; waiting a little spares the bar a flicker when one is only slow.
export const LATE_MS = 1500;

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
  // What the bar shows: chips (`chipsFor`: the draft, as JSON, they were suggested for) or a note (`note`).
  let chips = [];
  let chipsFor = null;
  let note = "";
  let asked = 0; // refreshes so far: only the newest one's answer is shown
  let late = null; // the timer that fires when the newest request's answer is late
  // After a failed request, the same draft is asked again (after the app's Retry-After, else 1 s, 2 s, 4 s...
  // at most 30 s) while the page is visible; any newer request cancels the retry.
  let retry = null;
  let attempt = 0;
  let retryWanted = false;

  const send = (message) =>
    new Promise((resolve) => chrome.runtime.sendMessage(message, (answer) => resolve(answer || { ok: false })));
  const keyOf = (draft) => JSON.stringify(draft);

  function barOrNull() {
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

  /** Show `suggestions` as chips, suggested for the draft `key`. */
  function showChips(target, suggestions, key) {
    target.render(suggestions);
    chips = suggestions;
    chipsFor = key;
    note = "";
  }

  /** Show a note instead of chips ("": nothing). */
  function showNote(target, text) {
    target.state(text);
    chips = [];
    chipsFor = null;
    note = text;
  }

  /** The note for a failed request: what the user may want to know (loading, not answering), else nothing. */
  function failureNote(status) {
    if (status === "loading") return chrome.i18n.getMessage("statusLoading") || "tagrec is loading its model…";
    if (status === "unresponsive") {
      return chrome.i18n.getMessage("statusUnresponsive") || "tagrec does not answer. Restart the tagrec app.";
    }
    return "";
  }

  /** A request is on its way: unless it is answered within LATE_MS (or a newer one's is), `answerLate` runs. */
  function expectAnswer() {
    if (late === null) late = setTimeout(answerLate, LATE_MS);
  }

  function answered() {
    if (late !== null) clearTimeout(late);
    late = null;
  }

  function answerLate() {
    late = null;
    const target = barOrNull();
    if (!target) return;
    if (note) return; // already a note: "waiting", or about tagrec itself (loading, not answering) until it answers
    if (chipsFor !== null && chipsFor === keyOf(adapter.draft(document))) return; // the chips are for this text
    showNote(target, chrome.i18n.getMessage("chipsWaiting") || "Waiting for tagrec…");
  }

  /**
   * Take the chip of `tag` off the bar at once (accepted or dismissed): tagrec's next answer may be late. The
   * other chips stay for the text they were suggested for; when that was the text just before the chip's own
   * change (`before`: accepting on Weibo writes the tag into the post), they count as the text's now.
   */
  function drop(tag, before) {
    if (!bar || chipsFor === null) return;
    const current = chipsFor === before ? keyOf(adapter.draft(document)) : chipsFor;
    showChips(bar, chips.filter((s) => s.tag !== tag), current);
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
      if (keyOf(adapter.draft(document)) === key) refresh({ retrying: true });
    }, delay);
  }

  async function refresh({ retrying = false } = {}) {
    const mine = ++asked; // an older request still on its way is no longer shown
    cancelRetry(); // a newer request supersedes a waiting retry
    if (!retrying) attempt = 0;
    const target = composing ? null : barOrNull(); // while an input method composes, the text is not final
    if (!target) {
      answered(); // no request of ours is on its way now: nothing is late
      return;
    }
    const draft = adapter.draft(document);
    const key = keyOf(draft);
    if (!draft.title.trim() && !draft.body.trim()) {
      answered();
      showChips(target, [], key);
      return;
    }
    expectAnswer(); // not restarted by each newer request: typing on does not keep older chips up
    const request = { site, url: window.location.href, ...draft, limit: 8, ...(adapter.request || {}) };
    const answer = await send({ type: "suggest", draft: request });
    if (mine !== asked) return; // a newer request is on its way (its answer ends the wait), or none is wanted
    answered();
    if (composing) return; // typing resumed: its end asks again
    if (!answer.ok) {
      // The chips of an older draft go; a short note says why when it helps (loading, not answering).
      showNote(target, failureNote(answer.status));
      if (keyOf(adapter.draft(document)) === key) scheduleRetry(key, answer.retryAfter);
      return;
    }
    attempt = 0;
    const visible = adapter
      .choices(answer.suggestions, adapter.draft(document))
      .filter((s) => !rejected.has(s.tag))
      .slice(0, MAX_CHIPS);
    for (const s of visible) shown.add(s.tag);
    showChips(target, visible, key);
  }

  const later = debounce(refresh, DEBOUNCE_MS);

  function accept(tag) {
    const before = keyOf(adapter.draft(document));
    if (!adapter.insert(document, tag)) return;
    report({ accepted: [tag] });
    drop(tag, before);
    refresh();
  }

  function dismiss(tag) {
    rejected.add(tag);
    report({ rejected: [tag] });
    drop(tag, keyOf(adapter.draft(document)));
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
