import logging

import numpy as np
import pytest

from embedsent.class_prior import log_prior_predictions, prior_is_tied

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
    assert "1 of 2 texts have no in-vocabulary token" in caplog.text
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
