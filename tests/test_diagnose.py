import argparse
import dataclasses
import json
import logging
import os

import numpy as np
import pytest

from embedsent.calibration import expected_calibration_error, plot_reliability
from embedsent.classifier import MLPClassifier
from embedsent.config import ClassifierConfig, SGNSConfig, VocabConfig
from embedsent.datasets import load_default_corpus
from embedsent.diagnose import (
    PROBE_WORDS,
    add_parser,
    count_parameters,
    describe_parameters,
    diagnose,
    head_parameter_count,
    run,
)
from embedsent.pipeline import TransferClassifier, pretrain
from embedsent.vectors import WordVectors
from embedsent.verdict import Evidence, Verdict, VerdictThresholds, decide


@pytest.fixture(scope="module")
def corpus():
    return load_default_corpus()


@pytest.fixture(scope="module")
def model(corpus):
    texts = list(corpus.unlabeled) + list(corpus.train.texts)
    vectors = pretrain(
        texts,
        vocab_config=VocabConfig(min_count=2, sample=0.0),
        sgns_config=SGNSConfig(
            dim=16, epochs=3, batch_size=64, negative_group=16, steps_per_call=8
        ),
    )
    config = ClassifierConfig(hidden_size=8, epochs=100)
    return TransferClassifier(vectors, classifier_config=config).fit(
        corpus.train.texts, corpus.train.labels
    )


@pytest.fixture(scope="module")
def report(model, corpus):
    return diagnose(model, corpus.train.texts, corpus.train.labels, repeats=2, seed=1)


# -- parameter counts ----------------------------------------------------------


def test_head_count_without_hidden_layer():
    assert head_parameter_count(100, 0, 2) == 101 * 2


def test_head_count_with_hidden_layer():
    assert head_parameter_count(100, 64, 2) == 101 * 64 + 65 * 2


@pytest.mark.parametrize("hidden_size", [0, 5])
def test_head_count_matches_fitted_classifier(hidden_size):
    features = np.random.default_rng(0).normal(size=(12, 7))
    labels = ["a", "b", "c"] * 4
    config = ClassifierConfig(hidden_size=hidden_size, epochs=5)
    head = MLPClassifier(config).fit(features, labels)
    assert head_parameter_count(7, hidden_size, 3) == head.n_parameters


def test_count_parameters_of_model(model):
    counts = count_parameters(model)
    vocab_size = len(model.vectors.words)
    assert counts.dim == 16
    assert counts.head == head_parameter_count(16, 8, 2)
    assert counts.saved_vectors == vocab_size * 16
    assert counts.sgns_training == 2 * vocab_size * 16


def test_describe_parameters_names_both_halves(model):
    text = describe_parameters(model)
    counts = count_parameters(model)
    assert f"classifier head: {counts.head:,} trainable parameters" in text
    assert "(d + 1) * h + (h + 1) * c with d=16, h=8, c=2" in text
    assert f"{counts.saved_vectors:,} in the model" in text
    assert (
        f"SGNS pretraining of vectors this size trains {counts.sgns_training:,} "
        "(2 x V x d: input and output tables)"
    ) in text


def test_parameters_line_claims_no_training(model):
    # The vectors may come from GloVe or word2vec, which embedsent never trained.
    text = describe_parameters(model)
    assert "SGNS trained" not in text
    assert "embedsent trained" not in text


# -- calibration ---------------------------------------------------------------


def test_ece_of_constructed_probabilities():
    # 10 predictions at confidence 0.95, 8 right: gap 0.15.
    # 5 predictions at confidence 0.65, all right: gap 0.35.
    probabilities = np.array([[0.95, 0.05]] * 10 + [[0.35, 0.65]] * 5)
    targets = np.array([0] * 8 + [1] * 2 + [1] * 5)
    calibration = expected_calibration_error(probabilities, targets, n_bins=10)
    assert calibration.ece == pytest.approx((10 * 0.15 + 5 * 0.35) / 15)
    assert calibration.counts[9] == 10
    assert calibration.counts[6] == 5
    assert calibration.accuracy[9] == pytest.approx(0.8)
    assert calibration.confidence[6] == pytest.approx(0.65)
    assert sum(calibration.counts) == 15


def test_ece_zero_when_calibrated():
    probabilities = np.array([[0.75, 0.25]] * 4)
    targets = np.array([0, 0, 0, 1])
    assert expected_calibration_error(probabilities, targets).ece == pytest.approx(0)


def test_ece_bins_are_right_closed():
    probabilities = np.array([[0.5, 0.5], [0.9, 0.1]])
    calibration = expected_calibration_error(probabilities, np.array([0, 0]))
    assert calibration.counts[4] == 1
    assert calibration.counts[8] == 1


def test_ece_rejects_mismatched_targets():
    with pytest.raises(ValueError, match="one row per target"):
        expected_calibration_error(np.ones((3, 2)) / 2, np.zeros(2, dtype=int))


def test_reliability_plot_is_png(tmp_path):
    calibration = expected_calibration_error(
        np.array([[0.9, 0.1], [0.2, 0.8]]), np.array([0, 0])
    )
    path = tmp_path / "reliability.png"
    plot_reliability(calibration, path)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize(
    ("name", "start"),
    [("rel.pdf", b"%PDF"), ("rel.svg", b"<?xml"), ("REL.PNG", b"\x89PNG")],
)
def test_reliability_plot_format_follows_suffix(tmp_path, name, start):
    calibration = expected_calibration_error(
        np.array([[0.9, 0.1], [0.2, 0.8]]), np.array([0, 0])
    )
    path = tmp_path / name
    plot_reliability(calibration, path)
    assert path.read_bytes().startswith(start)


def test_reliability_plot_rejects_other_suffix(tmp_path):
    calibration = expected_calibration_error(np.array([[0.9, 0.1]]), np.array([0]))
    path = tmp_path / "rel.txt"
    with pytest.raises(ValueError, match=r"rel\.txt has the suffix \.txt"):
        plot_reliability(calibration, path)
    assert not path.exists()


def test_reliability_plot_hidden_name_explains_suffix(tmp_path):
    calibration = expected_calibration_error(np.array([[0.9, 0.1]]), np.array([0]))
    with pytest.raises(ValueError, match=r"only the suffix \.png and no name"):
        plot_reliability(calibration, tmp_path / ".png")


def test_reliability_plot_rejects_link_to_other_format(tmp_path):
    calibration = expected_calibration_error(np.array([[0.9, 0.1]]), np.array([0]))
    target = tmp_path / "figure.svg"
    target.write_text("old", encoding="utf-8")
    link = tmp_path / "link.png"
    link.symlink_to(target)
    with pytest.raises(ValueError, match=r"link\.png is a symbolic link to .*svg"):
        plot_reliability(calibration, link)
    assert target.read_text(encoding="utf-8") == "old"


def test_reliability_plot_writes_through_link_of_same_format(tmp_path):
    calibration = expected_calibration_error(np.array([[0.9, 0.1]]), np.array([0]))
    target = tmp_path / "figure.png"
    target.write_text("old", encoding="utf-8")
    link = tmp_path / "link.PNG"
    link.symlink_to(target)
    plot_reliability(calibration, link)
    assert link.is_symlink()
    assert target.read_bytes()[:4] == b"\x89PNG"


def test_reliability_plot_keeps_hard_linked_file(tmp_path):
    calibration = expected_calibration_error(np.array([[0.9, 0.1]]), np.array([0]))
    model = tmp_path / "model.npz"
    model.write_bytes(b"model bytes")
    link = tmp_path / "hard.png"
    os.link(model, link)
    plot_reliability(calibration, link)
    assert model.read_bytes() == b"model bytes"
    assert link.read_bytes()[:4] == b"\x89PNG"


# -- verdict rules -------------------------------------------------------------

HEALTHY = Evidence(
    oov_rate=0.02,
    empty_rate=0.0,
    similarity={"wordsim353": 0.55, "simlex999": 0.25},
    cv_accuracy=0.86,
    untrained_cv_accuracy=0.70,
    train_accuracy=0.90,
    cv_half_width=0.02,
    curve_gain=0.0,
)


def _rules(evidence: Evidence) -> list[str]:
    return [finding.rule for finding in decide(evidence).findings]


def test_verdict_none_when_healthy():
    verdict = decide(HEALTHY)
    assert verdict.limiting == "none"
    assert verdict.findings == ()
    assert "no rule fired" in verdict.format_text()


@pytest.mark.parametrize(
    ("change", "rule", "half"),
    [
        ({"oov_rate": 0.30}, "coverage", "embedding"),
        ({"empty_rate": 0.10}, "empty_texts", "embedding"),
        ({"similarity": {"wordsim353": 0.10}}, "similarity", "embedding"),
        ({"similarity": {"simlex999": 0.05}}, "similarity", "embedding"),
        ({"untrained_cv_accuracy": 0.85}, "no_pretraining_gain", "embedding"),
        ({"train_accuracy": 1.0}, "overfitting", "classifier"),
        (
            {"train_accuracy": 0.72, "cv_accuracy": 0.70, "untrained_cv_accuracy": 0.5},
            "underfitting",
            "classifier",
        ),
        ({"cv_half_width": 0.20}, "wide_interval", "labels"),
        ({"curve_gain": 0.05}, "rising_curve", "labels"),
    ],
)
def test_verdict_rule_fires_alone(change, rule, half):
    verdict = decide(dataclasses.replace(HEALTHY, **change))
    assert [finding.rule for finding in verdict.findings] == [rule]
    assert verdict.limiting == half
    assert verdict.findings[0].action


def test_verdict_overfitting_advises_smaller_head():
    verdict = decide(dataclasses.replace(HEALTHY, train_accuracy=1.0))
    assert "smaller head" in verdict.findings[0].action


def test_verdict_underfitting_advises_larger_head():
    evidence = dataclasses.replace(
        HEALTHY, train_accuracy=0.72, cv_accuracy=0.70, untrained_cv_accuracy=0.5
    )
    assert "larger head" in decide(evidence).findings[0].action


def test_verdict_close_but_high_is_not_underfitting():
    evidence = dataclasses.replace(HEALTHY, train_accuracy=0.93, cv_accuracy=0.91)
    assert _rules(evidence) == []


def test_verdict_skipped_similarity_does_not_fire():
    assert _rules(dataclasses.replace(HEALTHY, similarity={})) == []


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            {"train_accuracy": 1.0},
            "exceeds cross-validated 86.0% by more than 10.0 percentage points",
        ),
        (
            {"train_accuracy": 0.72, "cv_accuracy": 0.70, "untrained_cv_accuracy": 0.5},
            "is within 5.0 percentage points of cross-validated 70.0%",
        ),
        (
            {"cv_half_width": 0.20},
            "uncertain by +/- 20.0 percentage points (limit 5.0 percentage points)",
        ),
        (
            {"curve_gain": 0.087},
            "raised cross-validated accuracy by 8.7 percentage points (limit 2.0 "
            "percentage points)",
        ),
    ],
)
def test_verdict_differences_in_percentage_points(change, expected):
    verdict = decide(dataclasses.replace(HEALTHY, **change))
    assert expected in verdict.findings[0].message


def test_verdict_embedding_outranks_classifier_and_labels():
    evidence = dataclasses.replace(
        HEALTHY, oov_rate=0.5, train_accuracy=1.0, cv_half_width=0.3
    )
    verdict = decide(evidence)
    assert verdict.limiting == "embedding"
    assert [f.half for f in verdict.findings] == ["embedding", "classifier", "labels"]


def test_verdict_classifier_outranks_labels():
    evidence = dataclasses.replace(HEALTHY, train_accuracy=1.0, cv_half_width=0.3)
    assert decide(evidence).limiting == "classifier"


def test_verdict_thresholds_are_configurable():
    evidence = dataclasses.replace(HEALTHY, oov_rate=0.30)
    assert decide(evidence, VerdictThresholds(max_oov_rate=0.4)).limiting == "none"


def _pretraining_message(cv_accuracy: float, untrained_cv_accuracy: float) -> str:
    evidence = dataclasses.replace(
        HEALTHY, cv_accuracy=cv_accuracy, untrained_cv_accuracy=untrained_cv_accuracy
    )
    messages = [
        finding.message
        for finding in decide(evidence).findings
        if finding.rule == "no_pretraining_gain"
    ]
    assert len(messages) == 1
    return messages[0]


def test_pretraining_gain_untrained_above():
    message = _pretraining_message(cv_accuracy=0.667, untrained_cv_accuracy=0.742)
    assert "untrained vectors score 74.2%" in message
    assert "7.5 percentage points above the pretrained 66.7%" in message
    assert "within" not in message
    assert "below" not in message


def test_pretraining_gain_untrained_equal():
    message = _pretraining_message(cv_accuracy=0.70, untrained_cv_accuracy=0.70)
    assert message == "untrained vectors score 70.0%, the same as the pretrained 70.0%"


def test_pretraining_gain_untrained_within_minimum():
    message = _pretraining_message(cv_accuracy=0.71, untrained_cv_accuracy=0.70)
    assert "1.0 percentage points below the pretrained 71.0%" in message
    assert "under the minimum gain of 2.0 percentage points" in message
    assert "above" not in message


def test_pretraining_gain_untrained_far_below():
    evidence = dataclasses.replace(HEALTHY, cv_accuracy=0.86, untrained_cv_accuracy=0.5)
    assert "no_pretraining_gain" not in _rules(evidence)


def test_thresholds_reject_percentages():
    with pytest.raises(ValueError, match="max_oov_rate must be between 0 and 1"):
        VerdictThresholds(max_oov_rate=15)


# -- diagnose ------------------------------------------------------------------


def test_diagnose_embedding_fields(report, model):
    assert report.n_texts == 8
    assert report.coverage.n_texts == 8
    assert 0.0 <= report.coverage.oov_rate <= 1.0
    assert set(report.neighbours) | set(report.missing_probes) == set(PROBE_WORDS)
    for word, neighbours in report.neighbours.items():
        assert word in model.vectors
        assert len(neighbours) == 5


def test_diagnose_skips_similarity_on_tiny_vocabulary(report):
    assert [check.dataset for check in report.similarity] == [
        "wordsim353",
        "simlex999",
    ]
    for check in report.similarity:
        assert check.spearman is None
        assert "pairs are in the vocabulary" in check.skipped


def test_diagnose_classifier_fields(report, model):
    assert report.classes == ("neg", "pos")
    assert report.parameters == count_parameters(model)
    assert set(report.cv) == {"transfer", "transfer_half", "untrained", "tfidf_lr"}
    for score in report.cv.values():
        assert 0.0 <= score.low <= score.mean <= score.high <= 1.0
        assert len(score.repeat_accuracies) == 2
    assert 0.0 <= report.train_accuracy <= 1.0
    assert 0.0 <= report.calibration.ece <= 1.0
    assert sum(report.calibration.counts) == 16


def test_diagnose_confusion_counts_each_validation(report):
    confusion = np.asarray(report.confusion)
    assert confusion.shape == (2, 2)
    assert confusion.sum() == 16
    assert confusion.sum(axis=1).tolist() == [8, 8]


def test_confusion_caption_names_repeats(report):
    text = report.format_text()
    assert "confusion matrix (rows true, columns predicted) of out-of-fold" in text
    assert "summed over 2 repeats, so each of the 8 texts is counted 2 times" in text
    assert "(16 in all):" in text


def test_model_accuracy_line_warns_of_training_texts(report):
    line = next(
        line
        for line in report.format_text().splitlines()
        if "accuracy of the given model on these texts" in line
    )
    assert line.endswith(
        "% (training accuracy if the model was trained on them; the "
        "cross-validated figures below hold texts out)"
    )


def test_confusion_caption_single_repeat(report):
    single = dataclasses.replace(report, repeats=1)
    assert "of the 8 held-out texts, each counted once:" in single.format_text()


def test_confusion_caption_leave_one_out_per_class(report):
    # Leave one out per class holds out 4 of the 8 texts in each repeat.
    sampled = dataclasses.replace(report, repeats=3, held_out_per_repeat=4)
    text = sampled.format_text()
    assert "summed over 3 repeats of 4 held-out texts each (12 in all):" in text
    assert "each of the 8 texts" not in text


def test_confusion_json_sums_over_repeats(report):
    payload = json.loads(json.dumps(report.to_dict()))
    total = sum(sum(row) for row in payload["confusion"])
    assert total == payload["held_out_per_repeat"] * payload["repeats"]


def test_diagnose_rejects_all_zero_vectors(model, corpus, monkeypatch):
    zero = WordVectors(model.vectors.words, np.zeros_like(model.vectors.vectors))
    monkeypatch.setattr(model, "vectors", zero)
    with pytest.raises(ValueError) as raised:
        diagnose(model, corpus.train.texts, corpus.train.labels, repeats=1)
    message = str(raised.value)
    assert message.startswith("cannot diagnose this model: every one of the")
    assert "word vectors is zero" in message
    assert "train the model on trained vectors" in message


def test_diagnose_gives_verdict(report):
    assert isinstance(report.verdict, Verdict)
    assert report.verdict.limiting in {"embedding", "classifier", "labels", "none"}
    assert report.verdict.format_text() in report.format_text()


def test_diagnose_report_serialises(report):
    payload = json.loads(json.dumps(report.to_dict()))
    assert payload["verdict"]["limiting"] == report.verdict.limiting
    assert payload["coverage"]["oov_rate"] == report.coverage.oov_rate


def test_diagnose_rejects_length_mismatch(model, corpus):
    with pytest.raises(ValueError, match="got 8 texts and 7 labels"):
        diagnose(model, corpus.train.texts, corpus.train.labels[:7])


# -- command line ----------------------------------------------------------------


def test_cli_diagnose_on_shipped_corpus(tmp_path, model, capsys):
    model_file = tmp_path / "model.npz"
    model.save(model_file)
    parser = argparse.ArgumentParser()
    parser.add_argument("--seed", type=int, default=0)
    add_parser(parser.add_subparsers(dest="command"))
    args = parser.parse_args(
        [
            "diagnose",
            "--model",
            str(model_file),
            "--data",
            "default",
            "--repeats",
            "1",
            "--plot",
            str(tmp_path / "reliability.png"),
            "--json",
            str(tmp_path / "report.json"),
        ]
    )
    assert run(args) == 0
    output = capsys.readouterr().out
    assert "classifier head:" in output
    assert "verdict:" in output
    assert (tmp_path / "reliability.png").exists()
    assert json.loads((tmp_path / "report.json").read_text())["n_texts"] == 8


def test_cli_diagnose_writes_json_before_plot(tmp_path, model, monkeypatch, capsys):
    import embedsent.model_commands

    def failing_plot(calibration, path):
        raise OSError(f"cannot write {path}: disk full")

    monkeypatch.setattr(embedsent.model_commands, "plot_reliability", failing_plot)
    model_file = tmp_path / "model.npz"
    model.save(model_file)
    parser = argparse.ArgumentParser()
    parser.add_argument("--seed", type=int, default=0)
    add_parser(parser.add_subparsers(dest="command"))
    argv = ["diagnose", "--model", str(model_file), "--data", "default"]
    argv += ["--repeats", "1", "--plot", str(tmp_path / "rel.png")]
    args = parser.parse_args([*argv, "--json", str(tmp_path / "report.json")])
    with pytest.raises(OSError, match="disk full"):
        run(args)
    assert json.loads((tmp_path / "report.json").read_text())["n_texts"] == 8


def test_verdict_head_advice_names_cli_flags():
    overfit = decide(dataclasses.replace(HEALTHY, train_accuracy=1.0))
    action = overfit.findings[0].action
    assert "--hidden-size 0 or 16" in action
    assert "ClassifierConfig.hidden_size" in action
    assert "--weight-decay" in action
    underfit = decide(
        dataclasses.replace(
            HEALTHY, train_accuracy=0.72, cv_accuracy=0.70, untrained_cv_accuracy=0.5
        )
    )
    assert "double --hidden-size" in underfit.findings[0].action


def test_diagnose_unbalanced_classes_warn_held_out(model, corpus, caplog):
    train = corpus.train
    pairs = list(zip(train.texts, train.labels, strict=True))
    neg = [text for text, label in pairs if label == "neg"]
    # The shipped corpus has 4 training texts per class, so unlabeled texts
    # fill the large class.
    pos = list(corpus.unlabeled)
    texts, labels = pos[:30] + neg[:2], ["pos"] * 30 + ["neg"] * 2
    with caplog.at_level(logging.WARNING, logger="embedsent.diagnose"):
        report = diagnose(model, texts, labels, repeats=1)
    assert report.held_out_per_repeat == 4
    assert "4 of the 32 texts held out and scored per repeat" in report.format_text()
    assert "the 93.8% of always predicting 'pos'" in caplog.text


def test_kfold_diagnosis_holds_out_every_text(report, corpus):
    assert report.held_out_per_repeat == len(corpus.train.texts)


def test_unknown_label_rejected_before_fitting(model, corpus, monkeypatch):
    def fail(*args, **kwargs):
        raise AssertionError("diagnose fitted a head before checking the labels")

    monkeypatch.setattr(MLPClassifier, "fit", fail)
    labels = ["maybe"] + list(corpus.train.labels[1:])
    with pytest.raises(ValueError, match="labels contains 'maybe', which is not"):
        diagnose(model, corpus.train.texts, labels, repeats=1)
