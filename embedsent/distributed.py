"""Multi-process JAX runs: connecting the processes and building global arrays.

A multi-host job runs one Python process per host (or per group of devices).
Each process calls ``initialize`` before any other JAX call, and then
``jax.devices()`` lists the devices of every process while
``jax.local_devices()`` lists its own. An array whose sharding spans devices
of other processes is a global array: each process holds only the shards of
its own devices, so reading it back goes through ``replica_to_numpy``.

Only process 0 writes files. ``writes_files`` is that rule, and
``embedsent.checkpoint.save_checkpoint`` and ``embedsent.commands.run_pretrain``
ask it before they write.

``DistributedConfig`` and ``coordinator_address`` are defined in
``embedsent.distributed_config``, which imports no JAX, and re-exported here.
"""

from __future__ import annotations

import hashlib
import logging
import socket
import time
from collections.abc import Sequence

import jax
import numpy as np
from jax.sharding import Mesh, NamedSharding, PartitionSpec

from embedsent.distributed_config import DistributedConfig, coordinator_address

__all__ = [
    "DistributedConfig",
    "check_processes_agree",
    "coordinator_address",
    "data_mesh",
    "initialize",
    "local_replica",
    "replica_to_numpy",
    "replicated",
    "split_rows",
    "writes_files",
]

logger = logging.getLogger(__name__)


def initialize(config: DistributedConfig) -> None:
    """Connect this process to the others of a multi-process run.

    Call it once per process, before anything else uses JAX. Process 0 starts
    the coordinator service at ``config.coordinator_address``. The call
    returns when all ``config.num_processes`` processes have connected.

    Raises:
        RuntimeError: from ``jax.distributed.initialize`` if JAX already ran a
            computation or listed devices in this process.
        TimeoutError: if a process other than 0 cannot reach the coordinator
            within ``config.initialization_timeout`` seconds.
    """
    _select_cpu_collectives()
    if config.process_id != 0:
        _wait_for_coordinator(config)
    # NOTE: jax 0.10.2 raises no Python error when the processes fail to
    # connect. Its C++ client ends the process (SIGABRT) with
    # "DEADLINE_EXCEEDED ... RegisterTask" once the timeout passes, as when a
    # process is missing, two processes share an id, or the counts differ.
    logger.info(
        "process %d of %d: waiting up to %d s for every process to connect to "
        "the coordinator at %s",
        config.process_id,
        config.num_processes,
        config.initialization_timeout,
        config.coordinator_address,
    )
    jax.distributed.initialize(
        coordinator_address=config.coordinator_address,
        num_processes=config.num_processes,
        process_id=config.process_id,
        initialization_timeout=config.initialization_timeout,
    )
    logger.info(
        "process %d of %d connected: %d local and %d global devices",
        jax.process_index(),
        jax.process_count(),
        jax.local_device_count(),
        jax.device_count(),
    )


def _wait_for_coordinator(config: DistributedConfig) -> None:
    """Retry a TCP connection to the coordinator until it accepts one.

    JAX would end the process without a Python exception when the coordinator
    cannot be reached, so this check runs first and raises instead.
    """
    host, _, port = config.coordinator_address.rpartition(":")
    host = host.removeprefix("[").removesuffix("]")
    deadline = time.monotonic() + config.initialization_timeout
    while True:
        remaining = deadline - time.monotonic()
        try:
            with socket.create_connection((host, int(port)), max(remaining, 0.1)):
                return
        except OSError as error:
            if remaining <= 0:
                raise TimeoutError(
                    f"process {config.process_id} could not reach the coordinator "
                    f"at {config.coordinator_address} within "
                    f"{config.initialization_timeout} s ({error}); start process 0 "
                    "with that address, and check that this host can reach that "
                    "TCP port"
                ) from error
        time.sleep(min(0.5, max(remaining, 0.0)))


def _select_cpu_collectives() -> None:
    """Use gloo for collectives between processes on CPU.

    Without a cross-process implementation, the CPU backend cannot run an
    all-gather between processes. jax 0.10.2 already defaults to gloo, and a
    user's explicit choice (such as "mpi") is kept.
    """
    name = "jax_cpu_collectives_implementation"
    try:
        current = getattr(jax.config, name)
    except AttributeError:
        # NOTE: never run here, because the pinned jax 0.10.2 has the option.
        logger.warning(
            "this jax has no %s option, so CPU collectives between processes "
            "may fail; install the jax version that pyproject.toml pins",
            name,
        )
        return
    if current is None:
        jax.config.update(name, "gloo")


def check_processes_agree(values: dict) -> None:
    """Raise unless every process passes equal ``values``.

    Values may be NumPy arrays or anything with a deterministic ``repr``. Only
    a SHA-256 digest crosses between processes. Call it from every process at
    the same point, because it runs a collective and a process that never
    calls it leaves the others waiting.

    Raises:
        ValueError: naming the processes whose values differ from process 0's.
    """
    from jax.experimental import multihost_utils

    digest = hashlib.sha256()
    for name in sorted(values):
        value = values[name]
        digest.update(name.encode("utf-8"))
        if isinstance(value, np.ndarray):
            digest.update(f"{value.dtype}{value.shape}".encode())
            digest.update(np.ascontiguousarray(value).tobytes())
        else:
            digest.update(repr(value).encode("utf-8"))
    local = np.frombuffer(digest.digest(), np.uint8)
    gathered = np.asarray(multihost_utils.process_allgather(local))
    differing = [
        process
        for process in range(gathered.shape[0])
        if not np.array_equal(gathered[process], gathered[0])
    ]
    if differing:
        summary = {
            name: f"array of {value.size}" if isinstance(value, np.ndarray) else value
            for name, value in values.items()
        }
        raise ValueError(
            f"processes {differing} disagree with process 0 on the run "
            f"(process {jax.process_index()} has {summary}); every process must "
            "call train_sgns with the same corpus and settings, and a resumed run "
            "needs the same checkpoint file on every host"
        )


def writes_files() -> bool:
    """Return whether this process writes checkpoints and outputs (process 0)."""
    return jax.process_index() == 0


def data_mesh(n_devices: int, axis: str) -> Mesh:
    """Return a one-axis mesh over the first ``n_devices`` global devices.

    It equals the mesh of ``embedsent.sgns.sharded_train_chunk``, so arrays
    placed with it have the shardings that the step expects.
    """
    return Mesh(np.array(jax.devices()[:n_devices]), (axis,))


def replicated(mesh: Mesh, value) -> jax.Array:
    """Return ``value`` as an array replicated on every device of ``mesh``.

    ``value`` must be equal in every process, and each process copies it to
    its own devices only. An array that is already replicated on ``mesh`` is
    returned as it is.
    """
    sharding = NamedSharding(mesh, PartitionSpec())
    if isinstance(value, jax.Array) and value.sharding.is_equivalent_to(
        sharding, value.ndim
    ):
        return value
    host = np.asarray(value)
    return jax.make_array_from_callback(host.shape, sharding, lambda index: host)


def split_rows(mesh: Mesh, rows: Sequence) -> jax.Array:
    """Stack ``rows`` into an array whose row ``i`` lives on mesh device ``i``.

    Every process passes all rows, but copies only the rows of its own
    devices, so the rows of other processes' devices are never transferred.
    """
    if len(rows) != mesh.size:
        raise ValueError(f"got {len(rows)} rows for a mesh of {mesh.size} devices")
    first = np.asarray(rows[0])
    shape = (len(rows), *first.shape)
    sharding = NamedSharding(mesh, PartitionSpec(mesh.axis_names[0]))

    def shard(index):
        selected = range(len(rows))[index[0]]
        return np.stack([np.asarray(rows[i], first.dtype) for i in selected])

    return jax.make_array_from_callback(shape, sharding, shard)


def local_replica(value: jax.Array) -> jax.Array:
    """Return this process's copy of a replicated array, without waiting for it."""
    if value.is_fully_addressable:
        return value
    return value.addressable_data(0)


def replica_to_numpy(value) -> np.ndarray:
    """Return a replicated array's value as NumPy from this process's devices.

    ``np.asarray`` fails on an array that spans other processes' devices,
    while every device contains a full copy of a replicated array.
    """
    if not isinstance(value, jax.Array) or value.is_fully_addressable:
        return np.asarray(value)
    return np.asarray(value.addressable_data(0))
