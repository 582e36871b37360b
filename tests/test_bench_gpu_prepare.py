"""benchmarks/prepare_gpu_bench.py writes the token file a GPU run reads."""

import gzip
import json
import os
import platform
import signal
import socket
import subprocess
import sys
import time
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
    import embedsent.text

    def forbidden(*args, **kwargs):
        raise AssertionError("tokenised although --out-dir is not writable")

    monkeypatch.setattr(embedsent.text, "tokenize_corpus", forbidden)


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


PIP_FAILURE = (
    "import sys; print('Looking in indexes: https://pypi.org/simple'); "
    "print('ERROR: No matching distribution found for gensim==4.3.3'); sys.exit(1)"
)


def _forbid_pip(module) -> None:
    def forbidden(*args, **kwargs):
        raise AssertionError("pip download ran although an input was invalid")

    module._pip_download_command = forbidden


def _run_main(module, monkeypatch, argv: list[str]) -> int:
    monkeypatch.setattr(sys, "argv", [str(SCRIPT), *argv])
    try:
        return module.main(argv)
    except SystemExit as stop:
        return stop.code


def _listing(folder: Path) -> list[str]:
    return sorted(str(path.relative_to(folder)) for path in folder.rglob("*"))


def test_prepare_manifest_and_bench_tokens(tmp_path):
    from embedsent.bench import BenchConfig, write_token_file

    data = _one_review_aclimdb(tmp_path)
    out_dir = tmp_path / "gpu"
    completed = _run_prepare("--data", str(data), "--out-dir", str(out_dir))
    assert completed.returncode == 0, completed.stderr
    assert _listing(out_dir) == ["manifest.json", "tokens.txt.gz"]
    write_token_file(BenchConfig(data=str(data)), tmp_path / "bench.txt.gz")
    expected = (tmp_path / "bench.txt.gz").read_bytes()
    assert (out_dir / "tokens.txt.gz").read_bytes() == expected
    manifest = json.loads((out_dir / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["wheels"] is None
    assert manifest["tokens"]["documents"] == 1
    assert manifest["embedsent_version"]
    assert {"created", "embedsent_commit"} <= set(manifest)


@pytest.mark.parametrize("version", ["banana", "3", "3.12.1", "2.7", "312"])
def test_prepare_rejects_python_version_early(tmp_path, monkeypatch, capsys, version):
    data = str(_one_review_aclimdb(tmp_path))
    out_dir = tmp_path / "a" / "gpu"
    module = _load_script()
    _forbid_pip(module)
    _forbid_tokenising(monkeypatch)
    argv = ["--data", data, "--out-dir", str(out_dir), "--python-version", version]
    assert _run_main(module, monkeypatch, argv) == 2
    line = capsys.readouterr().err.strip().splitlines()[-1]
    assert line == (
        f"prepare_gpu_bench.py: error: invalid --python-version {version!r}; "
        "pass 3.MINOR, such as 3.11 or 3.12, as `python3 "
        "--version` prints it on the GPU machine without the last part"
    )
    assert not (tmp_path / "a").exists()


@pytest.mark.parametrize("earlier", [False, True])
def test_prepare_pip_failure_one_line(tmp_path, monkeypatch, capsys, earlier):
    data = str(_one_review_aclimdb(tmp_path))
    out_dir = tmp_path / "a" / "gpu"
    if earlier:
        out_dir.mkdir(parents=True)
        (out_dir / "tokens.txt.gz").write_bytes(b"earlier")
    module = _load_script()
    module._pip_download_command = lambda folder, version: [
        sys.executable,
        "-c",
        PIP_FAILURE,
    ]
    argv = ["--data", data, "--out-dir", str(out_dir)]
    assert _run_main(module, monkeypatch, argv) == 1

    err = capsys.readouterr().err
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert lines[-2] == "  pip: ERROR: No matching distribution found for gensim==4.3.3"
    assert lines[-1] == (
        "prepare_gpu_bench.py: error: pip download of gensim, nltk, smart_open, "
        "wrapt for Python 3.12 failed with exit status 1 (its last lines are "
        "above); check the network, the package index and --python-version, "
        "then rerun, or pass --no-wheels to write the token file only, in which "
        "case the GPU machine's python3 must already have gensim, nltk, "
        "smart_open, wrapt"
    )

    if earlier:
        assert _listing(tmp_path / "a") == ["gpu", "gpu/tokens.txt.gz"]
        assert (out_dir / "tokens.txt.gz").read_bytes() == b"earlier"
    else:
        assert not (tmp_path / "a").exists()


def test_prepare_writes_wheels_manifest(tmp_path, monkeypatch):
    data = str(_one_review_aclimdb(tmp_path))
    out_dir = tmp_path / "gpu"
    (out_dir / "wheels").mkdir(parents=True)
    (out_dir / "wheels" / "old-0-py3-none-any.whl").write_bytes(b"old")
    name = "gensim-4.3.3-cp311-cp311-manylinux_2_17_x86_64.whl"
    module = _load_script()
    module._pip_download_command = lambda folder, version: [
        sys.executable,
        "-c",
        f"import pathlib; pathlib.Path({str(folder)!r}, {name!r}).write_bytes(b'w')",
    ]
    argv = ["--data", data, "--out-dir", str(out_dir), "--python-version", "3.11"]
    assert _run_main(module, monkeypatch, argv) == 0
    assert _listing(out_dir) == [
        "manifest.json",
        "tokens.txt.gz",
        "wheels",
        f"wheels/{name}",
    ]
    manifest = json.loads((out_dir / "manifest.json").read_text(encoding="utf-8"))
    wheels = manifest["wheels"]
    assert wheels["python_version"] == "3.11"
    assert wheels["machine"] == "x86_64"
    assert wheels["files"] == [name]


def test_prepare_bad_layout_creates_nothing(tmp_path, monkeypatch, capsys):
    data = tmp_path / "reviews"
    data.mkdir()
    (data / "a.txt").write_text("a good film", encoding="utf-8")
    out_dir = tmp_path / "a" / "b" / "gpu"
    module = _load_script()
    _forbid_pip(module)
    argv = ["--data", str(data), "--out-dir", str(out_dir)]
    assert _run_main(module, monkeypatch, argv) == 2
    line = capsys.readouterr().err.strip().splitlines()[-1]
    assert line.startswith(f"prepare_gpu_bench.py: error: --data {data}: no aclImdb")
    assert not (tmp_path / "a").exists()


INTERRUPTED_CHILD = """
import os, pathlib, sys, time
sys.path.insert(0, {tests!r})
from bench_scripts import load_script

module = load_script("prepare_gpu_bench")
ready = pathlib.Path({ready!r})
# A download that leaves a partial wheel, writes its pid to the ready file and waits.
pip = (
    "import os, pathlib, sys, time; "
    "folder = pathlib.Path(sys.argv[1]); "
    "(folder / 'gensim-4.3.3-cp312-cp312-manylinux1_x86_64.whl').write_bytes(b'x'); "
    "pathlib.Path(sys.argv[2]).write_text(str(os.getpid())); "
    "time.sleep(60)"
)
module._pip_download_command = lambda folder, version: [
    sys.executable, "-c", pip, str(folder), str(ready)
]
sys.exit(module.main(sys.argv[1:]))
"""


@pytest.mark.parametrize("earlier", [False, True])
def test_prepare_interrupt_leaves_nothing(tmp_path, earlier):
    data = str(_one_review_aclimdb(tmp_path))
    out_dir = tmp_path / "a" / "gpu"
    if earlier:
        (out_dir / "wheels").mkdir(parents=True)
        (out_dir / "tokens.txt.gz").write_bytes(b"earlier")
    before = _listing(tmp_path / "a") if earlier else None
    ready = tmp_path / "ready"
    child = INTERRUPTED_CHILD.format(tests=str(Path(__file__).parent), ready=str(ready))
    argv = ["--data", data, "--out-dir", str(out_dir)]
    process = subprocess.Popen(
        [sys.executable, "-c", child, *argv],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while not (ready.exists() and ready.read_text()):
            assert process.poll() is None, process.communicate()
            assert time.monotonic() < deadline, "the fake download did not start"
            time.sleep(0.05)
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=30)
    finally:
        process.kill()
        process.wait()

    assert process.returncode == 130, err
    assert "Traceback" not in err
    assert err.strip().splitlines() == [
        f"prepare_gpu_bench.py: interrupted; nothing was written to {out_dir}, "
        "rerun to prepare"
    ]

    pip_pid = int(ready.read_text())
    with pytest.raises(ProcessLookupError):
        os.kill(pip_pid, 0)
    if earlier:
        assert _listing(tmp_path / "a") == before
        assert (out_dir / "tokens.txt.gz").read_bytes() == b"earlier"
    else:
        assert not (tmp_path / "a").exists()


RUN_SCRIPT = SCRIPT.parent / "run_gpu_bench.sh"
# Runs python3 as the test's interpreter, except that `python3 -m pip` records
# its arguments and fails, so nothing is installed.
FAKE_PYTHON3 = """#!/bin/sh
if [ "$1" = "-m" ] && [ "$2" = "pip" ]; then
  echo "$@" > "$PIP_ARGS"
  echo "fake pip failure" >&2
  exit 1
fi
exec {python} "$@"
"""


def _bench_checkout(tmp_path, manifest: dict | None, wheels: list[str]) -> Path:
    """Make a folder with run_gpu_bench.sh and a .gpu/ of the given contents."""
    root = tmp_path / "checkout"
    (root / "benchmarks").mkdir(parents=True)
    (root / "benchmarks" / "run_gpu_bench.sh").write_bytes(RUN_SCRIPT.read_bytes())
    gpu = root / ".gpu"
    gpu.mkdir()
    (gpu / "tokens.txt.gz").write_bytes(gzip.compress(b"good film\n"))
    if manifest is not None:
        (gpu / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    if wheels:
        (gpu / "wheels").mkdir()
        for name in wheels:
            (gpu / "wheels" / name).write_bytes(b"not a wheel")
    return root


def _run_bench_script(tmp_path, root: Path, **env: str):
    """Run run_gpu_bench.sh with the fake python3 and TMPDIR in ``tmp_path``."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    python3 = bin_dir / "python3"
    python3.write_text(FAKE_PYTHON3.format(python=sys.executable), encoding="utf-8")
    python3.chmod(0o755)
    temporary = tmp_path / "tmp"
    temporary.mkdir(exist_ok=True)
    full_env = {
        "PATH": f"{bin_dir}:{os.environ['PATH']}",
        "HOME": os.environ.get("HOME", str(tmp_path)),
        "TMPDIR": str(temporary),
        "OUT": str(tmp_path / "out"),
        "PIP_ARGS": str(tmp_path / "pip-args"),
        **env,
    }
    return subprocess.run(
        ["bash", str(root / "benchmarks" / "run_gpu_bench.sh")],
        capture_output=True,
        text=True,
        env=full_env,
        timeout=120,
        check=False,
    )


def _this_python() -> str:
    return f"{sys.version_info[0]}.{sys.version_info[1]}"


def _wheels_manifest(python_version: str, count: int) -> dict:
    return {
        "wheels": {
            "python_version": python_version,
            "machine": platform.machine(),
            "files": [f"w{index}-0-py3-none-any.whl" for index in range(count)],
        }
    }


def test_run_script_requires_manifest(tmp_path):
    root = _bench_checkout(tmp_path, manifest=None, wheels=[])
    completed = _run_bench_script(tmp_path, root)
    assert completed.returncode == 1
    assert completed.stderr.strip().splitlines() == [
        "run_gpu_bench.sh: error: .gpu/manifest.json not found, so the wheels "
        "cannot be checked against python3; run benchmarks/prepare_gpu_bench.py "
        "again (it writes the manifest) and copy all of .gpu/"
    ]
    assert not (tmp_path / "out").exists()


def test_run_script_no_wheels_needs_packages(tmp_path):
    root = _bench_checkout(tmp_path, manifest={"wheels": None}, wheels=[])
    # A gensim module that fails to import simulates a python3 without gensim.
    blocked = tmp_path / "blocked"
    blocked.mkdir()
    (blocked / "gensim.py").write_text("raise ImportError('absent')\n")
    completed = _run_bench_script(tmp_path, root, PYTHONPATH=str(blocked))
    assert completed.returncode == 1
    version = _this_python()
    assert completed.stderr.strip().splitlines() == [
        "run_gpu_bench.sh: error: .gpu/ has no wheels (prepare ran with "
        f"--no-wheels), and python3 ({version}) cannot import gensim, nltk, "
        "smart_open and wrapt; install them into python3, or run "
        "benchmarks/prepare_gpu_bench.py without --no-wheels --python-version "
        f"{version} and copy .gpu/ again"
    ]
    assert list((tmp_path / "tmp").iterdir()) == []


def test_run_script_rejects_other_python(tmp_path):
    manifest = _wheels_manifest("3.1", 1)
    root = _bench_checkout(tmp_path, manifest, manifest["wheels"]["files"])
    completed = _run_bench_script(tmp_path, root)
    assert completed.returncode == 1
    version = _this_python()
    assert completed.stderr.strip().splitlines() == [
        "run_gpu_bench.sh: error: the wheels in .gpu/wheels/ are for Python 3.1, "
        f"but python3 here is Python {version}; run "
        f"benchmarks/prepare_gpu_bench.py --python-version {version} and copy "
        ".gpu/ again, or put a Python 3.1 first on PATH as python3"
    ]
    assert not (tmp_path / "pip-args").exists()


def test_run_script_rejects_missing_wheels(tmp_path):
    manifest = _wheels_manifest(_this_python(), 2)
    root = _bench_checkout(tmp_path, manifest, manifest["wheels"]["files"][:1])
    completed = _run_bench_script(tmp_path, root)
    assert completed.returncode == 1
    assert completed.stderr.strip().splitlines() == [
        "run_gpu_bench.sh: error: .gpu/manifest.json lists 2 wheels, but "
        ".gpu/wheels/ holds 1; copy all of .gpu/ again"
    ]


def test_run_script_removes_temporary_folder(tmp_path):
    manifest = _wheels_manifest(_this_python(), 1)
    root = _bench_checkout(tmp_path, manifest, manifest["wheels"]["files"])
    completed = _run_bench_script(tmp_path, root)
    assert completed.returncode == 1
    assert "fake pip failure" in completed.stderr
    # pip received a --target folder made in TMPDIR, and that folder is gone.
    arguments = (tmp_path / "pip-args").read_text().split()
    target = Path(arguments[arguments.index("--target") + 1])
    assert target.parent == tmp_path / "tmp"
    assert list((tmp_path / "tmp").iterdir()) == []


def test_prepare_removes_only_stale_staging(tmp_path, monkeypatch, capsys):
    data = str(_one_review_aclimdb(tmp_path))
    out_dir = tmp_path / "gpu"
    out_dir.mkdir()
    host = socket.gethostname()
    # A finished child's process id belongs to no process until the system
    # reuses it.
    finished = subprocess.Popen([sys.executable, "-c", "pass"])
    finished.wait()
    stale = out_dir / f".prepare-{finished.pid}@{host}-abc123_x"
    live = out_dir / f".prepare-{os.getpid()}@{host}-def456_y"
    other_host = out_dir / f".prepare-{finished.pid}@not-{host}-ghi789_z"
    unnamed = out_dir / ".prepare-jkl012_w"
    for folder in (stale, live, other_host, unnamed):
        (folder / "wheels").mkdir(parents=True)
        (folder / "tokens.txt.gz").write_bytes(b"partial")

    module = _load_script()
    argv = ["--data", data, "--out-dir", str(out_dir), "--no-wheels"]
    assert _run_main(module, monkeypatch, argv) == 0

    assert not stale.exists()
    assert live.is_dir()
    assert other_host.is_dir()
    assert unnamed.is_dir()
    assert (live / "tokens.txt.gz").read_bytes() == b"partial"
    err = capsys.readouterr().err.splitlines()
    kept_reason = (
        ": its name has no process id of this host, so a running process may "
        "own it; remove it by hand if no prepare_gpu_bench.py run is using it"
    )
    assert f"prepare_gpu_bench.py: kept {other_host}{kept_reason}" in err
    assert f"prepare_gpu_bench.py: kept {unnamed}{kept_reason}" in err
    assert (
        f"prepare_gpu_bench.py: removed {stale}, the temporary folder of run "
        f"{finished.pid}, which no longer runs"
    ) in err
    assert len(err) == 3, err
    leftovers = sorted(path.name for path in out_dir.glob(".prepare-*"))
    assert leftovers == sorted([live.name, other_host.name, unnamed.name])


def test_prepare_staging_name_has_pid_and_host(tmp_path, monkeypatch):
    data = str(_one_review_aclimdb(tmp_path))
    out_dir = tmp_path / "gpu"
    module = _load_script()
    wheel_folders = []

    def fake_pip(folder, version):
        wheel_folders.append(folder)
        return [sys.executable, "-c", "pass"]

    module._pip_download_command = fake_pip
    argv = ["--data", data, "--out-dir", str(out_dir)]
    assert _run_main(module, monkeypatch, argv) == 0
    staging = wheel_folders[0].parent
    match = module.STAGING_PATTERN.fullmatch(staging.name)
    assert match is not None, staging.name
    assert int(match["pid"]) == os.getpid()
    assert match["host"] == socket.gethostname()
    assert not staging.exists()
