"""Multi-process SGNS training through jax.distributed, on CPU processes.

Each run starts separate Python processes that talk over 127.0.0.1, each
with one CPU device, so the cross-process all-gather goes through gloo.
Every subprocess has a timeout, so a process that never connects fails the
test instead of hanging it.
"""

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import jax
import numpy as np
import pytest

from embedsent.config import SGNSConfig
from embedsent.distributed import DistributedConfig
from embedsent.trainer import _check_devices

TESTS = str(Path(__file__).resolve().parent)
PROCESS_TIMEOUT = 180

# Trains the test_trainer corpus on the devices of every process and saves the
# tables. argv[1] is a JSON object: "process_id", "num_processes", "port",
# "out", and optionally "corpus_seed" and "timeout".
WORKER_SCRIPT = """
import json, sys
import numpy as np
sys.path.insert(0, {tests!r})
from embedsent.distributed import DistributedConfig, initialize

spec = json.loads(sys.argv[1])
initialize(
    DistributedConfig(
        coordinator_address=f"127.0.0.1:{{spec['port']}}",
        num_processes=spec["num_processes"],
        process_id=spec["process_id"],
        initialization_timeout=spec.get("timeout", 60),
    )
)
import jax
from test_trainer import CONFIG, VOCAB, corpus
from embedsent.config import SGNSConfig
from embedsent.trainer import train_sgns

config = SGNSConfig(**{{**CONFIG.__dict__, "n_devices": 2}})
model = train_sgns(corpus(seed=spec.get("corpus_seed", 0)), config, VOCAB)
np.savez(spec["out"], input=model.input_vectors, output=model.output_vectors)
print(json.dumps({{"process": jax.process_index(),
                   "devices": jax.device_count(),
                   "local_devices": jax.local_device_count()}}))
"""

# The same training in one process that has two forced CPU devices.
REFERENCE_SCRIPT = """
import sys
import numpy as np
sys.path.insert(0, {tests!r})
from test_trainer import CONFIG, VOCAB, corpus
from embedsent.config import SGNSConfig
from embedsent.trainer import train_sgns

config = SGNSConfig(**{{**CONFIG.__dict__, "n_devices": 2}})
model = train_sgns(corpus(), config, VOCAB)
np.savez(sys.argv[1], input=model.input_vectors, output=model.output_vectors)
"""


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def cpu_env(devices: int) -> dict:
    env = dict(os.environ, JAX_PLATFORMS="cpu")
    env["XLA_FLAGS"] = f"--xla_force_host_platform_device_count={devices}"
    return env


def start_worker(spec: dict) -> subprocess.Popen:
    script = WORKER_SCRIPT.format(tests=TESTS)
    return subprocess.Popen(
        [sys.executable, "-c", script, json.dumps(spec)],
        env=cpu_env(1),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def finish(process: subprocess.Popen) -> tuple[int, str, str]:
    """Wait for ``process``, and kill it and fail the test after PROCESS_TIMEOUT s."""
    try:
        out, err = process.communicate(timeout=PROCESS_TIMEOUT)
    except subprocess.TimeoutExpired:
        process.kill()
        out, err = process.communicate()
        pytest.fail(f"process timed out after {PROCESS_TIMEOUT} s: {err[-2000:]}")
    return process.returncode, out, err


# Two JAX processes take both cores for about 30 s, so this test runs only in
# `make test-slow`. The one-process two-device tests stay in the default run.
@pytest.mark.slow
def test_two_processes_match_two_devices(tmp_path):
    port = free_port()
    workers = [
        start_worker(
            {
                "process_id": index,
                "num_processes": 2,
                "port": port,
                "out": str(tmp_path / f"process{index}.npz"),
            }
        )
        for index in range(2)
    ]
    reference = subprocess.Popen(
        [
            sys.executable,
            "-c",
            REFERENCE_SCRIPT.format(tests=TESTS),
            str(tmp_path / "reference.npz"),
        ],
        env=cpu_env(2),
        stderr=subprocess.PIPE,
        text=True,
    )
    results = [finish(worker) for worker in workers]
    reference_code, _, reference_err = finish(reference)

    for index, (code, _, err) in enumerate(results):
        assert code == 0, f"process {index} failed: {err[-2000:]}"
    assert reference_code == 0, reference_err[-2000:]
    reports = [json.loads(out.strip().splitlines()[-1]) for _, out, _ in results]
    assert [report["process"] for report in reports] == [0, 1]
    assert all(report["devices"] == 2 for report in reports)
    assert all(report["local_devices"] == 1 for report in reports)

    expected = np.load(tmp_path / "reference.npz")
    first = np.load(tmp_path / "process0.npz")
    np.testing.assert_array_equal(first["input"], expected["input"])
    np.testing.assert_array_equal(first["output"], expected["output"])
    # Every replica applies the same updates, so process 1 has the same
    # tables even though only process 0 writes them.
    second = np.load(tmp_path / "process1.npz")
    np.testing.assert_array_equal(second["input"], first["input"])
    np.testing.assert_array_equal(second["output"], first["output"])


def test_processes_with_other_corpora_fail(tmp_path):
    port = free_port()
    workers = [
        start_worker(
            {
                "process_id": index,
                "num_processes": 2,
                "port": port,
                "out": str(tmp_path / f"process{index}.npz"),
                "corpus_seed": index,
            }
        )
        for index in range(2)
    ]
    for index, (code, _, err) in enumerate(finish(worker) for worker in workers):
        assert code != 0, f"process {index} trained on a different corpus"
        assert "processes [1] disagree with process 0" in err, err[-2000:]


def run_cli(tmp_path, *options) -> tuple[subprocess.CompletedProcess, float]:
    command = [
        sys.executable,
        "-m",
        "embedsent.cli",
        "--no-progress",
        "pretrain",
        "--data",
        "default",
        "--out",
        str(tmp_path / "vectors.txt"),
        "--devices",
        "0",
        *options,
    ]
    started = time.monotonic()
    completed = subprocess.run(
        command,
        env=cpu_env(1),
        capture_output=True,
        text=True,
        timeout=PROCESS_TIMEOUT,
        check=False,
    )
    return completed, time.monotonic() - started


def test_cli_rejects_process_id_out_of_range(tmp_path):
    address = f"127.0.0.1:{free_port()}"
    completed, _ = run_cli(
        tmp_path,
        "--coordinator-address",
        address,
        "--num-processes",
        "2",
        "--process-id",
        "2",
    )
    assert completed.returncode == 2
    assert "--process-id 2: must be less than --num-processes 2" in completed.stderr
    assert not (tmp_path / "vectors.txt").exists()


def test_cli_unreachable_coordinator_times_out(tmp_path):
    # Nothing listens on the port, because process 0 is never started.
    address = f"127.0.0.1:{free_port()}"
    completed, seconds = run_cli(
        tmp_path,
        "--coordinator-address",
        address,
        "--num-processes",
        "2",
        "--process-id",
        "1",
        "--coordinator-timeout",
        "2",
    )
    assert completed.returncode == 2, completed.stderr[-2000:]
    assert f"could not reach the coordinator at {address} within 2 s" in (
        completed.stderr
    )
    assert seconds < 60


def test_cli_process_options_need_coordinator(tmp_path):
    completed, _ = run_cli(tmp_path, "--num-processes", "2")
    assert completed.returncode == 2
    assert "need --coordinator-address HOST:PORT" in completed.stderr


@pytest.mark.parametrize(
    ("arguments", "error", "message"),
    [
        (("10.0.0.1", 2, 0), ValueError, "must be HOST:PORT"),
        (("10.0.0.1:0", 2, 0), ValueError, "port from 1 to 65535"),
        ((":1234", 2, 0), ValueError, "must be HOST:PORT"),
        ((1234, 2, 0), TypeError, "coordinator_address must be a str"),
        (("10.0.0.1:1234", 0, 0), ValueError, "num_processes must be >= 1"),
        (("10.0.0.1:1234", 2, -1), ValueError, "process_id must be >= 0"),
        (("10.0.0.1:1234", 2, 2), ValueError, "process_id must be < num_processes"),
        (("10.0.0.1:1234", 2, "1"), TypeError, "process_id must be an int"),
        (("10.0.0.1:1234", 2, 0, 2**31), ValueError, "must be <= 604800 s"),
    ],
)
def test_distributed_config_rejects(arguments, error, message):
    with pytest.raises(error, match=message):
        DistributedConfig(*arguments)


def test_cli_rejects_coordinator_timeout_over_a_week(capsys):
    from embedsent.cli import main

    argv = ["pretrain", "--data", "default", "--out", "unused.txt"]
    with pytest.raises(SystemExit) as raised:
        main([*argv, "--coordinator-timeout", "2147483648"])
    assert raised.value.code == 2
    err = capsys.readouterr().err
    assert "--coordinator-timeout: must be >= 1 and <= 604800" in err
    assert "wait from 1 s up to one week" in err


def test_distributed_config_accepts_ipv6():
    config = DistributedConfig("[::1]:1234", 2, 1)
    assert config.initialization_timeout == 300


def test_check_devices_multiprocess_needs_every_device(monkeypatch):
    monkeypatch.setattr(jax, "process_count", lambda: 2)
    monkeypatch.setattr(jax, "device_count", lambda: 2)
    with pytest.raises(ValueError, match="set n_devices to 0 or 2"):
        _check_devices(SGNSConfig(n_devices=1))
    _check_devices(SGNSConfig(n_devices=0))
    _check_devices(SGNSConfig(n_devices=2))
