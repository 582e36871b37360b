"""benchmarks/prepare_gpu_bench.py writes the token file a GPU run reads."""

import gzip
import os
import subprocess
import sys
from pathlib import Path

import pytest
from bench_scripts import load_script
from fake_os import deny_write

SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "prepare_gpu_bench.py"


def test_prepare_writes_gzip_token_file(tmp_path):
    root = tmp_path / "aclImdb"
    for folder in ("train/pos", "train/neg", "train/unsup", "test/pos", "test/neg"):
        (root / folder).mkdir(parents=True)
    (root / "train/unsup/0_0.txt").write_text("A good film!", encoding="utf-8")
    (root / "train/unsup/1_0.txt").write_text("A bad plot.", encoding="utf-8")
    out_dir = tmp_path / "gpu"
    command = [sys.executable, str(SCRIPT), "--data", str(root)]
    command += ["--out-dir", str(out_dir), "--no-wheels"]
    completed = subprocess.run(command, capture_output=True, text=True, check=False)
    assert completed.returncode == 0, completed.stderr
    assert "2 documents, 4 tokens" in completed.stdout
    lines = gzip.decompress((out_dir / "tokens.txt.gz").read_bytes()).decode()
    assert sorted(lines.splitlines()) == ["bad plot", "good film"]
    assert not (out_dir / "wheels").exists()


def test_prepare_rejects_missing_data(tmp_path):
    command = [sys.executable, str(SCRIPT), "--data", str(tmp_path / "absent")]
    completed = subprocess.run(command, capture_output=True, text=True, check=False)
    assert completed.returncode == 2
    assert "file or folder not found" in completed.stderr
    assert "Traceback" not in completed.stderr


def _run_prepare(*argv: str) -> subprocess.CompletedProcess:
    command = [sys.executable, str(SCRIPT), *argv, "--no-wheels"]
    return subprocess.run(command, capture_output=True, text=True, check=False)


def _error_line(completed: subprocess.CompletedProcess) -> str:
    """Return the last line of standard error, after asserting a clean exit 2."""
    assert completed.returncode == 2
    assert "Traceback" not in completed.stderr
    return completed.stderr.strip().splitlines()[-1]


def _one_review_aclimdb(tmp_path):
    root = tmp_path / "aclImdb"
    for folder in ("train/pos", "train/neg", "train/unsup", "test/pos", "test/neg"):
        (root / folder).mkdir(parents=True)
    (root / "train/unsup/0_0.txt").write_text("A good film!", encoding="utf-8")
    return root


def test_prepare_rejects_out_dir_that_is_file(tmp_path):
    out_file = tmp_path / "gpu"
    out_file.write_text("", encoding="utf-8")
    data = str(_one_review_aclimdb(tmp_path))
    line = _error_line(_run_prepare("--data", data, "--out-dir", str(out_file)))
    assert line == (
        f"prepare_gpu_bench.py: error: --out-dir {out_file} is a file, not a "
        "folder; pass another --out-dir path, or a path that does not exist yet"
    )


def test_prepare_rejects_out_dir_below_file(tmp_path):
    out_file = tmp_path / "gpu"
    out_file.write_text("", encoding="utf-8")
    data = str(_one_review_aclimdb(tmp_path))
    out_dir = out_file / "sub"
    line = _error_line(_run_prepare("--data", data, "--out-dir", str(out_dir)))
    assert line.startswith(
        f"prepare_gpu_bench.py: error: --out-dir {out_dir}: {out_file} is a file, "
        "so no folder can be created below it"
    )


@pytest.mark.parametrize(
    ("name", "content", "kind"),
    [
        ("reviews.csv", b"text,label\ngood film,pos\n", "a text file"),
        ("random.bin", bytes(range(256)) * 4, "a binary file of unknown format"),
    ],
)
def test_prepare_rejects_data_file_of_other_kind(tmp_path, name, content, kind):
    data = tmp_path / name
    data.write_bytes(content)
    out_dir = tmp_path / "gpu"
    line = _error_line(_run_prepare("--data", str(data), "--out-dir", str(out_dir)))
    assert line == (
        f"prepare_gpu_bench.py: error: --data {data} is {kind}, not an aclImdb "
        "folder or archive; pass an aclImdb folder or its .tar.gz"
    )
    assert not out_dir.exists()


def test_prepare_rejects_folder_without_aclimdb_layout(tmp_path):
    data = tmp_path / "reviews"
    data.mkdir()
    (data / "a.txt").write_text("a good film", encoding="utf-8")
    out_dir = tmp_path / "gpu"
    line = _error_line(_run_prepare("--data", str(data), "--out-dir", str(out_dir)))
    assert line.startswith(
        f"prepare_gpu_bench.py: error: --data {data}: no aclImdb dataset in {data}"
    )
    assert not (out_dir / "tokens.txt.gz").exists()


def _load_script():
    return load_script("prepare_gpu_bench")


def _forbid_tokenising(monkeypatch) -> None:
    import embedsent.bench

    def forbidden(*args, **kwargs):
        raise AssertionError("tokenised although --out-dir is not writable")

    monkeypatch.setattr(embedsent.bench, "write_token_file", forbidden)


@pytest.mark.parametrize("below", [False, True])
def test_prepare_rejects_unwritable_out_dir_before_work(
    tmp_path, monkeypatch, capsys, below
):
    data = str(_one_review_aclimdb(tmp_path))
    locked = tmp_path / "locked"
    locked.mkdir()
    deny_write(monkeypatch, locked)
    _forbid_tokenising(monkeypatch)
    out_dir = locked / "sub" if below else locked
    argv = ["--data", data, "--out-dir", str(out_dir), "--no-wheels"]
    # argparse names the program after sys.argv[0] in its messages.
    monkeypatch.setattr(sys, "argv", [str(SCRIPT), *argv])
    with pytest.raises(SystemExit) as caught:
        _load_script().main(argv)
    assert caught.value.code == 2
    line = capsys.readouterr().err.strip().splitlines()[-1]
    expected = (
        f"--out-dir {out_dir}: folder {locked} is not writable; make it writable, "
        "or pass another --out-dir path"
    )
    assert line == f"prepare_gpu_bench.py: error: {expected}"


@pytest.mark.skipif(
    os.geteuid() == 0,
    reason="root writes to folders whose permission bits deny writing",
)
def test_prepare_rejects_read_only_out_dir(tmp_path):
    data = str(_one_review_aclimdb(tmp_path))
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o555)
    try:
        completed = _run_prepare("--data", data, "--out-dir", str(locked))
    finally:
        locked.chmod(0o755)
    line = _error_line(completed)
    assert line == (
        f"prepare_gpu_bench.py: error: --out-dir {locked}: folder {locked} is not "
        "writable; make it writable, or pass another --out-dir path"
    )
