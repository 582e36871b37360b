import json
import logging
import os
import subprocess
import sys
import warnings
from pathlib import Path

import jax
import pytest
from jax.experimental.compilation_cache import compilation_cache

from embedsent.cli import main
from embedsent.compile_cache import (
    ENV_VAR,
    CompileCacheError,
    default_cache_dir,
    enable_compile_cache,
    log_cache_warnings,
)

# Compiles one program with the cache in sys.argv[1] and prints how many
# programs were read from it and how many were compiled.
COMPILE_ONE = """
import json, sys
import jax, jax.numpy as jnp
from embedsent.compile_cache import enable_compile_cache
events = []
jax.monitoring.register_event_listener(lambda name, **kw: events.append(name))
enable_compile_cache(sys.argv[1], min_compile_seconds=0)
jax.jit(lambda x: jnp.tanh(x) @ x.T + 3.0)(jnp.ones((4, 4))).block_until_ready()
print(json.dumps({
    "hits": events.count("/jax/compilation_cache/cache_hits"),
    "misses": events.count("/jax/compilation_cache/cache_misses"),
}))
"""


@pytest.fixture(autouse=True)
def restore_cache_folder():
    """Restore JAX's cache folder, which the commands run here switch."""
    folder = jax.config.jax_compilation_cache_dir
    yield
    compilation_cache.reset_cache()
    jax.config.update("jax_compilation_cache_dir", folder)


def compile_in_child(folder: Path) -> dict:
    completed = subprocess.run(
        [sys.executable, "-c", COMPILE_ONE, str(folder)],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(completed.stdout.strip().splitlines()[-1])


def test_second_process_reads_cached_program(tmp_path):
    folder = tmp_path / "new" / "cache"
    first = compile_in_child(folder)
    assert first["hits"] == 0
    assert first["misses"] >= 1
    assert folder.stat().st_mode & 0o777 == 0o700
    assert len(list(folder.iterdir())) == first["misses"]
    assert compile_in_child(folder) == {"hits": first["misses"], "misses": 0}


@pytest.mark.parametrize("value", ["off", "OFF", "0", "false", "no", "none"])
def test_environment_turns_the_cache_off(value):
    assert default_cache_dir({ENV_VAR: value}) is None


def test_home_and_relative_paths_become_absolute(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert enable_compile_cache("~/cache") == tmp_path / "home" / "cache"
    monkeypatch.chdir(tmp_path)
    assert enable_compile_cache("relative") == tmp_path / "relative"
    assert jax.config.jax_compilation_cache_dir == str(tmp_path / "relative")


def test_environment_names_the_folder():
    assert default_cache_dir({ENV_VAR: "/data/xla"}) == Path("/data/xla")
    home = Path.home()
    assert default_cache_dir({ENV_VAR: "~/xla"}) == home / "xla"


def test_default_folder_follows_xdg_cache_home():
    assert default_cache_dir({"XDG_CACHE_HOME": "/c"}) == Path("/c/embedsent/xla")
    expected = Path.home() / ".cache" / "embedsent" / "xla"
    assert default_cache_dir({ENV_VAR: " ", "XDG_CACHE_HOME": ""}) == expected


def test_given_folder_with_missing_parents_warns(tmp_path, caplog):
    folder = tmp_path / "typo" / "deeper" / "cache"
    with caplog.at_level(logging.WARNING, logger="embedsent.compile_cache"):
        enable_compile_cache(folder, source="--compile-cache")
    assert folder.is_dir()
    assert f"created {tmp_path / 'typo'} and the folders below it" in caplog.text
    assert "check --compile-cache for a typo" in caplog.text


def test_new_leaf_or_default_folder_does_not_warn(tmp_path, caplog):
    with caplog.at_level(logging.WARNING, logger="embedsent.compile_cache"):
        enable_compile_cache(tmp_path / "cache", source="--compile-cache")
        enable_compile_cache(tmp_path / "home" / ".cache" / "embedsent" / "xla")
    assert "created" not in caplog.text


def test_file_as_folder_rejected(tmp_path):
    blocking = tmp_path / "cache"
    blocking.write_text("x")
    with pytest.raises(CompileCacheError, match="is a file, not a folder"):
        enable_compile_cache(blocking)
    assert blocking.read_text() == "x"


def test_folder_others_may_write_is_rejected(tmp_path):
    folder = tmp_path / "shared"
    folder.mkdir()
    folder.chmod(0o777)
    with pytest.raises(CompileCacheError, match=f"chmod go-w {folder.resolve()}"):
        enable_compile_cache(folder)


def test_shared_sticky_folder_advice_avoids_chmod(tmp_path):
    folder = tmp_path / "sticky"
    folder.mkdir()
    folder.chmod(0o1777)
    with pytest.raises(CompileCacheError) as raised:
        enable_compile_cache(folder)
    message = str(raised.value)
    assert f"{folder.resolve()} is shared: others may write to it" in message
    assert f"such as {folder.resolve() / 'embedsent-xla'}" in message
    assert "chmod" not in message


def test_folder_below_writable_parent_is_rejected(tmp_path):
    parent = tmp_path / "open"
    parent.mkdir()
    parent.chmod(0o777)
    with pytest.raises(CompileCacheError, match="a folder above it, is writable"):
        enable_compile_cache(parent / "cache" / "inner")
    assert not (parent / "cache").exists()


def test_folder_below_sticky_parent_is_accepted(tmp_path):
    parent = tmp_path / "sticky"
    parent.mkdir()
    parent.chmod(0o1777)
    assert enable_compile_cache(parent / "cache") == (parent / "cache").resolve()


def test_unreadable_entries_are_deleted(tmp_path, caplog):
    from jax._src.compilation_cache import compress_executable

    folder = tmp_path / "cache"
    folder.mkdir(mode=0o700)
    good = folder / "jit_good-0123-cache"
    good.write_bytes(compress_executable(b"program"))
    truncated = folder / "jit_cut-4567-cache"
    truncated.write_bytes(compress_executable(b"program" * 1000)[:20])
    other = folder / "notes.txt"
    other.write_text("not an entry")
    with caplog.at_level("WARNING", logger="embedsent"):
        enable_compile_cache(folder)
    assert not truncated.exists()
    assert good.exists()
    assert other.exists()
    assert f"deleted compile cache entry {truncated}" in caplog.text


def test_size_limit_drops_oldest_entries(tmp_path, caplog):
    from jax._src.compilation_cache import compress_executable

    folder = tmp_path / "cache"
    folder.mkdir(mode=0o700)
    entries = []
    for age, name in enumerate(["new", "middle", "old"]):
        entry = folder / f"jit_{name}-{age}-cache"
        entry.write_bytes(compress_executable(os.urandom(400_000)))
        stamp = 1_700_000_000 - 1000 * age
        os.utime(entry, (stamp, stamp))
        entries.append(entry)
    size = entries[0].stat().st_size
    with caplog.at_level("INFO", logger="embedsent"):
        enable_compile_cache(folder, max_megabytes=2.5 * size / 1e6)
    assert [entry.exists() for entry in entries] == [True, True, False]
    assert "deleted 1 least recently used compile cache entries" in caplog.text
    enable_compile_cache(folder, max_megabytes=0)
    assert not list(folder.glob("*-cache"))


@pytest.mark.parametrize("megabytes", [-1, float("nan"), "1", True])
def test_invalid_size_limit_rejected(tmp_path, megabytes):
    with pytest.raises(ValueError, match="max_megabytes must be a number >= 0"):
        enable_compile_cache(tmp_path, max_megabytes=megabytes)


@pytest.mark.parametrize("seconds", [-1, float("nan"), float("inf"), "1"])
def test_invalid_minimum_compile_time_rejected(tmp_path, seconds):
    with pytest.raises(ValueError, match="must be a finite number >= 0, got"):
        enable_compile_cache(tmp_path, min_compile_seconds=seconds)


def test_cache_turned_off_rejects_default_folder(monkeypatch):
    monkeypatch.setenv(ENV_VAR, "off")
    with pytest.raises(CompileCacheError, match=f"unset {ENV_VAR}"):
        enable_compile_cache()


# A command line of each command whose inputs are all missing, so a command
# that checked its inputs before --compile-cache would report those instead.
COMMANDS_WITH_MISSING_INPUTS = [
    ["demo"],
    ["pretrain", "--data", "missing.txt", "--out", "vectors.txt"],
    ["train", "--vectors", "missing.txt", "--data", "missing.csv", "--out", "m.npz"],
    ["predict", "--model", "missing.npz"],
    ["compare", "--data", "missing"],
    ["diagnose", "--model", "missing.npz", "--data", "missing.csv"],
    ["select", "--data", "missing.csv"],
    ["bench", "sgns", "--data", "missing"],
    ["bench", "transfer", "--data", "missing"],
    ["serve", "--model", "missing.npz"],
]


@pytest.mark.parametrize(
    "argv",
    COMMANDS_WITH_MISSING_INPUTS,
    ids=[" ".join(a[:2]) for a in COMMANDS_WITH_MISSING_INPUTS],
)
def test_cli_rejects_file_as_cache_before_inputs(argv, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    blocking = tmp_path / "cache"
    blocking.write_text("x")
    assert main(["--compile-cache", str(blocking), *argv]) == 2
    error = capsys.readouterr().err
    assert f"--compile-cache {blocking} is a file, not a folder" in error
    assert "pass another --compile-cache path" in error
    assert "or pass --no-compile-cache" in error
    assert "not found" not in error
    assert blocking.read_text() == "x"


def test_cli_rejects_cache_below_file(tmp_path, capsys):
    blocking = tmp_path / "cache"
    blocking.write_text("x")
    argv = ["--compile-cache", str(blocking / "xla"), "predict", "--model", "m.npz"]
    assert main(argv) == 2
    error = capsys.readouterr().err
    assert f"{blocking} is a file, so no folder can be created below it" in error
    assert "or pass --no-compile-cache" in error


def test_cli_names_device_given_as_cache(capsys):
    argv = ["--compile-cache", "/dev/null", "predict", "--model", "m.npz"]
    assert main(argv) == 2
    error = capsys.readouterr().err
    assert "--compile-cache /dev/null is a character device, not a folder" in error


def test_cli_names_device_above_cache(capsys):
    argv = ["--compile-cache", "/dev/null/xla", "predict", "--model", "m.npz"]
    assert main(argv) == 2
    error = capsys.readouterr().err
    assert "/dev/null is a character device, so no folder can be created" in error


def test_cli_rejects_empty_cache_path(capsys):
    assert main(["--compile-cache", "", "predict", "--model", "missing.npz"]) == 2
    error = capsys.readouterr().err
    assert "--compile-cache: the folder path is empty" in error
    assert "or pass --no-compile-cache" in error


def test_cli_rejects_file_as_cache(tmp_path, capsys):
    blocking = tmp_path / "cache"
    blocking.write_text("x")
    assert main(["--compile-cache", str(blocking), "demo"]) == 2
    error = capsys.readouterr().err
    assert f"--compile-cache {blocking} is a file, not a folder" in error
    assert "pass another --compile-cache path" in error


def test_cli_rejects_unusable_environment_folder(tmp_path, monkeypatch, capsys):
    folder = tmp_path / "shared"
    folder.mkdir()
    folder.chmod(0o775)
    monkeypatch.setenv(ENV_VAR, str(folder))
    assert main(["demo"]) == 2
    error = capsys.readouterr().err
    assert f"{ENV_VAR} {folder}: {folder.resolve()} is writable by other" in error


def test_cli_without_cache_writes_no_folder(tmp_path, monkeypatch, capsys):
    folder = tmp_path / "cache"
    monkeypatch.setenv(ENV_VAR, str(folder))
    enable_compile_cache(tmp_path / "earlier")
    assert main(["--no-progress", "--no-compile-cache", "demo"]) == 0
    assert "transfer" in capsys.readouterr().out
    assert not folder.exists()
    assert jax.config.jax_compilation_cache_dir is None


def test_cli_warning_names_the_flags(tmp_path, monkeypatch, caplog):
    home = tmp_path / "home"
    home.mkdir()
    home.chmod(0o777)
    monkeypatch.delenv(ENV_VAR)
    monkeypatch.setenv("XDG_CACHE_HOME", str(home))
    with caplog.at_level("WARNING"):
        assert main(["--no-progress", "demo"]) == 0
    assert "a folder above it, is writable by other users" in caplog.text
    assert "Pass --compile-cache DIR for another folder" in caplog.text
    assert "or --no-compile-cache to compile without this warning" in caplog.text


def test_cli_warns_when_default_folder_fails(tmp_path, monkeypatch, caplog):
    (tmp_path / "home").write_text("not a folder")
    monkeypatch.delenv(ENV_VAR)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "home"))
    with caplog.at_level("WARNING"):
        assert main(["--no-progress", "demo"]) == 0
    assert "running without the compile cache" in caplog.text
    assert os.path.isfile(tmp_path / "home")


def test_cached_programs_train_identical_vectors(tmp_path):
    folder = tmp_path / "cache"

    def pretrain(name: str) -> bytes:
        out = tmp_path / name
        command = [sys.executable, "-m", "embedsent.cli", "-v", "--no-progress"]
        command += ["--compile-cache", str(folder), "pretrain", "--data", "default"]
        command += ["--out", str(out), "--dim", "8", "--epochs", "1"]
        completed = subprocess.run(command, capture_output=True, text=True)
        assert completed.returncode == 0, completed.stderr[-2000:]
        return out.read_bytes()

    compiled = pretrain("compiled.txt")
    # The SGNS step compiled in over 1 s on a 2-core machine, so it is kept.
    # Whether a quicker program is kept depends on its compile time.
    steps = [path for path in folder.iterdir() if "train_chunk" in path.name]
    assert len(steps) == 1
    assert pretrain("cached.txt") == compiled
    assert steps[0].exists()


JAX_WRITE_WARNING = (
    "Error writing persistent compilation cache entry for 'jit_step': "
    "OSError: [Errno 27] File too large"
)


def test_cache_warning_becomes_one_log_line(tmp_path, caplog, recwarn):
    before = warnings.showwarning
    with caplog.at_level(logging.DEBUG, logger="embedsent.compile_cache"):
        with log_cache_warnings(tmp_path, "pass --no-compile-cache"):
            warnings.warn(JAX_WRITE_WARNING, stacklevel=1)
            warnings.warn(
                JAX_WRITE_WARNING.replace("jit_step", "jit_other"), stacklevel=1
            )
            warnings.warn("an unrelated warning", stacklevel=1)
    logged = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(logged) == 1
    message = logged[0].getMessage()
    assert f"compile cache {tmp_path}: writing program jit_step failed" in message
    assert "OSError: [Errno 27] File too large" in message
    assert message.endswith("to run without the cache, pass --no-compile-cache")
    assert "jit_other" in caplog.records[-1].getMessage()
    assert [str(warning.message) for warning in recwarn] == ["an unrelated warning"]
    assert warnings.showwarning is before


def test_jax_cache_write_failure_is_logged(tmp_path, monkeypatch, caplog, recwarn):
    import jax.numpy as jnp
    from jax._src import compilation_cache as jax_cache

    def fail_to_write(*args, **kwargs):
        raise OSError(27, "File too large")

    monkeypatch.setattr(jax_cache, "put_executable_and_time", fail_to_write)
    min_seconds = jax.config.jax_persistent_cache_min_compile_time_secs
    folder = enable_compile_cache(tmp_path / "xla", min_compile_seconds=0)
    try:
        with caplog.at_level(logging.WARNING, logger="embedsent.compile_cache"):
            with log_cache_warnings(folder, "pass --no-compile-cache"):
                step = jax.jit(lambda x: jnp.sin(x) * 7.0 - 2.0)
                step(jnp.arange(5.0)).block_until_ready()
    finally:
        jax.config.update("jax_persistent_cache_min_compile_time_secs", min_seconds)
    assert f"compile cache {folder}: writing program" in caplog.text
    assert "File too large" in caplog.text
    assert len(recwarn) == 0
