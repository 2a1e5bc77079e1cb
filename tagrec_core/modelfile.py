"""The model file: one self-describing, versioned file written atomically and loaded safely.

Layout (a ``torch.save`` archive, its members deflated, read back with ``weights_only=True``, so loading
never runs code)::

    {"format": "tagrec-model", "format_version": 1,
     "meta": {... arch, arch_config, loss, max_len, versions, training summary ...},
     "tokenizer": bytes (sentencepiece model), "tags": [str], "tag_counts": [int],
     "calibration": {"loss", "a", "b"}, "quantized": bool, "state": network state dict,
     "ranking": None or {"tags", "counts", "site_counts", "text_seen", "text_tagged",
                         "index": PostIndex.state, "related": Related.state, "fusion": Fusion.state or None,
                         "config": RankingConfig fields, "linear": LinearTags.state or None}}

Format 2 added ``ranking`` (the full ranker); format 3 stores the ranker's index as delta-coded posting
lists (``PostIndex.state``); format 4 adds the linear SVMs (``linear``); format 5 the fusion's calibration map
(``Fusion.state``'s ``calibration``, for a fusion fitted with the ranking loss: an older reader would have shown
its raw logits as probabilities). Files of formats 1 (classifier only), 2, 3 (without SVMs: their ranker
config does not switch them on) and 4 still load.
"""

from __future__ import annotations

import contextlib
import io
import os
import tempfile
import warnings
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
import torch

from tagrec_core.arch import arch_class
from tagrec_core.errors import ModelFileError
from tagrec_core.fusion import Fusion
from tagrec_core.linear import LinearTags
from tagrec_core.memory import release_free_memory
from tagrec_core.model import Calibration, Model, TagVocab
from tagrec_core.quantize import quantize
from tagrec_core.ranker import Ranking, RankingConfig
from tagrec_core.related import Related
from tagrec_core.retrieval import PostIndex
from tagrec_core.tokenizer import Tokenizer

FORMAT = "tagrec-model"
FORMAT_VERSION = 5
_REQUIRED = ("meta", "tokenizer", "tags", "tag_counts", "calibration", "quantized", "state")
# A model file is read whole into memory. The shipped ones are about 10 MB and one holding a million retrieval
# posts about 1 GB; a file far beyond that is not a model this machine should try to hold.
MAX_MODEL_BYTES = 4 * 1024**3


def save(model: Model, path: str | Path) -> Path:
    """Write ``model`` to ``path`` atomically: a reader sees the old file or the complete new one, never a part.

    Returns the path written. Raises ``ModelFileError`` when the folder is not writable.
    """
    target = Path(path)
    payload: dict[str, Any] = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "meta": model.meta,
        "tokenizer": model.tokenizer.to_bytes(),
        "tags": list(model.vocab.tags),
        "tag_counts": list(model.vocab.counts),
        "calibration": {"loss": model.calibration.loss, "a": model.calibration.a, "b": model.calibration.b},
        "quantized": model.quantized,
        "state": model.network.state_dict(),
        "ranking": _ranking_state(model.ranking) if model.ranking is not None else None,
    }
    check_writable(target)
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
    except OSError as error:
        raise ModelFileError(f"cannot write the model to {target}: {error.strerror or error}") from error
    try:
        with os.fdopen(fd, "wb") as handle:
            # mkstemp creates 0600; a model file is an ordinary document: honour the umask like open() does.
            os.fchmod(handle.fileno(), 0o666 & ~_umask())
            _write_deflated(payload, handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    except OSError as error:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise ModelFileError(f"cannot write the model to {target}: {error.strerror or error}") from error
    except BaseException:
        # Ctrl-C while writing: remove the partial file, keep whatever was at ``target``.
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return target


def _write_deflated(payload: dict[str, Any], handle: BinaryIO) -> None:
    """Write ``torch.save``'s archive of ``payload`` to ``handle`` with every member deflated (torch writes
    them stored).

    ``torch.load`` reads deflated members, so the format is unchanged and older tagrecs read these files.
    Hashed term ids and int8 weights are near-random bytes, yet the shipped models shrank by ~45% (the
    stackoverflow model of 2026-11-22: 23.8 -> 13.3 MB), and inflating costs ~0.1 s per load. zlib, not
    lzma: lzma saves another ~15% but takes ~0.8 s to inflate, at every start of the app. Members keep
    torch's fixed timestamps, so the same model gives the same bytes (reproducible builds).
    """
    stored = io.BytesIO()
    torch.save(payload, stored)
    with zipfile.ZipFile(stored) as source, zipfile.ZipFile(handle, "w") as target:
        for member in source.infolist():
            info = zipfile.ZipInfo(member.filename, date_time=member.date_time)
            info.compress_type = zipfile.ZIP_DEFLATED
            target.writestr(info, source.read(member), compresslevel=6)


def check_writable(path: str | Path, inputs: Sequence[str | Path] = ()) -> None:
    """Fail early, before hours of training, if a model cannot be written to ``path``, or must not be: ``path``
    is one of ``inputs`` (the training data), or something that is there and is not a model file (a device, a
    document: saving replaces whatever the path holds)."""
    target = Path(path)
    if target.is_dir():
        raise ModelFileError(f"cannot write the model to {target}: it is a folder; give a file name")
    if target.exists():
        _check_replaceable(target, inputs)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise ModelFileError(
            f"cannot write the model to {target}: cannot create its folder ({error.strerror or error})"
        ) from error
    if not os.access(target.parent, os.W_OK):
        raise ModelFileError(f"cannot write the model to {target}: the folder is not writable")


def _check_replaceable(target: Path, inputs: Sequence[str | Path]) -> None:
    """Refuse to replace ``target`` unless it is a regular file that is no input and looks like a model (a zip
    archive, as every tagrec model is): ``-o`` given the data file by a slip must not destroy it."""
    for given in inputs:
        with contextlib.suppress(OSError):
            if os.path.samefile(target, given):
                raise ModelFileError(f"cannot write the model to {target}: it is the input file {given}")
    if not target.is_file():
        raise ModelFileError(f"cannot write the model to {target}: it is not a regular file (a device or a pipe)")
    if target.stat().st_size and not zipfile.is_zipfile(target):
        raise ModelFileError(
            f"cannot write the model to {target}: the file is there and is not a tagrec model; choose another"
            " name, or delete it first"
        )


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def load(path: str | Path) -> Model:
    """Read a model file. Every problem - missing, not a model, truncated, corrupted, written by an
    incompatible version - raises ``ModelFileError`` with a message that says which and what to do."""
    source = Path(path)
    if not source.is_file():
        what = "is a folder" if source.is_dir() else "does not exist"
        raise ModelFileError(f"model file {source} {what}")
    payload = _read(source)
    _check_format(payload, source)
    try:
        model = _build(payload)
    except ModelFileError as error:
        raise ModelFileError(f"model file {source}: {error}") from error
    except (KeyError, IndexError, TypeError, ValueError, RuntimeError, AttributeError) as error:
        raise ModelFileError(
            f"model file {source} is damaged or was written by an incompatible tagrec ({_short(error)})"
        ) from error
    del payload  # the raw tensors: the model holds what it needs
    release_free_memory()  # building the index freed more than the model keeps
    return model


def _read(source: Path) -> dict[str, Any]:
    try:
        with source.open("rb") as handle:
            size = os.fstat(handle.fileno()).st_size
            if size > MAX_MODEL_BYTES:
                raise ModelFileError(
                    f"{source} is {size / 1024**3:.1f} GB, larger than any tagrec model"
                    f" ({MAX_MODEL_BYTES / 1024**3:.0f} GB at most); it is not a model file"
                )
            data = handle.read()
    except OSError as error:
        raise ModelFileError(f"cannot read model file {source}: {error.strerror or error}") from error
    except MemoryError:
        raise ModelFileError(f"model file {source} is too large for this machine's free memory") from None
    damaged = f"{source} is not a tagrec model file, or it is truncated or corrupted"
    # torch.load does not verify the archive's CRC32s: a flipped byte in the weights would load silently.
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            bad_member = archive.testzip()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as error:
        raise ModelFileError(f"{damaged} ({_short(error)})") from error
    if bad_member is not None:
        raise ModelFileError(f"{source} is truncated or corrupted (checksum mismatch in {bad_member})")
    try:
        with warnings.catch_warnings():
            # Rebuilding int8 tensors makes torch 2.13 warn about its deprecated quantized dtypes and
            # TypedStorage, once per tensor; see quantize.py for where the migration belongs.
            warnings.simplefilter("ignore", UserWarning)
            payload = torch.load(io.BytesIO(data), map_location="cpu", weights_only=True)
    except Exception as error:  # any failure inside torch's reader means the bytes are not a valid model
        raise ModelFileError(f"{damaged} ({_short(error)})") from error
    if not isinstance(payload, dict):
        raise ModelFileError(f"{source} is not a tagrec model file")
    return payload


def _check_format(payload: dict[str, Any], source: Path) -> None:
    if payload.get("format") != FORMAT:
        raise ModelFileError(f"{source} is not a tagrec model file")
    version = payload.get("format_version")
    if not isinstance(version, int) or version < 1:
        raise ModelFileError(f"{source} has no valid format version; it is damaged")
    if version > FORMAT_VERSION:
        raise ModelFileError(
            f"{source} was written by a newer tagrec (model format {version}); this tagrec reads format "
            f"{FORMAT_VERSION} and older: upgrade tagrec or retrain the model"
        )
    missing = [key for key in _REQUIRED if key not in payload]
    if missing:
        raise ModelFileError(f"{source} is incomplete (missing {', '.join(missing)})")


def _build(payload: dict[str, Any]) -> Model:
    meta = dict(payload["meta"])
    tokenizer = Tokenizer(payload["tokenizer"])
    vocab = TagVocab(tuple(payload["tags"]), tuple(int(c) for c in payload["tag_counts"]))
    if "arch" not in meta or "arch_config" not in meta:
        raise ModelFileError("its description lacks the architecture; it is damaged")
    try:
        cls = arch_class(str(meta["arch"]))
    except KeyError as error:
        raise ModelFileError(f"it uses an architecture this tagrec does not know: {error.args[0]}") from error
    network = cls(tokenizer.size, len(vocab), **meta["arch_config"])
    quantized = bool(payload["quantized"])
    if quantized:
        network = quantize(network, inplace=True)  # no second float copy while loading
    network.load_state_dict(payload["state"])
    network.eval()
    calibration = Calibration(**payload["calibration"])
    ranking = _ranking_from(payload["ranking"], len(vocab)) if payload.get("ranking") is not None else None
    return Model(tokenizer, vocab, network, calibration, meta, quantized=quantized, ranking=ranking)


def _ranking_state(ranking: Ranking) -> dict[str, Any]:
    return {
        "tags": list(ranking.tags.tags),
        "counts": list(ranking.tags.counts),
        "site_counts": torch.from_numpy(ranking.site_counts.astype(np.float32)),
        "text_seen": torch.from_numpy(ranking.text_seen.astype(np.int32)),
        "text_tagged": torch.from_numpy(ranking.text_tagged.astype(np.int32)),
        "index": ranking.index.state(),
        "related": ranking.related.state(),
        "fusion": ranking.fusion.state() if ranking.fusion is not None else None,
        "config": ranking.config.to_dict(),
        "linear": ranking.linear.state() if ranking.linear is not None else None,
    }


def _ranking_from(state: dict[str, Any], n_classifier_tags: int) -> Ranking:
    tags = TagVocab(tuple(state["tags"]), tuple(int(c) for c in state["counts"]))
    if len(tags) < n_classifier_tags:
        raise ValueError("the ranker knows fewer tags than the classifier")
    return Ranking(
        tags,
        state["site_counts"].numpy().astype(np.float32),
        state["text_seen"].numpy().astype(np.int64),
        state["text_tagged"].numpy().astype(np.int64),
        PostIndex.from_state(state["index"]),
        Related.from_state(state["related"]),
        Fusion.from_state(state["fusion"]) if state["fusion"] is not None else None,
        RankingConfig(**state["config"]),
        LinearTags.from_state(state["linear"]) if state.get("linear") is not None else None,
    )


def _short(error: BaseException, limit: int = 160) -> str:
    text = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    return text if len(text) <= limit else text[: limit - 1] + "…"
