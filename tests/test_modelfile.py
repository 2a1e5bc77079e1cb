"""The model file: round trip, safe loading, atomic writes, and one clear ModelFileError for every bad file."""

from __future__ import annotations

import io
import os
import random
import shutil
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import torch

import tagrec_core
from tagrec_core import modelfile
from tagrec_core.errors import ModelFileError, TagrecError
from tagrec_core.recommender import Recommender

POSTS = [
    ("How do I merge two pandas dataframe?", "merge on a column"),
    ("react component state", ""),
    ("今天女排比赛", "朱婷扣球"),
    ("", "postgres join query"),
]


def payload_of(path: Path) -> dict[str, Any]:
    return torch.load(path, map_location="cpu", weights_only=True)


# --- round trip ------------------------------------------------------------------------------------


def test_round_trip_keeps_suggestions_vocab_meta_and_tokenizer(tiny_model: Any, tiny_model_path: Path) -> None:
    loaded = modelfile.load(tiny_model_path)
    assert Recommender(loaded).suggest_many(POSTS) == Recommender(tiny_model).suggest_many(POSTS)
    assert loaded.vocab.tags == tiny_model.vocab.tags
    assert loaded.vocab.counts == tiny_model.vocab.counts
    assert loaded.meta == tiny_model.meta
    assert loaded.tokenizer.to_bytes() == tiny_model.tokenizer.to_bytes()
    assert loaded.calibration == tiny_model.calibration
    assert loaded.quantized is tiny_model.quantized is True
    texts = [f"{t}\n{b}" for t, b in POSTS]
    assert torch.equal(loaded.probabilities(texts), tiny_model.probabilities(texts))


def test_file_is_self_describing_and_loads_with_weights_only(tiny_model_path: Path) -> None:
    payload = payload_of(tiny_model_path)  # weights_only=True: plain containers and tensors only
    assert payload["format"] == "tagrec-model"
    assert payload["format_version"] == modelfile.FORMAT_VERSION
    assert set(modelfile._REQUIRED) <= set(payload)
    assert payload["meta"]["arch"] == "bag"


def test_members_are_deflated_and_a_stored_archive_still_loads(tiny_model_path: Path, tmp_path: Path) -> None:
    """Files are deflated to ship small; a file of an older tagrec (torch.save's stored members) still loads."""
    with zipfile.ZipFile(tiny_model_path) as archive:
        members = archive.infolist()
    assert {m.compress_type for m in members} == {zipfile.ZIP_DEFLATED}
    assert sum(m.compress_size for m in members) < 0.8 * sum(m.file_size for m in members)
    stored = tmp_path / "stored.tagrec"
    torch.save(payload_of(tiny_model_path), stored)
    with zipfile.ZipFile(stored) as archive:
        assert {m.compress_type for m in archive.infolist()} == {zipfile.ZIP_STORED}
        stamps = {m.date_time for m in archive.infolist()}
    assert {m.date_time for m in members} == stamps  # torch's fixed time, not the time of writing
    expected = Recommender(modelfile.load(tiny_model_path)).suggest_many(POSTS)
    assert Recommender(modelfile.load(stored)).suggest_many(POSTS) == expected


def test_the_same_model_saves_to_the_same_bytes(tiny_model: Any, tmp_path: Path) -> None:
    """Reproducible builds: no time of writing inside the file."""
    first = modelfile.save(tiny_model, tmp_path / "a.tagrec").read_bytes()
    second = modelfile.save(tiny_model, tmp_path / "b.tagrec").read_bytes()
    assert first == second


def test_loading_never_runs_code_from_the_file(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"

    class Evil:
        def __reduce__(self) -> tuple[Callable[..., Any], tuple[str]]:
            return (os.mkdir, (str(marker),))

    path = tmp_path / "evil.tagrec"
    torch.save({"format": "tagrec-model", "format_version": 1, "meta": Evil()}, path)
    with pytest.raises(ModelFileError):
        modelfile.load(path)
    assert not marker.exists()


def test_save_again_overwrites_and_returns_the_path(tiny_model: Any, tmp_path: Path) -> None:
    target = tmp_path / "sub" / "dir" / "m.tagrec"  # missing folders are created
    assert modelfile.save(tiny_model, target) == target
    first = target.read_bytes()
    modelfile.save(tiny_model, target)
    assert modelfile.load(target).vocab.tags == tiny_model.vocab.tags
    assert len(target.read_bytes()) == len(first)
    assert [p.name for p in target.parent.iterdir()] == ["m.tagrec"]


def test_saved_file_has_the_usual_permissions(tiny_model: Any, tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        path = modelfile.save(tiny_model, tmp_path / "m.tagrec")
    finally:
        os.umask(old)
    assert path.stat().st_mode & 0o777 == 0o644


# --- atomic writes ---------------------------------------------------------------------------------


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".part"))


def failing_torch_save(exc: BaseException) -> Callable[..., None]:
    """A ``torch.save`` that writes part of the archive and then fails (disk full, Ctrl-C)."""
    real_save = torch.save

    def save(obj: Any, handle: Any, *args: Any, **kwargs: Any) -> None:
        buffer = io.BytesIO()
        real_save(obj, buffer, *args, **kwargs)
        handle.write(buffer.getvalue()[: len(buffer.getvalue()) // 2])
        raise exc

    return save


@pytest.mark.parametrize(
    "exc", [OSError(28, "No space left on device"), KeyboardInterrupt()], ids=["disk-full", "ctrl-c"]
)
def test_failing_save_keeps_the_old_file_and_leaves_no_part(
    tiny_model: Any, tiny_model_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, exc: BaseException
) -> None:
    target = tmp_path / "model.tagrec"
    shutil.copyfile(tiny_model_path, target)
    before = target.read_bytes()
    monkeypatch.setattr(torch, "save", failing_torch_save(exc))
    with pytest.raises((type(exc), ModelFileError)):
        modelfile.save(tiny_model, target)
    monkeypatch.undo()
    assert target.read_bytes() == before
    assert leftovers(tmp_path) == []
    assert modelfile.load(target).vocab.tags == tiny_model.vocab.tags


def test_failing_save_to_a_new_path_leaves_nothing(
    tiny_model: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(torch, "save", failing_torch_save(OSError(28, "No space left on device")))
    with pytest.raises((OSError, ModelFileError)):
        modelfile.save(tiny_model, tmp_path / "new.tagrec")
    assert list(tmp_path.iterdir()) == []


def test_disk_full_while_saving_raises_model_file_error(
    tiny_model: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(torch, "save", failing_torch_save(OSError(28, "No space left on device")))
    with pytest.raises(ModelFileError, match="No space left"):
        modelfile.save(tiny_model, tmp_path / "new.tagrec")


def test_saving_onto_a_directory_leaves_it_alone_and_no_part(tiny_model: Any, tmp_path: Path) -> None:
    target = tmp_path / "models"
    target.mkdir()
    (target / "keep.txt").write_text("x")
    with pytest.raises((OSError, ModelFileError)):
        modelfile.save(tiny_model, target)
    assert target.is_dir()
    assert [p.name for p in target.iterdir()] == ["keep.txt"]
    assert leftovers(tmp_path) == []


def test_saving_onto_a_directory_raises_model_file_error(tiny_model: Any, tmp_path: Path) -> None:
    (tmp_path / "models").mkdir()
    with pytest.raises(ModelFileError):
        modelfile.save(tiny_model, tmp_path / "models")


def test_saving_under_a_file_raises_model_file_error(tiny_model: Any, tmp_path: Path) -> None:
    (tmp_path / "plain").write_text("not a folder")
    with pytest.raises(ModelFileError, match="cannot write the model"):
        modelfile.save(tiny_model, tmp_path / "plain" / "m.tagrec")


# --- damaged files ---------------------------------------------------------------------------------


def data_offset(raw: bytes) -> tuple[int, int]:
    """Offset and size of the largest tensor's bytes as they lie in the archive (deflated)."""
    archive = zipfile.ZipFile(io.BytesIO(raw))
    entry = max((i for i in archive.infolist() if "/data/" in i.filename), key=lambda i: i.file_size)
    header = raw[entry.header_offset : entry.header_offset + 30]
    name_len, extra_len = int.from_bytes(header[26:28], "little"), int.from_bytes(header[28:30], "little")
    return entry.header_offset + 30 + name_len + extra_len, entry.compress_size


def flip_tensor_byte(raw: bytes) -> bytes:
    start, size = data_offset(raw)
    damaged = bytearray(raw)
    damaged[start + size // 2] ^= 0x10
    return bytes(damaged)


def flip_block(raw: bytes) -> bytes:
    damaged = bytearray(raw)
    middle = len(raw) // 2
    for i in range(middle, middle + 16):
        damaged[i] ^= 0xFF
    return bytes(damaged)


def foreign_zip(_raw: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("hello.txt", "a zip file, but not ours")
    return buffer.getvalue()


def saved(obj: Any) -> bytes:
    buffer = io.BytesIO()
    torch.save(obj, buffer)
    return buffer.getvalue()


def with_payload(**changes: Any) -> Callable[[bytes], bytes]:
    """The good payload with keys replaced (or removed, for the value ``KeyError``), saved again."""

    def build(raw: bytes) -> bytes:
        payload = torch.load(io.BytesIO(raw), weights_only=True)
        for key, value in changes.items():
            if value is KeyError:
                del payload[key]
            else:
                payload[key] = value
        return saved(payload)

    return build


NOT_OURS = "not a tagrec model file"
INCOMPATIBLE = "damaged or was written by an incompatible"
CORRUPTED = "truncated or corrupted"
BAD_FILES: list[Any] = [
    pytest.param(lambda raw: random.Random(0).randbytes(5000), CORRUPTED, id="random-bytes"),
    pytest.param(lambda raw: random.Random(1).randbytes(100), CORRUPTED, id="random-bytes-short"),
    pytest.param(lambda raw: b"", CORRUPTED, id="empty"),
    pytest.param(lambda raw: raw[:1], CORRUPTED, id="truncated-1"),
    pytest.param(lambda raw: raw[:64], CORRUPTED, id="truncated-64"),
    pytest.param(lambda raw: raw[:1000], CORRUPTED, id="truncated-1000"),
    pytest.param(lambda raw: raw[: len(raw) // 2], CORRUPTED, id="truncated-half"),
    pytest.param(
        lambda raw: raw[:5000],
        CORRUPTED,
        id="truncated-5000",
    ),
    pytest.param(lambda raw: raw[:-1], CORRUPTED, id="truncated-last-byte"),
    pytest.param(flip_block, CORRUPTED, id="flipped-block-in-middle"),
    pytest.param(foreign_zip, NOT_OURS, id="foreign-zip"),
    pytest.param(lambda raw: b"hello, I am a text file\n", CORRUPTED, id="text-file"),
    pytest.param(lambda raw: saved([1, 2, 3]), NOT_OURS, id="torch-list"),
    pytest.param(lambda raw: saved({"weights": torch.zeros(3)}), NOT_OURS, id="torch-dict-not-ours"),
    pytest.param(
        lambda raw: saved({"format": "tagrec-model", "format_version": 99, "meta": {}}),
        "newer tagrec (model format 99)",
        id="format-version-99",
    ),
    pytest.param(with_payload(format_version="1"), "no valid format version", id="format-version-not-int"),
    pytest.param(with_payload(state=KeyError), "missing state", id="missing-state"),
    pytest.param(with_payload(tags=KeyError, tokenizer=KeyError), "missing tokenizer, tags", id="missing-keys"),
    pytest.param(with_payload(tokenizer=b"garbage"), "tokenizer inside the model file is damaged", id="bad-tokenizer"),
    pytest.param(with_payload(quantized=False), INCOMPATIBLE, id="state-does-not-fit"),
    pytest.param(with_payload(tags=["only-one"]), INCOMPATIBLE, id="tags-and-counts-differ"),
    pytest.param(with_payload(calibration=None), INCOMPATIBLE, id="calibration-null"),
    pytest.param(with_payload(meta=None), INCOMPATIBLE, id="meta-null"),
    pytest.param(
        lambda raw: b".",
        CORRUPTED,
        id="legacy-pickle-empty-stack",
    ),
    pytest.param(
        lambda raw: b"J\x01",
        CORRUPTED,
        id="legacy-pickle-short-int",
    ),
    pytest.param(
        flip_tensor_byte,
        CORRUPTED,
        id="flipped-byte-in-weights",
    ),
]


@pytest.mark.parametrize(("damage", "message"), BAD_FILES)
def test_damaged_file_raises_model_file_error_saying_which(
    tiny_model_path: Path, tmp_path: Path, damage: Callable[[bytes], bytes], message: str
) -> None:
    path = tmp_path / "damaged.tagrec"
    path.write_bytes(damage(tiny_model_path.read_bytes()))
    with pytest.raises(ModelFileError) as info:
        modelfile.load(path)
    assert message in str(info.value)
    if not message.startswith("tokenizer"):  # (the tokenizer's message does not name the file; minor)
        assert str(path) in str(info.value)
    with pytest.raises(ModelFileError):  # the public entry point says the same
        tagrec_core.load(path)


def test_directory_raises_model_file_error(tmp_path: Path) -> None:
    with pytest.raises(ModelFileError, match="is a folder"):
        modelfile.load(tmp_path)


def test_a_file_larger_than_any_model_is_refused_unread(tmp_path: Path) -> None:
    huge = tmp_path / "huge.tagrec"
    with huge.open("wb") as handle:
        handle.truncate(64 * 1024**3)  # sparse: 64 GB that take no disk
    with pytest.raises(ModelFileError, match=r"is 64\.0 GB, larger than any tagrec model"):
        modelfile.load(huge)


def test_missing_path_raises_model_file_error(tmp_path: Path) -> None:
    with pytest.raises(ModelFileError, match="does not exist"):
        tagrec_core.load(tmp_path / "nope.tagrec")


def test_model_file_error_is_a_tagrec_error_with_a_stable_code() -> None:
    assert issubclass(ModelFileError, TagrecError)
    assert ModelFileError.code == "bad_model"
