"""The shipped default models: present, small, loadable, and sensible on everyday posts."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import tagrec_core
from tagrec_core import defaults, modelfile
from tagrec_core.errors import ModelFileError

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


@pytest.mark.parametrize("domain", sorted(defaults.DOMAINS))
def test_shipped_model_is_small_int8_and_self_describing(domain: str) -> None:
    path = defaults.model_path(domain)
    model = modelfile.load(path)
    # The classifier alone fits the 10 MB goal; the full ranker adds the index of every public post of its
    # language (~80k English posts), which costs ~14 MB more (see README, "Size").
    assert path.stat().st_size <= (30_000_000 if model.ranking is not None else 10_000_000)
    assert model.quantized
    assert model.meta["domain"] == domain
    assert len(model.vocab) > 1000
    assert model.meta["versions"]["torch"].startswith("2.13")


@pytest.mark.parametrize("domain", sorted(defaults.DOMAINS))
def test_shipped_model_is_the_full_ranker(domain: str) -> None:
    model = modelfile.load(defaults.model_path(domain))
    assert model.ranking is not None and model.ranking.fusion is not None
    assert len(model.ranking.index) > 10_000  # every public train and valid post of the language


@pytest.mark.parametrize(
    ("domain", "title", "expected"),
    [
        ("stackoverflow", "How to center a div horizontally with CSS flexbox", {"css"}),
        ("stackoverflow", "pandas dataframe groupby sum of two columns", {"pandas", "python"}),
        ("stackoverflow", "What temperature should I roast a whole chicken at?", {"chicken", "roasting"}),
        ("weibo", "今天我也接受了冰桶挑战，一桶冰水从头浇下来，为渐冻人献爱心", {"冰桶挑战"}),
    ],
)
def test_shipped_model_suggests_the_obvious_tag(domain: str, title: str, expected: set[str]) -> None:
    suggestions = tagrec_core.load(domain).suggest(title=title, k=3)
    assert expected & {s.tag for s in suggestions}, suggestions


def test_load_by_domain_is_shared_and_unknown_domain_is_a_clear_error() -> None:
    assert tagrec_core.load("weibo") is tagrec_core.load("weibo")
    with pytest.raises(tagrec_core.TagrecError, match="does not exist"):
        tagrec_core.load("no-such-domain")


def test_suggest_picks_the_domain_by_language() -> None:
    for sample, domain in (("stackoverflow-question.txt", "stackoverflow"), ("weibo-post.txt", "weibo")):
        text = (EXAMPLES / sample).read_text(encoding="utf-8")
        assert defaults.domain_for(text) == domain
        done = subprocess.run(
            [sys.executable, "-m", "tagrec_core", "suggest", "--json"],
            input=text.encode("utf-8"),
            capture_output=True,
            timeout=120,
            check=True,
        )
        expected = tagrec_core.load(domain).suggest(*text.strip().split("\n", 1), k=5)
        assert done.stdout.decode("utf-8").count('"tag"') == 5
        assert expected[0].tag in done.stdout.decode("utf-8")


def test_a_missing_shipped_model_says_how_to_get_it_back_without_cli_only_advice(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The desktop app and the bridge show this message too: it must not advise a command-line option they lack.
    monkeypatch.setattr(defaults, "RESOURCES", tmp_path)
    with pytest.raises(ModelFileError) as caught:
        defaults.model_path("weibo")
    message = str(caught.value)
    assert "--model" not in message
    assert "reinstall tagrec" in message
    assert "scripts/build_models.py --domain weibo" in message
    assert (Path(__file__).resolve().parent.parent / "scripts" / "build_models.py").is_file()


@pytest.mark.parametrize("domain", sorted(defaults.DOMAINS))
@pytest.mark.parametrize("text", ["...", "😀😀😀", "🎉🎉 #", "！？。", "__ -- **"])
def test_a_post_with_nothing_to_read_gets_no_suggestions(domain: str, text: str) -> None:
    # Before: "..." got entity-framework at 0.65 and "😀😀😀" ios at 0.40 - the models' prior, shown as advice.
    assert tagrec_core.load(domain).suggest(text, "", k=5) == []


def test_a_post_with_one_word_among_emoji_still_gets_suggestions() -> None:
    assert tagrec_core.load("stackoverflow").suggest("😀 python 😀", k=3)
