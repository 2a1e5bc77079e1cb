// Weibo's composer: suggest topics while the user writes, insert `#话题#` at the caret in one operation through
// the page's own input events, wait while an input method is composing, never add a topic already in the text.
// All traffic goes through the service worker. Field hooks: field-notes §4.

import { createChipBar } from "../lib/chips.js";
import { debounce, latestOnly } from "../lib/debounce.js";
import { topicsIn, weiboTopic } from "../lib/tags.js";

export const DEBOUNCE_MS = 150;
const SITE = "weibo";
const COMPOSER = [
  'textarea[placeholder^="有什么新鲜事"]',
  'textarea[class*="Form_input"]',
  'textarea.W_input[node-type="textEl"]',
];
const MAX_TEXT_CHARS = 2000;

function composer(document) {
  for (const selector of COMPOSER) {
    const found = document.querySelector(selector);
    if (found) return found;
  }
  return null;
}

/** Insert `topic` at the caret (replacing a selection) as one edit the page hears about. */
export function insertTopic(textarea, topic) {
  if (!topic || topicsIn(textarea.value).includes(topic.slice(1, -1))) return false;
  const start = textarea.selectionStart ?? textarea.value.length;
  const end = textarea.selectionEnd ?? start;
  const before = textarea.value.slice(0, start);
  const spaced = (before && !/\s$/.test(before) ? " " : "") + topic + " ";
  textarea.focus();
  textarea.setRangeText(spaced, start, end, "end");
  textarea.dispatchEvent(new InputEvent("input", { bubbles: true, inputType: "insertText", data: spaced }));
  return true;
}

export function start(window, chrome) {
  const document = window.document;
  const item = `draft:${window.crypto.randomUUID()}`;
  const shown = new Set();
  const rejected = new Set();
  let composing = false;
  let bar = null;
  let field = null;

  const send = (message) =>
    new Promise((resolve) => chrome.runtime.sendMessage(message, (answer) => resolve(answer || { ok: false })));
  const ask = latestOnly((draft) => send({ type: "suggest", draft }), null);

  function ensureBar() {
    field = composer(document);
    if (!field) return null;
    if (!bar || !bar.host.isConnected) {
      bar = createChipBar(document, field, {
        label: chrome.i18n.getMessage("chipsLabel") || "tagrec suggests",
        dismissLabel: chrome.i18n.getMessage("dismiss") || "Dismiss",
        onAccept: accept,
        onDismiss: dismiss,
      });
    }
    return bar;
  }

  function event(extra) {
    return { site: SITE, item, url: window.location.href, body: field ? field.value.slice(0, MAX_TEXT_CHARS) : "",
             shown: [...shown], ...extra };
  }

  async function refresh() {
    if (composing) return; // the text is not final until the input method commits it
    const target = ensureBar();
    if (!target) return;
    const text = field.value;
    if (!text.trim()) {
      target.render([]);
      return;
    }
    const answer = await ask({ site: SITE, url: window.location.href, title: "", body: text.slice(0, MAX_TEXT_CHARS),
                               tags: topicsIn(text), lang: "zh", limit: 8 });
    if (answer === null || composing) return;
    if (!answer.ok) {
      target.state(answer.status === "loading" ? chrome.i18n.getMessage("statusLoading") : "");
      return;
    }
    const present = new Set(topicsIn(field.value));
    const visible = answer.suggestions
      .filter((s) => weiboTopic(s.tag) && !present.has(s.tag) && !rejected.has(s.tag))
      .slice(0, 5);
    for (const s of visible) shown.add(s.tag);
    target.render(visible);
  }

  const later = debounce(refresh, DEBOUNCE_MS);

  function accept(tag) {
    if (!field || !insertTopic(field, weiboTopic(tag))) return;
    send({ type: "feedback", event: event({ accepted: [tag] }) });
    refresh();
  }

  function dismiss(tag) {
    rejected.add(tag);
    send({ type: "feedback", event: event({ rejected: [tag] }) });
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
  document.addEventListener("input", (e) => {
    if (bar && e.composedPath().includes(bar.host)) return;
    if (!e.isComposing) later.call();
  }, true);
  later.call();
}
