"""The pretraining-seed benchmark script, on the shipped corpus."""

import argparse
import json

import numpy as np
import pytest
from bench_scripts import load_script

from embedsent.storage import as_report


@pytest.fixture(scope="module")
def bench():
    return load_script("bench_seeds")


def test_seed_benchmark_scores_every_seed(bench, tmp_path, capsys):
    out = tmp_path / "seeds.json"
    argv = ["--data", "default", "--seeds", "0", "1", "--sizes", "4", "8"]
    argv += ["--draws", "2", "--gensim-workers", "1"]
    argv += ["--cache-dir", str(tmp_path / "cache"), "--json", str(out)]
    assert bench.main(argv) == 0
    report = json.loads(out.read_text(encoding="utf-8"))
    assert next(iter(report)) == "embedsent_report"
    runs = report["runs"]
    assert report["machine"]["cpu_model"]
    assert set(report["machine"]["versions"]) >= {"embedsent", "gensim", "jax"}
    assert len(runs) == 2 * 2 * 2
    assert {(r["trainer"], r["seed"]) for r in runs} == {
        (trainer, seed) for trainer in ("jax", "gensim") for seed in (0, 1)
    }
    assert all(len(r["accuracies"]) == 2 for r in runs)
    assert all(0 <= a <= 1 for r in runs for a in r["accuracies"])
    table = capsys.readouterr().out.splitlines()
    assert table[0].startswith("| n | JAX vectors | gensim vectors")
    assert [row.split("|")[1].strip() for row in table[2:]] == ["4", "8"]


def test_holdout_texts_left_out_of_pretraining_and_draws(bench):
    from embedsent.curve_data import TokenizedCorpus

    train = [[f"train{i}"] for i in range(10)]
    corpus = TokenizedCorpus(
        name="synthetic",
        unlabeled=[["unlabeled"]],
        train_tokens=train,
        train_labels=["pos", "neg"] * 5,
        test_tokens=[["test"]],
        test_labels=["pos"],
    )
    split = bench.split_corpus(corpus, 4)
    held = [tokens[0] for tokens in split.scored_tokens]
    pool = [tokens[0] for tokens in split.pool_tokens]
    pretrained = [tokens[0] for tokens in split.pretrain_tokens]
    assert len(held) == 4
    assert sorted(held + pool) == sorted(tokens[0] for tokens in train)
    assert not set(held) & set(pretrained)
    assert pretrained == ["unlabeled", *pool]
    assert split.scored_labels == [corpus.train_labels[int(w[5:])] for w in held]
    assert bench.split_corpus(corpus, 4) == split
    assert bench.split_corpus(corpus, 0).scored_tokens == [["test"]]


def test_holdout_run_scores_held_out_texts(bench, tmp_path, capsys):
    out = tmp_path / "seeds.json"
    argv = ["--data", "default", "--seeds", "0", "1", "--sizes", "2"]
    argv += ["--draws", "3", "--gensim-workers", "1", "--holdout", "2"]
    argv += ["--cache-dir", str(tmp_path / "cache"), "--json", str(out)]
    assert bench.main(argv) == 0
    report = json.loads(out.read_text(encoding="utf-8"))
    assert report["settings"]["holdout"] == 2
    assert report["settings"]["scored_texts"] == 2
    # Accuracy on 2 held-out texts is 0, 0.5 or 1.
    assert all(a in (0.0, 0.5, 1.0) for r in report["runs"] for a in r["accuracies"])
    table = capsys.readouterr().out.splitlines()
    assert "paired by draw" in table[0]
    assert table[2].endswith("of 3 |")


def test_jax_setting_changes_only_the_jax_vectors(bench, tmp_path):
    out = tmp_path / "seeds.json"
    cache = tmp_path / "cache"
    argv = ["--data", "default", "--seeds", "0", "1", "--sizes", "4"]
    argv += ["--draws", "2", "--gensim-workers", "1", "--cache-dir", str(cache)]
    assert bench.main([*argv, "--json", str(out)]) == 0
    first = sorted(path.name for path in cache.iterdir())
    argv += ["--jax-setting", "repeat_damping=0.25", "--jax-setting", "batch_size=16"]
    assert bench.main([*argv, "--json", str(out)]) == 0
    report = json.loads(out.read_text(encoding="utf-8"))
    assert report["settings"]["jax_settings"] == {
        "repeat_damping": 0.25,
        "batch_size": 16,
    }
    added = sorted(set(path.name for path in cache.iterdir()) - set(first))
    # Two new JAX vector sets; the gensim vectors came from the cache.
    assert len(added) == 2
    assert all(name.startswith("vectors-jax-") for name in added)


def test_paired_interval_averages_seeds_per_draw(bench):
    runs = [
        {"trainer": "jax", "seed": 0, "n": 8, "accuracies": [0.60, 0.70, 0.80]},
        {"trainer": "jax", "seed": 1, "n": 8, "accuracies": [0.62, 0.72, 0.78]},
        {"trainer": "gensim", "seed": 0, "n": 8, "accuracies": [0.60, 0.70, 0.70]},
        {"trainer": "gensim", "seed": 1, "n": 8, "accuracies": [0.60, 0.72, 0.70]},
    ]
    mean, low, high, wins = bench.paired_interval(runs, 8)
    differences = np.array([1.0, 0.0, 9.0])
    assert mean == pytest.approx(differences.mean())
    assert low < mean < high
    assert wins == 2


def test_welch_interval_matches_scipy(bench):
    from scipy import stats

    first, second = np.array([1.0, 2.0, 3.0]), np.array([2.0, 4.0, 6.0, 8.0])
    difference, low, high = bench.welch_interval(first, second)
    expected = stats.ttest_ind(first, second, equal_var=False).confidence_interval()
    assert difference == pytest.approx(-3.0)
    assert low == pytest.approx(expected.low)
    assert high == pytest.approx(expected.high)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--seeds", "0"], "pass at least 2 distinct seeds"),
        (["--seeds", "1", "1"], "pass at least 2 distinct seeds"),
        (["--seeds", "0", "-1"], "--seeds must be >= 0"),
        (["--sizes", "1"], "--sizes must be >= 2"),
        (["--draws", "0"], "--draws must be from 1 to 1000"),
        (["--seeds", "0", "4294967296"], "SGNSConfig.seed takes 0 to 4294967295"),
        (["--sizes", "4", "5"], "--sizes 5 is odd"),
        (["--gensim-workers", "100000"], "--gensim-workers must be <= 1024"),
        (["--json", "no/such/out.json"], "folder no/such does not exist"),
        (["--json", "."], "names a folder, not a file"),
        (["--gensim-workers", "0"], "--gensim-workers must be >= 1"),
        (["--data", "/nonexistent/acl"], "--data /nonexistent/acl: not found"),
        (["--data", "default", "--sizes", "64"], "exceeds the 8 balanced"),
        (["--holdout", "-1"], "--holdout must be >= 0"),
        (["--holdout", "8"], "--holdout 8 leaves none of the 8 training texts"),
        (["--holdout", "6", "--sizes", "8"], "balanced training texts left by"),
        (["--jax-setting", "batch_size"], "has no '='; pass NAME=VALUE"),
        (
            ["--jax-setting", "batch_size=16", "--jax-setting", "batch_size=32"],
            "batch_size is set twice; pass each field once",
        ),
        (["--jax-setting", "dim=50"], "'dim' is not a field that only the JAX"),
        (["--jax-setting", "batch_size=six"], "'six' is not JSON; pass a number"),
        (["--jax-setting", "batch_size=0"], "batch_size must be >= 1, got 0"),
    ],
)
def test_seed_benchmark_rejects_bad_options(bench, tmp_path, capsys, argv, message):
    argv = [*argv, "--cache-dir", str(tmp_path / "cache")]
    if "--data" not in argv:
        argv += ["--data", "default"]
    assert bench.main(argv) == 2
    assert message in capsys.readouterr().err


def test_json_keeps_other_command_report(bench, tmp_path):
    report = tmp_path / "report.json"
    report.write_text(json.dumps(as_report("bench_seeds", {})), encoding="utf-8")
    args = argparse.Namespace(data="default", json=str(report))
    assert bench.check_json(args) is None
    report.write_text(json.dumps(as_report("compare", {})), encoding="utf-8")
    problem = bench.check_json(args)
    assert problem is not None
    assert "is the JSON report of `embedsent compare`" in problem
    assert "benchmarks/bench_seeds.py would replace it" in problem


def test_data_folder_without_aclimdb_rejected(bench, tmp_path, capsys):
    argv = ["--data", str(tmp_path), "--cache-dir", str(tmp_path / "cache")]
    assert bench.main(argv) == 2
    err = capsys.readouterr().err
    assert f"--data {tmp_path} is a folder without train/ and test/" in err
    assert "Traceback" not in err


def test_interrupt_prints_one_line(bench, monkeypatch, capsys):
    def interrupted(args):
        raise KeyboardInterrupt

    monkeypatch.setattr(bench, "run", interrupted)
    assert bench.main(["--data", "default"]) == 130
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert line.startswith("bench_seeds: interrupted; a rerun reuses the vectors")
