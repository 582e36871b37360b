import math

import numpy as np
import pytest
from scipy import stats

from embedsent import evaluate
from embedsent import stats as embedsent_stats
from embedsent.stats import (
    accuracy_interval,
    coin_flip_perfect_probability,
    mean_interval,
    paired_difference,
    summarize_accuracies,
)

Z95 = stats.norm.ppf(0.975)


@pytest.mark.parametrize(
    "name",
    [
        "accuracy_interval",
        "mean_interval",
        "summarize_accuracies",
        "paired_difference",
        "coin_flip_perfect_probability",
    ],
)
def test_evaluate_reexports_stats(name):
    assert getattr(evaluate, name) is getattr(embedsent_stats, name)
    assert name in evaluate.__all__


def test_wilson_zero_successes_closed_form():
    # With no successes the upper bound reduces to z^2 / (n + z^2).
    low, high = accuracy_interval(0, 20)
    assert low == 0.0
    assert high == pytest.approx(Z95**2 / (20 + Z95**2))


def test_wilson_all_successes_closed_form():
    low, high = accuracy_interval(10, 10)
    assert low == pytest.approx(10 / (10 + Z95**2))
    assert high == 1.0


def test_wilson_bounds_solve_score_equation():
    # Each bound p satisfies (k/n - p)^2 = z^2 p (1 - p) / n.
    k, n = 81, 263
    for bound in accuracy_interval(k, n):
        gap = (k / n - bound) ** 2
        assert gap == pytest.approx(Z95**2 * bound * (1 - bound) / n)


def test_wilson_widens_with_confidence():
    low95, high95 = accuracy_interval(30, 50)
    low99, high99 = accuracy_interval(30, 50, confidence=0.99)
    assert low99 < low95 < 0.6
    assert 0.6 < high95 < high99


@pytest.mark.parametrize(("n_correct", "n_total"), [(5, 4), (-1, 4), (0, 0)], ids=str)
def test_wilson_invalid_counts_raise(n_correct, n_total):
    with pytest.raises(ValueError, match="0 <= n_correct <= n_total"):
        accuracy_interval(n_correct, n_total)


def test_wilson_bad_confidence_raises():
    with pytest.raises(ValueError, match="confidence must be between 0 and 1"):
        accuracy_interval(3, 4, confidence=95)


def test_mean_interval_matches_t_table():
    # t(0.975, df=4) = 2.7764 from a t table, and the sample std of 1..5 is
    # sqrt(2.5).
    mean, low, high = mean_interval([1.0, 2.0, 3.0, 4.0, 5.0])
    half_width = 2.7764451 * math.sqrt(2.5) / math.sqrt(5)
    assert mean == 3.0
    assert low == pytest.approx(3.0 - half_width, rel=1e-6)
    assert high == pytest.approx(3.0 + half_width, rel=1e-6)


def test_mean_interval_single_value_collapses():
    assert mean_interval([0.7]) == (0.7, 0.7, 0.7)


def test_mean_interval_empty_raises():
    with pytest.raises(ValueError, match="non-empty"):
        mean_interval([])


def test_mean_interval_nan_raises():
    with pytest.raises(ValueError, match="must be finite"):
        mean_interval([0.5, float("nan")])


def test_summarize_accuracies_fields():
    values = [0.6, 0.7, 0.8]
    summary = summarize_accuracies(values)
    mean, low, high = mean_interval(values)
    assert summary["mean"] == pytest.approx(0.7)
    assert summary["std"] == pytest.approx(0.1)
    assert summary["low"] == low
    assert summary["high"] == high
    assert summary["n"] == 3


def test_summarize_single_value_std_zero():
    summary = summarize_accuracies([0.9])
    assert summary["std"] == 0.0
    assert summary["n"] == 1


def test_paired_difference_matches_scipy():
    rng = np.random.default_rng(5)
    a = rng.normal(0.8, 0.02, size=8)
    b = a - rng.normal(0.01, 0.01, size=8)
    result = paired_difference(a, b)
    assert result["mean_difference"] == pytest.approx(np.mean(a - b))
    assert result["low"] < result["mean_difference"] < result["high"]
    assert result["p_value"] == pytest.approx(stats.ttest_rel(a, b).pvalue)
    assert result["wilcoxon_p"] == pytest.approx(stats.wilcoxon(a, b).pvalue)
    assert result["n"] == 8


def test_paired_difference_no_wilcoxon_below_six():
    result = paired_difference([0.5, 0.6, 0.7], [0.4, 0.6, 0.5])
    assert result["wilcoxon_p"] is None
    assert result["n"] == 3


def test_paired_difference_identical_inputs_undefined():
    values = [0.5, 0.6, 0.7, 0.8, 0.6, 0.9]
    result = paired_difference(values, values)
    assert result["mean_difference"] == 0.0
    assert result["low"] is None
    assert result["high"] is None
    assert result["p_value"] is None
    # Every difference is zero, so the signed-rank test has no pair left.
    assert result["wilcoxon_p"] is None
    assert result["n"] == 6


def test_paired_difference_equal_differences_undefined():
    # Both draws differ by 2.5 points, as in a `compare --draws 2` run.
    result = paired_difference([0.5, 0.51], [0.525, 0.535])
    assert result["mean_difference"] == pytest.approx(-0.025)
    assert result["low"] is None
    assert result["high"] is None
    assert result["p_value"] is None
    assert result["wilcoxon_p"] is None


def test_paired_difference_rounding_noise_is_no_spread():
    a = [0.7, 0.6, 0.3, 0.9]
    b = [0.675, 0.575, 0.275, 0.875]
    differences = np.subtract(a, b)
    # The differences are 0.025 in exact arithmetic but not in floating point.
    assert np.ptp(differences) > 0.0
    result = paired_difference(a, b)
    assert result["mean_difference"] == pytest.approx(0.025)
    assert result["low"] is None
    assert result["p_value"] is None


def test_paired_difference_equal_nonzero_wilcoxon_exact():
    a = [0.6] * 8
    b = [0.575] * 8
    result = paired_difference(a, b)
    assert result["p_value"] is None
    assert result["low"] is None
    # All 8 differences share one sign, so the exact two-sided p is 2 / 2**8.
    assert result["wilcoxon_p"] == pytest.approx(2 / 2**8)
    assert result["wilcoxon_p"] == pytest.approx(stats.wilcoxon(a, b).pvalue)


def test_paired_difference_tiny_real_spread_has_interval():
    a = [0.5, 0.5 + 1e-6, 0.5, 0.5 + 2e-6]
    b = [0.4, 0.4, 0.4, 0.4]
    result = paired_difference(a, b)
    assert result["low"] < result["mean_difference"] < result["high"]
    assert result["p_value"] == pytest.approx(stats.ttest_rel(a, b).pvalue)


def test_paired_difference_no_spread_checks_confidence():
    with pytest.raises(ValueError, match="confidence must be between 0 and 1"):
        paired_difference([0.5, 0.6], [0.5, 0.6], confidence=95)


def test_mean_interval_equal_values_collapse():
    mean, low, high = mean_interval([0.8, 0.8, 0.8])
    assert mean == pytest.approx(0.8)
    assert low == mean
    assert high == mean


def test_summarize_accuracies_equal_values_no_interval():
    summary = summarize_accuracies([0.8, 0.8, 0.8])
    assert summary["mean"] == pytest.approx(0.8)
    assert summary["std"] == 0.0
    assert summary["low"] is None
    assert summary["high"] is None
    assert summary["n"] == 3


def test_summarize_single_value_no_interval():
    summary = summarize_accuracies([0.9])
    assert summary["mean"] == 0.9
    assert summary["low"] is None
    assert summary["high"] is None


def test_summarize_accuracies_nan_raises():
    with pytest.raises(ValueError, match="values must be finite"):
        summarize_accuracies([0.5, float("nan")])


def test_paired_difference_length_mismatch_raises():
    with pytest.raises(ValueError, match="equal length, got 3 and 2"):
        paired_difference([0.1, 0.2, 0.3], [0.1, 0.2])


def test_coin_flip_probability():
    assert coin_flip_perfect_probability(1) == 0.5
    assert coin_flip_perfect_probability(10) == 1 / 1024


def test_coin_flip_zero_examples_raises():
    with pytest.raises(ValueError, match="n_test must be >= 1, got 0"):
        coin_flip_perfect_probability(0)


def test_summarize_accuracies_clips_interval_to_unit_range():
    # The t interval of these two draws is about [-0.03, 1.11].
    summary = summarize_accuracies([0.495, 0.585])
    assert summary["low"] == 0.0
    assert summary["high"] == 1.0
    assert summary["mean"] == pytest.approx(0.54)
