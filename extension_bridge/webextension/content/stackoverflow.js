// Stack Overflow's Ask page: the draft is the title, the body and the tags already chosen; chips follow the
// tag editor; a clicked tag enters through the page's own tag editor; the final tags are reported when the
// question is posted. Field hooks: field-notes §4.

import { stackOverflowChoices, stackOverflowTag } from "../lib/tags.js";
import { firstOf as first, runSuggestions } from "./suggestions.js";

const MAX_BODY_CHARS = 4000; // enough to suggest from; the rest of a long draft stays in the page
const MAX_TITLE_CHARS = 2000; // the bridge's limit (a longer title would get no suggestions at all)
const TITLE = ["#title", "#post-title-input"];
const BODY = ["textarea#wmd-input", 'textarea[name="post-text"]'];
// The newer editor's surface; the guided form splits the body into two such editors ("what are the details of
// your problem?", "what did you try and what were you expecting?"), read together in page order.
const BODY_EDITORS = [
  ".js-stacks-editor-container [role=textbox]",
  "#problem-details [role=textbox]",
  "#problem-results [role=textbox]",
].join(", ");
const TAG_INPUT = ["#tageditor-replacing-tagnames--input", ".js-tag-editor input[type=text]"];

/** The draft as the page holds it now: title, body, tags already chosen. */
export function readDraft(document) {
  const title = first(document, TITLE);
  const body = first(document, BODY);
  // querySelectorAll gives each editor once, in document order, whichever selectors it matches.
  const editors = body ? [] : [...document.querySelectorAll(BODY_EDITORS)];
  const text = body ? body.value : editors.map((el) => el.textContent.trim()).filter(Boolean).join("\n\n");
  const chips = [...document.querySelectorAll(".js-tag-editor .s-tag")].map((el) => el.textContent.trim());
  const hidden = document.querySelector("#tagnames");
  const tags = chips.length ? chips : (hidden && hidden.value ? hidden.value.split(/\s+/) : []);
  return {
    title: title ? title.value.slice(0, MAX_TITLE_CHARS) : "",
    body: text.slice(0, MAX_BODY_CHARS),
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
  const { report } = runSuggestions(window, chrome, "stackoverflow", {
    anchor: (document) => document.querySelector(".js-tag-editor") || first(document, TAG_INPUT),
    draft: readDraft,
    insert: addTag,
    choices: (suggestions, draft) => stackOverflowChoices(suggestions, draft.tags),
  });
  window.document.addEventListener("submit", () => {
    const final = readDraft(window.document).tags;
    if (final.length) report({ final });
  }, true);
}
