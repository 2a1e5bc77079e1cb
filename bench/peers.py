"""The two peers the product is compared against: the fastText tutorial recipe and a TF-IDF kNN vote.

Both are honest baselines: tuned only as their usual recipes say, never weakened. Both share one interface::

    peer.fit(train_records)                 # Records with .text and .tags
    peer.predict(text, k) -> list[str]      # one text, ranked tags (used by the latency benchmark)
    peer.predict_many(texts, k) -> list[list[str]]
    peer.size_bytes() -> int                # trained model on disk (fastText) / pickled in memory (kNN)

Text preprocessing is the peers' own (not ``tagrec_core.text.normalize``), so the product can change its
normalisation without moving the baselines.
"""

from __future__ import annotations

import os
import pickle
import re
import tempfile
from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol, runtime_checkable

import numpy as np

if TYPE_CHECKING:  # pragma: no cover
    from tagrec_core.records import Record

__all__ = ["FastTextPeer", "KnnPeer", "Peer", "cjk_fraction", "fasttext_preprocess", "peers"]

# Han (BMP, extension A, compatibility, extension B+), kana.
_CJK_CLASS = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u3040-\u30ff\U00020000-\U0003134f"
_CJK_RE = re.compile(f"([{_CJK_CLASS}])")
_CJK_CHAR_RE = re.compile(f"[{_CJK_CLASS}]")
# The tutorial separates . ! ? , ' / ( ); add the other ASCII sentence punctuation and the CJK/full-width
# punctuation blocks (。，！？：；「」 …), which would otherwise stick to the neighbouring characters.
_PUNCT_RE = re.compile("([.!?,'/()\":;\\[\\]{}<>\u3000-\u303f\uff01-\uff0f\uff1a-\uff20\uff3b-\uff40\uff5b-\uff65])")
_SPACE_RE = re.compile(r"\s+")
_LETTER_RE = re.compile(r"[^\W\d_]")


def fasttext_preprocess(text: str) -> str:
    """Tutorial preprocessing: lowercase, punctuation separated, each CJK character a token, one line."""
    text = _PUNCT_RE.sub(r" \1 ", text.lower())
    text = _CJK_RE.sub(r" \1 ", text)
    return _SPACE_RE.sub(" ", text).strip()


def cjk_fraction(texts: Sequence[str], sample: int = 2000) -> float:
    """Share of letters that are CJK characters, over an evenly spaced sample of ``texts``."""
    if not texts:
        return 0.0
    step = max(1, len(texts) // sample)
    cjk = letters = 0
    for text in texts[::step]:
        cjk += len(_CJK_CHAR_RE.findall(text))
        letters += len(_LETTER_RE.findall(text))
    return cjk / letters if letters else 0.0


@runtime_checkable
class Peer(Protocol):
    name: str

    def fit(self, train: Sequence[Record]) -> None: ...

    def predict(self, text: str, k: int) -> list[str]: ...

    def predict_many(self, texts: Sequence[str], k: int) -> list[list[str]]: ...

    def size_bytes(self) -> int: ...


class FastTextPeer:
    """fastText supervised, the tutorial recipe: lr 1.0, 25 epochs, word bigrams, softmax loss.

    One training line per post: ``__label__<tag> ... <preprocessed text>``. Whitespace inside a tag (labels
    cannot contain it) is replaced by U+2581 and mapped back on prediction.
    """

    name = "fastText"

    def __init__(
        self,
        *,
        lr: float = 1.0,
        epoch: int = 25,
        word_ngrams: int = 2,
        thread: int = 2,
        seed: int = 0,
        bucket: int = 2_000_000,
        dim: int = 100,
    ) -> None:
        # bucket and dim are fastText's defaults (the tutorial's); only tests shrink them, for speed.
        self.params = {
            "lr": lr,
            "epoch": epoch,
            "wordNgrams": word_ngrams,
            "thread": thread,
            "seed": seed,
            "bucket": bucket,
            "dim": dim,
        }
        self._model = None
        self._label_to_tag: dict[str, str] = {}

    def fit(self, train: Sequence[Record]) -> None:
        import fasttext

        tag_of: dict[str, str] = {}
        with tempfile.TemporaryDirectory(prefix="tagrec-ft-") as tmp:
            path = os.path.join(tmp, "train.txt")
            with open(path, "w", encoding="utf-8") as out:
                for record in train:
                    if not record.tags:
                        continue
                    labels = []
                    for tag in record.tags:
                        label = "__label__" + "\u2581".join(tag.split())
                        tag_of[label] = tag
                        labels.append(label)
                    out.write(" ".join(labels) + " " + fasttext_preprocess(record.text) + "\n")
            if not tag_of:
                raise ValueError("FastTextPeer.fit: no training record has tags")
            self._model = fasttext.train_supervised(input=path, verbose=0, **self.params)
        self._label_to_tag = {label: tag_of.get(label, label[9:]) for label in self._model.get_labels()}

    def predict(self, text: str, k: int) -> list[str]:
        labels, _ = self._model.predict(fasttext_preprocess(text), k=k)
        tag = self._label_to_tag
        return [tag[label] for label in labels]

    def predict_many(self, texts: Sequence[str], k: int) -> list[list[str]]:
        if not texts:
            return []
        labels, _ = self._model.predict([fasttext_preprocess(t) for t in texts], k=k)
        tag = self._label_to_tag
        return [[tag[label] for label in row] for row in labels]

    def size_bytes(self) -> int:
        if self._model is None:
            raise RuntimeError("FastTextPeer is not fitted")
        with tempfile.TemporaryDirectory(prefix="tagrec-ft-") as tmp:
            path = os.path.join(tmp, "model.bin")
            self._model.save_model(path)
            return os.path.getsize(path)


class KnnPeer:
    """TF-IDF nearest-neighbour vote.

    Posts are TF-IDF vectors (sublinear tf, L2-normalised): word unigrams+bigrams for mostly non-CJK corpora,
    character 1-3-grams (``char_wb``) when most letters of the training texts are CJK. A query's cosine
    similarity to every training post is one sparse product; each of the ``n_neighbors`` most similar posts
    votes for its tags with its similarity. Ties (and posts with no similar neighbour) fall back to the tags'
    training frequency.
    """

    name = "kNN"

    def __init__(self, n_neighbors: int = 50, *, stop_words: str | None = "english", batch_size: int = 256) -> None:
        self.n_neighbors = n_neighbors
        self.stop_words = stop_words
        self.batch_size = batch_size
        self.analyzer = ""
        self._vectorizer = None
        self._x = None  # (n_train, n_features) csr, L2-normalised rows
        self._xt = None  # its transpose (csc → csr), for query @ train.T
        self._y = None  # (n_train, n_tags) csr, binary
        self._tags: list[str] = []
        self._prior: np.ndarray | None = None

    def fit(self, train: Sequence[Record]) -> None:
        import scipy.sparse as sp
        from sklearn.feature_extraction.text import TfidfVectorizer

        train = [r for r in train if r.tags]
        if not train:
            raise ValueError("KnnPeer.fit: no training record has tags")
        texts = [r.text for r in train]
        if cjk_fraction(texts) > 0.5:
            self.analyzer = "char_wb(1,3)"
            vectorizer = TfidfVectorizer(analyzer="char_wb", ngram_range=(1, 3), sublinear_tf=True)
        else:
            self.analyzer = "word(1,2)"
            vectorizer = TfidfVectorizer(
                analyzer="word",
                ngram_range=(1, 2),
                sublinear_tf=True,
                token_pattern=r"(?u)\b\w[\w+#]*",
                stop_words=self.stop_words,
            )
        x = vectorizer.fit_transform(texts).astype(np.float32)
        tag_index: dict[str, int] = {}
        rows, cols = [], []
        for i, record in enumerate(train):
            for tag in dict.fromkeys(record.tags):
                rows.append(i)
                cols.append(tag_index.setdefault(tag, len(tag_index)))
        y = sp.csr_matrix((np.ones(len(rows), dtype=np.float32), (rows, cols)), shape=(len(train), len(tag_index)))
        counts = np.asarray(y.sum(axis=0)).ravel()
        self._vectorizer = vectorizer
        self._x = x.tocsr()
        self._xt = x.T.tocsr()
        self._y = y
        self._tags = list(tag_index)
        # A tie-breaker far below any similarity vote: popular tags first.
        self._prior = (1e-6 * counts / counts.max()).astype(np.float32)

    def _scores(self, q) -> np.ndarray:
        """Tag votes for the rows of the query matrix ``q``: (n_queries, n_tags) dense."""
        import scipy.sparse as sp

        sims = (q @ self._xt).toarray()  # cosine similarity, rows are L2-normalised
        n = min(self.n_neighbors, sims.shape[1])
        if n < sims.shape[1]:
            top = np.argpartition(-sims, n - 1, axis=1)[:, :n]
        else:
            top = np.broadcast_to(np.arange(n), (sims.shape[0], n))
        weights = np.take_along_axis(sims, top, axis=1)
        w = sp.csr_matrix(
            (weights.ravel(), top.ravel(), np.arange(0, weights.size + 1, n)),
            shape=sims.shape,
        )
        return (w @ self._y).toarray() + self._prior

    def _top_k(self, votes: np.ndarray, k: int) -> list[list[str]]:
        k = min(k, votes.shape[1])
        if k <= 0:
            return [[] for _ in range(votes.shape[0])]
        part = np.argpartition(-votes, k - 1, axis=1)[:, :k]
        order = np.argsort(-np.take_along_axis(votes, part, axis=1), axis=1, kind="stable")
        best = np.take_along_axis(part, order, axis=1)
        tags = self._tags
        return [[tags[j] for j in row] for row in best.tolist()]

    def predict(self, text: str, k: int) -> list[str]:
        return self._top_k(self._scores(self._vectorizer.transform([text])), k)[0]

    def predict_many(self, texts: Sequence[str], k: int) -> list[list[str]]:
        out: list[list[str]] = []
        for start in range(0, len(texts), self.batch_size):
            q = self._vectorizer.transform(list(texts[start : start + self.batch_size]))
            out.extend(self._top_k(self._scores(q), k))
        return out

    def size_bytes(self) -> int:
        """Pickled size of everything prediction needs: vocabulary, idf, training matrix, tag matrix."""
        if self._vectorizer is None:
            raise RuntimeError("KnnPeer is not fitted")
        state = (self._vectorizer, self._x, self._y, self._tags, self._prior)
        return len(pickle.dumps(state, protocol=pickle.HIGHEST_PROTOCOL))


def peers() -> list[Peer]:
    """Fresh, unfitted instances of both peers with their default settings."""
    return [FastTextPeer(), KnnPeer()]
