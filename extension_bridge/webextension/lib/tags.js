// Tag rules of the sites, pure functions (node tests run them table by table).

export const STACKOVERFLOW_MAX_TAGS = 5;
const SO_TAG_CHARS = /[^a-z0-9+#.-]/; // what a Stack Overflow tag may not hold

/**
 * A tag as Stack Overflow writes it (lowercase, spaces and underscores as hyphens), or "" when it cannot be
 * one: a character Stack Overflow does not allow, or more than 35 characters. Such a suggestion is left out,
 * not reshaped: `<img src=x onerror=alert(1)>` became the new tag `img-srcx-onerroralert1`.
 */
export function stackOverflowTag(tag) {
  const written = String(tag)
    .trim()
    .toLowerCase()
    .replace(/[\s_]+/g, "-")
    .replace(/-+/g, "-")
    .replace(/^-|-$/g, "");
  return SO_TAG_CHARS.test(written) || written.length > 35 ? "" : written;
}

/** The suggestions worth showing on Stack Overflow: valid, not chosen yet, and only while a tag may be added. */
export function stackOverflowChoices(suggestions, chosen) {
  const have = new Set(chosen.map(stackOverflowTag));
  if (have.size >= STACKOVERFLOW_MAX_TAGS) return [];
  const out = [];
  for (const s of suggestions) {
    const tag = stackOverflowTag(s.tag);
    if (tag && !have.has(tag)) {
      have.add(tag);
      out.push({ ...s, tag });
    }
  }
  return out;
}

const TOPIC = /#([^#\n]{1,64})#/g;

/** The topics (`#话题#`) already in a Weibo text. */
export function topicsIn(text) {
  return [...String(text).matchAll(TOPIC)].map((m) => m[1].trim());
}

/** A Weibo topic for a tag: `#tag#`, with no `#` or line breaks inside. */
export function weiboTopic(tag) {
  const clean = String(tag).replace(/[#\n\r]/g, "").trim().slice(0, 64);
  return clean ? `#${clean}#` : "";
}
