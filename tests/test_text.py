"""Tests of tagrec_core.text: the one normaliser used for training and prediction."""

from __future__ import annotations

import time

import pytest

from tagrec_core.text import CODE_KEEP_CHARS, cjk_ratio, detect_lang, has_words, normalize

CASES = [
    # (name, input, expected output)
    (
        "plain title",
        "How do I get a Scheme interpreter working inside Emacs?",
        "how do i get a scheme interpreter working inside emacs?",
    ),
    (
        "html paragraphs and entities",
        "<p>Use <b>bold</b> &amp; <em>x</em> &lt;div&gt;</p><p>next</p>",
        "use bold & x <div> next",
    ),
    ("html link keeps its text", '<p>see <a href="http://example.com/x">the docs</a></p>', "see the docs"),
    (
        "literal tags in a title are content",
        "Java List<String> vs vector<int>",
        "java list<string> vs vector<int>",
    ),
    ("literal entity in a title is content", "what does &nbsp; mean", "what does &nbsp; mean"),
    ("markdown link", "read [the manual](https://docs.python.org/3/) first", "read the manual first"),
    ("markdown image dropped", "look ![a cat](http://x.org/cat.png) here", "look here"),
    ("markdown emphasis and heading", "## Why\n\nis **this** *slow*?", "why is this slow?"),
    (
        "underscores are not emphasis",
        "what does __init__ do in my_module",
        "what does __init__ do in my_module",
    ),
    ("inline code kept whole", "call `os.path.join()` twice", "call os.path.join() twice"),
    ("url", "see https://example.com/a?b=c, then", "see URL , then"),
    ("url in chinese stops at chinese", "看http://t.cn/abc转发", "看 URL 转发"),
    ("upper-case scheme", "HTTP://EXAMPLE.COM/X", "URL"),
    ("email", "mail Joe.Bloggs@example.co.uk now", "mail EMAIL now"),
    (
        "upstream placeholders kept",
        "多好URL加拿大DIGITDIGIT东京 MENTION",
        "多好 URL 加拿大 DIGIT DIGIT 东京 MENTION",
    ),
    ("placeholder glued to letters", "eDIGITg", "e DIGIT g"),
    ("identifier is not a placeholder", "CURLOPT_URL URLError", "curlopt_url urlerror"),
    ("full-width to half-width", "ＰｙＴｈｏｎ３，", "python3"),
    ("chinese hashtag markers dropped", "#疫情防控#今天天气真好。", "疫情防控 今天天气真好"),
    ("full-width hashtag markers", "＃话题＃内容", "话题 内容"),
    (
        "c# and #include untouched",
        "C# and F# with #include <x> #define Y",
        "c# and f# with #include <x> #define y",
    ),
    ("chinese punctuation to space", "你好，世界！「引号」【转发】……好", "你好 世界 引号 转发 好"),
    ("emoji dropped", "好开心😀😀！👍🏽 yes ❤️", "好开心 yes"),
    ("zero-width removed inside a word", "py\u200bthon\u200d\ufeff is fun", "python is fun"),
    ("control characters", "a\x07b\x00c\td\r\ne", "a b c d e"),
    ("whitespace collapsed", "  a \u3000\u00a0 b\n\n c  ", "a b c"),
    ("other cased scripts lower-cased", "ΑΒΓ Straße МОСКВА", "αβγ straße москва"),
    ("curly quotes", "“Smart” quotes don’t", '"smart" quotes don\'t'),
    ("stash sentinel in input is not trusted", "a\ue0000\ue001b", "a0b"),
    ("empty", "", ""),
    ("only markup", "<p></p>", ""),
]


@pytest.mark.parametrize(("text", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_normalize(text: str, expected: str) -> None:
    assert normalize(text) == expected


def test_html_code_block_is_clipped_but_prose_is_kept() -> None:
    code = "".join(f"line_{i} = compute({i})\n" for i in range(200))
    post = f"<p>My loop is slow:</p>\n<pre><code>import numpy\n{code}</code></pre>\n<p>Why &amp; how?</p>"
    out = normalize(post)
    assert out.startswith("my loop is slow: import numpy line_0 = compute(0)")
    assert out.endswith("why & how?")
    assert "line_199" not in out
    assert len(out) < CODE_KEEP_CHARS + 60


def test_markdown_fenced_block_keeps_language_word_and_clips() -> None:
    code = "x = 1\n" * 500
    out = normalize(f"Question:\n\n```python\n{code}```\n\nThanks")
    assert out.startswith("question: python x = 1")
    assert out.endswith("thanks")
    assert out.count("x = 1") == CODE_KEEP_CHARS // len("x = 1\n")


def test_markdown_indented_block_is_code_only_after_a_blank_line() -> None:
    code = "".join(f"    step_{i}()\n" for i in range(100))
    out = normalize(f"Intro text.\n\n{code}\nOutro.")
    assert "step_0()" in out
    assert "step_99()" not in out
    assert out.endswith("outro.")
    # Without a blank line before it an indented line is a continuation, not code: nothing is clipped.
    lines = "".join(f"line {i}\n    more {i}\n" for i in range(100))
    assert "more 99" in normalize(lines)


def test_code_is_not_rewritten_as_markdown_or_html() -> None:
    out = normalize("Title\n\n```\n# not a heading\n</div> __init__ *p\n```\nafter")
    assert "# not a heading" in out
    assert "</div> __init__ *p" in out


@pytest.mark.parametrize("max_chars", [1, 10, 100])
def test_output_is_at_most_max_chars(max_chars: int) -> None:
    out = normalize("word " * 1000, max_chars=max_chars)
    assert 0 < len(out) <= max_chars
    assert out == out.strip()


def test_deterministic() -> None:
    text = "<p>Mixed 中文 and English, #话题# https://x.y/z 😀</p>"
    assert normalize(text) == normalize(text) == "mixed 中文 and english, 话题 URL"


@pytest.mark.parametrize(
    "big",
    [
        "a" * 10_000_000,
        "中文，" * 3_500_000,
        "<a" * 5_000_000,
        "[a" * 5_000_000,
        "**a " * 2_500_000,
        "`x " * 3_500_000,
        "```\n" * 2_500_000,
        "\n\n    x" * 1_500_000,
        "http://" * 1_500_000,
    ],
    ids=[
        "letters",
        "chinese",
        "open-tags",
        "open-brackets",
        "stars",
        "backticks",
        "fences",
        "indent",
        "urls",
    ],
)
def test_ten_megabytes_finish_quickly(big: str) -> None:
    start = time.perf_counter()
    out = normalize(big)
    assert time.perf_counter() - start < 1.0
    assert len(out) <= 20_000


@pytest.mark.parametrize(
    ("text", "ratio"),
    [
        ("", 0.0),
        ("   ", 0.0),
        ("abcd", 0.0),
        ("中文", 1.0),
        ("中文ab", 0.5),
        ("中 文 a b", 0.5),
        ("かなカナ한글", 1.0),
    ],
)
def test_cjk_ratio(text: str, ratio: float) -> None:
    assert cjk_ratio(text) == pytest.approx(ratio)


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("", "en"),
        ("How to print in Python", "en"),
        ("今天天气真好", "zh"),
        ("python怎么安装numpy", "zh"),
        ("How to print 你好 in Python", "en"),
        ("加拿大退出今夏DIGIT东京奥运会", "zh"),
        ("DIGIT URL 好", "zh"),
    ],
)
def test_detect_lang(text: str, lang: str) -> None:
    assert detect_lang(text) == lang


@pytest.mark.parametrize(
    ("text", "expected"),
    [("python", True), ("2025", True), ("论文", True), ("Ωmega", True), ("😀 a", True), ("...", False),
     ("😀😀", False), ("__", False), ("", False), ("！？。 ", False)],
)  # fmt: skip
def test_has_words_is_a_letter_or_a_digit_of_any_script(text: str, expected: bool) -> None:
    assert has_words(text) is expected
