"""Calibration of predicted probabilities: expected calibration error, reliability plot.

The expected calibration error (ECE) sorts predictions into equal-width bins
of their top-class probability (the confidence) and sums, over the bins, the
gap between mean confidence and accuracy weighted by the bin's share of the
predictions. It is 0 when, in every bin, the share of correct predictions
equals the mean confidence.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from embedsent.output_kinds import PLOT_METADATA
from embedsent.storage import write_atomic

__all__ = [
    "CALIBRATION_BINS",
    "Calibration",
    "expected_calibration_error",
    "plot_format",
    "plot_reliability",
]

CALIBRATION_BINS = 10


@dataclass(frozen=True)
class Calibration:
    """Expected calibration error and the reliability-diagram bins.

    Attributes:
        ece: Sum over bins of ``count / n * |accuracy - confidence|``.
        edges: Bin edges, ``n_bins + 1`` equal-width steps from 0 to 1. Bin
            ``b`` contains confidences in ``(edges[b], edges[b + 1]]``, and
            the first bin also contains 0.
        counts: Predictions per bin.
        accuracy: Share of correct predictions per bin, NaN when empty.
        confidence: Mean top-class probability per bin, NaN when empty.
    """

    ece: float
    edges: tuple[float, ...]
    counts: tuple[int, ...]
    accuracy: tuple[float, ...]
    confidence: tuple[float, ...]


def expected_calibration_error(
    probabilities: np.ndarray, targets: np.ndarray, n_bins: int = CALIBRATION_BINS
) -> Calibration:
    """Measure top-label calibration with equal-width confidence bins.

    Args:
        probabilities: Float (n, c) class probabilities.
        targets: Int (n,) index of the true class of each row.
        n_bins: Bins over [0, 1].
    """
    probabilities = np.asarray(probabilities, dtype=np.float64)
    targets = np.asarray(targets)
    if probabilities.ndim != 2 or len(probabilities) != len(targets):
        raise ValueError(
            f"probabilities must be (n, c) with one row per target, got shape "
            f"{probabilities.shape} and {len(targets)} targets"
        )
    if len(targets) == 0:
        raise ValueError("probabilities are empty; pass at least one prediction")
    if n_bins < 1:
        raise ValueError(f"n_bins must be >= 1, got {n_bins}")
    confidence = probabilities.max(axis=1)
    correct = probabilities.argmax(axis=1) == targets
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    bins = np.clip(np.searchsorted(edges, confidence, side="left") - 1, 0, n_bins - 1)
    counts = np.bincount(bins, minlength=n_bins)
    hit_sums = np.bincount(bins, weights=correct, minlength=n_bins)
    confidence_sums = np.bincount(bins, weights=confidence, minlength=n_bins)
    filled = counts > 0
    bin_accuracy = np.full(n_bins, np.nan)
    bin_confidence = np.full(n_bins, np.nan)
    bin_accuracy[filled] = hit_sums[filled] / counts[filled]
    bin_confidence[filled] = confidence_sums[filled] / counts[filled]
    gaps = np.abs(bin_accuracy[filled] - bin_confidence[filled])
    ece = float(np.sum(counts[filled] / len(targets) * gaps))
    return Calibration(
        ece=ece,
        edges=tuple(float(edge) for edge in edges),
        counts=tuple(int(count) for count in counts),
        accuracy=tuple(float(value) for value in bin_accuracy),
        confidence=tuple(float(value) for value in bin_confidence),
    )


# Image formats of the reliability diagram, by file suffix.
PLOT_FORMATS = {".png": "png", ".pdf": "pdf", ".svg": "svg"}


def plot_format(path: str | os.PathLike) -> str:
    """Return the image format that the suffix of ``path`` names.

    Raises:
        ValueError: If the suffix is not .png, .pdf or .svg (in any case), or
            ``path`` is a symbolic link whose target's suffix names another
            format or none.
    """
    name = Path(path).name
    suffix = Path(path).suffix.lower()
    if suffix not in PLOT_FORMATS:
        if name.lower() in PLOT_FORMATS:
            # Path(".png").suffix is "": the whole name is a hidden file's stem.
            suffix_description = f"only the suffix {name} and no name before it"
        else:
            suffix_description = f"the suffix {suffix}" if suffix else "no suffix"
        raise ValueError(
            f"{os.fspath(path)} has {suffix_description}, which names no image "
            "format of the reliability diagram; pass a name ending in .png, .pdf "
            "or .svg, such as reliability.png"
        )
    image_format = PLOT_FORMATS[suffix]
    if Path(path).is_symlink():
        # write_atomic replaces the link's target, so the target's name must
        # not promise another format.
        target = Path(os.path.realpath(path))
        target_format = PLOT_FORMATS.get(target.suffix.lower())
        if target_format != image_format:
            raise ValueError(
                f"{os.fspath(path)} is a symbolic link to {target}, which would "
                f"receive {image_format.upper()} data under a name that does not "
                f"end in {suffix}; pass the target's own name with the suffix of "
                "its format, or remove the link"
            )
    return image_format


def plot_reliability(calibration: Calibration, path: str | os.PathLike) -> None:
    """Write a reliability diagram (accuracy against confidence per bin).

    The suffix of ``path`` chooses the format (.png, .pdf or .svg). The file
    is written atomically, so a failed write leaves an existing file intact.

    Raises:
        ValueError: If the suffix names no supported format.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    image_format = plot_format(path)

    edges = np.asarray(calibration.edges)
    width = np.diff(edges)
    accuracy = np.nan_to_num(np.asarray(calibration.accuracy))
    figure = Figure(figsize=(4.5, 4.5))
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    axes.bar(edges[:-1], accuracy, width=width, align="edge", edgecolor="black")
    axes.plot([0, 1], [0, 1], linestyle="--", color="gray", label="perfect")
    axes.set_xlim(0, 1)
    axes.set_ylim(0, 1)
    axes.set_xlabel("confidence (top-class probability)")
    axes.set_ylabel("accuracy")
    axes.set_title(f"reliability, out-of-fold (ECE {calibration.ece:.3f})")
    axes.legend(loc="upper left")
    write_atomic(
        path,
        lambda stream: figure.savefig(
            stream, format=image_format, dpi=100, metadata=PLOT_METADATA
        ),
    )
