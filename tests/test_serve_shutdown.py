"""Graceful stop of ``embedsent serve``, which lets requests in progress finish."""

import _thread
import http.client
import json
import logging
import math
import os
import signal
import socket
import subprocess
import sys
import textwrap
import threading
import time

import pytest
import test_serve

from embedsent import serve as serve_module
from embedsent.pipeline import TransferClassifier
from embedsent.serve import serve

# The small saved model of test_serve.py, as fixtures of this module.
vectors = test_serve.vectors
model = test_serve.model
model_path = test_serve.model_path

# Seconds that a test waits for an event that takes milliseconds.
EVENT_TIMEOUT = 20.0


class LogWatcher(logging.Handler):
    """Set an event once the ``embedsent.serve`` logger logs a matching line."""

    def __init__(self, text: str) -> None:
        super().__init__(logging.DEBUG)
        self.text = text
        self.seen = threading.Event()

    def emit(self, record: logging.LogRecord) -> None:
        if self.text in record.getMessage():
            self.seen.set()


@pytest.fixture
def watch_log(caplog):
    """Return a function that makes a LogWatcher for a text, removed afterwards."""
    caplog.set_level(logging.DEBUG, logger="embedsent.serve")
    serve_logger = logging.getLogger("embedsent.serve")
    watchers = []

    def watch(text: str) -> LogWatcher:
        watcher = LogWatcher(text)
        serve_logger.addHandler(watcher)
        watchers.append(watcher)
        return watcher

    yield watch
    for watcher in watchers:
        serve_logger.removeHandler(watcher)


@pytest.fixture
def slow_predictions(monkeypatch):
    """Hold every prediction until the test sets ``release``.

    Returns the events ``started``, set when a prediction starts, and
    ``release``. The fixture sets ``release`` at teardown, so a held handler
    thread finishes.
    """
    started = threading.Event()
    release = threading.Event()
    original = TransferClassifier.prediction_records

    def prediction_records(self, texts):
        started.set()
        release.wait(timeout=60)
        return original(self, texts)

    monkeypatch.setattr(TransferClassifier, "prediction_records", prediction_records)
    yield started, release
    release.set()


class Client(threading.Thread):
    """Thread that POSTs texts to /predict and stores the response or the error."""

    def __init__(self, port: int, texts: list[str]) -> None:
        super().__init__(daemon=True)
        self.port = port
        self.body = json.dumps({"texts": texts}).encode("utf-8")
        self.status: int | None = None
        self.payload = None
        self.error: Exception | None = None

    def run(self) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            headers = {"Content-Type": "application/json"}
            connection.request("POST", "/predict", self.body, headers)
            response = connection.getresponse()
            self.status = response.status
            self.payload = json.loads(response.read())
        except (OSError, http.client.HTTPException) as error:
            self.error = error
        finally:
            connection.close()


def interrupt() -> None:
    """Raise KeyboardInterrupt in the main thread, as Ctrl-C does."""
    _thread.interrupt_main()


def terminate() -> None:
    os.kill(os.getpid(), signal.SIGTERM)


def serve_until(path, on_serving, **options) -> None:
    """Run ``serve`` on a free port and ``on_serving(server, port)`` in a thread."""
    helpers = []

    def on_start(server):
        port = server.server_address[1]
        helper = threading.Thread(target=on_serving, args=(server, port))
        helpers.append(helper)
        helper.start()

    serve(path, "127.0.0.1", 0, on_start=on_start, **options)
    for helper in helpers:
        helper.join(timeout=EVENT_TIMEOUT)


def serve_messages(caplog, level: int) -> list[str]:
    return [
        record.getMessage()
        for record in caplog.records
        if record.name == "embedsent.serve" and record.levelno == level
    ]


def test_stop_lets_request_in_flight_finish(
    model_path, slow_predictions, watch_log, caplog
):
    started, release = slow_predictions
    waiting = watch_log("waiting up to 5 s for 1 request in progress")
    clients = []
    refused = []

    def on_serving(server, port):
        client = Client(port, ["a great film", "an awful plot"])
        clients.append(client)
        client.start()
        assert started.wait(EVENT_TIMEOUT)
        interrupt()
        assert waiting.seen.wait(EVENT_TIMEOUT)
        try:
            socket.create_connection(("127.0.0.1", port), timeout=5).close()
        except ConnectionRefusedError:
            refused.append(True)
        release.set()

    serve_until(model_path, on_serving, shutdown_timeout=5)
    client = clients[0]
    client.join(timeout=EVENT_TIMEOUT)
    assert client.error is None
    assert client.status == 200
    assert len(client.payload["predictions"]) == 2
    assert refused == [True]
    assert not any("dropped" in m for m in serve_messages(caplog, logging.WARNING))
    assert caplog.records[-1].getMessage().endswith("stopped")


def test_stop_drops_request_after_timeout(model_path, slow_predictions, caplog):
    caplog.set_level(logging.INFO, logger="embedsent.serve")
    started, _ = slow_predictions
    clients = []

    def on_serving(server, port):
        client = Client(port, ["a great film"])
        clients.append(client)
        client.start()
        assert started.wait(EVENT_TIMEOUT)
        interrupt()

    began = time.monotonic()
    serve_until(model_path, on_serving, shutdown_timeout=0.3)
    assert time.monotonic() - began < EVENT_TIMEOUT
    client = clients[0]
    client.join(timeout=EVENT_TIMEOUT)
    assert client.status is None
    assert isinstance(client.error, OSError | http.client.RemoteDisconnected)
    warnings = serve_messages(caplog, logging.WARNING)
    dropped = [m for m in warnings if m.startswith("dropped")]
    assert len(dropped) == 1
    assert dropped[0].startswith("dropped 1 request still in progress 0.3 s after")
    assert "split the texts over smaller requests" in dropped[0]


@pytest.mark.parametrize("send", [interrupt, terminate], ids=["ctrl-c", "sigterm"])
def test_second_signal_stops_wait_at_once(
    model_path, slow_predictions, watch_log, caplog, send
):
    started, _ = slow_predictions
    waiting = watch_log("waiting up to 60 s for 1 request in progress")
    clients = []

    def on_serving(server, port):
        client = Client(port, ["a great film"])
        clients.append(client)
        client.start()
        assert started.wait(EVENT_TIMEOUT)
        send()
        assert waiting.seen.wait(EVENT_TIMEOUT)
        send()

    began = time.monotonic()
    serve_until(model_path, on_serving, shutdown_timeout=60)
    assert time.monotonic() - began < EVENT_TIMEOUT
    clients[0].join(timeout=EVENT_TIMEOUT)
    assert clients[0].status is None
    warnings = serve_messages(caplog, logging.WARNING)
    second = [m for m in warnings if m.startswith("a second Ctrl-C or SIGTERM")]
    assert len(second) == 1, warnings
    assert second[0].endswith(
        "at once, so it dropped 1 request still in progress, and their clients "
        "got no response"
    )


def test_idle_connection_does_not_delay_stop(model_path, monkeypatch, caplog):
    monkeypatch.setattr(serve_module, "_REQUEST_START_SECONDS", 0.2)
    caplog.set_level(logging.INFO, logger="embedsent.serve")
    idle = []

    def on_serving(server, port):
        connection = socket.create_connection(("127.0.0.1", port), timeout=10)
        idle.append(connection)
        # The connection is tracked once the server has accepted it.
        deadline = time.monotonic() + EVENT_TIMEOUT
        while not server.connections._waiting and time.monotonic() < deadline:
            time.sleep(0.01)
        interrupt()

    began = time.monotonic()
    serve_until(model_path, on_serving, shutdown_timeout=30)
    assert time.monotonic() - began < 10
    with idle[0] as connection:
        # The server shut the connection down, so the client reads its end.
        assert connection.recv(1) == b""
    infos = serve_messages(caplog, logging.INFO)
    assert any("closed 1 connection on" in m for m in infos), infos
    assert not any("dropped" in m for m in serve_messages(caplog, logging.WARNING))


@pytest.mark.parametrize("timeout", [-1, math.inf, math.nan, True, "5"])
def test_serve_rejects_bad_shutdown_timeout(model_path, timeout):
    with pytest.raises(ValueError, match="shutdown_timeout must be a finite number"):
        serve(model_path, "127.0.0.1", 0, shutdown_timeout=timeout)


def test_cli_serve_sigterm_lets_request_finish(model_path, tmp_path):
    # The child delays each prediction by a second after it writes a marker,
    # so the SIGTERM that the test sends on the marker arrives while the
    # server handles the request, however fast the machine predicts.
    script = textwrap.dedent(
        """
        import sys
        import time

        from embedsent.console import entry
        from embedsent.pipeline import TransferClassifier

        original = TransferClassifier.prediction_records

        def prediction_records(self, texts):
            print("test: predicting", file=sys.stderr, flush=True)
            time.sleep(1.0)
            return original(self, texts)

        TransferClassifier.prediction_records = prediction_records
        sys.argv = ["embedsent", "--no-compile-cache", "serve", "--model",
                    sys.argv[1], "--host", "127.0.0.1", "--port", "0"]
        entry()
        """
    )
    log = tmp_path / "serve.log"
    texts = [f"a great film number {index}" for index in range(10_000)]
    with open(log, "wb") as stderr:
        process = subprocess.Popen(
            [sys.executable, "-c", script, str(model_path)], stderr=stderr
        )
        try:
            port = _wait_for_port(process, log)
            client = Client(port, texts)
            client.start()
            _wait_for_text(process, log, "test: predicting")
            process.send_signal(signal.SIGTERM)
            code = process.wait(timeout=30)
            client.join(timeout=30)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
    text = log.read_text(encoding="utf-8")
    assert client.error is None, text
    assert client.status == 200
    assert len(client.payload["predictions"]) == 10_000
    assert code == 0, text
    assert "waiting up to 20 s for 1 request in progress" in text
    assert "dropped" not in text
    assert "Traceback" not in text
    assert text.endswith("embedsent serve: stopped\n")


def _wait_for_text(process: subprocess.Popen, log, text: str) -> str:
    """Return the log's contents once they contain ``text``."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        contents = log.read_text(encoding="utf-8")
        if text in contents:
            return contents
        if process.poll() is not None:
            pytest.fail(f"serve exited with {process.returncode}:\n{contents}")
        time.sleep(0.05)
    pytest.fail(f"serve did not log {text!r} within 60 s")


def _wait_for_port(process: subprocess.Popen, log) -> int:
    """Return the port that ``embedsent serve`` announced on standard error."""
    contents = _wait_for_text(process, log, "press Ctrl-C to stop")
    announced = contents.split(" on 127.0.0.1 port ", 1)[1]
    return int(announced.split(";", 1)[0])
