"""Messages of failed writes: atomic saves and predictions on standard output."""

import errno
import io
import os
import subprocess
import sys

import pytest

from embedsent import console
from embedsent.console import flush_output, print_output
from embedsent.storage import save_bundle, write_text_atomic


def _fail_writes(number, strerror):
    def fail(stream):
        stream.write(b"partial")
        raise OSError(number, strerror)

    return fail


def test_full_disk_names_file_state_and_fix(tmp_path):
    from embedsent.storage import write_atomic

    path = tmp_path / "out.txt"
    path.write_text("old", encoding="utf-8")
    with pytest.raises(OSError) as raised:
        write_atomic(path, _fail_writes(errno.ENOSPC, "No space left on device"))
    assert str(raised.value) == (
        f"cannot write {path}: writing the data to a temporary file in {tmp_path} "
        "failed: [Errno 28] no space left on device; the existing file was left "
        "unchanged and no partial file remains; free space on the file system of "
        f"{tmp_path}, or pass a path on another file system"
    )
    assert raised.value.errno == errno.ENOSPC
    assert isinstance(raised.value.__cause__, OSError)
    assert raised.value.__cause__.errno == errno.ENOSPC
    assert path.read_text(encoding="utf-8") == "old"
    assert [entry.name for entry in tmp_path.iterdir()] == ["out.txt"]


def test_new_file_failure_says_no_file_was_created(tmp_path):
    from embedsent.storage import write_atomic

    path = tmp_path / "new.txt"
    with pytest.raises(OSError) as raised:
        write_atomic(path, _fail_writes(errno.EIO, "Input/output error"))
    message = str(raised.value)
    assert message.startswith(f"cannot write {path}: writing the data to ")
    assert "[Errno 5] Input/output error; no file was created and no partial " in (
        message
    )
    assert message.endswith(
        f"check the file system of {tmp_path}, or pass another path"
    )
    assert raised.value.errno == errno.EIO
    assert list(tmp_path.iterdir()) == []


def test_failed_flush_is_described(tmp_path, monkeypatch):
    def fail(descriptor):
        raise OSError(errno.EDQUOT, "Disk quota exceeded")

    monkeypatch.setattr(os, "fsync", fail)
    path = tmp_path / "model.npz"
    with pytest.raises(OSError) as raised:
        save_bundle(path, {"format": "x"}, {})
    assert "[Errno 122] disk quota exceeded; no file was created" in str(raised.value)
    assert "free space within your quota on the file system of" in str(raised.value)
    assert list(tmp_path.iterdir()) == []


# Writes 200 kB with a file size limit of 1000 bytes.
FILE_SIZE_SCRIPT = """
import resource, sys
from embedsent.storage import write_text_atomic
resource.setrlimit(resource.RLIMIT_FSIZE, (1000, 1000))
try:
    write_text_atomic(sys.argv[1], "x" * 200_000)
except OSError as error:
    print(error.errno)
    print(error)
"""


def test_file_size_limit_names_limit_and_fix(tmp_path):
    path = tmp_path / "vectors.txt"
    path.write_text("old", encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-c", FILE_SIZE_SCRIPT, str(path)],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    number, message = result.stdout.strip().split("\n")
    assert int(number) == errno.EFBIG
    assert message == (
        f"cannot write {path}: writing the data to a temporary file in {tmp_path} "
        "failed: [Errno 27] file size limit exceeded: ulimit -f allows 1000 bytes; "
        "the existing file was left unchanged and no partial file remains; raise "
        "the limit, for example with `ulimit -f unlimited` in the shell that runs "
        "embedsent"
    )
    assert path.read_text(encoding="utf-8") == "old"
    assert [entry.name for entry in tmp_path.iterdir()] == ["vectors.txt"]


def test_rename_failure_keeps_old_message_form(tmp_path, monkeypatch):
    def fail(source, destination):
        raise OSError(errno.EXDEV, "Invalid cross-device link", source, destination)

    monkeypatch.setattr(os, "replace", fail)
    with pytest.raises(OSError) as raised:
        write_text_atomic(tmp_path / "out.txt", "new")
    assert str(raised.value).endswith("failed: [Errno 18] Invalid cross-device link")


class _FullStream(io.StringIO):
    def write(self, text):
        raise OSError(errno.ENOSPC, "No space left on device")

    def flush(self):
        raise OSError(errno.ENOSPC, "No space left on device")


def test_print_output_names_what_and_fix(monkeypatch):
    monkeypatch.setattr(sys, "stdout", _FullStream())
    with pytest.raises(OSError) as raised:
        print_output("{}", "the predictions")
    assert str(raised.value) == (
        "writing the predictions to standard output failed: [Errno 28] no space "
        "left on device; free space on the file system that standard output goes "
        "to, or redirect standard output to a file on another file system"
    )
    assert raised.value.errno == errno.ENOSPC
    with pytest.raises(OSError, match="writing the predictions to standard output"):
        flush_output("the predictions")


def test_print_output_passes_broken_pipe(monkeypatch):
    class Closed(io.StringIO):
        def write(self, text):
            raise BrokenPipeError(errno.EPIPE, "Broken pipe")

    monkeypatch.setattr(sys, "stdout", Closed())
    with pytest.raises(BrokenPipeError):
        print_output("{}", "the predictions")


def _train_model(tmp_path):
    from embedsent.cli import main

    vectors = tmp_path / "vectors.txt"
    vectors.write_text("3 2\ngood 1 0\nbad 0 1\nfilm 0.5 0.5\n", encoding="utf-8")
    labeled = tmp_path / "labeled.csv"
    labeled.write_text("text,label\ngood film,pos\nbad film,neg\n", encoding="utf-8")
    model = tmp_path / "model.npz"
    argv = ["train", "--vectors", str(vectors), "--data", str(labeled)]
    argv += ["--out", str(model), "--hidden-size", "0", "--classifier-epochs", "5"]
    assert main(argv) == 0
    return model


@pytest.mark.parametrize("buffered", [True, False])
def test_predict_to_full_device_names_standard_output(tmp_path, buffered):
    if not os.path.exists("/dev/full"):
        pytest.skip("needs /dev/full")
    model = _train_model(tmp_path)
    environment = dict(os.environ)
    environment.pop("PYTHONUNBUFFERED", None)
    if not buffered:
        environment["PYTHONUNBUFFERED"] = "1"
    command = [sys.executable, "-m", "embedsent.cli", "--no-compile-cache"]
    with open("/dev/full", "wb") as full:
        result = subprocess.run(
            [*command, "predict", "--model", str(model)],
            input=b"good film\n",
            stdout=full,
            stderr=subprocess.PIPE,
            env=environment,
            timeout=300,
            check=False,
        )
    err = result.stderr.decode("utf-8")
    assert result.returncode == 2, err
    assert (
        "embedsent predict: error: writing the predictions to standard output "
        "failed: [Errno 28] no space left on device; free space" in err
    )
    assert "Traceback" not in err
    assert "Exception ignored" not in err


def test_help_to_full_device_names_standard_output():
    if not os.path.exists("/dev/full"):
        pytest.skip("needs /dev/full")
    environment = dict(os.environ)
    environment.pop("PYTHONUNBUFFERED", None)
    with open("/dev/full", "wb") as full:
        result = subprocess.run(
            [sys.executable, "-m", "embedsent.cli", "compare", "--help"],
            stdout=full,
            stderr=subprocess.PIPE,
            env=environment,
            timeout=300,
            check=False,
        )
    err = result.stderr.decode("utf-8")
    assert result.returncode == 2, err
    assert (
        "embedsent: error: writing the command's output to standard output "
        "failed: [Errno 28] no space left on device" in err
    )
    assert "Traceback" not in err
    assert "Exception ignored" not in err


def test_discard_output_skips_stream_without_descriptor(monkeypatch):
    monkeypatch.setattr(sys, "stdout", io.StringIO())
    console.discard_output()  # No descriptor, so nothing to redirect.


def test_failed_save_model_says_the_vectors_were_written(tmp_path, capsys, monkeypatch):
    from embedsent.cli import main
    from embedsent.sgns_model import SGNSModel

    vectors = tmp_path / "vectors.txt"
    model = tmp_path / "sgns.npz"
    argv = ["--no-progress", "pretrain", "--data", "default", "--out", str(vectors)]
    argv += ["--save-model", str(model), "--dim", "8", "--epochs", "1"]

    def fail(self, path):
        # The form of storage.write_atomic's errors: the message, with errno set.
        error = OSError(f"cannot write {path}: no space left on device")
        error.errno = errno.ENOSPC
        raise error

    monkeypatch.setattr(SGNSModel, "save", fail)
    status = main(argv)
    message = capsys.readouterr().err
    assert status == 2
    assert f"--save-model {model}: cannot write {model}: no space left" in message
    assert "[Errno" not in message
    assert f"The word vectors were saved to {vectors}; only the --save-model" in (
        message
    )
    assert vectors.read_text(encoding="utf-8").split()[1] == "8"
    assert not model.exists()
