"""Connection settings of a multi-process JAX run, checked without JAX.

``embedsent.distributed.initialize`` connects the processes that a
``DistributedConfig`` describes. ``coordinator_address`` checks the value of
``--coordinator-address`` while the command line is parsed, which imports no
JAX.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass

__all__ = ["MAX_INITIALIZATION_TIMEOUT", "DistributedConfig", "coordinator_address"]

# Maximum wait for the other processes: one week. JAX takes the timeout
# as a 32-bit count of seconds, and a longer wait is most likely a typo.
MAX_INITIALIZATION_TIMEOUT = 7 * 24 * 3600


@dataclass(frozen=True)
class DistributedConfig:
    """Connection settings of one process in a multi-process run.

    Attributes:
        coordinator_address: ``HOST:PORT`` where process 0 runs the JAX
            coordinator service. Every process passes the same address, and
            the other processes must reach HOST on that TCP port.
        num_processes: Number of processes in the run.
        process_id: This process's index, from 0 to ``num_processes - 1``.
            Each index belongs to exactly one process.
        initialization_timeout: Seconds to wait for every process to connect
            before ``initialize`` fails, at most ``MAX_INITIALIZATION_TIMEOUT``
            (one week).
    """

    coordinator_address: str
    num_processes: int
    process_id: int
    initialization_timeout: int = 300

    def __post_init__(self):
        _check_address(self.coordinator_address)
        _check_int("num_processes", self.num_processes, 1)
        _check_int("initialization_timeout", self.initialization_timeout, 1)
        if self.initialization_timeout > MAX_INITIALIZATION_TIMEOUT:
            raise ValueError(
                f"initialization_timeout must be <= {MAX_INITIALIZATION_TIMEOUT} "
                f"s (one week), got {self.initialization_timeout}; pass the "
                "seconds to wait for the other processes"
            )
        _check_int("process_id", self.process_id, 0)
        if self.process_id >= self.num_processes:
            raise ValueError(
                f"process_id must be < num_processes={self.num_processes}, got "
                f"{self.process_id}; give the processes the ids 0 to "
                f"{self.num_processes - 1}, one each"
            )


def _check_int(name: str, value, minimum: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(
            f"{name} must be an int, got {value!r} ({type(value).__name__})"
        )
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")


def _check_address(address) -> None:
    if not isinstance(address, str):
        raise TypeError(
            f"coordinator_address must be a str such as '10.0.0.1:1234', got "
            f"{address!r} ({type(address).__name__})"
        )
    problem = _address_problem(address)
    if problem is not None:
        raise ValueError(f"coordinator_address {problem}")


def _address_problem(address: str) -> str | None:
    """Return what is wrong with the HOST:PORT ``address``, or None."""
    host, _, port = address.rpartition(":")
    if not host or not port.isdigit() or not 1 <= int(port) <= 65535:
        return (
            "must be HOST:PORT with a port from 1 to 65535, such as "
            f"'10.0.0.1:1234', got {address!r}"
        )
    return None


def coordinator_address(text: str) -> str:
    """Check the HOST:PORT value of ``--coordinator-address`` for argparse.

    argparse names the flag in its message, where ``DistributedConfig``
    names the field ``coordinator_address``.
    """
    problem = _address_problem(text)
    if problem is not None:
        raise argparse.ArgumentTypeError(problem)
    return text
