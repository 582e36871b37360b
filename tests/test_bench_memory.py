"""The pretraining memory benchmark script, on the shipped corpus."""

import importlib.util
import json
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "bench_pretrain_memory.py"


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("bench_pretrain_memory", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_memory_benchmark_reports_each_mode(bench, tmp_path, capsys):
    out = tmp_path / "memory.json"
    modes = ["embedsent-stream", "gensim-stream"]
    assert bench.main(["--data", "default", "--modes", *modes, "--json", str(out)]) == 0
    report = json.loads(out.read_text(encoding="utf-8"))
    results = report["results"]
    assert [row["mode"] for row in results] == modes
    # Same texts and settings, so both trainers keep the same words.
    assert len({row["vocabulary"] for row in results}) == 1
    assert len({row["texts"] for row in results}) == 1
    for row in results:
        assert row["peak_rss_mb"] >= row["rss_after_loading_texts_mb"] > 0
    printed = capsys.readouterr().out
    assert "embedsent-stream" in printed
    assert "gensim-stream" in printed


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--epochs", "0"], "--epochs must be at least 1, got 0"),
        (["--gensim-workers", "0"], "--gensim-workers must be at least 1, got 0"),
        (["--data", "no/such/folder"], "--data no/such/folder does not exist"),
        (["--data", "default", "--json", "no/such/out.json"], "does not exist"),
        (["--data", "default", "--json", "."], "--json . is a folder"),
    ],
)
def test_memory_benchmark_rejects_bad_flags(bench, capsys, argv, message):
    with pytest.raises(SystemExit) as raised:
        bench.main(argv)
    assert raised.value.code == 2
    assert message in capsys.readouterr().err
