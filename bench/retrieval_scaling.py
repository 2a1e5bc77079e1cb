"""How the retrieval index (``tagrec_core.retrieval.PostIndex``) scales: query time at 10k, 100k and 1M posts.

Indexed posts: a set's real train posts (their ``post_terms`` and tags), grown synthetically to the wanted size.
Each synthetic post is a resample: the terms of a random real post with ~30% of them (each term with
probability ``--replace``) swapped for terms drawn from another random real post, keeping the source post's
tags (seeded numpy RNG, vectorised; real posts come first in a seeded shuffle, so every size is a prefix of
the largest). Below the number of real posts an index holds a random subset of them. Queries: ``--queries``
evenly spaced posts of the set's valid split, never indexed, with their terms computed as ``Ranking`` does
(``post_terms`` of the normalised title and body).

Per size, single thread, one query per call (after a warm-up):

* latency of ``index.votes(terms, k=30)`` with the library's default ``max_postings`` and ``query_postings``
  (*pruned*) and with ``max_postings = 10**9`` and no query budget (*exact*: no posting list is cut; the
  same index arrays, only the caps differ);
* recall@30 of the pruned neighbours against the exact ones (the fraction of the exact top-30 post ids that
  the pruned query returns), and a tie-aware variant that also accepts a post whose exact similarity equals
  the exact 30th (synthetic resamples make exact ties common); both are read off the neighbours of the
  timed ``votes`` calls;
* the peer: brute-force exact search as a plain TF-IDF kNN (``bench.peers.KnnPeer``) does it, on the same
  weights: the query's sparse vector @ the terms x posts matrix, a dense similarity row over every post,
  ``argpartition`` for the top 30 and a sparse product with the posts x tags matrix for the vote; ``x`` is
  ours / brute force;
* build time (count matrix, then ``PostIndex``), index memory (``nbytes`` of the index's arrays) and the
  process's peak RSS during the build (``VmHWM``, reset before every build where Linux allows it).

    python -m bench.retrieval_scaling [--sets so-titles,weibo-polls] [--sizes 10000,100000,1000000]
                                      [--queries 1000] [--brute-max 1000000] [--data-root ../shared/data]
                                      [--out bench/results/retrieval_scaling.json]
"""

from __future__ import annotations

import os

# Single thread for everything numeric; must happen before numpy / scipy are imported.
os.environ["OMP_NUM_THREADS"] = os.environ.get("OMP_NUM_THREADS", "1")
os.environ["OPENBLAS_NUM_THREADS"] = os.environ.get("OPENBLAS_NUM_THREADS", "1")
os.environ["MKL_NUM_THREADS"] = os.environ.get("MKL_NUM_THREADS", "1")

import argparse
import copy
import gc
import inspect
import json
import platform
import resource
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import scipy
import scipy.sparse as sp
from tqdm import tqdm

from bench.quality import DEFAULT_DATA_ROOT, load_set
from bench.speed import latencies_us, summarize
from tagrec_core.retrieval import TERM_BUCKETS, PostIndex, post_terms
from tagrec_core.text import normalize

if TYPE_CHECKING:  # pragma: no cover
    from tagrec_core.records import Record

RESULTS_DIR = Path(__file__).resolve().parent / "results"
DEFAULT_OUT = RESULTS_DIR / "retrieval_scaling.json"
DEFAULT_SETS = ("so-titles", "weibo-polls")
DEFAULT_SIZES = (10_000, 100_000, 1_000_000)
K = 30
EXACT_POSTINGS = 10**9  # "no cap": longer than any posting list
DEFAULT_POSTINGS = int(inspect.signature(PostIndex.__init__).parameters["max_postings"].default)
DEFAULT_QUERY_POSTINGS = int(inspect.signature(PostIndex.__init__).parameters["query_postings"].default)
REPLACE = 0.3
CHUNK = 100_000  # synthetic posts generated per step (bounds the generator's temporary arrays)
TIE_TOLERANCE = 1e-5

Queries = list[list[int]]


# --- posts -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Corpus:
    """Posts as flat arrays: post ``i``'s term ids (with repeats) are ``terms[offsets[i]:offsets[i + 1]]``."""

    terms: np.ndarray  # int32
    offsets: np.ndarray  # int64, len(posts) + 1
    tags: sp.csr_matrix  # posts x tags, float32, 1 where a post carries a tag

    def __len__(self) -> int:
        return len(self.offsets) - 1

    def lengths(self) -> np.ndarray:
        return np.diff(self.offsets)

    def prefix(self, n: int) -> Corpus:
        """The first ``n`` posts (views, no copy of the terms)."""
        return Corpus(self.terms[: self.offsets[n]], self.offsets[: n + 1], self.tags[:n])


def record_terms(record: Record) -> list[int]:
    """A post's retrieval terms exactly as ``Ranking.candidates`` computes them for a query."""
    return post_terms(f"{normalize(record.title)}\n{normalize(record.body)}")


def real_corpus(records: Sequence[Record]) -> Corpus:
    """The records' terms (``post_terms``) and tags (ids in order of first appearance)."""
    term_lists = [record_terms(r) for r in records]
    offsets = np.zeros(len(records) + 1, np.int64)
    offsets[1:] = np.cumsum([len(t) for t in term_lists])
    terms = np.fromiter((i for t in term_lists for i in t), dtype=np.int32, count=int(offsets[-1]))
    tag_ids: dict[str, int] = {}
    rows, cols = [], []
    for i, record in enumerate(records):
        for tag in dict.fromkeys(record.tags):
            rows.append(i)
            cols.append(tag_ids.setdefault(tag, len(tag_ids)))
    tags = sp.csr_matrix(
        (np.ones(len(rows), np.float32), (rows, cols)), shape=(len(records), max(1, len(tag_ids))), dtype=np.float32
    )
    return Corpus(terms, offsets, tags)


def query_terms(records: Sequence[Record], n: int) -> Queries:
    """The terms of ``n`` evenly spaced records (all of them if there are fewer)."""
    if n >= len(records):
        return [record_terms(r) for r in records]
    picks = np.linspace(0, len(records) - 1, n).round().astype(np.int64)
    return [record_terms(records[int(i)]) for i in picks]


def _gather(real: Corpus, sources: np.ndarray, replace: float, rng: np.random.Generator) -> np.ndarray:
    """The terms of posts resampled from ``sources``: each term swapped with probability ``replace`` for a
    random term of another random (non-empty) real post."""
    lengths = real.lengths()[sources]
    total = int(lengths.sum())
    starts = real.offsets[sources]
    # positions start..start+length of every source post, flattened
    positions = np.repeat(starts - np.cumsum(lengths) + lengths, lengths) + np.arange(total, dtype=np.int64)
    terms = real.terms[positions]
    if replace <= 0 or not total:
        return terms
    nonempty = np.flatnonzero(real.lengths() > 0)
    donors = np.repeat(rng.choice(nonempty, size=len(sources)), lengths)
    swap = np.flatnonzero(rng.random(total) < replace)
    donors = donors[swap]
    picked = real.offsets[donors] + (rng.random(len(swap)) * real.lengths()[donors]).astype(np.int64)
    terms[swap] = real.terms[picked]
    return terms


def grow(real: Corpus, n_posts: int, *, replace: float = REPLACE, seed: int = 0) -> tuple[Corpus, int]:
    """``n_posts`` posts: the real ones in a seeded shuffle, then synthetic resamples (see the module doc).

    Returns the corpus and how many of its posts are real; smaller sizes are measured on its ``prefix``es.
    """
    rng = np.random.default_rng(seed)
    n_real = min(n_posts, len(real))
    order = rng.permutation(len(real))[:n_real]
    sources = [order]
    chunks = [_gather(real, order, 0.0, rng)]
    for start in range(n_real, n_posts, CHUNK):
        picks = rng.integers(len(real), size=min(CHUNK, n_posts - start))
        sources.append(picks)
        chunks.append(_gather(real, picks, replace, rng))
    source = np.concatenate(sources)
    offsets = np.zeros(n_posts + 1, np.int64)
    np.cumsum(real.lengths()[source], out=offsets[1:])
    return Corpus(np.concatenate(chunks), offsets, real.tags[source]), n_real


# --- the index and the peer --------------------------------------------------------------------------------


def count_matrix(corpus: Corpus, n_terms: int = TERM_BUCKETS) -> sp.csr_matrix:
    """posts x terms raw counts, as ``PostIndex.build`` makes them from term lists (vectorised)."""
    data = np.ones(len(corpus.terms), np.int32)
    # a copy: sum_duplicates sorts and compacts the indices in place
    matrix = sp.csr_matrix((data, corpus.terms.copy(), corpus.offsets), shape=(len(corpus), n_terms))
    matrix.sum_duplicates()
    matrix.data = np.minimum(matrix.data, np.iinfo(np.uint16).max)
    return matrix


def index_bytes(index: PostIndex) -> int:
    """Memory of the index's arrays (counts and tags as stored, idf, weight-sorted posting lists)."""
    arrays = [index.idf, index._indptr, index._indices, index._weights]
    for matrix in (index.counts, index.post_tags):
        arrays.extend((matrix.data, matrix.indices, matrix.indptr))
    return int(sum(a.nbytes for a in arrays))


def read_whole(index: PostIndex) -> PostIndex:
    """The same index (shared arrays) read exactly: no posting list cut, every term of a query read."""
    other = copy.copy(index)
    other.max_postings, other.query_mass, other.query_postings = EXACT_POSTINGS, 1.0, 0
    return other


class BruteForce:
    """Exact kNN vote the way a plain TF-IDF kNN (``bench.peers.KnnPeer``) computes it, on the index's weights.

    The query's similarity to *every* post is one sparse product with the terms x posts matrix, made dense;
    ``argpartition`` picks the top ``k``, whose similarities vote for their tags through one more product.
    """

    def __init__(self, index: PostIndex) -> None:
        self.index = index
        n_posts, self.n_terms = index.counts.shape
        self.xt = sp.csr_matrix((index._weights, index._indices, index._indptr), shape=(self.n_terms, n_posts))
        self.y = index.post_tags

    def similarities(self, terms: Sequence[int]) -> np.ndarray:
        """Cosine similarity of the query to every post (dense)."""
        ids, weights = self.index.vector(terms)
        q = sp.csr_matrix((weights, ids, np.array([0, len(ids)])), shape=(1, self.n_terms))
        return (q @ self.xt).toarray().ravel()

    def neighbours(self, terms: Sequence[int], k: int) -> tuple[np.ndarray, np.ndarray]:
        sims = self.similarities(terms)
        n = min(k, len(sims))
        top = np.argpartition(-sims, n - 1)[:n] if n < len(sims) else np.arange(n)
        top = top[np.argsort(-sims[top], kind="stable")]
        return top, sims[top]

    def votes(self, terms: Sequence[int], k: int) -> np.ndarray:
        """Similarity-weighted tag votes of the ``k`` most similar posts (dense over tags)."""
        top, sims = self.neighbours(terms, k)
        w = sp.csr_matrix((sims, top, np.array([0, len(top)])), shape=(1, self.xt.shape[1]))
        return (w @ self.y).toarray().ravel()


# --- measuring ---------------------------------------------------------------------------------------------


def _reset_peak_rss() -> bool:
    """Reset this process's VmHWM (Linux >= 4.0); False where that is not possible."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def rss_mb() -> float:
    """VmRSS of this process (0 where /proc is missing)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def peak_rss_mb() -> float:
    """VmHWM of this process (since the last reset), else the lifetime peak from ``getrusage``."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def postings_read(index: PostIndex, queries: Queries) -> float:
    """Mean number of postings a query reads (``PostIndex.lists``: capped lists of the terms it reads)."""
    total = sum(int(index.lists(index.vector(terms))[1].sum()) for terms in queries)
    return total / max(1, len(queries))


Found = tuple[np.ndarray, np.ndarray]  # (post ids, similarities), most similar first


def recording(index: PostIndex) -> tuple[PostIndex, list[Found]]:
    """A copy of ``index`` (shared arrays) that keeps every result of ``nearest``, which both ``neighbours`` and
    ``votes`` call: recall is read off the timed queries instead of querying twice (~1 µs per call)."""
    other = copy.copy(index)
    search = other.nearest
    found: list[Found] = []

    def nearest(query: tuple[np.ndarray, np.ndarray], k: int) -> Found:
        result = search(query, k)
        found.append(result)
        return result

    other.nearest = nearest  # type: ignore[method-assign]
    return other, found


def similarity(index: PostIndex, terms: Sequence[int], posts: np.ndarray) -> np.ndarray:
    """Exact cosine similarity of a query to ``posts``, from their raw counts (no posting list involved)."""
    ids, weights = index.vector(terms)
    rows = index.counts[posts]
    row_of = np.repeat(np.arange(len(posts)), np.diff(rows.indptr))
    post_weights = (1.0 + np.log(rows.data.astype(np.float64))) * index.idf[rows.indices]
    norms = np.sqrt(np.bincount(row_of, weights=post_weights**2, minlength=len(posts)))
    at = np.minimum(np.searchsorted(ids, rows.indices), max(len(ids) - 1, 0))
    shared = ids[at] == rows.indices if len(ids) else np.zeros(len(row_of), bool)
    dots = np.bincount(row_of[shared], weights=(post_weights * weights[at])[shared], minlength=len(posts))
    return dots / np.maximum(norms, 1e-12)


def recall(index: PostIndex, queries: Queries, pruned: Sequence[Found], exact: Sequence[Found]) -> dict[str, float]:
    """Recall@k of the pruned neighbours of each query against the exact ones (queries with no exact
    neighbour are left out).

    ``recall``: the share of the exact top-k post ids that the pruned query returns. ``recall_ties``: a
    returned post outside the exact top k also counts when its exact similarity ties the exact k-th (within
    ``TIE_TOLERANCE``): between synthetic resamples of one post such ties are common, and which of the tied
    posts makes the top k is arbitrary.
    """
    plain, tied = [], []
    for terms, (got, _), (top, sims) in zip(queries, pruned, exact, strict=True):
        if not len(top):
            continue
        common = len(np.intersect1d(got, top))
        others = np.setdiff1d(got, top)
        ties = int((similarity(index, terms, others) >= sims[-1] * (1 - TIE_TOLERANCE)).sum()) if len(others) else 0
        plain.append(common / len(top))
        tied.append(min(common + ties, len(top)) / len(top))
    if not plain:
        return {"recall": float("nan"), "recall_ties": float("nan"), "recall_min": float("nan"), "queries": 0}
    return {
        "recall": float(np.mean(plain)),
        "recall_ties": float(np.mean(tied)),
        "recall_min": float(np.min(tied)),
        "below_1": int(sum(r < 1 for r in tied)),
        "queries": len(plain),
    }


def latency(call: Callable[[list[int]], object], queries: Queries, repeat: int = 1) -> dict[str, float]:
    """p50/p90/p99/mean µs of ``call(terms)`` over the queries (``bench.speed.latencies_us``)."""
    return summarize(latencies_us(call, queries, warmup=min(20, len(queries)), repeat=repeat))


def measure_index(
    index: PostIndex, queries: Queries, k: int = K, repeat: int = 1
) -> tuple[dict[str, float], list[Found]]:
    """Latency of ``index.votes(terms, k)`` and the postings a query reads, at the index's ``max_postings``;
    and the neighbours each query voted with."""
    timed, found = recording(index)
    stats = {
        "max_postings": index.max_postings,
        "postings_per_query": postings_read(index, queries),
        **latency(lambda terms: timed.votes(terms, k), queries, repeat),
    }
    return stats, found[-len(queries) :] if queries else []


def measure_brute(peer: BruteForce, queries: Queries, k: int = K, repeat: int = 1) -> dict[str, float]:
    return latency(lambda terms: peer.votes(terms, k), queries, repeat)


def measure_size(
    corpus: Corpus,
    n_real: int,
    queries: Queries,
    *,
    brute: bool,
    k: int = K,
    max_postings: int = DEFAULT_POSTINGS,
    repeat: int = 1,
    grow_s: float = 0.0,
) -> dict[str, object]:
    """Build the index over ``corpus`` and measure it (see the module doc)."""
    gc.collect()
    rss_before = rss_mb()
    hwm_reset = _reset_peak_rss()
    start = time.perf_counter()
    counts = count_matrix(corpus)
    counts_s = time.perf_counter() - start
    start = time.perf_counter()
    index = PostIndex(counts, corpus.tags, max_postings=max_postings)
    build_s = time.perf_counter() - start
    del counts
    peak = peak_rss_mb()
    pruned, pruned_found = measure_index(index, queries, k, repeat)
    exact, exact_found = measure_index(read_whole(index), queries, k, repeat)
    list_lengths = np.diff(index._indptr)
    row: dict[str, object] = {
        "posts": len(index),
        "real_posts": n_real,
        "synthetic_posts": len(index) - n_real,
        "postings": int(index._indices.size),
        "longest_list": int(list_lengths.max(initial=0)),
        "lists_over_cap": int((list_lengths > max_postings).sum()),
        "grow_s": grow_s,
        "counts_s": counts_s,
        "build_s": build_s,
        "index_mb": index_bytes(index) / 1e6,
        "rss_before_build_mb": rss_before,
        "build_peak_rss_mb": peak,
        "peak_rss_is_build_only": hwm_reset,
        "pruned": pruned,
        "exact": exact,
        "recall": recall(index, queries, pruned_found, exact_found),
        "brute": None,
    }
    if brute:
        row["brute"] = measure_brute(BruteForce(index), queries, k, repeat)
        for name in ("pruned", "exact"):
            row[name]["x_brute_p50"] = row[name]["p50_us"] / row["brute"]["p50_us"]
            row[name]["x_brute_mean"] = row[name]["mean_us"] / row["brute"]["mean_us"]
    return row


def run_set(
    train: Sequence[Record],
    valid: Sequence[Record],
    sizes: Sequence[int],
    *,
    n_queries: int = 1000,
    brute_max: int = DEFAULT_SIZES[-1],
    k: int = K,
    max_postings: int = DEFAULT_POSTINGS,
    replace: float = REPLACE,
    repeat: int = 1,
    seed: int = 0,
    name: str = "",
) -> dict[str, object]:
    """Every size of one set: grow the train posts once to the largest size, measure each prefix."""
    real = real_corpus(train)
    queries = query_terms(valid, n_queries)
    start = time.perf_counter()
    corpus, n_real_max = grow(real, max(sizes), replace=replace, seed=seed)
    grow_s = time.perf_counter() - start
    rows = []
    for size in tqdm(sorted(sizes), desc=name or "sizes", unit="size", file=sys.stderr):
        rows.append(
            measure_size(
                corpus.prefix(size),
                min(size, n_real_max),
                queries,
                brute=size <= brute_max,
                k=k,
                max_postings=max_postings,
                repeat=repeat,
                grow_s=grow_s if size == max(sizes) else 0.0,
            )
        )
        tqdm.write(format_row(rows[-1]), sys.stderr)
    return {
        "real_posts": len(real),
        "tags": int(real.tags.shape[1]),
        "mean_post_terms": float(real.lengths().mean()) if len(real) else 0.0,
        "queries": len(queries),
        "mean_query_terms": float(np.mean([len(q) for q in queries])) if queries else 0.0,
        "grow_s": grow_s,
        "rows": rows,
    }


# --- report ------------------------------------------------------------------------------------------------


def _us(s: dict[str, float] | None) -> str:
    if s is None:
        return f"{'-':>8}{'-':>8}{'-':>8}"
    return f"{s['p50_us']:>8.0f}{s['p99_us']:>8.0f}{s['mean_us']:>8.0f}"


HEADER = (
    f"{'posts':>9}{'build s':>8}{'idx MB':>8}{'peak MB':>8} |{'postings':>9}{'p50':>8}{'p99':>8}{'mean':>8}"
    f"{'x bf':>6} |{'postings':>9}{'p50':>8}{'p99':>8}{'mean':>8}{'x bf':>6} |{'rec@30':>7}{'ties':>6}"
    f" |{'p50':>8}{'p99':>8}{'mean':>8}"
)


def format_row(r: dict[str, object]) -> str:
    pruned, exact, rec = r["pruned"], r["exact"], r["recall"]

    def ratio(side: dict[str, float]) -> str:
        return f"{side['x_brute_p50']:>6.2f}" if "x_brute_p50" in side else f"{'-':>6}"

    return (
        f"{r['posts']:>9,}{r['counts_s'] + r['build_s']:>8.1f}{r['index_mb']:>8.0f}{r['build_peak_rss_mb']:>8.0f} |"
        f"{pruned['postings_per_query']:>9.0f}{_us(pruned)}{ratio(pruned)} |"
        f"{exact['postings_per_query']:>9.0f}{_us(exact)}{ratio(exact)} |"
        f"{rec['recall']:>7.3f}{rec['recall_ties']:>6.3f} |{_us(r['brute'])}"
    )


def format_table(name: str, result: dict[str, object], max_postings: int = DEFAULT_POSTINGS) -> str:
    lines = [
        f"== {name}: votes(k={K}) per query, µs, 1 thread; {result['real_posts']:,} real train posts + synthetic "
        f"resamples, {result['queries']} valid queries (~{result['mean_query_terms']:.0f} terms)",
        f"{'':>33} | pruned (max_postings={max_postings:,}){'':>11} | exact (no cap){'':>29} | recall pruned"
        f" | brute force (KnnPeer-style)",
        HEADER,
    ]
    lines.extend(format_row(r) for r in result["rows"])
    lines.append(
        "build s = count matrix + PostIndex; peak MB = process VmHWM during the build; postings = mean postings "
        "read per query; x bf = ours p50 / brute-force p50; rec@30 = pruned vs exact top-30 ids (ties: exact ties "
        "accepted)"
    )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.retrieval_scaling", description=__doc__.split("\n")[0])
    parser.add_argument("--sets", default=",".join(DEFAULT_SETS), help="comma-separated set names")
    parser.add_argument("--sizes", default=",".join(map(str, DEFAULT_SIZES)), help="comma-separated post counts")
    parser.add_argument("--queries", type=int, default=1000, help="valid posts queried (evenly spaced)")
    parser.add_argument("--brute-max", type=int, default=DEFAULT_SIZES[-1], help="largest size for brute force")
    parser.add_argument("--repeat", type=int, default=1, help="latency: each query's best of N passes")
    parser.add_argument("--replace", type=float, default=REPLACE, help="share of a synthetic post's terms swapped")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--data-root", type=Path, default=DEFAULT_DATA_ROOT)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    meta = {
        "k": K,
        "queries": args.queries,
        "sizes": sizes,
        "default_max_postings": DEFAULT_POSTINGS,
        "default_query_postings": DEFAULT_QUERY_POSTINGS,  # the pruned mode's budget; the exact mode has none
        "exact_max_postings": EXACT_POSTINGS,
        "replace": args.replace,
        "seed": args.seed,
        "repeat": args.repeat,
        "brute_max": args.brute_max,
        "threads": {v: os.environ.get(v) for v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")},
        "load_avg_start": os.getloadavg(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
    }
    report: dict[str, object] = {"meta": meta, "sets": {}}
    started = time.perf_counter()
    tables = []
    for name in [s for s in args.sets.split(",") if s.strip()]:
        bench_set = load_set(name, args.data_root)
        tqdm.write(f"[{name}] {len(bench_set.train)} train posts, growing to {max(sizes):,}", sys.stderr)
        result = run_set(
            bench_set.train,
            bench_set.valid,
            sizes,
            n_queries=args.queries,
            brute_max=args.brute_max,
            replace=args.replace,
            repeat=args.repeat,
            seed=args.seed,
            name=name,
        )
        report["sets"][name] = result  # type: ignore[index]
        tables.append(format_table(name, result))
        tqdm.write(tables[-1] + "\n", sys.stderr)
        if args.out:
            meta["load_avg_end"] = os.getloadavg()
            meta["elapsed_s"] = time.perf_counter() - started
            args.out.parent.mkdir(parents=True, exist_ok=True)
            args.out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print("\n\n".join(tables))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
