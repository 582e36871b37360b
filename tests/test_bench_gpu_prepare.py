"""benchmarks/prepare_gpu_bench.py writes the token file a GPU run reads."""

import gzip
import subprocess
import sys
from pathlib import Path

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
