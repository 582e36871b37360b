"""Named pipes (FIFOs) for tests of inputs that are read once."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path


def feed_fifo(fifo: Path, data: bytes) -> threading.Thread:
    """Start a thread that writes ``data`` into ``fifo``, as a shell pipe does."""

    def write() -> None:
        try:
            with open(fifo, "wb") as handle:
                handle.write(data)
        except BrokenPipeError:
            pass  # The reader stopped early; its own assert reports that.

    thread = threading.Thread(target=write, daemon=True)
    thread.start()
    return thread


def errors_without_blocking(check: Callable[[], None]) -> list[str]:
    """Run ``check`` in a thread and return the ValueError messages it raised.

    Opening a FIFO for reading blocks until a writer opens it, so a check
    that read a FIFO fails the assertion here instead of hanging the tests.
    """
    errors = []

    def run() -> None:
        try:
            check()
        except ValueError as error:
            errors.append(str(error))

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(timeout=10)
    assert not worker.is_alive(), "the check blocked on the FIFO"
    return errors
