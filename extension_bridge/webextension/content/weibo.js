// Weibo's composer: the draft is the text; chips follow the composer; a clicked topic enters as `#话题#` at
// the caret in one edit the page hears about; a topic already in the text is never offered again.
// Field hooks: field-notes §4.

import { topicsIn, weiboTopic } from "../lib/tags.js";
import { firstOf, runSuggestions } from "./suggestions.js";

const COMPOSER = [
  'textarea[placeholder^="有什么新鲜事"]',
  'textarea[class*="Form_input"]',
  'textarea.W_input[node-type="textEl"]',
];
const MAX_TEXT_CHARS = 2000;

function composer(document) {
  return firstOf(document, COMPOSER);
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

function readDraft(document) {
  const text = composer(document)?.value || "";
  return { title: "", body: text.slice(0, MAX_TEXT_CHARS), tags: topicsIn(text) };
}

export function start(window, chrome) {
  runSuggestions(window, chrome, "weibo", {
    anchor: composer,
    draft: readDraft,
    insert: (document, tag) => {
      const field = composer(document);
      return Boolean(field) && insertTopic(field, weiboTopic(tag));
    },
    choices: (suggestions, draft) => suggestions.filter((s) => weiboTopic(s.tag) && !draft.tags.includes(s.tag)),
    request: { lang: "zh" },
  });
}
