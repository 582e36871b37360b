"""Tests for embedsent.vector_io through WordVectors: file formats and saving."""

from __future__ import annotations

import logging
import os
import stat
import struct
from pathlib import Path

import numpy as np
import pytest
from gensim.models import KeyedVectors
from vector_samples import (
    TOY_WORDS,
    binary_record,
    make_random_vectors,
    make_toy_vectors,
    write_bytes,
)

from embedsent import vector_io, vector_parse
from embedsent.file_kinds import (
    MODEL_FORMAT,
    SGNS_FORMAT,
    UNDECODABLE_BYTES_ADVICE,
    VECTOR_FORMATS_ADVICE,
)
from embedsent.storage import save_bundle
from embedsent.vectors import FORMATS, WordVectors


@pytest.fixture
def toy() -> WordVectors:
    return make_toy_vectors()


@pytest.fixture
def random_vectors() -> WordVectors:
    return make_random_vectors()


# ----------------------------------------------------------- word2vec and GloVe


@pytest.mark.parametrize("binary", [False, True])
def test_word2vec_round_trip_exact(tmp_path, random_vectors, binary):
    path = tmp_path / ("v.bin" if binary else "v.txt")
    random_vectors.save_word2vec(path, binary=binary)
    loaded = WordVectors.load_word2vec(path, binary=binary)
    assert loaded.words == random_vectors.words
    assert np.array_equal(loaded.vectors, random_vectors.vectors)
    assert loaded.counts is None


def test_word2vec_text_layout(tmp_path, toy):
    path = tmp_path / "v.txt"
    toy.save_word2vec(path)
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "7 4"
    assert lines[1] == "king 1 1 0 0"
    assert len(lines) == 8


def test_word2vec_binary_layout(tmp_path, toy):
    path = tmp_path / "v.bin"
    toy.save_word2vec(path, binary=True)
    data = path.read_bytes()
    assert data.startswith(b"7 4\n" + binary_record(b"king", [1, 1, 0, 0]))
    assert len(data) == len(b"7 4\n") + sum(len(w) + 2 + 16 for w in TOY_WORDS)


@pytest.mark.parametrize("binary", [False, True])
def test_gensim_reads_our_word2vec(tmp_path, random_vectors, binary):
    path = tmp_path / "ours"
    random_vectors.save_word2vec(path, binary=binary)
    keyed = KeyedVectors.load_word2vec_format(str(path), binary=binary)
    assert keyed.index_to_key == random_vectors.words
    assert np.array_equal(keyed.vectors, random_vectors.vectors)


@pytest.mark.parametrize("binary", [False, True])
def test_we_read_gensim_word2vec(tmp_path, random_vectors, binary):
    keyed = KeyedVectors(random_vectors.dim)
    keyed.add_vectors(random_vectors.words, np.array(random_vectors.vectors))
    path = tmp_path / "theirs"
    keyed.save_word2vec_format(str(path), binary=binary)
    loaded = WordVectors.load_word2vec(path, binary=binary)
    assert loaded.words == random_vectors.words
    assert np.array_equal(loaded.vectors, random_vectors.vectors)


def test_binary_rows_with_and_without_newline(tmp_path):
    data = (
        b"3 2\n"
        + binary_record(b"a", [1.0, 2.0], newline=False)
        + binary_record(b"b", [3.0, 4.0], newline=True)
        + binary_record(b"c", [5.0, 6.0], newline=False)
    )
    loaded = WordVectors.load_word2vec(write_bytes(tmp_path / "v", data), binary=True)
    assert loaded.words == ["a", "b", "c"]
    assert loaded.vectors.tolist() == [[1, 2], [3, 4], [5, 6]]


def test_binary_separator_bytes_in_values(tmp_path):
    # Bytes 0x20 (space) and 0x0a (newline) inside a float are data, not
    # separators.
    value = struct.unpack("<f", b"\x20\x0a\x20\x0a")[0]
    data = b"2 1\n" + binary_record(b"a", [value]) + binary_record(b"b", [value])
    loaded = WordVectors.load_word2vec(write_bytes(tmp_path / "v", data), binary=True)
    assert loaded.words == ["a", "b"]
    assert loaded.vectors[1, 0] == np.float32(value)


def test_text_tolerates_loose_whitespace(tmp_path):
    data = b"2 2 \r\na 1 2 \r\n\r\nb\t3 4\r\n\n"
    loaded = WordVectors.load_word2vec(write_bytes(tmp_path / "v.txt", data))
    assert loaded.words == ["a", "b"]
    assert loaded.vectors.tolist() == [[1, 2], [3, 4]]


def test_glove_round_trip(tmp_path, random_vectors):
    path = tmp_path / "glove.txt"
    random_vectors.save_glove(path)
    first_line = path.read_text(encoding="utf-8").splitlines()[0]
    loaded = WordVectors.load_glove(path)
    assert first_line.startswith("w0 3.40282347e+38 ")
    assert loaded.words == random_vectors.words
    assert np.array_equal(loaded.vectors, random_vectors.vectors)


def test_glove_grows_past_initial_capacity(tmp_path, monkeypatch):
    monkeypatch.setattr(vector_io, "_GLOVE_INITIAL_ROWS", 2)
    lines = "".join(f"w{i} {i} {-i}\n" for i in range(9))
    path = tmp_path / "glove.txt"
    path.write_text(lines, encoding="utf-8")
    loaded = WordVectors.load_glove(path)
    assert len(loaded) == 9
    assert loaded["w8"].tolist() == [8, -8]


def test_glove_dimension_mismatch_names_line(tmp_path):
    path = write_bytes(tmp_path / "g.txt", b"a 1 2 3\nb 1 2 3\nc 1 2\n")
    with pytest.raises(ValueError, match=r"line 3 \(word 'c'\) has 2 values but 3"):
        WordVectors.load_glove(path)


def test_glove_detects_word2vec_header(tmp_path):
    path = write_bytes(tmp_path / "g.txt", b"2 3\na 1 2 3\nb 1 2 3\n")
    with pytest.raises(ValueError) as raised:
        WordVectors.load_glove(path)
    problem = (
        f"{path}: line 1 ('2 3') looks like a word2vec header (word count and "
        "dimension), so this is a word2vec text file, not GloVe"
    )
    assert str(raised.value) == (
        f"{problem}; read it with load_word2vec() or load(format='auto') "
        "(CLI: --vectors-format word2vec)"
    )
    assert raised.value.cli_message == f"{problem}; pass --vectors-format word2vec"


def test_glove_one_value_mismatch_grammar(tmp_path):
    path = write_bytes(tmp_path / "g.txt", b"a 1\nb 1 2\n")
    with pytest.raises(ValueError, match=r"\(word 'b'\) has 2 values but 1 was exp"):
        WordVectors.load_glove(path)


@pytest.mark.parametrize("content", [b"", b"\n\n  \n"])
def test_glove_empty_file(tmp_path, content):
    path = write_bytes(tmp_path / "g.txt", content)
    with pytest.raises(ValueError, match="no vectors found"):
        WordVectors.load_glove(path)


def test_glove_word_without_values(tmp_path):
    path = write_bytes(tmp_path / "g.txt", b"lonely\n")
    with pytest.raises(ValueError, match="line 1 has the word 'lonely' but no"):
        WordVectors.load_glove(path)


# ---------------------------------------------------------------- damaged files


def test_header_of_one_word_in_singular(tmp_path):
    path = write_bytes(tmp_path / "v.txt", b"1 2\n")
    with pytest.raises(ValueError, match="declares 1 word but only 0 were found"):
        WordVectors.load_word2vec(path)


def test_text_fewer_rows_than_declared(tmp_path):
    path = write_bytes(tmp_path / "v.txt", b"3 2\na 1 2\nb 3 4\n")
    with pytest.raises(ValueError, match="declares 3 words but only 2 were found"):
        WordVectors.load_word2vec(path)
    with pytest.raises(ValueError, match="v.txt"):
        WordVectors.load_word2vec(path)


def test_text_more_rows_than_declared(tmp_path):
    path = write_bytes(tmp_path / "v.txt", b"1 2\na 1 2\nb 3 4\n")
    with pytest.raises(ValueError, match="more rows follow at line 3"):
        WordVectors.load_word2vec(path)


def test_text_wrong_row_length(tmp_path):
    path = write_bytes(tmp_path / "v.txt", b"2 3\na 1 2 3\nb 1 2 3 4\n")
    message = r"line 3 \(word 'b'\) has 4 values but 3 were expected"
    with pytest.raises(ValueError, match=message):
        WordVectors.load_word2vec(path)


@pytest.mark.parametrize("token", [b"nan", b"inf", b"-Infinity", b"1e39"])
def test_text_nonfinite_value(tmp_path, token):
    path = write_bytes(tmp_path / "v.txt", b"2 2\na 1 2\nb 1 " + token + b"\n")
    with pytest.raises(ValueError, match="word 'b' at line 3 contains NaN"):
        WordVectors.load_word2vec(path)


def test_text_invalid_number(tmp_path):
    path = write_bytes(tmp_path / "v.txt", b"1 2\na 1 x1\n")
    with pytest.raises(ValueError, match=r"line 2 \(word 'a'\) contains 'x1'"):
        WordVectors.load_word2vec(path)


def test_text_duplicate_word(tmp_path):
    path = write_bytes(tmp_path / "v.txt", b"3 1\na 1\nb 2\na 3\n")
    message = "duplicate word 'a' on line 4, first seen on line 2"
    with pytest.raises(ValueError, match=message):
        WordVectors.load_word2vec(path)


@pytest.mark.parametrize(
    ("header", "match"),
    [
        (b"hello world\n", "invalid word2vec header 'hello world'"),
        (b"3\n", "invalid word2vec header '3'"),
        (b"3 2 1\n", "invalid word2vec header '3 2 1'"),
        (b"-3 2\n", "invalid word2vec header '-3 2'"),
        (b"0 2\n", "declares 0 words of dimension 2"),
        (b"3 0\n", "declares 3 words of dimension 0"),
        (b"", "the file is empty"),
    ],
)
@pytest.mark.parametrize("binary", [False, True])
def test_bad_header(tmp_path, header, match, binary):
    path = write_bytes(tmp_path / "v", header + b"a 1 2\n")
    if not header:
        path.write_bytes(b"")
    with pytest.raises(ValueError, match=match):
        WordVectors.load_word2vec(path, binary=binary)


def test_binary_truncated(tmp_path):
    records = binary_record(b"a", [1, 2]) + binary_record(b"b", [3, 4])
    path = write_bytes(tmp_path / "v.bin", b"3 2\n" + records + b"c 1")
    with pytest.raises(ValueError, match="declares 3 words but only 2 were found"):
        WordVectors.load_word2vec(path, binary=True)


def test_binary_truncated_inside_vector(tmp_path):
    data = b"2 2\n" + binary_record(b"a", [1, 2]) + binary_record(b"b", [3, 4])
    path = write_bytes(tmp_path / "v.bin", data[:-3])
    with pytest.raises(ValueError, match="declares 2 words but only 1 were found"):
        WordVectors.load_word2vec(path, binary=True)


def test_binary_more_records_than_declared(tmp_path):
    data = b"1 2\n" + binary_record(b"a", [1, 2]) + binary_record(b"b", [3, 4])
    path = write_bytes(tmp_path / "v.bin", data)
    with pytest.raises(ValueError, match="more rows follow at byte offset 15"):
        WordVectors.load_word2vec(path, binary=True)


def test_binary_wrong_dimension_detected(tmp_path):
    # With dimension 1 the second value and the newline are read as a word.
    data = b"2 1\n" + binary_record(b"a", [1, 2]) + binary_record(b"bb", [3, 4])
    path = write_bytes(tmp_path / "v.bin", data)
    with pytest.raises(ValueError, match="record 2 .* contains whitespace"):
        WordVectors.load_word2vec(path, binary=True)


def test_binary_nonfinite_value(tmp_path):
    data = b"2 2\n" + binary_record(b"a", [1, 2]) + binary_record(b"b", [3, np.nan])
    path = write_bytes(tmp_path / "v.bin", data)
    with pytest.raises(ValueError, match="word 'b' at byte offset 15 contains NaN"):
        WordVectors.load_word2vec(path, binary=True)


def test_binary_duplicate_word(tmp_path):
    data = b"2 1\n" + binary_record(b"a", [1]) + binary_record(b"a", [2])
    path = write_bytes(tmp_path / "v.bin", data)
    with pytest.raises(ValueError, match="duplicate word 'a' in record 2"):
        WordVectors.load_word2vec(path, binary=True)


def test_binary_without_spaces_is_rejected(tmp_path, monkeypatch):
    monkeypatch.setattr(vector_parse, "_MAX_WORD_BYTES", 16)
    monkeypatch.setattr(vector_parse, "_READ_CHUNK_BYTES", 8)
    path = write_bytes(tmp_path / "v.bin", b"1 2\n" + b"x" * 100)
    with pytest.raises(ValueError, match="no space within 16 bytes"):
        WordVectors.load_word2vec(path, binary=True)


def test_binary_reads_across_small_chunks(tmp_path, monkeypatch, random_vectors):
    monkeypatch.setattr(vector_parse, "_READ_CHUNK_BYTES", 7)
    path = tmp_path / "v.bin"
    random_vectors.save_word2vec(path, binary=True)
    loaded = WordVectors.load_word2vec(path, binary=True)
    assert loaded.words == random_vectors.words
    assert np.array_equal(loaded.vectors, random_vectors.vectors)


def test_gzip_file_rejected(tmp_path):
    path = write_bytes(tmp_path / "v.txt.gz", b"\x1f\x8b\x08\x00rest")
    with pytest.raises(ValueError, match="gzip-compressed; decompress it first"):
        WordVectors.load(path)


def test_sgns_model_loads_as_exported_vectors_with_counts(tmp_path):
    from embedsent.config import SGNSConfig, VocabConfig
    from embedsent.sgns_model import SGNSModel
    from embedsent.trainer import train_sgns

    texts = [["good", "film", "great", "plot"], ["bad", "film", "dull", "plot"]] * 20
    config = SGNSConfig(dim=8, epochs=1, batch_size=16, steps_per_call=2)
    model = train_sgns(texts, config, VocabConfig(min_count=1))
    path = tmp_path / "sgns.npz"
    model.save(path)
    loaded = WordVectors.load(path)
    exported = SGNSModel.load(path).word_vectors()
    assert loaded.words == exported.words
    np.testing.assert_array_equal(loaded.vectors, exported.vectors)
    assert loaded.counts.tolist() == [40, 40, 20, 20, 20, 20]
    top = WordVectors.load(path, limit=2)
    assert top.words == exported.words[:2]
    assert top.counts.tolist() == [40, 40]
    with pytest.raises(ValueError, match="is an SGNS pretraining model, not a"):
        WordVectors.load(path, format="word2vec")


PNG_START = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01"


@pytest.mark.parametrize(
    "format", ["auto", "word2vec", "word2vec-binary", "glove", "gensim"]
)
def test_binary_file_rejected_before_decoding(tmp_path, format):
    path = write_bytes(tmp_path / "image.png", PNG_START + b"\x00" * 64)
    with pytest.raises(ValueError) as raised:
        WordVectors.load(path, format=format)
    message = str(raised.value)
    assert f"{path} is a binary file of unknown format, not " in message
    if format != "gensim":
        assert "It contains NUL bytes" in message
    assert "latin-1" not in message


# Binary files without a NUL byte in their first 4096 bytes, whose first
# bytes are not valid UTF-8.
UNDECODABLE_STARTS = {
    "high-bytes": np.random.default_rng(0).integers(0x80, 0x100, 5000, np.uint8),
    "jpeg-exif": b"\xff\xd8\xff\xe1\x1c\x45Exif\x4d\x4d" + bytes(range(0x80, 0x100)),
}


@pytest.mark.parametrize("name", ["data.bin", "data.txt"])
@pytest.mark.parametrize("start", UNDECODABLE_STARTS, ids=list(UNDECODABLE_STARTS))
@pytest.mark.parametrize("format", ["auto", "word2vec", "word2vec-binary", "glove"])
def test_undecodable_binary_file_named_binary(tmp_path, name, start, format):
    content = bytes(UNDECODABLE_STARTS[start])
    assert b"\0" not in content
    path = write_bytes(tmp_path / name, content)
    with pytest.raises(ValueError) as raised:
        WordVectors.load(path, format=format)
    message = str(raised.value)
    assert message.startswith(
        f"{path} is a binary file of unknown format, not a word-vector file. "
    )
    assert UNDECODABLE_BYTES_ADVICE in message
    assert VECTOR_FORMATS_ADVICE in message
    assert "word2vec text or binary" in message
    assert "headerless GloVe text" in message
    assert "SGNS model (.npz)" in message
    assert "invalid word2vec header" not in message
    assert "latin-1" not in message
    assert "NUL" not in message


def test_cli_train_names_undecodable_vectors(tmp_path, capsys):
    from embedsent.cli import main

    path = write_bytes(tmp_path / "vectors.bin", UNDECODABLE_STARTS["jpeg-exif"])
    labeled = tmp_path / "labeled.csv"
    labeled.write_text("text,label\ngood film,pos\nbad plot,neg\n", encoding="utf-8")
    model = tmp_path / "model.npz"
    argv = ["train", "--vectors", str(path), "--data", str(labeled)]
    assert main([*argv, "--out", str(model)]) == 2
    err = capsys.readouterr().err
    assert f"--vectors {path} is a binary file of unknown format" in err
    assert UNDECODABLE_BYTES_ADVICE in err
    assert not model.exists()


# Latin-1 text: word2vec text, GloVe rows, a GloVe first row longer than the
# 4096 bytes that are sniffed, and text that is not vectors at all.
LATIN1_FILES = {
    "word2vec": b"2 2\ncaf\xe9 1 2\nok 3 4\n",
    "glove": b"caf\xe9 1 2\nok 3 4\n",
    "long-glove-row": b"caf\xe9" + b" 0.123456789" * 500 + b"\n",
    "prose": "caf\xe9 tr\xe8s bien\n".encode("latin-1"),
}


@pytest.mark.parametrize("kind", LATIN1_FILES, ids=list(LATIN1_FILES))
def test_latin1_text_keeps_decode_error(tmp_path, kind):
    path = write_bytes(tmp_path / "v.txt", LATIN1_FILES[kind])
    with pytest.raises(vector_parse.VectorFileError) as raised:
        WordVectors.load(path)
    message = str(raised.value)
    assert "is not valid utf-8" in message
    assert "encoding='latin-1'" in message
    assert "--vectors-encoding latin-1" in raised.value.cli_message
    assert "binary file of unknown format" not in message


def test_latin1_glove_loads_with_encoding(tmp_path):
    path = write_bytes(tmp_path / "v.txt", LATIN1_FILES["glove"])
    loaded = WordVectors.load(path, encoding="latin-1")
    assert loaded.words == ["café", "ok"]


@pytest.mark.parametrize("codec", ["utf-16", "utf-16-be", "utf-32"])
@pytest.mark.parametrize("format", ["auto", "word2vec", "glove"])
def test_wide_text_file_rejected(tmp_path, codec, format):
    path = write_bytes(tmp_path / "v.txt", "\ufeff2 2\nok 1 2\nno 3 4\n".encode(codec))
    label = codec[:6].upper()
    with pytest.raises(vector_parse.VectorFileError) as raised:
        WordVectors.load(path, format=format)
    message = str(raised.value)
    assert (
        f"{path} is {label} text (it starts with a {label} byte-order mark)" in message
    )
    assert f"encoding={label.lower()!r} is not supported" in message
    assert "convert the file to UTF-8 first" in message
    assert "--vectors-encoding" in raised.value.cli_message


# --------------------------------------------------------------------- encoding


LATIN1_TEXT = b"2 2\ncaf\xe9 1 2\nok 3 4\n"


def test_non_utf8_strict_names_line(tmp_path):
    path = write_bytes(tmp_path / "v.txt", LATIN1_TEXT)
    with pytest.raises(ValueError, match=r"line 2 \(byte offset 7\) is not valid"):
        WordVectors.load_word2vec(path)
    with pytest.raises(ValueError, match="encoding='latin-1'.*errors='replace'"):
        WordVectors.load_word2vec(path)


# (file content, load options, flag text in cli_message, Python text in str)
VECTOR_FILE_ERRORS = [
    (LATIN1_TEXT, {}, "--vectors-encoding latin-1", "encoding='latin-1'"),
    (
        b"2 2\n\xff 1 2\nok 3 4\n",
        {"errors": "ignore"},
        "--vectors-errors replace",
        "errors='replace'",
    ),
    (
        b"2 2\ngood 1 2\nbad\x01 3\n",
        {},
        "--vectors-format word2vec-binary",
        "binary=True",
    ),
    (
        b"100\ngood 1 2\n",
        {"format": "word2vec"},
        "--vectors-format glove",
        "load_glove()",
    ),
    (b"1 2\ngood 1 2\nbad 3 4\n", {}, "remove the extra rows", "limit=1"),
]


@pytest.mark.parametrize(("content", "options", "flag", "python"), VECTOR_FILE_ERRORS)
def test_vector_file_error_has_cli_message(tmp_path, content, options, flag, python):
    path = write_bytes(tmp_path / "v.txt", content)
    with pytest.raises(vector_parse.VectorFileError) as raised:
        WordVectors.load(path, **options)
    assert python in str(raised.value)
    assert flag in raised.value.cli_message
    assert python not in raised.value.cli_message
    assert "=" not in raised.value.cli_message


def test_non_utf8_replace_and_ignore(tmp_path):
    path = write_bytes(tmp_path / "v.txt", LATIN1_TEXT)
    replaced = WordVectors.load_word2vec(path, errors="replace")
    ignored = WordVectors.load_word2vec(path, errors="ignore")
    assert replaced.words == ["caf\ufffd", "ok"]
    assert ignored.words == ["caf", "ok"]
    assert ignored.vectors.tolist() == [[1, 2], [3, 4]]


def test_non_utf8_with_right_encoding(tmp_path):
    path = write_bytes(tmp_path / "v.txt", LATIN1_TEXT)
    loaded = WordVectors.load_word2vec(path, encoding="latin-1")
    assert loaded.words == ["café", "ok"]


def test_non_utf8_binary(tmp_path):
    data = b"2 1\n" + binary_record(b"caf\xe9", [1]) + binary_record(b"ok", [2])
    path = write_bytes(tmp_path / "v.bin", data)
    with pytest.raises(ValueError, match=r"record 1 \(byte offset 7\) is not valid"):
        WordVectors.load_word2vec(path, binary=True)
    loaded = WordVectors.load_word2vec(path, binary=True, errors="replace")
    assert loaded.words == ["caf\ufffd", "ok"]


def test_non_utf8_glove(tmp_path):
    path = write_bytes(tmp_path / "g.txt", b"ok 1\n\xff\xfe 2\n")
    with pytest.raises(ValueError, match="line 2"):
        WordVectors.load_glove(path)
    with pytest.raises(ValueError, match=r"empty after decoding with errors='ignore'"):
        WordVectors.load_glove(path, errors="ignore")


def test_utf8_bom_is_skipped(tmp_path):
    path = write_bytes(tmp_path / "v.txt", b"\xef\xbb\xbf1 2\na 1 2\n")
    loaded = WordVectors.load(path)
    assert loaded.words == ["a"]


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"encoding": "no-such-codec"}, ValueError, "unknown encoding"),
        ({"encoding": "utf-16"}, ValueError, "not ASCII-compatible"),
        ({"errors": "shout"}, ValueError, "unknown errors handler 'shout'"),
        ({"limit": 0}, ValueError, "limit must be >= 1"),
        ({"limit": True}, TypeError, "limit must be an int"),
        ({"binary": 1}, TypeError, "binary must be True or False"),
    ],
)
def test_load_word2vec_rejects_arguments(tmp_path, toy, kwargs, error, match):
    path = tmp_path / "v.txt"
    toy.save_word2vec(path)
    with pytest.raises(error, match=match):
        WordVectors.load_word2vec(path, **kwargs)


# ------------------------------------------------------------------------ limit


@pytest.mark.parametrize("binary", [False, True])
def test_limit_reads_first_rows(tmp_path, random_vectors, binary):
    path = tmp_path / "v"
    random_vectors.save_word2vec(path, binary=binary)
    loaded = WordVectors.load_word2vec(path, binary=binary, limit=5)
    assert loaded.words == random_vectors.words[:5]
    assert np.array_equal(loaded.vectors, random_vectors.vectors[:5])


def test_limit_larger_than_file(tmp_path, toy):
    path = tmp_path / "v.txt"
    toy.save_word2vec(path)
    assert len(WordVectors.load_word2vec(path, limit=100)) == 7


def test_limit_skips_damage_after_it(tmp_path):
    path = write_bytes(tmp_path / "v.txt", b"5 2\na 1 2\nb 3 4\nc 1\n")
    loaded = WordVectors.load_word2vec(path, limit=2)
    assert loaded.words == ["a", "b"]


def test_limit_glove(tmp_path, random_vectors):
    path = tmp_path / "g.txt"
    random_vectors.save_glove(path)
    loaded = WordVectors.load_glove(path, limit=3)
    assert loaded.words == ["w0", "w1", "w2"]


# ------------------------------------------------------------------------- load


def test_load_detects_formats(tmp_path, random_vectors):
    text = tmp_path / "v.txt"
    binary = tmp_path / "v.bin"
    glove = tmp_path / "g.txt"
    random_vectors.save_word2vec(text)
    random_vectors.save_word2vec(binary, binary=True)
    random_vectors.save_glove(glove)
    for path in (text, binary, glove):
        loaded = WordVectors.load(path)
        assert loaded.words == random_vectors.words, path
        assert np.array_equal(loaded.vectors, random_vectors.vectors), path


def test_load_detects_binary_without_bin_suffix(tmp_path, toy):
    path = tmp_path / "vectors.w2v"
    toy.save_word2vec(path, binary=True)
    loaded = WordVectors.load(path)
    assert loaded.words == toy.words
    assert np.array_equal(loaded.vectors, toy.vectors)


def test_text_reader_rejects_binary_file(tmp_path, toy):
    path = tmp_path / "vectors.w2v"
    toy.save_word2vec(path, binary=True)
    with pytest.raises(ValueError, match="looks like binary word2vec, not text"):
        WordVectors.load_word2vec(path)


# Float32 values whose little-endian bytes contain no NUL byte, so a check for
# NUL bytes alone reads a binary file of them as text.
CONTROL_BYTE_VALUES = np.frombuffer(
    b"\x01\x02\x8f\x3f\x1b\x9c\x5e\xbf\x05\x41\x20\x3e\x33\x06\x11\xc0",
    dtype="<f4",
)
# Float32 values whose bytes contain neither NUL nor other control bytes.
HIGH_BYTE_VALUES = np.frombuffer(
    b"\x81\x92\x8f\x3f\xa5\xb7\x5e\xbf\xc3\xd4\x20\x3e\xe9\xfa\x71\xc0",
    dtype="<f4",
)


def _binary_named_txt(tmp_path, values: np.ndarray) -> tuple[Path, WordVectors]:
    # Other programs write binary under .txt, which WordVectors.save refuses,
    # so the file is saved as .bin and renamed.
    vectors = WordVectors(["good", "bad"], values.reshape(2, 2))
    path = tmp_path / "vectors.txt"
    vectors.save_word2vec(tmp_path / "vectors.bin", binary=True)
    (tmp_path / "vectors.bin").rename(path)
    return path, vectors


@pytest.mark.parametrize("values", [CONTROL_BYTE_VALUES, HIGH_BYTE_VALUES])
def test_load_detects_binary_named_txt_without_nul(tmp_path, values):
    path, vectors = _binary_named_txt(tmp_path, values)
    assert b"\0" not in path.read_bytes()
    loaded = WordVectors.load(path)
    assert loaded.words == vectors.words
    assert np.array_equal(loaded.vectors, vectors.vectors)


def test_high_byte_values_contain_no_control_bytes(tmp_path):
    path, _ = _binary_named_txt(tmp_path, HIGH_BYTE_VALUES)
    body = path.read_bytes().split(b"\n", 1)[1]
    assert not any(byte < 0x20 and byte not in b"\t\n\r\x0b\x0c" for byte in body)


@pytest.mark.parametrize("values", [CONTROL_BYTE_VALUES, HIGH_BYTE_VALUES])
def test_forced_text_format_on_binary_names_fix(tmp_path, values):
    path, _ = _binary_named_txt(tmp_path, values)
    with pytest.raises(ValueError, match="looks like binary word2vec") as caught:
        WordVectors.load(path, format="word2vec")
    assert "--vectors-format word2vec-binary" in str(caught.value)


def test_load_keeps_damaged_text_as_text(tmp_path):
    data = "2 3\ncafé 0.1 0.2\nthé 0.3 0.4 0.5\n".encode()
    path = write_bytes(tmp_path / "vectors.txt", data)
    with pytest.raises(ValueError, match="line 2 \\(word 'café'\\) has 2 values"):
        WordVectors.load(path)


def test_text_reader_hints_at_later_control_bytes(tmp_path):
    data = b"2 2\ngood 1 2\nbad \x01\x02\n"
    path = write_bytes(tmp_path / "vectors.txt", data)
    with pytest.raises(ValueError, match="may be binary word2vec: pass binary=True"):
        WordVectors.load_word2vec(path)


def test_cli_train_reads_binary_vectors_named_txt(tmp_path, capsys):
    from embedsent.cli import main

    values = np.tile(CONTROL_BYTE_VALUES, 2).reshape(4, 2)
    vectors = WordVectors(["good", "bad", "great", "awful"], values)
    path = tmp_path / "vectors.txt"
    vectors.save_word2vec(tmp_path / "vectors.bin", binary=True)
    (tmp_path / "vectors.bin").rename(path)
    labeled = tmp_path / "labeled.csv"
    rows = ["good film,pos", "great film,pos", "awful film,neg", "bad plot,neg"]
    labeled.write_text("text,label\n" + "\n".join(rows) + "\n", encoding="utf-8")
    argv = ["train", "--vectors", str(path), "--data", str(labeled)]
    argv += ["--classifier-epochs", "1"]

    forced = [*argv, "--out", str(tmp_path / "forced.npz")]
    assert main([*forced, "--vectors-format", "word2vec"]) == 2
    error = capsys.readouterr().err
    assert "looks like binary word2vec" in error
    assert "--vectors-format word2vec-binary" in error

    assert main([*argv, "--out", str(tmp_path / "model.npz")]) == 0
    assert (tmp_path / "model.npz").is_file()


def test_load_explicit_format_and_limit(tmp_path, toy):
    path = tmp_path / "vectors.data"
    toy.save_word2vec(path, binary=True)
    loaded = WordVectors.load(path, format="word2vec-binary", limit=2)
    assert loaded.words == ["king", "queen"]


def test_load_gensim_native(tmp_path, toy):
    path = tmp_path / "kv.model"
    toy.to_gensim().save(str(path))
    loaded = WordVectors.load(path, format="gensim")
    assert loaded.words == toy.words
    assert np.array_equal(loaded.vectors, toy.vectors)
    assert loaded.counts.tolist() == toy.counts.tolist()
    with pytest.raises(ValueError, match="limit=3 is not supported"):
        WordVectors.load(path, format="gensim", limit=3)


def test_load_unknown_format(tmp_path):
    with pytest.raises(ValueError, match="unknown format 'fasttext'; use one of"):
        WordVectors.load(tmp_path / "x", format="fasttext")
    with pytest.raises(ValueError, match=", ".join(FORMATS)):
        WordVectors.load(tmp_path / "x", format="fasttext")


def test_load_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError):
        WordVectors.load(tmp_path / "missing.txt")


# Tables of texts and labels, as `embedsent train --data` reads them.
TABLE_FILES = {
    "labeled.csv": ("text,label\ngreat film,pos\nbad plot,neg\n", "a .csv table"),
    "labeled.tsv": ("text\tlabel\ngreat film\tpos\n", "a .tsv table"),
    "labeled.jsonl": ('{"text": "great film", "label": "pos"}\n', "a .jsonl table"),
    "labeled.json": ('{"text": "great film", "label": "pos"}\n', "a JSON file"),
}


@pytest.mark.parametrize("name", TABLE_FILES, ids=list(TABLE_FILES))
def test_load_names_table_given_as_vectors(tmp_path, name):
    content, kind = TABLE_FILES[name]
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    with pytest.raises(vector_parse.VectorFileError) as raised:
        WordVectors.load(path)
    message = str(raised.value)
    assert message.startswith(f"{path} is {kind}")
    assert "not a word-vector file." in message
    assert "embedsent.datasets.load_table" in message
    assert VECTOR_FORMATS_ADVICE in message
    assert ".txt or .vec (text) or .bin (word2vec binary)" in message
    assert f"If {path} does contain word vectors, pass format='word2vec'" in message
    assert "not a number" not in message
    assert "no values" not in message
    cli_message = raised.value.cli_message
    assert cli_message.startswith(f"{path} is {kind}")
    assert "--data" in cli_message
    assert "format=" not in cli_message


def test_load_reads_vectors_named_csv(tmp_path):
    path = tmp_path / "vectors.csv"
    path.write_text("2 3\ngood 1 0 0\nbad 0 1 0\n", encoding="utf-8")
    assert WordVectors.load(path).words == ["good", "bad"]


def test_explicit_format_reads_table_rows(tmp_path):
    path = tmp_path / "labeled.csv"
    path.write_text(TABLE_FILES["labeled.csv"][0], encoding="utf-8")
    with pytest.raises(ValueError) as raised:
        WordVectors.load(path, format="glove")
    message = str(raised.value)
    assert "line 1 has the word 'text,label' but no values" in message
    assert "is a .csv table" not in message


def test_load_lists_formats_for_npy_file(tmp_path):
    path = tmp_path / "vectors.npy"
    np.save(path, np.ones((2, 3)))
    with pytest.raises(ValueError) as raised:
        WordVectors.load(path)
    message = str(raised.value)
    assert message.startswith(f"{path} is a NumPy .npy array file, not a word-vec")
    assert VECTOR_FORMATS_ADVICE in message


# ------------------------------------------------------------- all-zero rows


@pytest.mark.parametrize(
    "load",
    [WordVectors.load, WordVectors.load_word2vec],
    ids=["load", "load_word2vec"],
)
def test_load_warns_about_zero_rows(tmp_path, caplog, load):
    path = tmp_path / "vectors.txt"
    path.write_text("3 2\ngood 0 0\nbad 1 2\nfilm 0 -0\n", encoding="utf-8")
    with caplog.at_level(logging.WARNING, logger="embedsent"):
        load(path)
    assert f"{path}: 2 of the 3 word vectors are all zero: 'good' and 'film'" in (
        caplog.text
    )
    assert "words that were never trained or a damaged file" in caplog.text
    assert "retrain the vectors" in caplog.text
    assert caplog.text.count("are all zero") == 1


def test_glove_zero_rows_warning_names_examples(tmp_path, caplog):
    lines = [f"w{i} {0 if i % 2 else 1} 0\n" for i in range(10)]
    path = tmp_path / "vectors.glove"
    path.write_text("".join(lines), encoding="utf-8")
    with caplog.at_level(logging.WARNING, logger="embedsent"):
        WordVectors.load_glove(path)
    expected = "5 of the 10 word vectors are all zero, for example 'w1', 'w3' and 'w5'"
    assert expected in caplog.text
    assert "'w7'" not in caplog.text


def test_load_without_zero_rows_logs_no_warning(tmp_path, caplog, random_vectors):
    path = tmp_path / "vectors.txt"
    random_vectors.save_word2vec(path)
    with caplog.at_level(logging.WARNING, logger="embedsent"):
        WordVectors.load(path)
    assert caplog.records == []


@pytest.mark.parametrize(
    "load",
    [WordVectors.load, WordVectors.load_word2vec, WordVectors.load_glove],
    ids=["load", "load_word2vec", "load_glove"],
)
def test_load_rejects_folder(tmp_path, load):
    with pytest.raises(ValueError, match=f"{tmp_path} is a folder, not a word-vec"):
        load(tmp_path)


def test_gensim_load_rejects_folder(tmp_path):
    with pytest.raises(ValueError, match="is a folder"):
        WordVectors.load(tmp_path, format="gensim")


# ---------------------------------------------------------------- atomic saving


@pytest.mark.parametrize(
    "save",
    [
        lambda wv, path: wv.save_word2vec(path),
        lambda wv, path: wv.save_word2vec(path, binary=True),
        lambda wv, path: wv.save_glove(path),
    ],
    ids=["text", "binary", "glove"],
)
def test_failed_save_keeps_previous_file(tmp_path, monkeypatch, toy, save):
    path = tmp_path / "v"
    previous = b"1 2\nold 0.5 0.25\n"
    path.write_bytes(previous)
    calls = []

    def fail_on_second_chunk(words, vectors):
        calls.append(len(words))
        if len(calls) == 2:
            raise RuntimeError("disk full")
        return b"partial rows\n"

    monkeypatch.setattr(vector_io, "_WRITE_CHUNK_ROWS", 2)
    monkeypatch.setattr(vector_io, "_format_text_rows", fail_on_second_chunk)
    monkeypatch.setattr(vector_io, "_format_binary_rows", fail_on_second_chunk)
    with pytest.raises(RuntimeError, match="disk full"):
        save(toy, path)
    assert len(calls) == 2
    assert path.read_bytes() == previous
    assert os.listdir(tmp_path) == ["v"]


_SAVES = [
    lambda wv, path: wv.save_word2vec(path),
    lambda wv, path: wv.save_word2vec(path, binary=True),
    lambda wv, path: wv.save_glove(path),
]
_SAVE_IDS = ["text", "binary", "glove"]


@pytest.mark.parametrize("save", _SAVES, ids=_SAVE_IDS)
@pytest.mark.parametrize(
    ("name", "write", "kind"),
    [
        (
            "labeled.csv",
            lambda path: path.write_text("text,label\ngood,pos\n"),
            "a .csv table (a text file)",
        ),
        (
            "model.npz",
            lambda path: save_bundle(path, {"format": MODEL_FORMAT}, {}),
            "an embedsent classifier model",
        ),
        (
            "sgns.npz",
            lambda path: save_bundle(path, {"format": SGNS_FORMAT}, {}),
            "an SGNS pretraining model",
        ),
    ],
)
def test_save_keeps_file_of_other_kind(tmp_path, toy, save, name, write, kind):
    path = tmp_path / name
    write(path)
    before = path.read_bytes()
    with pytest.raises(ValueError) as raised:
        save(toy, path)
    message = str(raised.value)
    assert f"path {path} is {kind}, not a word-vector file" in message
    assert "pass another path, or delete it first" in message
    assert path.read_bytes() == before


@pytest.mark.parametrize("save", _SAVES, ids=_SAVE_IDS)
def test_save_replaces_vectors_of_any_format(tmp_path, random_vectors, save):
    path = tmp_path / "v"
    path.write_bytes(b"")
    for previous in _SAVES:
        previous(random_vectors, path)
        save(random_vectors, path)
        assert WordVectors.load(path).words == random_vectors.words


@pytest.mark.parametrize("save", _SAVES, ids=_SAVE_IDS)
@pytest.mark.parametrize(
    ("name", "content", "kind"),
    [
        ("lexicon.tsv", "good\t0.9\nbad\t-0.8\nawful\t-1\n", "a .tsv file"),
        ("scores.csv", "good 0.9\nbad -0.8\n", "a .csv file"),
        ("lexicon.txt", "good\t0.9\nbad\t-0.8\n", "a tab-separated table"),
    ],
)
def test_save_keeps_numeric_table(tmp_path, toy, save, name, content, kind):
    # These tables read as GloVe vectors, but embedsent never writes them.
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ValueError) as raised:
        save(toy, path)
    message = str(raised.value)
    assert f"path {path} is {kind}" in message
    assert "pass another path, or delete it first" in message
    assert path.read_text(encoding="utf-8") == content


def test_save_replaces_space_separated_txt(tmp_path, toy):
    path = tmp_path / "old.txt"
    path.write_text("good 0.9\nbad -0.8\n", encoding="utf-8")
    toy.save_glove(path)
    assert WordVectors.load(path).words == toy.words


@pytest.mark.parametrize("save", _SAVES[::2], ids=["text", "glove"])
def test_text_save_rejects_word_with_nul(tmp_path, save):
    wv = WordVectors(["ok", "\x00nul"], np.ones((2, 2)))
    with pytest.raises(ValueError) as raised:
        save(wv, tmp_path / "v.txt")
    assert "words[1] = '\\x00nul' contains a NUL character" in str(raised.value)
    assert os.listdir(tmp_path) == []


def test_binary_save_keeps_word_with_nul(tmp_path):
    wv = WordVectors(["ok", "\x00nul"], np.ones((2, 2)))
    path = tmp_path / "v.bin"
    wv.save_word2vec(path, binary=True)
    wv.save_word2vec(path, binary=True)
    assert WordVectors.load(path).words == ["ok", "\x00nul"]


def test_failed_fsync_leaves_no_temporary_file(tmp_path, monkeypatch, toy):
    def fail(descriptor):
        raise OSError("fsync failed")

    monkeypatch.setattr(vector_io.os, "fsync", fail)
    with pytest.raises(OSError, match="fsync failed"):
        toy.save_word2vec(tmp_path / "v.txt")
    assert os.listdir(tmp_path) == []


def test_save_overwrites_without_leftovers(tmp_path, toy):
    path = tmp_path / "v.txt"
    path.write_text("1 2\nold 0.5 0.25\n", encoding="utf-8")
    toy.save_word2vec(path)
    assert os.listdir(tmp_path) == ["v.txt"]
    assert path.read_text(encoding="utf-8").startswith("7 4\n")


def test_save_into_missing_folder(tmp_path, toy):
    with pytest.raises(FileNotFoundError, match="does not exist; create it first"):
        toy.save_word2vec(tmp_path / "missing" / "v.txt")


def test_save_rejects_unencodable_word(tmp_path):
    wv = WordVectors(["bad\udcff"], np.ones((1, 2)))
    with pytest.raises(ValueError, match="cannot be encoded as UTF-8"):
        wv.save_word2vec(tmp_path / "v.txt")
    assert os.listdir(tmp_path) == []


@pytest.mark.skipif(os.name != "posix", reason="file modes are POSIX")
def test_save_uses_umask_permissions(tmp_path, toy):
    # Saved files get mode 0o666 minus the umask, like a plain open(), and not
    # the 0o600 that tempfile.mkstemp gives its files.
    previous = os.umask(0o022)
    try:
        toy.save_word2vec(tmp_path / "v.txt")
    finally:
        os.umask(previous)
    assert (tmp_path / "v.txt").stat().st_mode & 0o777 == 0o644


@pytest.mark.skipif(os.name != "posix", reason="os.open cannot open folders on Windows")
def test_save_fsyncs_file_then_folder(tmp_path, monkeypatch, toy):
    synced_folders = []
    real_fsync = os.fsync

    def record(descriptor):
        synced_folders.append(stat.S_ISDIR(os.fstat(descriptor).st_mode))
        real_fsync(descriptor)

    monkeypatch.setattr(vector_io.os, "fsync", record)
    toy.save_word2vec(tmp_path / "v.txt")
    assert synced_folders == [False, True]


def test_text_file_read_as_binary_is_rejected(tmp_path):
    from embedsent.vectors import WordVectors

    vectors = WordVectors(["good", "bad"], np.array([[0.5, -1.25], [2.0, 3.5]]))
    # Text vectors cannot be saved under a .bin name, so they are renamed.
    path = tmp_path / "vectors.bin"
    vectors.save_word2vec(tmp_path / "vectors.txt", binary=False)
    (tmp_path / "vectors.txt").rename(path)
    with pytest.raises(ValueError, match="word2vec text file"):
        WordVectors.load_word2vec(path, binary=True)


def test_save_through_symlink_writes_target(tmp_path):
    target = tmp_path / "real" / "vectors.txt"
    target.parent.mkdir()
    target.write_text("1 2\nold 0.5 0.25\n", encoding="utf-8")
    link = tmp_path / "link.txt"
    link.symlink_to(target)
    vectors = WordVectors(["good", "bad"], np.eye(2, dtype=np.float32))
    vectors.save_word2vec(link)
    assert link.is_symlink()
    assert WordVectors.load(target).words == ["good", "bad"]


@pytest.mark.parametrize("word", ["\ufeffbom", "\ufeff"])
def test_glove_rejects_leading_bom_word(tmp_path, word):
    vectors = WordVectors([word, "x"], np.eye(2))
    path = tmp_path / "glove.txt"
    with pytest.raises(ValueError, match=r"words\[0\] = .* starts with U\+FEFF"):
        vectors.save_glove(path)
    assert not path.exists()


@pytest.mark.parametrize("binary", [False, True])
def test_word2vec_keeps_bom_words(tmp_path, binary):
    vectors = WordVectors(["\ufeffbom", "\ufeff", "x"], np.eye(3))
    path = tmp_path / ("vectors.bin" if binary else "vectors.txt")
    vectors.save_word2vec(path, binary=binary)
    loaded = WordVectors.load_word2vec(path, binary=binary)
    assert loaded.words == vectors.words


def test_glove_keeps_later_bom_word(tmp_path):
    vectors = WordVectors(["x", "\ufeffbom"], np.eye(2))
    path = tmp_path / "glove.txt"
    vectors.save_glove(path)
    assert WordVectors.load_glove(path).words == vectors.words
