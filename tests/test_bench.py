import gzip
import importlib.metadata
import logging
import os
import re
import tarfile

import numpy as np
import pytest

from embedsent import bench
from embedsent.bench import (
    BenchConfig,
    CorpusTooSmallError,
    DeviceCountError,
    PrivateMemorySampler,
    TokenFileError,
    TrialError,
    _child,
    _child_environment,
    format_summary,
    memory_status,
    run_trial,
    summarize,
)
from embedsent.cli import main
from embedsent.evaluate import word_analogies, word_similarity
from embedsent.vectors import WordVectors

WORDS = [f"w{i}" for i in range(40)]


@pytest.fixture(scope="module")
def tokens_file(tmp_path_factory):
    rng = np.random.default_rng(0)
    path = tmp_path_factory.mktemp("bench") / "tokens.txt"
    lines = [" ".join(rng.choice(WORDS, size=30)) for _ in range(200)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _spec(tokens_file, trainer, **extra):
    return {
        "tokens": str(tokens_file),
        "trainer": trainer,
        "dim": 8,
        "window": 2,
        "negative": 2,
        "sample": 0.0,
        "min_count": 1,
        "alpha": 0.025,
        "batch_size": 32,
        "n_devices": 1,
        "platform": "cpu",
        "seed": 0,
        "epochs": 1,
        "quality": False,
        **extra,
    }


@pytest.mark.parametrize("trainer", ["embedsent", "gensim"])
def test_trial_records_speed_and_memory(tokens_file, trainer):
    record = run_trial(_spec(tokens_file, trainer, workers=1))
    assert record["raw_words"] == 200 * 30
    assert record["vocab_size"] == len(WORDS)
    assert record["words_per_second"] > 0
    assert record["base_rss_mb"] > 0
    # Linux syncs per-thread RSS counters lazily, so a peak can read a few MB
    # below a sample taken just before.
    assert record["peak_rss_mb"] >= record["base_rss_mb"] - 16
    assert record["base_private_mb"] > 0
    assert record["peak_private_mb"] >= record["base_private_mb"] - 16
    assert record["peak_private_mb"] <= record["peak_rss_mb"] + 16


def test_child_peak_excludes_parent_memory(tokens_file):
    # ru_maxrss keeps the parent's peak across exec; the child's own peak
    # must not include the 400 MB this process holds.
    ballast = np.ones(50_000_000)
    parent = memory_status()["VmRSS"]
    record = _child(_spec(tokens_file, "gensim", workers=1))
    assert ballast.sum() == 50_000_000
    assert record["peak_rss_mb"] < parent - 300


def test_sampler_sees_short_allocation():
    with PrivateMemorySampler(interval=0.001) as sampler:
        start = memory_status()["RssAnon"]
        block = np.ones(25_000_000)
        block.sum()
        del block
    assert sampler.peak_mb >= start + 150


def test_trial_repeat_multiplies_corpus(tokens_file):
    record = run_trial(_spec(tokens_file, "embedsent", repeat=2))
    assert record["raw_words"] == 2 * 200 * 30


def _record(trainer, speed, peak, base, private=None, base_private=None):
    return {
        "trainer": trainer,
        "epochs": 1,
        "words_per_second": speed,
        "peak_rss_mb": peak,
        "base_rss_mb": base,
        "peak_private_mb": private,
        "base_private_mb": base_private,
        "compile_seconds": 1.0 if trainer == "embedsent" else 0.0,
        "quality": {"wordsim353": 0.5, "simlex999": 0.3, "analogy": None},
    }


def test_summary_pairs_ratios_and_added_memory():
    trials = [
        _record("embedsent", 300.0, 900.0, 700.0, 600.0, 500.0),
        _record("gensim-w2", 100.0, 750.0, 700.0, 540.0, 500.0),
        _record("embedsent", 200.0, 950.0, 700.0, 580.0, 500.0),
        _record("gensim-w2", 200.0, 760.0, 700.0, 530.0, 500.0),
    ]
    rows = {row["trainer"]: row for row in summarize(trials)}
    assert rows["embedsent"]["median_words_per_second"] == 250.0
    assert rows["embedsent"]["added_rss_mb"] == 250.0
    assert rows["gensim-w2"]["added_rss_mb"] == 60.0
    assert rows["embedsent"]["peak_private_mb"] == 600.0
    assert rows["gensim-w2"]["added_private_mb"] == 40.0
    # Ratios pair the i-th trials: 300/100 and 200/200.
    assert rows["gensim-w2"]["embedsent_ratio_median"] == 2.0
    assert rows["embedsent"]["analogy"] is None


def test_quality_records_similarity_pairs():
    words = ["love", "sex", "tiger", "cat", "book", "paper", "computer", "keyboard"]
    vectors = WordVectors(words, np.random.default_rng(0).normal(size=(8, 4)))
    quality = bench._quality(vectors)
    scored = word_similarity(vectors, "wordsim353")
    assert quality["wordsim353"] == scored.spearman
    assert quality["wordsim353_pairs"] == scored.n_pairs
    assert quality["wordsim353_pairs"] >= 4
    assert quality["wordsim353_total_pairs"] == 353
    # No SimLex-999 pair has both words among these eight.
    assert quality["simlex999"] is None
    assert quality["simlex999_pairs"] is None
    assert quality["simlex999_total_pairs"] is None


def test_quality_records_analogy_coverage():
    words = ["athens", "greece", "baghdad", "iraq", "bangkok", "thailand"]
    vectors = WordVectors(words, np.random.default_rng(0).normal(size=(6, 4)))
    quality = bench._quality(vectors)
    answered = word_analogies(vectors)
    assert quality["analogy"] == answered.accuracy
    assert quality["analogy_questions"] == answered.n_questions
    assert quality["analogy_questions"] >= 1
    assert quality["analogy_total_questions"] == 19544


def test_quality_without_analogy_questions_records_none():
    words = ["love", "sex", "tiger", "cat"]
    vectors = WordVectors(words, np.random.default_rng(0).normal(size=(4, 4)))
    quality = bench._quality(vectors)
    assert quality["analogy"] is None
    assert quality["analogy_questions"] is None
    assert quality["analogy_total_questions"] is None


def test_summary_prints_similarity_pairs():
    trials = [_record("embedsent", 300.0, 900.0, 700.0) for _ in range(2)]
    trials[0]["quality"].update(wordsim353_pairs=12, wordsim353_total_pairs=353)
    trials[1]["quality"].update(wordsim353_pairs=12, wordsim353_total_pairs=353)
    (row,) = summarize(trials)
    assert row["wordsim353"] == 0.5
    assert row["wordsim353_pairs"] == 12
    assert row["wordsim353_total_pairs"] == 353
    # These records come from reports written before trials counted pairs.
    assert row["simlex999_pairs"] is None
    report = {
        "machine": {"processor": "x86", "cpu_count": 2, "platform": "L", "jax": "0"},
        "summary": [row],
        "sweeps": {},
    }
    lines = format_summary(report).splitlines()
    header = lines[2].split()
    cells = lines[3].split()
    assert header[-6:] == ["WS353", "pairs", "SL999", "pairs", "analogy", "questions"]
    assert cells[-3:] == ["0.500", "12/353", "0.300"]
    assert any(line.startswith("WS353, SL999: Spearman") for line in lines)


def _right_edges(line: str) -> list[int]:
    """Return the end offset of each word of ``line`` but the first.

    The first column is left-aligned. The headers "RSS MB", "priv MB" and
    "compile s" name one column each, so their first words are skipped.
    """
    words = list(re.finditer(r"\S+", line))[1:]
    skipped = {"RSS", "priv", "compile"}
    return [word.end() for word in words if word.group() not in skipped]


def test_summary_columns_align_with_header():
    trial = _record("embedsent", 300.0, 900.0, 700.0, 600.0, 500.0)
    trial["quality"] = {
        "wordsim353": 0.5,
        "wordsim353_pairs": 12,
        "wordsim353_total_pairs": 353,
        "simlex999": 0.25,
        "simlex999_pairs": 40,
        "simlex999_total_pairs": 999,
        "analogy": 0.125,
        "analogy_questions": 5123,
        "analogy_total_questions": 19544,
    }
    baseline = _record("gensim-w2", 100.0, 750.0, 700.0, 540.0, 500.0)
    baseline["quality"] = dict(trial["quality"])
    report = {
        "machine": {"processor": "x86", "cpu_count": 2, "platform": "L", "jax": "0"},
        "summary": summarize([trial, baseline]),
        "sweeps": {},
    }
    lines = format_summary(report).splitlines()
    header, row = lines[2], lines[4]
    assert row.split()[0] == "gensim-w2"
    assert len(row) == len(header)
    assert _right_edges(header) == _right_edges(row)
    assert row.split()[-2:] == ["0.125", "5123/19544"]
    assert header.split()[-2:] == ["analogy", "questions"]


def test_summary_headers_separate_and_align():
    # Quality scores are None when the trials ran without evaluation files.
    trial = _record("embedsent", 372.0, 349.0, 163.0, 214.0, 72.0)
    baseline = _record("gensim-w1", 273678.0, 109.0, 106.0, 68.0, 65.0)
    for record in (trial, baseline):
        record["quality"] = {"wordsim353": None, "simlex999": None, "analogy": None}
    report = {
        "machine": {"processor": "x86", "cpu_count": 2, "platform": "L", "jax": "0"},
        "summary": summarize([trial, baseline]),
        "sweeps": {},
    }
    lines = format_summary(report).splitlines()
    header, rows = lines[2], lines[3:5]
    # Two or more spaces separate the headers, so "RSS MB" and "+RSS" are two.
    assert re.split(r" {2,}", header) == [name for name, _ in bench._SUMMARY_COLUMNS]
    # The embedsent row has no ratio, so its cells end under 7 headers.
    for row, cells in zip(rows, (7, 8), strict=True):
        assert row == row.rstrip()
        edges = _right_edges(row)
        assert len(edges) == cells
        assert set(edges) <= set(_right_edges(header))


def test_summary_reports_analogy_coverage():
    trials = [_record("embedsent", 300.0, 900.0, 700.0) for _ in range(2)]
    for trial, scored in zip(trials, (5123, 5120), strict=True):
        trial["quality"].update(
            analogy=0.125, analogy_questions=scored, analogy_total_questions=19544
        )
    (row,) = summarize(trials)
    assert row["analogy_questions"] == 5120
    assert row["analogy_total_questions"] == 19544
    report = {
        "machine": {"processor": "x86", "cpu_count": 2, "platform": "L", "jax": "0"},
        "summary": [row],
        "sweeps": {},
    }
    lines = format_summary(report).splitlines()
    assert lines[3].split()[-2:] == ["0.125", "5120/19544"]
    assert any(line.startswith("analogy: 3CosAdd accuracy") for line in lines)


def test_summary_leaves_old_analogy_coverage_empty():
    # Records written before trials counted questions have no such fields.
    (row,) = summarize([_record("embedsent", 300.0, 900.0, 700.0)])
    assert row["analogy_questions"] is None
    assert row["analogy_total_questions"] is None
    report = {
        "machine": {"processor": "x86", "cpu_count": 2, "platform": "L", "jax": "0"},
        "summary": [row],
        "sweeps": {},
    }
    lines = format_summary(report).splitlines()
    assert lines[3].rstrip().endswith("0.300")


def test_summary_without_baseline_leaves_added_empty():
    trial = _record("embedsent", 300.0, 900.0, None)
    (row,) = summarize([trial])
    assert row["added_rss_mb"] is None
    report = {
        "machine": {
            "processor": "x86_64",
            "cpu_count": 2,
            "platform": "Linux",
            "jax": "0",
        },
        "summary": [row],
        "sweeps": {},
    }
    text = format_summary(report)
    assert "embedsent" in text
    assert "+RSS" in text
    assert row["peak_private_mb"] is None
    assert "+priv" in text


def _one_cpu_device_environment(spec):
    """Return a trial environment without the flag that simulates CPU devices."""
    env = {name: value for name, value in os.environ.items() if name != "XLA_FLAGS"}
    env["JAX_PLATFORMS"] = "cpu"
    return env


def test_child_raises_device_count_error(tokens_file, monkeypatch):
    monkeypatch.setattr(bench, "_child_environment", _one_cpu_device_environment)
    with pytest.raises(
        DeviceCountError, match="n_devices=2 but JAX lists 1 cpu"
    ) as raised:
        _child(_spec(tokens_file, "embedsent", n_devices=2))
    assert raised.value.requested == 2
    assert raised.value.available == 1
    assert raised.value.platform == "cpu"


def _one_review_aclimdb(tmp_path, review="a good film and a bad film, " * 20):
    root = tmp_path / "aclImdb"
    for folder in ("train/pos", "train/neg", "train/unsup", "test/pos", "test/neg"):
        (root / folder).mkdir(parents=True)
    (root / "train/unsup/0_0.txt").write_text(review, encoding="utf-8")
    return root


def test_cli_names_devices_flag_for_missing_devices(tmp_path, monkeypatch, capsys):
    root = _one_review_aclimdb(tmp_path)
    # On CPU the benchmark simulates the devices that --devices requests, so
    # a trial lacks devices only when that simulation is switched off.
    monkeypatch.setattr(bench, "_child_environment", _one_cpu_device_environment)
    argv = ["--no-progress", "bench", "sgns", "--data", str(root), "--devices", "2"]
    argv += ["--bench-epochs", "1", "--repeats", "1", "--gensim-workers", "1"]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "embedsent bench sgns: error: --devices 2: JAX lists 1 cpu device(s)" in err
    assert "pass --devices 1 or fewer (0 uses every device)" in err
    assert "n_devices" not in err
    assert "Traceback" not in err


ONE_TRIAL = ["--bench-epochs", "1", "--repeats", "1", "--gensim-workers", "1"]
# Every word once, so no word reaches the benchmark's min_count of 5.
RARE_WORDS_REVIEW = " ".join(f"word{i}" for i in range(40))


def _gpu_plugins():
    names = (dist.metadata["Name"] or "" for dist in importlib.metadata.distributions())
    return [name for name in names if name.startswith(("jax-cuda", "jax-rocm"))]


@pytest.mark.skipif(bool(_gpu_plugins()), reason="a GPU build of jax is installed")
def test_cli_missing_gpu_backend_one_line(tmp_path, capsys):
    root = _one_review_aclimdb(tmp_path)
    argv = ["--no-progress", "bench", "sgns", "--data", str(root), *ONE_TRIAL]
    assert main([*argv, "--platform", "gpu"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(
        "embedsent bench sgns: error: --platform gpu: JAX finds no gpu"
    )
    assert "install a CUDA build of jax (docs/devices.md)" in err
    assert err.rstrip().endswith("or pass --platform cpu")
    assert "JAX_PLATFORMS" not in err
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


def test_cli_too_few_reviews_names_max_docs(tmp_path, capsys):
    root = _one_review_aclimdb(tmp_path, RARE_WORDS_REVIEW)
    argv = ["--no-progress", "bench", "sgns", "--data", str(root), *ONE_TRIAL]
    assert main([*argv, "--max-docs", "1"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("embedsent bench sgns: error: --max-docs 1: no word occurs 5")
    # 1 review whose most frequent word occurs once: 5 reviews give 5.
    assert "pass --max-docs 5 or more" in err
    assert "min_count=" not in err
    assert len(err.strip().splitlines()) == 1


def test_cli_too_small_corpus_names_data(tmp_path, capsys):
    root = _one_review_aclimdb(tmp_path, RARE_WORDS_REVIEW)
    argv = ["--no-progress", "bench", "sgns", "--data", str(root), *ONE_TRIAL]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"embedsent bench sgns: error: --data {root}: no word occurs")
    assert "--max-docs" not in err


def test_cli_failed_trial_one_line(tmp_path, monkeypatch, capsys, caplog):
    # Without the parent's corpus check, the trial process itself fails.
    monkeypatch.setattr(bench, "_check_min_count", lambda documents, config: None)
    root = _one_review_aclimdb(tmp_path, RARE_WORDS_REVIEW)
    argv = ["--no-progress", "bench", "sgns", "--data", str(root), *ONE_TRIAL]
    with caplog.at_level(logging.DEBUG, logger="embedsent.bench"):
        assert main(argv) == 1
    err = capsys.readouterr().err
    assert err.startswith(
        "embedsent bench sgns: error: benchmark trial embedsent, 1 epoch(s) failed: "
        "embedsent.vocab.MinCountError: every token is below min_count=5"
    )
    assert "rerun with -vv" in err
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 1
    assert "Traceback" in caplog.text


def test_child_failure_raises_trial_error(tokens_file, tmp_path):
    spec = _spec(tokens_file, "gensim", workers=2, epochs=3)
    spec["tokens"] = str(tmp_path / "missing.txt")
    with pytest.raises(TrialError) as raised:
        _child(spec)
    assert raised.value.trial == "gensim-w2, 3 epoch(s)"
    assert raised.value.reason.startswith("FileNotFoundError: [Errno 2]")
    assert "Traceback" in raised.value.stderr


def test_failure_reason_names_kill_signal():
    reason = bench._failure_reason(-9, "")
    assert reason == "ended by SIGKILL (SIGKILL often means out of memory)"


def test_failure_reason_skips_notes_after_exception():
    stderr = (
        "Traceback (most recent call last):\n"
        '  File "x.py", line 1, in <module>\n'
        "jaxlib._jax.XlaRuntimeError: INVALID_ARGUMENT: Multiprocess "
        "computations aren't implemented on the CPU backend.\n"
        "--------------------\n"
        "For simplicity, JAX has removed its internal frames from the traceback "
        "of the following exception. Set JAX_TRACEBACK_FILTERING=off to include "
        "these.\n"
    )
    assert bench._failure_reason(1, stderr) == (
        "jaxlib._jax.XlaRuntimeError: INVALID_ARGUMENT: Multiprocess "
        "computations aren't implemented on the CPU backend."
    )


def test_failure_reason_without_exception_line_is_last_line():
    assert bench._failure_reason(1, "warming up\nsegfault in worker\n") == (
        "segfault in worker"
    )


def test_environment_keeps_user_xla_flags(monkeypatch):
    user_flags = "--xla_dump_to=/tmp/x --xla_force_host_platform_device_count=8"
    monkeypatch.setenv("XLA_FLAGS", user_flags)
    env = _child_environment({"platform": "cpu", "n_devices": 4})
    assert env["XLA_FLAGS"].split() == [
        "--xla_dump_to=/tmp/x",
        "--xla_force_host_platform_device_count=4",
    ]
    assert env["JAX_PLATFORMS"] == "cpu"
    one_device = _child_environment({"platform": "cpu", "n_devices": 1})
    assert one_device["XLA_FLAGS"] == user_flags


def test_more_devices_than_cpus_warns(monkeypatch, caplog):
    monkeypatch.setattr(bench.os, "cpu_count", lambda: 2)
    with caplog.at_level(logging.WARNING, logger="embedsent.bench"):
        bench._warn_simulated_devices(BenchConfig(data="x", n_devices=2))
        assert caplog.text == ""
        bench._warn_simulated_devices(BenchConfig(data="x", n_devices=3))
    assert "n_devices=3 simulated CPU devices share 2 CPUs" in caplog.text


def test_summary_states_devices_and_platform():
    trial = _record("embedsent", 300.0, 900.0, 700.0)
    trial["settings"] = {"devices": 4, "platform": "cpu"}
    report = {
        "config": {"platform": "cpu", "n_devices": 4},
        "machine": {"processor": "x86", "cpu_count": 2, "platform": "L", "jax": "0"},
        "trials": [trial],
        "summary": summarize([trial]),
        "sweeps": {},
    }
    lines = format_summary(report).splitlines()
    assert lines[1] == (
        "embedsent devices: 4 cpu (simulated host devices sharing 2 CPUs)"
    )


def test_token_file_round_trips_through_gzip(tmp_path):
    root = _one_review_aclimdb(tmp_path, review="good film, bad plot. " * 10)
    config = BenchConfig(data=str(root))
    for name in ("tokens.txt", "tokens.txt.gz"):
        written = bench.write_token_file(config, tmp_path / name)
        assert bench.read_tokens(tmp_path / name) == written
    assert written == [["good", "film", "bad", "plot"] * 10]
    assert (tmp_path / "tokens.txt.gz").read_bytes()[:2] == b"\x1f\x8b"


def test_token_file_replaces_data(tmp_path, tokens_file):
    config = BenchConfig(data=None, tokens=str(tokens_file), min_count=1)
    assert bench._tokens_file(config, tmp_path) == tokens_file
    assert list(tmp_path.iterdir()) == []


def test_cli_tokens_leaves_data_unset(tokens_file, monkeypatch):
    seen = {}

    def record(config, progress=None):
        seen["config"] = config
        return {"trials": [], "summary": [], "machine": {}, "config": {}}

    monkeypatch.setattr(bench, "run_benchmark", record)
    monkeypatch.setattr(bench, "format_summary", lambda report: "summary")
    argv = ["--no-progress", "bench", "sgns", "--tokens", str(tokens_file)]
    assert main([*argv, *ONE_TRIAL]) == 0
    assert seen["config"].tokens == str(tokens_file)
    assert seen["config"].data is None


def test_cli_rejects_data_with_tokens(tmp_path, tokens_file, capsys):
    argv = ["--no-progress", "bench", "sgns", "--data", str(tmp_path / "absent")]
    with pytest.raises(SystemExit) as stopped:
        main([*argv, "--tokens", str(tokens_file), *ONE_TRIAL])
    assert stopped.value.code == 2
    err = capsys.readouterr().err
    assert "argument --tokens: not allowed with argument --data" in err


def test_cli_missing_tokens_file_names_flag(tmp_path, capsys):
    argv = ["--no-progress", "bench", "sgns", "--tokens", str(tmp_path / "t.gz")]
    assert main([*argv, *ONE_TRIAL]) == 2
    err = capsys.readouterr().err
    assert f"--tokens {tmp_path / 't.gz'}: file not found" in err
    assert "prepare_gpu_bench.py" in err


def test_cli_tokens_rejects_max_docs(tokens_file, capsys):
    argv = ["--no-progress", "bench", "sgns", "--tokens", str(tokens_file)]
    assert main([*argv, "--max-docs", "5", *ONE_TRIAL]) == 2
    err = capsys.readouterr().err
    assert "--max-docs 5 draws reviews from --data" in err
    assert "keep fewer lines in the token file" in err


def test_config_rejects_data_with_tokens(tokens_file):
    with pytest.raises(ValueError, match="both name the corpus"):
        BenchConfig(data="aclImdb.tar.gz", tokens=str(tokens_file))


def test_config_needs_data_or_tokens():
    with pytest.raises(ValueError, match="data and tokens are both None"):
        BenchConfig(data=None)


def test_cli_bounds_gensim_workers(tokens_file, capsys):
    argv = ["--no-progress", "bench", "sgns", "--tokens", str(tokens_file)]
    with pytest.raises(SystemExit) as stopped:
        main([*argv, *ONE_TRIAL, "--gensim-workers", "1", "100000"])
    assert stopped.value.code == 2
    err = capsys.readouterr().err
    assert "argument --gensim-workers: must be >= 1 and <= 1024, got 100000" in err
    assert "gensim starts one thread per worker" in err


def test_config_bounds_gensim_workers(tokens_file):
    with pytest.raises(ValueError, match=r"gensim_workers \(--gensim-workers\) 2000"):
        bench.BenchConfig(tokens=str(tokens_file), data=None, gensim_workers=(2000,))


def test_machine_names_cpu_model_and_versions():
    machine = bench.machine_description()
    assert machine["cpu_model"] == bench.cpu_model()
    assert machine["cpu_model"]
    # The keys of earlier reports stay.
    assert {"platform", "processor", "cpu_count", "python", "jax"} <= set(machine)
    versions = machine["versions"]
    assert list(versions) == ["embedsent", "jax", "jaxlib", "numpy", "gensim"]
    assert versions["gensim"] == importlib.metadata.version("gensim")


def test_cpu_model_falls_back_without_cpuinfo(monkeypatch):
    def missing(*args, **kwargs):
        raise FileNotFoundError("/proc/cpuinfo")

    monkeypatch.setattr("builtins.open", missing)
    monkeypatch.setattr(bench.platform, "processor", lambda: "")
    assert bench.cpu_model() == bench.platform.machine()


def _write_gzip(path, data: bytes):
    path.write_bytes(gzip.compress(data))
    return path


def _tar_gz(tmp_path):
    folder = tmp_path / "reviews"
    folder.mkdir()
    (folder / "0_0.txt").write_text("a good film", encoding="utf-8")
    archive = tmp_path / "reviews.tar.gz"
    with tarfile.open(archive, "w:gz") as handle:
        handle.add(folder, arcname="aclImdb")
    return archive


# Each unreadable token file: its name, a function that writes it, and the
# start of the problem and of the fix that TokenFileError states.
BAD_TOKEN_FILES = {
    "binary": (
        "tokens.txt",
        lambda path: path.write_bytes(b"\x00\x01\x02\xff" * 64),
        "is a binary file of unknown format, not a token file",
        "a token file is UTF-8 text",
    ),
    "latin-1": (
        "tokens.txt",
        lambda path: path.write_bytes("good film\ncafé plot\n".encode("latin-1")),
        "is not valid UTF-8 (invalid continuation byte at byte 13, line 2)",
        "token files are UTF-8, so convert it",
    ),
    "gz name, plain text": (
        "tokens.txt.gz",
        lambda path: path.write_text("good film\n", encoding="utf-8"),
        "has a name that ends in .gz, but it is not gzip-compressed (it is a "
        "text file)",
        "rename it without .gz",
    ),
    "gzip without .gz": (
        "tokens.txt",
        lambda path: _write_gzip(path, b"good film\n"),
        "is gzip-compressed, but its name does not end in .gz",
        "rename it so that its name ends in .gz",
    ),
    "truncated gzip": (
        "tokens.txt.gz",
        lambda path: path.write_bytes(gzip.compress(b"good film\n" * 500)[:40]),
        "is a damaged or truncated gzip file (Compressed file ended",
        "write it again with benchmarks/prepare_gpu_bench.py",
    ),
    "latin-1 in gzip": (
        "tokens.txt.gz",
        lambda path: _write_gzip(path, "café\n".encode("latin-1")),
        "is not valid UTF-8 (invalid continuation byte at byte 3, line 1)",
        "token files are UTF-8",
    ),
    "CSV table": (
        "labeled.csv",
        lambda path: path.write_text(
            'text,label\n"a good movie, great fun",1\n', encoding="utf-8"
        ),
        "is a CSV table with the header line 'text,label', not a token file",
        "tables are read by --data of `embedsent pretrain` and `embedsent train`",
    ),
    "TSV table": (
        "labeled.tsv",
        lambda path: path.write_text("text\tlabel\ngood\t1\n", encoding="utf-8"),
        "is a TSV table with the header line 'text\\tlabel', not a token file",
        "tables are read by --data",
    ),
    "JSON Lines table": (
        "labeled.jsonl",
        lambda path: path.write_text('{"text": "good", "label": 1}\n'),
        "is a JSON Lines table (its first line starts with '{'), not a token file",
        "tables are read by --data",
    ),
    "gzip CSV table": (
        "labeled.csv.gz",
        lambda path: _write_gzip(path, b"text,label\ngood,1\n"),
        "is a CSV table with the header line 'text,label', not a token file",
        "tables are read by --data",
    ),
    "word2vec text": (
        "vectors.txt",
        lambda path: path.write_text("2 2\nthe 0.1 0.2\ncat 0.3 0.4\n"),
        "is word vectors in word2vec text format, not a token file",
        "word vectors are read by --vectors",
    ),
    "GloVe text": (
        "vectors.txt",
        lambda path: path.write_text("the 0.1 0.2\ncat 0.3 0.4\ndog 0.5 0.6\n"),
        "is word vectors in GloVe text format, not a token file",
        "word vectors are read by --vectors",
    ),
    "npz archive": (
        "model.npz",
        lambda path: np.savez(path, weights=np.zeros(3)),
        "is a NumPy .npz archive that embedsent did not write, not a token file",
        "a token file is UTF-8 text",
    ),
    "aclImdb archive": (
        "aclImdb.tar.gz",
        lambda path: path.write_bytes(_tar_gz(path.parent).read_bytes()),
        "is a gzip-compressed tar archive, not a token file",
        "an aclImdb archive is read as data",
    ),
}


@pytest.mark.parametrize("case", list(BAD_TOKEN_FILES))
def test_read_tokens_names_file_problem(tmp_path, case):
    name, write, problem, fix = BAD_TOKEN_FILES[case]
    path = tmp_path / name
    write(path)
    with pytest.raises(TokenFileError) as raised:
        bench.read_tokens(path)
    assert raised.value.path == str(path)
    assert raised.value.problem.startswith(problem)
    assert raised.value.fix.startswith(fix)
    assert str(raised.value).startswith(f"token file {path} {problem}")


@pytest.mark.parametrize("case", ["binary", "latin-1", "truncated gzip"])
def test_cli_bad_token_file_one_line(tmp_path, capsys, case):
    name, write, problem, _ = BAD_TOKEN_FILES[case]
    path = tmp_path / name
    write(path)
    argv = ["--no-progress", "bench", "sgns", "--tokens", str(path), *ONE_TRIAL]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"embedsent bench sgns: error: --tokens {path} {problem}")
    assert "prepare_gpu_bench.py" in err
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


def test_cli_rejects_csv_table_as_tokens(tmp_path, capsys):
    path = tmp_path / "labeled.csv"
    BAD_TOKEN_FILES["CSV table"][1](path)
    argv = ["--no-progress", "bench", "sgns", "--tokens", str(path), *ONE_TRIAL]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith(
        f"embedsent bench sgns: error: --tokens {path} is a CSV table with the "
        "header line 'text,label', not a token file; tables are read by --data"
    )
    assert "one document per line" in err
    assert len(err.strip().splitlines()) == 1


@pytest.mark.parametrize("name", ["tokens.csv", "tokens.jsonl"])
def test_token_file_with_table_suffix_reads(tmp_path, name):
    path = tmp_path / name
    # The first line has no comma and does not start with "{" or "[".
    path.write_text("good film great fun\nbad plot , {\n", encoding="utf-8")
    assert bench.read_tokens(path) == [
        ["good", "film", "great", "fun"],
        ["bad", "plot", ",", "{"],
    ]


@pytest.mark.parametrize("content", ["", "\n \n"], ids=["empty", "blank lines"])
def test_cli_empty_token_file_names_file(tmp_path, capsys, content):
    path = tmp_path / "tokens.txt"
    path.write_text(content, encoding="utf-8")
    argv = ["--no-progress", "bench", "sgns", "--tokens", str(path), *ONE_TRIAL]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith(
        f"embedsent bench sgns: error: --tokens {path} contains no tokens (it is "
        "empty or has only blank lines)"
    )
    assert "--data" not in err
    assert len(err.strip().splitlines()) == 1


def test_cli_small_token_file_names_tokens(tmp_path, capsys):
    path = tmp_path / "tokens.txt"
    path.write_text(RARE_WORDS_REVIEW + "\n", encoding="utf-8")
    argv = ["--no-progress", "bench", "sgns", "--tokens", str(path), *ONE_TRIAL]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith(
        f"embedsent bench sgns: error: --tokens {path}: no word occurs"
    )
    assert err.rstrip().endswith("pass a token file with more documents")
    assert "--data" not in err


def test_small_token_file_error_names_file(tmp_path):
    path = tmp_path / "tokens.txt"
    path.write_text(RARE_WORDS_REVIEW + "\n", encoding="utf-8")
    config = BenchConfig(data=None, tokens=str(path))
    with pytest.raises(CorpusTooSmallError) as raised:
        bench._tokens_file(config, tmp_path)
    assert raised.value.token_file == str(path)
    assert raised.value.max_docs is None
    assert str(raised.value).endswith(
        f"use a token file with more documents than {path}"
    )
