"""A terminal progress bar (tqdm, with ETA) for training, fed by ``training.Progress`` snapshots."""

from __future__ import annotations

from types import TracebackType

from tqdm import tqdm

from tagrec_core.training import Progress


class TrainingBar:
    """A context manager whose ``update`` is a ``training.ProgressFn``; draws on stderr when enabled."""

    def __init__(self, enabled: bool = True) -> None:
        self.enabled = enabled
        self._bar: tqdm | None = None
        self._done = 0
        self._linear_part = 0  # the ranker whose linear SVMs the bar shows

    def __enter__(self) -> TrainingBar:
        return self

    def __exit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        if self._bar is not None:
            self._bar.close()

    def _linear(self, p: Progress) -> None:
        """One bar per ranker's linear SVMs, in tags."""
        if self._bar is None or self._linear_part != p.epoch:
            self._restart()
            self._linear_part = p.epoch
            self._bar = tqdm(total=p.steps, unit="tag", desc=f"linear SVMs {p.epoch}/{p.epochs}", dynamic_ncols=True)
        self._bar.update(max(0, p.step - self._done))
        self._done = max(self._done, p.step)

    def _restart(self) -> None:
        """Close the bar of the previous classifier: the next one draws its own."""
        if self._bar is not None:
            self._bar.close()
        self._bar, self._done = None, 0

    def update(self, p: Progress) -> None:
        if not self.enabled:
            return
        if p.stage == "tokenizer":
            tqdm.write("training the tokenizer ...")
            return
        if p.stage == "rerun":
            self._restart()
            tqdm.write(
                f"the classifier peaked at epoch {p.epoch}: training it again over {p.epochs} epochs, "
                "its learning rate decaying to the end ..."
            )
            return
        if p.stage == "fold":
            self._restart()
            tqdm.write(f"fold {p.epoch}/{p.epochs}: a classifier without these posts, to fit fusion on ...")
            return
        if p.stage == "ranker":
            self._restart()
            tqdm.write("building the ranker: similar-post index, co-occurrence, fusion ...")
            return
        if p.stage == "linear":
            self._linear(p)
            return
        if p.stage != "train":
            return
        total = p.epochs * p.steps
        if self._bar is None:
            self._bar = tqdm(total=total, unit="batch", desc="training", dynamic_ncols=True, leave=True)
        position = (p.epoch - 1) * p.steps + p.step
        self._bar.update(max(0, position - self._done))
        self._done = max(self._done, position)
        postfix = {"epoch": f"{p.epoch}/{p.epochs}"}
        if p.loss is not None:
            postfix["loss"] = f"{p.loss:.3f}"
        if p.best_f1 is not None and p.best_f1 >= 0:
            postfix["best F1@3"] = f"{p.best_f1:.3f}"
        self._bar.set_postfix(postfix, refresh=False)
