"""The shipped default models, one per domain, inside the package (nothing is downloaded)."""

from __future__ import annotations

from pathlib import Path

from tagrec_core.errors import ModelFileError
from tagrec_core.text import detect_lang

RESOURCES = Path(__file__).resolve().parent / "resources"
DOMAINS: dict[str, str] = {"stackoverflow": "stackoverflow.tagrec", "weibo": "weibo.tagrec"}
LANG_DOMAIN: dict[str, str] = {"en": "stackoverflow", "zh": "weibo"}


def model_path(domain: str) -> Path:
    """Path of the shipped model for ``domain``; ``ModelFileError`` if the domain is unknown or not shipped."""
    if domain not in DOMAINS:
        raise ModelFileError(f"unknown domain {domain!r}; choose one of: {', '.join(DOMAINS)}")
    path = RESOURCES / DOMAINS[domain]
    if not path.is_file():
        raise ModelFileError(
            f"the default {domain} model is missing from this installation ({path}): reinstall tagrec, "
            f"or rebuild it from a source checkout with `.venv/bin/python scripts/build_models.py --domain {domain}`"
        )
    return path


def domain_for(text: str) -> str:
    """The domain whose default model fits ``text`` best, by its language."""
    return LANG_DOMAIN[detect_lang(text)]
