"""Shared fixtures: small real data, a tiny real trained model (session-scoped), the --slow switch."""

from __future__ import annotations

import gc
import json
import os
import random
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--slow", action="store_true", help="also run tests marked slow")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if config.getoption("--slow"):
        return
    skip = pytest.mark.skip(reason="slow: run with --slow (CI does)")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)


# --- synthetic but learnable posts -------------------------------------------------------------------

EN_TOPICS: dict[tuple[str, ...], list[str]] = {
    ("python", "pandas"): [
        "pandas",
        "dataframe",
        "column",
        "csv",
        "merge",
        "groupby",
        "series",
        "read_csv",
        "pivot",
        "concat",
    ],
    ("javascript", "reactjs"): [
        "react",
        "component",
        "state",
        "hooks",
        "jsx",
        "props",
        "render",
        "useeffect",
        "redux",
        "usestate",
    ],
    ("sql", "postgresql"): [
        "postgres",
        "query",
        "join",
        "table",
        "select",
        "foreign",
        "key",
        "transaction",
        "vacuum",
        "psql",
    ],
    ("docker", "linux"): [
        "docker",
        "container",
        "image",
        "compose",
        "volume",
        "dockerfile",
        "daemon",
        "kubernetes",
        "registry",
    ],
    ("java", "spring-boot"): [
        "spring",
        "boot",
        "bean",
        "autowired",
        "controller",
        "maven",
        "jpa",
        "hibernate",
        "annotation",
    ],
}
EN_FILLER = [
    "how",
    "do",
    "i",
    "why",
    "does",
    "my",
    "the",
    "a",
    "in",
    "with",
    "when",
    "not",
    "working",
    "error",
    "best",
    "way",
    "to",
    "get",
]
ZH_TOPICS: dict[tuple[str, ...], list[str]] = {
    ("中国女排",): ["女排", "比赛", "朱婷", "郎平", "扣球", "排球", "冠军", "世界杯"],
    ("美食",): ["火锅", "好吃", "餐厅", "麻辣", "味道", "甜点", "烧烤", "小吃"],
    ("电影",): ["导演", "票房", "上映", "演员", "预告片", "影院", "剧情", "主演"],
    ("天气",): ["下雨", "气温", "降温", "台风", "晴天", "暴雨", "预报", "寒潮"],
    ("篮球", "NBA"): ["湖人", "投篮", "球员", "詹姆斯", "篮板", "总决赛", "三分", "库里"],
}
ZH_FILLER = ["今天", "我们", "真的", "大家", "一起", "觉得", "非常", "还是"]


def synthetic_posts(n_en: int, n_zh: int, seed: int, prefix: str = "p") -> list[dict[str, Any]]:
    """``n_en`` English and ``n_zh`` Chinese posts, cycling over the topics above; each post's words come
    from its topic (plus filler), so the tags are learnable. Same arguments, same posts."""
    rng = random.Random(seed)
    posts: list[dict[str, Any]] = []
    en = list(EN_TOPICS.items())
    for i in range(n_en):
        tags, words = en[i % len(en)]
        title = " ".join(rng.sample(EN_FILLER, 3) + rng.sample(words, 3)).capitalize() + "?"
        body = " ".join(rng.sample(words, 3))
        posts.append({"id": f"{prefix}-en-{i}", "title": title, "body": body, "tags": list(tags), "lang": "en"})
    zh = list(ZH_TOPICS.items())
    for i in range(n_zh):
        tags, words = zh[i % len(zh)]
        title = "".join(rng.sample(ZH_FILLER, 2) + rng.sample(words, 3))
        body = "".join(rng.sample(words, 3))
        posts.append({"id": f"{prefix}-zh-{i}", "title": title, "body": body, "tags": list(tags), "lang": "zh"})
    return posts


def write_jsonl(path: Path, posts: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(p, ensure_ascii=False) + "\n" for p in posts), encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def make_posts() -> Callable[..., list[dict[str, Any]]]:
    """``make_posts(n_en, n_zh, seed, prefix)``: synthetic, learnable posts (see ``synthetic_posts``)."""
    return synthetic_posts


@pytest.fixture(scope="session")
def jsonl_writer() -> Callable[[Path, list[dict[str, Any]]], Path]:
    """``jsonl_writer(path, posts)`` writes posts as JSON Lines (UTF-8) and returns the path."""
    return write_jsonl


@pytest.fixture(scope="session")
def tiny_config() -> Callable[..., Any]:
    """``tiny_config(**overrides)``: the ``TrainConfig`` the session's tiny model uses, with overrides."""
    return _tiny_config


@pytest.fixture(scope="session")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """``train.jsonl`` (300 English + 300 Chinese posts) and ``heldout.jsonl`` (50 + 50 other posts)."""
    folder = tmp_path_factory.mktemp("corpus")
    return {
        "train": write_jsonl(folder / "train.jsonl", synthetic_posts(300, 300, seed=1, prefix="train")),
        "heldout": write_jsonl(folder / "heldout.jsonl", synthetic_posts(50, 50, seed=2, prefix="heldout")),
    }


@pytest.fixture(scope="session")
def train_records(corpus: dict[str, Path]) -> list[Any]:
    from tagrec_core.records import read_records

    return read_records(corpus["train"])


@pytest.fixture(scope="session")
def heldout_records(corpus: dict[str, Path]) -> list[Any]:
    from tagrec_core.records import read_records

    return read_records(corpus["heldout"])


def _tiny_config(**overrides: Any) -> Any:
    """The bag preset with a tiny network (16 dims, 1000 bigram buckets): trains in about a second."""
    from tagrec_core import presets

    settings: dict[str, Any] = {"epochs": 10, "arch_config": {"dim": 16, "buckets": 1000}, **overrides}
    return presets.config_for("bag", **settings)


@pytest.fixture(scope="session")
def tiny_model(train_records: list[Any]) -> Any:
    """A really trained (quantized) bag model on ``train.jsonl``, trained once per session, valid=None."""
    from tagrec_core.training import train

    return train(train_records, None, _tiny_config())


@pytest.fixture(scope="session")
def tiny_model_path(tiny_model: Any, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``tiny_model`` saved to a model file (treat as read-only: copy it before damaging it)."""
    from tagrec_core import modelfile

    return modelfile.save(tiny_model, tmp_path_factory.mktemp("model") / "tiny.tagrec")


# Tags of a site's tag list that no training post carries: the ranker must still suggest them from the text.
SITE_ONLY_TAGS = {"matplotlib": 900, "fastapi": 700, "香港": 500}


@pytest.fixture(scope="session")
def tiny_ranker(train_records: list[Any]) -> Any:
    """The full ranker (tiny bag classifier, index, text matches, co-occurrence, fusion) on ``train.jsonl``,
    with a site tag list holding the training tags and ``SITE_ONLY_TAGS``; trained once per session."""
    from tagrec_core.ranker_training import train_ranker

    site = {t: 100 for r in train_records for t in r.tags} | SITE_ONLY_TAGS
    return train_ranker(train_records, None, _tiny_config(), site_tags=site)


@pytest.fixture(scope="session")
def tiny_ranker_path(tiny_ranker: Any, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``tiny_ranker`` saved to a model file (read-only: copy it before damaging it)."""
    from tagrec_core import modelfile

    return modelfile.save(tiny_ranker, tmp_path_factory.mktemp("ranker") / "ranker.tagrec")


@pytest.fixture
def single_thread() -> Iterator[None]:
    """Run a test on one intra-op torch thread, as inference does, and restore the setting afterwards (use with
    ``pytestmark = pytest.mark.usefixtures("single_thread")``).

    Why: with 2 cores shared with other processes, OpenMP's spinning threads made tiny ops ~100x slower.
    """
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(autouse=True)
def thawed_garbage_collector() -> Iterator[None]:
    """A service that loads a model freezes what is alive (``memory.freeze_long_lived``); in this long-lived
    test process, later tests get the collector back whole, so their reference cycles are collected as before."""
    yield
    if gc.get_freeze_count():
        gc.unfreeze()


@pytest.fixture(autouse=True, scope="session")
def isolated_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Every test (and every CLI subprocess it starts) uses a temporary tagrec home, never the real one."""
    from tagrec_core.home import HOME_ENV

    home = tmp_path_factory.mktemp("tagrec-home")
    previous = os.environ.get(HOME_ENV)
    os.environ[HOME_ENV] = str(home)
    yield home
    if previous is None:
        os.environ.pop(HOME_ENV, None)
    else:
        os.environ[HOME_ENV] = previous


# --- the bridge: one real server on a real socket, over the shipped models --------------------------------------


@pytest.fixture(scope="session")
def bridge(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """A running bridge (``BridgeServer``) on 127.0.0.1 and a free port, its models loaded, in a fresh home.
    Rate limits are high so tests do not trip over each other; rate limiting has its own server."""
    from extension_bridge.guard import Limits
    from extension_bridge.server import BridgeServer

    server = BridgeServer(
        tmp_path_factory.mktemp("bridge-home"),
        port=0,
        limits=Limits(rate=10_000, burst=10_000, anonymous_rate=10_000, anonymous_burst=10_000, body_timeout=2.0),
    )
    server.start()
    assert server.service.wait(timeout=120), server.service.status()
    yield server
    server.stop()


@pytest.fixture
def raw(bridge: Any) -> Any:
    from tests.bridge_client import Raw

    return Raw(bridge.port)


@pytest.fixture
def token(bridge: Any) -> str:
    """A fresh token for a script (origin ``cli``)."""
    return bridge.tokens.create("cli", name="test")[1]


@pytest.fixture
def ext_token(bridge: Any) -> str:
    """A fresh token for the test extension's origin."""
    from tests.bridge_client import EXTENSION

    return bridge.tokens.create(EXTENSION, name="test extension")[1]


def format_two_index_state(index: Any) -> dict[str, Any]:
    """``index.state()`` as model format 2 stored it: the posts x terms arrays instead of posting lists."""
    import numpy as np
    import torch

    state = {k: v for k, v in index.state().items() if not k.startswith("posting_")}
    state["count_indptr"] = torch.from_numpy(index.counts.indptr.astype(np.int64))
    state["count_indices"] = torch.from_numpy(index.counts.indices.astype(np.int32))
    state["count_data"] = torch.from_numpy(index.counts.data.astype(np.uint16).view(np.int16))
    return state
