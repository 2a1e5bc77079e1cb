// The suggestion chips: untrusted text shown inside someone else's page. The UI lives in its own element
// (`data-tagrec-root`) under an open shadow root, so the page's CSS cannot restyle it, and every tag is
// written with textContent: a tag like `<img src=x onerror=alert(1)>` shows literally and runs nothing.

const STYLE = `
  :host { all: initial; display: block; margin: 6px 0; font: 13px/1.4 system-ui, sans-serif; }
  .bar { display: flex; flex-wrap: wrap; gap: 4px; align-items: center; }
  .label { color: #6a737c; margin-right: 4px; }
  .chip { display: inline-flex; align-items: center; border: 1px solid #9fc5e8; border-radius: 3px;
          background: #e1ecf4; color: #39739d; padding: 1px 2px 1px 6px; cursor: pointer; }
  .chip:focus-visible { outline: 2px solid #0074cc; }
  .dismiss { border: 0; background: none; color: inherit; cursor: pointer; padding: 0 4px; font: inherit; }
  .state { color: #6a737c; font-style: italic; }
`;

/**
 * A chip bar placed after `anchor`. `onAccept(tag)` / `onDismiss(tag)` are called when the user clicks a
 * chip or its ×. Returns { render(suggestions), state(text), remove() }.
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
  root.append(style, bar);

  function clear() {
    bar.replaceChildren();
  }

  return {
    host,
    render(suggestions) {
      clear();
      if (!suggestions.length) return;
      const caption = document.createElement("span");
      caption.className = "label";
      caption.textContent = label;
      bar.append(caption);
      for (const s of suggestions) {
        const chip = document.createElement("span");
        chip.className = "chip";
        chip.setAttribute("data-tag", s.tag);
        chip.setAttribute("role", "button");
        chip.tabIndex = 0;
        chip.title = s.reason || "";
        const text = document.createElement("span");
        text.textContent = s.tag;
        const dismiss = document.createElement("button");
        dismiss.className = "dismiss";
        dismiss.type = "button";
        dismiss.setAttribute("data-dismiss", s.tag);
        dismiss.setAttribute("aria-label", `${dismissLabel} ${s.tag}`);
        dismiss.textContent = "×";
        chip.append(text, dismiss);
        chip.addEventListener("click", (event) => {
          event.preventDefault();
          event.stopPropagation();
          if (event.target === dismiss) onDismiss(s.tag);
          else onAccept(s.tag);
        });
        chip.addEventListener("keydown", (event) => {
          if (event.key === "Enter" || event.key === " ") {
            event.preventDefault();
            onAccept(s.tag);
          }
        });
        bar.append(chip);
      }
    },
    state(text) {
      clear();
      if (!text) return;
      const span = document.createElement("span");
      span.className = "state";
      span.textContent = text;
      bar.append(span);
    },
    remove() {
      host.remove();
    },
  };
}
