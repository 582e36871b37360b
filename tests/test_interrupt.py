"""Ctrl-C (SIGINT) sent to the `embedsent` console script in a child process."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
import threading
import time
import tomllib
from pathlib import Path

# Runs the same function as the installed console script, without depending on
# whether the environment contains a fresh copy of that script.
EMBEDSENT = [sys.executable, "-m", "embedsent.cli"]
INTERRUPTED_STATUS = 130


class StderrReader:
    """Read a child's standard error on a thread and record marker lines."""

    def __init__(self, process: subprocess.Popen, markers: list[str]):
        self.lines: list[str] = []
        self.seen = {marker: threading.Event() for marker in markers}
        self._thread = threading.Thread(target=self._read, args=(process,))
        self._thread.start()

    def _read(self, process: subprocess.Popen) -> None:
        for line in process.stderr:
            self.lines.append(line)
            for marker, event in self.seen.items():
                if marker in line:
                    event.set()

    def text(self) -> str:
        self._thread.join(timeout=30)
        return "".join(self.lines)


def test_console_script_runs_console_entry():
    pyproject = Path(__file__).resolve().parents[1] / "pyproject.toml"
    scripts = tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]["scripts"]
    assert scripts["embedsent"] == "embedsent.console:entry"


def test_pretrain_interrupted_while_compiling_exits_130(tmp_path):
    # 10000 epochs keep the run going long after the compile (minutes on a
    # CPU), so the signal arrives during the compile or during training.
    # With -vv, JAX 0.10 logs a compilation cache miss just before XLA
    # compiles the training step, which takes about a second on a CPU.
    argv = [*EMBEDSENT, "-vv", "--no-progress", "pretrain", "--data", "default"]
    argv += ["--out", str(tmp_path / "v.txt"), "--epochs", "10000"]
    process = subprocess.Popen(
        argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    vocabulary = "embedsent.vocab: vocabulary:"
    compiling = "COMPILATION CACHE MISS for 'jit_train_chunk'"
    reader = StderrReader(process, [vocabulary, compiling])
    try:
        assert reader.seen[vocabulary].wait(timeout=120), reader.text()
        # If a later JAX logs other text, this wait times out and the signal
        # comes later, during training.
        reader.seen[compiling].wait(timeout=10)
        time.sleep(0.2)
        process.send_signal(signal.SIGINT)
        code = process.wait(timeout=60)
    finally:
        process.kill()
        process.wait()
    err = reader.text()
    assert code == INTERRUPTED_STATUS, err[-3000:]
    assert "embedsent pretrain: interrupted" in err
    assert "Exception ignored" not in err
    assert not (tmp_path / "v.txt").exists()


def test_interrupt_dropped_in_finalizer_stops_command():
    # Python drops an exception raised in __del__, as it drops a
    # KeyboardInterrupt that SIGINT raises while a finalizer or gc callback
    # runs. The command sleeps far longer than the test waits for the exit.
    script = textwrap.dedent(
        """
        import sys
        import time

        import embedsent.cli as cli
        from embedsent.console import entry

        class RaisesInFinalizer:
            def __del__(self):
                raise KeyboardInterrupt

        def command(args):
            RaisesInFinalizer()
            time.sleep(60)
            return 0

        cli.COMMANDS["demo"] = command
        sys.argv = ["embedsent", "demo"]
        entry()
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=30
    )
    assert result.returncode == INTERRUPTED_STATUS, result.stderr[-3000:]
    assert "embedsent demo: interrupted" in result.stderr
    assert "Exception ignored" not in result.stderr


def test_interrupt_while_importing_exits_130():
    # A KeyboardInterrupt raised by the import of the command line simulates
    # a Ctrl-C during the two seconds that importing JAX takes.
    script = textwrap.dedent(
        """
        import sys

        class InterruptImport:
            def find_spec(self, name, path=None, target=None):
                if name == "embedsent.cli":
                    raise KeyboardInterrupt
                return None

        sys.meta_path.insert(0, InterruptImport())
        sys.argv = ["embedsent", "demo"]
        from embedsent.console import entry

        entry()
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=30
    )
    assert result.returncode == INTERRUPTED_STATUS, result.stderr[-3000:]
    assert result.stderr == "embedsent: interrupted\n"
