"""Tests of tagrec_core.tagmatch: known tags read out of a post's title and body."""

from __future__ import annotations

import pytest

from tagrec_core.tagmatch import MAX_KEY_WORDS, Match, TagMatcher, match_key, units, words

KEYS = [
    # (name, input, expected match key)
    ("lower-cased", "Python", "python"),
    ("full-width folded", "ＰＹＴＨＯＮ", "python"),
    ("hyphens are spaces", "ruby-on-rails", "ruby on rail"),
    ("underscores are spaces", "ruby_on_rails", "ruby on rail"),
    ("spaces and case", "Ruby  on Rails", "ruby on rail"),
    ("plural s", "arrays", "array"),
    ("plural ies", "queries", "query"),
    ("short words kept", "css ios", "css ios"),
    ("ss and us kept", "class status", "class status"),
    ("c#", "C#", "c#"),
    ("c++", "C++", "c++"),
    ("full-width c#", "Ｃ＃", "c#"),
    (".net", ".NET", ".net"),
    ("node.js", "Node.js", "node.js"),
    ("asp.net-mvc", "asp.net-mvc", "asp.net mvc"),
    ("sentence dot is not part of a word", "I use .NET and node.js.", "i use .net and node.js"),
    ("one word per chinese character", "李敏镐", "李 敏 镐"),
    ("chinese inside latin", "看NBA总决赛", "看 nba 总 决 赛"),
    ("full-width latin next to chinese", "ＮＢＡ篮球", "nba 篮 球"),
    ("cjk compatibility ideograph", "\uf900", "豈"),
    ("punctuation only", "!!! ... ---", ""),
    ("empty", "", ""),
]


@pytest.mark.parametrize(("text", "key"), [c[1:] for c in KEYS], ids=[c[0] for c in KEYS])
def test_match_key(text: str, key: str) -> None:
    assert match_key(text) == key
    assert words(text) == (key.split(" ") if key else [])


def _found(tags: list[str], title: str, body: str = "") -> set[str]:
    return {tags[m.tag] for m in TagMatcher(tags).find(title, body)}


@pytest.mark.parametrize(
    ("tag", "text"),
    [
        ("python", "ＰＹＴＨＯＮ is great"),
        ("ruby-on-rails", "Upgrading Ruby on Rails today"),
        ("Ruby on Rails", "a ruby-on-rails app"),
        ("ruby_on_rails", "RUBY ON RAILS"),
        ("array", "sorting arrays in place"),
        ("arrays", "sort an array"),
        ("c#", "how to await in C#?"),
        ("c++", "templates in C++ and rust"),
        (".net", "porting to .NET core"),
        ("node.js", "is node.js single-threaded"),
        ("asp.net-mvc", "routing in ASP.NET MVC"),
        ("李敏镐", "今天李敏镐来了"),
        ("李敏镐", "李敏镐"),
        ("NBA", "今晚ＮＢＡ总决赛"),
        ("中国女排", "＃中国女排＃夺冠了！"),
        ("豈", "\uf900字"),
    ],
)
def test_tag_found_in_text(tag: str, text: str) -> None:
    assert _found([tag], text) == {tag}


@pytest.mark.parametrize(
    ("tag", "text"),
    [
        ("c", "I write C# and C++ every day"),
        ("c", "see .c# c++11"),
        ("java", "javascript, JavaScript and javascripts"),
        ("net", "porting to .NET core"),
        ("array", "an arraylist"),
        ("ruby-on-rails", "ruby and rails"),
        ("李敏镐", "李敏来了"),
    ],
)
def test_tag_not_found_in_text(tag: str, text: str) -> None:
    assert _found([tag], text) == set()


def test_c_matches_on_its_own_but_not_inside_c_sharp_or_cpp() -> None:
    tags = ["c", "c#", "c++", "java", "javascript"]
    assert _found(tags, "C# vs C++ vs JavaScript") == {"c#", "c++", "javascript"}
    assert _found(tags, "plain C, then Java") == {"c", "java"}


def test_title_and_body_counted_separately() -> None:
    matcher = TagMatcher(["python", "pandas", "sql"])
    found = matcher.find("Python pandas merge", "pandas: merge two pandas frames in python or Python")
    assert found == [Match(0, 1, 2), Match(1, 1, 2)]
    assert matcher.find("", "SQL sql") == [Match(2, 0, 2)]
    assert matcher.find("sql") == [Match(2, 1, 0)]


def test_repeated_multi_word_tag_counted_each_time() -> None:
    assert TagMatcher(["ruby-on-rails"]).counts("ruby on rails, Ruby-on-Rails and ruby_on_rails") == {0: 3}


def test_tags_sharing_a_key_all_reported() -> None:
    tags = ["array", "arrays", "Array", "numpy"]
    matcher = TagMatcher(tags)
    assert matcher.counts("arrays of arrays") == {0: 2, 1: 2, 2: 2}
    assert [m.tag for m in matcher.find("an Array", "numpy")] == [0, 1, 2, 3]


def test_find_is_in_tag_id_order() -> None:
    tags = ["zeta", "alpha", "mid"]
    found = TagMatcher(tags).find("mid alpha zeta")
    assert [m.tag for m in found] == [0, 1, 2]


def test_find_many() -> None:
    matcher = TagMatcher(["python", "java"])
    assert matcher.find_many([("python", ""), ("", "java"), ("nothing", "here")]) == [
        [Match(0, 1, 0)],
        [Match(1, 0, 1)],
        [],
    ]


def test_empty_tag_list_and_empty_text() -> None:
    assert TagMatcher([]).find("python java", "c#") == []
    assert TagMatcher([]).counts("anything") == {}
    matcher = TagMatcher(["python"])
    assert matcher.find("", "") == []
    assert matcher.counts("") == {}
    assert matcher.find_many([]) == []


def test_punctuation_only_tag_never_matched() -> None:
    tags = ["!!!", "...", "--", "python"]
    matcher = TagMatcher(tags)
    assert matcher.find("!!! ... -- python", " !!! ") == [Match(3, 1, 0)]
    assert TagMatcher(["???"]).find("??? !!!", "   ") == []


def test_tags_longer_than_max_key_words_ignored() -> None:
    longest = " ".join(f"w{i}" for i in range(MAX_KEY_WORDS))
    too_long = " ".join(f"w{i}" for i in range(MAX_KEY_WORDS + 1))
    long_chinese = "中" * (MAX_KEY_WORDS + 1)
    matcher = TagMatcher([longest, too_long, long_chinese])
    text = f"{too_long} {long_chinese}"
    assert [m.tag for m in matcher.find(text)] == [0]


def test_one_megabyte_text() -> None:
    tags = ["python", "c#", "ruby-on-rails", "李敏镐", *(f"tag{i}" for i in range(1000))]
    chunk = "Python, C# and Ruby on Rails; 今天李敏镐来了 tag7 tag999. "
    text = chunk * (1_000_000 // len(chunk.encode("utf-8")) + 1)
    found = TagMatcher(tags).find(text[:100], text)
    assert isinstance(found, list)
    assert all(isinstance(m, Match) for m in found)
    assert {m.tag for m in found} == {0, 1, 2, 3, 4 + 7, 4 + 999}


def test_plural_of_word_ending_in_ie() -> None:
    assert match_key("cookies") == match_key("cookie")
    assert _found(["cookies"], "how to set a cookie") == {"cookies"}
    assert match_key("queries") == match_key("query")


@pytest.mark.parametrize(("plural", "singular"), [("classes", "class"), ("boxes", "box"), ("matches", "match")])
def test_es_plurals(plural: str, singular: str) -> None:
    assert match_key(plural) == match_key(singular)


STEMS = [
    # (name, tag, text)
    ("verb forms", "baking", "I baked it twice"),
    ("base form", "bake", "baking bread at home"),
    ("multi-word", "deep-frying", "deep fried chicken"),
    ("two words changed", "baking-sheets", "a baked sheet"),
]


@pytest.mark.parametrize(("tag", "text"), [c[1:] for c in STEMS], ids=[c[0] for c in STEMS])
def test_other_forms_found_apart(tag: str, text: str) -> None:
    matcher = TagMatcher(["other", tag])
    assert matcher.find(text) == [Match(1, 0, 0, stem_only=True)]
    assert matcher.counts(text) == {}  # counts are of the tag's own form only


def test_own_form_is_not_reported_twice() -> None:
    matcher = TagMatcher(["baking", "bread"])
    assert matcher.find("Baking bread", "baked bread") == [Match(0, 1, 0), Match(1, 1, 1)]


def test_other_forms_listed_after_the_tags_themselves() -> None:
    matcher = TagMatcher(["frying", "oven", "baking"])
    found = matcher.find("fried in the oven", "then baked")
    assert found == [Match(1, 1, 0), Match(0, 0, 0, stem_only=True), Match(2, 0, 0, stem_only=True)]


def test_other_forms_do_not_span_title_and_body() -> None:
    assert TagMatcher(["deep-frying"]).find("how deep", "fried it") == []


def test_chinese_and_symbol_tags_have_no_other_forms() -> None:
    matcher = TagMatcher(["李敏镐", "c#", "c++"])
    assert matcher.find("今天李敏镐来了", "C# and c++") == [Match(0, 1, 0), Match(1, 0, 1), Match(2, 0, 1)]


def test_stems_from_many_threads_agree() -> None:
    from concurrent.futures import ThreadPoolExecutor

    matcher = TagMatcher(["baking", "frying", "roasting"])
    texts = [("baked", "fried"), ("roasted", "baked"), ("fried", "roasted")] * 200
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda post: matcher.find(*post), texts))
    assert results == [matcher.find(*post) for post in texts]


def test_without_other_forms_only_the_tags_themselves() -> None:
    matcher = TagMatcher(["baking", "bread"], other_forms=False)
    assert matcher.find("I baked bread", "then baked more") == [Match(1, 1, 0)]


UNITS = [
    # (name, text, expected units)
    ("english words", "Ruby on Rails", {"ruby", "on", "rail"}),
    ("chinese character pairs", "世界表情包日", {"世 界", "界 表", "表 情", "情 包", "包 日"}),
    ("a lone chinese character counts by itself", "猫 and dogs", {"猫", "and", "dog"}),
    ("placeholders are not units", "创造营DIGIT定档", {"创 造", "造 营", "定 档"}),
    ("pairs stop at latin words", "看NBA总决赛", {"看", "nba", "总 决", "决 赛"}),
    ("nothing", "!?", set()),
]


@pytest.mark.parametrize(("text", "expected"), [u[1:] for u in UNITS], ids=[u[0] for u in UNITS])
def test_units(text: str, expected: set[str]) -> None:
    assert units(words(text)) == expected


def test_overlaps_are_the_share_of_a_tags_units_in_the_post() -> None:
    matcher = TagMatcher(["世界表情包日", "ruby-on-rails", "python", "!?"])
    shares = matcher.overlaps([0, 1, 2, 3], "谁能离得开表情包呢", "I use Rails")
    assert shares == pytest.approx([2 / 5, 1 / 3, 0.0, 0.0])


def test_overlaps_do_not_pair_characters_across_title_and_body() -> None:
    assert TagMatcher(["表情"]).overlaps([0], "表", "情") == [0.0]
