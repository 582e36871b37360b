import numpy as np
import pytest

from embedsent.compare import CompareConfig, run_comparison, select_sizes
from embedsent.config import ClassifierConfig, SGNSConfig, VocabConfig
from embedsent.datasets import load_aclimdb, load_default_corpus


def test_compare_config_rejects_unknown_method():
    with pytest.raises(ValueError, match="subset of"):
        CompareConfig(methods=("transfer", "bert"))


def test_compare_config_rejects_negative_size():
    with pytest.raises(ValueError, match="sizes must be ints >= 0"):
        CompareConfig(sizes=(8, -1))


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
