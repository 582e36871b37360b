"""The `embedsent` console script: run ``embedsent.cli.main`` and exit.

Ctrl-C raises KeyboardInterrupt in the main thread wherever Python happens to
be. Inside a gc callback (JAX registers one) or a ``__del__`` finalizer,
Python prints "Exception ignored" and carries on, so the command would not
stop. While the script runs, such a dropped interrupt is raised again. This
module imports only the standard library until that hook is in place,
because importing the command line (JAX among it) takes about two seconds.

After an interrupt the process ends with ``os._exit(130)``, skipping the
interpreter's shutdown and atexit handlers, because the shutdown after a
Ctrl-C that stopped an XLA compile can crash with SIGSEGV (seen with jaxlib
0.10 on CPU). Outputs are written atomically, so none is left half written.
"""

from __future__ import annotations

import _thread
import functools
import logging
import os
import signal
import sys
import threading
from typing import NoReturn

__all__ = ["INTERRUPTED_STATUS", "entry"]

logger = logging.getLogger(__name__)

# The status of a process that SIGINT (signal 2) ended, as shells report it
# after Ctrl-C.
INTERRUPTED_STATUS = 128 + 2

# Delay before an interrupt that Python dropped is raised again. It only has to
# outlast the return from ``_reraise_interrupts`` into the code that was
# running, which takes microseconds, and a person cannot notice it.
REDELIVERY_DELAY_SECONDS = 0.01


def entry() -> NoReturn:
    """Run the command line, raising dropped interrupts again; exit with its status."""
    previous_hook = sys.unraisablehook
    sys.unraisablehook = functools.partial(_reraise_interrupts, previous_hook)
    try:
        code = _import_and_run()
    finally:
        sys.unraisablehook = previous_hook
    if code == INTERRUPTED_STATUS:
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except (OSError, ValueError):
                pass  # A closed pipe or stream has nothing left to write.
        os._exit(code)
    sys.exit(code)


def _import_and_run() -> int:
    """Import the command line and run it; return 130 after an interrupt.

    ``main`` reports an interrupt during a command itself. This catches one
    that arrives while the command line is imported or its arguments are
    parsed, before a command runs.
    """
    try:
        from embedsent.cli import main

        return main()
    except KeyboardInterrupt:
        print("embedsent: interrupted", file=sys.stderr)
        return INTERRUPTED_STATUS


def _reraise_interrupts(report_error, unraisable) -> None:
    """Raise a dropped KeyboardInterrupt again; pass other errors to ``report_error``.

    The timer thread makes the main thread handle SIGINT again after this
    hook has returned, which repeats until the KeyboardInterrupt lands where
    it propagates.
    """
    try:
        if not issubclass(unraisable.exc_type, KeyboardInterrupt):
            report_error(unraisable)
            return
        logger.debug(
            "KeyboardInterrupt raised in %r, where Python ignores exceptions; "
            "raising it again",
            unraisable.object,
        )
        _redeliver_interrupt()
    except KeyboardInterrupt:
        # A redelivered interrupt that arrives while this hook still runs
        # would be dropped too, so it is scheduled once more.
        _redeliver_interrupt()


def _redeliver_interrupt() -> None:
    # A real SIGINT, unlike _thread.interrupt_main, also wakes a main thread
    # that is blocked in a system call such as time.sleep. Windows has no
    # pthread_kill, so there the interrupt waits for the next Python bytecode.
    if hasattr(signal, "pthread_kill"):
        main_thread = threading.main_thread().ident
        timer = threading.Timer(
            REDELIVERY_DELAY_SECONDS,
            signal.pthread_kill,
            args=(main_thread, signal.SIGINT),
        )
    else:
        timer = threading.Timer(
            REDELIVERY_DELAY_SECONDS, _thread.interrupt_main, args=(signal.SIGINT,)
        )
    timer.daemon = True
    timer.start()
