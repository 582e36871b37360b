"""The --coordinator-address message, a relative XDG_CACHE_HOME and the
rate limit of the short-text warning in ``serve``."""

import json
import logging
import threading
import urllib.request
from pathlib import Path

import pytest

from embedsent.class_prior import texts_have
from embedsent.cli import main
from embedsent.compile_cache import default_cache_dir
from embedsent.config import ClassifierConfig, SGNSConfig, VocabConfig
from embedsent.distributed import DistributedConfig
from embedsent.pipeline import TransferClassifier, pretrain
from embedsent.serve import _WarningLimiter, make_server


def test_cli_names_coordinator_address_flag(tmp_path, capsys):
    data = tmp_path / "texts.txt"
    data.write_text("a film\n", encoding="utf-8")
    argv = ["pretrain", "--data", str(data), "--out", str(tmp_path / "v.txt")]
    with pytest.raises(SystemExit) as raised:
        main([*argv, "--coordinator-address", "nothost"])
    assert raised.value.code == 2
    err = capsys.readouterr().err
    assert (
        "argument --coordinator-address: must be HOST:PORT with a port from 1 to "
        "65535, such as '10.0.0.1:1234', got 'nothost'"
    ) in err
    assert "coordinator_address" not in err


def test_python_api_names_config_field():
    with pytest.raises(ValueError, match="^coordinator_address must be HOST:PORT"):
        DistributedConfig("nothost", 2, 0)


def test_relative_xdg_cache_home_is_ignored(caplog):
    expected = Path.home() / ".cache" / "embedsent" / "xla"
    with caplog.at_level(logging.WARNING, logger="embedsent.compile_cache"):
        assert default_cache_dir({"XDG_CACHE_HOME": "relcache-test"}) == expected
        assert default_cache_dir({"XDG_CACHE_HOME": "relcache-test"}) == expected
    warnings = [r.getMessage() for r in caplog.records]
    assert warnings == [
        "ignoring XDG_CACHE_HOME=relcache-test: the XDG Base Directory "
        "Specification requires an absolute path, so the compile cache goes under "
        f"{Path.home() / '.cache'}; set XDG_CACHE_HOME to an absolute path, or "
        "EMBEDSENT_COMPILE_CACHE to the cache folder"
    ]


def test_absolute_xdg_cache_home_is_used(caplog):
    with caplog.at_level(logging.WARNING, logger="embedsent.compile_cache"):
        assert default_cache_dir({"XDG_CACHE_HOME": "/c"}) == Path("/c/embedsent/xla")
    assert caplog.records == []


def _short_text_record(short=1, total=2):
    record = logging.LogRecord(
        "embedsent.pipeline",
        logging.WARNING,
        "pipeline.py",
        1,
        "%d of %d %s fewer than a quarter of the %d in-vocabulary tokens",
        (short, total, texts_have(short, total), 8),
        None,
        func="_warn_short_texts",
    )
    return record


def test_limiter_logs_first_then_one_count_per_interval(caplog):
    now = [0.0]
    limiter = _WarningLimiter(interval=60.0, clock=lambda: now[0])
    passed = []
    with caplog.at_level(logging.WARNING, logger="embedsent.serve"):
        with limiter.in_request():
            for second in (0, 1, 2, 30):
                now[0] = second
                passed.append(limiter.filter(_short_text_record(short=2)))
            assert caplog.records == []
            now[0] = 61
            passed.append(limiter.filter(_short_text_record(short=1)))
            now[0] = 70
            passed.append(limiter.filter(_short_text_record(short=5)))
        # Outside a request, as for predict in a notebook, records pass.
        assert limiter.filter(_short_text_record())
        now[0] = 80
        limiter.flush()
        limiter.flush()
    assert passed == [True, False, False, False, False, False]
    messages = [r.getMessage() for r in caplog.records]
    assert len(messages) == 2
    assert messages[0].startswith(
        "4 more requests had texts with fewer than a quarter of the in-vocabulary "
        "tokens of the shortest training text (7 texts in all) in the 61 s since "
        "the last such line"
    )
    assert messages[1].startswith("1 more request had texts with fewer ")
    assert "(5 texts in all) in the 19 s since" in messages[1]


def test_limiter_ignores_other_records():
    limiter = _WarningLimiter()
    other = logging.LogRecord(
        "embedsent.pipeline", logging.WARNING, "p.py", 1, "other", None, None
    )
    with limiter.in_request():
        assert limiter.filter(other)
        assert limiter.filter(other)


LONG_TEXTS = [
    "great wonderful film great wonderful film great film",
    "awful boring plot awful boring plot awful plot",
    "wonderful story wonderful story great film great film",
    "boring film boring plot awful film awful plot",
]
UNLABELED = [
    "a great film with a wonderful cast",
    "a boring film with an awful plot",
    "wonderful acting and a great story",
    "awful acting and a boring story",
] * 10


@pytest.fixture(scope="module")
def long_model():
    sgns = SGNSConfig(dim=8, epochs=5, batch_size=32, negative_group=8, seed=0)
    vocab = VocabConfig(min_count=1, sample=0.0)
    vectors = pretrain(UNLABELED, vocab_config=vocab, sgns_config=sgns)
    config = ClassifierConfig(hidden_size=4, epochs=50)
    labels = ["pos", "neg", "pos", "neg"]
    return TransferClassifier(vectors, classifier_config=config).fit(LONG_TEXTS, labels)


def _post(server, texts):
    host, port = server.server_address[:2]
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    request = urllib.request.Request(
        f"http://{host}:{port}/predict",
        data=json.dumps({"texts": texts}).encode("utf-8"),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with opener.open(request, timeout=30) as response:
        assert response.status == 200


def test_server_logs_short_text_warning_once(long_model, caplog):
    server = make_server(long_model, "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        with caplog.at_level(logging.WARNING):
            for _ in range(5):
                _post(server, ["wonderful", "great wonderful film"])
            # The model's own predict still warns every time.
            long_model.predict(["wonderful"])
            long_model.predict(["wonderful"])
    finally:
        server.shutdown()
        with caplog.at_level(logging.WARNING):
            server.server_close()
        thread.join(timeout=5)
    short = [r for r in caplog.records if "shortest training text" in r.getMessage()]
    first, *rest = [r.getMessage() for r in short]
    assert first.startswith("1 of 2 texts has fewer than a quarter")
    assert first.endswith(
        "; while the server runs, this warning is repeated at most once every "
        "60 s, as a count of requests"
    )
    direct = [m for m in rest if m.startswith("1 of 1 text has")]
    assert len(direct) == 2
    counts = [m for m in rest if "more requests" in m]
    assert len(counts) == 1
    assert counts[0].startswith("4 more requests had texts")
    assert "(4 texts in all)" in counts[0]
    assert len(short) == 4


def test_server_logs_no_known_token_warning_once(long_model, caplog):
    server = make_server(long_model, "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        with caplog.at_level(logging.WARNING):
            for _ in range(5):
                _post(server, ["zzzz", "qqqq", "great wonderful film"])
    finally:
        server.shutdown()
        with caplog.at_level(logging.WARNING):
            server.server_close()
        thread.join(timeout=5)
    messages = [
        r.getMessage() for r in caplog.records if r.name == "embedsent.class_prior"
    ]
    counts = [m for m in caplog.messages if "no in-vocabulary token (" in m]
    assert len(messages) == 1
    assert messages[0].startswith("2 of 3 texts have no in-vocabulary token")
    assert messages[0].endswith("once every 60 s, as a count of requests")
    assert len(counts) == 1
    assert counts[0].startswith("4 more requests had texts with no in-vocabulary")
    assert "(8 texts in all)" in counts[0]
    assert counts[0].endswith("those texts got the class prior")
