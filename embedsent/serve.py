"""A JSON-over-HTTP prediction server for a fitted ``TransferClassifier``.

Built on the standard library's ``http.server.ThreadingHTTPServer``, so any
language with an HTTP client can request predictions. Endpoints:

- ``GET /`` returns a short usage description with the request limits.
- ``GET /health`` returns ``{"status": "ok", "classes": [...],
  "embedsent_version": ...}``.
- ``POST /predict`` takes ``{"texts": ["...", ...]}`` or ``{"text": "..."}``,
  with no other keys, and returns ``{"predictions": [{"label": ...,
  "probabilities": {class: p}, "known_tokens": n}]}`` in input order.
  Labels, probabilities and ``known_tokens`` (the text's tokens that have a
  word vector) are those of ``embedsent predict``.

Errors are JSON objects ``{"error": "..."}`` with a 4xx or 5xx status code,
and the server keeps serving after them. Each rejected request, and each
connection that sends no request line within 30 seconds (status 408), is
logged at DEBUG level, and their count as a warning at most once a minute
and at shutdown (see ``embedsent.serve_rejections``). A body with NaN or Infinity, which
are not JSON, or with a key repeated in one object, gets a 400 error. The body
must be UTF-8, with or without a byte order mark, and a body that looks like
UTF-16 or UTF-32 gets a 415 error. Each connection carries one request
(HTTP/1.0), and each request runs in its own thread.

Ctrl-C is the normal way to stop the server, so ``embedsent serve`` exits with
status 0 after it, where the other commands exit with status 130. SIGTERM is
the normal way for kill and service managers to stop a service, so it also
ends the command with status 0, whether it arrives while the server listens
or while the model still loads. A Ctrl-C while the model loads is an
interrupted command, with status 130.

Either signal stops the server gracefully. It closes the listening socket,
waits up to ``SHUTDOWN_TIMEOUT_SECONDS`` (20 s) for the requests in
progress, then closes the connections still open and logs a warning with
the number of requests it dropped. A second Ctrl-C or SIGTERM during that
wait stops the server at once.

The console script records a SIGTERM that arrives before :func:`serve`
starts, while Python imports the command line and JAX, and :func:`serve`
then stops at once. A SIGTERM before the console script itself runs, in
Python's start-up, still ends the process with status 143.
"""

from __future__ import annotations

import codecs
import contextlib
import email.utils
import errno
import ipaddress
import json
import logging
import math
import os
import re
import signal
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterator
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, NoReturn
from urllib.parse import urlsplit

import numpy as np

from embedsent import __version__
from embedsent.console import sigterm_received
from embedsent.json_nesting import json_type_name
from embedsent.pipeline import TransferClassifier
from embedsent.serve_rejections import RejectionCounter

__all__ = ["SHUTDOWN_TIMEOUT_SECONDS", "PredictionServer", "make_server", "serve"]

logger = logging.getLogger(__name__)

# The logger of TransferClassifier's short-text warning.
_PIPELINE_LOGGER = logging.getLogger("embedsent.pipeline")

# Methods allowed on each path. HEAD is allowed wherever GET is.
_ENDPOINTS: dict[str, tuple[str, ...]] = {
    "/": ("GET", "HEAD"),
    "/health": ("GET", "HEAD"),
    "/predict": ("POST",),
}
_ENDPOINT_LIST = "GET /, GET /health and POST /predict"

# Seconds a connection may stay silent while the server reads a request or
# writes a response, so a stalled client cannot hold a thread forever.
_SOCKET_TIMEOUT_SECONDS = 30.0

# After an error response, the server reads and discards the rest of an unread
# request body for at most this long before closing. Closing a socket with
# unread input sends a TCP reset, and the client can lose the response.
_DISCARD_SECONDS = 5.0

# Seconds that ``serve`` waits, after Ctrl-C or SIGTERM, for the requests in
# progress before it drops them. It is below the 30 s that Kubernetes
# and the 90 s that systemd wait by default before they send SIGKILL, so the
# warning about dropped requests is logged before the process is killed.
SHUTDOWN_TIMEOUT_SECONDS = 20.0

# At shutdown, a connection that has not sent its request line and headers
# within this many seconds after the server accepted it counts as idle, and
# the server closes it instead of waiting for its request.
_REQUEST_START_SECONDS = 2.0

# Seconds between two checks for finished requests while the server stops.
_SHUTDOWN_POLL_SECONDS = 0.05

# Seconds between two checks of serve's main thread for a stop request, and
# of serve_forever for shutdown(). A Ctrl-C that Python simulates, as
# _thread.interrupt_main does, takes effect at the next check.
_POLL_SECONDS = 0.5

_CONTENT_LENGTH_PATTERN = re.compile(r"[0-9]+")
# A Content-Length with more digits than this, without leading zeros, is far
# over any body size the server accepts.
_MAX_CONTENT_LENGTH_DIGITS = 18


class _RequestError(Exception):
    """Invalid request, sent back as ``status`` with body ``{"error": message}``."""

    def __init__(
        self, status: HTTPStatus, message: str, headers: dict[str, str] | None = None
    ):
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}


# Declared charsets whose bodies are UTF-8: ASCII is a subset of it.
_UTF8_CHARSETS = frozenset({"utf-8", "utf8", "us-ascii", "ascii"})

# Seconds between two lines of one per-request warning; see _WarningLimiter.
WARNING_COUNT_SECONDS = 60.0
_CLASS_PRIOR_LOGGER = logging.getLogger("embedsent.class_prior")
_SHORT_TEXT_COUNT = (
    "%s had texts with fewer than a quarter of the "
    "in-vocabulary tokens of the shortest training text (%s in all) in "
    "the %.0f s since the last such line; their probabilities are unreliable, "
    "so train on texts as short as these"
)
_NO_KNOWN_TOKEN_COUNT = (
    "%s had texts with no in-vocabulary token (%s in all) "
    "in the %.0f s since the last such line; those texts got the class prior"
)


class _WarningLimiter(logging.Filter):
    """Rate-limit a per-call warning in requests, by default the short-text one.

    ``TransferClassifier`` warns of texts far shorter than every training
    text on each call (``function``, the name of the function that logs it),
    and ``embedsent.class_prior`` of texts without a known token, which on a
    busy server would be once per request. ``count_message`` formats the
    summary from the requests, the texts and the seconds since the last
    line, and the warning's first argument is its number of texts. In
    a request thread (inside ``in_request``), the first such warning is
    logged whole. Later ones within ``interval`` seconds of the last line
    are counted instead, and the first one after that interval logs a
    summary line with the count of requests and texts since the last line,
    in place of the warning. ``flush`` logs the count still pending, as the
    server does when it closes. Records from other threads, such as a
    notebook calling ``predict`` while the server runs, pass unchanged.
    """

    def __init__(
        self,
        interval: float = WARNING_COUNT_SECONDS,
        clock: Callable[[], float] = time.monotonic,
        function: str = "_warn_short_texts",
        count_message: str = _SHORT_TEXT_COUNT,
    ) -> None:
        super().__init__()
        self.interval = interval
        self.clock = clock
        self.function = function
        self.count_message = count_message
        self._local = threading.local()
        self._lock = threading.Lock()
        self._last_line: float | None = None
        self._requests = 0
        self._texts = 0

    @contextlib.contextmanager
    def in_request(self) -> Iterator[None]:
        """Limit the warnings logged in this thread while the block runs."""
        self._local.active = True
        try:
            yield
        finally:
            self._local.active = False

    def filter(self, record: logging.LogRecord) -> bool:
        if not getattr(self._local, "active", False):
            return True
        if record.funcName != self.function:
            return True
        texts = record.args[0] if isinstance(record.args, tuple) else 0
        with self._lock:
            now = self.clock()
            self._requests += 1
            self._texts += texts if isinstance(texts, int) else 0
            if self._last_line is None:
                self._last_line = now
                self._requests = self._texts = 0
                record.msg += (
                    "; while the server runs, this warning is repeated at most "
                    f"once every {self.interval:g} s, as a count of requests"
                )
                return True
            if now - self._last_line < self.interval:
                return False
            self._log_count(now)
        return False

    def flush(self) -> None:
        """Log the count of warnings not logged since the last line, if any."""
        with self._lock:
            if self._requests:
                self._log_count(self.clock())

    def _log_count(self, now: float) -> None:
        requests = "request" if self._requests == 1 else "requests"
        texts = "text" if self._texts == 1 else "texts"
        logger.warning(
            self.count_message,
            f"{self._requests} more {requests}",
            f"{self._texts} {texts}",
            now - self._last_line,
        )
        self._last_line = now
        self._requests = self._texts = 0


class _ConnectionTracker:
    """The open connections of a server, each waiting for a request or handling one.

    The server adds a connection when it accepts it, marks it as handling a
    request once the request line and headers are parsed, and removes it
    when its handler thread ends. Thread-safe.
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self._lock = threading.Lock()
        # Connections whose request has not been parsed yet, with the
        # ``clock`` time at which the server accepted them.
        self._waiting: dict[socket.socket, float] = {}
        self._handling: set[socket.socket] = set()

    def add(self, connection: socket.socket) -> None:
        with self._lock:
            self._waiting[connection] = self.clock()

    def mark_handling(self, connection: socket.socket) -> None:
        with self._lock:
            self._waiting.pop(connection, None)
            self._handling.add(connection)

    def remove(self, connection: socket.socket) -> None:
        with self._lock:
            self._waiting.pop(connection, None)
            self._handling.discard(connection)

    def in_progress(self) -> int:
        """Return the number of requests in progress."""
        with self._lock:
            return len(self._handling)

    def _busy(self) -> bool:
        """Return whether a request is in progress or may still arrive."""
        with self._lock:
            if self._handling:
                return True
            now = self.clock()
            return any(
                now - accepted < _REQUEST_START_SECONDS
                for accepted in self._waiting.values()
            )

    def wait(self, timeout: float) -> bool:
        """Wait up to ``timeout`` seconds until no request is in progress.

        A connection whose request has not been parsed yet is waited for
        until ``_REQUEST_START_SECONDS`` after the server accepted it,
        because its request may still be on its way. Returns whether the
        wait ended with no request in progress.
        """
        # Polling with time.sleep, not Condition.wait, lets a second Ctrl-C
        # or SIGTERM raise in the main thread without leaving a lock held.
        deadline = self.clock() + timeout
        while self._busy():
            remaining = deadline - self.clock()
            if remaining <= 0:
                return False
            time.sleep(min(_SHUTDOWN_POLL_SECONDS, remaining))
        return True

    def close(self) -> tuple[int, int]:
        """Shut down every open connection.

        Returns:
            The number of connections that were handling a request, and the
            number that had sent no complete request.
        """
        with self._lock:
            handling = list(self._handling)
            waiting = list(self._waiting)
        for connection in handling + waiting:
            # shutdown, unlike close, also wakes a handler thread that is
            # blocked reading from the connection. A connection whose thread
            # ended meanwhile is closed already, which raises OSError.
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)
        return len(handling), len(waiting)


class PredictionServer(ThreadingHTTPServer):
    """Threading HTTP server that serves prediction requests for one model.

    Build it with :func:`make_server`, which checks the arguments.

    Attributes:
        model: The fitted model used by ``POST /predict``.
        classes: The model's class labels as JSON values, in column order of
            ``predict_proba``.
        max_body_bytes: Maximum request body size in bytes.
        max_texts: Maximum number of texts per request.
        connections: The open connections, which :func:`serve` waits for
            when it stops.
    """

    # Handler threads do not keep the process alive, so the process can exit
    # once serve() has stopped waiting for requests, even while a slow client
    # keeps a connection open.
    daemon_threads = True

    def __init__(
        self,
        address: tuple[str, int],
        model: TransferClassifier,
        classes: list[Any],
        *,
        max_body_bytes: int,
        max_texts: int,
    ):
        self.model = model
        self.classes = classes
        self.max_body_bytes = max_body_bytes
        self.max_texts = max_texts
        # SentenceEncoder.transform stores a report on the encoder, so
        # concurrent predictions on one model would race without the lock.
        self.predict_lock = threading.Lock()
        self.short_text_limiter = _WarningLimiter()
        self.prior_limiter = _WarningLimiter(
            function="log_prior_predictions", count_message=_NO_KNOWN_TOKEN_COUNT
        )
        self.rejections = RejectionCounter()
        self.connections = _ConnectionTracker()
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        super().__init__(address, _PredictionHandler)
        # Added once binding succeeded; server_close removes it.
        _PIPELINE_LOGGER.addFilter(self.short_text_limiter)
        _CLASS_PRIOR_LOGGER.addFilter(self.prior_limiter)

    def server_close(self) -> None:
        """Close the socket and log the counts of warnings not logged yet."""
        super().server_close()
        _PIPELINE_LOGGER.removeFilter(self.short_text_limiter)
        _CLASS_PRIOR_LOGGER.removeFilter(self.prior_limiter)
        self.short_text_limiter.flush()
        self.prior_limiter.flush()
        self.rejections.flush()

    def process_request(self, request: Any, client_address: Any) -> None:
        """Track the accepted connection, then handle it in a new thread."""
        self.connections.add(request)
        try:
            super().process_request(request, client_address)
        except BaseException:
            # The thread did not start, or a signal raised while it started.
            # socketserver closes the connection in either case, so it is
            # no longer tracked.
            self.connections.remove(request)
            raise

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            self.connections.remove(request)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Log an exception that escaped a request handler, with its traceback."""
        logger.exception("unhandled error in a request from %s", client_address[0])


class _PredictionHandler(BaseHTTPRequestHandler):
    server: PredictionServer
    server_version = f"embedsent/{__version__}"
    timeout = _SOCKET_TIMEOUT_SECONDS

    def do_GET(self) -> None:
        self._dispatch()

    do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = do_GET

    # -- routing -------------------------------------------------------------

    def _dispatch(self) -> None:
        self.server.connections.mark_handling(self.connection)
        # Bytes of the request body that the client declared but the server
        # has not read yet.
        self._unread_body_bytes = 0
        path = urlsplit(self.path).path
        headers: dict[str, str] = {}
        try:
            status, payload = HTTPStatus.OK, self._route(path)
            body = _encode_json(payload)
        except _RequestError as error:
            self.server.rejections.record(
                error.status,
                f"{self.command} {_shorten(path)} from {_peer(self)}: "
                f"{error.status:d} {error.message}",
            )
            status, headers = error.status, error.headers
            body = _encode_json({"error": error.message})
        except Exception as error:
            logger.exception(
                "%s %s from %s: failed with an internal error",
                self.command,
                _shorten(path),
                _peer(self),
            )
            status = HTTPStatus.INTERNAL_SERVER_ERROR
            body = _encode_json(
                {
                    "error": f"internal server error ({type(error).__name__}: "
                    f"{error}); the server log has the traceback"
                }
            )
        try:
            self._send_body(status, body, headers)
            if self._unread_body_bytes:
                self._discard_unread_body()
        except OSError as error:
            logger.warning(
                "%s %s from %s: could not send the %d response: %s",
                self.command,
                _shorten(path),
                _peer(self),
                status,
                error,
            )
            self.close_connection = True

    def _route(self, path: str) -> dict[str, Any]:
        allowed = _ENDPOINTS.get(path)
        if allowed is None:
            raise _RequestError(
                HTTPStatus.NOT_FOUND,
                f"unknown path {_shorten(path)!r}; the endpoints are {_ENDPOINT_LIST}",
            )
        if self.command not in allowed:
            raise _RequestError(
                HTTPStatus.METHOD_NOT_ALLOWED,
                f"method {self.command} is not allowed on {path}; "
                f"use {' or '.join(allowed)}",
                {"Allow": ", ".join(allowed)},
            )
        if path == "/predict":
            return self._predict()
        if path == "/health":
            return {
                "status": "ok",
                "classes": self.server.classes,
                "embedsent_version": __version__,
            }
        return _usage(self.server)

    # -- POST /predict -------------------------------------------------------

    def _predict(self) -> dict[str, Any]:
        texts = _parse_texts(self._read_json_body(), self.server.max_texts)
        if not texts:
            return {"predictions": []}
        model = self.server.model
        server = self.server
        with (
            server.predict_lock,
            server.short_text_limiter.in_request(),
            server.prior_limiter.in_request(),
        ):
            predictions = model.prediction_records(texts)
        return {"predictions": predictions}

    def _read_json_body(self) -> Any:
        """Read the request body and parse it as JSON.

        Raises:
            _RequestError: The Content-Type, Content-Length, size, encoding or
                JSON syntax of the body is invalid.
        """
        length = self._content_length()
        self._unread_body_bytes = length
        content_type = self.headers.get("Content-Type")
        if content_type is not None and (
            self.headers.get_content_type() != "application/json"
        ):
            raise _RequestError(
                HTTPStatus.UNSUPPORTED_MEDIA_TYPE,
                f"Content-Type {_shorten(content_type)!r} is not supported; send the "
                "body as application/json",
            )
        _reject_differing_charsets(content_type, self.headers.get_params(failobj=[]))
        charset = self.headers.get_content_charset()
        # RFC 8259, section 8.1, requires UTF-8 for JSON exchanged between
        # systems, and _parse_json decodes every body as UTF-8, so a body
        # declared in another charset is rejected here. "utf8" is not the
        # registered name (that is "UTF-8"), but Python's codecs take it as
        # UTF-8, so it is accepted.
        if charset is not None and charset not in _UTF8_CHARSETS:
            raise _RequestError(
                HTTPStatus.UNSUPPORTED_MEDIA_TYPE,
                f"charset {_shorten(charset)!r} in Content-Type is not supported; "
                "send the JSON body encoded as UTF-8 (charset=utf-8, or no charset)",
            )
        limit = self.server.max_body_bytes
        if length > limit:
            raise _RequestError(
                HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
                f"request body is {length} bytes, but the maximum is {limit} bytes; "
                "split the texts over several requests",
            )
        try:
            body = self.rfile.read(length)
        except TimeoutError as error:
            self._unread_body_bytes = 0
            self.close_connection = True
            raise _RequestError(
                HTTPStatus.REQUEST_TIMEOUT,
                f"timed out after {self.timeout:g} s while reading the {length}-byte "
                "request body",
            ) from error
        self._unread_body_bytes = length - len(body)
        if len(body) < length:
            raise _RequestError(
                HTTPStatus.BAD_REQUEST,
                f"request body ended after {len(body)} of the {length} bytes given "
                "in Content-Length",
            )
        return _parse_json(body)

    def _content_length(self) -> int:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            raise _RequestError(
                HTTPStatus.LENGTH_REQUIRED,
                "chunked request bodies are not supported; send the body with a "
                "Content-Length header",
            )
        fields = self.headers.get_all("Content-Length")
        if not fields:
            raise _RequestError(
                HTTPStatus.LENGTH_REQUIRED,
                "Content-Length header is missing; send the JSON body with its "
                "length in bytes",
            )
        values = _content_length_values(fields)
        # RFC 9110, section 8.6, lets a recipient treat repeated identical
        # values, as two headers or as a list such as "3, 3", as one value.
        # Such a request is accepted because its body length is not in doubt,
        # and some proxies repeat the header.
        if len(values) > 1:
            self._reject_differing_lengths(values)
        if len(values[0]) > _MAX_CONTENT_LENGTH_DIGITS:
            self._unread_body_bytes = _body_bytes_bound(values[0])
            raise _RequestError(
                HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
                f"Content-Length {_shorten(values[0])} is over the maximum of "
                f"{self.server.max_body_bytes} bytes; split the texts over "
                "several requests",
            )
        return int(values[0])

    def _reject_differing_lengths(self, values: list[str]) -> NoReturn:
        """Raise a 400 error for Content-Length values that differ.

        They leave the body length unknown, and RFC 9112, section 6.3,
        requires a 400 response and closing the connection. The server still
        discards the body after responding, up to the largest value, so that
        unread input does not reset the connection before the client reads
        the response.
        """
        self._unread_body_bytes = max(_body_bytes_bound(value) for value in values)
        self.close_connection = True
        listed = ", ".join(_shorten(value, 20) for value in values[:5])
        if len(values) > 5:
            listed += ", ..."
        raise _RequestError(
            HTTPStatus.BAD_REQUEST,
            f"Content-Length values differ ({listed}), so the body length is "
            "unknown; send one Content-Length header with the body length in bytes",
        )

    def _discard_unread_body(self) -> None:
        """Read and drop the rest of the request body, for at most a few seconds."""
        remaining = self._unread_body_bytes
        deadline = time.monotonic() + _DISCARD_SECONDS
        self.close_connection = True
        try:
            self.connection.settimeout(_DISCARD_SECONDS)
            while remaining > 0 and time.monotonic() < deadline:
                chunk = self.rfile.read1(min(remaining, 1 << 16))
                if not chunk:
                    break
                remaining -= len(chunk)
        except OSError as error:
            logger.debug("stopped discarding a request body: %s", error)
        self._unread_body_bytes = remaining

    # -- responses and logging -----------------------------------------------

    def _send_body(
        self, status: HTTPStatus, body: bytes, headers: dict[str, str]
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def send_error(
        self, code: int, message: str | None = None, explain: str | None = None
    ) -> None:
        """Send a JSON error response for a request that ``http.server`` rejected.

        ``http.server`` calls this for a malformed request line or headers, an
        over-long URL and an unsupported method (status 501). These are
        counted with the other rejected requests.
        """
        text = message or HTTPStatus(code).phrase
        if explain:
            text = f"{text}: {explain}"
        self.server.rejections.record(
            code, f"request from {_peer(self)}: {code:d} {text}"
        )
        self.close_connection = True
        body = _encode_json({"error": text})
        self.send_response(code)
        self.send_header("Connection", "close")
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        # Access log lines: the request line and status, never the body.
        logger.debug("%s %s", _peer(self), format % args)

    def log_error(self, format: str, *args: Any) -> None:
        # http.server calls this only when a connection times out before its
        # request line arrives, because send_error is replaced above. Idle
        # connections are counted with the rejected requests, so that a
        # client that opens many does not fill the log.
        self.server.rejections.record(
            HTTPStatus.REQUEST_TIMEOUT,
            f"connection from {_peer(self)}: {format % args}",
        )


def _content_length_values(fields: list[str]) -> list[str]:
    """Return the distinct values of the Content-Length fields, in order.

    ``fields`` has one entry per Content-Length header line, and each entry
    may be a comma-separated list, such as "3, 3". Values are digit strings
    without leading zeros, so "03" and "3" are one value. They stay strings
    because ``int()`` raises ValueError for more than 4300 digits.

    Raises:
        _RequestError: 400 for a value that is not a non-negative integer.
    """
    values: list[str] = []
    for field in fields:
        for value in field.split(","):
            digits = value.strip()
            if not _CONTENT_LENGTH_PATTERN.fullmatch(digits):
                raise _RequestError(
                    HTTPStatus.BAD_REQUEST,
                    f"Content-Length {_shorten(field)!r} is not a non-negative "
                    "integer; send the body length in bytes",
                )
            digits = digits.lstrip("0") or "0"
            if digits not in values:
                values.append(digits)
    return values


def _reject_differing_charsets(
    content_type: str | None, params: list[tuple[str, Any]]
) -> None:
    """Raise a 400 error for a Content-Type whose charset parameters differ.

    ``params`` is ``Message.get_params()`` of the headers, with lowercase
    names. ``get_content_charset`` returns the first charset only, so the
    server would decode the body as one charset while the client may mean
    the other. The status is 400, not 415, because the header contradicts
    itself: 415 would tell the client that a charset is not supported,
    when each one alone may be. A charset repeated with the same value
    (compared case-insensitively) leaves no doubt and is accepted, as
    repeated equal Content-Length values are.
    """
    charsets = [
        str(email.utils.collapse_rfc2231_value(value)).lower()
        for name, value in params[1:]
        if name == "charset"
    ]
    distinct = list(dict.fromkeys(charsets))
    if len(distinct) < 2:
        return
    listed = ", ".join(repr(_shorten(charset, 40)) for charset in distinct[:5])
    if len(distinct) > 5:
        listed += ", ..."
    raise _RequestError(
        HTTPStatus.BAD_REQUEST,
        f"Content-Type {_shorten(content_type or '')!r} has charset parameters "
        f"that differ ({listed}), so the body encoding is unknown; send one "
        "charset=utf-8, or no charset",
    )


def _body_bytes_bound(value: str) -> int:
    """Return a Content-Length digit string as an int, capped at 10**18."""
    if len(value) > _MAX_CONTENT_LENGTH_DIGITS:
        return 10**_MAX_CONTENT_LENGTH_DIGITS
    return int(value)


def _peer(handler: BaseHTTPRequestHandler) -> str:
    return str(handler.client_address[0])


def _shorten(value: str, limit: int = 100) -> str:
    """Cut a client-supplied string for error messages and logs."""
    return value if len(value) <= limit else value[:limit] + "..."


def _encode_json(payload: Any) -> bytes:
    return json.dumps(payload, ensure_ascii=False, allow_nan=False).encode("utf-8")


# The whitespace characters of JSON (RFC 8259, section 2).
_JSON_WHITESPACE = " \t\n\r"

# Byte order marks of UTF-32 and UTF-16. The UTF-32-LE mark starts with the
# UTF-16-LE one, so it comes first.
_WIDE_BYTE_ORDER_MARKS = (
    (codecs.BOM_UTF32_LE, "UTF-32-LE"),
    (codecs.BOM_UTF32_BE, "UTF-32-BE"),
    (codecs.BOM_UTF16_LE, "UTF-16-LE"),
    (codecs.BOM_UTF16_BE, "UTF-16-BE"),
)


def _decode_body(body: bytes) -> str:
    """Decode a request body as strict UTF-8, without a leading byte order mark.

    ``json.loads`` would guess UTF-16 or UTF-32 for a bytes body from its
    first bytes, so such a body would be accepted without a charset and
    rejected with ``charset=utf-16``. Decoding first makes every body UTF-8.
    RFC 8259, section 8.1, lets a parser ignore a UTF-8 byte order mark.

    Raises:
        _RequestError: 415 for a body that looks like UTF-16 or UTF-32, 400
            for other invalid UTF-8. Offsets in the message count bytes of
            the body as sent, byte order mark included.
    """
    start = len(codecs.BOM_UTF8) if body.startswith(codecs.BOM_UTF8) else 0
    text = ""
    problem = None
    first_invalid = len(body)
    try:
        text = body[start:].decode("utf-8")
    except UnicodeDecodeError as error:
        problem = _utf8_error_detail(body, error, start)
        first_invalid = start + error.start
    wide = _wide_encoding(body)
    if wide is None:
        if problem is None:
            return text
        raise _RequestError(
            HTTPStatus.BAD_REQUEST,
            f"request body is not valid UTF-8: {problem}; encode the JSON as UTF-8",
        )
    # JSON text has no raw NUL character, and UTF-16 or UTF-32 text of ASCII
    # characters is full of NUL bytes, which are valid UTF-8. The first NUL
    # byte is reported when it comes before the first invalid UTF-8 byte.
    nul = body.find(b"\x00")
    if 0 <= nul < first_invalid:
        problem = f"the NUL byte at offset {nul} is not allowed in JSON text"
    name, evidence = wide
    raise _RequestError(
        HTTPStatus.UNSUPPORTED_MEDIA_TYPE,
        f"request body looks like {name} ({evidence}), not UTF-8: {problem}; "
        "encode the JSON as UTF-8",
    )


def _wide_encoding(body: bytes) -> tuple[str, str] | None:
    """Guess whether ``body`` is UTF-16 or UTF-32 text.

    Returns the encoding's name and the evidence, or None. A byte order mark
    names the encoding. Without one, the NUL bytes among the first four bytes
    do, because a JSON text starts with an ASCII character, as
    ``json.detect_encoding`` also assumes.
    """
    for mark, name in _WIDE_BYTE_ORDER_MARKS:
        if body.startswith(mark):
            return name, "it starts with the byte order mark of that encoding"
    first = body[:4]
    if len(first) < 2 or b"\x00" not in first[:2]:
        return None
    evidence = "the NUL bytes among its first 4 bytes match that encoding"
    if first[0] == 0:
        return ("UTF-32-BE" if first[1] == 0 else "UTF-16-BE"), evidence
    return ("UTF-32-LE" if first[2:4] == b"\x00\x00" else "UTF-16-LE"), evidence


def _utf8_error_detail(body: bytes, error: UnicodeDecodeError, start: int) -> str:
    """Describe where ``body`` stops being UTF-8, in offsets of the whole body.

    ``error`` comes from decoding ``body[start:]``.
    """
    lead = start + error.start
    end = start + error.end
    if error.reason == "invalid start byte":
        return f"byte 0x{body[lead]:02x} at offset {lead} cannot start a character"
    if error.reason == "invalid continuation byte" and end < len(body):
        return (
            f"byte 0x{body[end]:02x} at offset {end} cannot continue the "
            f"character that starts at offset {lead}"
        )
    if error.reason == "unexpected end of data":
        return f"the body ends inside the character that starts at offset {lead}"
    return f"{error.reason} at offset {lead}"


def _parse_json(body: bytes) -> Any:
    text = _decode_body(body)
    if not text.strip(_JSON_WHITESPACE):
        raise _RequestError(
            HTTPStatus.BAD_REQUEST,
            'request body is empty; send a JSON object such as {"texts": ["a great '
            'film"]}',
        )
    try:
        return json.loads(
            text,
            parse_constant=_reject_constant,
            parse_int=_parse_int,
            object_pairs_hook=_object_without_duplicate_keys,
        )
    except json.JSONDecodeError as error:
        raise _RequestError(
            HTTPStatus.BAD_REQUEST,
            f"request body is invalid JSON at line {error.lineno}, column "
            f"{error.colno} (character {error.pos}): {error.msg}",
        ) from error
    except RecursionError as error:
        raise _RequestError(
            HTTPStatus.BAD_REQUEST,
            'request body nests JSON arrays or objects too deeply; send {"texts": '
            "[...]} with a flat list of strings",
        ) from error


def _parse_int(digits: str) -> int:
    """Convert a JSON integer, rejecting one longer than Python converts.

    Python limits the digits of an int it converts from text to
    ``sys.get_int_max_str_digits()``, 4,300 by default and no limit when 0.
    Its ValueError advises raising that limit, which a client cannot do.
    """
    limit = sys.get_int_max_str_digits()
    if limit and len(digits.lstrip("-")) > limit:
        raise _RequestError(
            HTTPStatus.BAD_REQUEST,
            f"request body contains an integer of more than {limit} digits, which "
            "the server does not parse; send numbers with fewer digits",
        )
    return int(digits)


def _reject_constant(name: str) -> Any:
    """Reject NaN, Infinity and -Infinity, which Python's json module accepts."""
    # RFC 8259 has no such numbers, so other JSON parsers reject them.
    raise _RequestError(
        HTTPStatus.BAD_REQUEST,
        f"request body is invalid JSON: {name} is not a JSON value; send the "
        'texts as JSON strings, such as {"texts": ["a great film"]}',
    )


def _object_without_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """Build a JSON object, rejecting a key that occurs twice in it."""
    # json.loads keeps the last value of a repeated key, so an earlier value
    # would be dropped without a sign.
    document: dict[str, Any] = {}
    for key, value in pairs:
        if key in document:
            raise _RequestError(
                HTTPStatus.BAD_REQUEST,
                f"request body repeats the key {json.dumps(_shorten(key, 40))} in "
                "one JSON object; send each key once",
            )
        document[key] = value
    return document


# The keys that a /predict request body may contain.
_PREDICT_KEYS = ("texts", "text")


def _parse_texts(document: Any, max_texts: int) -> list[str]:
    """Return the texts of a parsed ``/predict`` body.

    Raises:
        _RequestError: 400 for a malformed body or a key other than "texts"
            and "text", 413 for more than ``max_texts`` texts.
    """
    if not isinstance(document, dict):
        raise _RequestError(
            HTTPStatus.BAD_REQUEST,
            "request body must be a JSON object such as "
            f'{{"texts": ["a great film"]}}, got a JSON {json_type_name(document)}',
        )
    # A misspelt key, such as "txts" next to "texts", would otherwise be
    # ignored without a sign that the request was not what the client meant.
    unknown = [key for key in document if key not in _PREDICT_KEYS]
    if unknown:
        names = ", ".join(json.dumps(_shorten(key, 40)) for key in unknown[:10])
        if len(unknown) > 10:
            names += f" and {len(unknown) - 10} more"
        raise _RequestError(
            HTTPStatus.BAD_REQUEST,
            f"request body has unknown keys {names}; the allowed keys are "
            '"texts" (a list of strings) or "text" (one string)',
        )
    if "texts" in document and "text" in document:
        raise _RequestError(
            HTTPStatus.BAD_REQUEST,
            'request body has both "texts" and "text"; send either "texts" (a list '
            'of strings) or "text" (one string)',
        )
    if "text" in document:
        text = document["text"]
        if not isinstance(text, str):
            raise _RequestError(
                HTTPStatus.BAD_REQUEST,
                f'"text" must be a string, got a JSON {json_type_name(text)}; send '
                'several texts as "texts", a list of strings',
            )
        _check_characters(text, '"text"')
        return [text]
    if "texts" not in document:
        keys = ", ".join(repr(_shorten(str(key), 40)) for key in list(document)[:10])
        raise _RequestError(
            HTTPStatus.BAD_REQUEST,
            f'request body has no "texts" key (keys found: {keys or "none"}); send '
            '{"texts": ["a great film", ...]} or {"text": "a great film"}',
        )
    texts = document["texts"]
    if not isinstance(texts, list):
        raise _RequestError(
            HTTPStatus.BAD_REQUEST,
            '"texts" must be a JSON array of strings, got a JSON '
            f"{json_type_name(texts)}",
        )
    if len(texts) > max_texts:
        raise _RequestError(
            HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
            f"request has {len(texts)} texts, but the maximum is {max_texts}; split "
            "the texts over several requests",
        )
    for index, text in enumerate(texts):
        if not isinstance(text, str):
            raise _RequestError(
                HTTPStatus.BAD_REQUEST,
                f'"texts"[{index}] is a JSON {json_type_name(text)}, but every item of '
                '"texts" must be a string',
            )
        _check_characters(text, f'"texts"[{index}]')
    return texts


def _check_characters(text: str, name: str) -> None:
    """Reject a lone UTF-16 surrogate escape, such as \\ud800, which JSON allows.

    It is not a character, so the tokenizer would drop it without a sign, while
    embedsent predict rejects the same text read from a JSON Lines file.
    """
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as error:
        raise _RequestError(
            HTTPStatus.BAD_REQUEST,
            f"{name} contains the lone UTF-16 surrogate "
            f"\\u{ord(text[error.start]):04x} at character {error.start}, which "
            "is not a character; send the text as valid Unicode",
        ) from error


def _usage(server: PredictionServer) -> dict[str, Any]:
    return {
        "service": "embedsent text classifier",
        "embedsent_version": __version__,
        "endpoints": {
            "GET /health": "status, class labels and embedsent version",
            "POST /predict": 'body {"texts": ["...", ...]} or {"text": "..."} '
            "as application/json; returns "
            '{"predictions": [{"label": ..., "probabilities": {class: p}, '
            '"known_tokens": n}]} in input order, where known_tokens counts '
            "the text's tokens that have a word vector (0 means the "
            "probabilities are the training label frequencies)",
        },
        "limits": {
            "max_body_bytes": server.max_body_bytes,
            "max_texts": server.max_texts,
        },
    }


def _json_classes(model: TransferClassifier) -> list[Any]:
    """Return the model's class labels as JSON values (str, int, float or bool).

    Raises:
        ValueError: The model is not fitted, or a float label is not finite.
        TypeError: A label has another type.
    """
    try:
        classes = list(model.classes_)
    except AttributeError as error:
        raise ValueError(
            "the model is not fitted; fit it or load a saved model with "
            "TransferClassifier.load(path) before serving it"
        ) from error
    converted = []
    for label in classes:
        value = label.item() if isinstance(label, np.generic) else label
        if not isinstance(value, str | int | float | bool):
            raise TypeError(
                f"class label {label!r} has type {type(label).__name__}, which is "
                "not a JSON value; fit the model with str, int, float or bool labels"
            )
        if isinstance(value, float) and not math.isfinite(value):
            raise ValueError(
                f"class label {value!r} is not valid JSON; fit the model with "
                "finite labels"
            )
        converted.append(value)
    return converted


def _check_positive_int(name: str, value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")


def make_server(
    model: TransferClassifier,
    host: str = "127.0.0.1",
    port: int = 8000,
    *,
    max_body_bytes: int = 10_000_000,
    max_texts: int = 10_000,
) -> ThreadingHTTPServer:
    """Bind a prediction server for ``model`` to ``host``:``port``.

    The server is bound but not serving yet: call ``serve_forever()`` (for
    example in a thread), then ``shutdown()`` and ``server_close()`` to stop
    it. ``server_address`` contains the bound host and port.

    Args:
        model: A fitted model.
        host: Address to listen on. A non-loopback address such as
            ``0.0.0.0`` lets other machines query the model.
        port: TCP port; 0 lets the OS choose a free one.
        max_body_bytes: Maximum request body size in bytes; larger bodies
            get status 413.
        max_texts: Maximum number of texts per request; more get status
            413.

    Returns:
        A :class:`PredictionServer`.

    Raises:
        ValueError: The model is not fitted, the host is empty, or a port
            or limit is out of range.
        TypeError: A class label is not a str, int, float or bool.
        OSError: The address cannot be bound.
    """
    if not isinstance(host, str) or not host.strip():
        # socketserver binds an empty host to every interface.
        raise ValueError(
            f"host must be an address or host name, got {host!r}; pass 127.0.0.1 "
            "to listen on this machine only, or 0.0.0.0 to listen on every "
            "interface"
        )
    if isinstance(port, bool) or not isinstance(port, int) or not 0 <= port <= 65535:
        raise ValueError(
            f"port must be an integer from 0 to 65535, got {port!r}; 0 lets the OS "
            "choose a free port"
        )
    _check_positive_int("max_body_bytes", max_body_bytes)
    _check_positive_int("max_texts", max_texts)
    classes = _json_classes(model)
    try:
        return PredictionServer(
            (host, port),
            model,
            classes,
            max_body_bytes=max_body_bytes,
            max_texts=max_texts,
        )
    except OSError as error:
        raise OSError(error.errno, _bind_error_message(host, port, error)) from error


def _bind_error_message(host: str, port: int, error: OSError) -> str:
    """Describe why ``host``:``port`` cannot be bound, with advice for the cause.

    ``socket.gaierror`` means the host name did not resolve, EADDRINUSE that
    another socket uses the port, EACCES or EPERM that the process lacks the
    rights for the port, and EADDRNOTAVAIL that no local interface has the
    address.
    """
    reason = error.strerror or str(error)
    start = f"cannot listen on {host}:{port}: {reason}"
    if isinstance(error, socket.gaierror):
        advice = (
            f"the host {host!r} could not be resolved; check its spelling, or pass "
            "an IP address such as 127.0.0.1 (this machine only) or 0.0.0.0 "
            "(every interface)"
        )
    elif error.errno == errno.EADDRINUSE:
        advice = (
            f"another program already uses port {port}; pick another port "
            "(0 lets the OS choose a free one) or stop that program"
        )
    elif error.errno in (errno.EACCES, errno.EPERM):
        advice = (
            f"this process may not listen on port {port}; ports below 1024 "
            "usually need administrator rights, so pick a port from 1024 up"
        )
    elif error.errno == errno.EADDRNOTAVAIL:
        advice = (
            f"{host} is not an address of this machine; pass the address of a "
            "local interface, 127.0.0.1 or 0.0.0.0"
        )
    else:
        advice = "check the host and the port"
    return f"{start}; {advice}"


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _url(host: str, port: int) -> str:
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def serve(
    model_path: str | os.PathLike,
    host: str = "127.0.0.1",
    port: int = 8000,
    *,
    max_body_bytes: int = 10_000_000,
    max_texts: int = 10_000,
    on_start: Callable[[PredictionServer], None] | None = None,
    shutdown_timeout: float = SHUTDOWN_TIMEOUT_SECONDS,
) -> None:
    """Load a saved model and serve prediction requests until interrupted.

    Blocks until Ctrl-C (``KeyboardInterrupt``) or, when called from the main
    thread, SIGTERM. Either one closes the listening socket, waits up to
    ``shutdown_timeout`` seconds for the requests in progress, then closes
    the connections still open, logs a warning with the number of requests
    it dropped, and returns. A second Ctrl-C or SIGTERM during that wait ends
    it at once. A SIGTERM that arrives while the model loads, before the
    server listens, logs a warning and returns, while a Ctrl-C then raises
    ``KeyboardInterrupt``.

    Args:
        model_path: Model file written by ``TransferClassifier.save``.
        host: Address to listen on; see :func:`make_server`.
        port: TCP port; 0 lets the OS choose a free one.
        max_body_bytes: Maximum request body size in bytes.
        max_texts: Maximum number of texts per request.
        on_start: Called with the bound server before it starts serving.
        shutdown_timeout: Seconds to wait for the requests in progress when
            the server stops; 0 drops them at once.

    Raises:
        FileNotFoundError: ``model_path`` does not exist.
        ValueError: The file is not a valid model, or a port, a limit or
            ``shutdown_timeout`` is out of range.
        OSError: The address cannot be bound.
    """
    if (
        isinstance(shutdown_timeout, bool)
        or not isinstance(shutdown_timeout, int | float)
        or not 0 <= shutdown_timeout < math.inf
    ):
        raise ValueError(
            "shutdown_timeout must be a finite number of seconds, 0 or more, got "
            f"{shutdown_timeout!r}; pass 0 to drop unfinished requests at once"
        )
    # SIGTERM, what kill and service managers send, stops the server as
    # Ctrl-C does. The handler is in place before the model loads, so a
    # SIGTERM during start-up also ends this function normally instead of
    # killing the process. Only the main thread may set a signal handler.
    previous = None
    termination = None
    try:
        if threading.current_thread() is threading.main_thread():
            termination = _TerminationHandler()
            previous = signal.signal(signal.SIGTERM, termination)
        # The console script records a SIGTERM that arrives before this
        # handler is in place, while the command line is imported.
        if sigterm_received():
            raise _Terminated
        _load_and_serve(
            model_path,
            host,
            port,
            max_body_bytes=max_body_bytes,
            max_texts=max_texts,
            on_start=on_start,
            shutdown_timeout=shutdown_timeout,
            termination=termination,
        )
    except _Terminated:
        # Warning level, so the command line's default log level shows that
        # the server stopped without ever serving.
        logger.warning(
            "SIGTERM received while starting the server for model %s, so it "
            "stopped before it listened",
            model_path,
        )
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


def _load_and_serve(
    model_path: str | os.PathLike,
    host: str,
    port: int,
    *,
    max_body_bytes: int,
    max_texts: int,
    on_start: Callable[[PredictionServer], None] | None,
    shutdown_timeout: float,
    termination: _TerminationHandler | None,
) -> None:
    """Load the model, then listen and serve until Ctrl-C or SIGTERM.

    Ctrl-C or SIGTERM before the server is bound propagates, as
    ``KeyboardInterrupt`` or ``_Terminated``. Once it is bound, the server
    stops as :func:`_finish_requests` describes.
    """
    server = None
    serving = None
    try:
        model = TransferClassifier.load(model_path)
        server = make_server(
            model, host, port, max_body_bytes=max_body_bytes, max_texts=max_texts
        )
        _log_listening(server, model_path, host)
        if on_start is not None:
            on_start(server)
        # Python runs signal handlers in the main thread only, so this thread
        # waits while another one accepts connections. A signal then cannot
        # raise in the accept loop while it hands a connection to the
        # connection's thread, where socketserver would close the connection.
        serving = _ServingThread(server)
        serving.start()
        # Not Thread.join: in Python 3.11, a signal that raises inside join
        # marks the thread as stopped although it still runs.
        while not serving.finished.is_set():
            time.sleep(_POLL_SECONDS)
        if serving.error is not None:
            raise serving.error
    except KeyboardInterrupt:
        if server is None:
            raise
        logger.info("interrupted, stopping the server on %s", _server_url(server))
    except _Terminated:
        if server is None:
            raise
        logger.info("SIGTERM received, stopping the server on %s", _server_url(server))
    finally:
        if server is not None:
            if termination is not None:
                termination.stopping = True
            try:
                _finish_requests(server, serving, shutdown_timeout, termination)
            finally:
                server.server_close()
    logger.info("server on %s stopped", _server_url(server))


class _ServingThread(threading.Thread):
    """Thread that runs ``serve_forever`` and then closes the listening socket.

    Attributes:
        error: The exception that ended ``serve_forever``, or None.
        finished: Set once the listening socket is closed.
    """

    def __init__(self, server: PredictionServer) -> None:
        super().__init__(name="embedsent-serve", daemon=True)
        self.server = server
        self.error: BaseException | None = None
        self.finished = threading.Event()

    def run(self) -> None:
        try:
            self.server.serve_forever(poll_interval=_POLL_SECONDS)
        except BaseException as error:
            self.error = error
        finally:
            # With the listening socket closed, the OS refuses new connections.
            self.server.socket.close()
            self.finished.set()


def _finish_requests(
    server: PredictionServer,
    serving: _ServingThread | None,
    timeout: float,
    termination: _TerminationHandler | None,
) -> None:
    """Stop accepting connections and let the requests in progress finish.

    Waits up to ``timeout`` seconds, or until a second Ctrl-C or SIGTERM,
    then shuts down the connections still open and logs a warning with the
    number of requests that it dropped.
    """
    url = _server_url(server)
    interrupted = False
    deadline = time.monotonic() + timeout
    try:
        if termination is not None:
            termination.waiting = True
        if serving is not None:
            _stop_serving(server, serving)
        in_progress = server.connections.in_progress()
        if in_progress:
            logger.warning(
                "stopped listening on %s; waiting up to %g s for %s in "
                "progress. A second Ctrl-C or SIGTERM stops the server at once",
                url,
                timeout,
                _count(in_progress, "request"),
            )
        server.connections.wait(max(0.0, deadline - time.monotonic()))
    except (KeyboardInterrupt, _Terminated):
        interrupted = True
    finally:
        if termination is not None:
            termination.waiting = False
    dropped, idle = server.connections.close()
    if dropped and interrupted:
        logger.warning(
            "a second Ctrl-C or SIGTERM stopped the server on %s at once, so it "
            "dropped %s still in progress, and their clients got no response",
            url,
            _count(dropped, "request"),
        )
    elif dropped:
        logger.warning(
            "dropped %s still in progress %g s after the server on %s began "
            "to stop, so their clients got no response. Requests that take "
            "longer than %g s are cut off when the server stops, so split the "
            "texts over smaller requests, or raise the wait with "
            "--shutdown-timeout (shutdown_timeout in Python)",
            _count(dropped, "request"),
            timeout,
            url,
            timeout,
        )
    elif interrupted:
        logger.info("a second Ctrl-C or SIGTERM stopped the server on %s", url)
    if idle:
        logger.info(
            "closed %s on %s that had sent no complete request",
            _count(idle, "connection"),
            url,
        )


def _stop_serving(server: PredictionServer, serving: _ServingThread) -> None:
    """End ``serve_forever`` in ``serving`` and wait for it, at most a second.

    ``server.shutdown()`` runs in its own thread because it waits until
    ``serve_forever`` has run, which never happens if a signal stopped
    ``serving.start()`` before the thread was created.
    """
    threading.Thread(
        target=server.shutdown, name="embedsent-serve-shutdown", daemon=True
    ).start()
    deadline = time.monotonic() + 2 * _POLL_SECONDS
    while not serving.finished.is_set() and time.monotonic() < deadline:
        time.sleep(_SHUTDOWN_POLL_SECONDS)


def _count(number: int, noun: str) -> str:
    """Return ``number`` with ``noun``, adding "s" unless the number is 1."""
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"


def _server_url(server: PredictionServer) -> str:
    host, port = server.server_address[:2]
    return _url(host, port)


def _log_listening(server: PredictionServer, model_path: Any, host: str) -> None:
    """Log the address that ``server`` listens on, with a warning off loopback."""
    bound_host, bound_port = server.server_address[:2]
    url = _url(bound_host, bound_port)
    logger.info(
        "serving model %s (classes %s) on %s, host %s port %d",
        model_path,
        server.classes,
        url,
        bound_host,
        bound_port,
    )
    if not _is_loopback(host):
        logger.warning(
            "host %s is not a loopback address, so anyone who can reach port %d "
            "can query the model; use --host 127.0.0.1 to keep it local",
            host,
            bound_port,
        )


class _Terminated(BaseException):
    """A SIGTERM request to stop the server.

    It derives from BaseException, as KeyboardInterrupt does, so that an
    ``except Exception`` block cannot swallow it. ``logging.Handler.emit``
    has one, so the signal would otherwise be lost if it arrived while the
    main thread logs.
    """


class _TerminationHandler:
    """SIGTERM handler that raises :class:`_Terminated` unless the server stops.

    The first SIGTERM raises. Once the server stops, a SIGTERM raises only
    while ``waiting`` is true, as :func:`_finish_requests` sets it while it
    waits for requests, so that the signal cuts the wait short. At other
    times a SIGTERM would raise in the middle of the clean-up, so it is
    logged and ignored.
    """

    def __init__(self) -> None:
        self.stopping = False
        self.waiting = False

    def __call__(self, signum: int, frame: Any) -> None:
        if self.stopping and not self.waiting:
            logger.debug("SIGTERM received again while the server stops; ignored")
            return
        self.stopping = True
        # Only one SIGTERM cuts the wait short, so a third one cannot raise
        # while the wait's own clean-up runs.
        self.waiting = False
        raise _Terminated
