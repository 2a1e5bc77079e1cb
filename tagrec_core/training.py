"""Training: records in, a ``Model`` out. Knows nothing of any UI.

Long work reports through a ``progress`` callback and stops when ``should_stop`` returns True (raising
``Cancelled``); Ctrl-C raises ``KeyboardInterrupt`` as usual. Nothing is written here - the caller saves the
returned model (atomically, ``modelfile.save``), so an interrupted run leaves no half-written file.

Under ``torchrun`` (an initialised ``torch.distributed`` process group, e.g. gloo on CPU) each process trains
on its shard of every epoch's batches through ``DistributedDataParallel``; all processes evaluate the same
validation data with the same synchronised weights, so they take the same early-stopping decisions.
"""

from __future__ import annotations

import copy
import hashlib
import math
import random
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, replace
from typing import TYPE_CHECKING, Any

import torch
import torch.distributed as dist
from torch import nn

from tagrec_core.arch import arch_class
from tagrec_core.arch.common import resolve_config
from tagrec_core.errors import Cancelled, TrainingError
from tagrec_core.metrics import evaluate
from tagrec_core.model import Calibration, Model, TagVocab, encode_text, network_inputs
from tagrec_core.quantize import quantize
from tagrec_core.text import normalize, normalize_tag
from tagrec_core.tokenizer import Tokenizer
from tagrec_core.version import __version__

if TYPE_CHECKING:
    from tagrec_core.records import Record

# The learning rate decays linearly over the planned epochs, as fastText's does, and early stopping keeps the
# best epoch. A run that peaks within this share of its plan never got the decay: a large set with few tags
# (so-titles: 36k posts, 100 tags) peaks at epoch 2 of 25, at 92% of the learning rate. Such a run is done
# again, planned to end where the first stopped, and the better of the two on validation is kept. Measured
# 2026-11-24 on so-titles valid, F1@3 of the classifier alone (bag / bag-grams): 0.551 / 0.567 -> 0.556 /
# 0.576; in the full ranker 0.579 -> 0.582 (bag). A rerun of every run lost where the first one peaked late
# (cooking's bag peaked at epoch 18: 0.418 -> 0.406; weibo-takg's at 10: 0.121 -> 0.116), and so did
# restarting the decay from the best weights instead (so-titles bag: 0.551, no gain).
EARLY_PEAK = 0.2


@dataclass(frozen=True)
class TrainConfig:
    """Everything that decides a trained model; stored in the model file's ``meta``."""

    arch: str = "bag"
    arch_config: dict[str, Any] = field(default_factory=dict)
    loss: str = "softmax"  # "softmax" or "sigmoid" (one-vs-all)
    optimizer: str = "adam"  # "adam" or "sgd"
    epochs: int = 25
    batch_size: int = 64
    lr: float = 0.02
    weight_decay: float = 0.0
    patience: int = 3
    seed: int = 0
    vocab_size: int = 8000
    max_len: int = 256
    min_tag_count: int = 1
    quantize: bool = True
    valid_fraction: float = 0.1
    valid_limit: int = 5000
    # Intra-op threads while training; None keeps torch's default. Small models train faster on one
    # thread, and on a shared machine extra OpenMP threads can make every step 10-100x slower.
    threads: int | None = 1

    def __post_init__(self) -> None:
        if self.loss not in ("softmax", "sigmoid"):
            raise TrainingError(f"unknown loss {self.loss!r}: use softmax or sigmoid")
        if self.optimizer not in ("adam", "sgd"):
            raise TrainingError(f"unknown optimizer {self.optimizer!r}: use adam or sgd")
        try:
            arch_class(self.arch)
        except KeyError as error:
            raise TrainingError(str(error.args[0])) from None


@dataclass(frozen=True)
class Progress:
    """A snapshot of training for a progress display. ``stage`` is "tokenizer", "train", "rerun" (the run
    peaked at epoch ``epoch`` and is done again in ``epochs`` epochs, ``EARLY_PEAK``), "done", "fold"
    (``ranker_training``: another classifier, fold ``epoch`` of ``epochs``, is trained to collect fusion rows)
    or "ranker" (the classifiers are done, the rest of the ranker is being built), then "linear" (the linear
    SVMs of ranker ``epoch`` of ``epochs``: ``step`` of ``steps`` tags fitted)."""

    stage: str
    epoch: int = 0
    epochs: int = 0
    step: int = 0
    steps: int = 0
    loss: float | None = None
    valid_f1: float | None = None
    best_f1: float | None = None


ProgressFn = Callable[[Progress], None]


@dataclass
class _Prepared:
    tokenizer: Tokenizer
    vocab: TagVocab
    train_ids: list[list[int]]
    train_targets: list[list[int]]
    valid_ids: list[list[int]]
    valid_tags: list[tuple[str, ...]]


def train(
    records: Sequence[Record],
    valid: Sequence[Record] | None = None,
    config: TrainConfig | None = None,
    *,
    progress: ProgressFn | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> Model:
    """Train a model on ``records`` (which must carry tags), stopping early on ``valid`` (and training again
    when the run peaks early: ``EARLY_PEAK``).

    Without ``valid``, a deterministic ``valid_fraction`` of ``records`` is held out for early stopping
    and calibration. Deterministic for a given ``config.seed`` and thread count.
    Raises ``TrainingError`` (no usable data), ``Cancelled`` (``should_stop``), ``KeyboardInterrupt``.
    """
    config = config or TrainConfig()
    previous_threads = torch.get_num_threads()
    if config.threads:
        torch.set_num_threads(config.threads)
    try:
        return _train(records, valid, config, progress, should_stop)
    finally:
        torch.set_num_threads(previous_threads)


def _train(
    records: Sequence[Record],
    valid: Sequence[Record] | None,
    config: TrainConfig,
    progress: ProgressFn | None,
    should_stop: Callable[[], bool] | None,
) -> Model:
    report = progress or (lambda _p: None)
    stop = should_stop or (lambda: False)
    _seed_everything(config.seed)
    started = time.monotonic()
    if valid is None or not valid:
        records, valid = _split(records, config.valid_fraction)
    data = _prepare(records, valid, config, report)
    cls = arch_class(config.arch)
    rerun: dict[str, int] = {}
    if cls.closed_form:
        network = _new_network(cls, data, config)
        _fit_closed_form(network, data, config)
        best_f1 = _valid_f1(network, data, config)
        epochs_run = 0
    else:
        network, best_f1, epochs_run, rerun = _fit_with_decay(cls, data, config, report, stop)
    network.eval()
    calibration = _calibrate(network, data, config)
    meta = _meta(config, network.config(), data, records, valid, best_f1, epochs_run, time.monotonic() - started)
    if rerun:
        meta["early_peak"] = rerun
    model = Model(data.tokenizer, data.vocab, network, calibration, meta)
    # Closed-form networks (naive Bayes) read their tables directly and are kept in float.
    if config.quantize and not cls.closed_form:
        model = Model(data.tokenizer, data.vocab, quantize(network), calibration, meta, quantized=True)
    report(Progress("done", epoch=epochs_run, epochs=config.epochs, best_f1=best_f1))
    return model


def _new_network(cls: type[nn.Module], data: _Prepared, config: TrainConfig) -> nn.Module:
    """A freshly initialised network of ``cls`` for ``data`` (the same weights for the same seed)."""
    torch.manual_seed(config.seed)
    return cls(data.tokenizer.size, len(data.vocab), **config.arch_config)


def _fit_with_decay(
    cls: type[nn.Module], data: _Prepared, config: TrainConfig, report: ProgressFn, stop: Callable[[], bool]
) -> tuple[nn.Module, float, int, dict[str, int]]:
    """A network trained by ``_fit_gradient``, its validation F1@3 and epochs run, and, when the first run
    peaked early (``EARLY_PEAK``), what the rerun saw: ``{"peak_epoch", "epochs", "kept"}`` (``kept``: 2
    when the rerun's network is the one returned, 1 when the first one did better)."""
    network = _new_network(cls, data, config)
    best_f1, epochs_run, peak = _fit_gradient(network, data, config, report, stop)
    if peak > EARLY_PEAK * config.epochs or epochs_run >= config.epochs:
        return network, best_f1, epochs_run, {}
    report(Progress("rerun", epoch=peak, epochs=epochs_run, best_f1=best_f1))
    again = replace(config, epochs=epochs_run)
    second = _new_network(cls, data, again)
    second_f1, second_run, _ = _fit_gradient(second, data, again, report, stop)
    better = second_f1 > best_f1
    rerun = {"peak_epoch": peak, "epochs": epochs_run, "kept": 2 if better else 1}
    if better:
        return second, second_f1, second_run, rerun
    return network, best_f1, epochs_run, rerun


def _seed_everything(seed: int) -> None:
    random.seed(seed)
    torch.manual_seed(seed)


def _split(records: Sequence[Record], fraction: float, *, fold: int = 0) -> tuple[list[Record], list[Record]]:
    """A deterministic hold-out by a hash of the record id (independent of file order): slice ``fold`` of
    the ``1 / fraction`` slices is held out."""
    cut = max(1, int(fraction * 1000))
    low, high = fold * cut, (fold + 1) * cut
    train_part, valid_part = [], []
    for record in records:
        bucket = int(hashlib.sha1(record.id.encode("utf-8")).hexdigest()[:8], 16) % 1000
        (valid_part if low <= bucket < high else train_part).append(record)
    if not train_part or not valid_part:
        # Too few records to hold any out: stop and calibrate on the training data itself.
        return list(records), list(records)
    return train_part, valid_part


def tag_counts(records: Sequence[Record]) -> Counter[str]:
    """How many of ``records`` carry each normalised tag: what ``min_tag_count`` compares with."""
    return Counter(normalize_tag(t) for r in records for t in set(r.tags) if normalize_tag(t))


def _prepare(records: Sequence[Record], valid: Sequence[Record], config: TrainConfig, report: ProgressFn) -> _Prepared:
    counts = tag_counts(records)
    kept = sorted((t for t, c in counts.items() if c >= config.min_tag_count), key=lambda t: (-counts[t], t))
    if not kept:
        raise TrainingError("the training data has no tags (or none reaches --min-tag-count)")
    vocab = TagVocab(tuple(kept), tuple(counts[t] for t in kept))
    texts = [normalize(r.text) for r in records]
    report(Progress("tokenizer"))
    tokenizer = _shared_tokenizer(texts, config)
    cls = arch_class(config.arch)
    network_config = resolve_config(cls.name, cls.defaults, config.arch_config)
    train_ids, train_targets = [], []
    for text, record in zip(texts, records, strict=True):
        targets = sorted({vocab.index[t] for t in map(normalize_tag, record.tags) if t in vocab.index})
        if targets:
            train_ids.append(encode_text(tokenizer, text, config.max_len, network_config))
            train_targets.append(targets)
    if not train_ids:
        raise TrainingError("no training record has a usable tag")
    valid = _spread(valid, config.valid_limit)
    valid_ids = [encode_text(tokenizer, normalize(r.text), config.max_len, network_config) for r in valid]
    valid_tags = [tuple(normalize_tag(t) for t in r.tags) for r in valid]
    return _Prepared(tokenizer, vocab, train_ids, train_targets, valid_ids, valid_tags)


def _spread(records: Sequence[Record], limit: int) -> list[Record]:
    """At most ``limit`` records taken evenly across ``records`` (which may concatenate several sets)."""
    if len(records) <= limit:
        return list(records)
    return [records[i * len(records) // limit] for i in range(limit)]


def _shared_tokenizer(texts: list[str], config: TrainConfig) -> Tokenizer:
    """Train the tokenizer once; under torch.distributed rank 0 trains it and the others receive it."""
    if not _distributed():
        return Tokenizer.train(texts, vocab_size=config.vocab_size, seed=config.seed)
    box: list[Any] = [None]
    if dist.get_rank() == 0:
        box[0] = Tokenizer.train(texts, vocab_size=config.vocab_size, seed=config.seed).to_bytes()
    dist.broadcast_object_list(box, src=0)
    return Tokenizer(box[0])


def _distributed() -> bool:
    return dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1


def _targets(rows: Sequence[Sequence[int]], n_tags: int) -> torch.Tensor:
    target = torch.zeros(len(rows), n_tags)
    for i, row in enumerate(rows):
        target[i, list(row)] = 1.0
    return target


def _loss(logits: torch.Tensor, target: torch.Tensor, loss: str) -> torch.Tensor:
    if loss == "softmax":
        # Multi-label softmax: the target mass is spread evenly over a post's tags (as fastText does).
        dist_target = target / target.sum(dim=1, keepdim=True).clamp(min=1.0)
        return -(dist_target * torch.log_softmax(logits, dim=1)).sum(dim=1).mean()
    return nn.functional.binary_cross_entropy_with_logits(logits, target, reduction="sum") / len(target)


def _batches(n: int, size: int, epoch: int, seed: int) -> list[list[int]]:
    order = list(range(n))
    random.Random(seed * 1_000_003 + epoch).shuffle(order)
    return [order[i : i + size] for i in range(0, n, size)]


def _fit_gradient(
    network: nn.Module, data: _Prepared, config: TrainConfig, report: ProgressFn, stop: Callable[[], bool]
) -> tuple[float, int, int]:
    """Mini-batch training with early stopping on validation F1@3; leaves the best weights in ``network``.
    Returns the best F1@3, the epochs run and the epoch of the best weights."""
    runner: nn.Module = network
    rank, world = 0, 1
    if _distributed():
        rank, world = dist.get_rank(), dist.get_world_size()
        runner = nn.parallel.DistributedDataParallel(network)
    _init_output_bias(network, data, config.loss)
    optimizers = _optimizers(network, config)
    n_tags = len(data.vocab)
    batches_per_epoch = math.ceil(len(data.train_ids) / config.batch_size) // world or 1
    total = batches_per_epoch * config.epochs
    # Linear decay of the learning rate over the planned steps, as fastText does.
    schedules = [torch.optim.lr_scheduler.LambdaLR(o, lambda s: max(0.05, 1.0 - s / max(1, total))) for o in optimizers]
    best_f1, best_state, stale, epoch, peak = -1.0, copy.deepcopy(network.state_dict()), 0, 0, 0
    for epoch in range(1, config.epochs + 1):
        network.train()
        batches = _batches(len(data.train_ids), config.batch_size, epoch, config.seed)
        mine = batches[rank::world][:batches_per_epoch]
        for step, batch in enumerate(mine, start=1):
            if stop():
                raise Cancelled("training cancelled; no model was written")
            inputs = network_inputs(network, [data.train_ids[i] for i in batch], data.tokenizer.size, config.max_len)
            loss = _loss(runner(*inputs), _targets([data.train_targets[i] for i in batch], n_tags), config.loss)
            for optimizer in optimizers:
                optimizer.zero_grad(set_to_none=True)
            loss.backward()
            for optimizer, schedule in zip(optimizers, schedules, strict=True):
                optimizer.step()
                schedule.step()
            if step % 20 == 0 or step == len(mine):
                report(Progress("train", epoch, config.epochs, step, len(mine), loss.item(), None, best_f1))
        f1 = _valid_f1(network, data, config)
        report(Progress("train", epoch, config.epochs, len(mine), len(mine), None, f1, max(f1, best_f1)))
        if f1 > best_f1 + 1e-4:
            best_f1, best_state, stale, peak = f1, copy.deepcopy(network.state_dict()), 0, epoch
        else:
            stale += 1
            if stale >= config.patience:
                break
    network.load_state_dict(best_state)
    return best_f1, epoch, peak


def _init_output_bias(network: nn.Module, data: _Prepared, loss: str) -> None:
    """Start the output bias at the tags' training prior (log-odds for sigmoid, log-frequency for softmax),
    so that early steps learn what distinguishes tags instead of how rare each one is."""
    out = getattr(network, "out", None)
    if not isinstance(out, nn.Linear) or out.bias is None:
        return
    counts = torch.zeros(len(data.vocab))
    for row in data.train_targets:
        counts[row] += 1.0
    prior = (counts + 0.5) / (len(data.train_targets) + 1.0)
    with torch.no_grad():
        out.bias.copy_(torch.log(prior / (1 - prior)) if loss == "sigmoid" else torch.log(prior))


def _optimizers(network: nn.Module, config: TrainConfig) -> list[torch.optim.Optimizer]:
    """SGD for everything, or Adam - with SparseAdam for embedding tables that produce sparse gradients."""
    if config.optimizer == "sgd":
        return [torch.optim.SGD(network.parameters(), lr=config.lr)]
    sparse = [
        p
        for m in network.modules()
        if isinstance(m, nn.Embedding | nn.EmbeddingBag) and m.sparse
        for p in m.parameters()
    ]
    sparse_ids = {id(p) for p in sparse}
    dense = [p for p in network.parameters() if id(p) not in sparse_ids]
    optimizers: list[torch.optim.Optimizer] = []
    if sparse:
        optimizers.append(torch.optim.SparseAdam(sparse, lr=config.lr))
    if dense:
        optimizers.append(torch.optim.Adam(dense, lr=config.lr, weight_decay=config.weight_decay))
    return optimizers


def _fit_closed_form(network: nn.Module, data: _Prepared, config: TrainConfig) -> None:
    ids, mask = network_inputs(network, data.train_ids, data.tokenizer.size, config.max_len)
    network.fit(ids, mask, _targets(data.train_targets, len(data.vocab)))


def _logits(network: nn.Module, encoded: Sequence[Sequence[int]], n_pieces: int, max_len: int) -> torch.Tensor:
    """Logits for many texts, in batches (eval mode, no gradients)."""
    network.eval()
    parts = []
    with torch.inference_mode():
        for start in range(0, len(encoded), 256):
            parts.append(network(*network_inputs(network, encoded[start : start + 256], n_pieces, max_len)))
    return torch.cat(parts) if parts else torch.zeros(0, 0)


def _valid_f1(network: nn.Module, data: _Prepared, config: TrainConfig) -> float:
    logits = _logits(network, data.valid_ids, data.tokenizer.size, config.max_len)
    top = logits.topk(min(3, logits.shape[1]), dim=1).indices.tolist()
    predicted = [[data.vocab.tags[i] for i in row] for row in top]
    return evaluate(predicted, data.valid_tags, ks=(3,))["f1@3"]


def _calibrate(network: nn.Module, data: _Prepared, config: TrainConfig, top: int = 20) -> Calibration:
    """Platt scaling of the top candidates' scores on validation data (see ``Calibration``)."""
    base = Calibration(config.loss)
    logits = _logits(network, data.valid_ids, data.tokenizer.size, config.max_len)
    if logits.numel() == 0:
        return base
    raw = base.raw(logits)
    values, indices = raw.topk(min(top, raw.shape[1]), dim=1)
    labels = torch.tensor(
        [
            [float(data.vocab.tags[i] in set(tags)) for i in row]
            for row, tags in zip(indices.tolist(), data.valid_tags, strict=True)
        ]
    )
    if labels.sum() == 0 or labels.sum() == labels.numel():
        return base
    log_a, b = torch.zeros(1, requires_grad=True), torch.zeros(1, requires_grad=True)
    optimizer = torch.optim.LBFGS([log_a, b], lr=0.5, max_iter=100)
    x, y = values.flatten(), labels.flatten()

    def closure() -> torch.Tensor:
        optimizer.zero_grad()
        loss = nn.functional.binary_cross_entropy_with_logits(log_a.exp() * x + b, y)
        loss.backward()
        return loss

    optimizer.step(closure)
    a, shift = log_a.exp().item(), b.item()
    if not (math.isfinite(a) and math.isfinite(shift)):
        # Scores too alike to separate (a barely trained network): the fit diverged; keep the raw scores.
        return base
    return Calibration(config.loss, a, shift)


def _meta(
    config: TrainConfig,
    arch_config: dict[str, Any],
    data: _Prepared,
    records: Sequence[Record],
    valid: Sequence[Record],
    best_f1: float,
    epochs_run: int,
    seconds: float,
) -> dict[str, Any]:
    import sentencepiece

    settings = asdict(config)
    return {
        "arch": config.arch,
        "arch_config": arch_config,
        "loss": config.loss,
        "max_len": config.max_len,
        "train_config": settings,
        "trained_on": {
            "records": len(records),
            "valid_records": len(valid),
            "tags": len(data.vocab),
            "sources": sorted({r.source for r in records if r.source}),
            "langs": sorted({r.lang for r in records if r.lang}),
        },
        "valid_f1_at_3": round(best_f1, 4),
        "epochs_run": epochs_run,
        "train_seconds": round(seconds, 1),
        "versions": {
            "tagrec": __version__,
            "torch": str(torch.__version__),
            "sentencepiece": sentencepiece.__version__,
        },
        "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
