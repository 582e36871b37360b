"""The model-selection benchmark script, on the shipped corpus."""

import json
import shutil

import pytest
from bench_scripts import load_script

from embedsent.config import ClassifierConfig

TINY = ["--sizes", "4", "--draws", "2", "--repeats", "1", "--folds", "2"]
TINY += ["--hidden-sizes", "0", "--weight-decays", "10", "--features", "mean"]


@pytest.fixture(scope="module")
def bench():
    return load_script("bench_selection")


@pytest.fixture(scope="module")
def prepared(bench, tmp_path_factory):
    """A folder of features that ``prepare`` wrote from the shipped corpus."""
    root = tmp_path_factory.mktemp("selection")
    out = root / "prepared"
    argv = ["prepare", "--data", "default", "--out", str(out)]
    argv += ["--cache", str(root / "cache"), "--gensim-workers", "1"]
    assert bench.main(argv) == 0
    return out


@pytest.fixture
def out(prepared, tmp_path):
    folder = tmp_path / "out"
    shutil.copytree(prepared, folder)
    return folder


def _fails(bench, capsys, argv) -> str:
    with pytest.raises(SystemExit) as raised:
        bench.main(argv)
    assert raised.value.code == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return err


def _rows(out) -> list[dict]:
    lines = (out / "runs.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines]


def test_prepare_records_machine_and_versions(prepared):
    report = json.loads((prepared / "prepare.json").read_text(encoding="utf-8"))
    assert report["settings"] == {"data": "default", "seed": 0}
    assert report["machine"]["cpu_model"]
    assert set(report["machine"]["versions"]) >= {"embedsent", "gensim", "jax"}


def test_same_settings_rerun_resumes(bench, out):
    assert bench.main(["measure", "--out", str(out), *TINY]) == 0
    first = _rows(out)
    assert [(row["n"], row["draw"]) for row in first] == [(4, 0), (4, 1)]
    more = [*TINY[:3], "3", *TINY[4:]]  # --draws 3 extends the run
    assert bench.main(["measure", "--out", str(out), *more]) == 0
    assert _rows(out)[:2] == first
    assert len(_rows(out)) == 3
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["settings"]["weight_decays"] == [10.0]
    assert summary["rows"][0]["draws"] == 3
    assert "versions" in summary["machine"]


@pytest.mark.parametrize(
    ("changed", "named"),
    [
        (["--seed", "1"], "seed 0 before, 1 now"),
        (["--folds", "3"], "folds 2 before, 3 now"),
        (["--repeats", "2"], "repeats 1 before, 2 now"),
        (["--hidden-sizes", "16"], "hidden_sizes [0] before, [16] now"),
        (["--weight-decays", "1"], "weight_decays [10.0] before, [1.0] now"),
    ],
)
def test_rerun_with_other_settings_refused(bench, out, capsys, changed, named):
    assert bench.main(["measure", "--out", str(out), *TINY]) == 0
    capsys.readouterr()
    err = _fails(bench, capsys, ["measure", "--out", str(out), *TINY, *changed])
    assert named in err
    assert "use another --out" in err
    assert len(_rows(out)) == 2


def test_cut_off_last_line_runs_again(bench, out, caplog):
    assert bench.main(["measure", "--out", str(out), *TINY]) == 0
    runs = out / "runs.jsonl"
    text = runs.read_text(encoding="utf-8")
    runs.write_text(text[:-30], encoding="utf-8")
    assert bench.main(["summarize", "--out", str(out)]) == 0
    assert "line 2 is cut off" in caplog.text
    assert bench.main(["measure", "--out", str(out), *TINY]) == 0
    assert [(row["n"], row["draw"]) for row in _rows(out)] == [(4, 0), (4, 1)]


def test_damaged_middle_line_is_named(bench, out, capsys):
    assert bench.main(["measure", "--out", str(out), *TINY]) == 0
    runs = out / "runs.jsonl"
    lines = runs.read_text(encoding="utf-8").splitlines()
    runs.write_text(f'{{"n": 4, "dr\n{lines[1]}\n', encoding="utf-8")
    err = _fails(bench, capsys, ["summarize", "--out", str(out)])
    assert f"{runs} line 1 is not a complete run row" in err


def test_size_above_training_set_rejected(bench, out, capsys):
    err = _fails(bench, capsys, ["measure", "--out", str(out), *TINY, "--sizes", "100"])
    assert "--sizes 100 exceeds the 8 balanced training texts" in err


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--draws", "-3"], "argument --draws: must be >= 1"),
        (["--sizes", "0"], "argument --sizes: must be >= 1"),
        (["--folds", "0"], "argument --folds: must be >= 2"),
        (["--repeats", "0"], "argument --repeats: must be >= 1"),
        (["--hidden-sizes", "-1"], "argument --hidden-sizes: must be >= 0"),
    ],
)
def test_bad_measure_values_rejected(bench, out, capsys, flags, message):
    err = _fails(bench, capsys, ["measure", "--out", str(out), *flags])
    assert message in err


def test_measure_before_prepare_says_prepare(bench, tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    err = _fails(bench, capsys, ["measure", "--out", str(tmp_path / "empty")])
    assert "run `bench_selection.py prepare" in err


def test_prepare_bad_out_or_data(bench, tmp_path, capsys):
    (tmp_path / "file").write_text("x", encoding="utf-8")
    err = _fails(bench, capsys, ["prepare", "--out", str(tmp_path / "file")])
    assert f"--out {tmp_path / 'file'} is a file" in err
    argv = ["prepare", "--data", str(tmp_path / "missing"), "--out"]
    err = _fails(bench, capsys, [*argv, str(tmp_path / "new")])
    assert "not found" in err
    assert not (tmp_path / "new").exists()


def test_help_shows_default_grid(bench, capsys):
    with pytest.raises(SystemExit):
        bench.main(["--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "(default: [0.001, 1.0, 10.0])" in text
    assert ClassifierConfig().weight_decay in bench.DEFAULT_WEIGHT_DECAYS
