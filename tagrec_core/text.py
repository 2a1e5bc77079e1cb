"""The one text normaliser of tagrec, used before tokenization for training and prediction alike.

``normalize`` must give the same output for the same input on every machine and in every release that
shares a model: a model is trained on normalised text, so any change here changes what a shipped model
sees. It is pure (no I/O, no locale, no randomness) and bounded in time by truncating its input first.

Decisions a caller must know (they are part of the contract):

* **Placeholders.** ``URL``, ``DIGIT``, ``MENTION`` (used by the upstream data) and ``EMAIL`` stay
  upper-case and become separate words (``多好URL`` -> ``多好 URL``, ``DIGITDIGIT`` -> ``DIGIT DIGIT``);
  everything else is lower-cased. Web addresses become ``URL``, e-mail addresses ``EMAIL``. Digits are
  *not* replaced by ``DIGIT`` and ``@name`` is *not* replaced by ``MENTION``: English titles need their
  numbers (``python3``, ``c++11``) and ``@Override``.
* **HTML** is stripped (and entities unescaped) only when the text looks like an HTML document (it has
  a closing tag of a common element such as ``</p>`` or ``</code>``, or ``<a href=``); otherwise ``<`` and
  ``&`` are kept literally, because titles such as ``List<String>`` or ``what does &nbsp; mean`` mean them.
* **Code** (``<pre>`` blocks, fenced ````` blocks with their language word, 4-space indented blocks after a
  blank line) is kept only as its first ``CODE_KEEP_CHARS`` characters; inline code is kept whole.
* **Markdown**: ``[text](url)`` -> ``text``; images are dropped; ``#`` heading, ``>`` quote and ``*``/``**``
  emphasis markers are removed. Underscore emphasis is left alone so that ``__init__`` survives.
* **Chinese**: NFKC (full-width letters and digits become ASCII). CJK and full-width punctuation
  (``。，、！？：；（）「」『』【】《》…—`` and the like) becomes a space, in every language, because the
  Chinese training data has none. ``#话题#`` becomes ``话题`` (the pair of ``#`` is dropped); a lone ``#``
  (``c#``, ``#include``) is kept. No word segmentation: the tokenizer handles that.
* **Emoji** (and pictographs, dingbats, skin tones, variation selectors) become a space: they are dropped.
* Zero-width and bidi characters are removed (they may sit inside a word); control characters become a
  space. Curly quotes become ASCII quotes. Whitespace runs become one space; the result is stripped.
"""

from __future__ import annotations

import html
import re
import unicodedata

__all__ = [
    "CODE_KEEP_CHARS",
    "PLACEHOLDERS",
    "cjk_ratio",
    "detect_lang",
    "has_cjk",
    "is_unicode",
    "normalize",
    "normalize_tag",
]

# Code says which language a post is about, but a long listing would drown the prose in identifiers.
CODE_KEEP_CHARS = 200

# Sentinels that stand for a stashed code block while the prose around it is processed; input may not
# contain them (they are private-use characters, deleted on entry), so they cannot be forged.
_STASH_OPEN = "\ue000"
_STASH_CLOSE = "\ue001"
_STASH_RE = re.compile(_STASH_OPEN + r"(\d+)" + _STASH_CLOSE)

# --- characters -------------------------------------------------------------------------------------

# Deleted without a trace: zero-width characters can sit inside a word ("py\u200bthon"); the stash
# sentinels must never come from the input.
_ZERO_WIDTH = (
    "\u00ad\u180e\u200b\u200c\u200d\u200e\u200f\u202a\u202b\u202c\u202d\u202e"
    "\u2060\u2061\u2062\u2063\u2064\u2066\u2067\u2068\u2069\ufeff"
)
_DELETE_RE = re.compile(f"[{_ZERO_WIDTH}{_STASH_OPEN}{_STASH_CLOSE}]+")
_INVISIBLE = re.compile(f"[{_ZERO_WIDTH}]+")  # what a tag drops: "py\u200bthon" is "python"

# CJK and full-width punctuation -> space. Applied *before* NFKC, which would otherwise turn "，" into an
# ASCII comma that English text keeps; a Chinese comma is a separator, not content. (Regexes rather than
# str.translate: translate with a dict costs ~70 ns per non-ASCII character.)
_CJK_PUNCT_RE = re.compile(
    "[、。〈〉《》「」『』【】〔〕〖〗〘〙〚〛〜〝〞〟〰〽・｡｢｣､･"
    "，！？：；（）［］｛｝｟｠｜～＂＇｀－＿／＼"
    "…‥—–―‖·•‧]+"
)
_QUOTES = {"“": '"', "”": '"', "„": '"', "‟": '"', "‘": "'", "’": "'", "‚": "'", "‛": "'"}
_QUOTE_RE = re.compile(f"[{''.join(_QUOTES)}]")

# Control characters, emoji and pictographs become a space (after NFKC, which may not create them).
_CONTROL_RE = re.compile("[\x00-\x1f\x7f-\x9f]+")
_DROP_RE = re.compile(
    "[\x00-\x1f\x7f-\x9f"
    "\u2190-\u21ff"  # arrows
    "\u2300-\u23ff"  # misc technical (⌚, ⏰)
    "\u2460-\u24ff"  # enclosed alphanumerics left after NFKC
    "\u25a0-\u27bf"  # geometric shapes, misc symbols, dingbats (☀, ✨, ❤)
    "\u2b00-\u2bff"  # misc symbols and arrows (⭐)
    "\u20e3\ufe00-\ufe0f"  # keycap, variation selectors
    "\U0001f000-\U0001faff"  # emoji, pictographs, skin tones
    "\U000e0000-\U000e007f"  # tag characters (flag sequences)
    "]+"
)

# --- HTML ---------------------------------------------------------------------------------------------

# Only a document with real markup is treated as HTML: a bare "<div>" or "<T>" in a title is content.
_HTML_HINT_RE = re.compile(
    r"</(?:p|pre|code|a|li|ul|ol|div|span|blockquote|h[1-6]|strong|em|b|i|td|tr|table)\s*>|<a\s+href\s*=",
    re.IGNORECASE,
)
_HTML_DROP_RE = re.compile(r"<!--.*?(?:-->|\Z)|<(script|style)\b[^>]*>.*?(?:</\1\s*>|\Z)", re.IGNORECASE | re.DOTALL)
_HTML_PRE_RE = re.compile(r"<pre\b[^>]*>(.*?)(?:</pre\s*>|\Z)", re.IGNORECASE | re.DOTALL)
# Inline elements join their text to the neighbours ("some<b>thing</b>"); all others separate words.
_HTML_INLINE_TAG_RE = re.compile(
    r"</?(?:a|abbr|b|code|em|i|kbd|s|span|strike|strong|sub|sup|tt|u|var)\b[^>]*>", re.IGNORECASE
)
# [^<>] (not [^>]) keeps a text full of unclosed "<" linear instead of quadratic.
_HTML_TAG_RE = re.compile(r"<[A-Za-z/!?][^<>]*>")

# --- markdown -----------------------------------------------------------------------------------------

_FENCE_RE = re.compile(r"^ {0,3}(`{3,}|~{3,})\s*([^\s`]*)")
# Bounded repetitions below keep every pattern linear on hostile input (a line of unclosed openers).
_CODE_BLOCK_HINTS = ("```", "~~~", "\n\n    ", "\n\n\t")
_INLINE_CODE_RE = re.compile(r"(`+)(?!`)(.{1,2000}?)(?<!`)\1(?!`)")
# Bracket contents exclude the opening bracket too: "[a[a[a..." must not rescan to the end from every "[".
_MD_IMAGE_RE = re.compile(r"!\[[^\[\]\n]{0,500}\](?:\([^()\n]{0,2000}\)|\[[^\[\]\n]{0,100}\])")
_MD_LINK_RE = re.compile(r"\[([^\[\]\n]{0,500})\](?:\([^()\n]{0,2000}\)|\[[^\[\]\n]{0,100}\])")
_MD_REFDEF_RE = re.compile(r"^ {0,3}\[[^\[\]\n]{1,100}\]:[ \t]*\S+.*$", re.MULTILINE)
# Starts with a literal "\n" (the caller prepends one) because a leading "^" in MULTILINE mode is tried at
# every position, five times slower.
_MD_LINE_MARK_RE = re.compile(r"\n[ \t]*(?:#{1,6}[ \t]+|(?:>[ \t]?)+)")
_MD_STRONG_RE = re.compile(r"\*\*(?=\S)(.{1,500}?)(?<=\S)\*\*")
# "*" first, then the look-behind: a pattern that starts with a literal is searched for much faster.
_MD_EM_RE = re.compile(r"\*(?<![\w*]\*)(?=[^\s*])([^*\n]{1,500}?)(?<=[^\s*])\*(?![\w*])")

# --- addresses, hashtags, placeholders ---------------------------------------------------------------

_EMAIL_RE = re.compile(r"(?<![\w.+-])[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}\b")
# ASCII-only so that a URL typed straight into Chinese text ("看http://t.cn/x转发") stops at the Chinese;
# it must end on a character that is not sentence punctuation ("see http://x.org.").
# Runs on lower-cased text, so the scheme needs no IGNORECASE (which would disable the literal search).
_URL_RE = re.compile(r"(?:https?://|ftp://|www\.)[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]*[A-Za-z0-9\-_~/#=&%+]")
# "#话题#": the opening "#" may not follow a letter or digit ("c#", "f#") and the topic may not start or
# end with a space ("#include <x> #define"), so code and language names are left alone.
_HASHTAG_RE = re.compile(r"(?<![A-Za-z0-9_+#])#(?![\s#])([^#\n]{1,60}?)(?<!\s)#")
# Upper-case only, and not inside an identifier ("CURLOPT_URL", "URLError"); "DIGITg" and "eDIGIT"
# occur in the upstream data (numbers glued to letters), so lower-case neighbours are allowed.
PLACEHOLDERS = ("URL", "DIGIT", "MENTION", "EMAIL")
_PLACEHOLDER_WORD_RE = re.compile("|".join(PLACEHOLDERS))
_PLACEHOLDER_RE = re.compile(rf"(?<![A-Z0-9_])((?:{_PLACEHOLDER_WORD_RE.pattern})+)(?![A-Z0-9_])")

# --- language -----------------------------------------------------------------------------------------

# Han (with extensions and compatibility ideographs), kana and Hangul: scripts written without spaces.
_CJK_CLASS = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff\U00020000-\U0002fa1f\u3005\u3007"
_CJK_RE = re.compile(f"[{_CJK_CLASS}]")
_WORD_CHAR_RE = re.compile(r"[^\W_]")  # a letter or a digit, any script
_LATIN_WORD_RE = re.compile(r"[A-Za-z\u00c0-\u024f]+")


def normalize(text: str, *, max_chars: int = 20_000) -> str:
    """Return ``text`` normalised for tokenization; see the module docstring for every rule.

    Contract: deterministic; the result has no leading/trailing space, no runs of whitespace, no
    control or zero-width characters, and at most ``max_chars`` characters. Only the first
    ``4 * max_chars`` characters of the input are looked at, so the cost is bounded for any input.
    Idempotence is not promised (e.g. a second pass may see ``<`` that the first pass unescaped).
    """
    if max_chars <= 0:
        return ""
    text = text[: 4 * max_chars]
    if not text.isascii():
        text = _DELETE_RE.sub("", text)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    codes: list[str] = []
    text = _stash_markdown_code(text, codes)
    if _HTML_HINT_RE.search(text):
        text = _strip_html(text, codes)
    text = _strip_markdown(text)
    text = _finish(text)
    if codes:
        finished = [_finish(code) for code in codes]
        text = " ".join(_STASH_RE.sub(lambda m: finished[int(m.group(1))], text).split())
    return text[:max_chars].rstrip()


def normalize_tag(tag: str) -> str:
    """The canonical form of a tag: NFKC, zero-width and direction characters dropped, trimmed,
    lowercased, inner whitespace as hyphens (``c#`` stays)."""
    return "-".join(_INVISIBLE.sub("", unicodedata.normalize("NFKC", tag)).strip().lower().split())


def is_unicode(text: str) -> bool:
    """False for strings that cannot be UTF-8 (lone surrogates, which JSON's ``\\ud800`` escapes can make):
    they would fail later, in the tokenizer or in SQLite, so front-ends refuse them at the door."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def has_words(text: str) -> bool:
    """True when ``text`` holds a letter or a digit of any script: something a model can read. A post of only
    emoji, punctuation or symbols ("...", "😀😀") is not, and the models' answer to it is their prior, not advice."""
    return _WORD_CHAR_RE.search(text) is not None


def has_cjk(text: str) -> bool:
    """True when ``text`` holds a CJK character (Han, kana, Hangul)."""
    return _CJK_RE.search(text) is not None


def cjk_ratio(text: str) -> float:
    """Return the share of CJK characters (Han, kana, Hangul) among the non-space characters of ``text``.

    0.0 for empty or whitespace-only text.
    """
    non_space = len("".join(text.split()))
    if non_space == 0:
        return 0.0
    return len(_CJK_RE.findall(text)) / non_space


def detect_lang(text: str) -> str:
    """Return ``"zh"`` or ``"en"`` (the only two languages tagrec's default models know).

    ``"zh"`` when the text has at least one CJK character and at least as many CJK characters as
    Latin-script words (a CJK character carries about as much as a word: "python怎么安装numpy" is
    Chinese, "How to print 你好 in Python" is English); placeholders such as ``DIGIT`` are not counted
    as words. Everything else, including empty text, is ``"en"``.
    """
    cjk = len(_CJK_RE.findall(text))
    if cjk == 0:
        return "en"
    words = sum(1 for m in _LATIN_WORD_RE.finditer(text) if not _PLACEHOLDER_WORD_RE.fullmatch(m.group()))
    return "zh" if cjk >= words else "en"


# --- stages -------------------------------------------------------------------------------------------


def _stash(code: str, codes: list[str], *, clip: bool = True) -> str:
    """Store ``code`` (clipped) in ``codes`` and return the sentinel that stands for it in the prose."""
    codes.append(code[:CODE_KEEP_CHARS] if clip else code)
    return f" {_STASH_OPEN}{len(codes) - 1}{_STASH_CLOSE} "


def _stash_markdown_code(text: str, codes: list[str]) -> str:
    """Replace fenced and indented code blocks and inline code spans by stash sentinels.

    Stashed code is protected from HTML and markdown rewriting (``# comment`` is not a heading,
    ``__init__`` is not emphasis, ``</div>`` in a snippet does not make the post HTML).
    """
    # The line scanner costs ~1 µs a line: run it only when a block can start (an indented block needs a
    # blank line before it, so "\n    " inside an HTML <pre> does not trigger it).
    if any(hint in text for hint in _CODE_BLOCK_HINTS) or text.startswith(("    ", "\t")):
        text = _stash_code_blocks(text, codes)
    if "`" in text:
        text = _INLINE_CODE_RE.sub(lambda m: _stash(m.group(2), codes, clip=False), text)
    return text


def _stash_code_blocks(text: str, codes: list[str]) -> str:
    """Line scanner for fenced (````` / ``~~~``) and 4-space/tab indented blocks (after a blank line)."""
    lines = text.split("\n")
    out: list[str] = []
    i, n = 0, len(lines)
    prev_blank = True  # the start of the text counts as a paragraph break
    while i < n:
        line = lines[i]
        fence = _FENCE_RE.match(line)
        if fence:
            marker, info = fence.group(1), fence.group(2)
            j = i + 1
            while j < n and not lines[j].lstrip(" ").startswith(marker):
                j += 1
            # The language word ("```python") is the strongest tag signal in the block: keep it whole.
            out.append(f"{info} {_stash(chr(10).join(lines[i + 1 : j]), codes)}")
            i, prev_blank = j + 1, False
            continue
        if prev_blank and line.strip() and (line.startswith("    ") or line.startswith("\t")):
            j = i
            while j < n and (not lines[j].strip() or lines[j].startswith(("    ", "\t"))):
                j += 1
            out.append(_stash("\n".join(lines[i:j]), codes))
            i, prev_blank = j, True
            continue
        out.append(line)
        prev_blank = not line.strip()
        i += 1
    return "\n".join(out)


def _strip_html(text: str, codes: list[str]) -> str:
    """Remove markup from an HTML document: clip ``<pre>`` blocks, drop tags, unescape entities."""
    text = _HTML_DROP_RE.sub(" ", text)

    def pre_block(match: re.Match[str]) -> str:
        code = html.unescape(_HTML_TAG_RE.sub("", match.group(1)))
        return _stash(code, codes)

    text = _HTML_PRE_RE.sub(pre_block, text)
    text = _HTML_INLINE_TAG_RE.sub("", text)
    text = _HTML_TAG_RE.sub(" ", text)
    return html.unescape(text)


def _strip_markdown(text: str) -> str:
    """Turn markdown into its prose: images dropped, links to their text, markers removed."""
    if "[" in text:
        text = _MD_IMAGE_RE.sub(" ", text)
        text = _MD_LINK_RE.sub(r"\1", text)
        if "]:" in text:
            text = _MD_REFDEF_RE.sub(" ", text)
    if "#" in text or ">" in text:
        text = _MD_LINE_MARK_RE.sub("\n", "\n" + text)[1:]
    if "*" in text:
        text = _MD_STRONG_RE.sub(r"\1", text)
        text = _MD_EM_RE.sub(r"\1", text)
    return text


def _finish(text: str) -> str:
    """Character-level stages shared by prose and stashed code; returns collapsed, lower-cased text."""
    if not text.isascii():
        text = _CJK_PUNCT_RE.sub(" ", text)
        text = _QUOTE_RE.sub(lambda m: _QUOTES[m.group()], text)
        text = unicodedata.normalize("NFKC", text)
        text = _DROP_RE.sub(" ", text)
    # Lower-case first so that the address patterns need no IGNORECASE; the placeholders they insert
    # are upper-case and are not touched again.
    text = _lower_keeping_placeholders(text)
    if "@" in text:
        text = _EMAIL_RE.sub(" EMAIL ", text)
    if "://" in text or "www." in text:
        text = _URL_RE.sub(" URL ", text)
    if "#" in text:
        text = _HASHTAG_RE.sub(r" \1 ", text)
    text = " ".join(text.split())
    if not text.isprintable():  # ASCII controls that split() does not treat as space (e.g. "\x07")
        text = " ".join(_CONTROL_RE.sub(" ", text).split())
    return text


def _lower_keeping_placeholders(text: str) -> str:
    """Lower-case everything but the placeholders, which also become separate words."""
    if not any(word in text for word in PLACEHOLDERS):  # substring tests are far cheaper than a regex
        return text.lower()
    parts = _PLACEHOLDER_RE.split(text)
    # split() with one group puts the captured placeholder runs at the odd indices.
    out: list[str] = []
    for index, part in enumerate(parts):
        if index % 2:
            out.append(" " + " ".join(_PLACEHOLDER_WORD_RE.findall(part)) + " ")
        else:
            out.append(part.lower())
    return "".join(out)
