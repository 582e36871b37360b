import _thread
import errno
import http.client
import json
import logging
import re
import shlex
import socket
import sys
import threading
import urllib.error
import urllib.request
from http import HTTPStatus
from pathlib import Path

import numpy as np
import pytest

from embedsent import __version__
from embedsent.cli import main
from embedsent.config import ClassifierConfig, SGNSConfig, VocabConfig
from embedsent.pipeline import TransferClassifier, pretrain
from embedsent.serve import (
    PredictionServer,
    _bind_error_message,
    _PredictionHandler,
    make_server,
    serve,
)
from embedsent.serve_rejections import RejectionCounter

UNLABELED = [
    "a great film with a wonderful cast",
    "a boring film with an awful plot",
    "wonderful acting and a great story",
    "awful acting and a boring story",
] * 10
TEXTS = ["great wonderful film", "awful boring plot", "wonderful story", "boring film"]
LABELS = ["pos", "neg", "pos", "neg"]
PROBE = ["wonderful film", "awful plot", "nothing known here", "", "great cast ☺"]
MAX_BODY_BYTES = 2_000
MAX_TEXTS = 8

# Requests bypass any proxy set in the environment, so they reach only the
# server that the test started.
OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


@pytest.fixture(scope="module")
def vectors():
    sgns = SGNSConfig(dim=8, epochs=5, batch_size=32, negative_group=8, seed=0)
    vocab = VocabConfig(min_count=1, sample=0.0)
    return pretrain(UNLABELED, vocab_config=vocab, sgns_config=sgns)


@pytest.fixture(scope="module")
def model(vectors):
    config = ClassifierConfig(hidden_size=4, epochs=50)
    return TransferClassifier(vectors, classifier_config=config).fit(TEXTS, LABELS)


@pytest.fixture(scope="module")
def model_path(model, tmp_path_factory):
    path = tmp_path_factory.mktemp("serve") / "model.npz"
    model.save(path)
    return path


def start(model, **limits):
    server = make_server(model, "127.0.0.1", 0, **limits)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return server, thread


def stop(server, thread):
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


@pytest.fixture(scope="module")
def server(model):
    server, thread = start(model, max_body_bytes=MAX_BODY_BYTES, max_texts=MAX_TEXTS)
    yield server
    stop(server, thread)


def url(server, path):
    host, port = server.server_address[:2]
    return f"http://{host}:{port}{path}"


def call(server, method, path, body=None, headers=None):
    """Send one request and return the status, parsed JSON body and headers."""
    if isinstance(body, dict | list):
        body = json.dumps(body).encode("utf-8")
    if body is not None and headers is None:
        headers = {"Content-Type": "application/json"}
    request = urllib.request.Request(
        url(server, path), data=body, method=method, headers=headers or {}
    )
    try:
        with OPENER.open(request, timeout=10) as response:
            return response.status, json.loads(response.read()), response.headers
    except urllib.error.HTTPError as error:
        with error:
            return error.code, json.loads(error.read()), error.headers


def raw_call(server, method, path, body=b"", headers=None, *, half_close=False):
    """Send a request through http.client, which sends only the given headers.

    ``headers`` is a dict, or a list of (name, value) pairs to send a header
    more than once. ``half_close`` shuts the sending side after the body, as a
    client that ends its body early does.
    """
    host, port = server.server_address[:2]
    connection = http.client.HTTPConnection(host, port, timeout=10)
    try:
        connection.putrequest(method, path, skip_accept_encoding=True)
        pairs = headers.items() if isinstance(headers, dict) else headers or []
        for name, value in pairs:
            connection.putheader(name, value)
        connection.endheaders(body)
        if half_close:
            connection.sock.shutdown(socket.SHUT_WR)
        response = connection.getresponse()
        return response.status, json.loads(response.read())
    finally:
        connection.close()


def predict(server, texts):
    status, payload, _ = call(server, "POST", "/predict", {"texts": texts})
    assert status == 200
    return payload["predictions"]


def test_health_reports_classes_and_version(server, model):
    status, payload, headers = call(server, "GET", "/health")
    assert status == 200
    assert payload["status"] == "ok"
    assert payload["classes"] == list(model.classes_)
    assert payload["embedsent_version"] == __version__
    assert headers["Content-Type"] == "application/json"


def test_root_describes_endpoints_and_limits(server):
    status, payload, _ = call(server, "GET", "/")
    assert status == 200
    assert "POST /predict" in payload["endpoints"]
    assert "GET /health" in payload["endpoints"]
    assert '"known_tokens": n' in payload["endpoints"]["POST /predict"]
    assert payload["limits"] == {
        "max_body_bytes": MAX_BODY_BYTES,
        "max_texts": MAX_TEXTS,
    }


def test_head_health_sends_no_body(server):
    host, port = server.server_address[:2]
    connection = http.client.HTTPConnection(host, port, timeout=10)
    try:
        connection.request("HEAD", "/health")
        response = connection.getresponse()
        assert response.status == 200
        assert int(response.headers["Content-Length"]) > 0
        assert response.read() == b""
    finally:
        connection.close()


def test_predict_matches_model(server, model):
    predictions = predict(server, PROBE)
    expected = model.predict_proba(PROBE)
    assert len(predictions) == len(PROBE)
    assert [p["label"] for p in predictions] == list(model.predict(PROBE))
    for prediction, row in zip(predictions, expected, strict=True):
        assert prediction["label"] in model.classes_
        assert list(prediction["probabilities"]) == list(model.classes_)
        assert abs(sum(prediction["probabilities"].values()) - 1) < 1e-9
        served = [prediction["probabilities"][c] for c in model.classes_]
        np.testing.assert_allclose(served, row, rtol=0, atol=1e-12)


def test_predict_keeps_input_order(server):
    forward = predict(server, PROBE)
    backward = predict(server, PROBE[::-1])
    assert backward == forward[::-1]


def test_predict_label_is_most_probable_class(server):
    for prediction in predict(server, PROBE):
        probabilities = prediction["probabilities"]
        assert prediction["label"] == max(probabilities, key=probabilities.get)


def test_predict_single_text(server):
    status, payload, _ = call(server, "POST", "/predict", {"text": "wonderful film"})
    assert status == 200
    assert payload["predictions"] == predict(server, ["wonderful film"])


def test_predict_empty_list(server):
    assert predict(server, []) == []


def test_predict_without_content_type(server):
    body = json.dumps({"texts": ["wonderful film"]}).encode()
    status, payload = raw_call(
        server, "POST", "/predict", body, {"Content-Length": str(len(body))}
    )
    assert status == 200
    assert len(payload["predictions"]) == 1


def test_readme_curl_example_gets_predictions(server):
    readme = Path(__file__).resolve().parents[1] / "README.md"
    lines = readme.read_text(encoding="utf-8").replace("\\\n", " ").splitlines()
    command = next(line for line in lines if line.startswith("curl "))
    words = shlex.split(command)
    # curl sends a -d body as a form unless a -H header names another type.
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    for index, word in enumerate(words):
        if word == "-H":
            name, value = words[index + 1].split(": ", 1)
            headers[name] = value
    body = words[words.index("-d") + 1].encode("utf-8")
    assert words[-1].endswith("/predict")
    headers["Content-Length"] = str(len(body))
    status, payload = raw_call(server, "POST", "/predict", body, headers)
    assert status == 200
    assert len(payload["predictions"]) == 1


def test_predict_accepts_json_charset(server):
    headers = {"Content-Type": "application/json; charset=utf-8"}
    status, payload, _ = call(server, "POST", "/predict", b'{"text": "a"}', headers)
    assert status == 200
    assert len(payload["predictions"]) == 1


@pytest.mark.parametrize(
    "content_type",
    [
        "application/json; charset=UTF-8",
        "application/json; charset=utf8",
        'application/json; charset="utf-8"',
        "application/json; charset=US-ASCII",
    ],
)
def test_predict_accepts_utf8_spellings(server, content_type):
    headers = {"Content-Type": content_type}
    status, payload, _ = call(server, "POST", "/predict", b'{"text": "a"}', headers)
    assert status == 200
    assert len(payload["predictions"]) == 1


@pytest.mark.parametrize("charset", ["utf-16", "UTF-16", "latin-1"])
def test_predict_rejects_other_charset(server, charset):
    headers = {"Content-Type": f"application/json; charset={charset}"}
    status, payload, _ = call(server, "POST", "/predict", b'{"text": "a"}', headers)
    assert status == 415
    assert payload == {
        "error": f"charset {charset.lower()!r} in Content-Type is not supported; "
        "send the JSON body encoded as UTF-8 (charset=utf-8, or no charset)"
    }


@pytest.mark.parametrize(
    ("content_type", "listed"),
    [
        ("application/json; charset=utf-8; charset=latin-1", "'utf-8', 'latin-1'"),
        ("application/json; charset=latin-1; charset=utf-8", "'latin-1', 'utf-8'"),
        ('application/json; charset="UTF-8"; CHARSET=utf-16', "'utf-8', 'utf-16'"),
    ],
)
def test_predict_rejects_differing_charsets(server, content_type, listed):
    headers = {"Content-Type": content_type}
    status, payload, _ = call(server, "POST", "/predict", b'{"text": "a"}', headers)
    assert status == 400
    assert payload == {
        "error": f"Content-Type {content_type!r} has charset parameters that "
        f"differ ({listed}), so the body encoding is unknown; send one "
        "charset=utf-8, or no charset"
    }


def test_predict_accepts_repeated_equal_charset(server):
    headers = {"Content-Type": "application/json; charset=utf-8; charset=UTF-8"}
    status, payload, _ = call(server, "POST", "/predict", b'{"text": "a"}', headers)
    assert status == 200
    assert len(payload["predictions"]) == 1


WIDE_DOCUMENT = '{"text": "a great film"}'
BOM_EVIDENCE = "it starts with the byte order mark of that encoding"
NUL_EVIDENCE = "the NUL bytes among its first 4 bytes match that encoding"
WIDE_BODIES = [
    # (body, encoding, evidence, the error text about the first invalid byte)
    (
        WIDE_DOCUMENT.encode("utf-16-le"),
        "UTF-16-LE",
        NUL_EVIDENCE,
        "the NUL byte at offset 1 is not allowed in JSON text",
    ),
    (
        WIDE_DOCUMENT.encode("utf-16-be"),
        "UTF-16-BE",
        NUL_EVIDENCE,
        "the NUL byte at offset 0 is not allowed in JSON text",
    ),
    (
        b"\xff\xfe" + WIDE_DOCUMENT.encode("utf-16-le"),
        "UTF-16-LE",
        BOM_EVIDENCE,
        "byte 0xff at offset 0 cannot start a character",
    ),
    (
        b"\xfe\xff" + WIDE_DOCUMENT.encode("utf-16-be"),
        "UTF-16-BE",
        BOM_EVIDENCE,
        "byte 0xfe at offset 0 cannot start a character",
    ),
    (
        WIDE_DOCUMENT.encode("utf-32-le"),
        "UTF-32-LE",
        NUL_EVIDENCE,
        "the NUL byte at offset 1 is not allowed in JSON text",
    ),
    (
        WIDE_DOCUMENT.encode("utf-32-be"),
        "UTF-32-BE",
        NUL_EVIDENCE,
        "the NUL byte at offset 0 is not allowed in JSON text",
    ),
    (
        b"\xff\xfe\x00\x00" + WIDE_DOCUMENT.encode("utf-32-le"),
        "UTF-32-LE",
        BOM_EVIDENCE,
        "byte 0xff at offset 0 cannot start a character",
    ),
    (
        b"\x00\x00\xfe\xff" + WIDE_DOCUMENT.encode("utf-32-be"),
        "UTF-32-BE",
        BOM_EVIDENCE,
        "the NUL byte at offset 0 is not allowed in JSON text",
    ),
    # Cut off after the byte order mark, so json.loads would have reported
    # the truncated UTF-16 data at offset 2.
    (b"\xff\xfe{", "UTF-16-LE", BOM_EVIDENCE, "byte 0xff at offset 0"),
]


@pytest.mark.parametrize(
    ("body", "encoding", "evidence", "problem"),
    WIDE_BODIES,
    ids=[f"{case[1]}-{index}" for index, case in enumerate(WIDE_BODIES)],
)
def test_utf16_or_utf32_body_is_415(server, body, encoding, evidence, problem):
    status, payload, _ = call(server, "POST", "/predict", body, JSON)
    assert status == 415
    assert payload["error"].startswith(
        f"request body looks like {encoding} ({evidence}), not UTF-8: {problem}"
    )
    assert payload["error"].endswith("; encode the JSON as UTF-8")


@pytest.mark.parametrize("charset", [None, "utf-8", "utf-16"])
def test_utf16_body_rejected_with_any_charset(server, charset):
    content_type = "application/json"
    if charset is not None:
        content_type += f"; charset={charset}"
    body = WIDE_DOCUMENT.encode("utf-16")
    headers = {"Content-Type": content_type}
    status, payload, _ = call(server, "POST", "/predict", body, headers)
    assert status == 415
    assert "UTF-8" in payload["error"]


CONTINUE = "cannot continue the character that starts at"
INVALID_UTF8_BODIES = [
    (b'{"text": "\xff"}', "byte 0xff at offset 10 cannot start a character"),
    (b'{"text": "caf\xc3\x28"}', f"byte 0x28 at offset 14 {CONTINUE} offset 13"),
    # A UTF-16 surrogate encoded as UTF-8, which json.loads used to decode.
    (b'{"text": "\xed\xa0\x80"}', f"byte 0xa0 at offset 11 {CONTINUE} offset 10"),
    (
        b'{"text": "a\xe2\x82',
        "the body ends inside the character that starts at offset 11",
    ),
    # Offsets count the UTF-8 byte order mark.
    (b'\xef\xbb\xbf{"text": "\xff"}', "byte 0xff at offset 13 cannot start"),
]


@pytest.mark.parametrize(("body", "problem"), INVALID_UTF8_BODIES)
def test_invalid_utf8_names_byte_offset(server, body, problem):
    status, payload, _ = call(server, "POST", "/predict", body, JSON)
    assert status == 400
    assert payload["error"].startswith(f"request body is not valid UTF-8: {problem}")
    assert payload["error"].endswith("; encode the JSON as UTF-8")


def test_utf8_byte_order_mark_accepted(server):
    body = b"\xef\xbb\xbf" + WIDE_DOCUMENT.encode("utf-8")
    status, payload, _ = call(server, "POST", "/predict", body, JSON)
    assert status == 200
    assert len(payload["predictions"]) == 1


def test_bom_only_body_is_empty(server):
    status, payload, _ = call(server, "POST", "/predict", b"\xef\xbb\xbf \n", JSON)
    assert status == 400
    assert payload["error"].startswith("request body is empty")


def test_utf8_text_with_nul_gets_json_error(server):
    status, payload, _ = call(server, "POST", "/predict", b'{"text": "a\x00"}', JSON)
    assert status == 400
    assert "invalid JSON at line 1, column 12" in payload["error"]


JSON = {"Content-Type": "application/json"}

BAD_REQUESTS = [
    # (method, path, body, headers, status, words in the error)
    ("POST", "/predict", b'{"texts": [1,', JSON, 400, ["invalid JSON", "line 1"]),
    ("POST", "/predict", b"", JSON, 400, ["empty"]),
    ("POST", "/predict", b'{"texts": "\xff"}', JSON, 400, ["UTF-8"]),
    ("POST", "/predict", b"[" * 1500, JSON, 400, ["deeply"]),
    ("POST", "/predict", b'["a"]', JSON, 400, ["JSON object", "array"]),
    ("POST", "/predict", b"{}", JSON, 400, ['no "texts"', "none"]),
    ("POST", "/predict", b'{"txts": ["a"]}', JSON, 400, ['unknown keys "txts"']),
    (
        "POST",
        "/predict",
        b'{"texts": ["a"], "txts": 1, "lang": "en"}',
        JSON,
        400,
        ['unknown keys "txts", "lang"', 'allowed keys are "texts"', '"text"'],
    ),
    ("POST", "/predict", b'{"texts": "a"}', JSON, 400, ["array of strings", "string"]),
    (
        "POST",
        "/predict",
        b'{"texts": ["a", "b", 3]}',
        JSON,
        400,
        ['"texts"[2]', "number"],
    ),
    ("POST", "/predict", b'{"texts": ["a", null]}', JSON, 400, ['"texts"[1]', "null"]),
    (
        "POST",
        "/predict",
        b'{"texts": ["a", "great \\ud800 film"]}',
        JSON,
        400,
        ['"texts"[1] contains the lone UTF-16 surrogate \\ud800 at character 6'],
    ),
    (
        "POST",
        "/predict",
        b'{"text": "\\udc80"}',
        JSON,
        400,
        ['"text" contains the lone UTF-16 surrogate \\udc80'],
    ),
    ("POST", "/predict", b'{"text": ["a"]}', JSON, 400, ['"text"', "array"]),
    ("POST", "/predict", b'{"text": "a", "texts": []}', JSON, 400, ["both"]),
    ("POST", "/predict", b'{"texts": NaN}', JSON, 400, ["invalid JSON", "NaN"]),
    (
        "POST",
        "/predict",
        b'{"texts": ["a", Infinity]}',
        JSON,
        400,
        ["invalid JSON", "Infinity is not a JSON value"],
    ),
    (
        "POST",
        "/predict",
        b'{"texts": [-Infinity]}',
        JSON,
        400,
        ["invalid JSON", "-Infinity is not a JSON value"],
    ),
    (
        "POST",
        "/predict",
        b'{"texts": ["a"], "texts": ["b"]}',
        JSON,
        400,
        ['repeats the key "texts"', "send each key once"],
    ),
    (
        "POST",
        "/predict",
        b'{"texts": ["a"], "text": "b", "text": "c"}',
        JSON,
        400,
        ['repeats the key "text"'],
    ),
    (
        "POST",
        "/predict",
        json.dumps({"texts": ["a"] * (MAX_TEXTS + 1)}).encode(),
        JSON,
        413,
        [f"{MAX_TEXTS + 1} texts", f"maximum is {MAX_TEXTS}"],
    ),
    (
        "POST",
        "/predict",
        json.dumps({"texts": ["a" * MAX_BODY_BYTES]}).encode(),
        JSON,
        413,
        [f"maximum is {MAX_BODY_BYTES} bytes"],
    ),
    (
        "POST",
        "/predict",
        b'{"texts": []}',
        {"Content-Type": "text/plain"},
        415,
        ["'text/plain'", "application/json"],
    ),
    ("GET", "/nowhere", None, None, 404, ["/nowhere", "POST /predict"]),
    ("POST", "/health/", b"{}", JSON, 404, ["GET /health"]),
    ("GET", "/predict", None, None, 405, ["GET", "POST"]),
    ("POST", "/health", b"{}", JSON, 405, ["POST", "GET"]),
    ("DELETE", "/predict", None, None, 405, ["DELETE"]),
]


@pytest.mark.parametrize(
    "case",
    BAD_REQUESTS,
    ids=[f"{case[4]}-{index}" for index, case in enumerate(BAD_REQUESTS)],
)
def test_bad_request_gets_json_error(server, case):
    method, path, body, headers, status, words = case
    answered, payload, _ = call(server, method, path, body, headers)
    assert answered == status
    assert set(payload) == {"error"}
    for word in words:
        assert word in payload["error"]


def test_nan_body_gets_invalid_json_error(server):
    status, payload, _ = call(server, "POST", "/predict", b'{"texts": NaN}')
    assert status == 400
    assert payload["error"] == (
        "request body is invalid JSON: NaN is not a JSON value; send the texts "
        'as JSON strings, such as {"texts": ["a great film"]}'
    )


def test_duplicate_key_gets_error_naming_key(server):
    body = b'{"texts": ["a"], "texts": ["b"]}'
    status, payload, _ = call(server, "POST", "/predict", body)
    assert status == 400
    assert payload["error"] == (
        'request body repeats the key "texts" in one JSON object; send each key once'
    )


def test_wrong_method_lists_allowed_methods(server):
    _, _, headers = call(server, "GET", "/predict")
    assert headers["Allow"] == "POST"


def test_missing_content_length_is_411(server):
    status, payload = raw_call(server, "POST", "/predict", None, JSON)
    assert status == 411
    assert "Content-Length" in payload["error"]


def test_invalid_content_length_is_400(server):
    headers = {**JSON, "Content-Length": "12abc"}
    status, payload = raw_call(server, "POST", "/predict", None, headers)
    assert status == 400
    assert "'12abc'" in payload["error"]


def test_differing_content_lengths_are_400(server):
    headers = [*JSON.items(), ("Content-Length", "15"), ("Content-Length", "3")]
    status, payload = raw_call(server, "POST", "/predict", b"[1]", headers)
    assert status == 400
    assert "Content-Length values differ (15, 3)" in payload["error"]
    assert "send one Content-Length header" in payload["error"]


def test_content_length_list_with_differing_values_is_400(server):
    headers = {**JSON, "Content-Length": "3, 15"}
    status, payload = raw_call(server, "POST", "/predict", b"[1]", headers)
    assert status == 400
    assert "Content-Length values differ (3, 15)" in payload["error"]


def test_content_length_list_and_header_differing_is_400(server):
    headers = [*JSON.items(), ("Content-Length", "3, 3"), ("Content-Length", "4")]
    status, payload = raw_call(server, "POST", "/predict", b"[1]", headers)
    assert status == 400
    assert "Content-Length values differ (3, 4)" in payload["error"]


@pytest.mark.parametrize(
    "lengths",
    [["13", "13"], ["13, 13"], ["13", "013"], ["13,13", " 13 "]],
    ids=["two-headers", "list", "leading-zero", "list-and-header"],
)
def test_repeated_equal_content_lengths_accepted(server, lengths):
    body = b'{"texts": []}'
    assert len(body) == 13
    headers = [*JSON.items(), *(("Content-Length", value) for value in lengths)]
    status, payload = raw_call(server, "POST", "/predict", body, headers)
    assert status == 200
    assert payload == {"predictions": []}


@pytest.mark.parametrize("value", ["3, x", "3,", ", 3", "3 3"])
def test_invalid_content_length_list_is_400(server, value):
    headers = {**JSON, "Content-Length": value}
    status, payload = raw_call(server, "POST", "/predict", b"[1]", headers)
    assert status == 400
    assert (
        f"Content-Length {value!r} is not a non-negative integer" in (payload["error"])
    )


def test_content_length_of_many_digits_is_413(server):
    headers = {**JSON, "Content-Length": "9" * 5000}
    status, payload = raw_call(server, "POST", "/predict", b"[1]", headers)
    assert status == 413
    assert f"maximum of {MAX_BODY_BYTES} bytes" in payload["error"]


def test_server_answers_after_differing_content_lengths(server):
    headers = [*JSON.items(), ("Content-Length", "15"), ("Content-Length", "3")]
    assert raw_call(server, "POST", "/predict", b"[1]", headers)[0] == 400
    assert len(predict(server, PROBE)) == len(PROBE)


def test_short_body_is_400(server):
    headers = {**JSON, "Content-Length": "50"}
    status, payload = raw_call(
        server, "POST", "/predict", b'{"texts": []}', headers, half_close=True
    )
    assert status == 400
    assert "13 of the 50 bytes" in payload["error"]


def test_unknown_method_gets_json_error(server):
    status, payload = raw_call(server, "TRACE", "/predict")
    assert status == 501
    assert "TRACE" in payload["error"]


def test_server_answers_after_bad_requests(server):
    for method, path, body, headers, status, _ in BAD_REQUESTS:
        assert call(server, method, path, body, headers)[0] == status
    raw_call(server, "POST", "/predict", None, JSON)
    status, payload, _ = call(server, "GET", "/health")
    assert status == 200
    assert payload["status"] == "ok"
    assert len(predict(server, PROBE)) == len(PROBE)


def test_body_far_over_limit_gets_413(server):
    # 8 MB is more than the loopback socket buffers hold on Linux, so the
    # client reads the 413 only if the server drains the body before closing.
    # Without draining, the client got a connection reset in this test.
    body = json.dumps({"texts": ["a" * 1000] * 8000}).encode()
    status, payload, _ = call(server, "POST", "/predict", body)
    assert status == 413
    assert str(len(body)) in payload["error"]


def test_model_failure_gets_500(server, model, monkeypatch):
    def broken_transform(tokens, **options):
        raise RuntimeError("encoder broke")

    monkeypatch.setattr(model.encoder, "transform", broken_transform)
    status, payload, _ = call(server, "POST", "/predict", {"texts": ["a"]})
    monkeypatch.undo()
    assert status == 500
    assert "RuntimeError: encoder broke" in payload["error"]
    assert len(predict(server, ["a"])) == 1


def test_request_errors_logged_without_texts(server, caplog):
    caplog.set_level(logging.DEBUG, logger="embedsent.serve")
    body = {"texts": ["secret review text", 7]}
    assert call(server, "POST", "/predict", body)[0] == 400
    messages = [record.getMessage() for record in caplog.records]
    assert any('400 "texts"[1]' in message for message in messages)
    assert not any("secret" in message for message in messages)


def _serve_records(caplog, level):
    return [
        record.getMessage()
        for record in caplog.records
        if record.name == "embedsent.serve" and record.levelno == level
    ]


def test_rejection_counter_logs_once_per_interval(caplog):
    now = [0.0]
    counter = RejectionCounter(interval=60.0, clock=lambda: now[0])
    caplog.set_level(logging.DEBUG, logger="embedsent.serve")
    counter.record(400, "POST /predict from 127.0.0.1: 400 bad")
    first = _serve_records(caplog, logging.WARNING)
    assert len(first) == 1
    assert first[0].startswith(
        "rejected 1 request since the server started (1 with status 400); the "
        "latest: POST /predict from 127.0.0.1: 400 bad."
    )
    assert first[0].endswith("and this count at most once every 60 s")
    for second, status in [(1, 404), (2, 400), (59, 415)]:
        now[0] = second
        counter.record(status, f"request {second}: {status}")
    assert len(_serve_records(caplog, logging.WARNING)) == 1
    now[0] = 61.0
    counter.record(400, "request 61: 400")
    warnings = _serve_records(caplog, logging.WARNING)
    assert len(warnings) == 2
    assert warnings[1].startswith(
        "rejected 4 requests in the 61 s since the last such line (2 with status "
        "400, 1 with status 404, 1 with status 415); the latest: request 61: 400."
    )
    assert len(_serve_records(caplog, logging.DEBUG)) == 5


def test_rejection_counter_flush_logs_pending(caplog):
    now = [0.0]
    counter = RejectionCounter(interval=60.0, clock=lambda: now[0])
    caplog.set_level(logging.WARNING, logger="embedsent.serve")
    counter.record(400, "first")
    counter.flush()
    assert len(caplog.records) == 1
    now[0] = 5.0
    counter.record(413, "second")
    counter.record(413, "third")
    counter.flush()
    assert len(caplog.records) == 2
    assert (
        caplog.records[1]
        .getMessage()
        .startswith(
            "rejected 2 requests in the 5 s since the last such line (2 with status "
            "413); the latest: third."
        )
    )
    counter.flush()
    assert len(caplog.records) == 2


def test_server_logs_rejections_as_one_warning(model, caplog):
    caplog.set_level(logging.DEBUG, logger="embedsent.serve")
    server, thread = start(model)
    try:
        for _ in range(4):
            assert call(server, "GET", "/nowhere")[0] == 404
        assert call(server, "POST", "/predict", {"txts": ["a"]})[0] == 400
        during = _serve_records(caplog, logging.WARNING)
    finally:
        stop(server, thread)
    debug = [m for m in _serve_records(caplog, logging.DEBUG) if ": 40" in m]
    assert len(debug) == 5
    assert len(during) == 1
    assert during[0].startswith("rejected 1 request since the server started")
    after = _serve_records(caplog, logging.WARNING)
    assert len(after) == 2
    assert after[1].startswith("rejected 4 requests in the ")
    assert "(1 with status 400, 3 with status 404)" in after[1]


def test_concurrent_requests_get_own_answers(server, model):
    batches = [PROBE[i:] + PROBE[:i] for i in range(len(PROBE))]
    expected = {
        i: [str(label) for label in model.predict(batch)]
        for i, batch in enumerate(batches)
    }
    results: dict[tuple[int, int], list[str]] = {}
    errors: list[BaseException] = []

    def worker(index):
        try:
            for repeat in range(4):
                predictions = predict(server, batches[index])
                results[index, repeat] = [p["label"] for p in predictions]
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(len(batches))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    assert len(results) == 4 * len(batches)
    for (index, _), labels in results.items():
        assert labels == expected[index]


def test_int_labels_stay_ints(vectors):
    config = ClassifierConfig(hidden_size=4, epochs=50)
    labels = np.array([1, 0, 1, 0], dtype=np.int64)
    model = TransferClassifier(vectors, classifier_config=config).fit(TEXTS, labels)
    server, thread = start(model)
    try:
        status, payload, _ = call(server, "GET", "/health")
        predictions = predict(server, ["wonderful film"])
    finally:
        stop(server, thread)
    assert status == 200
    assert payload["classes"] == [0, 1]
    assert type(predictions[0]["label"]) is int
    assert set(predictions[0]["probabilities"]) == {"0", "1"}


def test_shutdown_stops_serving(model):
    server, thread = start(model)
    address = url(server, "/health")
    assert call(server, "GET", "/health")[0] == 200
    stop(server, thread)
    assert not thread.is_alive()
    with pytest.raises(urllib.error.URLError):
        OPENER.open(address, timeout=5)


def test_serve_stops_on_keyboard_interrupt(model_path, caplog):
    caplog.set_level(logging.INFO, logger="embedsent.serve")
    answers = []

    def request_then_interrupt(server):
        try:
            answers.append(call(server, "GET", "/health")[0])
        finally:
            # Raises KeyboardInterrupt in the main thread, like Ctrl-C.
            _thread.interrupt_main()

    def on_start(server):
        threading.Thread(target=request_then_interrupt, args=(server,)).start()

    serve(model_path, "127.0.0.1", 0, on_start=on_start)
    messages = [record.getMessage() for record in caplog.records]
    assert answers == [200]
    assert any("127.0.0.1 port" in message for message in messages)
    assert any("interrupted" in message for message in messages)
    assert messages[-1].endswith("stopped")


def test_make_server_rejects_bad_port(model):
    with pytest.raises(ValueError, match="port must be an integer from 0 to 65535"):
        make_server(model, "127.0.0.1", 70000)


def test_make_server_rejects_bad_limit(model):
    with pytest.raises(ValueError, match="max_texts must be a positive integer"):
        make_server(model, "127.0.0.1", 0, max_texts=0)


def test_make_server_rejects_unfitted_model(vectors):
    with pytest.raises(ValueError, match="not fitted"):
        make_server(TransferClassifier(vectors), "127.0.0.1", 0)


def test_make_server_reports_port_in_use(server, model):
    port = server.server_address[1]
    with pytest.raises(OSError, match=f"cannot listen on 127.0.0.1:{port}") as raised:
        make_server(model, "127.0.0.1", port)
    message = str(raised.value)
    assert f"another program already uses port {port}" in message
    assert "pick another port" in message
    assert "resolved" not in message
    assert raised.value.errno == errno.EADDRINUSE


def _fail_bind(monkeypatch, error: OSError) -> None:
    def server_bind(self):
        raise error

    monkeypatch.setattr(PredictionServer, "server_bind", server_bind)


def test_make_server_reports_unknown_host(model, monkeypatch):
    # The stub replaces the resolver, so no name is looked up.
    unknown = socket.gaierror(socket.EAI_NONAME, "Name or service not known")
    _fail_bind(monkeypatch, unknown)
    with pytest.raises(OSError) as raised:
        make_server(model, "not.a.host.invalid", 8000)
    message = str(raised.value)
    assert "cannot listen on not.a.host.invalid:8000" in message
    assert "Name or service not known" in message
    assert "the host 'not.a.host.invalid' could not be resolved" in message
    assert "127.0.0.1" in message
    assert "port" not in message.split("could not be resolved")[1]


OVERLONG_INTEGER = (
    r"^request body contains an integer of more than 4300 digits, which the "
    r"server does not parse; send numbers with fewer digits$"
)


@pytest.mark.parametrize("sign", [b"", b"-"])
def test_overlong_json_number_is_bad_request(sign):
    from embedsent.serve import _parse_json, _RequestError

    # Longer than Python's default limit of 4,300 digits per int.
    with pytest.raises(_RequestError, match=OVERLONG_INTEGER) as raised:
        _parse_json(b'{"texts": ["a"], "n": ' + sign + b"9" * 5000 + b"}")
    assert raised.value.status == HTTPStatus.BAD_REQUEST


def test_json_integer_at_digit_limit_is_parsed():
    from embedsent.serve import _parse_json

    document = _parse_json(b'{"n": -' + b"9" * 4300 + b"}")
    assert document["n"] == -(10**4300 - 1)


def test_overlong_json_number_message_names_current_limit():
    from embedsent.serve import _parse_json, _RequestError

    default = sys.get_int_max_str_digits()
    sys.set_int_max_str_digits(5000)
    try:
        assert _parse_json(b"[" + b"9" * 5000 + b"]") == [10**5000 - 1]
        with pytest.raises(_RequestError, match="more than 5000 digits"):
            _parse_json(b"[" + b"9" * 5001 + b"]")
    finally:
        sys.set_int_max_str_digits(default)


def test_overlong_json_number_over_http(model):
    server, thread = start(model, max_body_bytes=10_000)
    try:
        body = b'{"texts": ["a"], "n": 1' + b"0" * 5000 + b"}"
        status, payload = raw_call(
            server,
            "POST",
            "/predict",
            body,
            {"Content-Type": "application/json", "Content-Length": str(len(body))},
        )
    finally:
        stop(server, thread)
    assert status == HTTPStatus.BAD_REQUEST
    assert re.match(OVERLONG_INTEGER, payload["error"])
    assert "set_int_max_str_digits" not in payload["error"]


@pytest.mark.parametrize("host", ["", "  "])
def test_make_server_rejects_empty_host(model, host):
    with pytest.raises(ValueError, match="pass 127.0.0.1 to listen on this machine"):
        make_server(model, host, 0)


def test_cli_serve_rejects_empty_host(model_path, capsys):
    with pytest.raises(SystemExit):
        main(["serve", "--model", str(model_path), "--host", ""])
    assert "an empty host listens on every interface" in capsys.readouterr().err


def test_make_server_reports_denied_port(model, monkeypatch):
    _fail_bind(monkeypatch, PermissionError(errno.EACCES, "Permission denied"))
    with pytest.raises(OSError) as raised:
        make_server(model, "127.0.0.1", 80)
    message = str(raised.value)
    assert "cannot listen on 127.0.0.1:80: Permission denied" in message
    assert "may not listen on port 80" in message
    assert "pick a port from 1024 up" in message
    assert "stop that program" not in message
    assert raised.value.errno == errno.EACCES


def test_bind_error_names_foreign_address():
    error = OSError(errno.EADDRNOTAVAIL, "Cannot assign requested address")
    message = _bind_error_message("192.0.2.1", 8000, error)
    assert message.startswith("cannot listen on 192.0.2.1:8000: Cannot assign")
    assert "192.0.2.1 is not an address of this machine" in message


def test_bind_error_other_cause_generic():
    error = OSError(errno.EIO, "Input/output error")
    message = _bind_error_message("127.0.0.1", 8000, error)
    assert message.endswith("Input/output error; check the host and the port")


def test_cli_serve_help_states_defaults(capsys):
    with pytest.raises(SystemExit) as stopped:
        main(["serve", "--help"])
    assert stopped.value.code == 0
    text = " ".join(capsys.readouterr().out.split())
    assert "(default: 8000)" in text
    assert "(default: 127.0.0.1)" in text
    assert "exposes the model to the network" in text


def test_cli_serve_missing_model(tmp_path, capsys):
    assert main(["serve", "--model", str(tmp_path / "absent.npz")]) == 2
    assert "--model" in capsys.readouterr().err


def test_cli_serve_bad_port(model_path, capsys):
    with pytest.raises(SystemExit) as stopped:
        main(["serve", "--model", str(model_path), "--port", "70000"])
    assert stopped.value.code == 2
    assert "argument --port: must be >= 0 and <= 65535" in capsys.readouterr().err


def test_predict_counts_known_tokens(server, model):
    predictions = predict(server, ["wonderful film", "🙂 <br /> ..."])
    assert predictions[0]["known_tokens"] == 2
    assert predictions[1]["known_tokens"] == 0


def test_predict_unknown_text_gets_class_prior(server):
    known, unknown = predict(server, ["wonderful film", "🙂 <br /> ..."])
    # The training labels are half "neg", half "pos", so the tie goes to "neg",
    # the first class.
    assert unknown["probabilities"] == {"neg": 0.5, "pos": 0.5}
    assert unknown["label"] == "neg"
    assert known["probabilities"] != {"neg": 0.5, "pos": 0.5}


def test_cli_serve_unknown_host_advice(model_path, monkeypatch, capsys):
    unknown = socket.gaierror(socket.EAI_NONAME, "Name or service not known")
    _fail_bind(monkeypatch, unknown)
    argv = ["serve", "--model", str(model_path), "--host", "not.a.host.invalid"]
    assert main(argv) != 0
    error = capsys.readouterr().err
    assert "cannot listen on not.a.host.invalid:8000" in error
    assert "could not be resolved" in error
    assert "pick another port" not in error


def test_cli_serve_stops_cleanly_on_sigterm(model_path, tmp_path):
    import os
    import signal
    import subprocess
    import sys

    log = tmp_path / "serve.log"
    command = [sys.executable, "-m", "embedsent.cli", "--no-compile-cache"]
    command += ["serve", "--model", str(model_path), "--port", "0"]
    with open(log, "wb") as stderr:
        process = subprocess.Popen(command, stderr=stderr)
        try:
            for _ in range(600):
                if "press Ctrl-C to stop" in log.read_text(encoding="utf-8"):
                    break
                if process.poll() is not None:
                    break
                threading.Event().wait(0.1)
            os.kill(process.pid, signal.SIGTERM)
            code = process.wait(timeout=60)
        finally:
            if process.poll() is None:
                process.kill()
    text = log.read_text(encoding="utf-8")
    assert code == 0
    assert "embedsent serve: stopped" in text
    assert "Traceback" not in text


def test_cli_serve_sigterm_before_listening(model_path):
    import os
    import signal
    import subprocess
    import sys
    import textwrap

    # The child replaces TransferClassifier.load with a slow load that writes a
    # marker first. Once the marker arrives, serve() runs and the model is not
    # loaded yet.
    script = textwrap.dedent(
        """
        import sys
        import time

        from embedsent.console import entry
        from embedsent.pipeline import TransferClassifier

        def slow_load(path):
            print("test: loading the model", file=sys.stderr, flush=True)
            time.sleep(60)

        TransferClassifier.load = slow_load
        sys.argv = ["embedsent", "--no-compile-cache", "serve", "--model",
                    sys.argv[1], "--port", "0"]
        entry()
        """
    )
    process = subprocess.Popen(
        [sys.executable, "-c", script, str(model_path)],
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        marker = process.stderr.readline()
        assert marker == "test: loading the model\n"
        os.kill(process.pid, signal.SIGTERM)
        code = process.wait(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    text = process.stderr.read()
    process.stderr.close()
    assert code == 0, text
    assert "so it stopped before it listened" in text
    assert text.endswith("embedsent serve: stopped\n")
    assert "press Ctrl-C to stop" not in text
    assert "Traceback" not in text


def test_idle_connection_timeouts_are_counted(model, caplog, monkeypatch):
    monkeypatch.setattr(_PredictionHandler, "timeout", 0.2)
    caplog.set_level(logging.DEBUG, logger="embedsent.serve")
    server, thread = start(model)
    try:
        host, port = server.server_address[:2]
        idle = [socket.create_connection((host, port), timeout=5) for _ in range(3)]
        for connection in idle:
            # The server closes the connection when its request line times out.
            assert connection.recv(1) == b""
            connection.close()
    finally:
        stop(server, thread)
    timeouts = [
        m for m in _serve_records(caplog, logging.DEBUG) if "Request timed out" in m
    ]
    assert len(timeouts) == 3
    warnings = _serve_records(caplog, logging.WARNING)
    assert len(warnings) == 2
    assert "(2 with status 408)" in warnings[1]
