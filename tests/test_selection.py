import argparse
import csv
import inspect
import json
import logging
import re

import numpy as np
import pytest

from embedsent.candidates import (
    Candidate,
    CandidateScore,
    SelectionGrid,
    SelectionResult,
    build_candidates,
)
from embedsent.config import SGNSConfig, VocabConfig
from embedsent.crossval import (
    SCHEME_KFOLD,
    SCHEME_LEAVE_ONE_PER_CLASS,
    cross_validation_plan,
    wilson_interval,
)
from embedsent.datasets import load_default_corpus
from embedsent.evaluate import accuracy_interval
from embedsent.pipeline import pretrain
from embedsent.selection import (
    add_parser,
    run,
    select_from_features,
    select_model,
    tied_at_top,
)
from embedsent.vectors import WordVectors

EIGHT_LABELS = ["neg"] * 4 + ["pos"] * 4


@pytest.fixture(scope="module")
def corpus():
    return load_default_corpus()


@pytest.fixture(scope="module")
def vectors(corpus):
    texts = list(corpus.unlabeled) + list(corpus.train.texts)
    return pretrain(
        texts,
        vocab_config=VocabConfig(min_count=2, sample=0.0),
        sgns_config=SGNSConfig(
            dim=16, epochs=3, batch_size=64, negative_group=16, steps_per_call=8
        ),
    )


SMALL_GRID = SelectionGrid(
    hidden_sizes=(0, 8),
    weight_decays=(1e-3, 1.0),
    features=("mean", "sif"),
    fine_tune=(False,),
)


@pytest.fixture(scope="module")
def eight_label_result(corpus, vectors):
    assert len(corpus.train) == 8
    candidates = build_candidates(SMALL_GRID, {"jax": vectors})
    return select_model(
        corpus.train.texts,
        corpus.train.labels,
        candidates,
        vectors={"jax": vectors},
        repeats=2,
        seed=3,
    )


# -- splits ------------------------------------------------------------------


def test_plan_with_eight_labels_is_kfold():
    plan = cross_validation_plan(EIGHT_LABELS, folds=5, repeats=3, seed=0)
    assert plan.scheme == SCHEME_KFOLD
    assert plan.folds == 4
    assert len(plan.splits) == 12
    for split in plan.splits:
        validated = [EIGHT_LABELS[i] for i in split.validation]
        assert sorted(validated) == ["neg", "pos"]
        assert len(split.train) == 6


def test_plan_validates_each_text_once_per_repeat():
    plan = cross_validation_plan(EIGHT_LABELS, folds=5, repeats=2, seed=0)
    for repeat in range(2):
        validated = np.concatenate(
            [s.validation for s in plan.splits if s.repeat == repeat]
        )
        assert sorted(validated.tolist()) == list(range(8))


def test_plan_caps_folds_by_smallest_class():
    labels = ["a"] * 3 + ["b"] * 9
    plan = cross_validation_plan(labels, folds=5, repeats=1, seed=0)
    assert plan.folds == 3


def test_plan_keeps_requested_folds_on_large_classes():
    labels = ["a"] * 20 + ["b"] * 20
    plan = cross_validation_plan(labels, folds=5, repeats=1, seed=0)
    assert plan.folds == 5
    assert {len(s.validation) for s in plan.splits} == {8}


def test_plan_two_per_class_leaves_one_out():
    labels = ["a"] * 2 + ["b"] * 6
    plan = cross_validation_plan(labels, folds=5, repeats=3, seed=0)
    assert plan.scheme == SCHEME_LEAVE_ONE_PER_CLASS
    assert plan.folds == 2
    assert len(plan.splits) == 6
    for split in plan.splits:
        assert sorted(labels[i] for i in split.validation) == ["a", "b"]
        assert len(split.train) == 6
        assert not set(split.train) & set(split.validation)


def test_plan_rejects_single_text_class():
    with pytest.raises(ValueError, match="class 'b' has 1 labeled text"):
        cross_validation_plan(["a", "a", "a", "b"])


def test_plan_rejects_one_class():
    with pytest.raises(ValueError, match="at least 2 classes"):
        cross_validation_plan(["a"] * 6)


def test_plan_rejects_one_fold():
    with pytest.raises(ValueError, match="folds must be >= 2"):
        cross_validation_plan(EIGHT_LABELS, folds=1)


def test_plan_is_deterministic_and_repeats_differ():
    first = cross_validation_plan(EIGHT_LABELS, repeats=2, seed=7)
    second = cross_validation_plan(EIGHT_LABELS, repeats=2, seed=7)
    for a, b in zip(first.splits, second.splits, strict=True):
        assert a.validation.tolist() == b.validation.tolist()
    partitions = [
        sorted(tuple(s.validation.tolist()) for s in first.splits if s.repeat == r)
        for r in range(2)
    ]
    assert partitions[0] != partitions[1]


def test_wilson_interval_matches_evaluate():
    for correct, total in ((0, 8), (6, 8), (8, 8), (130, 200)):
        expected = accuracy_interval(correct, total)
        assert wilson_interval(correct / total, total) == pytest.approx(expected)


# -- candidates ----------------------------------------------------------------


def test_default_grid_size():
    candidates = build_candidates(SelectionGrid(), ["jax", "gensim"])
    assert len(candidates) == 72
    assert len({c.name for c in candidates}) == 72


def test_fine_tuned_candidates_use_mean():
    candidates = build_candidates(SelectionGrid(), ["jax"])
    tuned = [c for c in candidates if c.fine_tune]
    assert len(tuned) == 9
    assert {c.feature for c in tuned} == {"mean"}


def test_grid_skips_sif_without_counts(vectors):
    no_counts = WordVectors(vectors.words, vectors.vectors)
    candidates = build_candidates(SMALL_GRID, {"file": no_counts, "jax": vectors})
    features = {(c.source, c.feature) for c in candidates}
    assert ("file", "sif") not in features
    assert ("jax", "sif") in features


def test_candidate_rejects_fine_tuned_tfidf():
    with pytest.raises(ValueError, match="only the 'mean' feature"):
        Candidate("jax", "tfidf", 0, 1e-3, fine_tune=True)


def test_grid_rejects_empty_axis():
    with pytest.raises(ValueError, match="hidden_sizes must contain"):
        SelectionGrid(hidden_sizes=())


def test_grid_rejects_unknown_feature():
    with pytest.raises(ValueError, match="feature must be one of"):
        SelectionGrid(features=("max",))


# -- selection -----------------------------------------------------------------


def test_select_api_takes_no_test_data():
    parameters = set(inspect.signature(select_model).parameters)
    assert parameters == {
        "texts",
        "labels",
        "candidates",
        "vectors",
        "repeats",
        "folds",
        "seed",
        "text_config",
        "encoders",
        "base_config",
    }


def test_select_eight_labels_ranks_every_candidate(eight_label_result):
    result = eight_label_result
    assert len(result.scores) == 8
    assert result.scheme == SCHEME_KFOLD
    assert result.folds == 4
    means = [score.mean for score in result.scores]
    assert means == sorted(means, reverse=True)


def test_select_reports_winner_and_runner_up(eight_label_result):
    winner, runner_up = eight_label_result.winner, eight_label_result.runner_up
    assert runner_up is not None
    assert winner.candidate != runner_up.candidate
    for score in (winner, runner_up):
        assert 0.0 <= score.low <= score.mean <= score.high <= 1.0
        assert len(score.repeat_accuracies) == 2
    assert winner.mean >= runner_up.mean


def test_margin_interval_pairs_texts():
    first, second = build_candidates(SMALL_GRID, ["jax"])[:2]
    scores = tuple(
        CandidateScore(candidate, mean, 0.0, 1.0, (mean,), np.asarray(texts))
        for candidate, mean, texts in (
            (first, 0.75, [1.0, 1.0, 0.5, 0.5]),
            (second, 0.5, [1.0, 0.0, 0.5, 0.5]),
        )
    )
    result = SelectionResult(scores, SCHEME_KFOLD, 2, 1, 4, 0, 0.0)
    margin = result.margin()
    # Differences 0, 1, 0, 0: mean 0.25, t interval 0.25 +- 3.182 * 0.25.
    assert margin["n"] == 4
    assert margin["mean_difference"] == pytest.approx(0.25)
    assert margin["low"] == pytest.approx(0.25 - 3.182446 * 0.25)
    assert margin["high"] == pytest.approx(0.25 + 3.182446 * 0.25)


def test_select_margin_is_paired_by_text(eight_label_result):
    result = eight_label_result
    margin = result.margin()
    differences = result.winner.text_accuracies - result.runner_up.text_accuracies
    assert margin["n"] == 8
    assert margin["mean_difference"] == pytest.approx(np.mean(differences))
    # Candidates that agree on every text leave the differences no spread,
    # and then no t interval.
    if np.ptp(differences) == 0:
        assert margin["low"] is None
        assert margin["high"] is None
    else:
        assert margin["low"] <= margin["mean_difference"] <= margin["high"]


def test_select_result_serialises(eight_label_result):
    payload = json.loads(json.dumps(eight_label_result.to_dict()))
    assert payload["winner"]["name"] == eight_label_result.winner.candidate.name
    assert len(payload["scores"]) == 8


def test_select_is_deterministic(corpus, vectors, eight_label_result):
    again = select_model(
        corpus.train.texts,
        corpus.train.labels,
        build_candidates(SMALL_GRID, {"jax": vectors}),
        vectors={"jax": vectors},
        repeats=2,
        seed=3,
    )
    first = [(s.candidate, s.repeat_accuracies) for s in eight_label_result.scores]
    second = [(s.candidate, s.repeat_accuracies) for s in again.scores]
    assert first == second


def test_select_scores_fine_tuned_candidate(corpus, vectors):
    candidates = [
        Candidate("jax", "mean", 0, 1e-3),
        Candidate("jax", "mean", 0, 1e-3, fine_tune=True),
    ]
    result = select_model(
        corpus.train.texts,
        corpus.train.labels,
        candidates,
        vectors={"jax": vectors},
        repeats=1,
    )
    assert {s.candidate.fine_tune for s in result.scores} == {False, True}


def test_select_rejects_unknown_source(corpus, vectors):
    with pytest.raises(ValueError, match="not in vectors"):
        select_model(
            corpus.train.texts,
            corpus.train.labels,
            [Candidate("glove", "mean", 0, 1e-3)],
            vectors={"jax": vectors},
        )


def test_select_from_features_prefers_simpler_head_on_ties():
    rng = np.random.default_rng(0)
    labels = ["neg"] * 10 + ["pos"] * 10
    separable = rng.normal(size=(20, 4))
    separable[:10, 0] -= 10.0
    separable[10:, 0] += 10.0
    candidates = [
        Candidate("a", "mean", 16, 1e-3),
        Candidate("a", "mean", 0, 1e-3),
        Candidate("a", "mean", 0, 1.0),
    ]
    result = select_from_features(
        {("a", "mean"): separable}, labels, candidates, repeats=1
    )
    assert [s.mean for s in result.scores] == [1.0, 1.0, 1.0]
    assert result.winner.candidate == Candidate("a", "mean", 0, 1.0)
    assert result.runner_up.candidate == Candidate("a", "mean", 0, 1e-3)


def test_tied_at_top_lists_winner_first():
    rng = np.random.default_rng(0)
    labels = ["neg"] * 10 + ["pos"] * 10
    separable = rng.normal(size=(20, 4))
    separable[:10, 0] -= 10.0
    separable[10:, 0] += 10.0
    # The constant feature gives every text the same prediction, so it scores
    # below the separable one.
    features = {("a", "mean"): separable, ("a", "tfidf"): np.ones((20, 4))}
    candidates = [
        Candidate("a", "mean", 16, 1e-3),
        Candidate("a", "tfidf", 0, 1.0),
        Candidate("a", "mean", 0, 1e-3),
        Candidate("a", "mean", 0, 1.0),
    ]
    result = select_from_features(features, labels, candidates, repeats=3)
    tied = [score.candidate for score in tied_at_top(result)]
    assert tied == [
        Candidate("a", "mean", 0, 1.0),
        Candidate("a", "mean", 0, 1e-3),
        Candidate("a", "mean", 16, 1e-3),
    ]
    assert result.scores[-1].candidate == Candidate("a", "tfidf", 0, 1.0)
    assert result.scores[-1].mean < 1.0


def test_tied_at_top_keeps_only_top_mean(eight_label_result):
    winner = eight_label_result.winner
    tied = tied_at_top(eight_label_result)
    assert tied[0] == winner
    assert all(score.mean == winner.mean for score in tied)
    rest = eight_label_result.scores[len(tied) :]
    assert all(score.mean < winner.mean for score in rest)


def test_cli_select_tie_names_candidates(tmp_path, capsys):
    # "good" and "bad" sit far apart on the first axis, so the mean feature
    # separates the two classes and every head scores 100%.
    vectors_file = tmp_path / "toy.txt"
    vectors_file.write_text("3 2\ngood 10 0\nbad -10 0\nfilm 0 1\n", encoding="utf-8")
    table = tmp_path / "labeled.csv"
    rows = [("good film", "pos")] * 6 + [("bad film", "neg")] * 6
    with open(table, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["text", "label"])
        writer.writerows(rows)

    argv = ["select", "--data", str(table), "--vectors", str(vectors_file)]
    argv += ["--hidden-sizes", "8", "0", "--weight-decays", "0.001", "1"]
    argv += ["--features", "mean", "--fine-tune", "frozen", "--repeats", "2"]
    argv += ["--json", str(tmp_path / "select.json")]
    assert run(_parse(argv)) == 0

    output = capsys.readouterr().out
    payload = json.loads((tmp_path / "select.json").read_text(encoding="utf-8"))
    assert payload["tied_at_top"] == [
        "toy/mean/h0/wd1/frozen",
        "toy/mean/h0/wd0.001/frozen",
        "toy/mean/h8/wd1/frozen",
        "toy/mean/h8/wd0.001/frozen",
    ]

    assert (
        "tie: 4 candidates share the top mean accuracy of 100.0%: "
        "toy/mean/h0/wd1/frozen, toy/mean/h0/wd0.001/frozen, "
        "toy/mean/h8/wd1/frozen, toy/mean/h8/wd0.001/frozen. "
    ) in output
    assert (
        "The winner is the one with the fewest hidden units, then the largest "
        "weight decay. Among equal heads it is the first in the grid"
    ) in output
    assert "winner: toy/mean/h0/wd1/frozen, 100.0%" in output
    assert (
        "winner minus runner-up, paired by text: +0.0 points (the same on every "
        "text, so no interval)"
    ) in output


def test_cli_select_single_candidate_prints_no_tie(tmp_path, vectors, capsys):
    vectors_file = tmp_path / "tiny.txt"
    vectors.save_word2vec(vectors_file)
    argv = ["select", "--data", "default", "--vectors", str(vectors_file)]
    argv += ["--hidden-sizes", "0", "--weight-decays", "0.001", "--features"]
    argv += ["mean", "--fine-tune", "frozen", "--repeats", "1"]
    assert run(_parse(argv)) == 0
    assert "tie:" not in capsys.readouterr().out


def test_select_from_features_rejects_fine_tuning():
    with pytest.raises(ValueError, match="use select_model"):
        select_from_features(
            {("a", "mean"): np.zeros((8, 2))},
            EIGHT_LABELS,
            [Candidate("a", "mean", 0, 1e-3, fine_tune=True)],
        )


def test_select_from_features_rejects_row_mismatch():
    with pytest.raises(ValueError, match="has 7 rows but there are 8 labels"):
        select_from_features(
            {("a", "mean"): np.zeros((7, 2))},
            EIGHT_LABELS,
            [Candidate("a", "mean", 0, 1e-3)],
        )


# -- command line ----------------------------------------------------------------


def _parse(argv):
    parser = argparse.ArgumentParser()
    parser.add_argument("--seed", type=int, default=0)
    add_parser(parser.add_subparsers(dest="command"))
    return parser.parse_args(argv)


def test_cli_select_on_shipped_corpus(tmp_path, vectors, capsys):
    vectors_file = tmp_path / "tiny.txt"
    vectors.save_word2vec(vectors_file)
    args = _parse(
        [
            "select",
            "--data",
            "default",
            "--vectors",
            str(vectors_file),
            "--hidden-sizes",
            "0",
            "8",
            "--weight-decays",
            "0.001",
            "--features",
            "mean",
            "--fine-tune",
            "frozen",
            "--repeats",
            "1",
            "--out",
            str(tmp_path / "model.npz"),
            "--json",
            str(tmp_path / "scores.json"),
        ]
    )
    assert run(args) == 0
    output = capsys.readouterr().out
    assert "winner: tiny/mean/" in output
    assert "runner-up: tiny/mean/" in output
    assert (tmp_path / "model.npz").exists()
    payload = json.loads((tmp_path / "scores.json").read_text())
    assert len(payload["scores"]) == 2


def test_cli_select_needs_a_source():
    args = _parse(["select", "--data", "default"])
    with pytest.raises(ValueError, match="no vector source"):
        run(args)


def test_cli_select_pretrains_both_sources(tmp_path, capsys):
    args = _parse(
        [
            "select",
            "--data",
            "default",
            "--pretrain",
            "--gensim",
            "--dim",
            "8",
            "--sgns-epochs",
            "2",
            "--min-count",
            "2",
            "--hidden-sizes",
            "0",
            "--weight-decays",
            "0.001",
            "--features",
            "mean",
            "--fine-tune",
            "frozen",
            "--repeats",
            "1",
            "--json",
            str(tmp_path / "scores.json"),
        ]
    )
    assert run(args) == 0
    payload = json.loads((tmp_path / "scores.json").read_text())
    assert {score["source"] for score in payload["scores"]} == {"jax", "gensim"}


def test_cli_select_reads_csv_sample(tmp_path, corpus, vectors, capsys):
    table = tmp_path / "labeled.csv"
    with table.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["review", "sentiment"])
        writer.writerows(zip(corpus.test.texts, corpus.test.labels, strict=True))
    vectors_file = tmp_path / "tiny.txt"
    vectors.save_word2vec(vectors_file)
    args = _parse(
        [
            "select",
            "--data",
            str(table),
            "--text-column",
            "review",
            "--label-column",
            "sentiment",
            "--max-labeled",
            "12",
            "--vectors",
            str(vectors_file),
            "--hidden-sizes",
            "0",
            "--weight-decays",
            "0.001",
            "--features",
            "mean",
            "--fine-tune",
            "frozen",
            "--repeats",
            "1",
        ]
    )
    assert run(args) == 0
    assert "on 12 labeled texts" in capsys.readouterr().out


def test_cli_select_out_needs_frozen_candidates(tmp_path, vectors):
    vectors_file = tmp_path / "tiny.txt"
    vectors.save_word2vec(vectors_file)
    args = _parse(
        [
            "select",
            "--data",
            "default",
            "--vectors",
            str(vectors_file),
            "--fine-tune",
            "tuned",
            "--out",
            str(tmp_path / "model.npz"),
        ]
    )
    with pytest.raises(ValueError, match="--out saves a frozen-vector model"):
        run(args)


def test_cli_select_reads_unlabeled_text_column(tmp_path, corpus):
    unlabeled = tmp_path / "unlabeled.csv"
    with unlabeled.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["zzheader", "zzlabel"])
        for text in corpus.unlabeled:
            writer.writerow([text, "zzpos"])
    model_file = tmp_path / "model.npz"
    args = _parse(
        [
            "select",
            "--data",
            "default",
            "--text-column",
            "zzheader",
            "--pretrain",
            "--unlabeled",
            str(unlabeled),
            "--dim",
            "8",
            "--sgns-epochs",
            "1",
            "--min-count",
            "1",
            "--hidden-sizes",
            "0",
            "--weight-decays",
            "0.001",
            "--features",
            "mean",
            "--fine-tune",
            "frozen",
            "--repeats",
            "1",
            "--out",
            str(model_file),
        ]
    )
    assert run(args) == 0
    from embedsent.pipeline import TransferClassifier

    word_vectors = TransferClassifier.load(model_file).vectors
    assert "zzpos" not in word_vectors
    assert "zzheader" not in word_vectors
    assert "zzlabel" not in word_vectors
    assert len(word_vectors) > 10


def test_cli_select_unlabeled_table_names_missing_column(tmp_path):
    unlabeled = tmp_path / "unlabeled.jsonl"
    unlabeled.write_text('{"review": "a good film"}\n', encoding="utf-8")
    args = _parse(
        ["select", "--data", "default", "--pretrain", "--unlabeled", str(unlabeled)]
    )
    with pytest.raises(ValueError) as raised:
        run(args)
    message = str(raised.value)
    assert "column 'text' not found" in message
    assert "pass the column's name with --text-column" in message


@pytest.mark.parametrize("content", ["", "\n  \n"])
def test_cli_select_empty_unlabeled_names_file(tmp_path, content):
    unlabeled = tmp_path / "empty.txt"
    unlabeled.write_text(content, encoding="utf-8")
    args = _parse(
        ["select", "--data", "default", "--pretrain", "--unlabeled", str(unlabeled)]
    )
    with pytest.raises(ValueError) as raised:
        run(args)
    message = str(raised.value)
    assert message.startswith(f"--unlabeled {unlabeled} has no texts (it is empty")
    assert "but --pretrain trains vectors on it" in message
    assert "pass a file with one text per line" in message


def test_cli_select_rejects_unlabeled_without_training(tmp_path, vectors):
    vectors_file = tmp_path / "tiny.txt"
    vectors.save_word2vec(vectors_file)
    unlabeled = tmp_path / "unlabeled.txt"
    unlabeled.write_text("a good film\n", encoding="utf-8")
    args = _parse(
        [
            "select",
            "--data",
            "default",
            "--vectors",
            str(vectors_file),
            "--unlabeled",
            str(unlabeled),
        ]
    )
    with pytest.raises(ValueError) as raised:
        run(args)
    message = str(raised.value)
    assert f"--unlabeled {unlabeled} is read only by --pretrain and --gensim" in message
    assert "add --pretrain or --gensim" in message


def test_cli_select_help_describes_unlabeled_tables(capsys):
    with pytest.raises(SystemExit):
        _parse(["select", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert (
        "a .csv/.tsv/.jsonl/.ndjson/.json file whose --text-column column is read"
    ) in text


def test_cli_select_rejects_unique_labels(tmp_path, vectors):
    table = tmp_path / "labeled.csv"
    table.write_text(
        "text,label,id\ngood film,pos,1\nbad film,neg,2\ngood plot,pos,3\n",
        encoding="utf-8",
    )
    vectors_file = tmp_path / "tiny.txt"
    vectors.save_word2vec(vectors_file)
    args = _parse(
        [
            "select",
            "--data",
            str(table),
            "--label-column",
            "id",
            "--vectors",
            str(vectors_file),
        ]
    )
    with pytest.raises(ValueError) as raised:
        run(args)
    message = str(raised.value)
    assert "looks like an id or text column" in message
    assert "Columns found: ['text', 'label', 'id']" in message


@pytest.mark.parametrize("command", ["select", "diagnose"])
def test_id_text_column_warns(tmp_path, caplog, command):
    from embedsent.cli import build_parser
    from embedsent.model_commands import load_labeled

    labeled = tmp_path / "labeled.csv"
    rows = ["0,good film,pos", "1,bad film,neg", "2,good,pos", "3,bad,neg"]
    labeled.write_text("id,text,label\n" + "\n".join(rows) + "\n", encoding="utf-8")
    argv = [command, "--data", str(labeled), "--text-column", "id"]
    if command == "diagnose":
        argv += ["--model", str(tmp_path / "model.npz")]
    args = build_parser().parse_args(argv)
    with caplog.at_level(logging.WARNING, logger="embedsent"):
        assert list(load_labeled(args, seed=0).texts) == ["0", "1", "2", "3"]
    assert "--text-column 'id' may name an id or label column" in caplog.text
    assert "because all 4 of its values are numbers" in caplog.text


@pytest.mark.parametrize("command", ["select", "diagnose"])
@pytest.mark.parametrize(
    ("labels", "expected"),
    [
        (["pos", "pos", "pos"], "its label column 'label' has only one class 'pos'"),
        (["pos", "neg", "neg"], "class 'pos' has 1 labeled text(s), but cross-val"),
    ],
)
def test_labels_checked_before_scoring(tmp_path, command, labels, expected):
    from embedsent.cli import build_parser
    from embedsent.model_commands import load_labeled

    labeled = tmp_path / "labeled.csv"
    rows = [f"text {index},{label}" for index, label in enumerate(labels)]
    labeled.write_text("text,label\n" + "\n".join(rows) + "\n", encoding="utf-8")
    argv = [command, "--data", str(labeled)]
    if command == "diagnose":
        argv += ["--model", str(tmp_path / "model.npz")]
    args = build_parser().parse_args(argv)
    with pytest.raises(ValueError, match=re.escape(expected)) as raised:
        load_labeled(args, seed=0)
    assert f"--data {labeled}" in str(raised.value)
    assert "--label-column" in str(raised.value)


def test_unbalanced_hold_out_described_with_counts():
    from embedsent.crossval import describe_unbalanced_hold_out

    labels = ["a"] * 2 + ["b"] * 30
    plan = cross_validation_plan(labels, folds=5, repeats=2, seed=0)
    assert plan.held_out_per_repeat == 4
    warning = describe_unbalanced_hold_out(plan, labels)
    assert "scores only 4 of the 32 labeled texts per repeat" in warning
    assert "class 'a' has only 2 texts" in warning
    assert "the 93.8% of always predicting 'b'" in warning


def test_kfold_hold_out_not_described():
    from embedsent.crossval import describe_unbalanced_hold_out

    plan = cross_validation_plan(EIGHT_LABELS, folds=5, repeats=1, seed=0)
    assert plan.held_out_per_repeat == 8
    assert describe_unbalanced_hold_out(plan, EIGHT_LABELS) is None


def test_cli_select_unbalanced_states_held_out(
    tmp_path, corpus, vectors, capsys, caplog
):
    vectors_file = tmp_path / "tiny.txt"
    vectors.save_word2vec(vectors_file)
    train = corpus.train
    pairs = list(zip(train.texts, train.labels, strict=True))
    neg = [text for text, label in pairs if label == "neg"]
    # The shipped corpus has 4 training texts per class, so unlabeled texts
    # fill the large class.
    pos = list(corpus.unlabeled)
    table = tmp_path / "unbalanced.csv"
    with open(table, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["text", "label"])
        writer.writerows([(text, "pos") for text in pos[:30]])
        writer.writerows([(text, "neg") for text in neg[:2]])
    argv = ["select", "--data", str(table), "--vectors", str(vectors_file)]
    argv += ["--hidden-sizes", "0", "--weight-decays", "0.001", "--features"]
    argv += ["mean", "--fine-tune", "frozen", "--repeats", "1"]
    with caplog.at_level(logging.WARNING, logger="embedsent.selection"):
        assert run(_parse(argv)) == 0
    output = capsys.readouterr().out
    assert "4 of the 32 texts held out and scored per repeat" in output
    assert "scores only 4 of the 32 labeled texts per repeat" in caplog.text
