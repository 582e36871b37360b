"""Ctrl-C (SIGINT) sent to the `embedsent` console script in a child process."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
import tomllib
from pathlib import Path

import pytest
from test_cli import _train_small_model

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


class StderrChunkReader:
    """Read a child's standard error as bytes, keeping carriage returns.

    Text mode would turn the carriage returns that tqdm draws with into
    newlines, so the terminal lines could not be rebuilt.
    """

    def __init__(self, process: subprocess.Popen):
        self._data = bytearray()
        self._changed = threading.Condition()
        self._thread = threading.Thread(target=self._read, args=(process,))
        self._thread.start()

    def _read(self, process: subprocess.Popen) -> None:
        descriptor = process.stderr.fileno()
        while chunk := os.read(descriptor, 65536):
            with self._changed:
                self._data += chunk
                self._changed.notify_all()

    def wait_for(self, marker: str, timeout: float) -> bool:
        with self._changed:
            return self._changed.wait_for(
                lambda: marker.encode() in self._data, timeout=timeout
            )

    def text(self) -> str:
        self._thread.join(timeout=30)
        return self._data.decode("utf-8", errors="replace")


def terminal_lines(text: str) -> list[str]:
    """Return the lines a terminal shows for ``text``, without trailing spaces.

    A carriage return moves the cursor to the start of the line, so later
    characters overwrite earlier ones, as tqdm relies on.
    """
    lines = []
    for raw_line in text.split("\n"):
        cells: list[str] = []
        column = 0
        for character in raw_line:
            if character == "\r":
                column = 0
                continue
            if column < len(cells):
                cells[column] = character
            else:
                cells.append(character)
            column += 1
        lines.append("".join(cells).rstrip())
    return lines


def run_demo_command(
    command_source: str, *, ignore_sigint: bool = False, **popen_options
):
    """Run the console entry with ``command_source`` defining the demo command.

    ``command_source`` defines ``command(args)``. Standard output and error
    come back as text without newline translation. ``ignore_sigint`` starts
    the child with SIGINT ignored through ``sh``'s ``trap``, because a
    ``preexec_fn`` would fork this multithreaded JAX process.
    """
    script = textwrap.dedent(
        """
        import os
        import signal
        import sys
        import time

        import embedsent.cli as cli
        from embedsent.console import entry

        {command_source}

        cli.COMMANDS["demo"] = command
        sys.argv = ["embedsent", "demo"]
        entry()
        """
    ).format(command_source=textwrap.dedent(command_source))
    argv = [sys.executable, "-c", script]
    if ignore_sigint:
        argv = ["sh", "-c", 'trap "" INT; exec "$@"', "sh", *argv]
    result = subprocess.run(argv, capture_output=True, timeout=60, **popen_options)
    stdout = result.stdout.decode("utf-8", errors="replace")
    stderr = result.stderr.decode("utf-8", errors="replace")
    return result.returncode, stdout, stderr


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
    # a Ctrl-C before the arguments are parsed.
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


def test_interrupt_while_command_imports_jax_exits_130():
    # The command line imports JAX only when a command runs, so a Ctrl-C
    # during that import, which takes seconds, interrupts the command.
    script = textwrap.dedent(
        """
        import sys

        class InterruptImport:
            def find_spec(self, name, path=None, target=None):
                if name == "jax":
                    raise KeyboardInterrupt
                return None

        sys.meta_path.insert(0, InterruptImport())
        sys.argv = ["embedsent", "--no-compile-cache", "demo"]
        from embedsent.console import entry

        entry()
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == INTERRUPTED_STATUS, result.stderr[-3000:]
    assert result.stderr == "embedsent demo: interrupted\n"


@pytest.mark.parametrize("leave", [False, True])
def test_interrupt_message_after_open_bar(leave):
    # The bar is left open, as the trainer leaves its epoch bar open when an
    # interrupt stops an epoch. tqdm draws it on standard error.
    returncode, _, stderr = run_demo_command(
        f"""
        from tqdm.auto import tqdm

        def command(args):
            bar = tqdm(total=10, desc="epoch 3", leave={leave})
            bar.update(4)
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(60)
            return 0
        """
    )
    lines = terminal_lines(stderr)
    assert returncode == INTERRUPTED_STATUS, stderr[-3000:]
    assert "embedsent demo: interrupted" in lines, repr(stderr)
    if leave:
        message_row = lines.index("embedsent demo: interrupted")
        assert lines[message_row - 1].startswith("epoch 3:  40%"), repr(stderr)
    else:
        assert not any("epoch 3" in line for line in lines), repr(stderr)


def test_interrupt_during_first_bar_draw():
    # The stream sends SIGINT while tqdm writes the bar for the first time,
    # inside tqdm's __init__, where tqdm.close() does not erase the bar.
    returncode, _, stderr = run_demo_command(
        """
        from tqdm.auto import tqdm

        class InterruptingStderr:
            interrupted = False

            def write(self, text):
                sys.stderr.write(text)
                if not self.interrupted:
                    self.interrupted = True
                    os.kill(os.getpid(), signal.SIGINT)

            def flush(self):
                sys.stderr.flush()

        def command(args):
            tqdm(total=10, desc="epoch 3", leave=False, file=InterruptingStderr())
            time.sleep(60)
            return 0
        """
    )
    lines = terminal_lines(stderr)
    assert returncode == INTERRUPTED_STATUS, stderr[-3000:]
    assert "embedsent demo: interrupted" in lines, repr(stderr)


def test_interrupt_without_bar_writes_message_only():
    # A disabled bar, as --no-progress makes, draws nothing, and the open
    # bar draws on another stream, so nothing but the message reaches stderr.
    returncode, _, stderr = run_demo_command(
        """
        from tqdm.auto import tqdm

        def command(args):
            tqdm(total=10, disable=True).update(1)
            with open(os.devnull, "w") as devnull:
                tqdm(total=10, file=devnull).update(1)
                os.kill(os.getpid(), signal.SIGINT)
                time.sleep(60)
            return 0
        """
    )
    assert returncode == INTERRUPTED_STATUS, stderr[-3000:]
    assert stderr == "embedsent demo: interrupted\n"


def test_interrupt_during_atexit_exits_130():
    # JAX registers an atexit handler, which runs after the command has
    # returned. The test's handler, registered later, runs before JAX's, and a
    # Ctrl-C can interrupt it in the same way.
    returncode, stdout, stderr = run_demo_command(
        """
        import atexit

        def interrupt_at_exit():
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(60)

        def command(args):
            atexit.register(interrupt_at_exit)
            print("result")
            return 0
        """
    )
    assert returncode == INTERRUPTED_STATUS, stderr[-3000:]
    assert stdout == "result\n"
    assert (
        stderr == "embedsent: interrupted while exiting, after the command finished\n"
    )


def test_ignored_interrupt_stays_ignored():
    # A non-interactive shell starts background jobs with SIGINT ignored.
    returncode, stdout, stderr = run_demo_command(
        """
        def command(args):
            os.kill(os.getpid(), signal.SIGINT)
            print("result")
            return 0
        """,
        ignore_sigint=True,
    )
    assert returncode == 0, stderr[-3000:]
    assert stdout == "result\n"
    assert stderr == ""


@pytest.mark.slow
def test_pretrain_interrupt_message_after_bar(tmp_path):
    # 10000 epochs of 200 short lines keep pretrain drawing one epoch bar
    # after another for minutes, long after the signal.
    data = tmp_path / "texts.txt"
    words = ["good", "bad", "film", "plot", "actor", "great", "dull", "story"]
    lines = [
        " ".join(words[(i + j) % len(words)] for j in range(12)) for i in range(200)
    ]
    data.write_text("\n".join(lines) + "\n", encoding="utf-8")
    argv = [*EMBEDSENT, "pretrain", "--data", str(data), "--min-count", "1"]
    argv += ["--out", str(tmp_path / "v.txt"), "--epochs", "10000"]
    process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    reader = StderrChunkReader(process)
    try:
        assert reader.wait_for("epoch 3", timeout=120), reader.text()[-3000:]
        process.send_signal(signal.SIGINT)
        code = process.wait(timeout=60)
    finally:
        process.kill()
        process.wait()
    stderr = reader.text()
    assert code == INTERRUPTED_STATUS, stderr[-3000:]
    assert "embedsent pretrain: interrupted" in terminal_lines(stderr), repr(
        stderr[-3000:]
    )
    assert not (tmp_path / "v.txt").exists()


def test_interrupt_after_atexit_ends_by_signal():
    # Module teardown, after the atexit handlers, finalizes the object in the
    # script's globals. CPython has restored SIGINT's default action by then,
    # so the signal ends the process. That keeps the interrupt visible to the
    # shell, where an exit with the command's status would hide it.
    returncode, stdout, stderr = run_demo_command(
        """
        class InterruptAtTeardown:
            def __del__(self, kill=os.kill, pid=os.getpid(), sleep=time.sleep):
                kill(pid, signal.SIGINT)
                sleep(60)

        finalized_at_teardown = InterruptAtTeardown()

        def command(args):
            print("result")
            return 0
        """
    )
    assert returncode == -signal.SIGINT, stderr[-3000:]
    assert stdout == "result\n"
    assert stderr == ""


def _catches_sigterm(pid: int) -> bool:
    """Return whether process ``pid`` has a handler for SIGTERM (Linux /proc)."""
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("SigCgt:"):
                return bool(int(line.split()[1], 16) >> (signal.SIGTERM - 1) & 1)
    return False


def _sigterm_during_import(argv: list[str], cwd: Path) -> tuple[int, str]:
    """Run the console script with ``argv`` and send SIGTERM once it catches it.

    The console script installs its SIGTERM handler before it imports the
    command line, and this function sends the signal as soon as /proc shows
    the handler, so the signal arrives during that import. Returns the exit
    status and standard error.
    """
    script = textwrap.dedent(
        """
        import sys

        from embedsent.console import entry

        sys.argv = sys.argv[1:]
        entry()
        """
    )
    process = subprocess.Popen(
        [sys.executable, "-c", script, "embedsent", *argv],
        cwd=cwd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while not _catches_sigterm(process.pid):
            assert process.poll() is None, process.stderr.read()
            assert time.monotonic() < deadline, "no SIGTERM handler after 30 s"
            time.sleep(0.005)
        os.kill(process.pid, signal.SIGTERM)
        code = process.wait(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    text = process.stderr.read()
    process.stderr.close()
    return code, text


@pytest.mark.skipif(
    not Path("/proc/self/status").exists(), reason="needs Linux /proc to see handlers"
)
def test_serve_sigterm_during_import_exits_0(tmp_path):
    model = _train_small_model(tmp_path)
    argv = ["--no-compile-cache", "serve", "--model", str(model), "--port", "0"]
    code, text = _sigterm_during_import(argv, tmp_path)
    assert code == 0, text
    assert "so it stopped before it listened" in text
    assert text.endswith("embedsent serve: stopped\n")
    assert "Traceback" not in text


@pytest.mark.skipif(
    not Path("/proc/self/status").exists(), reason="needs Linux /proc to see handlers"
)
def test_other_command_sigterm_during_import_ends_by_signal(tmp_path):
    # An argument named serve installs the deferral, and predict undoes it.
    model = _train_small_model(tmp_path)
    texts = tmp_path / "serve"
    texts.write_text("good film\n", encoding="utf-8")
    argv = ["--no-compile-cache", "predict", "--model", str(model), texts.name]
    code, text = _sigterm_during_import(argv, tmp_path)
    assert code == -signal.SIGTERM, text


@pytest.mark.skipif(
    not Path("/proc/self/status").exists(), reason="needs Linux /proc to see handlers"
)
def test_sigterm_before_parse_error_ends_by_signal(tmp_path):
    # predict without --model fails in argument parsing, after the import.
    code, text = _sigterm_during_import(["predict", "serve"], tmp_path)
    assert code == -signal.SIGTERM, text


def test_pretrain_sigterm_names_checkpoint_and_resumes(tmp_path):
    # --checkpoint-every 0 writes a checkpoint after every compiled call, and
    # 60 epochs of the shipped corpus keep training for about 2 s after the
    # first one (measured on a 2-core CPU machine), so SIGTERM arrives
    # during training.
    checkpoint = tmp_path / "run.npz"
    argv = [*EMBEDSENT, "--no-progress", "pretrain", "--data", "default"]
    argv += ["--out", str(tmp_path / "v.txt"), "--dim", "8", "--min-count", "1"]
    argv += ["--epochs", "60", "--checkpoint", str(checkpoint)]
    argv += ["--checkpoint-every", "0"]
    process = subprocess.Popen(
        argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        deadline = time.monotonic() + 120
        while not checkpoint.is_file():
            assert process.poll() is None, process.communicate()
            assert time.monotonic() < deadline, "no checkpoint after 120 s"
            time.sleep(0.01)
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    # 128 + 15, as shells report a process that SIGTERM ended.
    assert process.returncode == 143, err[-3000:]
    message = "embedsent pretrain: terminated by SIGTERM; rerun with --checkpoint"
    assert f"{message} {checkpoint} to resume" in err
    assert "Traceback" not in err
    assert not (tmp_path / "v.txt").exists()

    resumed = subprocess.run(argv, capture_output=True, text=True, timeout=120)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert f"resumed from {checkpoint} at " in resumed.stdout
    assert (tmp_path / "v.txt").is_file()
