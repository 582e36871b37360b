import gzip
import io
import pickle
import tarfile
import zipfile

import numpy as np
import pytest

from embedsent.file_kinds import (
    BUNDLE_KINDS,
    CHECKPOINT_FORMAT,
    MODEL_FORMAT,
    SGNS_FORMAT,
    WORD_VECTORS,
    describe_mismatch,
    identify_file,
)
from embedsent.storage import load_bundle, save_bundle


def _tar_bytes() -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as archive:
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
    (b"2 3\ngood \x00\x00\x80\x3f", "vectors", "word2vec binary format"),
    # Binary rows without NUL bytes: control bytes, then only bytes >= 0x80.
    (b"1 2\ngood \x01\x02\x8f\x3f\x1b\x9c\x5e\xbf\n", "vectors", "binary format"),
    (b"1 2\ngood \x81\x92\x8f\x3f\xa5\xb7\x5e\xbf\n", "vectors", "binary format"),
    ("1 2\ncafé 0.5 -1\n".encode(), "vectors", "word2vec text format"),
    (b"good 0.1 0.2\nbad -0.1 0.3\n", "vectors", "GloVe text format"),
    (b"text,label\ngood film,pos\n", "text", "a text file"),
    (pickle.dumps({"a": 1}, protocol=4), "pickle", "a Python pickle"),
    (gzip.compress(b"data"), "compressed", "compressed"),
    (_tar_bytes(), "tar", "a tar archive"),
    (_zip_bytes("xl/workbook.xml"), "zip", "did not write (.xlsx"),
    (_zip_bytes("array.npy"), "zip", "a NumPy .npz archive"),
    (b"PK\x03\x04 cut off", "damaged", "damaged or truncated"),
    (b"\x93NUMPY\x01\x00", "npy", "a NumPy .npy array file"),
]


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


def test_describe_mismatch_names_reader_and_origin(tmp_path):
    path = tmp_path / "sgns.npz"
    save_bundle(path, {"format": SGNS_FORMAT}, {"table": np.zeros(3)})
    message = describe_mismatch(path, WORD_VECTORS, identify_file(path))
    assert message.startswith(f"{path} is an SGNS pretraining model, not a word-")
    assert "`embedsent pretrain --continue-from`" in message
    assert message.endswith("`embedsent pretrain --out` writes word vectors.")


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
