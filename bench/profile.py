"""The personal profile's gain, speed and cold start, and the fit of its ranking weights.

``python -m bench.profile [replay]`` (the measurement; about 10 minutes):

1. Trains the full ranker on ``so-users`` train (``valid=None``, as ``tagrec train`` does), or loads
   ``--model``. With ``--base others`` it trains on the train posts of the users who do not post in
   ``valid`` only: a base that has never seen the replayed users, as the shipped model has never seen the
   person using it (with ``all``, the default, the base's index already holds their earlier posts, so the
   base alone knows part of what the profile adds).
2. Learns every train post into a fresh profile as its user's accepted feedback (``tagrec profile learn``).
3. Replays ``valid`` in time order: for each post, suggests without the profile and with the profile of the
   post's user (built from that user's earlier posts only), then feeds the post's true tags as accepted
   feedback, with the suggestions shown.
4. Reports F1@3 and P@1 with and without the profile, overall and for users with >= 5 earlier posts; the
   ratio; feedback latency (p50/p99 per event, durable); suggest latency with and without the profile,
   each user's model already in memory as in a running app, and apart, the time to read a user's model at
   their first suggestion (``ms_first_load``); the profile's size after all events.
5. Cold start: for each personal tag of ``bench/data/personal.jsonl`` (tags the shipped models never saw),
   a fresh user accepts it on one item after another; how many uses until it is in the top 5 of a similar
   text it has not seen.

``python -m bench.profile fit`` learns the personal ranking network without touching ``valid``: a ranker
trained on the oldest 60% of train, the profile learned from those posts, the newest 40% replayed to
collect (candidate, was-it-right) rows, and the network fitted on them (``fusion.fit_fusion``, with the ranking
loss ``profile.personal.LISTWISE``, ``ENSEMBLE`` networks averaged). It writes
``tagrec_core/resources/personal.json`` (``profile.personal.NETWORK_FILE``), which ships with tagrec.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from bench.product import RESULTS_DIR, one_thread
from bench.quality import DEFAULT_DATA_ROOT
from tagrec_core.fusion import Fusion, fit_fusion
from tagrec_core.metrics import evaluate
from tagrec_core.model import Model
from tagrec_core.profile import Profile, parse_feedback
from tagrec_core.profile.personal import BASE_CANDIDATES, ENSEMBLE, FEATURES, LISTWISE, NETWORK_FILE, candidates
from tagrec_core.profile.transfer import learn_records
from tagrec_core.recommender import Recommender
from tagrec_core.records import Record, read_records

DATA_SET = "so-users"
SITE = "stackoverflow"
HISTORY_MIN = 5
PERSONAL_COLLECTION = Path(__file__).resolve().parent / "data" / "personal.jsonl"
DEFAULT_OUT = RESULTS_DIR / "profile.json"


def _train(records: Sequence[Record]) -> Model:
    from tagrec_core.presets import config_for
    from tagrec_core.ranker_training import train_ranker

    return train_ranker(records, None, config_for("bag", threads=1))


def _by_time(records: Sequence[Record]) -> list[Record]:
    return sorted(records, key=lambda r: r.created or "")


def _percentile(values: Sequence[float], q: float) -> float:
    return float(np.percentile(np.asarray(values), q)) if values else 0.0


def _timed_ms(fn: Any, *args: Any, **kwargs: Any) -> tuple[Any, float]:
    start = time.perf_counter()
    out = fn(*args, **kwargs)
    return out, (time.perf_counter() - start) * 1000.0


def replay(model: Model, history: Sequence[Record], stream: Sequence[Record], home: Path) -> dict[str, Any]:
    """Steps 2-4 of the module docstring; returns the report."""
    with Profile.open(home / "profile.sqlite") as profile:
        learn_records(profile, history, SITE)
        plain, personal = Recommender(model), Recommender(model, profile)
        assert personal.personalizer is not None
        # A running app reads a user's profile into memory at their first suggestion and then only what changed:
        # load every replayed user's model first (timed apart), so the replay measures the steady state.
        loads = [_timed_ms(personal.personalizer.user_model, user)[1] for user in {r.user or "" for r in stream}]
        earlier = Counter(r.user for r in history)
        rows: list[dict[str, Any]] = []
        for record in _by_time(stream):
            without, t_plain = _timed_ms(plain.suggest, record.title, record.body, k=5)
            with_profile, t_personal = _timed_ms(personal.suggest, record.title, record.body, user=record.user, k=5)
            event = parse_feedback({
                "user": record.user, "site": SITE, "item": record.id, "title": record.title, "body": record.body,
                "shown": [s.tag for s in with_profile], "accepted": list(record.tags), "final": list(record.tags),
            })  # fmt: skip
            _, t_feedback = _timed_ms(profile.record, event)
            rows.append({
                "truth": list(record.tags), "without": [s.tag for s in without], "with": [s.tag for s in with_profile],
                "earlier": earlier[record.user], "ms_plain": t_plain, "ms_personal": t_personal,
                "ms_feedback": t_feedback,
            })  # fmt: skip
            earlier[record.user] += 1
        profile.reader().execute("PRAGMA wal_checkpoint(TRUNCATE)")
        size = profile.path.stat().st_size
        integrity = profile.integrity()
    return _report(rows, size, integrity) | {"ms_first_load": _summary(loads)}


def _summary(values: Sequence[float]) -> dict[str, float]:
    return {"p50": round(_percentile(values, 50), 3), "p99": round(_percentile(values, 99), 3)}


def _report(rows: list[dict[str, Any]], size: int, integrity: str) -> dict[str, Any]:
    def scores(selected: list[dict[str, Any]], key: str) -> dict[str, float]:
        s = evaluate([r[key] for r in selected], [r["truth"] for r in selected])
        return {"f1@3": round(s["f1@3"], 4), "p@1": round(s["p@1"], 4), "posts": s.posts}

    report: dict[str, Any] = {}
    for name, selected in (
        ("all", rows),
        (f"history>={HISTORY_MIN}", [r for r in rows if r["earlier"] >= HISTORY_MIN]),
    ):
        without, with_profile = scores(selected, "without"), scores(selected, "with")
        report[name] = {
            "without": without,
            "with": with_profile,
            "f1@3_ratio": round(with_profile["f1@3"] / max(without["f1@3"], 1e-9), 3),
            "p@1_ratio": round(with_profile["p@1"] / max(without["p@1"], 1e-9), 3),
        }
    for key in ("ms_feedback", "ms_plain", "ms_personal"):
        report[key] = _summary([r[key] for r in rows])
    report["profile_added_p99_ms"] = round(report["ms_personal"]["p99"] - report["ms_plain"]["p99"], 3)
    report["profile_bytes"] = size
    report["events"] = len(rows)
    report["integrity"] = integrity
    return report


def cold_start(models: dict[str, Model], home: Path, limit: int = 10) -> list[dict[str, Any]]:
    """Step 5: uses until each personal tag is in the top 5 of its held-back text (``None``: never, in
    ``limit`` uses)."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for line in PERSONAL_COLLECTION.read_text(encoding="utf-8").splitlines():
        if line.strip():
            item = json.loads(line)
            groups.setdefault(item["tag"], []).append(item)
    out = []
    with Profile.open(home / "cold.sqlite") as profile:
        for n, (tag, items) in enumerate(groups.items()):
            model = models[items[0]["lang"]]
            known = tag in (model.ranking.tags.index if model.ranking else model.vocab.index)
            recommender, user = Recommender(model, profile), f"cold-{n}"
            query, uses = items[-1], None
            for count, item in enumerate(items[:-1][:limit], start=1):
                profile.record(parse_feedback({
                    "user": user, "site": "files", "item": f"{tag}-{count}", "title": item["title"],
                    "body": item.get("body", ""), "accepted": [tag, *item.get("also", [])],
                }))  # fmt: skip
                top = [s.tag for s in recommender.suggest(query["title"], query.get("body", ""), user=user, k=5)]
                if tag in top:
                    uses = count
                    break
            out.append({"tag": tag, "lang": items[0]["lang"], "base_knows_it": known, "uses_to_top5": uses})
    return out


def fit(model: Model, history: Sequence[Record], stream: Sequence[Record], home: Path) -> Fusion:
    """Replay ``stream`` after ``history`` collecting personal candidate rows; fit the personal network."""
    features, labels, groups = [], [], []
    with Profile.open(home / "fit.sqlite") as profile:
        learn_records(profile, history, SITE)
        recommender = Recommender(model, profile)
        personalizer = recommender.personalizer
        assert personalizer is not None
        for record in _by_time(stream):
            user = personalizer.user_model(record.user or "")
            if user.clock:
                base = recommender.base_suggestions([(record.title, record.body)], [[]], BASE_CANDIDATES)[0]
                found = candidates(user, base, record.title, record.body, [], personalizer.frequency)
                truth = {t.lower() for t in record.tags}
                features.append(found.features)
                labels.extend(t in truth for t in found.tags)
                groups.extend([len(features)] * len(found.tags))
            profile.record(parse_feedback({
                "user": record.user, "site": SITE, "item": record.id, "title": record.title, "body": record.body,
                "accepted": list(record.tags), "final": list(record.tags),
            }))  # fmt: skip
    print(f"fitting on {len(labels)} candidates of {len(features)} posts ...", file=sys.stderr)
    labels_array = np.asarray(labels, np.float32)
    return fit_fusion(
        np.concatenate(features), labels_array, groups, names=FEATURES, listwise=LISTWISE, ensemble=ENSEMBLE
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", nargs="?", choices=("replay", "fit"), default="replay")
    parser.add_argument("--data-root", type=Path, default=DEFAULT_DATA_ROOT)
    parser.add_argument(
        "--model", type=Path, help="A model trained on so-users train (default: train one; --base is then ignored)."
    )
    parser.add_argument(
        "--base",
        choices=("all", "others"),
        default="all",
        help="Train the base on all train posts, or on those of users who do not post in valid (see step 1).",
    )
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--no-cold-start", action="store_true")
    args = parser.parse_args(argv)
    one_thread()
    from tagrec_core.modelfile import load

    root = args.data_root / DATA_SET
    train = [r for r in read_records(root / "train.jsonl", require_tags=False) if r.tags]
    with tempfile.TemporaryDirectory() as scratch:
        home = Path(scratch)
        if args.command == "fit":
            ordered = _by_time(train)
            cut = int(len(ordered) * 0.6)
            print(f"training on the oldest {cut} posts of train ...", file=sys.stderr)
            network = fit(_train(ordered[:cut]), ordered[:cut], ordered[cut:], home)
            NETWORK_FILE.write_text(json.dumps(network.plain_state()) + "\n", encoding="utf-8")
            print(f"wrote {NETWORK_FILE}")
            return 0
        stream = read_records(root / "valid.jsonl")
        replayed = {r.user for r in stream}
        base_posts = train if args.base == "all" else [r for r in train if r.user not in replayed]
        model = load(args.model) if args.model else _train(base_posts)
        # A loaded model's training posts are whatever it was trained on: the report names the file instead.
        base = {"base_model": str(args.model)} if args.model else {"base": args.base, "base_posts": len(base_posts)}
        report: dict[str, Any] = {"data_set": DATA_SET, **base, "replay": replay(model, train, stream, home)}
        if not args.no_cold_start:
            from tagrec_core.defaults import model_path

            models = {"en": load(model_path("stackoverflow")), "zh": load(model_path("weibo"))}
            report["cold_start"] = cold_start(models, home)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(json.dumps(report, indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
