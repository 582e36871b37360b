"""JSON nested too deeply to parse gets an error naming the file and the fix.

Python's json module raises RecursionError for a value nested about as deep as
the recursion limit. The readers raise a ValueError in its place, and the
command line reports that as "embedsent <command>: error: ..." with exit
status 2.
"""

import gzip
import json
from types import SimpleNamespace

import numpy as np
import pytest

from embedsent.checkpoint import load_checkpoint
from embedsent.cli import main
from embedsent.config import TextConfig
from embedsent.curve_data import load_tokenized_corpus
from embedsent.datasets import load_table, read_table_columns
from embedsent.file_kinds import NESTED_METADATA, identify_file
from embedsent.json_nesting import JSONNestingError, parse_json
from embedsent.pipeline import TransferClassifier
from embedsent.run_store import RunStore
from embedsent.sgns_model import SGNSModel
from embedsent.storage import load_bundle
from embedsent.vocab import Vocabulary

TOO_DEEP = "nests JSON arrays or objects too deeply to parse"
RECORD_FIX = "flatten that record or remove its deeply nested field"


def _nested(depth: int) -> str:
    return "[" * depth + "]" * depth


def _deep_record(depth: int = 1000) -> str:
    return '{"text": "good", "label": "pos", "meta": ' + _nested(depth) + "}"


def _table(folder, name="deep.jsonl", depth=1000):
    """A JSON Lines table whose third line nests ``depth`` arrays deep."""
    path = folder / name
    lines = ['{"text": "fine", "label": "pos"}', '{"text": "bad", "label": "neg"}']
    path.write_text("\n".join([*lines, _deep_record(depth)]) + "\n", encoding="utf-8")
    return path


def _deep_bundle(folder, format="embedsent-model", depth=5000):
    """An .npz file whose __meta__ entry nests ``depth`` arrays deep."""
    path = folder / "deep.npz"
    meta = '{"format": "' + format + '", "x": ' + _nested(depth) + "}"
    meta_bytes = np.frombuffer(meta.encode("utf-8"), dtype=np.uint8)
    np.savez(path, __meta__=meta_bytes, weights=np.zeros(3, dtype=np.float32))
    return path


def test_parse_json_names_source_and_fix():
    with pytest.raises(JSONNestingError) as raised:
        parse_json(_nested(5000), source="the input", fix="flatten it")
    assert isinstance(raised.value, ValueError)
    assert str(raised.value) == f"the input {TOO_DEEP}; flatten it"
    assert isinstance(raised.value.__cause__, RecursionError)


def test_parse_json_options_and_decode_errors():
    assert parse_json("[1.5]", source="s", fix="f", parse_float=str) == ["1.5"]
    with pytest.raises(json.JSONDecodeError):
        parse_json("[1,", source="s", fix="f")


@pytest.mark.parametrize("name", ["deep.jsonl", "deep.json", "deep.ndjson"])
@pytest.mark.parametrize("depth", [1000, 100_000])
def test_load_table_deep_record(tmp_path, name, depth):
    path = _table(tmp_path, name, depth)
    with pytest.raises(ValueError) as raised:
        load_table(path)
    message = str(raised.value)
    assert message.startswith(f"line 3 of {path} {TOO_DEEP}; {RECORD_FIX}")
    assert "embedsent reads only the text and label columns" in message


def test_load_table_moderate_nesting(tmp_path):
    path = _table(tmp_path, depth=50)
    assert list(load_table(path).texts) == ["fine", "bad", "good"]


def test_read_table_columns_deep_record(tmp_path):
    path = tmp_path / "deep.jsonl"
    path.write_text(_deep_record() + "\n", encoding="utf-8")
    with pytest.raises(ValueError, match=f"^line 1 of .*deep.jsonl {TOO_DEEP}; "):
        read_table_columns(path)


def test_identify_file_deep_metadata(tmp_path):
    found = identify_file(_deep_bundle(tmp_path))
    assert found == NESTED_METADATA
    assert found.category == "damaged"
    assert TOO_DEEP in found.name


@pytest.mark.parametrize(
    ("load", "format"),
    [
        (TransferClassifier.load, "embedsent-model"),
        (SGNSModel.load, "embedsent-sgns"),
        (
            lambda path: load_checkpoint(SimpleNamespace(path=path), None, None),
            "embedsent-checkpoint",
        ),
        (load_bundle, "embedsent-model"),
    ],
)
def test_bundle_loaders_report_deep_metadata(tmp_path, load, format):
    path = _deep_bundle(tmp_path, format)
    with pytest.raises(ValueError) as raised:
        load(path)
    message = str(raised.value)
    assert str(path) in message
    assert "__meta__ entry" in message
    assert TOO_DEEP in message


def test_results_file_deep_nesting(tmp_path):
    path = tmp_path / "transfer_curves.json"
    document = {"format": "embedsent.learning-curves", "version": 1}
    text = json.dumps(document)[:-1] + ', "runs": ' + _nested(5000) + "}"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ValueError) as raised:
        RunStore(path, {})
    message = str(raised.value)
    assert message.startswith(f"learning-curve results file {path} {TOO_DEEP}; ")
    assert "move the file away or delete it to start over" in message


def test_token_cache_deep_nesting(tmp_path):
    options = {"max_per_class": 2, "max_unlabeled": 5, "seed": 0}
    options.update(text_config=TextConfig(), cache_dir=tmp_path)
    load_tokenized_corpus("default", **options)
    (cache,) = tmp_path.glob("tokens-*.json.gz")
    cache.write_bytes(gzip.compress(_nested(5000).encode("ascii")))
    with pytest.raises(ValueError) as raised:
        load_tokenized_corpus("default", **options)
    message = str(raised.value)
    assert message.startswith(f"benchmark cache file {cache} {TOO_DEEP}; ")
    assert "delete it, and the next run tokenizes the corpus again" in message


def test_vocabulary_file_deep_nesting(tmp_path):
    path = tmp_path / "vocab.json"
    path.write_text('{"tokens": ' + _nested(5000) + "}", encoding="utf-8")
    with pytest.raises(ValueError, match=f"^vocabulary file .*vocab.json {TOO_DEEP}"):
        Vocabulary.load(path)


@pytest.fixture
def vectors(tmp_path):
    path = tmp_path / "vectors.txt"
    path.write_text(
        "4 2\ngood 1 0\nfine 0.9 0.1\nbad 0 1\nawful 0.1 0.9\n", encoding="utf-8"
    )
    return path


def _assert_cli_error(capsys, command: str, *expected: str) -> None:
    err = capsys.readouterr().err
    assert err.startswith(f"embedsent {command}: error: "), err
    for text in expected:
        assert text in err
    assert "Traceback" not in err
    assert "RecursionError" not in err


@pytest.mark.parametrize("suffix", [".jsonl", ".json"])
def test_cli_train_rejects_deep_record(tmp_path, vectors, capsys, suffix):
    data = _table(tmp_path, f"deep{suffix}")
    argv = ["--no-progress", "train", "--vectors", str(vectors)]
    argv += ["--data", str(data), "--out", str(tmp_path / "model.npz")]
    assert main(argv) == 2
    _assert_cli_error(capsys, "train", f"line 3 of {data} {TOO_DEEP}", RECORD_FIX)


def test_cli_pretrain_rejects_deep_record(tmp_path, capsys):
    data = _table(tmp_path)
    argv = ["--no-progress", "pretrain", "--data", str(data)]
    argv += ["--out", str(tmp_path / "vectors.txt")]
    assert main(argv) == 2
    _assert_cli_error(capsys, "pretrain", f"line 3 of {data} {TOO_DEEP}")


@pytest.mark.parametrize("command", ["predict", "diagnose"])
def test_cli_model_deep_metadata(tmp_path, capsys, command):
    model = _deep_bundle(tmp_path)
    texts = tmp_path / "texts.jsonl"
    texts.write_text('{"text": "good", "label": "pos"}\n', encoding="utf-8")
    if command == "predict":
        argv = ["predict", "--model", str(model), str(texts)]
    else:
        argv = ["diagnose", "--model", str(model), "--data", str(texts)]
    assert main(["--no-progress", *argv]) == 2
    _assert_cli_error(capsys, command, f"--model {model} is", TOO_DEEP)


def test_cli_bench_transfer_deep_results(tmp_path, capsys):
    out_dir = tmp_path / "results"
    out_dir.mkdir()
    results = out_dir / "transfer_curves.json"
    # The padding keeps the nesting past the first 4 KiB, which the output
    # path checks read to tell a JSON document from other files.
    document = {"format": "embedsent.learning-curves", "pad": "x" * 5000}
    text = json.dumps(document)[:-1] + ', "runs": ' + _nested(5000) + "}"
    results.write_text(text, encoding="utf-8")
    argv = ["--no-progress", "bench", "transfer", "--data", "default"]
    argv += ["--out-dir", str(out_dir), "--report-only"]
    assert main(argv) == 2
    _assert_cli_error(
        capsys, "bench transfer", f"learning-curve results file {results} {TOO_DEEP}"
    )


def test_cli_pretrain_deep_checkpoint(tmp_path, capsys):
    checkpoint = _deep_bundle(tmp_path, "embedsent-checkpoint")
    argv = ["--no-progress", "pretrain", "--data", "default"]
    argv += ["--out", str(tmp_path / "vectors.txt"), "--checkpoint", str(checkpoint)]
    assert main(argv) == 2
    _assert_cli_error(capsys, "pretrain", f"--checkpoint {checkpoint} is", TOO_DEEP)


def test_long_integer_names_source():
    digits = "9" * 5000
    with pytest.raises(ValueError) as raised:
        parse_json(f'{{"n": {digits}}}', source="line 2 of d.jsonl", fix="unused")
    message = str(raised.value)
    assert message.startswith("line 2 of d.jsonl contains a JSON integer of more")
    assert "write it as a string in quotes" in message
    assert not isinstance(raised.value, JSONNestingError)


def test_long_integer_in_jsonl_names_line(tmp_path):
    path = tmp_path / "long.jsonl"
    path.write_text(
        '{"text": "good", "label": "pos"}\n'
        f'{{"text": "bad", "label": "neg", "n": {"1" * 5000}}}\n',
        encoding="utf-8",
    )
    with pytest.raises(ValueError, match="line 2 of .*long.jsonl contains a JSON"):
        load_table(path)
