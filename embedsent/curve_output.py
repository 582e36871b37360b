"""Outputs of the learning-curve benchmark besides the Markdown tables.

``plot_curves`` draws accuracy against n with matplotlib's Agg canvas, so no
display is needed. ``write_section`` replaces the "Transfer learning curves"
section of a Markdown file and keeps every other section as it is.
``format_summary`` returns the plain-text summary that the command prints.
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Sequence
from pathlib import Path

from embedsent.curve_report import SECTION_TITLE
from embedsent.curve_stats import check_targets, fit_all, summarize_runs
from embedsent.output_kinds import PLOT_METADATA
from embedsent.storage import write_atomic, write_text_atomic

__all__ = ["format_summary", "plot_curves", "write_section"]

logger = logging.getLogger(__name__)


def plot_curves(
    runs: Sequence[dict], path: Path, series: Sequence[tuple[str, str]], title: str
) -> None:
    """Plot mean accuracy with its 95% interval band against n on a log axis.

    Args:
        runs: Stored runs.
        path: PNG file to write.
        series: The (method, feature) pairs to draw.
        title: Plot title.
    """
    # A bare Figure renders with the Agg canvas and leaves pyplot's global
    # state and backend untouched.
    from matplotlib.figure import Figure

    table = {(r["method"], r["feature"], r["n"]): r for r in summarize_runs(runs)}
    figure = Figure(figsize=(8, 5), dpi=110)
    axes = figure.subplots()
    measured: set[int] = set()
    for method, feature in series:
        rows = sorted(
            (row for key, row in table.items() if key[:2] == (method, feature)),
            key=lambda row: row["n"],
        )
        if not rows:
            continue
        ns = [row["n"] for row in rows]
        label = (
            f"{method}/{feature}"
            if method in ("transfer", "transfer_gensim")
            else method
        )
        style = "--" if method == "transfer_gensim" else "-"
        measured.update(ns)
        axes.plot(ns, [100 * r["mean"] for r in rows], style, marker="o", label=label)
        # Sizes without an interval (one draw, or draws that all score the
        # same) are NaN here, so the band has a gap there.
        axes.fill_between(
            ns,
            [_percent_or_nan(r["low"]) for r in rows],
            [_percent_or_nan(r["high"]) for r in rows],
            alpha=0.2,
        )
    axes.set_xscale("log", base=2)
    axes.set_xticks(sorted(measured), [f"{n:,}" for n in sorted(measured)])
    axes.minorticks_off()
    axes.set_xlabel("labeled training texts (log scale)")
    axes.set_ylabel("test accuracy (%)")
    axes.set_title(title)
    axes.grid(True, which="both", alpha=0.3)
    # A plot of methods that all lack a row here, such as the feature plot
    # of a run without frozen-vector methods, has no line to name.
    if axes.get_legend_handles_labels()[0]:
        axes.legend(loc="lower right", fontsize="small")
    figure.tight_layout()
    # An atomic write keeps an existing plot intact when the write fails.
    write_atomic(
        path,
        lambda stream: figure.savefig(stream, format="png", metadata=PLOT_METADATA),
    )
    logger.info("wrote %s", path)


def _percent_or_nan(value: float | None) -> float:
    return math.nan if value is None else 100 * value


def write_section(path: Path, section: str) -> None:
    """Replace the ``SECTION_TITLE`` section of ``path``, or append it.

    The section runs from its ``## `` heading to the next ``## `` heading.
    Other sections stay as they are. A missing file is created with a title.
    """
    text = path.read_text(encoding="utf-8") if path.exists() else "# Benchmarks\n"
    pattern = re.compile(
        rf"^## {re.escape(SECTION_TITLE)}[ \t]*\n.*?(?=^## |\Z)",
        flags=re.MULTILINE | re.DOTALL,
    )
    if pattern.search(text):
        text = pattern.sub(lambda _: section.rstrip() + "\n\n", text, count=1)
        text = text.rstrip() + "\n"
    else:
        text = text.rstrip() + "\n\n" + section
    write_text_atomic(path, text)
    logger.info("wrote the %r section of %s", SECTION_TITLE, path)


def format_summary(runs: Sequence[dict], target: float, check: bool) -> str:
    """Format the accuracies, fitted label counts and unmet targets as text.

    Args:
        runs: Stored runs.
        target: Accuracy for which the labels needed are estimated.
        check: Add the targets, which are set for the IMDB archive only.
    """
    summary = summarize_runs(runs)
    series = sorted({(row["method"], row["feature"]) for row in summary})
    means = {(row["method"], row["feature"], row["n"]): row for row in summary}
    lines = [
        "mean test accuracy (%) [95% t interval] by labeled size n (a single "
        "draw, or draws that all score the same, have no interval):"
    ]
    # Runs that older versions stored have no "size" field.
    all_sizes = {run["n"] for run in runs if run.get("size") == "all"}
    for n in sorted({row["n"] for row in summary}):
        if n in all_sizes:
            lines.append(
                f"  n={n} (all training texts: one fit on every text, so one draw "
                "and no interval)"
            )
        else:
            lines.append(f"  n={n}")
        for method, feature in series:
            row = means.get((method, feature, n))
            if row is None:
                continue
            lines.append(f"    {method + '/' + feature:<26} {_summary_cell(row)}")

    lines.append(
        f"labeled texts needed for {100 * target:.0f}% test accuracy (fitted):"
    )
    fits = fit_all(runs, target)
    errors = {fit.get("error") for fit in fits}
    if len(fits) > 1 and len(errors) == 1 and None not in errors:
        # Too few sizes fail every fit with the same error, given once.
        lines.append(f"  {'every method':<26} not fitted: {errors.pop()}")
        fits = []
    for fit in fits:
        name = f"{fit['method']}/{fit['feature']}"
        if "error" in fit:
            lines.append(f"  {name:<26} not fitted: {fit['error']}")
        elif fit["needed"] is None:
            lines.append(f"  {name:<26} not reached within the fitted range")
        else:
            lines.append(f"  {name:<26} {fit['needed']:,.0f}")

    if check:
        unmet = [row for row in check_targets(runs) if not row["met"]]
        lines.append(
            f"targets not met: {len(unmet)} (the goals are set for the whole "
            "IMDB archive, so a run on part of it can miss them)"
        )
        for row in unmet:
            lines.append(
                f"  {row['target']} at n={row['n']}: {100 * row['value']:.1f} < "
                f"{100 * row['goal']:.1f}"
            )
    return "\n".join(lines)


def _summary_cell(row: dict) -> str:
    """Format one mean, with its interval only when two or more draws give one."""
    mean = f"{100 * row['mean']:5.1f}"
    if row["n_runs"] == 1:
        # One draw has no spread, so its interval would have zero width.
        return f"{mean} (1 draw)"
    if row["low"] is None:
        # Draws that all score the same have no t interval either. The text
        # is padded to the width of "[ 80.0,  85.0]" to keep the draw counts
        # aligned.
        interval = f"{'[no spread]':<14}"
    else:
        interval = f"[{100 * row['low']:5.1f}, {100 * row['high']:5.1f}]"
    return f"{mean} {interval} ({row['n_runs']} draws)"
