"""Smoke tests of the benchmark modules on tiny synthetic data (never /work/shared), so they cannot rot."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench import product, quality, scaling, seed_table, speed

SMALL_BAG = {"dim": 16, "buckets": 2000}


pytestmark = pytest.mark.usefixtures("single_thread")  # (conftest)


@pytest.fixture(scope="module")
def tiny_set() -> quality.BenchSet:
    records = scaling.synthetic_records(12, 240, seed=3)
    return quality.BenchSet("tiny", Path("."), records[:200], records[200:], "valid")


def test_synthetic_records_cover_every_tag() -> None:
    records = scaling.synthetic_records(50, 80, seed=1)
    assert len(records) == 80
    assert len({t for r in records for t in r.tags}) == 50
    assert all(1 <= len(r.tags) <= 3 and r.title for r in records)
    long = scaling.synthetic_records(5, 3, long=True)
    assert all(len(r.text.split()) > 150 for r in long)


def test_product_contenders_and_int8_loss(tiny_set: quality.BenchSet) -> None:
    bag, fp32 = product.contenders("bag", "tagrec-bag", with_fp32=True, epochs=3, vocab_size=200, arch_config=SMALL_BAG)
    results = {}
    for c in (bag, fp32):
        results[c.name] = quality.run_contender(c, tiny_set)
    assert results["tagrec-bag"]["size_mb"] < results["tagrec-bag-fp32"]["size_mb"]
    assert bag.info["quantized"] is True and fp32.info["quantized"] is False
    assert results["tagrec-bag"]["f1@3"] > 0.2  # the tags' own words are in every post
    results["fastText"] = {**results["tagrec-bag"], "is_peer": True}
    quality.add_ratios(results)
    summary = product.summarize_quality({"sets": {"cooking": {"contenders": results}}})
    assert summary["int8_vs_fp32"][0]["set"] == "cooking"
    assert "goal" in product.format_goal(summary["goal"]) and "loss" in product.format_quant(summary["int8_vs_fp32"])
    assert product.int8_loss_pct(0.5, 0.495) == pytest.approx(1.0)
    assert product.product_contenders in quality.CONTENDER_FACTORIES


def test_speed_latency_and_fasttext(tiny_set: quality.BenchSet) -> None:
    assert speed.percentile([1, 2, 3, 4, 5], 0.5) == 3
    assert speed.percentile(list(range(101)), 0.99) == pytest.approx(99)
    model = speed.train_tagrec(tiny_set.train, "bag", epochs=1, vocab_size=200, arch_config=SMALL_BAG)
    peer = speed.train_fasttext(tiny_set.train, epoch=2, bucket=1000, dim=10)
    groups = {
        "short": [(r.title, "") for r in tiny_set.valid[:10]],
        "long": [(r.title, r.body) for r in tiny_set.valid],
    }
    results = {
        "fastText": speed.measure_groups(speed.fasttext_call(peer), groups),
        "tagrec-bag int8": speed.measure_groups(speed.tagrec_call(model), groups, repeat=2),
    }
    assert results["tagrec-bag int8"]["all"]["n"] == 10 + len(tiny_set.valid)
    assert results["fastText"]["short"]["p50_us"] > 0
    assert "p99" in speed.format_latency(results)
    assert model.quantized and "bag.BagModel" in product.layer_kinds(model)


def test_speed_training_times(tmp_path: Path) -> None:
    report = {"sets": {"cooking": {"contenders": {"fastText": {"train_s": 3.0}, "tagrec-bag": {"train_s": 2.0}}}}}
    (tmp_path / "q.json").write_text(json.dumps(report))
    times = speed.training_times(tmp_path / "q.json")
    assert times == {"cooking": {"fastText": 3.0, "tagrec-bag": 2.0}}
    assert "cooking" in speed.format_training(times)
    assert speed.training_times(tmp_path / "missing.json") == {}


def test_scaling_run_one_measures_size_latency_and_rss() -> None:
    row = scaling.run_one(20, epochs=1, n_records=150, n_latency=5, arch_config=SMALL_BAG)
    assert row["model_tags"] == 20 and row["file_mb"] > 0
    assert 50 < row["memory"]["rss_mb"] < 2000
    assert row["latency"]["long"]["n"] == 5
    assert "tags" in scaling.format_table([row])


def test_seed_table_rows(tiny_set: quality.BenchSet) -> None:
    rows = {p: seed_table.run_preset(tiny_set, p, epochs=1, vocab_size=200, threads=1) for p in ("naive-bayes", "cnn")}
    seed_table.add_ratios(rows)
    assert rows["naive-bayes"]["vs_nb"] == pytest.approx(1.0)
    assert rows["cnn"]["quantized"] and not rows["naive-bayes"]["quantized"]
    assert "CNN" in seed_table.format_table("tiny", rows, (200, 40))


def test_profile_replay_and_cold_start(tiny_ranker, train_records, heldout_records, tmp_path: Path) -> None:
    from dataclasses import replace

    from bench import profile as profile_bench

    # Two users, history and stream interleaved in time, so some stream posts have >= 5 earlier posts.
    def owned(records, offset):
        return [replace(r, user=f"u{i % 2}", created=f"2020-01-{(i + offset) % 28 + 1:02d}T00:00:{i % 60:02d}")
                for i, r in enumerate(records)]  # fmt: skip

    report = profile_bench.replay(tiny_ranker, owned(train_records[:40], 0), owned(heldout_records[:20], 5), tmp_path)
    assert report["events"] == 20 and report["integrity"] == "ok"
    assert report["history>=5"]["with"]["posts"] > 0
    assert report["ms_feedback"]["p99"] > 0 and report["profile_bytes"] > 0
    cold = profile_bench.cold_start({"en": tiny_ranker, "zh": tiny_ranker}, tmp_path, limit=4)
    assert {row["tag"] for row in cold} >= {"tax-2025", "论文"}
    assert all(row["base_knows_it"] is False for row in cold)


def test_bridge_load_runs_against_a_real_bridge(bridge, monkeypatch: pytest.MonkeyPatch) -> None:
    import asyncio

    from bench import bridge_load

    monkeypatch.setattr(bridge_load, "RATE_SECONDS", 0.5)
    tokens = [bridge.tokens.create("cli")[1] for _ in range(3)]
    bodies = [
        json.dumps({"site": "stackoverflow", "title": f"python list sort {i}", "limit": 3}).encode() for i in range(8)
    ]
    one = asyncio.run(bridge_load.sequential(bridge.port, tokens, bodies))
    closed = asyncio.run(bridge_load.closed_loop(bridge.port, tokens, bodies, 4))
    hello = asyncio.run(bridge_load.closed_loop(bridge.port, tokens, bodies, 4, route="GET /v1/hello"))
    point = asyncio.run(bridge_load.open_loop(bridge.port, tokens, bodies, 20))
    assert (one["requests"], one["errors"]) == (8, 0) and one["p50_ms"] > 0
    assert (closed["requests"], closed["errors"]) == (12, 0) and closed["p99_ms"] >= closed["p50_ms"]
    assert (hello["requests"], hello["errors"]) == (12, 0)
    assert point["errors"] == 0 and point["rate_rps"] == 20
    sweep = [{"rate_rps": 1, "p50_ms": 2.0}, {"rate_rps": 2, "p50_ms": 3.0}, {"rate_rps": 4, "p50_ms": 5.0}]
    assert bridge_load.doubling_rate(sweep) == 4
    assert bridge_load.doubling_rate(sweep[:2]) is None


def test_desktop_bench_indexes_files_and_counts_a_burst() -> None:
    from bench import desktop

    texts = [(f"How do I sort a list {i} in Python?", "sorted with a key") for i in range(40)]
    indexed = desktop.indexing(texts)
    assert indexed["files"] == 40 and indexed["files_per_s"] > 0 and indexed["peer_in_memory_per_s"] > 0
    counted = desktop.burst(30)
    assert (counted["written"], counted["picked_up"], counted["missed"]) == (30, 30, 0)


def test_calibration_tables_of_a_real_ranker(tiny_ranker: object, train_records: list[object]) -> None:
    from bench import calibration
    from tagrec_core.recommender import Recommender
    from tagrec_core.suggestion import MIN_SCORES

    result = calibration.measure(Recommender(tiny_ranker), train_records[:40])
    bins = result["reliability"]
    assert result["posts"] == 40 and 0 < sum(b["suggestions"] for b in bins) <= 40 * calibration.DEPTH
    assert all(b["low"] <= b["mean_score"] <= b["high"] and 0 <= b["right"] <= 1 for b in bins)
    rows = result["min_score"]
    assert [r["min_score"] for r in rows] == list(MIN_SCORES)
    shown = [r["shown_per_post"] for r in rows]
    assert shown == sorted(shown, reverse=True) and shown[0] <= calibration.SHOWN
    assert rows[0]["posts_with_none"] == 0.0 and rows[0]["recall"] > 0.5  # posts it learned from: mostly right
    text = calibration.format_set("tiny", {"split": "train", "model": "tiny", **result})
    assert "min score" in text and "right" in text


def test_models_ab_times_every_model_on_every_post(tiny_ranker_path: Path, tiny_model_path: Path) -> None:
    from bench import models_ab

    posts = [("How do I parse JSON in Python?", ""), ("Docker container exits at once", "It stops."), ("", "")]
    summaries = models_ab.compare([tiny_ranker_path, tiny_model_path], posts, passes=2)
    assert [s["n"] for s in summaries] == [3, 3]
    assert all(0 < s["p50_us"] <= s["p99_us"] for s in summaries)
