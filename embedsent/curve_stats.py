"""Statistics of learning-curve runs: intervals, paired tests, fitted curves.

The runs are the dicts that :mod:`embedsent.curves` stores: ``method``,
``feature``, ``n``, ``draw`` and ``accuracy`` at least.

The learning curve of a method is fitted as ``accuracy = a - b * n**(-c)``
(an inverse power law, bounded by ``a`` as n grows) with
``scipy.optimize.curve_fit`` on every run, bounded to ``0 <= a <= 1``,
``b >= 0`` and ``0.01 <= c <= 3``. The number of labels needed for a target
accuracy ``t < a`` is then ``(b / (a - t)) ** (1 / c)``.
"""

from __future__ import annotations

import logging
import math
import warnings
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.optimize import OptimizeWarning, curve_fit

from embedsent.evaluate import paired_difference, summarize_accuracies

__all__ = [
    "GENSIM_REFERENCE",
    "CurveFit",
    "check_targets",
    "fit_learning_curve",
    "labels_needed",
    "paired_comparisons",
    "summarize_runs",
]

logger = logging.getLogger(__name__)

# Goals of the benchmark on the partial IMDB archive, by labeled size: the
# mean test accuracy expected of averaged gensim vectors with a one-hidden-layer
# classifier, which transfer should reach. They are given targets, not figures
# that this module measured.
GENSIM_REFERENCE = {
    8: 0.63,
    16: 0.68,
    32: 0.74,
    64: 0.79,
    128: 0.81,
    512: 0.84,
    2048: 0.855,
}
# transfer must lead TF-IDF + logistic regression by this much up to this n.
TFIDF_MARGIN, TFIDF_MAX_N = 0.05, 128
# The best sentence feature must lead the plain mean by this much up to this n.
FEATURE_MARGIN, FEATURE_MAX_N = 0.02, 64


def summarize_runs(runs: Sequence[dict]) -> list[dict]:
    """Return mean, std and 95% t interval of the accuracy per (method, feature, n).

    Returns:
        One dict per group with ``method``, ``feature``, ``n``, ``mean``,
        ``std``, ``low``, ``high`` and ``n_runs``, sorted by method, feature
        and n. ``low`` and ``high`` are None for a group of one run or of
        runs that all score the same, which have no t interval.
    """
    groups: dict[tuple, list[float]] = defaultdict(list)
    for run in runs:
        groups[run["method"], run["feature"], run["n"]].append(run["accuracy"])
    rows = []
    for (method, feature, n), values in sorted(groups.items()):
        stats = dict(summarize_accuracies(values))
        n_runs = stats.pop("n")
        rows.append(
            {"method": method, "feature": feature, "n": n, "n_runs": n_runs, **stats}
        )
    return rows


def _by_draw(runs: Sequence[dict], method: str, feature: str) -> dict:
    return {
        (run["n"], run["draw"]): run["accuracy"]
        for run in runs
        if run["method"] == method and run["feature"] == feature
    }


def paired_comparisons(
    runs: Sequence[dict], first: tuple[str, str], second: tuple[str, str]
) -> list[dict]:
    """Compare two (method, feature) pairs on the draws both were scored on.

    Args:
        runs: Stored runs.
        first: The (method, feature) whose accuracy is the minuend.
        second: The (method, feature) it is compared against.

    Returns:
        One dict per n with at least 2 shared draws: ``n``, ``first``,
        ``second`` (as ``"method/feature"``) and the fields of
        :func:`embedsent.evaluate.paired_difference` (``mean_difference``,
        ``low``, ``high``, ``p_value``, ``wilcoxon_p``, ``n``, the latter
        renamed ``n_pairs``). ``low``, ``high`` and ``p_value`` are None when
        every shared draw gives the same difference.
    """
    a = _by_draw(runs, *first)
    b = _by_draw(runs, *second)
    shared = sorted(set(a) & set(b))
    rows = []
    for n in sorted({key[0] for key in shared}):
        keys = [key for key in shared if key[0] == n]
        if len(keys) < 2:
            continue
        result = dict(
            paired_difference([a[key] for key in keys], [b[key] for key in keys])
        )
        result["n_pairs"] = result.pop("n")
        rows.append(
            {"n": n, "first": "/".join(first), "second": "/".join(second), **result}
        )
    return rows


def _power_law(n, a, b, c):
    return a - b * np.power(n, -c)


@dataclass(frozen=True)
class CurveFit:
    """A fitted learning curve ``accuracy = a - b * n**(-c)``.

    Attributes:
        a: Accuracy the curve approaches as n grows.
        b: Gap between ``a`` and the accuracy at n = 1.
        c: Decay exponent of the gap.
        n_min: Smallest labeled size among the fitted runs.
        n_max: Largest labeled size among the fitted runs.
        rmse: Root mean square residual over the runs.
    """

    a: float
    b: float
    c: float
    n_min: int
    n_max: int
    rmse: float

    def predict(self, n) -> np.ndarray:
        """Return the fitted accuracy at ``n`` labeled examples."""
        return _power_law(np.asarray(n, dtype=np.float64), self.a, self.b, self.c)


def fit_learning_curve(ns: Sequence[float], accuracies: Sequence[float]) -> CurveFit:
    """Fit ``accuracy = a - b * n**(-c)`` to runs by bounded least squares.

    Args:
        ns: Labeled size of each run.
        accuracies: Test accuracy of each run, same length.

    Raises:
        ValueError: Fewer than 3 distinct sizes, mismatched lengths, or the
            fit did not converge.
    """
    x = np.asarray(ns, dtype=np.float64)
    y = np.asarray(accuracies, dtype=np.float64)
    if x.shape != y.shape or x.ndim != 1:
        raise ValueError(
            f"ns and accuracies must be 1-D of equal length, got shapes {x.shape} "
            f"and {y.shape}"
        )
    if len(np.unique(x)) < 3:
        sizes = np.unique(x)
        listed = ", ".join(f"{size:g}" for size in sizes)
        noun = "size" if len(sizes) == 1 else "sizes"
        raise ValueError(
            f"a learning curve needs runs at 3 or more sizes, got {len(sizes)} "
            f"({noun} {listed})"
        )
    if (x <= 0).any():
        raise ValueError(f"sizes must be > 0, got {x.min()}")
    start = (min(1.0, float(y.max())), max(1e-3, float(y.max() - y.min())), 0.5)
    try:
        with warnings.catch_warnings():
            # scipy warns when it cannot estimate the parameters' covariance,
            # which this fit never reads.
            warnings.simplefilter("ignore", OptimizeWarning)
            params, _ = curve_fit(
                _power_law,
                x,
                y,
                p0=start,
                bounds=([0.0, 0.0, 0.01], [1.0, np.inf, 3.0]),
                maxfev=20_000,
            )
    except RuntimeError as error:
        raise ValueError(f"the learning-curve fit did not converge: {error}") from error
    a, b, c = (float(value) for value in params)
    residuals = y - _power_law(x, a, b, c)
    return CurveFit(
        a=a,
        b=b,
        c=c,
        n_min=int(x.min()),
        n_max=int(x.max()),
        rmse=float(np.sqrt(np.mean(residuals**2))),
    )


def labels_needed(fit: CurveFit, target: float) -> float | None:
    """Return the labeled size at which the fitted curve reaches ``target``.

    Returns:
        The size (a float, possibly below ``fit.n_min``, where the curve is
        extrapolated), or None when the curve never reaches ``target`` or
        reaches it only beyond ``fit.n_max``, the largest size measured.
    """
    if not 0.0 < target < 1.0:
        raise ValueError(f"target must be an accuracy between 0 and 1, got {target}")
    if target >= fit.a:
        return None
    if fit.b == 0.0:
        return 1.0
    needed = (fit.b / (fit.a - target)) ** (1.0 / fit.c)
    if not math.isfinite(needed) or needed > fit.n_max:
        return None
    return float(needed)


def fit_all(runs: Sequence[dict], target: float) -> list[dict]:
    """Fit the curve of every (method, feature) and solve for ``target``.

    Returns:
        One dict per (method, feature): ``method``, ``feature``, ``a``, ``b``,
        ``c``, ``rmse``, ``n_min``, ``n_max``, ``target`` and ``needed``
        (None when not reached within the fitted range), or ``error`` when
        the curve could not be fitted.
    """
    groups: dict[tuple[str, str], list[dict]] = defaultdict(list)
    for run in runs:
        groups[run["method"], run["feature"]].append(run)
    rows = []
    for (method, feature), members in sorted(groups.items()):
        row: dict = {"method": method, "feature": feature, "target": target}
        try:
            fit = fit_learning_curve(
                [run["n"] for run in members], [run["accuracy"] for run in members]
            )
        except ValueError as error:
            row["error"] = str(error)
            rows.append(row)
            continue
        row.update(
            a=fit.a,
            b=fit.b,
            c=fit.c,
            rmse=fit.rmse,
            n_min=fit.n_min,
            n_max=fit.n_max,
            needed=labels_needed(fit, target),
        )
        rows.append(row)
    return rows


def check_targets(runs: Sequence[dict]) -> list[dict]:
    """Check the benchmark's targets at every n where both sides were measured.

    There are three targets, each comparing means over draws. ``transfer``
    with the plain mean must reach the gensim reference figures
    (``GENSIM_REFERENCE``). It must also lead ``tfidf_lr`` by
    ``TFIDF_MARGIN`` for n up to ``TFIDF_MAX_N``. The better of the
    ``tfidf`` and ``sif`` features must lead the plain mean by
    ``FEATURE_MARGIN`` for n up to ``FEATURE_MAX_N``.

    Returns:
        One dict per (target, n): ``target``, ``n``, ``value``, ``goal`` and
        ``met``.
    """
    table = {(r["method"], r["feature"], r["n"]): r for r in summarize_runs(runs)}
    rows = []
    for n in sorted({key[2] for key in table}):
        transfer = table.get(("transfer", "mean", n))
        if transfer is None:
            continue
        if n in GENSIM_REFERENCE:
            goal = GENSIM_REFERENCE[n]
            rows.append(
                {
                    "target": "transfer/mean >= gensim reference",
                    "n": n,
                    "value": transfer["mean"],
                    "goal": goal,
                    "met": transfer["mean"] >= goal,
                }
            )
        tfidf = table.get(("tfidf_lr", "ngrams", n))
        if tfidf is not None and n <= TFIDF_MAX_N:
            goal = tfidf["mean"] + TFIDF_MARGIN
            rows.append(
                {
                    "target": "transfer/mean >= tfidf_lr + 5 points",
                    "n": n,
                    "value": transfer["mean"],
                    "goal": goal,
                    "met": transfer["mean"] >= goal,
                }
            )
        others = [table.get(("transfer", f, n)) for f in ("tfidf", "sif")]
        others = [row for row in others if row is not None]
        if others and n <= FEATURE_MAX_N:
            best = max(others, key=lambda row: row["mean"])
            goal = transfer["mean"] + FEATURE_MARGIN
            rows.append(
                {
                    "target": f"best feature ({best['feature']}) >= mean + 2 points",
                    "n": n,
                    "value": best["mean"],
                    "goal": goal,
                    "met": best["mean"] >= goal,
                }
            )
    return rows
