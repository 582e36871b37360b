"""The pretraining-seed benchmark script, on the shipped corpus."""

import json

import numpy as np
import pytest
from bench_scripts import load_script


@pytest.fixture(scope="module")
def bench():
    return load_script("bench_seeds")


def test_seed_benchmark_scores_every_seed(bench, tmp_path, capsys):
    out = tmp_path / "seeds.json"
    argv = ["--data", "default", "--seeds", "0", "1", "--sizes", "4", "8"]
    argv += ["--draws", "2", "--gensim-workers", "1"]
    argv += ["--cache-dir", str(tmp_path / "cache"), "--json", str(out)]
    assert bench.main(argv) == 0
    runs = json.loads(out.read_text(encoding="utf-8"))["runs"]
    assert len(runs) == 2 * 2 * 2
    assert {(r["trainer"], r["seed"]) for r in runs} == {
        (trainer, seed) for trainer in ("jax", "gensim") for seed in (0, 1)
    }
    assert all(len(r["accuracies"]) == 2 for r in runs)
    assert all(0 <= a <= 1 for r in runs for a in r["accuracies"])
    table = capsys.readouterr().out.splitlines()
    assert table[0].startswith("| n | JAX vectors | gensim vectors")
    assert [row.split("|")[1].strip() for row in table[2:]] == ["4", "8"]


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
        (["--draws", "0"], "--draws must be >= 1"),
        (["--gensim-workers", "0"], "--gensim-workers must be >= 1"),
        (["--data", "/nonexistent/acl"], "--data /nonexistent/acl: not found"),
        (["--data", "default", "--sizes", "64"], "exceeds the 8 balanced"),
    ],
)
def test_seed_benchmark_rejects_bad_options(bench, tmp_path, capsys, argv, message):
    argv = [*argv, "--cache-dir", str(tmp_path / "cache")]
    if "--data" not in argv:
        argv += ["--data", "default"]
    assert bench.main(argv) == 2
    assert message in capsys.readouterr().err
