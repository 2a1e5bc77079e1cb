"""Small numpy helpers shared by the ranker's sources."""

from __future__ import annotations

import numpy as np

__all__ = ["top_indices"]


def top_indices(values: np.ndarray, n: int) -> np.ndarray:
    """Indices of the ``n`` largest ``values``, largest first (ties in ``argpartition``'s order); int64.

    ``argpartition`` then a sort of the ``n`` winners only: linear in ``len(values)``, which matters for
    tens of thousands of tags or posts.
    """
    if n <= 0 or not len(values):
        return np.zeros(0, np.int64)
    part = np.argpartition(-values, n - 1)[:n] if len(values) > n else np.arange(len(values))
    return part[np.argsort(-values[part], kind="stable")].astype(np.int64)
