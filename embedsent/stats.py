"""Confidence intervals and paired tests for accuracies from few examples.

The helpers report how much an accuracy measured on a few hundred examples,
or averaged over a few random draws, can be trusted. :mod:`embedsent.evaluate`
re-exports them.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from scipy import stats

__all__ = [
    "accuracy_interval",
    "mean_interval",
    "summarize_accuracies",
    "paired_difference",
    "coin_flip_perfect_probability",
    "has_spread",
]

# Spreads up to this many units in the last place count as rounding error.
_ROUNDING_ULPS = 16


def accuracy_interval(
    n_correct: int, n_total: int, confidence: float = 0.95
) -> tuple[float, float]:
    """Return the Wilson score interval ``(low, high)`` of an accuracy.

    Unlike the normal-approximation interval it stays inside [0, 1] and keeps
    a nonzero width at 0% and 100% accuracy.

    Raises:
        ValueError: unless ``0 <= n_correct <= n_total`` and ``n_total >= 1``.
    """
    for name, value in (("n_correct", n_correct), ("n_total", n_total)):
        if isinstance(value, bool) or not isinstance(value, int | np.integer):
            raise TypeError(f"{name} must be an int, got {value!r}")
    if n_total < 1 or not 0 <= n_correct <= n_total:
        raise ValueError(
            "expected 0 <= n_correct <= n_total and n_total >= 1, got "
            f"n_correct={n_correct}, n_total={n_total}"
        )
    z = _normal_quantile(confidence)
    p = n_correct / n_total
    z2_n = z * z / n_total
    center = (p + z2_n / 2) / (1 + z2_n)
    half_width = z * math.sqrt(p * (1 - p) / n_total + z2_n / (4 * n_total))
    half_width /= 1 + z2_n
    # The bounds are exactly 0 at 0% and 1 at 100%, which rounding would miss.
    low = 0.0 if n_correct == 0 else max(0.0, center - half_width)
    high = 1.0 if n_correct == n_total else min(1.0, center + half_width)
    return low, high


def mean_interval(
    values: Sequence[float], confidence: float = 0.95
) -> tuple[float, float, float]:
    """Return ``(mean, low, high)``, a Student t interval for the mean.

    The t interval is undefined for values with no spread (one value, or all
    equal), so they return ``(mean, mean, mean)``. Read that as "no spread
    measured", not as certainty. ``summarize_accuracies`` and
    ``paired_difference`` return None bounds instead.

    Raises:
        ValueError: if ``values`` is empty or contains a non-finite number.
    """
    array = _finite_array(values, "values")
    _check_confidence(confidence)
    mean = float(array.mean())
    if not has_spread(array):
        return mean, mean, mean
    sem = float(array.std(ddof=1)) / math.sqrt(len(array))
    half_width = float(stats.t.ppf(0.5 + confidence / 2, len(array) - 1)) * sem
    return mean, mean - half_width, mean + half_width


def has_spread(array: np.ndarray, scale: float | None = None) -> bool:
    """Return whether ``array`` spreads by more than floating-point rounding.

    One value, or values that are all equal, have no spread, so no t interval
    or t-test is defined for them. Differences such as ``0.7 - 0.675`` and
    ``0.6 - 0.575`` are equal in exact arithmetic but differ in their last
    bits, so a spread within ``_rounding_tolerance(scale)`` counts as none.
    ``scale`` is the largest magnitude that entered the values, and
    ``max(abs(array))`` when None.
    """
    if array.size < 2:
        return False
    if scale is None:
        scale = float(np.abs(array).max())
    return float(np.ptp(array)) > _rounding_tolerance(scale)


def _rounding_tolerance(scale: float) -> float:
    return _ROUNDING_ULPS * float(np.finfo(np.float64).eps) * scale


def summarize_accuracies(
    values: Sequence[float], confidence: float = 0.95
) -> dict[str, float | int | None]:
    """Summarise accuracies of repeated draws.

    Returns:
        ``{"mean", "std", "low", "high", "n"}``: ``std`` uses ``ddof=1``, and
        ``low`` and ``high`` are ``mean_interval``'s, clipped to [0, 1]. When
        the values have no spread (one value, or all equal), ``std`` is 0.0
        and ``low`` and ``high`` are None, because the t interval is
        undefined there.
    """
    array = _finite_array(values, "values")
    mean, low, high = mean_interval(array, confidence)
    if not has_spread(array):
        return {"mean": mean, "std": 0.0, "low": None, "high": None, "n": len(array)}
    std = float(array.std(ddof=1))
    # The t interval assumes an unbounded normal mean, so over few, spread-out
    # draws it can pass 0 or 1 (2 draws at 0.495 and 0.585 give [-0.03, 1.11]).
    # An accuracy cannot, so the interval is clipped to the valid range.
    low, high = max(low, 0.0), min(high, 1.0)
    return {"mean": mean, "std": std, "low": low, "high": high, "n": len(array)}


def paired_difference(
    a: Sequence[float], b: Sequence[float], confidence: float = 0.95
) -> dict[str, float | int | None]:
    """Compare two methods scored on the same draws, ``a[i]`` paired with ``b[i]``.

    Returns:
        ``{"mean_difference", "low", "high", "p_value", "wilcoxon_p", "n"}``:
        the mean of ``a - b`` with its t interval, the two-sided paired t-test
        p-value (``scipy.stats.ttest_rel``), and the two-sided Wilcoxon
        signed-rank p-value. ``wilcoxon_p`` is None below 6 pairs, where its
        smallest possible value, ``2 / 2**n``, cannot go below 0.05.

        When every difference is equal, the differences have no spread, so
        the t interval and t-test are undefined and ``low``, ``high`` and
        ``p_value`` are None. The signed-rank test is still defined unless
        every difference is zero, because n equal nonzero differences all
        have the same sign, so its exact p-value is ``2 / 2**n``. With every
        difference zero, ``wilcoxon_p`` is None as well.

    Raises:
        ValueError: if the lengths differ, there are fewer than 2 pairs, or a
            value is not finite.
    """
    first = _finite_array(a, "a")
    second = _finite_array(b, "b")
    if len(first) != len(second):
        raise ValueError(
            f"a and b must be paired draws of equal length, got {len(first)} "
            f"and {len(second)}"
        )
    if len(first) < 2:
        raise ValueError(f"a paired test needs at least 2 pairs, got {len(first)}")
    differences = first - second
    # Rounding in a and b, not in their difference, sets the noise floor.
    scale = max(float(np.abs(first).max()), float(np.abs(second).max()))
    low: float | None
    high: float | None
    p_value: float | None
    wilcoxon_p: float | None
    if has_spread(differences, scale):
        mean, low, high = mean_interval(differences, confidence)
        p_value = float(stats.ttest_rel(first, second).pvalue)
        wilcoxon_p = float(stats.wilcoxon(first, second).pvalue)
    else:
        _check_confidence(confidence)
        mean = float(differences.mean())
        low = high = p_value = None
        if abs(mean) <= _rounding_tolerance(scale):
            wilcoxon_p = None
        else:
            wilcoxon_p = min(1.0, 2.0 * 0.5 ** len(first))
    if len(first) < 6:
        wilcoxon_p = None
    return {
        "mean_difference": mean,
        "low": low,
        "high": high,
        "p_value": p_value,
        "wilcoxon_p": wilcoxon_p,
        "n": len(first),
    }


def coin_flip_perfect_probability(n_test: int) -> float:
    """Return ``0.5 ** n_test``: the chance that random binary guesses are all right.

    A perfect score on fewer than about 10 test examples is weak evidence,
    because a fair coin gets all of them right with this probability.
    """
    if isinstance(n_test, bool) or not isinstance(n_test, int | np.integer):
        raise TypeError(f"n_test must be an int, got {n_test!r}")
    if n_test < 1:
        raise ValueError(f"n_test must be >= 1, got {n_test}")
    return 0.5 ** int(n_test)


def _check_confidence(confidence: float) -> None:
    if isinstance(confidence, bool) or not isinstance(confidence, int | float):
        raise TypeError(f"confidence must be a number, got {confidence!r}")
    if not 0.0 < confidence < 1.0:
        raise ValueError(
            f"confidence must be between 0 and 1 exclusive, got {confidence}; "
            "use 0.95 for a 95% interval"
        )


def _normal_quantile(confidence: float) -> float:
    _check_confidence(confidence)
    return float(stats.norm.ppf(0.5 + confidence / 2))


def _finite_array(values: Sequence[float], name: str) -> np.ndarray:
    if isinstance(values, str | bytes):
        raise TypeError(f"{name} must be a sequence of numbers, got a string")
    array = np.asarray(values, dtype=np.float64)
    if array.ndim != 1 or len(array) == 0:
        raise ValueError(
            f"{name} must be a non-empty 1-D sequence of numbers, got shape "
            f"{array.shape}"
        )
    if not np.isfinite(array).all():
        raise ValueError(f"{name} must be finite, got {array.tolist()}")
    return array
