import argparse
import errno
import json
import logging
import os
import stat
import subprocess
import sys
import warnings
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from bench_scripts import load_script
from fake_os import deny_write
from test_datasets import tiny_members, write_archive, write_tree

from embedsent import baseline, curve_cli, curve_report, curves, trainer
from embedsent.cli import build_parser
from embedsent.cli import main as cli_main
from embedsent.config import ClassifierConfig, SGNSConfig, TextConfig, VocabConfig
from embedsent.curve_cli import run
from embedsent.curve_data import (
    TokenizedCorpus,
    corpus_cache_key,
    ensure_folder,
    load_tokenized_corpus,
    pretrained_vectors,
)
from embedsent.curve_output import format_summary, write_section
from embedsent.curve_report import SECTION_TITLE, render_section
from embedsent.curve_stats import (
    CurveFit,
    check_targets,
    fit_learning_curve,
    labels_needed,
    paired_comparisons,
    summarize_runs,
)
from embedsent.curves import CurveConfig, CurveInputs, draw_indices, planned_runs
from embedsent.finetune import FineTuneConfig
from embedsent.run_store import RunStore
from embedsent.toy_experiment import ToyConfig, run_toy_experiment
from embedsent.vectors import WordVectors


def _parse(*argv: str) -> argparse.Namespace:
    return build_parser().parse_args(["bench", "transfer", *argv])


def _tiny_args(tmp_path, *extra: str, docs: bool = True) -> argparse.Namespace:
    docs_flag = ["--docs-dir", str(tmp_path / "docs")] if docs else []
    args = _parse(
        "--data",
        "default",
        "--sizes",
        "4",
        "all",
        "--draws",
        "2",
        "--dim",
        "8",
        "--epochs",
        "2",
        "--min-count",
        "2",
        "--finetune-steps",
        "10",
        "--toy-splits",
        "0",
        "--gensim-workers",
        "1",
        "--out-dir",
        str(tmp_path / "results"),
        *docs_flag,
        "--no-progress",
        *extra,
    )
    args.command_line = "embedsent bench transfer --data default"
    return args


def test_global_seed_and_progress_reach_bench_transfer():
    args = build_parser().parse_args(
        ["--seed", "3", "--no-progress", "bench", "transfer", "--data", "default"]
    )
    assert args.seed == 3
    assert args.no_progress
    args = _parse("--data", "default", "--seed", "5")
    assert args.seed == 5
    assert not args.no_progress


def test_bench_transfer_repeat_damping_flag():
    assert _parse("--data", "default").repeat_damping == 0.5
    args = _parse("--data", "default", "--repeat-damping", "0")
    assert args.repeat_damping == 0.0


def test_bench_transfer_rejects_out_of_range_damping(capsys):
    with pytest.raises(SystemExit):
        _parse("--data", "default", "--repeat-damping", "1.5")
    assert "--repeat-damping" in capsys.readouterr().err


class _StopBeforePretraining(Exception):
    pass


def test_repeat_damping_reaches_jax_pretraining(tmp_path, monkeypatch):
    seen = {}

    def capture(trainer_name, tokens, *, sgns_config, **options):
        seen[trainer_name] = sgns_config
        raise _StopBeforePretraining

    monkeypatch.setattr(curve_cli, "pretrained_vectors", capture)
    with pytest.raises(_StopBeforePretraining):
        run(_tiny_args(tmp_path, "--repeat-damping", "0.25"))
    assert seen["jax"].repeat_damping == 0.25


def test_repeat_damping_keys_only_jax_vector_cache(tmp_path, monkeypatch):
    trained = []
    fake = WordVectors(["good", "bad"], np.eye(2, dtype=np.float32), np.array([2, 1]))

    def fake_sgns(tokens, sgns_config, vocab_config, progress=False):
        trained.append(("jax", sgns_config.repeat_damping))
        return SimpleNamespace(word_vectors=lambda: fake)

    def fake_gensim(tokens, *, sgns, vocab, workers):
        trained.append(("gensim", sgns.repeat_damping))
        return fake

    monkeypatch.setattr(trainer, "train_sgns", fake_sgns)
    monkeypatch.setattr(baseline, "train_gensim_word2vec", fake_gensim)
    for damping in (0.5, 0.0):
        for trainer_name in ("jax", "gensim"):
            pretrained_vectors(
                trainer_name,
                [["good", "bad"]],
                sgns_config=SGNSConfig(dim=2, repeat_damping=damping),
                vocab_config=VocabConfig(min_count=1),
                corpus_key="corpus",
                cache_dir=tmp_path,
            )
    # The second gensim call reads the vectors that the first one cached.
    assert trained == [("jax", 0.5), ("gensim", 0.5), ("jax", 0.0)]
    assert len(list(tmp_path.glob("vectors-jax-*.npz"))) == 2
    assert len(list(tmp_path.glob("vectors-gensim-*.npz"))) == 1


def test_context_vector_choice_keys_jax_cache_only(tmp_path, monkeypatch):
    trained = []
    fake = WordVectors(["good", "bad"], np.eye(2, dtype=np.float32), np.array([2, 1]))

    def fake_sgns(tokens, sgns_config, vocab_config, progress=False):
        trained.append(("jax", sgns_config.add_context_vectors))
        return SimpleNamespace(word_vectors=lambda: fake)

    def fake_gensim(tokens, *, sgns, vocab, workers):
        trained.append(("gensim", sgns.add_context_vectors))
        return fake

    monkeypatch.setattr(trainer, "train_sgns", fake_sgns)
    monkeypatch.setattr(baseline, "train_gensim_word2vec", fake_gensim)
    for add in (True, False, True):
        for trainer_name in ("jax", "gensim"):
            pretrained_vectors(
                trainer_name,
                [["good", "bad"]],
                sgns_config=SGNSConfig(dim=2, add_context_vectors=add),
                vocab_config=VocabConfig(min_count=1),
                corpus_key="corpus",
                cache_dir=tmp_path,
            )
    # Only the JAX export depends on the choice; the third round is cached.
    assert trained == [("jax", True), ("gensim", True), ("jax", False)]


def test_bench_transfer_context_vector_flag():
    assert _parse("--data", "default").add_context_vectors is True
    args = _parse("--data", "default", "--no-add-context-vectors")
    assert args.add_context_vectors is False


def test_default_corpus_applies_limits(tmp_path):
    options = {"seed": 0, "text_config": TextConfig(), "cache_dir": tmp_path}
    limited, limited_key = load_tokenized_corpus(
        "default", max_per_class=2, max_unlabeled=5, **options
    )
    assert sorted(limited.train_labels) == ["neg", "neg", "pos", "pos"]
    assert sorted(limited.test_labels) == ["neg", "neg", "pos", "pos"]
    assert len(limited.unlabeled) == 5
    full, full_key = load_tokenized_corpus(
        "default", max_per_class=None, max_unlabeled=None, **options
    )
    assert len(full.test_labels) == 200
    assert full_key != limited_key


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    """Run the benchmark once on the shipped corpus; return its folder and JSON."""
    tmp_path = tmp_path_factory.mktemp("curves")
    assert run(_tiny_args(tmp_path)) == 0
    results = tmp_path / "results" / "transfer_curves.json"
    return tmp_path, json.loads(results.read_text(encoding="utf-8"))


def test_tiny_run_stores_corpus_figures(tiny_run):
    _, data = tiny_run
    corpus = data["extras"]["corpus"]
    assert corpus["name"] == "movie_reviews"
    assert corpus["train"] == 8
    assert corpus["test"] == 200
    assert corpus["unlabeled"] == 62
    assert corpus["vocabulary"] > 0
    assert set(data["extras"]["pretraining_seconds"]) == {"jax", "gensim"}


def test_corpus_cache_key_matches_loaded_key(tmp_path):
    options = {"max_per_class": 2, "max_unlabeled": 5, "seed": 0}
    _, loaded = load_tokenized_corpus(
        "default", text_config=TextConfig(), cache_dir=tmp_path, **options
    )
    key = corpus_cache_key("default", text_config=TextConfig(), **options)
    assert key == loaded


def _key(data) -> str:
    return corpus_cache_key(
        str(data),
        max_per_class=None,
        max_unlabeled=None,
        seed=0,
        text_config=TextConfig(),
    )


def test_cache_key_ignores_path_and_mtime(tmp_path):
    members = tiny_members()
    first = write_archive(tmp_path / "a.tar.gz", members)
    key = _key(first)
    copy = tmp_path / "elsewhere" / "b.tar.gz"
    copy.parent.mkdir()
    copy.write_bytes(first.read_bytes())
    os.utime(copy, (1_000_000, 1_000_000))
    assert _key(copy) == key
    members["aclImdb/train/pos/0_8.txt"] = b"another review"
    assert _key(write_archive(tmp_path / "c.tar.gz", members)) != key


def test_folder_cache_key_follows_reviews_only(tmp_path):
    write_tree(tmp_path / "one", tiny_members())
    write_tree(tmp_path / "two", tiny_members())
    key = _key(tmp_path / "one")
    assert _key(tmp_path / "two" / "aclImdb") == key
    (tmp_path / "two" / "aclImdb" / "README").write_text("edited")
    assert _key(tmp_path / "two") == key
    review = tmp_path / "two" / "aclImdb" / "test" / "neg" / "0_8.txt"
    review.write_text("edited review")
    assert _key(tmp_path / "two") != key
    review.rename(review.with_name("9_8.txt"))
    assert _key(tmp_path / "two") != key


def test_corpus_cache_key_names_missing_data(tmp_path):
    missing = tmp_path / "missing.tar.gz"
    with pytest.raises(FileNotFoundError, match="'default' for the shipped"):
        corpus_cache_key(
            str(missing),
            max_per_class=None,
            max_unlabeled=None,
            seed=0,
            text_config=TextConfig(),
        )


def _forbid_long_work(monkeypatch) -> None:
    """Make tokenising and pretraining fail the test if anything starts them."""

    def forbidden(*args, **kwargs):
        raise AssertionError("tokenised or pretrained")

    monkeypatch.setattr(curve_cli, "load_tokenized_corpus", forbidden)
    monkeypatch.setattr(curve_cli, "pretrained_vectors", forbidden)
    monkeypatch.setattr(trainer, "train_sgns", forbidden)
    monkeypatch.setattr(baseline, "train_gensim_word2vec", forbidden)


@pytest.mark.parametrize(
    ("flag", "value", "differing"),
    [
        ("--dim", "16", "sgns.dim"),
        ("--max-per-class", "3", "corpus"),
        ("--min-count", "1", "vocab.min_count"),
        ("--gensim-workers", "2", "gensim_workers"),
        ("--finetune-steps", "20", "finetune_steps"),
    ],
)
def test_other_settings_fail_before_pretraining(
    tiny_run, monkeypatch, flag, value, differing
):
    run_dir, _ = tiny_run
    results = run_dir / "results" / "transfer_curves.json"
    before = results.read_bytes()
    _forbid_long_work(monkeypatch)
    with pytest.raises(ValueError, match=f"differing: \\['{differing}'\\]"):
        run(_tiny_args(run_dir, flag, value))
    assert results.read_bytes() == before


def _copy_results(run_dir, destination):
    """Copy the results file of ``run_dir``, and no cache, under ``destination``."""
    results = destination / "results"
    results.mkdir()
    source = run_dir / "results" / "transfer_curves.json"
    (results / "transfer_curves.json").write_bytes(source.read_bytes())
    return results / "transfer_curves.json"


def test_report_only_skips_pretraining(tiny_run, tmp_path, monkeypatch):
    run_dir, data = tiny_run
    _copy_results(run_dir, tmp_path)
    _forbid_long_work(monkeypatch)
    # Neither the data file nor the run settings are read for a report.
    missing = str(tmp_path / "missing.tar.gz")
    assert run(_tiny_args(tmp_path, "--report-only", "--data", missing)) == 0
    assert not (tmp_path / "results" / "cache").exists()
    text = (tmp_path / "docs" / "benchmarks.md").read_text(encoding="utf-8")
    assert "Corpus: movie_reviews, 8 training and 200 test texts, 62 unlabeled" in text
    vocabulary = data["extras"]["corpus"]["vocabulary"]
    assert f"vocabulary {vocabulary:,} words" in text
    assert "JAX pretraining took" in text
    assert "| all (8) |" in text


def test_report_only_on_old_results_file(tiny_run, tmp_path, monkeypatch, caplog):
    run_dir, _ = tiny_run
    copied = _copy_results(run_dir, tmp_path)
    # Files written before the report figures were stored lack both extras.
    old = json.loads(copied.read_text(encoding="utf-8"))
    del old["extras"]["corpus"]
    del old["extras"]["pretraining_seconds"]
    copied.write_text(json.dumps(old), encoding="utf-8")
    _forbid_long_work(monkeypatch)
    with caplog.at_level("WARNING", logger="embedsent.curve_cli"):
        assert run(_tiny_args(tmp_path, "--report-only")) == 0
    assert "records no corpus sizes or pretraining times" in caplog.text
    text = (tmp_path / "docs" / "benchmarks.md").read_text(encoding="utf-8")
    assert "Corpus sizes are not recorded in the results file" in text
    assert "Pretraining times are not recorded in the results file" in text
    assert "vocabulary" not in text.split("### Test accuracy")[0]
    # The "all" runs still give the number of training texts.
    assert "| all (8) |" in text


def test_tiny_run_stores_every_planned_run(tiny_run):
    _, data = tiny_run
    # 2 draws at n=4 and 1 at n=8 (all), 9 (method, feature) pairs each.
    assert len(data["runs"]) == 3 * 9


def test_tiny_run_accuracies_are_valid(tiny_run):
    _, data = tiny_run
    assert all(0.0 <= run["accuracy"] <= 1.0 for run in data["runs"])


def test_tiny_run_records_versions_and_machine(tiny_run):
    _, data = tiny_run
    session = data["sessions"][0]
    assert session["packages"]["jax"]
    assert session["machine"]["cpu_count"] >= 1


def test_tiny_run_writes_plots(tiny_run):
    tmp_path, _ = tiny_run
    from embedsent.output_kinds import PNG_IMAGE, check_replaceable

    for name in ("transfer_curves.png", "transfer_features.png"):
        assert (tmp_path / "docs" / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        # The creator tag lets a rerun replace the plot.
        check_replaceable(tmp_path / "docs" / name, PNG_IMAGE, "--docs-dir")


def test_tiny_run_writes_markdown_section(tiny_run):
    tmp_path, _ = tiny_run
    text = (tmp_path / "docs" / "benchmarks.md").read_text(encoding="utf-8")
    assert f"## {SECTION_TITLE}" in text
    assert "### How many labels are enough" in text
    assert "embedsent bench transfer --data default" in text
    assert "### Paired comparisons" in text


def test_tiny_run_skips_imdb_targets(tiny_run):
    tmp_path, _ = tiny_run
    text = (tmp_path / "docs" / "benchmarks.md").read_text(encoding="utf-8")
    assert "### Targets" not in text


def test_same_draws_for_every_method(tiny_run):
    _, data = tiny_run
    seeds = {(run["n"], run["draw"], run["seed"]) for run in data["runs"]}
    assert seeds == {(4, 0, 0), (4, 1, 1), (8, 0, 0)}


def test_rerun_measures_nothing(tiny_run, monkeypatch):
    tmp_path, data = tiny_run
    calls = []

    def counting_score_run(*args, **kwargs):
        calls.append(args[1:3])
        raise AssertionError("a stored run was measured again")

    def no_pretraining(*args, **kwargs):
        raise AssertionError("cached vectors were trained again")

    monkeypatch.setattr(curves, "score_run", counting_score_run)
    monkeypatch.setattr("embedsent.trainer.train_sgns", no_pretraining)
    monkeypatch.setattr("embedsent.baseline.train_gensim_word2vec", no_pretraining)
    assert run(_tiny_args(tmp_path)) == 0
    again = json.loads((tmp_path / "results" / "transfer_curves.json").read_text())
    assert calls == []
    assert len(again["runs"]) == len(data["runs"])


def test_rerun_with_more_draws_adds_only_new_runs(tiny_run, monkeypatch):
    tmp_path, data = tiny_run
    calls = []
    monkeypatch.setattr(curves, "score_run", lambda *args: calls.append(args) or 0.5)
    assert run(_tiny_args(tmp_path, "--draws", "3")) == 0
    again = json.loads((tmp_path / "results" / "transfer_curves.json").read_text())
    keys = [RunStore.key(run) for run in again["runs"]]
    assert len(calls) == 9
    assert len(keys) == len(set(keys))
    assert len(again["runs"]) == len(data["runs"]) + 9


def test_store_rejects_other_settings(tmp_path):
    RunStore(tmp_path / "runs.json", {"seed": 0}).add(
        {"method": "transfer", "feature": "mean", "n": 4, "draw": 0, "accuracy": 1}
    )
    with pytest.raises(ValueError, match="differing: \\['seed'\\]"):
        RunStore(tmp_path / "runs.json", {"seed": 1})


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (lambda data: data.update(runs={}), "its 'runs' entry is missing or not a"),
        (lambda data: data.pop("settings"), "its 'settings' entry is missing"),
        (lambda data: data["runs"].append(3), "run 1 is a JSON number, not an"),
        (lambda data: data["runs"].append(None), "run 1 is a JSON null, not an"),
        (lambda data: data["runs"][0].pop("draw"), "run 0 has no 'draw' field"),
    ],
)
def test_store_rejects_damaged_layout(tmp_path, change, problem):
    path = tmp_path / "runs.json"
    RunStore(path, {}).add(
        {"method": "transfer", "feature": "mean", "n": 4, "draw": 0, "accuracy": 1}
    )
    data = json.loads(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(ValueError) as raised:
        RunStore.read(path)
    message = str(raised.value)
    assert message.startswith(f"learning-curve results file {path} is damaged")
    assert problem in message
    assert "move the file away or delete it to start over" in message


def test_store_saves_under_read_only_umask(tmp_path):
    path = tmp_path / "runs.json"
    previous = os.umask(0o222)
    try:
        store = RunStore(path, {})
        for draw in range(3):
            store.add(
                {
                    "method": "transfer",
                    "feature": "mean",
                    "n": 4,
                    "draw": draw,
                    "accuracy": 1,
                }
            )
    finally:
        os.umask(previous)
    assert [run["draw"] for run in RunStore.read(path).runs] == [0, 1, 2]
    assert stat.S_IMODE(path.stat().st_mode) == 0o444


def test_store_rejects_duplicate_run(tmp_path):
    store = RunStore(tmp_path / "runs.json", {})
    run = {"method": "transfer", "feature": "mean", "n": 4, "draw": 0, "accuracy": 1}
    store.add(run)
    with pytest.raises(ValueError, match="already stored"):
        store.add(run)


def test_draw_indices_are_balanced_and_repeatable():
    labels = ["pos"] * 50 + ["neg"] * 50
    first = draw_indices(labels, 10, seed=0, draw=3)
    second = draw_indices(labels, 10, seed=0, draw=3)
    np.testing.assert_array_equal(first, second)
    assert sum(labels[i] == "pos" for i in first) == 5


def test_plan_uses_fewer_draws_for_large_sizes():
    config = CurveConfig(sizes=(8, 1024, 0), draws=10, methods=("tfidf_lr",))
    plan = planned_runs(config, n_train=5000)
    per_size = {n: sum(run["n"] == n for run in plan) for n in (8, 1024, 5000)}
    assert per_size == {8: 10, 1024: 3, 5000: 1}


def test_plan_measures_all_size_once():
    config = CurveConfig(sizes=(8, 10, 0), draws=2, methods=("tfidf_lr",))
    plan = planned_runs(config, n_train=8)
    assert [(run["n"], run["size"]) for run in plan] == [(8, "all")]


def test_plan_caps_end_to_end_methods():
    config = CurveConfig(
        sizes=(8, 0), draws=1, methods=("scratch", "tfidf_lr"), finetune_max_n=100
    )
    plan = planned_runs(config, n_train=5000)
    assert {(run["method"], run["n"]) for run in plan} == {
        ("scratch", 8),
        ("tfidf_lr", 8),
        ("tfidf_lr", 5000),
    }


def test_curve_config_merges_repeated_names():
    config = CurveConfig(
        methods=("scratch", "transfer", "scratch"), features=["sif", "mean", "sif"]
    )
    assert config.methods == ("scratch", "transfer")
    assert config.features == ("sif", "mean")


def test_plan_repeated_methods_once():
    config = CurveConfig(
        sizes=(4, 4), draws=2, methods=("scratch", "scratch"), features=("mean",)
    )
    plan = planned_runs(config, n_train=100)
    keys = [(run["method"], run["feature"], run["n"], run["draw"]) for run in plan]
    assert keys == [("scratch", "mean", 4, 0), ("scratch", "mean", 4, 1)]


def test_bench_transfer_merges_repeated_options():
    args = _parse(
        "--methods", "tfidf_lr", "scratch", "tfidf_lr",
        "--features", "mean", "mean",
        "--sizes", "4", "all", "4", "0",
    )  # fmt: skip
    assert args.methods == ["tfidf_lr", "scratch"]
    assert args.features == ["mean"]
    assert args.sizes == [4, 0]


def test_bench_transfer_repeated_methods_run_once(tmp_path):
    argv = ["--no-progress", "bench", "transfer", "--data", "default"]
    argv += ["--epochs", "1", "--dim", "8", "--min-count", "1", "--toy-splits", "0"]
    argv += ["--sizes", "4", "4", "--methods", "scratch", "scratch"]
    argv += ["--features", "mean", "mean", "--draws", "1", "--finetune-steps", "5"]
    argv += ["--out-dir", str(tmp_path)]
    assert cli_main(argv) == 0
    data = json.loads((tmp_path / "transfer_curves.json").read_text(encoding="utf-8"))
    keys = [(run["method"], run["feature"], run["n"]) for run in data["runs"]]
    assert keys == [("scratch", "mean", 4)]


def test_bench_script_repeated_default_is_unchanged():
    from bench_scripts import load_script

    script = load_script("bench_transfer")
    parser = argparse.ArgumentParser()
    curve_cli.add_arguments(parser)
    methods = [*curves.METHODS, curves.METHODS[0]]
    args = parser.parse_args(["--methods", *methods, "--features", "mean", "mean"])
    assert script._changed_options(parser, args) == ["--features"]


def test_curve_fit_recovers_known_size():
    rng = np.random.default_rng(0)
    ns = np.repeat([8, 16, 32, 64, 128, 256, 512], 10)
    accuracies = 0.9 - 0.5 * ns**-0.5 + rng.normal(0, 0.002, ns.shape)
    fit = fit_learning_curve(ns, accuracies)
    # 0.9 - 0.5 / sqrt(n) = 0.8 at n = 25.
    assert labels_needed(fit, 0.8) == pytest.approx(25, rel=0.1)
    assert fit.a == pytest.approx(0.9, abs=0.01)


def test_labels_needed_beyond_range_is_none():
    fit = CurveFit(a=0.9, b=0.5, c=0.5, n_min=8, n_max=64, rmse=0.0)
    assert labels_needed(fit, 0.85) is None


def test_labels_needed_above_asymptote_is_none():
    fit = CurveFit(a=0.9, b=0.5, c=0.5, n_min=8, n_max=10**9, rmse=0.0)
    assert labels_needed(fit, 0.95) is None


def test_flat_curve_fit_raises_no_covariance_warning():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fit = fit_learning_curve([4, 8, 16], [0.5, 0.5, 0.5])
    assert fit.a == pytest.approx(0.5)


def test_curve_fit_needs_three_sizes():
    with pytest.raises(ValueError, match="3 or more sizes") as raised:
        fit_learning_curve([8, 8, 16], [0.6, 0.62, 0.7])
    # The sizes read as numbers, not as the repr of a NumPy array.
    assert str(raised.value).endswith("got 2 (sizes 8, 16)")


def test_curve_fit_error_counts_one_size():
    with pytest.raises(ValueError) as raised:
        fit_learning_curve([4, 4], [0.6, 0.62])
    assert str(raised.value).endswith("got 1 (size 4)")


def test_warns_fewer_than_three_sizes(caplog):
    caplog.set_level(logging.WARNING, logger="embedsent.curve_cli")
    curve_cli._warn_few_sizes([8, 0], 8, [])
    assert (
        "--sizes 8 all: --data has 8 training texts, which caps every size, so "
        "the runs cover 1 size(s) (8), and a learning curve needs 3 or more"
    ) in caplog.text
    assert "[8.]" not in caplog.text


def test_few_uncapped_sizes_warning_blames_no_cap(caplog):
    caplog.set_level(logging.WARNING, logger="embedsent.curve_cli")
    curve_cli._warn_few_sizes([4, 6], 20, [])
    assert (
        "--sizes 4 6: the runs cover 2 size(s) (4, 6), and a learning curve "
        "needs 3 or more to be fitted; pass 3 or more sizes up to 20"
    ) in caplog.text
    assert "caps" not in caplog.text


def test_no_size_warning_with_stored_sizes(caplog):
    caplog.set_level(logging.WARNING, logger="embedsent.curve_cli")
    curve_cli._warn_few_sizes([8, 0], 100, [{"n": 16}])
    assert caplog.text == ""


def _runs(method, feature, accuracies):
    return [
        {"method": method, "feature": feature, "n": 8, "draw": d, "accuracy": a}
        for d, a in enumerate(accuracies)
    ]


def test_paired_comparison_fields():
    runs = _runs("transfer", "mean", [0.7, 0.72, 0.69]) + _runs(
        "tfidf_lr", "ngrams", [0.6, 0.61, 0.62]
    )
    (row,) = paired_comparisons(runs, ("transfer", "mean"), ("tfidf_lr", "ngrams"))
    expected = {"n", "first", "second", "mean_difference", "low", "high"}
    assert expected | {"p_value", "wilcoxon_p", "n_pairs"} <= set(row)
    assert row["mean_difference"] == pytest.approx(0.28 / 3)
    assert row["n_pairs"] == 3


def test_paired_comparison_equal_differences_undefined():
    runs = _runs("transfer", "mean", [0.7, 0.72, 0.69]) + _runs(
        "tfidf_lr", "ngrams", [0.6, 0.62, 0.59]
    )
    (row,) = paired_comparisons(runs, ("transfer", "mean"), ("tfidf_lr", "ngrams"))
    assert row["mean_difference"] == pytest.approx(0.1)
    assert row["low"] is None
    assert row["high"] is None
    assert row["p_value"] is None
    assert row["wilcoxon_p"] is None


def test_summary_equal_draws_no_interval():
    runs = _runs("transfer", "mean", [0.7, 0.7, 0.7]) + _runs(
        "tfidf_lr", "ngrams", [0.6, 0.65, 0.7]
    )
    (equal_row,) = [row for row in summarize_runs(runs) if row["method"] == "transfer"]
    assert equal_row["low"] is None
    assert equal_row["high"] is None
    lines = format_summary(runs, 0.8, check=False).splitlines()
    equal_line = next(line for line in lines if "transfer/" in line)
    spread_line = next(line for line in lines if "tfidf_lr/" in line)
    assert equal_line.endswith(" 70.0 [no spread]    (3 draws)")
    # The padding keeps the draw counts of both rows in one column.
    assert equal_line.index("(3 draws)") == spread_line.index("(3 draws)")


def _paired_report(runs) -> str:
    return render_section(
        runs, n_train=None, target=0.8, intro=[], check=False, toy=None, images=[]
    )


def test_report_equal_differences_say_no_spread():
    runs = _runs("transfer", "mean", [0.7] * 6) + _runs(
        "tfidf_lr", "ngrams", [0.6] * 5 + [0.65]
    )
    runs += _runs("transfer_gensim", "mean", [0.6] * 6)
    section = _paired_report(runs)
    assert "| 70.0 [no spread] (6) |" in section
    paired = section.split("### Paired comparisons")[1].splitlines()
    paired_row = next(line for line in paired if line.startswith("| 8"))
    cells = [cell.strip() for cell in paired_row.strip("|").split("|")]
    # transfer - tfidf_lr has spread, transfer - transfer_gensim has none.
    assert cells[1].startswith("+9.2 [")
    assert "p=" in cells[1]
    # Six equal differences of one sign give the signed-rank p 2 / 2**6.
    assert cells[2] == "+10.0 [no spread], W=0.031"
    assert "marked [no spread]" in section


def test_report_zero_differences_have_no_test():
    runs = _runs("transfer", "mean", [0.7] * 6) + _runs(
        "transfer_gensim", "mean", [0.7] * 6
    )
    section = _paired_report(runs)
    paired_row = next(line for line in section.splitlines() if "+0.0" in line)
    assert paired_row.endswith("| +0.0 [no spread] |")


def test_paired_cell_rounded_zero_positive():
    result = {
        "mean_difference": -0.0004,
        "low": -0.01,
        "high": 0.0003,
        "p_value": 0.5,
        "wilcoxon_p": None,
    }
    assert curve_report._paired_cell(result) == "+0.0 [-1.0, +0.0] p=0.5"


def test_plot_equal_draws_leaves_band_gap(tmp_path):
    import warnings

    from embedsent.curve_output import plot_curves

    runs = [
        {"method": "scratch", "feature": "mean", "n": n, "draw": d, "accuracy": a}
        for n, accuracies in ((4, [0.5, 0.5]), (8, [0.6, 0.7]), (16, [0.8]))
        for d, a in enumerate(accuracies)
    ]
    path = tmp_path / "curves.png"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        plot_curves(runs, path, [("scratch", "mean")], "curves")
    assert path.stat().st_size > 0


def test_toy_lines_equal_splits_say_no_spread():
    from embedsent.curve_report import _toy_lines

    toy = _fake_toy(ToyConfig(splits=2))
    toy["methods"]["transfer"]["summary"].update(low=None, high=None, std=0.0)
    text = "\n".join(_toy_lines(toy))
    assert "| transfer | 82.5 | 75.0 [no spread] | 0.0 |" in text
    console = curve_cli.format_toy_summary(toy)
    assert "transfer                   75.0 [no spread between splits]; " in console


def test_targets_report_unmet_margin():
    runs = _runs("transfer", "mean", [0.64, 0.64]) + _runs(
        "tfidf_lr", "ngrams", [0.62, 0.62]
    )
    rows = {row["target"]: row for row in check_targets(runs)}
    assert rows["transfer/mean >= gensim reference"]["met"]
    assert not rows["transfer/mean >= tfidf_lr + 5 points"]["met"]


def test_summary_says_targets_are_for_whole_archive():
    runs = _runs("transfer", "mean", [0.60, 0.60]) + _runs(
        "tfidf_lr", "ngrams", [0.62, 0.62]
    )
    text = format_summary(runs, 0.8, True)
    assert "targets not met: 2 (the goals are set for the whole IMDB archive" in text
    assert "targets not met" not in format_summary(runs, 0.8, False)


def test_write_section_keeps_other_sections(tmp_path):
    path = tmp_path / "benchmarks.md"
    path.write_text(
        "# Benchmarks\n\n## SGNS speed\n\nfast\n\n"
        f"## {SECTION_TITLE}\n\nold\n\n## Later\n\nkept\n",
        encoding="utf-8",
    )
    write_section(path, f"## {SECTION_TITLE}\n\nnew\n")
    text = path.read_text(encoding="utf-8")
    assert "## SGNS speed\n\nfast" in text
    assert "new" in text
    assert "old" not in text
    assert "## Later\n\nkept" in text


def test_bench_transfer_writes_no_docs_by_default(tiny_run, monkeypatch, capsys):
    tmp_path, _ = tiny_run
    monkeypatch.chdir(tmp_path)
    args = _tiny_args(tmp_path, "--report-only", docs=False)
    assert args.docs_dir is None
    docs_before = sorted(path.name for path in (tmp_path / "docs").iterdir())
    markdown_before = (tmp_path / "docs" / "benchmarks.md").read_bytes()
    assert run(args) == 0
    for name in ("transfer_curves.png", "transfer_features.png"):
        assert (tmp_path / "results" / name).read_bytes()[:4] == b"\x89PNG"
    assert sorted(path.name for path in (tmp_path / "docs").iterdir()) == docs_before
    assert (tmp_path / "docs" / "benchmarks.md").read_bytes() == markdown_before
    assert not list(tmp_path.glob("results/*.md"))
    assert "docs: not written (pass --docs-dir DIR)" in capsys.readouterr().out


BENCH_SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "bench_transfer.py"


def _run_bench_script(cwd, *argv: str) -> subprocess.CompletedProcess:
    command = [sys.executable, str(BENCH_SCRIPT), *argv]
    return subprocess.run(command, cwd=cwd, capture_output=True, text=True)


def test_bench_script_keeps_docs_for_trial_run(tiny_run):
    tmp_path, _ = tiny_run
    markdown = tmp_path / "docs" / "benchmarks.md"
    before = markdown.read_bytes()
    results = str(tmp_path / "results")
    completed = _run_bench_script(tmp_path, "--report-only", "--out-dir", results)
    assert completed.returncode == 0, completed.stderr
    assert "not writing docs: this run changes --out-dir from the published run" in (
        completed.stderr
    )
    assert markdown.read_bytes() == before


def test_bench_script_writes_docs_when_asked(tiny_run, tmp_path):
    run_path, _ = tiny_run
    results = str(run_path / "results")
    argv = ["--report-only", "--out-dir", results, "--docs-dir", str(tmp_path)]
    completed = _run_bench_script(run_path, *argv)
    assert completed.returncode == 0, completed.stderr
    assert "not writing" not in completed.stderr
    assert SECTION_TITLE in (tmp_path / "benchmarks.md").read_text(encoding="utf-8")


def test_bench_script_defaults_docs_dir_to_docs():
    from embedsent.curve_cli import add_arguments

    parser = argparse.ArgumentParser()
    add_arguments(parser)
    assert parser.parse_args([]).docs_dir == "docs"
    assert _parse().docs_dir is None


def test_summary_intervals_stay_within_0_and_100():
    runs = [
        {"method": "transfer", "feature": "mean", "n": 4, "draw": d, "accuracy": a}
        for d, a in enumerate([0.495, 0.585])
    ]
    text = format_summary(runs, 0.8, check=False)
    assert "54.0 [  0.0, 100.0] (2 draws)" in text
    assert "-3.2" not in text


def test_summary_single_draw_has_no_interval():
    runs = [
        {"method": "transfer", "feature": "mean", "n": 4, "draw": 0, "accuracy": 0.655},
        {"method": "scratch", "feature": "mean", "n": 4, "draw": 0, "accuracy": 0.5},
        {"method": "scratch", "feature": "mean", "n": 4, "draw": 1, "accuracy": 0.6},
    ]
    text = format_summary(runs, 0.8, check=False)
    transfer_line = next(line for line in text.splitlines() if "transfer/" in line)
    scratch_line = next(line for line in text.splitlines() if "scratch/" in line)
    assert transfer_line.endswith(" 65.5 (1 draw)")
    assert "[" not in transfer_line
    assert "(2 draws)" in scratch_line
    assert "[" in scratch_line


def test_write_section_creates_missing_file(tmp_path):
    path = tmp_path / "benchmarks.md"
    write_section(path, f"## {SECTION_TITLE}\n\nnew\n")
    assert path.read_text(encoding="utf-8") == (
        f"# Benchmarks\n\n## {SECTION_TITLE}\n\nnew\n"
    )


def test_toy_experiment_reports_split_spread():
    config = ToyConfig(splits=3, sgns=ToyConfig().sgns.__class__(dim=8, epochs=2))
    result = run_toy_experiment(config)
    entry = result["methods"]["transfer"]
    assert len(entry["accuracies"]) == 3
    assert result["coin_flip_perfect"] == 0.25
    assert result["settings"]["n_test"] == 200
    assert 0.0 <= entry["small_test_perfect_share"] <= 1.0


def test_report_only_without_runs_keeps_docs(tmp_path):
    docs = tmp_path / "docs"
    docs.mkdir()
    published = docs / "benchmarks.md"
    published.write_text("# Benchmarks\n\n## Transfer learning curves\n\nkept\n")
    with pytest.raises(ValueError, match="no measured runs"):
        run(_tiny_args(tmp_path, "--report-only"))
    assert published.read_text().endswith("kept\n")
    assert not (tmp_path / "results" / "cache").exists()


def test_store_names_nested_setting_that_differs(tmp_path):
    path = tmp_path / "runs.json"
    settings = {"sgns": {"dim": 100, "add_context_vectors": True}}
    RunStore(path, settings).add(
        {"method": "transfer", "feature": "mean", "n": 4, "draw": 0, "accuracy": 1}
    )
    with pytest.raises(ValueError, match="differing: \\['sgns.dim'\\]"):
        RunStore(path, {"sgns": {"dim": 50, "add_context_vectors": True}})


def test_store_reads_runs_from_before_export_choice(tmp_path):
    path = tmp_path / "runs.json"
    RunStore(path, {"sgns": {"dim": 100}}).add(
        {"method": "transfer", "feature": "mean", "n": 4, "draw": 0, "accuracy": 1}
    )
    old = {"sgns": {"dim": 100, "add_context_vectors": False}}
    assert len(RunStore(path, old).data["runs"]) == 1
    with pytest.raises(ValueError, match="sgns.add_context_vectors"):
        RunStore(path, {"sgns": {"dim": 100, "add_context_vectors": True}})


def _fake_toy(config):
    summary = {"mean": 0.75, "low": 0.7, "high": 0.8, "std": 0.05}
    return {
        "settings": {
            "splits": config.splits,
            "n_train": 8,
            "n_test": 200,
            "n_small_test": 2,
            "n_unlabeled": 62,
            "vocabulary": 178,
        },
        "methods": {
            "transfer": {
                "summary": summary,
                "shipped_split": 0.825,
                "small_test_perfect_share": 0.57,
            }
        },
        "coin_flip_perfect": 0.25,
        "perfect_interval": [0.34, 1.0],
    }


def test_other_toy_splits_rerun_toy_experiment(tiny_run, tmp_path, monkeypatch, capsys):
    import shutil

    import embedsent.toy_experiment

    run_dir, _ = tiny_run
    shutil.copytree(run_dir / "results", tmp_path / "results")
    calls = []

    def fake(config, progress=False):
        calls.append(config.splits)
        return _fake_toy(config)

    monkeypatch.setattr(embedsent.toy_experiment, "run_toy_experiment", fake)
    for splits in ("2", "2", "3"):
        assert run(_tiny_args(tmp_path, "--toy-splits", splits, docs=False)) == 0
    assert calls == [2, 3]
    out = capsys.readouterr().out
    assert "shipped corpus: 3 random splits into 8 training and 200 test" in out
    assert "  transfer" in out
    assert "the shipped split: 82.5; splits whose first 2 test reviews are all " in out
    assert "right: 57%" in out
    assert "Pretraining reads the unlabeled reviews only" in out
    assert "a coin flip scores 100% on 2 test reviews with probability 25%" in out


def test_summary_explains_single_draw_of_all_size():
    runs = [
        {"method": "transfer", "feature": "mean", "n": 4, "draw": d, "accuracy": a}
        for d, a in enumerate([0.6, 0.7])
    ]
    runs.append(
        {
            "method": "transfer",
            "feature": "mean",
            "n": 8,
            "size": "all",
            "draw": 0,
            "accuracy": 0.75,
        }
    )
    lines = format_summary(runs, 0.8, check=False).splitlines()
    assert "  n=4" in lines
    assert (
        "  n=8 (all training texts: one fit on every text, so one draw and no interval)"
    ) in lines


def test_report_explains_single_draw_of_all_size():
    runs = [
        {"method": "transfer", "feature": "mean", "n": n, "draw": 0, "accuracy": 0.7}
        for n in (4, 8)
    ]
    options = {"target": 0.8, "intro": [], "check": False, "toy": None, "images": []}
    explanation = "The size 'all' is one fit on every training text"
    assert explanation in render_section(runs, n_train=8, **options)
    assert explanation not in render_section(runs, n_train=100, **options)


def _coverage_inputs(gensim_words: list[str]) -> CurveInputs:
    """Return inputs whose test texts "zzz" and "qqq" have no JAX vector."""
    corpus = TokenizedCorpus(
        name="synthetic",
        unlabeled=[["good", "film"], ["bad", "film"]],
        train_tokens=[["good"], ["bad"], ["good", "film"], ["bad", "film"]],
        train_labels=["pos", "neg", "pos", "neg"],
        test_tokens=[["good"], ["zzz"], ["qqq"]],
        test_labels=["pos", "neg", "pos"],
    )
    rng = np.random.default_rng(0)

    def vectors(words):
        table = rng.normal(size=(len(words), 4)).astype(np.float32)
        return WordVectors(words, table, counts=np.full(len(words), 3))

    return CurveInputs(
        corpus=corpus,
        vectors={
            "jax": vectors(["good", "bad", "film"]),
            "gensim": vectors(gensim_words),
        },
        classifier_config=ClassifierConfig(),
        finetune_config=FineTuneConfig(),
        scratch_config=FineTuneConfig(),
    )


@pytest.mark.parametrize(
    ("gensim_words", "counts"),
    [
        (["good", "bad", "film"], "2 of 3 for transfer and transfer_gensim"),
        (
            ["good", "bad", "film", "zzz"],
            "2 of 3 for transfer, 1 of 3 for transfer_gensim",
        ),
    ],
)
def test_empty_text_warning_once_per_split(
    tmp_path, monkeypatch, caplog, gensim_words, counts
):
    inputs = _coverage_inputs(gensim_words)
    monkeypatch.setattr(curves, "score_run", lambda *args: 0.5)
    config = CurveConfig(sizes=(2, 0), draws=2, methods=("transfer", "transfer_gensim"))
    store = RunStore(tmp_path / "runs.json", {})
    with caplog.at_level(logging.WARNING):
        measured = curves.run_learning_curves(inputs, config, store)
    # 2 draws at n=2 and 1 at all, for 2 methods with 3 features each.
    assert measured == (2 + 1) * 2 * 3
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert warnings == [
        "test texts with no in-vocabulary token, which get zero sentence vectors "
        f"with every feature: {counts}"
    ]


def test_ensure_folder_rejects_unwritable_parent(tmp_path, monkeypatch):
    locked = tmp_path / "locked"
    locked.mkdir()
    deny_write(monkeypatch, locked)
    folder = locked / "sub" / "deeper"
    with pytest.raises(PermissionError) as caught:
        ensure_folder(folder, "--out-dir")
    assert str(caught.value) == (
        f"--out-dir {folder}: folder {locked} is not writable; make it writable, "
        "or pass another --out-dir path"
    )
    assert not (locked / "sub").exists()


def test_ensure_folder_rejects_unwritable_folder(tmp_path, monkeypatch):
    locked = tmp_path / "locked"
    locked.mkdir()
    deny_write(monkeypatch, locked)
    with pytest.raises(PermissionError) as caught:
        ensure_folder(locked, "--docs-dir")
    assert str(caught.value) == (
        f"--docs-dir {locked}: folder {locked} is not writable; make it writable, "
        "or pass another --docs-dir path"
    )


@pytest.mark.skipif(
    hasattr(os, "geteuid") and os.geteuid() == 0,
    reason="root writes to folders whose permission bits deny writing",
)
def test_ensure_folder_rejects_folder_without_write_permission(tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o555)
    try:
        expected = "--out-dir .*: folder .* is not writable"
        with pytest.raises(PermissionError, match=expected):
            ensure_folder(locked / "sub", "--out-dir")
    finally:
        locked.chmod(0o755)


def test_ensure_folder_names_flag_when_mkdir_fails(tmp_path, monkeypatch):
    def refuse(self, *args, **kwargs):
        raise PermissionError(errno.EPERM, "Operation not permitted", str(self))

    monkeypatch.setattr(Path, "mkdir", refuse)
    folder = tmp_path / "sub"
    with pytest.raises(PermissionError) as caught:
        ensure_folder(folder, "--out-dir")
    assert str(caught.value) == (
        f"--out-dir cannot create folder {folder}: Operation not permitted; pass "
        "another folder path"
    )


def _bench_error(capsys, argv) -> str:
    """Run `embedsent bench transfer` with ``argv``; return its one error line."""
    assert cli_main(["--no-progress", "bench", "transfer", *argv]) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1
    return lines[0]


def _bench_argv(*extra: str) -> list[str]:
    base = ["--data", "default", "--sizes", "8", "--draws", "1", "--epochs", "1"]
    return [*base, *extra]


def test_bench_transfer_rejects_unwritable_out_dir_parent(
    tmp_path, monkeypatch, capsys
):
    _forbid_long_work(monkeypatch)
    locked = tmp_path / "locked"
    locked.mkdir()
    deny_write(monkeypatch, locked)
    out_dir = locked / "sub"
    line = _bench_error(capsys, _bench_argv("--out-dir", str(out_dir)))
    assert line == (
        f"embedsent bench transfer: error: --out-dir {out_dir}: folder {locked} is not "
        "writable; make it writable, or pass another --out-dir path"
    )


def test_bench_transfer_rejects_unwritable_out_dir(tmp_path, monkeypatch, capsys):
    _forbid_long_work(monkeypatch)
    locked = tmp_path / "locked"
    locked.mkdir()
    deny_write(monkeypatch, locked)
    line = _bench_error(capsys, _bench_argv("--out-dir", str(locked)))
    assert line == (
        f"embedsent bench transfer: error: --out-dir {locked}: folder {locked} is not "
        "writable; make it writable, or pass another --out-dir path"
    )
    assert not (locked / "cache").exists()


def test_bench_transfer_rejects_unwritable_cache(tmp_path, monkeypatch, capsys):
    _forbid_long_work(monkeypatch)
    cache = tmp_path / "results" / "cache"
    cache.mkdir(parents=True)
    deny_write(monkeypatch, cache)
    line = _bench_error(capsys, _bench_argv("--out-dir", str(cache.parent)))
    assert line == (
        f"embedsent bench transfer: error: --out-dir {cache}: folder {cache} is not "
        "writable; make it writable, or pass another --out-dir path"
    )


def test_bench_transfer_rejects_unwritable_docs_dir(tmp_path, monkeypatch, capsys):
    _forbid_long_work(monkeypatch)
    locked = tmp_path / "locked"
    locked.mkdir()
    deny_write(monkeypatch, locked)
    docs = locked / "docs"
    argv = _bench_argv("--out-dir", str(tmp_path / "results"), "--docs-dir", str(docs))
    line = _bench_error(capsys, argv)
    assert line == (
        f"embedsent bench transfer: error: --docs-dir {docs}: folder {locked} is not "
        "writable; make it writable, or pass another --docs-dir path"
    )
    assert not (tmp_path / "results").exists()


def test_report_only_rejects_unwritable_plot_folder(tiny_run, tmp_path, monkeypatch):
    run_dir, _ = tiny_run
    results = _copy_results(run_dir, tmp_path)
    deny_write(monkeypatch, results.parent)
    args = _tiny_args(tmp_path, "--report-only", docs=False)
    with pytest.raises(PermissionError, match="--out-dir .* is not writable"):
        run(args)


def test_truncated_results_file_named_with_fix(tmp_path):
    path = tmp_path / "transfer_curves.json"
    RunStore(path, {"seed": 0}).add(
        {"method": "transfer", "feature": "mean", "n": 4, "draw": 0, "accuracy": 1}
    )
    path.write_text(path.read_text(encoding="utf-8")[:40], encoding="utf-8")
    with pytest.raises(ValueError) as raised:
        RunStore(path, {"seed": 0})
    message = str(raised.value)
    assert f"learning-curve results file {path} is damaged or truncated" in message
    assert "embedsent writes it atomically" in message
    assert "move the file away or delete it to start over" in message


def test_damaged_token_cache_says_delete(tmp_path):
    options = {"max_per_class": 2, "max_unlabeled": 5, "seed": 0}
    options.update(text_config=TextConfig(), cache_dir=tmp_path)
    load_tokenized_corpus("default", **options)
    (cache,) = tmp_path.glob("tokens-*.json.gz")
    cache.write_bytes(cache.read_bytes()[:30])
    with pytest.raises(ValueError) as raised:
        load_tokenized_corpus("default", **options)
    message = str(raised.value)
    assert f"benchmark cache file {cache} is damaged or truncated" in message
    assert "delete it, and the next run tokenizes the corpus again" in message


def test_damaged_vector_cache_says_delete(tmp_path, monkeypatch):
    fake = WordVectors(["good", "bad"], np.eye(2, dtype=np.float32), np.array([2, 1]))
    monkeypatch.setattr(
        baseline, "train_gensim_word2vec", lambda tokens, **options: fake
    )
    options = {
        "sgns_config": SGNSConfig(dim=2),
        "vocab_config": VocabConfig(min_count=1),
        "corpus_key": "corpus",
        "cache_dir": tmp_path,
    }
    pretrained_vectors("gensim", [["good", "bad"]], **options)
    (cache,) = tmp_path.glob("vectors-gensim-*.npz")
    cache.write_bytes(cache.read_bytes()[:100])
    with pytest.raises(ValueError) as raised:
        pretrained_vectors("gensim", [["good", "bad"]], **options)
    message = str(raised.value)
    assert f"{cache} is damaged or truncated" in message
    assert "delete it, and the next run trains the vectors again" in message


def test_plot_without_series_rows_warns_nothing(tmp_path):
    import warnings

    from embedsent.curve_output import plot_curves

    runs = [
        {"method": "scratch", "feature": "mean", "n": 4, "draw": d, "accuracy": a}
        for d, a in enumerate([0.5, 0.75])
    ]
    path = tmp_path / "features.png"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        plot_curves(runs, path, [("transfer", "sif")], "features")
    assert path.stat().st_size > 0


@pytest.mark.parametrize(
    ("script", "argv", "prefix"),
    [
        ("bench_transfer", ["--report-only", "--docs", "x"], "--docs"),
        ("bench_seeds", ["--seed", "0"], "--seed"),
        ("bench_pretrain_memory", ["--epoch", "1"], "--epoch"),
        ("prepare_gpu_bench", ["--no-wheel"], "--no-wheel"),
    ],
)
def test_benchmark_scripts_reject_option_prefixes(script, argv, prefix, capsys):
    with pytest.raises(SystemExit) as stopped:
        load_script(script).main(argv)
    assert stopped.value.code == 2
    assert f"unrecognized arguments: {prefix}" in capsys.readouterr().err


def test_summary_gives_shared_fit_error_once():
    runs = _runs("transfer", "mean", [0.7, 0.72]) + _runs(
        "tfidf_lr", "ngrams", [0.6, 0.61]
    )
    lines = format_summary(runs, 0.8, check=False).splitlines()
    failed = [line for line in lines if "not fitted" in line]
    assert len(failed) == 1
    assert failed[0].startswith("  every method")


@pytest.mark.parametrize(
    ("flag", "value", "message"),
    [
        ("--target-accuracy", "5", "must be between 0 and 1, got 5"),
        ("--target-accuracy", "0", "must be between 0 and 1, got 0"),
        ("--toy-splits", "1", "must be 0 (skip) or at least 2, got 1"),
        ("--toy-splits", "-1", "must be 0 (skip) or at least 2, got -1"),
    ],
)
def test_bench_transfer_range_errors_while_parsing(
    tmp_path, capsys, flag, value, message
):
    from embedsent.cli import main

    out_dir = tmp_path / "results"
    with pytest.raises(SystemExit) as raised:
        main(["bench", "transfer", "--out-dir", str(out_dir), flag, value])
    assert raised.value.code == 2
    assert f"argument {flag}: {message}" in capsys.readouterr().err
    assert not out_dir.exists()
