import bz2
import gzip
import io
import os
import pickle
import stat
import tarfile
import zipfile

import numpy as np
import pytest
from fake_os import fake_file_type

from embedsent.file_kinds import (
    BUNDLE_KINDS,
    CHECKPOINT_FORMAT,
    INVALID_METADATA,
    METADATA_NOT_OBJECT,
    MODEL_FORMAT,
    SGNS_FORMAT,
    WORD2VEC_BINARY,
    WORD_VECTORS,
    describe_mismatch,
    describe_non_regular_file,
    identify_bytes,
    identify_file,
    starts_with_undecodable_bytes,
    wide_text_encoding,
)
from embedsent.storage import load_bundle, save_bundle


def _tar_bytes(gnu: bool = False) -> bytes:
    buffer = io.BytesIO()
    tar_format = tarfile.GNU_FORMAT if gnu else tarfile.USTAR_FORMAT
    with tarfile.open(fileobj=buffer, mode="w", format=tar_format) as archive:
        data = b"a good film"
        member = tarfile.TarInfo("aclImdb/train/pos/0_9.txt")
        member.size = len(data)
        archive.addfile(member, io.BytesIO(data))
    return buffer.getvalue()


def _zip_bytes(name: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(name, "<workbook/>")
    return buffer.getvalue()


# (file content, expected category, text in the expected name)
CONTENTS = [
    (b"", "empty", "an empty file"),
    (b"2 3\ngood 1 0 0\nbad 0 1 0\n", "vectors", "word2vec text format"),
    (b"1 2\ngood \x00\x00\x80\x3f\x00\x00\x00\x00", "vectors", "binary format"),
    # Binary rows without NUL bytes: control bytes, then only bytes >= 0x80.
    (b"1 2\ngood \x01\x02\x8f\x3f\x1b\x9c\x5e\xbf\n", "vectors", "binary format"),
    (b"1 2\ngood \x81\x92\x8f\x3f\xa5\xb7\x5e\xbf\n", "vectors", "binary format"),
    ("1 2\ncafé 0.5 -1\n".encode(), "vectors", "word2vec text format"),
    (b"good 0.1 0.2\nbad -0.1 0.3\n", "vectors", "GloVe text format"),
    (b"text,label\ngood film,pos\n", "text", "a text file"),
    (pickle.dumps({"a": 1}, protocol=4), "pickle", "a Python pickle"),
    (gzip.compress(b"data", mtime=0), "compressed", "compressed"),
    (_tar_bytes(), "tar", "a tar archive"),
    (_zip_bytes("xl/workbook.xml"), "zip", "did not write (.xlsx"),
    (_zip_bytes("array.npy"), "zip", "a NumPy .npz archive"),
    (b"PK\x03\x04 cut off", "damaged", "damaged or truncated"),
    (b"\x93NUMPY\x01\x00", "npy", "a NumPy .npy array file"),
    (bz2.compress(b"data"), "compressed", "compressed"),
    (bz2.compress(b""), "compressed", "compressed"),
    (_tar_bytes(gnu=True), "tar", "a tar archive"),
    # Text that starts like bzip2's "BZh" magic, or has "ustar" at the offset
    # of the tar magic, is still text.
    (b"BZh is how this line starts\n", "text", "a text file"),
    (b"x" * 256 + b"custard tart\n", "text", "a text file"),
    ("good film\n".encode("utf-16"), "text", "a UTF-16 text file"),
    ("good film\n".encode("utf-16-be"), "binary", "unknown format"),
    ("good film\n".encode("utf-32"), "text", "a UTF-32 text file"),
    ("caf\xe9 tr\xe8s bien\n".encode("latin-1"), "text", "a text file"),
    (b"\xef\xbb\xbfgood film\n", "text", "a UTF-8 text file"),
    # Word-vector readers drop a UTF-8 byte-order mark, so the vectors keep
    # their kind.
    (b"\xef\xbb\xbf1 2\ngood 0.5 -1\n", "vectors", "word2vec text format"),
]


@pytest.mark.parametrize(("content", "category", "name"), CONTENTS)
def test_identify_bytes_matches_identify_file(content, category, name):
    kind = identify_bytes(content, "<stdin>")
    assert kind.category == category
    assert name in kind.name


# (content, codecs that read it, codecs that do not)
MARKED_TEXTS = [
    (b"\xff\xfeg\x00", ["utf-16", "UTF16", "utf-16-le"], ["utf-16-be", "utf-8"]),
    (b"\xfe\xff\x00g", ["utf-16", "utf-16-be"], ["utf-16-le", "latin-1"]),
    (b"\xff\xfe\x00\x00g\x00\x00\x00", ["utf-32", "utf-32-le"], ["utf-16-le"]),
    (b"\xef\xbb\xbfgood", ["utf-8", "utf8", "utf-8-sig"], ["latin-1", "cp1252"]),
]


@pytest.mark.parametrize(("content", "readers", "others"), MARKED_TEXTS)
def test_marked_text_reads_with_matching_codec(content, readers, others):
    kind = identify_bytes(content, "<stdin>")
    for codec in readers:
        assert kind.reads_with(codec), codec
    for codec in others:
        assert not kind.reads_with(codec), codec


def test_unmarked_text_reads_with_any_codec():
    kind = identify_bytes(b"good film\n", "<stdin>")
    assert kind.reads_with("latin-1")
    assert kind.reads_with("utf-16-le")


@pytest.mark.parametrize(("content", "category", "name"), CONTENTS)
def test_identify_file_names_each_kind(tmp_path, content, category, name):
    path = tmp_path / "input.bin"
    path.write_bytes(content)
    kind = identify_file(path)
    assert kind.category == category
    assert name in kind.name


@pytest.mark.parametrize("format_name", [MODEL_FORMAT, SGNS_FORMAT, CHECKPOINT_FORMAT])
def test_identify_file_reads_bundle_format(tmp_path, format_name):
    path = tmp_path / "bundle.txt"
    save_bundle(path, {"format": format_name}, {"table": np.zeros(3)})
    assert identify_file(path) == BUNDLE_KINDS[format_name]


def test_identify_file_ignores_suffix(tmp_path):
    path = tmp_path / "model.npz"
    path.write_text("2 1\ngood 1\nbad 0\n", encoding="utf-8")
    assert identify_file(path).category == "vectors"


# Text whose first line reads as a GloVe row or a word2vec header, but whose
# next lines are prose.
PROSE_WITH_NUMERIC_FIRST_LINE = [
    b"Chapter 1\nIt was a dark and stormy night.\n",
    b"Rating 8 10\nA thoughtful film that I will watch again.\n",
    b"2024 12\nDear diary, today I watched a good movie.\nIt was great.\n",
    # Non-ASCII text after a header line looks binary to find_binary_evidence.
    "2024 12\nCher journal, j'ai regardé un très bon film.\n".encode(),
    # The header declares 2024 rows, and the file ends after it.
    b"2024 12\n",
]


@pytest.mark.parametrize("content", PROSE_WITH_NUMERIC_FIRST_LINE)
def test_prose_with_numeric_first_line_is_text(tmp_path, content):
    path = tmp_path / "notes"
    path.write_bytes(content)
    assert identify_file(path).category == "text"


def _save_glove(path, dim: int) -> None:
    rng = np.random.default_rng(0)
    rows = [
        f"w{index}é " + " ".join(f"{value:.6f}" for value in vector) + "\n"
        for index, vector in enumerate(rng.normal(size=(20, dim)))
    ]
    path.write_text("".join(rows), encoding="utf-8")


@pytest.mark.parametrize("dim", [1, 3, 300, 1000])
def test_real_vector_files_keep_kind(tmp_path, dim):
    from embedsent.vectors import WordVectors

    rng = np.random.default_rng(dim)
    words = [f"w{index}é" for index in range(20)]
    vectors = WordVectors(words, rng.normal(size=(20, dim)).astype(np.float32))
    text = tmp_path / "vectors.txt"
    vectors.save_word2vec(text)
    assert "word2vec text format" in identify_file(text).name
    binary = tmp_path / "vectors.bin"
    vectors.save_word2vec(binary, binary=True)
    assert identify_file(binary) == WORD2VEC_BINARY
    glove = tmp_path / "glove.txt"
    _save_glove(glove, dim)
    assert "GloVe text format" in identify_file(glove).name


@pytest.mark.parametrize(
    "content",
    [b"0 50\n", b"0 50\r\n\n", b"1 2\n\ngood 0.5 -1\n", b"good 1e-3 2\n"],
)
def test_header_only_and_short_vectors_kept(tmp_path, content):
    path = tmp_path / "vectors.txt"
    path.write_bytes(content)
    assert identify_file(path).category == "vectors"


def test_vector_rows_checked_past_first(tmp_path):
    path = tmp_path / "vectors.txt"
    rows = "".join(f"w{index} 0.1 0.2\n" for index in range(4))
    path.write_text(f"6 2\n{rows}the end\nw5 0.1 0.2\n", encoding="utf-8")
    assert identify_file(path).category == "text"
    path.write_text(f"{rows}w4 0.1 0.2 0.3\n", encoding="utf-8")
    assert identify_file(path).category == "text"


def test_describe_mismatch_names_reader_and_origin(tmp_path):
    path = tmp_path / "sgns.npz"
    save_bundle(path, {"format": SGNS_FORMAT}, {"table": np.zeros(3)})
    message = describe_mismatch(path, WORD_VECTORS, identify_file(path))
    assert message.startswith(f"{path} is an SGNS pretraining model, not a word-")
    assert "`embedsent pretrain --continue-from`" in message
    assert message.endswith(
        "`embedsent pretrain --out` writes word vectors, and `--save-model` an "
        "SGNS model, which --vectors reads too."
    )


def test_load_bundle_names_other_bundle_kind(tmp_path):
    path = tmp_path / "checkpoint.npz"
    save_bundle(path, {"format": CHECKPOINT_FORMAT}, {"table": np.zeros(3)})
    with pytest.raises(ValueError, match="is an SGNS training checkpoint, not an"):
        load_bundle(path, kind="embedsent model", expected_format=MODEL_FORMAT)


def test_load_bundle_damaged_file_gets_given_fix(tmp_path):
    path = tmp_path / "checkpoint.npz"
    save_bundle(path, {"format": CHECKPOINT_FORMAT}, {"table": np.zeros(300)})
    path.write_bytes(path.read_bytes()[:100])
    with pytest.raises(ValueError, match="damaged or truncated .*; delete it"):
        load_bundle(path, damaged_fix="delete it")


def _bundle_with_meta(path, meta_text: bytes) -> None:
    """Write a readable .npz file whose __meta__ entry is ``meta_text``."""
    meta = np.frombuffer(meta_text, dtype=np.uint8)
    np.savez(path, __meta__=meta, table=np.zeros(3))


def test_identify_file_invalid_metadata_json(tmp_path):
    path = tmp_path / "model.npz"
    _bundle_with_meta(path, b"{not json")
    found = identify_file(path)
    assert found == INVALID_METADATA
    assert found.category == "damaged"
    assert "zip" not in found.name


def test_identify_file_metadata_not_object(tmp_path):
    path = tmp_path / "model.npz"
    _bundle_with_meta(path, b"[1, 2]")
    assert identify_file(path) == METADATA_NOT_OBJECT


def test_load_bundle_invalid_metadata_json(tmp_path):
    path = tmp_path / "model.npz"
    _bundle_with_meta(path, b"{not json")
    with pytest.raises(ValueError) as raised:
        load_bundle(path, damaged_fix="train it again")
    message = str(raised.value)
    assert message.startswith(f"{path} is an .npz file whose __meta__ entry")
    assert "is not valid JSON (" in message
    assert "so it is damaged or was not written by embedsent" in message
    assert message.endswith("; train it again")
    assert "truncated" not in message


def test_load_bundle_metadata_not_object(tmp_path):
    path = tmp_path / "model.npz"
    _bundle_with_meta(path, b'"embedsent-model"')
    with pytest.raises(ValueError) as raised:
        load_bundle(path, expected_format=MODEL_FORMAT)
    message = str(raised.value)
    assert "__meta__ entry, the embedsent settings, is not a JSON object" in message
    assert "so it is damaged or was not written by embedsent" in message


def test_identify_file_metadata_without_format_says_so(tmp_path):
    path = tmp_path / "model.npz"
    _bundle_with_meta(path, b'{"format_version": 1}')
    found = identify_file(path)
    assert found.name.startswith("an .npz file whose __meta__ entry has no format")
    assert "None" not in found.name


def test_load_bundle_metadata_without_format_names_expected_kind(tmp_path):
    path = tmp_path / "model.npz"
    _bundle_with_meta(path, b"{}")
    with pytest.raises(ValueError) as raised:
        load_bundle(path, expected_format=MODEL_FORMAT)
    message = str(raised.value)
    assert "has no format field" in message
    assert "not an embedsent classifier model" in message
    assert "None" not in message


@pytest.mark.parametrize(
    ("codec", "name"), [("utf-16", "UTF-16"), ("utf-32", "UTF-32")]
)
def test_identify_file_names_bom_encoding(tmp_path, codec, name):
    path = tmp_path / "texts.txt"
    path.write_bytes("good film\n".encode(codec))
    kind = identify_file(path)
    assert kind.encoding == codec
    assert f"starts with a {name} byte-order mark" in kind.name


def test_identify_file_plain_text_has_no_encoding(tmp_path):
    path = tmp_path / "texts.txt"
    path.write_text("good film\n", encoding="utf-8")
    assert identify_file(path).encoding is None


def test_non_regular_regular_file_is_none(tmp_path):
    path = tmp_path / "file.txt"
    path.write_text("text", encoding="utf-8")
    assert describe_non_regular_file(path) is None


def test_non_regular_missing_path_is_none(tmp_path):
    assert describe_non_regular_file(tmp_path / "absent.txt") is None
    assert describe_non_regular_file(tmp_path / "absent" / "file.txt") is None


def test_non_regular_dangling_link_is_none(tmp_path):
    link = tmp_path / "link"
    link.symlink_to(tmp_path / "absent")
    assert describe_non_regular_file(link) is None


def test_non_regular_names_folder_and_fifo(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    link = tmp_path / "link"
    link.symlink_to(fifo)
    assert describe_non_regular_file(tmp_path) == "a folder"
    assert describe_non_regular_file(fifo) == "a FIFO (named pipe)"
    assert describe_non_regular_file(link) == "a FIFO (named pipe)"


def test_non_regular_names_link_loop(tmp_path):
    first = tmp_path / "first"
    second = tmp_path / "second"
    first.symlink_to(second)
    second.symlink_to(first)
    assert describe_non_regular_file(first) == "a loop of symbolic links"


@pytest.mark.parametrize(
    ("file_type", "name"),
    [
        (stat.S_IFCHR, "a character device"),
        (stat.S_IFBLK, "a block device"),
        (stat.S_IFSOCK, "a socket"),
    ],
)
def test_non_regular_names_device_types(tmp_path, monkeypatch, file_type, name):
    # os.stat reports a regular file in tmp_path as a device node or socket,
    # because creating a real one needs mknod or a bound socket.
    path = tmp_path / "node"
    path.write_bytes(b"")
    fake_file_type(monkeypatch, path, file_type)
    assert describe_non_regular_file(path) == name


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        ("text".encode("utf-16"), "UTF-16"),
        ("\ufefftext".encode("utf-16-be"), "UTF-16"),
        ("text".encode("utf-32"), "UTF-32"),
        ("\ufefftext".encode("utf-32-be"), "UTF-32"),
        ("\ufefftext".encode("utf-8"), None),
        (b"2 2\nok 1 2\n", None),
        (b"", None),
    ],
)
def test_wide_text_encoding_reads_byte_order_mark(head, expected):
    assert wide_text_encoding(head) == expected


# (file content, whether it starts with undecodable binary data)
UNDECODABLE_STARTS = [
    (bytes(range(0x80, 0x100)) * 20, True),
    (b"\xff\xd8\xff\xe1\x1c\x45Exif\x4d\x4d\x2a", True),
    # A UTF-8 sequence cut at byte 4096, the end of the sniffed bytes.
    (b"a" * 4095 + "\u00e9 1 2\n".encode() * 2, False),
    (b"1 2\ngood \x81\x92\x8f\x3f\xa5\xb7\x5e\xbf\n", False),
    (b"2 2\ncaf\xe9 1 2\nok 3 4\n", False),
    (b"caf\xe9 1 2\nok 3 4\n", False),
    (b"caf\xe9" + b" 0.123456789" * 500 + b"\n", False),
    ("caf\xe9 tr\xe8s bien\n".encode("latin-1"), False),
    ("caf\xe9 tr\xe8s bien\n".encode(), False),
    (b"", False),
]


@pytest.mark.parametrize(("content", "expected"), UNDECODABLE_STARTS)
def test_starts_with_undecodable_bytes(tmp_path, content, expected):
    path = tmp_path / "data"
    path.write_bytes(content)
    assert starts_with_undecodable_bytes(path) is expected


def test_undecodable_bytes_missing_or_folder(tmp_path):
    assert starts_with_undecodable_bytes(tmp_path / "absent") is False
    assert starts_with_undecodable_bytes(tmp_path) is False


@pytest.mark.parametrize(
    ("name", "content", "kind"),
    [
        ("reviews.csv", b"text,label\ngood film,pos\n", "a .csv table (a text file)"),
        ("reviews.jsonl", b'{"text": "good"}\n{"text": "bad"}\n', "a .jsonl table"),
        ("notes.txt", b"a good film\n", "a .txt text file"),
        ("settings", b'{"dim": 10}\n', "a JSON file"),
        ("readme", b"a good film\n", "a text file"),
    ],
)
def test_mismatch_names_text_file_by_suffix(tmp_path, name, content, kind):
    path = tmp_path / name
    path.write_bytes(content)
    expected = BUNDLE_KINDS[CHECKPOINT_FORMAT]
    message = describe_mismatch(path, expected, identify_file(path))
    assert message.startswith(f"{path} is {kind}")
    assert f", not {expected.name}." in message


def test_bundle_load_names_csv_table(tmp_path):
    path = tmp_path / "model.csv"
    path.write_text("text,label\ngood film,pos\n", encoding="utf-8")
    with pytest.raises(ValueError) as raised:
        load_bundle(path, kind="embedsent model", expected_format=MODEL_FORMAT)
    message = str(raised.value)
    assert message.startswith(f"{path} is a .csv table (a text file), not an ")


def _python_loaders():
    from embedsent.pipeline import TransferClassifier
    from embedsent.sgns_model import SGNSModel
    from embedsent.vectors import WordVectors

    return {
        "TransferClassifier.load": TransferClassifier.load,
        "SGNSModel.load": SGNSModel.load,
        "WordVectors.load": WordVectors.load,
    }


# Each loader with the bundle kinds it does not read.
@pytest.mark.parametrize(
    ("loader", "format_name"),
    [
        ("TransferClassifier.load", SGNS_FORMAT),
        ("TransferClassifier.load", CHECKPOINT_FORMAT),
        ("SGNSModel.load", MODEL_FORMAT),
        ("SGNSModel.load", CHECKPOINT_FORMAT),
        ("WordVectors.load", MODEL_FORMAT),
        ("WordVectors.load", CHECKPOINT_FORMAT),
    ],
)
def test_python_load_mismatch_names_no_flags(tmp_path, loader, format_name):
    path = tmp_path / "existing.npz"
    save_bundle(path, {"format": format_name}, {})
    with pytest.raises(ValueError) as raised:
        _python_loaders()[loader](path)
    message = str(raised.value)
    assert f"{path} is {BUNDLE_KINDS[format_name].name}, not " in message
    assert "--" not in message
    assert "`embedsent" not in message


@pytest.mark.parametrize(
    ("format_name", "advice"),
    [
        (MODEL_FORMAT, "Load it with TransferClassifier.load."),
        (SGNS_FORMAT, "Load it with SGNSModel.load"),
        (CHECKPOINT_FORMAT, "as the checkpoint of train_sgns to resume its run."),
    ],
)
def test_python_mismatch_names_reader(tmp_path, format_name, advice):
    path = tmp_path / "existing.npz"
    save_bundle(path, {"format": format_name}, {})
    expected = (
        WORD_VECTORS if format_name != SGNS_FORMAT else BUNDLE_KINDS[MODEL_FORMAT]
    )
    message = describe_mismatch(path, expected, identify_file(path), python=True)
    assert advice in message
    assert "--" not in message


def test_python_mismatch_names_writer_method(tmp_path):
    path = tmp_path / "reviews.csv"
    path.write_text("text,label\ngood film,pos\n", encoding="utf-8")
    found = identify_file(path)
    model = describe_mismatch(path, BUNDLE_KINDS[MODEL_FORMAT], found, python=True)
    assert model.endswith("TransferClassifier.save writes a classifier model.")
    sgns = describe_mismatch(path, BUNDLE_KINDS[SGNS_FORMAT], found, python=True)
    assert sgns.endswith("SGNSModel.save writes an SGNS model.")
    vectors = describe_mismatch(path, WORD_VECTORS, found, python=True)
    assert "WordVectors.save_word2vec" in vectors
    for message in (model, sgns, vectors):
        assert "--" not in message
    cli = describe_mismatch(path, BUNDLE_KINDS[MODEL_FORMAT], found)
    assert cli.endswith("`embedsent train --out` writes a classifier model.")
