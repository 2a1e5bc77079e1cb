"""The full ranker end to end: training, suggestion with sources and reasons, chosen tags, site-only tags,
the model file round trip, damage, ablation configs and concurrent readers."""

from __future__ import annotations

import io
import threading
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

import tagrec_core
from tagrec_core import linear as linear_module
from tagrec_core import modelfile
from tagrec_core.errors import ModelFileError
from tagrec_core.linear import NO_MARGIN
from tagrec_core.ranker import COMPONENTS, SOURCES, RankingConfig
from tagrec_core.recommender import Recommender
from tagrec_core.suggestion import Why
from tests.conftest import SITE_ONLY_TAGS, format_two_index_state


@pytest.fixture(scope="module")
def ranker(tiny_ranker_path: Path) -> Recommender:
    return tagrec_core.load(tiny_ranker_path)


def test_trained_ranker_has_every_part(tiny_ranker: Any, train_records: list[Any]) -> None:
    ranking = tiny_ranker.ranking
    assert ranking is not None and ranking.fusion is not None
    # The classifier's tags come first, in its order; site-only tags come after.
    assert ranking.tags.tags[: len(tiny_ranker.vocab)] == tiny_ranker.vocab.tags
    assert set(SITE_ONLY_TAGS) <= set(ranking.tags.tags)
    # Every training post is indexed: the fit part first, then the held-out fold that fitted fusion.
    assert len(ranking.index) == len(train_records)
    assert tiny_ranker.meta["ranking"]["fusion_posts"] > 0
    # Linear SVMs for the tags of at least two fitted posts, pruned, each tag with its own weights.
    assert ranking.linear is not None and len(ranking.linear.tags) > 10
    share = max(linear_module.KEEP, linear_module.BUDGET // len(ranking.linear.tags))
    assert np.all((np.diff(ranking.linear.starts) > 0) & (np.diff(ranking.linear.starts) <= share))
    assert ranking.linear.n_tags == len(ranking.tags)


def test_suggestions_carry_score_source_and_reason(ranker: Recommender) -> None:
    result = ranker.suggest(title="How do I merge two pandas dataframe?", body="groupby and concat", k=5)
    assert len(result) == 5
    assert {s.tag for s in result[:2]} == {"python", "pandas"}
    scores = [s.score for s in result]
    assert scores == sorted(scores, reverse=True)
    assert all(0.0 <= s <= 1.0 for s in scores)
    assert all(s.source in SOURCES for s in result)
    assert all(s.reason for s in result)
    assert result[0].score > 0.5 > result[-1].score  # comparable scores: a threshold hides the weak ones


def test_reasons_name_their_evidence(ranker: Recommender) -> None:
    reasons = {s.source: s.reason for s in ranker.suggest(title="pandas dataframe merge", k=8)}
    if "text" in reasons:
        assert reasons["text"] in ("appears in the title", "appears in the text", "a form of it appears in the text")
    if "neighbours" in reasons:
        assert reasons["neighbours"].endswith(("similar post", "similar posts"))
    if "classifier" in reasons:
        assert reasons["classifier"].startswith("learned from ")


def test_every_reason_is_also_a_code_whose_english_is_the_reason(ranker: Recommender) -> None:
    """The UIs render ``why`` in their language; the CLI keeps the English ``reason``: both must say the same."""
    codes = {
        "text": {"in_title", "in_text", "form_in_text", "part_in_text"},
        "neighbours": {"similar_posts"},
        "classifier": {"learned"},
        "related": {"used_with"},
    }
    seen = set()
    for title, chosen in [("pandas dataframe merge", ()), ("how do i fix this", ("docker",)),
                          ("Plot a pandas dataframe with Matplotlib", ()), ("react component state", ())]:  # fmt: skip
        for s in ranker.suggest(title=title, tags=chosen, k=10):
            assert s.why is not None and s.why.code in codes[s.source], s
            assert s.reason == s.why.text() and s.reason, s
            # a count where the code counts, a tag where it names one, nothing else
            assert (s.why.count is not None) == (s.why.code in ("similar_posts", "learned")), s
            assert (s.why.tag is not None) == (s.why.code == "used_with"), s
            seen.add(s.why.code)
    assert {"in_title", "similar_posts", "learned", "used_with"} <= seen, seen
    linux = next(s for s in ranker.suggest(title="how do i fix this", tags=["Docker"], k=10) if s.tag == "linux")
    assert linux.why == Why("used_with", tag="docker")
    plot = ranker.suggest(title="Plot a pandas dataframe with Matplotlib", k=5)
    assert next(s for s in plot if s.tag == "matplotlib").why == Why("in_title")


def test_a_classifier_only_model_says_why_as_a_code_too(tiny_model_path: Path) -> None:
    (first, *_) = tagrec_core.load(tiny_model_path).suggest(title="How do I merge two pandas dataframe?", k=3)
    assert first.source == "classifier" and first.why is not None and first.why.code == "learned"
    assert first.reason == f"learned from {first.why.count} tagged posts" and first.why.count > 1


def test_site_only_tag_found_in_text_is_suggested(ranker: Recommender) -> None:
    result = ranker.suggest(title="Plot a pandas dataframe with Matplotlib", k=5)
    match = [s for s in result if s.tag == "matplotlib"]
    assert match, [s.tag for s in result]
    assert match[0].source == "text" and match[0].reason == "appears in the title"


def test_chinese_site_only_tag_matches_as_substring(ranker: Recommender) -> None:
    result = ranker.suggest(title="今天香港下雨气温降温", k=5)
    assert "香港" in [s.tag for s in result]


def test_chosen_tags_are_never_suggested_and_pull_companions(ranker: Recommender) -> None:
    free = ranker.suggest(title="how do i fix this", k=10)
    chosen = ranker.suggest(title="how do i fix this", tags=["Docker"], k=10)
    assert "docker" not in [s.tag for s in chosen]
    linux = [s for s in chosen if s.tag == "linux"]
    assert linux and linux[0] == chosen[0]
    assert linux[0].score > max((s.score for s in free if s.tag == "linux"), default=0.0)
    assert linux[0].source == "related" and linux[0].reason == "often used with docker"


def test_unknown_chosen_tag_is_ignored_but_excluded(ranker: Recommender) -> None:
    result = ranker.suggest(title="react component state", tags=["not-a-known-tag", "reactjs"], k=5)
    assert {"not-a-known-tag", "reactjs"}.isdisjoint(s.tag for s in result)
    assert result[0].tag == "javascript"


def test_empty_and_huge_texts(ranker: Recommender) -> None:
    assert isinstance(ranker.suggest(title="", k=3), list)
    huge = "pandas dataframe merge " * 50_000  # ~1 MB
    assert ranker.suggest(title="", body=huge, k=3)[0].tag in ("python", "pandas")


def test_model_file_round_trip_keeps_suggestions(tiny_ranker: Any, ranker: Recommender) -> None:
    posts = [("pandas dataframe merge", ""), ("docker compose volume", "image"), ("火锅 好吃 餐厅", "")]
    direct = Recommender(tiny_ranker).suggest_many(posts, k=5)
    loaded = ranker.suggest_many(posts, k=5)
    assert [[s.to_dict() for s in row] for row in direct] == [[s.to_dict() for s in row] for row in loaded]


def test_suggest_many_equals_suggest(ranker: Recommender) -> None:
    posts = [("pandas dataframe merge", ""), ("spring boot bean", "maven"), ("电影 票房 上映", "")]
    many = ranker.suggest_many(posts, [["python"], [], []], k=4)
    chosen = [["python"], [], []]
    single = [ranker.suggest(title=t, body=b, tags=c, k=4) for (t, b), c in zip(posts, chosen, strict=True)]
    assert many == single


def test_concurrent_readers_agree(ranker: Recommender) -> None:
    texts = ["pandas dataframe merge", "docker compose volume", "电影 票房 上映", "react hooks state"] * 5
    expected = [ranker.suggest(title=t, k=5) for t in texts]
    results: list[Any] = [None] * len(texts)

    def work(i: int) -> None:
        results[i] = ranker.suggest(title=texts[i], k=5)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(len(texts))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == expected


def _resave(source: Path, target: Path, change: Any) -> Path:
    payload = torch.load(io.BytesIO(source.read_bytes()), weights_only=True)
    change(payload)
    buffer = io.BytesIO()
    torch.save(payload, buffer)
    target.write_bytes(buffer.getvalue())
    return target


@pytest.mark.parametrize(
    "damage",
    [
        lambda p: p["ranking"]["index"].update(shape=[1, 2, 3]),
        lambda p: p["ranking"]["index"].update(posting_lengths=torch.ones((1, 2), dtype=torch.uint8)),
        lambda p: p["ranking"].pop("related"),
        lambda p: p["ranking"]["fusion"].update(features=["something", "else"]),
        lambda p: p["ranking"].update(tags=["only-one"]),
        lambda p: p["ranking"]["config"].update(sources=["telepathy"]),
        lambda p: p["ranking"]["linear"].update(n_tags=1),
        lambda p: p["ranking"]["linear"].update(term_gaps=p["ranking"]["linear"]["term_gaps"][:, :-1]),
    ],
    ids=[
        "index-shape",
        "posting-lists",
        "no-related",
        "fusion-features",
        "too-few-tags",
        "unknown-source",
        "linear-tag-range",
        "linear-weights",
    ],
)
def test_damaged_ranking_section_is_a_clear_error(tiny_ranker_path: Path, tmp_path: Path, damage: Any) -> None:
    path = _resave(tiny_ranker_path, tmp_path / "bad.tagrec", damage)
    with pytest.raises(ModelFileError, match=r"damaged|incompatible|fewer tags"):
        modelfile.load(path)


def test_classifier_only_file_still_loads(tiny_model_path: Path) -> None:
    model = modelfile.load(tiny_model_path)
    assert model.ranking is None
    assert Recommender(model).suggest(title="pandas dataframe", k=2)[0].source == "classifier"


def test_format_one_file_loads_without_ranking(tiny_model_path: Path, tmp_path: Path) -> None:
    def as_format_one(payload: dict[str, Any]) -> None:
        payload["format_version"] = 1
        payload.pop("ranking")

    model = modelfile.load(_resave(tiny_model_path, tmp_path / "v1.tagrec", as_format_one))
    assert model.ranking is None


def test_format_two_file_loads_with_the_same_suggestions(
    tiny_ranker_path: Path, ranker: Recommender, tmp_path: Path
) -> None:
    # Format 2 stored the index as its posts x terms arrays; format 3 as delta-coded posting lists.
    index = modelfile.load(tiny_ranker_path).ranking.index

    def as_format_two(payload: dict[str, Any]) -> None:
        payload["format_version"] = 2
        payload["ranking"]["index"] = format_two_index_state(index)

    old = Recommender(modelfile.load(_resave(tiny_ranker_path, tmp_path / "v2.tagrec", as_format_two)))
    for title in ["pandas dataframe merge", "docker compose volume", "电影 票房 上映"]:
        assert old.suggest(title=title, k=5) == ranker.suggest(title=title, k=5)


def test_format_four_file_loads_its_uncalibrated_fusion_with_the_same_order(
    tiny_ranker_path: Path, ranker: Recommender, tmp_path: Path
) -> None:
    # Format 4 fusions had no calibration map: their logits were probabilities' (cross-entropy alone). The map
    # only changes the scores, never their order.
    assert ranker.model.ranking.fusion.calibration is not None

    def as_format_four(payload: dict[str, Any]) -> None:
        payload["format_version"] = 4
        del payload["ranking"]["fusion"]["calibration"]

    old = Recommender(modelfile.load(_resave(tiny_ranker_path, tmp_path / "v4.tagrec", as_format_four)))
    assert old.model.ranking.fusion.calibration is None
    for title in ["pandas dataframe merge", "docker compose volume", "电影 票房 上映"]:
        now, before = ranker.suggest(title=title, k=10), old.suggest(title=title, k=10)
        assert [s.tag for s in before] == [s.tag for s in now]
        assert [s.score for s in before] != [s.score for s in now]


def test_format_three_file_loads_without_linear_svms(tiny_ranker_path: Path, tmp_path: Path) -> None:
    # Format 3 had no linear SVMs; its config named only the four sources, and its fusion their features.
    def as_format_three(payload: dict[str, Any]) -> None:
        payload["format_version"] = 3
        ranking = payload["ranking"]
        del ranking["linear"], ranking["config"]["linear_candidates"]
        ranking["config"]["sources"] = list(SOURCES)
        fusion = ranking["fusion"]
        fusion["features"] = fusion["features"][:-2]
        fusion["mean"], fusion["scale"], fusion["w1"] = fusion["mean"][:-2], fusion["scale"][:-2], fusion["w1"][:-2]

    old = Recommender(modelfile.load(_resave(tiny_ranker_path, tmp_path / "v3.tagrec", as_format_three)))
    assert old.model.ranking.linear is None
    result = old.suggest(title="How do I merge two pandas dataframe?", body="groupby and concat", k=5)
    assert {s.tag for s in result[:2]} == {"python", "pandas"}


def test_ranking_config_rejects_unknown_sources() -> None:
    with pytest.raises(ValueError, match="telepathy"):
        RankingConfig(sources=("classifier", "telepathy"))


@pytest.mark.parametrize("without", COMPONENTS)
def test_ablated_ranker_uses_no_evidence_of_its_missing_source(tiny_ranker: Any, without: str) -> None:
    from tagrec_core.fusion import FEATURES

    ranking = tiny_ranker.ranking
    config = RankingConfig(sources=tuple(s for s in COMPONENTS if s != without))
    ablated = type(ranking)(
        ranking.tags,
        ranking.site_counts,
        ranking.text_seen,
        ranking.text_tagged,
        ranking.index,
        ranking.related,
        ranking.fusion,
        config,
        ranking.linear,
    )
    probabilities = tiny_ranker.probabilities(["docker compose volume image"]).numpy()[0]
    docker = ranking.tags.index["docker"]
    candidates = ablated.candidates(tiny_ranker, probabilities, "docker compose volume", "image", [docker])
    column = {n: i for i, n in enumerate(FEATURES)}
    silent = {
        "classifier": ["classifier_p", "classifier_rank", "context_related"],
        "neighbours": ["neighbour_share", "neighbour_count", "neighbour_best", "neighbour_top"],
        "text": ["in_title", "in_body", "text_precision", "overlap"],
        "related": ["chosen_related", "context_related"],
        "linear": ["linear_rank"],
    }[without]
    assert len(candidates.tags)
    assert docker not in candidates.tags.tolist()
    for name in silent:
        assert np.all(candidates.features[:, column[name]] == 0), name
    if without == "linear":
        assert np.all(candidates.features[:, column["linear_margin"]] == NO_MARGIN)


def _docker_row(ranking: Any, model: Any, title: str) -> np.ndarray | None:
    """The feature row of the tag ``docker`` among the candidates of ``title`` (None when not a candidate)."""
    from tagrec_core.fusion import FEATURES

    docker = ranking.tags.tags.index("docker")
    candidates = ranking.candidates(model, np.zeros(len(model.vocab), np.float32), title, "", [])
    rows = np.flatnonzero(candidates.tags == docker)
    return dict(zip(FEATURES, candidates.features[rows[0]], strict=True)) if len(rows) else None


def _without_column(fusion: Any, column: str) -> Any:
    """``fusion`` as a file written before ``column`` existed would hold it: without that column."""
    from tagrec_core.fusion import Fusion

    keep = [i for i, name in enumerate(fusion.names) if name != column]
    names = tuple(fusion.names[i] for i in keep)
    return Fusion(fusion.mean[keep], fusion.scale[keep], fusion.w1[keep], fusion.b1, fusion.w2, fusion.b2, names)


def test_other_form_of_a_tag_is_a_candidate_only_for_a_fusion_that_learned_it(tiny_ranker: Any) -> None:
    import dataclasses

    ranking = tiny_ranker.ranking
    assert "stem_only" in ranking.fusion.names
    row = _docker_row(ranking, tiny_ranker, "my dockerized app")
    assert row is not None and row["stem_only"] == 1 and row["in_title"] == 0 and row["in_body"] == 0
    exact = _docker_row(ranking, tiny_ranker, "my docker app")
    assert exact is not None and exact["stem_only"] == 0 and exact["in_title"] == 1
    # A fusion without the column (files written before it) never sees such candidates: they rank as before.
    older = _without_column(ranking.fusion, "stem_only")
    before = _docker_row(dataclasses.replace(ranking, fusion=older), tiny_ranker, "my dockerized app")
    assert before is None or (before["stem_only"] == 0 and before["text_precision"] == 0)  # another source's


def test_partial_matches_only_for_a_fusion_that_learned_them(tiny_ranker: Any) -> None:
    import dataclasses

    ranking = tiny_ranker.ranking
    assert "overlap" in ranking.fusion.names
    row = _docker_row(ranking, tiny_ranker, "my docker app")
    assert row is not None and row["overlap"] == 1.0
    older = dataclasses.replace(ranking, fusion=_without_column(ranking.fusion, "overlap"))
    before = _docker_row(older, tiny_ranker, "my docker app")
    assert before is not None and before["overlap"] == 0.0


def test_reason_of_another_form_of_the_tag(tiny_ranker: Any) -> None:
    from tagrec_core.fusion import FEATURES
    from tagrec_core.ranker import Candidates
    from tagrec_core.retrieval import NeighbourVotes

    row = np.zeros((1, len(FEATURES)), np.float32)
    row[0, FEATURES.index("stem_only")] = 1.0
    row[0, FEATURES.index("text_precision")] = 0.6
    candidates = Candidates(np.array([0]), row, NeighbourVotes.empty(), np.array([-1]))
    assert tiny_ranker.ranking.explain(candidates, 0) == ("text", Why("form_in_text"))
    assert Why("form_in_text").text() == "a form of it appears in the text"


def test_reason_of_a_partial_match(tiny_ranker: Any) -> None:
    """A tag that only partly appears (and has no stronger evidence) says so, not "learned from N posts"."""
    from tagrec_core.fusion import FEATURES
    from tagrec_core.ranker import Candidates
    from tagrec_core.retrieval import NeighbourVotes

    row = np.zeros((1, len(FEATURES)), np.float32)
    row[0, FEATURES.index("overlap")] = 0.5
    candidates = Candidates(np.array([0]), row, NeighbourVotes.empty(), np.array([-1]))
    assert tiny_ranker.ranking.explain(candidates, 0) == ("text", Why("part_in_text"))
    assert Why("part_in_text").text() == "part of it appears in the text"
    row[0, FEATURES.index("classifier_p")] = 0.9  # stronger evidence wins
    assert tiny_ranker.ranking.explain(candidates, 0)[0] == "classifier"
