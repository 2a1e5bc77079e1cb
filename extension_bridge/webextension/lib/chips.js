// The suggestion chips: untrusted text shown inside someone else's page. The UI lives in its own element
// (`data-tagrec-root`) under an open shadow root, so the page's CSS cannot restyle it, and every tag is
// written with textContent: a tag like `<img src=x onerror=alert(1)>` shows literally and runs nothing.

const STYLE = `
  :host { all: initial; display: block; margin: 6px 0; font: 13px/1.4 system-ui, sans-serif; }
  .bar { display: flex; flex-wrap: wrap; gap: 4px; align-items: center; }
  .label { color: #6a737c; margin-right: 4px; }
  .chip { display: inline-flex; align-items: center; border: 1px solid #9fc5e8; border-radius: 3px;
          background: #e1ecf4; color: #39739d; padding: 1px 2px 1px 0; }
  .chip button { border: 0; background: none; color: inherit; cursor: pointer; font: inherit; }
  .accept { padding: 0 2px 0 6px; }
  .dismiss { padding: 0 4px; }
  .chip button:focus-visible { outline: 2px solid #0074cc; }
  .state { color: #6a737c; font-style: italic; }
`;

/**
 * Why a suggestion is suggested, in the extension's language. The bridge gives each suggestion a `why`: a
 * stable code and its arguments (`{code: "similar_posts", count: 3, tag: null}`, docs/bridge.md). Its text is
 * the locale's message `why_<code>`; a code that counts has one message per plural category of the messages'
 * own language (`why_similar_posts_one`, `why_similar_posts_other`: Intl.PluralRules of `messagesLocale`), and
 * gets the count as `$1`; a code that names another tag gets the tag as `$1`. A code or a shape this extension
 * does not know (a newer tagrec), or no `why` (an older one), shows the English `reason` the bridge sends too.
 * `i18n` is the browser's `chrome.i18n` (a parameter for tests).
 */
export function whyText(s, i18n = globalThis.chrome?.i18n) {
  const reason = typeof s?.reason === "string" ? s.reason : "";
  const why = s?.why;
  if (!i18n || !why || typeof why.code !== "string" || !/^[a-z][a-z_]{0,40}$/.test(why.code)) return reason;
  let name = `why_${why.code}`;
  const args = [];
  if (why.count !== null && why.count !== undefined) {
    if (!Number.isInteger(why.count)) return reason;
    const rules = new Intl.PluralRules(i18n.getMessage("messagesLocale") || "en");
    name += `_${rules.select(why.count)}`;
    args.push(String(why.count));
  }
  if (why.tag !== null && why.tag !== undefined) {
    if (typeof why.tag !== "string") return reason;
    args.push(why.tag);
  }
  return i18n.getMessage(name, args) || reason;
}

/**
 * A chip bar placed after `anchor`. Each chip is two buttons side by side: the tag (click, Enter or Space
 * accepts it: `onAccept(tag)`) and its × (dismisses it: `onDismiss(tag)`), so each has its own name for a
 * screen reader and its own keys. When the chips are drawn again while one had the focus (the user accepted
 * or dismissed it from the keyboard), the focus goes to the chip now in its place. Texts given to `state`
 * are announced (a status region). Returns { host, render(suggestions), state(text), remove() }.
 */
export function createChipBar(document, anchor, { label, dismissLabel, onAccept, onDismiss }) {
  const host = document.createElement("div");
  host.setAttribute("data-tagrec-root", "");
  anchor.insertAdjacentElement("afterend", host);
  const root = host.attachShadow({ mode: "open" });
  const style = document.createElement("style");
  style.textContent = STYLE;
  const bar = document.createElement("div");
  bar.className = "bar";
  bar.setAttribute("role", "group");
  bar.setAttribute("aria-label", label);
  const status = document.createElement("span");
  status.className = "state";
  status.setAttribute("role", "status"); // present from the start: a live region must exist before it changes
  root.append(style, bar, status);

  /** The position of the chip holding the focus, or -1. */
  function focusedChip() {
    const active = root.activeElement;
    const chip = active && active.closest(".chip");
    return chip ? [...bar.querySelectorAll(".chip")].indexOf(chip) : -1;
  }

  function chip(s) {
    const item = document.createElement("span");
    item.className = "chip";
    item.setAttribute("data-tag", s.tag);
    const accept = document.createElement("button");
    accept.className = "accept";
    accept.type = "button";
    accept.title = whyText(s);
    accept.textContent = s.tag;
    const dismiss = document.createElement("button");
    dismiss.className = "dismiss";
    dismiss.type = "button";
    dismiss.setAttribute("data-dismiss", s.tag);
    dismiss.setAttribute("aria-label", `${dismissLabel} ${s.tag}`);
    dismiss.textContent = "×";
    item.append(accept, dismiss);
    for (const [button, action] of [[accept, onAccept], [dismiss, onDismiss]]) {
      button.addEventListener("click", (event) => {
        event.preventDefault();
        event.stopPropagation();
        action(s.tag);
      });
    }
    return item;
  }

  return {
    host,
    render(suggestions) {
      const focused = focusedChip();
      bar.replaceChildren();
      status.textContent = "";
      if (!suggestions.length) return;
      const caption = document.createElement("span");
      caption.className = "label";
      caption.textContent = label;
      bar.append(caption, ...suggestions.map(chip));
      if (focused >= 0) {
        const accepts = bar.querySelectorAll(".accept");
        accepts[Math.min(focused, accepts.length - 1)].focus();
      }
    },
    state(text) {
      bar.replaceChildren();
      status.textContent = text || "";
    },
    remove() {
      host.remove();
    },
  };
}
