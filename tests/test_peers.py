"""The two benchmark peers learn a small synthetic English and Chinese set and rank its tags sensibly."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from bench.peers import FastTextPeer, KnnPeer, cjk_fraction, fasttext_preprocess
from tagrec_core.records import read_records

EN_TOPICS = {
    ("python", "pandas"): "pandas dataframe column csv merge groupby index series read_csv pivot",
    ("javascript", "reactjs"): "react component state hooks jsx props render useeffect redux",
    ("sql", "postgresql"): "postgres query join table select index foreign key transaction",
    ("docker", "linux"): "docker container image compose volume dockerfile port daemon",
}
EN_FILLER = "how do i why does my the a in with when not working error best way to get"
ZH_TOPICS = {
    ("篮球", "NBA"): ["湖人", "投篮", "球员", "比赛", "詹姆斯", "篮板", "总决赛", "三分"],
    ("美食",): ["火锅", "好吃", "餐厅", "麻辣", "味道", "甜点", "烧烤", "小吃"],
    ("电影",): ["导演", "票房", "上映", "演员", "预告片", "影院", "剧情", "主演"],
    ("天气",): ["下雨", "气温", "降温", "台风", "晴天", "暴雨", "预报", "寒潮"],
}
ZH_FILLER = ["今天", "我们", "真的", "大家", "一起", "觉得", "非常", "还是"]


def _english(rng: random.Random, n_per_topic: int) -> list[dict]:
    out = []
    for tags, words in EN_TOPICS.items():
        vocab, filler = words.split(), EN_FILLER.split()
        for _ in range(n_per_topic):
            title = " ".join(rng.sample(filler, 3) + rng.sample(vocab, 3))
            out.append({"title": title.capitalize() + "?", "body": " ".join(rng.sample(vocab, 2)), "tags": tags})
    return out


def _chinese(rng: random.Random, n_per_topic: int) -> list[dict]:
    out = []
    for tags, words in ZH_TOPICS.items():
        for _ in range(n_per_topic):
            parts = rng.sample(ZH_FILLER, 2) + rng.sample(words, 4)
            rng.shuffle(parts)
            out.append({"title": "", "body": "".join(parts) + "！", "tags": tags})
    return out


def _write(path: Path, rows: list[dict], lang: str) -> Path:
    with path.open("w", encoding="utf-8") as f:
        for i, row in enumerate(rows):
            rec = {"id": f"t:{lang}{i}", "lang": lang, "source": "test", **row, "tags": list(row["tags"])}
            f.write(json.dumps(rec, ensure_ascii=False) + "\n")
    return path


@pytest.fixture(scope="module")
def corpora(tmp_path_factory) -> dict[str, list]:
    rng = random.Random(7)
    tmp = tmp_path_factory.mktemp("peers")
    return {
        "en": list(read_records(_write(tmp / "en.jsonl", _english(rng, 15), "en"))),
        "zh": list(read_records(_write(tmp / "zh.jsonl", _chinese(rng, 15), "zh"))),
    }


HELD_OUT = {
    "en": [
        ("How to merge two pandas dataframe on a column", {"python", "pandas"}),
        ("react hooks state not updating in my component", {"javascript", "reactjs"}),
        ("docker compose container cannot reach port", {"docker", "linux"}),
    ],
    "zh": [
        ("昨晚湖人的比赛詹姆斯三分投篮太准了", {"篮球", "NBA"}),
        ("这家餐厅的麻辣火锅味道真好吃", {"美食"}),
        ("明天台风来了气温降温还要下雨", {"天气"}),
    ],
}


def _peers() -> list:
    # fastText's 2M hash buckets cost ~1 s to allocate and 800 MB to save; a small table keeps the test quick.
    return [FastTextPeer(bucket=50_000, dim=50), KnnPeer(n_neighbors=10)]


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_peers_learn_and_agree(corpora, lang):
    train = corpora[lang]
    assert len(train) == 60
    texts = [text for text, _ in HELD_OUT[lang]]
    for peer in _peers():
        peer.fit(train)
        singles = [peer.predict(text, 3) for text in texts]
        for (text, expected), ranked in zip(HELD_OUT[lang], singles, strict=True):
            assert len(ranked) == 3 and len(set(ranked)) == 3
            assert ranked[0] in expected, (peer.name, text, ranked)
        assert peer.predict_many(texts, 3) == singles
        assert peer.predict_many([], 3) == []
        assert peer.size_bytes() > 0


def test_knn_picks_analyzer_by_script(corpora):
    en, zh = KnnPeer(), KnnPeer()
    en.fit(corpora["en"])
    zh.fit(corpora["zh"])
    assert en.analyzer.startswith("word")
    assert zh.analyzer.startswith("char_wb")


def test_fasttext_preprocess():
    assert fasttext_preprocess("How (do) I use C#?\nNow") == "how ( do ) i use c# ? now"
    assert fasttext_preprocess("多好URL，真的！") == "多 好 url ， 真 的 ！"
    assert cjk_fraction(["今天天气好", "ok"]) > 0.5 > cjk_fraction(["hello world", "你"])
