"""The Markdown of the "Transfer learning curves" section of docs/benchmarks.md.

The section has the setup, accuracy tables per method and per sentence
feature, paired comparisons, fitted label counts, the target checks and the
shipped-corpus split experiment. ``embedsent.curve_output`` writes it.
"""

from __future__ import annotations

import logging
import statistics
from collections.abc import Sequence

from embedsent.console import format_signed
from embedsent.curve_stats import (
    check_targets,
    fit_all,
    paired_comparisons,
    summarize_runs,
)

__all__ = ["SECTION_TITLE", "describe_setup", "render_section"]

logger = logging.getLogger(__name__)

SECTION_TITLE = "Transfer learning curves"

METHOD_LABELS = {
    "scratch": "scratch (random init, end to end)",
    "tfidf_lr": "TF-IDF + logistic regression",
    "transfer": "transfer (JAX SGNS, frozen)",
    "transfer_gensim": "transfer (gensim vectors, frozen)",
    "transfer_finetune": "transfer, vectors fine-tuned",
}
_METHOD_ORDER = list(METHOD_LABELS)


# Report wording of each ClassifierConfig.standardize value. Results files
# written before the modes existed contain True or False.
_SCALING_WORDS = {
    "global": "features centred and divided by one common standard deviation",
    "feature": "each feature standardised",
    "True": "each feature standardised",
    "none": "features as given",
    "False": "features as given",
}


def _size_label(n: int, n_train: int | None) -> str:
    """Label ``n`` as "all (n)" when it covers every one of ``n_train`` texts.

    With ``n_train`` None, as for an old results file, no size is "all".
    """
    if n_train is not None and n >= n_train:
        return f"all ({n:,})"
    return f"{n:,}"


def _cell(row: dict | None) -> str:
    if row is None:
        return ""
    mean = 100 * row["mean"]
    if row["n_runs"] == 1:
        return f"{mean:.1f} (1)"
    if row["low"] is None:
        # Draws that all score the same have no t interval.
        return f"{mean:.1f} [no spread] ({row['n_runs']})"
    low, high = 100 * row["low"], 100 * row["high"]
    return f"{mean:.1f} [{low:.1f}, {high:.1f}] ({row['n_runs']})"


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |"]
    # The first column contains names and is left-aligned, the others numbers.
    alignment = [":---"] + ["---:"] * (len(header) - 1)
    lines.append("| " + " | ".join(alignment) + " |")
    lines.extend("| " + " | ".join(row) + " |" for row in rows)
    return lines


def _lookup(summary: list[dict]) -> dict:
    return {(row["method"], row["feature"], row["n"]): row for row in summary}


def _best_feature_lines(table: dict, sizes: list[int], method: str) -> list[str]:
    """Say which feature of ``method`` has the highest mean, per n and overall."""
    wins: dict[str, int] = {}
    for n in sizes:
        rows = [table.get((method, f, n)) for f in ("mean", "tfidf", "sif")]
        rows = [row for row in rows if row is not None]
        if len(rows) > 1:
            best = max(rows, key=lambda row: row["mean"])["feature"]
            wins[best] = wins.get(best, 0) + 1
    if not wins:
        return []
    ranked = sorted(wins.items(), key=lambda item: -item[1])
    counts = ", ".join(f"{feature} at {count}" for feature, count in ranked)
    return [
        f"Best {method} feature by mean accuracy: {ranked[0][0]} "
        f"(highest mean at {ranked[0][1]} of {sum(wins.values())} sizes; {counts}).",
        "",
    ]


def render_section(
    runs: Sequence[dict],
    *,
    n_train: int | None,
    target: float,
    intro: Sequence[str],
    check: bool,
    toy: dict | None,
    images: Sequence[str],
) -> str:
    """Return the Markdown of the "Transfer learning curves" section.

    Args:
        runs: Stored runs.
        n_train: Training texts of the corpus, to label the "all" size;
            None labels no size "all".
        target: Target accuracy of the "how many labels" table.
        check: Add the table of targets, which are set for the IMDB archive
            only.
        intro: Lines placed under the title: command, machine, settings.
        toy: Result of :func:`embedsent.toy_experiment.run_toy_experiment`.
        images: Plot file names relative to the Markdown file.
    """
    summary = summarize_runs(runs)
    table = _lookup(summary)
    sizes = sorted({row["n"] for row in summary})
    lines = [f"## {SECTION_TITLE}", "", *intro, ""]

    methods = [m for m in _METHOD_ORDER if any(r["method"] == m for r in summary)]
    main_feature = {m: "ngrams" if m == "tfidf_lr" else "mean" for m in methods}
    explanation = (
        "Mean test accuracy (%) over balanced random draws, the 95% t "
        "interval of the mean in brackets and the number of draws in "
        "parentheses. Every method is fitted on the same draws. Vector "
        "methods use the plain mean here. Draws that all score the same have "
        "no interval, marked [no spread]."
    )
    if n_train is not None and any(n >= n_train for n in sizes):
        explanation += (
            " The size 'all' is one fit on every training text, so it has one "
            "draw and no interval."
        )
    lines += ["### Test accuracy by labeled size", "", explanation, ""]
    rows = [
        [_size_label(n, n_train)]
        + [_cell(table.get((m, main_feature[m], n))) for m in methods]
        for n in sizes
    ]
    lines += _table(["n", *methods], rows) + [""]
    for method in methods:
        lines.append(f"- `{method}`: {METHOD_LABELS[method]}")
    lines.append("")
    lines += [f"![{name}]({name})" for name in images[:1]] + [""]

    featured = [
        (m, f)
        for m in ("transfer", "transfer_gensim")
        for f in ("mean", "tfidf", "sif")
        if any(r["method"] == m and r["feature"] == f for r in summary)
    ]
    if featured:
        lines += ["### Sentence features", ""]
        header = ["n"] + [f"{m}/{f}" for m, f in featured]
        rows = [
            [_size_label(n, n_train)]
            + [_cell(table.get((m, f, n))) for m, f in featured]
            for n in sizes
        ]
        lines += _table(header, rows) + [""]
        lines += _best_feature_lines(table, sizes, "transfer")
        lines += _best_feature_lines(table, sizes, "transfer_gensim")
        lines += [f"![{name}]({name})" for name in images[1:2]] + [""]

    lines += _paired_lines(runs, n_train)
    lines += _time_lines(runs, n_train)
    lines += _needed_lines(runs, n_train, target)
    if check:
        lines += _target_lines(runs, n_train)
    if toy is not None:
        lines += _toy_lines(toy)
    return "\n".join(lines).rstrip() + "\n"


# Paired comparisons shown in the report: (3) transfer against (2) TF-IDF and
# against (4) gensim vectors, each feature against the plain mean, and
# fine-tuned against frozen vectors.
_COMPARISONS = (
    (("transfer", "mean"), ("tfidf_lr", "ngrams")),
    (("transfer", "mean"), ("transfer_gensim", "mean")),
    (("transfer", "tfidf"), ("transfer", "mean")),
    (("transfer", "sif"), ("transfer", "mean")),
    (("transfer_finetune", "mean"), ("transfer", "mean")),
)


def _paired_cell(result: dict | None) -> str:
    if result is None:
        return ""
    text = f"{format_signed(100 * result['mean_difference'])} "
    if result["p_value"] is None:
        # Every draw gives the same difference, so there is no t interval or
        # t-test, though the signed-rank test may still have a p-value.
        text += "[no spread]"
    else:
        text += (
            f"[{format_signed(100 * result['low'])}, "
            f"{format_signed(100 * result['high'])}] "
            f"p={result['p_value']:.2g}"
        )
    if result["wilcoxon_p"] is not None:
        text += f", W={result['wilcoxon_p']:.2g}"
    return text


def _paired_lines(runs: Sequence[dict], n_train: int | None) -> list[str]:
    columns = []
    for first, second in _COMPARISONS:
        results = {row["n"]: row for row in paired_comparisons(runs, first, second)}
        if results:
            columns.append((f"{'/'.join(first)} - {'/'.join(second)}", results))
    if not columns:
        return []
    sizes = sorted({n for _, results in columns for n in results})
    rows = []
    for n in sizes:
        cells = [_paired_cell(results.get(n)) for _, results in columns]
        rows.append([_size_label(n, n_train), *cells])
    lines = [
        "### Paired comparisons",
        "",
        "Difference in accuracy points on the same draws: mean, 95% t "
        "interval, paired t-test p, and Wilcoxon signed-rank p (W, from 6 "
        "pairs on). Sizes with one draw have no paired test. A difference "
        "that is the same on every draw has no interval or t-test, marked "
        "[no spread], and no signed-rank test when it is zero.",
        "",
    ]
    lines += _table(["n", *(name for name, _ in columns)], rows)
    return lines + [""]


def _time_lines(runs: Sequence[dict], n_train: int | None) -> list[str]:
    """Tabulate the median seconds per fit, scoring on the test set included."""
    seconds: dict[tuple[str, int], list[float]] = {}
    for run in runs:
        if "seconds" in run:
            seconds.setdefault((run["method"], run["n"]), []).append(run["seconds"])
    if not seconds:
        return []
    methods = [m for m in _METHOD_ORDER if any(key[0] == m for key in seconds)]
    sizes = sorted({key[1] for key in seconds})
    rows = []
    for n in sizes:
        cells = []
        for method in methods:
            values = seconds.get((method, n))
            cells.append("" if values is None else f"{statistics.median(values):.2f}")
        rows.append([_size_label(n, n_train), *cells])
    lines = [
        "### Time per fit",
        "",
        "Median seconds per fit and test-set scoring, over every feature and "
        "draw. The frozen-vector methods reuse sentence vectors computed once.",
        "",
    ]
    return lines + _table(["n", *methods], rows) + [""]


def _needed_lines(
    runs: Sequence[dict], n_train: int | None, target: float
) -> list[str]:
    rows = []
    fits = sorted(
        fit_all(runs, target),
        key=lambda fit: (_METHOD_ORDER.index(fit["method"]), fit["feature"]),
    )
    for fit in fits:
        name = f"{fit['method']}/{fit['feature']}"
        if "error" in fit:
            rows.append([name, "", "", "", "", f"not fitted: {fit['error']}"])
            continue
        needed = fit["needed"]
        if needed is None:
            text = "not reached within the fitted range"
        elif needed < fit["n_min"]:
            text = f"{needed:,.0f} (below the smallest n measured, {fit['n_min']})"
        else:
            text = f"{needed:,.0f}"
        rows.append(
            [
                name,
                f"{100 * fit['a']:.1f}",
                f"{fit['b']:.3g}",
                f"{fit['c']:.3g}",
                f"{100 * fit['rmse']:.1f}",
                text,
            ]
        )
    if not rows:
        return []
    lines = [
        "### How many labels are enough",
        "",
        "Each method's runs are fitted with accuracy = a - b * n^(-c) "
        "(`scipy.optimize.curve_fit`, 0 <= a <= 1, b >= 0, 0.01 <= c <= 3). "
        f"The last column solves the fit for {100 * target:.0f}% accuracy. A "
        "size beyond the largest one measured counts as not reached. An a at "
        "its 100% bound means the curve has not flattened within the measured "
        "sizes, so its extrapolation is the least reliable.",
        "",
    ]
    header = ["method/feature", "a (%)", "b", "c", "RMSE (points)"]
    lines += _table([*header, f"n for {100 * target:.0f}%"], rows)
    return lines + [""]


def _target_lines(runs: Sequence[dict], n_train: int | None) -> list[str]:
    rows = [
        [
            result["target"],
            _size_label(result["n"], n_train),
            f"{100 * result['value']:.1f}",
            f"{100 * result['goal']:.1f}",
            "met" if result["met"] else "**not met**",
        ]
        for result in check_targets(runs)
    ]
    if not rows:
        return []
    lines = [
        "### Targets",
        "",
        "Mean accuracies (%) against the goals set for this benchmark. The "
        "gensim reference figures are given goals, while this run's own gensim "
        "figures are the `transfer_gensim` column above.",
        "",
    ]
    lines += _table(["target", "n", "measured", "goal", "result"], rows)
    return lines + [""]


def _toy_lines(toy: dict) -> list[str]:
    settings = toy["settings"]
    small = settings["n_small_test"]
    low, high = toy["perfect_interval"]
    lines = [
        "### The shipped corpus over many splits",
        "",
        f"Pretrained on the {settings['n_unlabeled']} unlabeled shipped reviews "
        f"(vocabulary {settings['vocabulary']}), then {settings['splits']} random "
        f"balanced splits of the 208 labeled reviews into {settings['n_train']} "
        f"training and {settings['n_test']} test reviews.",
        "",
    ]
    rows = []
    for method, entry in toy["methods"].items():
        stats = entry["summary"]
        if stats["low"] is None:
            # Splits that all score the same have no t interval.
            interval = "[no spread]"
        else:
            interval = f"[{100 * stats['low']:.1f}, {100 * stats['high']:.1f}]"
        rows.append(
            [
                method,
                f"{100 * entry['shipped_split']:.1f}",
                f"{100 * stats['mean']:.1f} {interval}",
                f"{100 * stats['std']:.1f}",
                f"{100 * entry['small_test_perfect_share']:.0f}%",
            ]
        )
    header = ["method", "shipped split", "mean over splits [95% CI]", "std"]
    lines += _table([*header, f"{small}-review test at 100%"], rows)
    lines += [
        "",
        f"A classifier that flips a coin scores 100% on {small} test reviews "
        f"with probability {100 * toy['coin_flip_perfect']:.0f}%, and a score "
        f"of {small}/{small} has the 95% Wilson interval "
        f"[{100 * low:.0f}%, {100 * high:.0f}%]: one lucky {small}-review test "
        "split says almost nothing about accuracy.",
        "",
    ]
    return lines


def _exported_vectors(sgns: dict) -> str:
    """Describe which table each word's vector comes from, for the report."""
    # Runs stored before the choice existed used the input vectors.
    if sgns.get("add_context_vectors", False):
        return (
            "Each JAX word vector is the word's input plus its output (context) "
            "vector; gensim's are its input vectors (`model.wv`), which scored "
            "higher in validation than gensim's sum."
        )
    return "Both trainers' word vectors are their input vectors."


def _corpus_sentence(corpus: dict) -> str:
    """Describe the corpus sizes, or state that the results file lacks them."""
    sizes = [corpus.get(name) for name in ("name", "train", "test", "unlabeled")]
    if any(size is None for size in sizes):
        return (
            "Corpus sizes are not recorded in the results file, which an "
            "older embedsent wrote."
        )
    name, train, test, unlabeled = sizes
    return (
        f"Corpus: {name}, {train:,} training and {test:,} test texts, "
        f"{unlabeled:,} unlabeled."
    )


def _pretraining_sentence(timings: dict, gensim_workers: int) -> str:
    """Describe the pretraining seconds of each trainer that has them."""
    jax, gensim = timings.get("jax"), timings.get("gensim")
    workers = f"with {gensim_workers} worker thread(s)"
    if jax is not None and gensim is not None:
        return f"JAX pretraining took {jax:.0f} s and gensim {gensim:.0f} s {workers}."
    if jax is not None:
        return f"JAX pretraining took {jax:.0f} s; no gensim time is recorded."
    if gensim is not None:
        return (
            f"gensim pretraining took {gensim:.0f} s {workers}; no JAX time is "
            "recorded."
        )
    return "Pretraining times are not recorded in the results file."


def describe_setup(data: dict, corpus: dict, timings: dict) -> list[str]:
    """Return the section's opening lines: command, corpus, settings, machine.

    Args:
        data: The contents of the ``RunStore`` file.
        corpus: ``name``, ``train``, ``test``, ``unlabeled`` and
            ``vocabulary`` sizes, each None when the results file lacks it.
        timings: Pretraining seconds by trainer (``jax``, ``gensim``); a
            trainer without a time is left out of the text.
    """
    settings = data["settings"]
    session = data["sessions"][-1] if data["sessions"] else {}
    machine = session.get("machine", {})
    packages = session.get("packages", {})
    sgns = settings["sgns"]
    head = settings["classifier"]
    tuned = settings["finetune"]
    vocabulary = corpus.get("vocabulary")
    vocabulary_text = "" if vocabulary is None else f", vocabulary {vocabulary:,} words"
    return [
        "How much pretraining buys, and how many labels are enough. Regenerated "
        "by one command. A rerun skips the runs already in its JSON file, and "
        "it knows the data by their bytes, so a copied or re-extracted archive "
        "still matches:",
        "",
        "```sh",
        data["extras"].get("command", ""),
        "```",
        "",
        f"{_corpus_sentence(corpus)} Word "
        "vectors are pretrained on the unlabeled plus the training texts, never "
        f"the test texts: SGNS dim {sgns['dim']}, window {sgns['window']}, "
        f"{sgns['negative']} negatives, {sgns['epochs']} epochs, min_count "
        f"{settings['vocab']['min_count']}{vocabulary_text}. "
        f"{_exported_vectors(sgns)} "
        f"{_pretraining_sentence(timings, settings['gensim_workers'])} gensim "
        "with more than one worker is not bit-reproducible.",
        "",
        f"Frozen-vector methods use `ClassifierConfig` (hidden size "
        f"{head['hidden_size']}, learning rate {head['learning_rate']:g}, weight "
        f"decay {head['weight_decay']:g}, {head['epochs']} epochs, "
        f"{_SCALING_WORDS[str(head.get('standardize', True))]}). The end-to-end "
        "methods use `FineTuneConfig` with the same "
        f"head size, weight decay {tuned['weight_decay']:g}, batches of "
        f"{tuned['batch_size']} texts and embedding learning "
        f"rate {tuned['embedding_learning_rate']:g}, with epochs lowered so a fit "
        f"takes about {settings['finetune_steps']:,} steps at most. That rate "
        "was chosen among 1e-4, 1e-3 and 1e-2 on 3,000 validation texts cut "
        "from the training texts, never the test texts.",
        "",
        f"Machine: {machine.get('processor', '?')}, "
        f"{machine.get('cpu_count', '?')} CPUs, {machine.get('platform', '?')}, "
        f"devices {machine.get('jax_devices', '?')}"
        + (
            f", load average {machine['load_average'][0]:g} at the start"
            if "load_average" in machine
            else ""
        )
        + ". Packages: "
        + ", ".join(f"{name} {version}" for name, version in packages.items())
        + ".",
    ]
