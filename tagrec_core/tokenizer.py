"""The sentencepiece tokenizer that each model trains and carries inside its model file.

Piece ids are shifted by one so that id 0 is free for padding: ``encode`` returns ids in ``[1, size)``.
Input is expected to be normalised already (``tagrec_core.text.normalize``).
"""

from __future__ import annotations

import io
import random
from collections.abc import Iterable, Sequence

import sentencepiece as spm

from tagrec_core.errors import ModelFileError, TrainingError

MAX_SENTENCE_BYTES = 8192  # sentencepiece's limit on one training sentence (it skips longer ones)
PAD_ID = 0


class Tokenizer:
    """A trained sentencepiece unigram model. Thread-safe for concurrent ``encode`` calls."""

    def __init__(self, model_proto: bytes) -> None:
        self._proto = bytes(model_proto)
        self._sp = spm.SentencePieceProcessor()
        try:
            self._sp.LoadFromSerializedProto(self._proto)
        except (RuntimeError, OSError) as error:
            raise ModelFileError(f"the tokenizer inside the model file is damaged ({error})") from error
        self._vocab_size = self._sp.GetPieceSize()

    @property
    def size(self) -> int:
        """Number of ids including the padding id 0 (what an embedding table needs)."""
        return self._vocab_size + 1

    def to_bytes(self) -> bytes:
        """The serialized sentencepiece model, for storing in a model file."""
        return self._proto

    def encode(self, text: str) -> list[int]:
        """Piece ids (all >= 1) of normalised ``text``; an empty list for empty text."""
        return [i + 1 for i in self._sp.EncodeAsIds(text)]

    def pieces(self, text: str) -> list[str]:
        """The pieces of ``text``, for explanations and debugging."""
        return self._sp.EncodeAsPieces(text)

    @classmethod
    def train(
        cls, texts: Iterable[str], *, vocab_size: int = 8000, seed: int = 0, max_sentences: int = 200_000
    ) -> Tokenizer:
        """Train a unigram model on normalised ``texts``, in memory, deterministically for a seed.

        ``vocab_size`` is an upper bound: small corpora get fewer pieces instead of failing.
        """
        sentences = _sample([piece for t in texts if t.strip() for piece in _pieces(t)], max_sentences, seed)
        if not sentences:
            raise TrainingError("cannot train a tokenizer: the training data has no text")
        writer = io.BytesIO()
        try:
            spm.SentencePieceTrainer.Train(
                sentence_iterator=iter(sentences),
                model_writer=writer,
                model_type="unigram",
                vocab_size=vocab_size,
                hard_vocab_limit=False,
                character_coverage=0.9995,
                max_sentence_length=MAX_SENTENCE_BYTES,
                split_digits=True,
                byte_fallback=False,
                num_threads=2,
                minloglevel=2,
                # pieces may span CJK characters (words have no spaces there), but never a space
                split_by_whitespace=True,
            )
        except RuntimeError as error:
            raise TrainingError(f"could not train the tokenizer: {error}") from error
        return cls(writer.getvalue())


def _pieces(text: str) -> list[str]:
    """``text`` as sentencepiece can train on it: whole when its UTF-8 is at most ``MAX_SENTENCE_BYTES``, else in
    pieces that are, cut at a space where there is one. (sentencepiece silently leaves longer sentences out of
    training: a corpus of long posts trained on none of them, and failed.)"""
    if len(text) * 4 <= MAX_SENTENCE_BYTES or len(text.encode("utf-8")) <= MAX_SENTENCE_BYTES:
        return [text]
    limit = MAX_SENTENCE_BYTES // 4  # characters: at most 4 bytes each
    pieces = []
    while len(text) > limit:
        cut = text.rfind(" ", limit // 2, limit)
        cut = limit if cut < 0 else cut
        pieces.append(text[:cut])
        text = text[cut:].lstrip()
    return [*pieces, text] if text.strip() else pieces


def _sample(sentences: Sequence[str], limit: int, seed: int) -> list[str]:
    """At most ``limit`` sentences, a deterministic sample when there are more."""
    if len(sentences) <= limit:
        return list(sentences)
    return random.Random(seed).sample(list(sentences), limit)
