import dataclasses
import json
import logging
import math

import numpy as np
import pytest

import embedsent.compare
import embedsent.evaluate
from embedsent.cli import main
from embedsent.compare import (
    CompareConfig,
    comparison_json,
    run_comparison,
    select_sizes,
)
from embedsent.config import ClassifierConfig, SGNSConfig, VocabConfig
from embedsent.datasets import LabeledTexts, load_aclimdb, load_default_corpus
from embedsent.features import FeatureReport
from embedsent.vectors import WordVectors


def test_compare_config_rejects_unknown_method():
    with pytest.raises(ValueError, match="subset of"):
        CompareConfig(methods=("transfer", "bert"))


def test_compare_config_rejects_negative_size():
    with pytest.raises(ValueError, match="sizes must be ints >= 0"):
        CompareConfig(sizes=(8, -1))


def test_compare_config_merges_repeated_methods():
    config = CompareConfig(methods=("scratch", "transfer", "scratch"))
    assert config.methods == ("scratch", "transfer")
    assert CompareConfig(methods=["tfidf_lr", "tfidf_lr"]).methods == ("tfidf_lr",)


def test_select_sizes_maps_all_to_zero():
    assert select_sizes(["8", "all"]) == (8, 0)


def test_select_sizes_rejects_words():
    with pytest.raises(ValueError, match="'eight' is not an int"):
        select_sizes(["eight"])


def test_compare_on_default_corpus_reports_every_run():
    corpus = load_default_corpus()
    config = CompareConfig(
        sizes=(4, 0), draws=2, methods=("transfer", "scratch", "tfidf_lr")
    )
    result = run_comparison(
        corpus,
        config,
        vocab_config=VocabConfig(min_count=2, sample=0.0),
        sgns_config=SGNSConfig(dim=16, epochs=20, batch_size=64),
        classifier_config=ClassifierConfig(epochs=50),
    )
    assert len(result.runs) == 3 * (2 + 1)
    assert {r["n"] for r in result.runs} == {4, 8}
    assert all(0.0 <= r["accuracy"] <= 1.0 for r in result.runs)
    assert "transfer" in result.format_table()


def test_compare_warns_once_per_split(caplog):
    corpus = load_default_corpus()
    # Its words occur once, below min_count, so this training text is empty.
    train = LabeledTexts(
        (*corpus.train.texts, "qwerty zxcvb"), (*corpus.train.labels, "pos")
    )
    corpus = dataclasses.replace(corpus, train=train)
    config = CompareConfig(
        sizes=(4,), draws=1, methods=("transfer", "scratch", "tfidf_lr")
    )
    with caplog.at_level(logging.WARNING, logger="embedsent"):
        run_comparison(
            corpus,
            config,
            # Only the most frequent words reach the vocabulary, so many
            # texts have none of them.
            vocab_config=VocabConfig(min_count=8, sample=0.0),
            sgns_config=SGNSConfig(dim=8, epochs=1, batch_size=64),
            classifier_config=ClassifierConfig(epochs=5),
        )
    empty = [r.message for r in caplog.records if "in-vocabulary" in r.message]
    assert len(empty) == 2
    assert empty[0].startswith("train texts with no in-vocabulary token")
    assert empty[1].startswith("test texts with no in-vocabulary token")
    assert "of 9 for transfer and scratch" in empty[0]
    assert "of 200 for transfer and scratch" in empty[1]
    assert not [r for r in caplog.records if r.name == "embedsent.features"]


def test_empty_text_warning_groups_equal_counts(caplog):
    def report(n_empty):
        return FeatureReport(n_texts=200, n_empty=n_empty, n_tokens=900, n_oov_tokens=9)

    reports = {
        "train": {"transfer": report(0), "scratch": report(0)},
        "test": {
            "transfer": report(12),
            "transfer_gensim": report(10),
            "scratch": report(12),
        },
    }
    with caplog.at_level(logging.WARNING, logger="embedsent.compare"):
        embedsent.compare._log_empty_texts(reports)
    assert [r.message for r in caplog.records] == [
        "test texts with no in-vocabulary token, which get zero sentence vectors: "
        "12 of 200 for transfer and scratch, 10 of 200 for transfer_gensim"
    ]


def _similarity_warnings(caplog, dataset: str) -> list[str]:
    return [
        record.message
        for record in caplog.records
        if record.levelno >= logging.WARNING and dataset in record.message
    ]


@pytest.mark.parametrize(
    ("content", "reason"),
    [(None, "not found"), ("no tabs here\n", "no word pair could be read")],
    ids=["missing", "unreadable"],
)
def test_bad_similarity_file_warns_once(tmp_path, monkeypatch, caplog, content, reason):
    if content is not None:
        for name in ("wordsim353.tsv", "simlex999.txt"):
            (tmp_path / name).write_text(content, encoding="utf-8")
    # gensim's word-pair files resolve to files in tmp_path, or to none.
    monkeypatch.setattr(embedsent.evaluate, "_gensim_datapath", tmp_path.joinpath)
    config = CompareConfig(sizes=(4,), draws=1, methods=("transfer", "transfer_gensim"))
    with caplog.at_level(logging.WARNING, logger="embedsent"):
        result = run_comparison(
            load_default_corpus(),
            config,
            vocab_config=VocabConfig(min_count=2, sample=0.0),
            sgns_config=SGNSConfig(dim=8, epochs=1, batch_size=64),
            classifier_config=ClassifierConfig(epochs=5),
        )
    for dataset in ("wordsim353", "simlex999"):
        warnings = _similarity_warnings(caplog, dataset)
        not_measured = [m for m in warnings if m.startswith(f"{dataset} not measured")]
        assert len(not_measured) == 1
        assert not_measured[0].startswith(f"{dataset} not measured for any vectors")
        assert reason in not_measured[0]
        # Reading the unreadable file also reports its malformed line, once.
        assert len(warnings) == (1 if content is None else 2)
    assert set(result.similarity) == {"transfer", "transfer_gensim"}
    for scores in result.similarity.values():
        assert math.isnan(scores["wordsim353"])
        assert math.isnan(scores["simlex999"])


def test_similarity_warning_names_vector_set(caplog):
    # Only the transfer vectors contain two WordSim353 pairs.
    words = ["love", "sex", "tiger", "cat"]
    rng = np.random.default_rng(0)
    vector_sets = {
        "transfer": WordVectors(words, rng.normal(size=(4, 3))),
        "transfer_gensim": WordVectors(["zzz", "qqq"], rng.normal(size=(2, 3))),
    }
    with caplog.at_level(logging.WARNING, logger="embedsent"):
        quality = embedsent.compare._vector_quality(vector_sets)
    warnings = _similarity_warnings(caplog, "wordsim353")
    assert len(warnings) == 1
    assert warnings[0].startswith("wordsim353 not measured on transfer_gensim")
    assert not math.isnan(quality["transfer"]["wordsim353"])
    assert math.isnan(quality["transfer_gensim"]["wordsim353"])


@pytest.mark.realdata
def test_transfer_beats_untrained_vectors_on_imdb(imdb_archive):
    corpus = load_aclimdb(imdb_archive, max_per_class=500, max_unlabeled=3000, seed=0)
    config = CompareConfig(
        sizes=(16, 64, 256), draws=3, methods=("transfer", "scratch")
    )
    result = run_comparison(
        corpus,
        config,
        sgns_config=SGNSConfig(dim=50, epochs=3),
        classifier_config=ClassifierConfig(),
    )

    def mean(method):
        return np.mean([r["accuracy"] for r in result.runs if r["method"] == method])

    assert mean("transfer") > mean("scratch") + 0.03
    assert mean("transfer") > 0.6


def test_paired_difference_pairs_runs_by_draw():
    from embedsent.compare import CompareResult

    result = CompareResult()
    for draw, (a, b) in enumerate([(0.8, 0.7), (0.6, 0.55), (0.9, 0.8)]):
        result.runs.append({"method": "transfer", "n": 8, "draw": draw, "accuracy": a})
        result.runs.append({"method": "scratch", "n": 8, "draw": draw, "accuracy": b})
    rows = result.paired("transfer", "scratch")
    assert len(rows) == 1
    assert rows[0]["mean_difference"] == pytest.approx(0.25 / 3)
    assert rows[0]["n_pairs"] == 3
    assert "transfer - scratch" in result.format_paired("transfer", "scratch")


def _paired_result(accuracies: dict[int, list[tuple[float, float]]]):
    from embedsent.compare import CompareResult

    result = CompareResult()
    for n, pairs in accuracies.items():
        for draw, (a, b) in enumerate(pairs):
            for method, accuracy in (("transfer", a), ("scratch", b)):
                run = {"method": method, "n": n, "draw": draw, "accuracy": accuracy}
                result.runs.append(run)
    return result


def test_paired_equal_differences_have_no_interval():
    result = _paired_result({3: [(0.5, 0.525), (0.51, 0.535)]})
    (row,) = result.paired("transfer", "scratch")
    assert row["mean_difference"] == pytest.approx(-0.025)
    assert row["low"] is None
    assert row["high"] is None
    assert row["p_value"] is None
    assert row["n_pairs"] == 2
    loaded = _strict_loads(comparison_json({"paired": [row]}))
    assert loaded["paired"][0]["low"] is None
    assert loaded["paired"][0]["p_value"] is None


def test_format_paired_equal_differences_say_no_spread():
    pairs = {8: [(0.8, 0.7), (0.6, 0.55), (0.9, 0.8)], 16: [(0.5, 0.525)] * 3}
    text = _paired_result(pairs).format_paired("transfer", "scratch")
    _, spread_line, equal_line = text.splitlines()
    assert equal_line == (
        "  n=    16:  -2.5 [  n/a,   n/a], p=  n/a, 3 draws (no spread between "
        "draws, so no interval or p-value)"
    )
    assert "p=0." in spread_line
    # The n/a cells keep the columns of a row with an interval.
    for column in ("[", ",", "]", "p=", "draws"):
        assert equal_line.index(column) == spread_line.index(column)


def test_summary_equal_accuracies_have_no_interval():
    result = _paired_result({4: [(0.75, 0.5), (0.75, 0.6)]})
    rows = {row["method"]: row for row in result.summary()}
    assert rows["transfer"]["low"] is None
    assert rows["transfer"]["high"] is None
    assert rows["transfer"]["std"] == 0.0
    assert rows["scratch"]["low"] < rows["scratch"]["high"]
    assert "75.0 +/-  0.0 (2)" in result.format_table()


def _strict_loads(text: str):
    def reject(constant):
        raise ValueError(f"non-standard JSON constant {constant}")

    return json.loads(text, parse_constant=reject)


def test_comparison_json_writes_null_for_nan():
    payload = {
        "similarity": {"transfer": {"wordsim353": float("nan"), "simlex999": 0.25}},
        "timings": {"classify": float("inf")},
        "summary": [{"std": np.float64("nan"), "mean": np.float32(0.5)}],
        "sizes": (8, np.int64(16)),
    }
    loaded = _strict_loads(comparison_json(payload))
    assert loaded["similarity"]["transfer"]["wordsim353"] is None
    assert loaded["similarity"]["transfer"]["simlex999"] == 0.25
    assert loaded["timings"]["classify"] is None
    assert loaded["summary"] == [{"std": None, "mean": 0.5}]
    assert loaded["sizes"] == [8, 16]


def test_cli_compare_json_is_strict(tmp_path, monkeypatch):
    def no_pairs(vectors, dataset, **options):
        raise ValueError(f"no {dataset} pair has both words in the vocabulary")

    # An unmeasured similarity is stored as NaN in memory.
    monkeypatch.setattr(embedsent.compare, "word_similarity", no_pairs)
    path = tmp_path / "compare.json"
    argv = ["--no-progress", "--seed", "3", "compare", "--data", "default"]
    argv += ["--json", str(path)]
    argv += ["--dim", "8", "--epochs", "2", "--min-count", "1", "--batch-size", "64"]
    argv += ["--max-per-class", "2", "--max-unlabeled", "10", "--sizes", "4"]
    argv += ["--draws", "1", "--classifier-epochs", "5"]
    argv += ["--standardize", "feature", "--feature", "tfidf"]
    assert main(argv) == 0

    payload = _strict_loads(path.read_text(encoding="utf-8"))
    json.dumps(payload, allow_nan=False)
    assert payload["similarity"]["transfer"]["wordsim353"] is None
    assert payload["similarity"]["transfer"]["simlex999"] is None
    settings = payload["settings"]
    assert settings["data"] == "default"
    assert settings["compare"]["sizes"] == [4]
    assert settings["compare"]["draws"] == 1
    assert settings["compare"]["seed"] == 3
    assert settings["compare"]["feature_method"] == "tfidf"
    assert settings["classifier"]["standardize"] == "feature"
    assert settings["classifier"]["epochs"] == 5
    assert settings["sgns"]["dim"] == 8
    assert settings["sgns"]["epochs"] == 2
    assert settings["vocab"]["min_count"] == 1
    assert settings["corpus"] == {"unlabeled": 10, "train": 4, "test": 4}
    assert payload["test_size"] == 4


def test_table_shows_no_spread_for_one_run():
    from embedsent.compare import CompareResult

    runs = [
        {"method": "transfer", "n": 4, "draw": 0, "accuracy": 0.55},
        {"method": "transfer", "n": 4, "draw": 1, "accuracy": 0.45},
        {"method": "transfer", "n": 0, "draw": 0, "accuracy": 0.845},
    ]
    lines = CompareResult(runs=runs).format_table().splitlines()
    assert lines[2].split() == ["0", "84.5", "(1)"]
    assert lines[3].split()[:3] == ["4", "50.0", "+/-"]
    assert len(lines[2]) == len(lines[3])


def test_similarity_table_shows_pair_counts():
    from embedsent.compare import format_similarity

    words = ["love", "sex", "tiger", "cat"]
    vectors = WordVectors(words, np.random.default_rng(0).normal(size=(4, 3)))
    quality = embedsent.compare._vector_quality({"transfer": vectors})
    pairs = quality["transfer"]["wordsim353_pairs"]
    assert pairs >= 2
    row = format_similarity(quality).splitlines()[1]
    assert f"{quality['transfer']['wordsim353']:.3f} ({pairs})" in row
    assert "nan" not in row


def test_similarity_table_shows_na_with_pair_count():
    from embedsent.compare import format_similarity

    similarity = {
        "transfer": {
            "wordsim353": float("nan"),
            "wordsim353_pairs": 1,
            "simlex999": float("nan"),
            "simlex999_pairs": 0,
        },
        "transfer_gensim": {"wordsim353": 0.25, "simlex999": float("nan")},
    }
    lines = format_similarity(similarity).splitlines()
    assert "nan" not in "\n".join(lines)
    assert lines[1].split() == ["transfer", "n/a", "(1", "pair)", "n/a", "(0", "pairs)"]
    assert lines[2].split() == ["transfer_gensim", "0.250", "n/a"]
    assert len({len(line) for line in lines}) == 1


def test_similarity_on_few_pairs_is_marked_noisy():
    from embedsent.compare import format_similarity

    similarity = {
        "transfer": {
            "wordsim353": 0.41,
            "wordsim353_pairs": 120,
            "simlex999": -0.6,
            "simlex999_pairs": 5,
        },
    }
    lines = format_similarity(similarity).splitlines()
    assert lines[1].split() == ["transfer", "0.410", "(120)", "-0.600", "(5)*"]
    assert len(lines) == 3
    assert lines[2].startswith("* measured on fewer than 50 pairs")
    assert "too noisy" in lines[2]


def test_similarity_on_enough_pairs_has_no_note():
    from embedsent.compare import format_similarity

    similarity = {"transfer": {"wordsim353": 0.41, "wordsim353_pairs": 50}}
    similarity["transfer"] |= {"simlex999": float("nan"), "simlex999_pairs": 3}
    lines = format_similarity(similarity).splitlines()
    assert len(lines) == 2
    assert "*" not in lines[1]


def test_unmeasured_similarity_stores_pair_count(caplog):
    # "love" and "sex" make one WordSim353 pair, too few for a correlation,
    # and no SimLex-999 pair.
    words = ["love", "sex", "zzz"]
    vectors = WordVectors(words, np.random.default_rng(0).normal(size=(3, 3)))
    with caplog.at_level(logging.WARNING, logger="embedsent"):
        quality = embedsent.compare._vector_quality({"transfer": vectors})
    scores = quality["transfer"]
    assert math.isnan(scores["wordsim353"])
    assert scores["wordsim353_pairs"] == 1
    assert math.isnan(scores["simlex999"])
    assert scores["simlex999_pairs"] == 0

    loaded = _strict_loads(comparison_json({"similarity": quality}))
    assert loaded["similarity"]["transfer"]["wordsim353"] is None
    assert loaded["similarity"]["transfer"]["wordsim353_pairs"] == 1


def test_format_paired_never_prints_negative_zero():
    pairs = {8: [(0.8, 0.8002), (0.7, 0.7001), (0.6, 0.6)]}
    text = _paired_result(pairs).format_paired("transfer", "scratch")
    row = text.splitlines()[1]
    assert row.startswith("  n=     8:  +0.0 [")
    assert "-0.0" not in row
