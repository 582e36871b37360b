import logging

import numpy as np
import pytest

from embedsent.class_prior import (
    agree,
    check_labeled_coverage,
    log_prior_predictions,
    prior_is_tied,
    texts_have,
    warn_prior_predictions,
)

KNOWN = np.array([False, True])


@pytest.mark.parametrize(
    ("prior", "tied"),
    [
        ([0.5, 0.5], True),
        ([0.25, 0.25, 0.5], False),
        ([0.4, 0.4, 0.2], True),
        ([1 / 3, 2 / 3], False),
    ],
)
def test_prior_is_tied_cases(prior, tied):
    assert prior_is_tied(np.array(prior)) is tied


def test_prior_warning_names_tie(caplog):
    with caplog.at_level(logging.WARNING, logger="embedsent.class_prior"):
        log_prior_predictions(KNOWN, "neg", tied=True)
    assert "1 of 2 texts has no in-vocabulary token" in caplog.text
    assert (
        "the label 'neg', the first (in class order) of the training labels "
        "tied as the most frequent"
    ) in caplog.text
    assert "the most frequent training label" not in caplog.text


def test_prior_warning_without_tie(caplog):
    with caplog.at_level(logging.WARNING, logger="embedsent.class_prior"):
        log_prior_predictions(KNOWN, "pos")
    assert "the most frequent training label 'pos'" in caplog.text
    assert "tied" not in caplog.text


@pytest.mark.parametrize(
    ("count", "total", "words"),
    [
        (1, 1, "text has"),
        (1, 5, "texts has"),
        (2, 5, "texts have"),
        (0, 3, "texts have"),
    ],
)
def test_texts_have_agrees_in_number(count, total, words):
    assert texts_have(count, total) == words


def test_prior_warning_single_text_singular(caplog):
    with caplog.at_level(logging.WARNING, logger="embedsent.class_prior"):
        log_prior_predictions(np.array([False]), "pos")
    assert caplog.messages[0].startswith("1 of 1 text has no in-vocabulary token")


@pytest.mark.parametrize("uniform", [False, True])
def test_prior_warning_plural_count(caplog, uniform):
    known = np.array([False, False, True, True, True])
    with caplog.at_level(logging.WARNING, logger="embedsent.class_prior"):
        log_prior_predictions(known, "pos", uniform=uniform)
    assert caplog.messages[0].startswith("2 of 5 texts have no in-vocabulary token")


def test_labeled_coverage_warning_singular(caplog):
    known = np.array([False, True])
    with caplog.at_level(logging.WARNING, logger="embedsent.class_prior"):
        check_labeled_coverage(known, [[], ["good"]])
    assert caplog.messages[0].startswith(
        "1 of 2 labeled texts has no in-vocabulary token"
    )


def test_warn_prior_predictions_names_tie(caplog):
    with caplog.at_level(logging.WARNING, logger="embedsent.class_prior"):
        warn_prior_predictions(KNOWN, ["neg", "pos"], np.array([0.5, 0.5]))
    assert "the label 'neg', the first (in class order)" in caplog.text
    # The server's rate limiter matches the warning by this function name.
    assert caplog.records[0].funcName == "log_prior_predictions"


def test_warn_prior_predictions_picks_majority(caplog):
    with caplog.at_level(logging.WARNING, logger="embedsent.class_prior"):
        warn_prior_predictions(KNOWN, ["neg", "pos"], np.array([0.25, 0.75]))
    assert "the most frequent training label 'pos'" in caplog.text
    assert "tied" not in caplog.text


def test_warn_prior_predictions_uniform(caplog):
    with caplog.at_level(logging.WARNING, logger="embedsent.class_prior"):
        warn_prior_predictions(
            KNOWN, ["neg", "pos"], np.array([0.5, 0.5]), uniform=True
        )
    assert "equal class probabilities and the first class 'neg'" in caplog.text


@pytest.mark.parametrize(
    ("count", "words"), [(0, "they get"), (1, "it gets"), (2, "they get")]
)
def test_agree_picks_form_by_count(count, words):
    assert agree(count, "it gets", "they get") == words


SINGLE_UNKNOWN = np.array([False, True, True])
DOUBLE_UNKNOWN = np.array([False, False, True])


@pytest.mark.parametrize(
    ("tied", "uniform", "clause"),
    [
        (False, False, "; {} the class prior (the training label frequencies)"),
        (True, False, "; {} the class prior (the training label frequencies)"),
        (False, True, ", so {} equal class probabilities"),
    ],
)
def test_prior_warning_verbs_agree_with_count(caplog, tied, uniform, clause):
    with caplog.at_level(logging.WARNING, logger="embedsent.class_prior"):
        log_prior_predictions(SINGLE_UNKNOWN, "pos", tied=tied, uniform=uniform)
        log_prior_predictions(DOUBLE_UNKNOWN, "pos", tied=tied, uniform=uniform)
    single, double = caplog.messages
    assert single.startswith(
        "1 of 3 texts has no in-vocabulary token" + clause.format("it gets")
    )
    assert double.startswith(
        "2 of 3 texts have no in-vocabulary token" + clause.format("they get")
    )


def test_labeled_coverage_warning_verbs_agree_with_count(caplog):
    with caplog.at_level(logging.WARNING, logger="embedsent.class_prior"):
        check_labeled_coverage(SINGLE_UNKNOWN, [[], ["good"], ["bad"]])
        check_labeled_coverage(DOUBLE_UNKNOWN, [[], [], ["bad"]])
    assert caplog.messages == [
        "1 of 3 labeled texts has no in-vocabulary token, so it is fitted as a "
        "zero sentence vector, which carries no information about its label",
        "2 of 3 labeled texts have no in-vocabulary token, so they are fitted as "
        "zero sentence vectors, which carry no information about their labels",
    ]
