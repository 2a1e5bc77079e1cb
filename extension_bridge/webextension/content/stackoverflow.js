// Stack Overflow's Ask page: read the draft, show suggestions next to the tag editor, add a clicked tag
// through the page's own tag editor, and tell tagrec what the user did. All traffic goes through the
// service worker (content scripts never call localhost). Field hooks: field-notes §4.

import { debounce, latestOnly } from "../lib/debounce.js";
import { createChipBar } from "../lib/chips.js";
import { stackOverflowChoices, stackOverflowTag } from "../lib/tags.js";

export const DEBOUNCE_MS = 150;
const MAX_BODY_CHARS = 4000; // enough to suggest from; the rest of a long draft stays in the page
const SITE = "stackoverflow";

const TITLE = ["#title", "#post-title-input"];
const BODY = ["textarea#wmd-input", 'textarea[name="post-text"]'];
const BODY_EDITOR = [".js-stacks-editor-container [role=textbox]", "#problem-details [role=textbox]"];
const TAG_INPUT = ["#tageditor-replacing-tagnames--input", ".js-tag-editor input[type=text]"];

function first(document, selectors) {
  for (const selector of selectors) {
    const found = document.querySelector(selector);
    if (found) return found;
  }
  return null;
}

/** The draft as the page holds it now: title, body, tags already chosen. */
export function readDraft(document) {
  const title = first(document, TITLE);
  const body = first(document, BODY);
  const editor = body ? null : first(document, BODY_EDITOR);
  const chips = [...document.querySelectorAll(".js-tag-editor .s-tag")].map((el) => el.textContent.trim());
  const hidden = document.querySelector("#tagnames");
  const tags = chips.length ? chips : (hidden && hidden.value ? hidden.value.split(/\s+/) : []);
  return {
    title: title ? title.value : "",
    body: (body ? body.value : editor ? editor.textContent : "").slice(0, MAX_BODY_CHARS),
    tags: tags.map(stackOverflowTag).filter(Boolean),
  };
}

/** Add a tag the way a person does: type it into the tag editor's input and press Enter. */
export function addTag(document, tag) {
  const input = first(document, TAG_INPUT);
  if (!input) return false;
  const setter = Object.getOwnPropertyDescriptor(Object.getPrototypeOf(input), "value").set;
  input.focus();
  setter.call(input, tag);
  input.dispatchEvent(new Event("input", { bubbles: true }));
  for (const type of ["keydown", "keypress", "keyup"]) {
    input.dispatchEvent(new KeyboardEvent(type, { key: "Enter", code: "Enter", keyCode: 13, which: 13, bubbles: true }));
  }
  return true;
}

export function start(window, chrome) {
  const document = window.document;
  const item = `draft:${window.crypto.randomUUID()}`;
  const shown = new Set();
  const rejected = new Set();
  let bar = null;

  const send = (message) =>
    new Promise((resolve) => chrome.runtime.sendMessage(message, (answer) => resolve(answer || { ok: false })));
  const ask = latestOnly((draft) => send({ type: "suggest", draft }), null);

  function ensureBar() {
    const anchor = document.querySelector(".js-tag-editor") || first(document, TAG_INPUT);
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

  function event(extra) {
    const draft = readDraft(document);
    return { site: SITE, item, url: window.location.href, title: draft.title, body: draft.body,
             shown: [...shown], ...extra };
  }

  async function refresh() {
    const draft = readDraft(document);
    const target = ensureBar();
    if (!target) return;
    if (!draft.title.trim() && !draft.body.trim()) {
      target.render([]);
      return;
    }
    const answer = await ask({ site: SITE, url: window.location.href, ...draft, limit: 8 });
    if (answer === null) return; // a newer request is on its way
    if (!answer.ok) {
      target.state(answer.status === "loading" ? chrome.i18n.getMessage("statusLoading") : "");
      return;
    }
    const choices = stackOverflowChoices(answer.suggestions, draft.tags).filter((s) => !rejected.has(s.tag));
    const visible = choices.slice(0, 5);
    for (const s of visible) shown.add(s.tag);
    target.render(visible);
  }

  const later = debounce(refresh, DEBOUNCE_MS);

  function accept(tag) {
    if (!addTag(document, tag)) return;
    send({ type: "feedback", event: event({ accepted: [tag] }) });
    refresh();
  }

  function dismiss(tag) {
    rejected.add(tag);
    send({ type: "feedback", event: event({ rejected: [tag] }) });
    refresh();
  }

  document.addEventListener("input", (e) => {
    if (bar && e.composedPath().includes(bar.host)) return;
    later.call();
  }, true);
  document.addEventListener("submit", () => {
    const final = readDraft(document).tags;
    if (final.length) send({ type: "feedback", event: event({ final }) });
  }, true);
  later.call();
}
