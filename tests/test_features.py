"""The bag network's inputs: piece bigrams and character grams (tagrec_core/features.py, model.encode_text)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tagrec_core.features import GRAM_WORD_CHARS, bag_ids, gram_ids
from tagrec_core.model import encode_text

N_PIECES = 500
BUCKETS = 1000


def test_grams_of_a_word_are_its_wrapped_substrings_without_the_whole_word() -> None:
    # "<ab>": 2-grams <a ab b>, 3-grams <ab ab>; the 4-gram is the whole wrapped word and is left out.
    ids = gram_ids("ab", (2, 4), N_PIECES, BUCKETS, 256)
    assert len(ids) == 5
    assert all(N_PIECES <= i < N_PIECES + BUCKETS for i in ids)


def test_every_word_gives_its_grams_whatever_the_order() -> None:
    # Wrapped lengths 8 and 11: (7 + 6 + 5 + 4) + (10 + 9 + 8 + 7) grams of 2 to 5 characters.
    ids = gram_ids("pandas dataframe", (2, 5), N_PIECES, BUCKETS, 256)
    assert len(ids) == 56
    assert sorted(ids) == sorted(gram_ids("dataframe pandas", (2, 5), N_PIECES, BUCKETS, 256))
    assert sorted(ids) == sorted(
        gram_ids("pandas", (2, 5), N_PIECES, BUCKETS, 9) + gram_ids("dataframe", (2, 5), N_PIECES, BUCKETS, 9)
    )
    assert len(gram_ids("ab", (1, 1), N_PIECES, BUCKETS, 9)) == 4


def test_grams_are_deterministic_and_case_insensitive() -> None:
    first = gram_ids("Pandas DataFrame merge", (2, 5), N_PIECES, BUCKETS, 256)
    assert first == gram_ids("pandas dataframe merge", (2, 5), N_PIECES, BUCKETS, 256)
    assert first == gram_ids("Pandas DataFrame merge", (2, 5), N_PIECES, BUCKETS, 256)


def test_shared_grams_map_to_shared_buckets() -> None:
    # "merged" and "merge" share the prefix grams "<m", "<me", ...: what lets unseen forms borrow weights.
    merged = set(gram_ids("merged", (2, 5), N_PIECES, 1_000_000, 256))
    merge = set(gram_ids("merge", (2, 5), N_PIECES, 1_000_000, 256))
    other = set(gram_ids("zzyzx", (2, 5), N_PIECES, 1_000_000, 256))
    assert len(merged & merge) >= 8
    assert not merged & other


def test_no_grams_without_lengths_or_buckets_and_none_for_long_or_cjk_words() -> None:
    assert gram_ids("pandas", (), N_PIECES, BUCKETS, 256) == []
    assert gram_ids("pandas", (2, 5), N_PIECES, 0, 256) == []
    assert gram_ids("x" * (GRAM_WORD_CHARS + 1), (2, 5), N_PIECES, BUCKETS, 256) == []
    assert gram_ids("x" * GRAM_WORD_CHARS, (2, 5), N_PIECES, BUCKETS, 256) != []
    assert gram_ids("用python画图", (2, 5), N_PIECES, BUCKETS, 256) == []
    assert gram_ids("用 python", (2, 5), N_PIECES, BUCKETS, 256) == gram_ids("python", (2, 5), N_PIECES, BUCKETS, 256)


def test_grams_read_only_the_first_words() -> None:
    assert gram_ids("alpha beta gamma", (2, 3), N_PIECES, BUCKETS, 1) == gram_ids("alpha", (2, 3), N_PIECES, BUCKETS, 9)


def test_bag_ids_pair_the_pieces_only_and_keep_the_grams_last() -> None:
    pieces, grams = [5, 6, 7], [N_PIECES + 3, N_PIECES + 9]
    bag = bag_ids(pieces + grams, N_PIECES, BUCKETS)
    assert bag[:3] == pieces
    assert bag[-2:] == grams
    assert len(bag) == 3 + 2 + 2  # two adjacent pairs of pieces, none with a gram
    assert bag[:5] == bag_ids(pieces, N_PIECES, BUCKETS)


def test_bag_ids_of_an_empty_text_is_the_padding_row() -> None:
    assert bag_ids([], N_PIECES, BUCKETS) == [0]


def test_encode_text_appends_grams_only_for_a_network_that_reads_them(tiny_model: Any) -> None:
    tokenizer = tiny_model.tokenizer
    clean = "pandas dataframe merge"
    pieces = tokenizer.encode(clean)
    plain = encode_text(tokenizer, clean, 256, {"buckets": BUCKETS})
    with_grams = encode_text(tokenizer, clean, 256, {"buckets": BUCKETS, "grams": [2, 5]})
    assert plain == pieces
    assert with_grams[: len(pieces)] == pieces
    assert with_grams[len(pieces) :] == gram_ids(clean, (2, 5), tokenizer.size, BUCKETS, 256)
    assert encode_text(tokenizer, clean, 1, {"buckets": BUCKETS, "grams": [2, 5]})[:1] == pieces[:1]


def test_a_model_of_the_grams_preset_reads_grams_and_survives_a_round_trip(
    train_records: list[Any], heldout_records: list[Any], tmp_path: Path
) -> None:
    from tagrec_core import modelfile, presets
    from tagrec_core.recommender import Recommender
    from tagrec_core.training import train

    grams = presets.PRESETS["bag-grams"]["arch_config"]["grams"]
    model = train(
        train_records,
        None,
        presets.config_for("bag-grams", epochs=5, arch_config={"dim": 16, "buckets": 1000, "grams": grams}),
    )
    assert model.network.config()["grams"] == [2, 5]
    assert len(model.encode("pandas dataframe")) > len(model.tokenizer.encode("pandas dataframe"))
    loaded = modelfile.load(modelfile.save(model, tmp_path / "grams.tagrec"))
    posts = [(r.title, r.body) for r in heldout_records[:40]]
    assert Recommender(loaded).suggest_many(posts) == Recommender(model).suggest_many(posts)
    hits = sum(
        s.tag in r.tags
        for r, row in zip(heldout_records[:40], Recommender(model).suggest_many(posts, k=1), strict=True)
        for s in row
    )
    assert hits >= 20  # it learned: the synthetic topics are easy


def _reference_grams(text: str, low: int, high: int, n_pieces: int, buckets: int) -> list[int]:
    """The documented hash, one gram at a time in plain integers (64-bit wrap-around)."""
    mask, out = (1 << 64) - 1, []
    for word in text.lower().split():
        wrapped = f"<{word}>"
        for n in range(low, high + 1):
            for start in range(len(wrapped) - n + 1):
                gram = wrapped[start : start + n]
                if gram == wrapped:
                    continue
                value = 0
                for char in gram:
                    value = (value * 1_000_003 + ord(char)) & mask
                out.append(n_pieces + (((value * 0x9E3779B97F4A7C15) & mask) >> 33) % buckets)
    return out


def test_the_vectorised_hash_is_the_documented_one_and_stays_fixed() -> None:
    # Shipped model files were trained on these ids: changing the hash would silently scramble their grams.
    text = "How to merge two DataFrames in pandas ç'est naïve"
    assert sorted(gram_ids(text, (2, 5), N_PIECES, BUCKETS, 256)) == sorted(
        _reference_grams(text, 2, 5, N_PIECES, BUCKETS)
    )
    assert gram_ids("merge", (2, 5), 0, 1000, 9) == [
        985, 811, 950, 288, 515, 679, 885, 196, 681, 861, 771, 149, 643, 264, 259, 161, 71, 647,
    ]  # fmt: skip


def test_cached_and_fresh_words_give_the_same_ids() -> None:
    first = gram_ids("merge merged merging", (2, 5), N_PIECES, BUCKETS, 256)
    again = gram_ids("merging merge merged", (2, 5), N_PIECES, BUCKETS, 256)
    assert sorted(first) == sorted(again)
    assert gram_ids("merge", (2, 5), N_PIECES, BUCKETS, 256) == gram_ids("merge", (2, 5), N_PIECES, BUCKETS, 256)


def test_a_full_cache_is_emptied_without_losing_the_words_at_hand(monkeypatch: Any) -> None:
    from tagrec_core import features

    monkeypatch.setattr(features, "_GRAM_CACHE", 3)
    expected = _reference_grams("alpha beta gamma delta", 2, 5, N_PIECES, BUCKETS)
    first = gram_ids("alpha beta", (2, 5), N_PIECES, BUCKETS, 256)  # two words held; the next two overflow
    assert sorted(first) == sorted(_reference_grams("alpha beta", 2, 5, N_PIECES, BUCKETS))
    assert sorted(gram_ids("alpha beta gamma delta", (2, 5), N_PIECES, BUCKETS, 256)) == sorted(expected)
    assert sorted(gram_ids("alpha beta gamma delta", (2, 5), N_PIECES, BUCKETS, 256)) == sorted(expected)
