"""The registry of network architectures, one module each, all with the same interface.

Each architecture class has ``name``, ``input_kind`` (``"bag"`` or ``"sequence"``, see ``features``),
``closed_form`` (True: set by ``fit`` from counts instead of gradient steps), ``defaults``, ``config()`` and
``forward`` returning logits ``[B, n_tags]``; the output layer is an ``nn.Linear`` named ``out`` and the
embedding table is named ``embedding``, so quantization and the training loop treat them all alike.
"""

from __future__ import annotations

import importlib
from functools import cache

from torch import nn

_MODULES = ("bag", "attention_cnn", "textcnn", "bigru", "naive_bayes")


@cache
def registry() -> dict[str, type[nn.Module]]:
    """Architecture name -> class, for every architecture module."""
    found: dict[str, type[nn.Module]] = {}
    for module_name in _MODULES:
        module = importlib.import_module(f"{__name__}.{module_name}")
        for value in vars(module).values():
            if isinstance(value, type) and issubclass(value, nn.Module) and value.__module__ == module.__name__:
                arch_name = getattr(value, "name", None)
                if isinstance(arch_name, str):
                    found[arch_name] = value
    return found


def arch_class(name: str) -> type[nn.Module]:
    """The class registered as ``name``; ``KeyError`` with the known names if there is none."""
    try:
        return registry()[name]
    except KeyError:
        raise KeyError(f"unknown architecture {name!r}; known: {', '.join(sorted(registry()))}") from None
