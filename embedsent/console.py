"""The `embedsent` console script: run ``embedsent.cli.main`` and exit.

Ctrl-C raises KeyboardInterrupt in the main thread wherever Python happens to
be. Inside a gc callback (JAX registers one) or a ``__del__`` finalizer,
Python prints "Exception ignored" and carries on, so the command would not
stop. While the script runs, such a dropped interrupt is raised again. This
module imports only the standard library until that hook is in place. The
command line itself imports JAX and the other numeric libraries only when a
command runs, which takes seconds.

After an interrupt the process ends with ``os._exit(130)``, skipping the
interpreter's shutdown and atexit handlers, because the shutdown after a
Ctrl-C that stopped an XLA compile can crash with SIGSEGV (seen with jaxlib
0.10 on CPU). Outputs are written atomically, so none is left half written.

Before KeyboardInterrupt is raised, the open tqdm progress bars are closed,
so the message that reports the interrupt starts a line of its own.

A Ctrl-C that arrives after the command has returned, while the interpreter
shuts down and runs JAX's atexit handler, also ends the process with status
130, although the command's outputs are complete. Whoever sent SIGINT
expects 130, and Python would otherwise drop the interrupt inside the atexit
handler and exit 0. After the atexit handlers, CPython's shutdown restores
SIGINT's default action, so an interrupt that arrives then kills the process
by the signal, which shells also report as 130 (``subprocess`` reports -2).
No Python code runs at that stage to print a message. Ignoring SIGINT there
instead would end the process with the command's status, so a shell script
would carry on after the Ctrl-C. With JAX loaded, that stage took about a
second in one measurement on a CPU-only machine with Python 3.11.

While ``pretrain`` runs with ``--checkpoint`` and without ``--continue-from``,
SIGTERM stops it as Ctrl-C does, so the message names the checkpoint to
resume from. The process then ends with ``os._exit(143)``, the status that
shells report for SIGTERM, where ``subprocess`` reports 143 instead of -15.
Other commands keep SIGTERM's default action, except ``serve``, which stops
its server and exits with status 0.
"""

from __future__ import annotations

import _thread
import contextlib
import functools
import logging
import os
import signal
import sys
import threading
from collections.abc import Iterator
from typing import NoReturn

__all__ = [
    "INTERRUPTED_STATUS",
    "TERMINATED_STATUS",
    "discard_output",
    "entry",
    "exit_at_once",
    "flush_output",
    "format_signed",
    "print_output",
    "release_deferred_sigterm",
    "sigterm_interrupts",
    "sigterm_received",
    "stopped_by_sigterm",
]

logger = logging.getLogger(__name__)

# The status of a process that SIGINT (signal 2) ended, as shells report it
# after Ctrl-C.
INTERRUPTED_STATUS = 128 + 2
# The status of a process that SIGTERM (signal 15) ended, as shells report it.
TERMINATED_STATUS = 128 + 15

# Delay before an interrupt that Python dropped is raised again. It only has to
# outlast the return from ``_reraise_interrupts`` into the code that was
# running, which takes microseconds, and a person cannot notice it.
REDELIVERY_DELAY_SECONDS = 0.01

# False while the command line is imported and runs. True once ``main`` has
# returned or raised, after which ``_handle_interrupt`` exits at once.
_command_finished = False

# True once a SIGTERM arrived while ``embedsent serve`` started, before the
# server installed its own SIGTERM handler.
_sigterm_received = False

# True once a SIGTERM that ``sigterm_interrupts`` caught raised
# KeyboardInterrupt.
_stopped_by_sigterm = False


def entry() -> NoReturn:
    """Run the command line, raising dropped interrupts again; exit with its status."""
    global _command_finished
    previous_hook = sys.unraisablehook
    sys.unraisablehook = functools.partial(_reraise_interrupts, previous_hook)
    _install_interrupt_handler()
    _defer_sigterm_for_serve(sys.argv)
    try:
        code = _import_and_run()
    except KeyboardInterrupt:
        # An interrupt handled after main returned but before the flag below
        # was set.
        _report_interrupt("embedsent: interrupted")
        code = INTERRUPTED_STATUS
    finally:
        # The finally clause also covers SystemExit, which argparse raises
        # for --help and for invalid arguments.
        _command_finished = True
        sys.unraisablehook = previous_hook
    if code in (INTERRUPTED_STATUS, TERMINATED_STATUS):
        exit_at_once(code)
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


def _install_interrupt_handler() -> None:
    """Replace Python's SIGINT handler with ``_handle_interrupt``.

    A process that a shell started with SIGINT ignored, such as a background
    job of a non-interactive shell, keeps ignoring it. Only the main thread
    can set a signal handler.
    """
    if threading.current_thread() is not threading.main_thread():
        return
    if signal.getsignal(signal.SIGINT) is signal.default_int_handler:
        signal.signal(signal.SIGINT, _handle_interrupt)


def _defer_sigterm_for_serve(argv: list[str]) -> None:
    """Record SIGTERM instead of dying while ``embedsent serve`` starts.

    SIGTERM is the normal way to stop a server, so ``serve`` exits with
    status 0 after it. Until its own handler is in place, after the imports
    of the command line and of the serve command, which load JAX, this
    handler records the signal, and ``serve`` stops as soon as it starts.
    The arguments are parsed only after that import, so any argument equal
    to ``serve`` installs it, and ``release_deferred_sigterm`` undoes it for
    the other commands.
    """
    if "serve" not in argv[1:]:
        return
    if threading.current_thread() is not threading.main_thread():
        return
    if signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:
        signal.signal(signal.SIGTERM, _record_sigterm)


def _record_sigterm(signum, frame) -> None:
    global _sigterm_received
    _sigterm_received = True


def sigterm_received() -> bool:
    """Return whether a SIGTERM arrived while ``embedsent serve`` started."""
    return _sigterm_received


def release_deferred_sigterm() -> None:
    """Restore SIGTERM's default action for a command other than ``serve``.

    A SIGTERM that was recorded meanwhile is sent again, so it ends the
    process as it would have without the deferral.
    """
    if signal.getsignal(signal.SIGTERM) is not _record_sigterm:
        return
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    if _sigterm_received:
        os.kill(os.getpid(), signal.SIGTERM)


@contextlib.contextmanager
def sigterm_interrupts() -> Iterator[None]:
    """Make SIGTERM raise KeyboardInterrupt, as Ctrl-C does, inside the block.

    The command then stops where Ctrl-C would stop it, and
    ``stopped_by_sigterm`` returns which signal stopped it. The previous
    handler is restored when the block ends, so a second SIGTERM during the
    report ends the process by the default action. A process started with
    SIGTERM ignored keeps ignoring it, and only the main thread can set a
    signal handler.
    """
    global _stopped_by_sigterm
    _stopped_by_sigterm = False
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.getsignal(signal.SIGTERM)
    if previous is signal.SIG_IGN:
        yield
        return
    signal.signal(signal.SIGTERM, _handle_sigterm)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def stopped_by_sigterm() -> bool:
    """Return whether SIGTERM raised the last KeyboardInterrupt of the command."""
    return _stopped_by_sigterm


def _handle_sigterm(signum, frame) -> None:
    global _stopped_by_sigterm
    _stopped_by_sigterm = True
    # An interrupt that Python drops in a finalizer is raised again by SIGINT,
    # and the flag set above still names SIGTERM as its cause.
    _handle_interrupt(signum, frame)


def _handle_interrupt(signum, frame) -> None:
    """Close open progress bars and raise KeyboardInterrupt.

    Once the command has finished, print a message and exit with 130 instead.
    """
    if _command_finished:
        _report_interrupt(
            "embedsent: interrupted while exiting, after the command finished"
        )
        exit_at_once(INTERRUPTED_STATUS)
    try:
        _close_progress_bars()
    finally:
        # The interrupt propagates even if closing a bar fails, and that error
        # becomes the KeyboardInterrupt's __context__.
        raise KeyboardInterrupt


def _close_progress_bars() -> None:
    """Close the tqdm progress bars that are still open.

    A command reports an interrupt with a message on standard error, where
    tqdm draws its bars without ending the line. A bar that no ``with``
    block closes, such as the trainer's epoch bar, would stay open while the
    message is printed, so the message would follow the bar on its line.
    The rule: each open bar is closed before KeyboardInterrupt is raised, as
    leaving its ``with`` block would close it. A bar made with
    ``leave=False`` is erased, and one with ``leave=True`` is drawn once more
    and followed by a newline, so the message starts a line of its own. A bar
    whose first draw was interrupted is followed by a newline. With no bar
    open, nothing is written.

    NOTE: a command that catches KeyboardInterrupt and carries on loses its
    open bars; ``serve``, the only command that catches it, draws none.
    """
    tqdm_module = sys.modules.get("tqdm.std")
    if tqdm_module is None:
        return  # No command imported tqdm, so no bar is open.
    # Bars further down (larger position) are closed first, in the order
    # that nested ``with`` blocks close them.
    bars = sorted(
        list(tqdm_module.tqdm._instances),
        key=lambda bar: abs(getattr(bar, "pos", 0)),
        reverse=True,
    )
    for bar in bars:
        # tqdm sets last_print_t at the end of __init__, after the first draw.
        drawing_first = not hasattr(bar, "last_print_t")
        bar.close()
        if drawing_first and getattr(bar, "sp", None) is not None:
            # The interrupt stopped the bar's first draw, which close() neither
            # erases nor ends, so a newline ends the line.
            bar.fp.write("\n")


def _report_interrupt(message: str) -> None:
    try:
        print(message, file=sys.stderr)
    except (OSError, ValueError, RuntimeError):
        # RuntimeError: the signal interrupted a write to standard error,
        # whose buffer rejects a reentrant write.
        pass


def exit_at_once(code: int) -> NoReturn:
    """Flush standard output and error, then end the process without shutdown."""
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError, RuntimeError):
            pass  # A closed pipe or stream has nothing left to write.
    os._exit(code)


def print_output(line: str, what: str) -> None:
    """Print ``line`` to standard output, naming ``what`` if that fails.

    Args:
        line: The line, without its newline.
        what: What the command writes, for the message, such as "the
            predictions".

    Raises:
        BrokenPipeError: If the reader closed the pipe, unchanged, so that
            ``embedsent.cli.main`` ends the command quietly with status 141.
        OSError: If the write failed otherwise, such as on a full disk. The
            message states that writing ``what`` to standard output failed,
            why, and the fix; the original error is its cause, and its
            ``errno`` is kept.
    """
    try:
        print(line)
    except BrokenPipeError:
        raise
    except OSError as error:
        raise _output_error(error, what) from error


def flush_output(what: str) -> None:
    """Flush standard output, naming ``what`` if that fails.

    With buffered output, a full disk shows only when the buffer is flushed,
    which for a short output is at the end. Raises as ``print_output`` does.
    """
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        raise
    except OSError as error:
        raise _output_error(error, what) from error


def _output_error(error: OSError, what: str) -> OSError:
    """Return an OSError stating that writing ``what`` to standard output failed.

    Standard output's descriptor is pointed at os.devnull first, because
    the data that could not be written stays in the buffer, and every later
    flush, the one at interpreter exit among them, would fail again and
    print a traceback.
    """
    from embedsent.storage import describe_write_failure

    reason, fix = describe_write_failure(
        error,
        "the file system that standard output goes to",
        "redirect standard output to a file on another file system",
    )
    message = f"writing {what} to standard output failed: {reason}"
    if fix is not None:
        message += f"; {fix}"
    discard_output()
    described = OSError(message)
    described.errno = error.errno
    return described


def discard_output() -> None:
    """Point standard output's descriptor at os.devnull for the flush at exit."""
    try:
        descriptor = sys.stdout.fileno()
    except (AttributeError, OSError, ValueError):
        return  # A replaced stream, such as io.StringIO, has no descriptor.
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, descriptor)
    os.close(devnull)


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


def format_signed(value: float, digits: int = 1, width: int = 0) -> str:
    """Format ``value`` with a sign and ``digits`` decimals, padded to ``width``.

    A value that rounds to zero, such as -0.0 or -0.04 with one decimal,
    reads "+0.0", never "-0.0".
    """
    text = f"{value:+{width}.{digits}f}"
    if float(text) == 0.0:
        return f"{0.0:+{width}.{digits}f}"
    return text
