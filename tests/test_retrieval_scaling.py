"""Smoke test of bench.retrieval_scaling on tiny synthetic posts (never /work/shared), so it cannot rot."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from bench import retrieval_scaling as rs
from bench import scaling
from tagrec_core.records import Record
from tagrec_core.retrieval import TERM_BUCKETS, PostIndex


@pytest.fixture(scope="module")
def records() -> list[Record]:
    return scaling.synthetic_records(30, 260, seed=5)


@pytest.fixture(scope="module")
def real(records: list[Record]) -> rs.Corpus:
    return rs.real_corpus(records[:200])


def test_grow_keeps_real_posts_and_is_prefix_stable(real: rs.Corpus) -> None:
    corpus, n_real = rs.grow(real, 1200, seed=1)
    assert (len(corpus), n_real) == (1200, 200)
    assert corpus.tags.shape == (1200, real.tags.shape[1]) and corpus.tags.getnnz(axis=1).min() >= 1
    assert corpus.offsets[-1] == len(corpus.terms) and corpus.terms.dtype == np.int32
    # the real posts come first (shuffled): their term multisets are the real ones
    real_bags = {tuple(sorted(real.terms[a:b])) for a, b in zip(real.offsets[:-1], real.offsets[1:], strict=True)}
    first = corpus.prefix(200)
    assert all(
        tuple(sorted(first.terms[a:b])) in real_bags for a, b in zip(first.offsets[:-1], first.offsets[1:], strict=True)
    )
    # synthetic posts are resamples: mostly but not entirely a real post's terms
    assert set(corpus.terms[first.offsets[-1] :].tolist()) <= set(real.terms.tolist())
    small, n_small = rs.grow(real, 150, seed=1)
    assert n_small == 150 and np.array_equal(small.terms, corpus.prefix(150).terms)


def test_count_matrix_matches_library_build(real: rs.Corpus) -> None:
    corpus, _ = rs.grow(real, 600, seed=2)
    lists = [corpus.terms[a:b].tolist() for a, b in zip(corpus.offsets[:-1], corpus.offsets[1:], strict=True)]
    tags = [row.indices.tolist() for row in corpus.tags]
    built = PostIndex.build(lists, tags, TERM_BUCKETS, corpus.tags.shape[1])
    ours = PostIndex(rs.count_matrix(corpus), corpus.tags)
    assert (built.counts != ours.counts).nnz == 0
    assert np.array_equal(built._weights, ours._weights) and np.array_equal(built._indices, ours._indices)
    terms = lists[3]
    assert np.array_equal(built.votes(terms, 5).tags, ours.votes(terms, 5).tags)
    assert rs.index_bytes(ours) > 0


def test_brute_force_and_similarity_agree_with_exact_index(records: list[Record], real: rs.Corpus) -> None:
    corpus, _ = rs.grow(real, 800, seed=3)
    index = PostIndex(rs.count_matrix(corpus), corpus.tags, query_mass=1.0, query_postings=0)
    peer = rs.BruteForce(index)
    for terms in rs.query_terms(records[200:], 10):
        posts, sims = index.neighbours(terms, 10)
        _, brute_sims = peer.neighbours(terms, 10)
        np.testing.assert_allclose(brute_sims[: len(sims)], sims, rtol=1e-4, atol=1e-6)
        np.testing.assert_allclose(rs.similarity(index, terms, posts), sims, rtol=1e-4, atol=1e-6)
        assert peer.votes(terms, 10).shape == (corpus.tags.shape[1],)


def test_run_set_structure_and_recall(records: list[Record]) -> None:
    result = rs.run_set(records[:200], records[200:], [500, 2000], n_queries=20, brute_max=2000, max_postings=100)
    assert result["queries"] == 20 and result["real_posts"] == 200
    rows = result["rows"]
    assert [r["posts"] for r in rows] == [500, 2000]
    for row in rows:
        assert row["synthetic_posts"] == row["posts"] - 200
        for side in ("pruned", "exact", "brute"):
            assert 0 < row[side]["p50_us"] <= row[side]["p99_us"] and row[side]["n"] == 20
        assert 0.0 <= row["recall"]["recall"] <= row["recall"]["recall_ties"] <= 1.0
        assert row["pruned"]["postings_per_query"] <= row["exact"]["postings_per_query"]
        assert row["pruned"]["x_brute_p50"] > 0 and row["index_mb"] > 0 and row["build_peak_rss_mb"] > 0
    assert rows[-1]["lists_over_cap"] > 0  # the cap of 100 does cut lists at 2,000 posts
    table = rs.format_table("tiny", result, max_postings=100)
    assert "2,000" in table and "brute force" in table


def test_main_writes_json(tmp_path: Path, records: list[Record]) -> None:
    set_dir = tmp_path / "tiny"
    set_dir.mkdir()
    for split, part in (("train", records[:200]), ("valid", records[200:])):
        lines = [json.dumps({"id": r.id, "title": r.title, "body": r.body, "tags": list(r.tags)}) for r in part]
        (set_dir / f"{split}.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = tmp_path / "out.json"
    argv = ["--sets", "tiny", "--sizes", "300", "--queries", "5", "--data-root", str(tmp_path), "--out", str(out)]
    assert rs.main(argv) == 0
    report = json.loads(out.read_text(encoding="utf-8"))
    assert report["meta"]["default_max_postings"] == rs.DEFAULT_POSTINGS
    assert report["meta"]["default_query_postings"] == rs.DEFAULT_QUERY_POSTINGS > 0
    assert report["sets"]["tiny"]["rows"][0]["posts"] == 300


def test_exact_mode_reads_every_term_and_pruned_mode_the_library_default(real: rs.Corpus) -> None:
    corpus, _ = rs.grow(real, 300, seed=1)
    index = PostIndex(rs.count_matrix(corpus), corpus.tags)
    exact = rs.read_whole(index)
    assert (exact.max_postings, exact.query_mass, exact.query_postings) == (rs.EXACT_POSTINGS, 1.0, 0)
    # The pruned mode reads the index as built, with the library's defaults; the exact copy leaves it so.
    assert (index.max_postings, index.query_postings) == (rs.DEFAULT_POSTINGS, rs.DEFAULT_QUERY_POSTINGS)
    assert index.query_mass < 1.0
