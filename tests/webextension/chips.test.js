// The chips' reasons in the extension's languages (node's test runner): `whyText` against the real
// _locales messages, read through a stand-in for the browser's chrome.i18n.getMessage (the edge of the
// extension: named placeholders whose content is $1, $2…, a missing message is "").
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";

import { whyText } from "../../extension_bridge/webextension/lib/chips.js";

const LOCALES = new URL("../../extension_bridge/webextension/_locales/", import.meta.url);

/** chrome.i18n for one locale of the extension's messages. */
function i18nFor(locale) {
  const messages = JSON.parse(readFileSync(new URL(`${locale}/messages.json`, LOCALES), "utf8"));
  return {
    getMessage(name, substitutions = []) {
      const entry = messages[name];
      if (!entry) return "";
      const args = [].concat(substitutions);
      const positional = (text) => text.replace(/\$(\d)/g, (_, n) => args[Number(n) - 1] ?? "");
      return entry.message.replace(/\$([A-Za-z0-9_@]+)\$|\$\d/g, (whole, key) => {
        if (!key) return positional(whole);
        const placeholder = entry.placeholders?.[key.toLowerCase()];
        return placeholder ? positional(placeholder.content) : whole;
      });
    },
  };
}

const chip = (why, reason = "the English reason") => ({ tag: "pandas", score: 0.4, source: "text", reason, why });

test("reasons read right in English, plurals included", () => {
  const en = i18nFor("en");
  const table = [
    [{ code: "similar_posts", count: 1, tag: null }, "1 similar post"],
    [{ code: "similar_posts", count: 3, tag: null }, "3 similar posts"],
    [{ code: "learned", count: 12 }, "learned from 12 tagged posts"],
    [{ code: "used_on_similar", count: 1 }, "you used it on 1 similar item"],
    [{ code: "used", count: 2 }, "you used it 2 times"],
    [{ code: "used_with", count: null, tag: "docker" }, "often used with docker"],
    [{ code: "implied_by", tag: "pandas" }, "implied by pandas"],
    [{ code: "in_title", count: null, tag: null }, "appears in the title"],
    [{ code: "in_text" }, "appears in the text"],
    [{ code: "form_in_text" }, "a form of it appears in the text"],
    [{ code: "part_in_text" }, "part of it appears in the text"],
    [{ code: "profile" }, "your profile"],
  ];
  for (const [why, text] of table) assert.equal(whyText(chip(why), en), text, why.code);
});

test("reasons are Chinese in a Chinese browser", () => {
  const zh = i18nFor("zh_CN");
  const table = [
    [{ code: "similar_posts", count: 1, tag: null }, "1 篇相似帖子"],
    [{ code: "similar_posts", count: 3, tag: null }, "3 篇相似帖子"],
    [{ code: "learned", count: 12, tag: null }, "从 12 篇带此标签的帖子中学到"],
    [{ code: "used_on_similar", count: 2, tag: null }, "你在 2 个相似条目上用过它"],
    [{ code: "used", count: 1, tag: null }, "你用过它 1 次"],
    [{ code: "used_with", count: null, tag: "docker" }, "常与 docker 一起使用"],
    [{ code: "implied_by", count: null, tag: "pandas" }, "由 pandas 隐含"],
    [{ code: "in_title", count: null, tag: null }, "出现在标题中"],
    [{ code: "profile", count: null, tag: null }, "你的个人档案"],
  ];
  for (const [why, text] of table) assert.equal(whyText(chip(why), zh), text, why.code);
});

test("a reason the extension does not know shows the English reason", () => {
  const zh = i18nFor("zh_CN");
  const cases = [
    chip({ code: "starred", count: null, tag: null }, "you starred it"), // a code of a newer tagrec
    chip(undefined, "you starred it"), // an older tagrec: no why
    chip(null, "you starred it"),
    chip({ code: "similar_posts", count: null, tag: null }, "you starred it"), // its count missing
    chip({ code: "similar_posts", count: 2.5, tag: null }, "you starred it"),
    chip({ code: "used_with", count: null, tag: 7 }, "you starred it"),
    chip({ code: "in_title", count: 4, tag: null }, "you starred it"), // a count where none is taken
    chip({ code: "../../x", count: null, tag: null }, "you starred it"),
  ];
  for (const s of cases) assert.equal(whyText(s, zh), "you starred it", JSON.stringify(s.why));
  assert.equal(whyText({ tag: "x", why: { code: "starred" } }, zh), ""); // no reason either: nothing, not "undefined"
  assert.equal(whyText(chip({ code: "in_title" })), "the English reason"); // no chrome.i18n at all (node)
});

test("both languages have the same reason messages, with the same placeholders", () => {
  const read = (locale) => JSON.parse(readFileSync(new URL(`${locale}/messages.json`, LOCALES), "utf8"));
  const en = read("en");
  const zh = read("zh_CN");
  const whys = Object.keys(en).filter((name) => name.startsWith("why_"));
  assert.deepEqual(Object.keys(zh).filter((name) => name.startsWith("why_")).sort(), whys.sort());
  for (const name of whys) {
    const uses = (entry) => Object.keys(entry.placeholders ?? {}).sort();
    assert.deepEqual(uses(zh[name]), uses(en[name]), name);
    for (const key of uses(en[name])) assert.match(zh[name].message, new RegExp(`\\$${key}\\$`, "i"), name);
  }
});
