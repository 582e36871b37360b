"""--encoding and --encoding-errors for the data files that subcommands read."""

import io
import json
import sys

import pytest

from embedsent.cli import main
from embedsent.datasets import TextDecodeError, load_table, read_text

# "café" in latin-1: byte 0xe9 is not valid UTF-8 here.
LATIN1_CSV = "text,label\ngood café,pos\ngreat film,pos\nawful film,neg\nbad plot,neg\n"
DECODE_FIX = "pass the file's encoding with --encoding, for example --encoding latin-1"


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """A tiny vectors file, a latin-1 CSV and a model trained on it."""
    folder = tmp_path_factory.mktemp("cli_encoding")
    vectors = folder / "vectors.txt"
    vectors.write_text(
        "5 2\ngood 1 0\ngreat 0.9 0.1\ncafé 1 0.2\nbad 0 1\nawful 0.1 0.9\n",
        encoding="utf-8",
    )
    labeled = folder / "latin1.csv"
    labeled.write_bytes(LATIN1_CSV.encode("latin-1"))
    model = folder / "model.npz"
    argv = ["train", "--vectors", str(vectors), "--data", str(labeled)]
    argv += ["--out", str(model), "--hidden-size", "0", "--classifier-epochs", "5"]
    assert main([*argv, "--encoding", "latin-1"]) == 0
    return {"vectors": vectors, "labeled": labeled, "model": model, "folder": folder}


def test_train_non_utf8_data_names_flag(files, capsys):
    argv = ["train", "--vectors", str(files["vectors"]), "--data"]
    argv += [str(files["labeled"]), "--out", str(files["folder"] / "m.npz")]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert f"{files['labeled']} is not valid utf-8" in err
    assert "at byte 19 (line 2)" in err
    assert DECODE_FIX in err
    assert "--encoding-errors replace" in err
    assert "encoding='latin-1'" not in err


def test_train_reads_latin1_data_with_encoding(files, capsys):
    out = files["folder"] / "latin1.npz"
    argv = ["train", "--vectors", str(files["vectors"]), "--data"]
    argv += [str(files["labeled"]), "--out", str(out), "--encoding", "latin-1"]
    assert main([*argv, "--hidden-size", "0", "--classifier-epochs", "5"]) == 0
    assert "trained on 4 texts" in capsys.readouterr().out
    assert out.exists()


def test_train_encoding_errors_replace(files, capsys):
    out = files["folder"] / "replaced.npz"
    argv = ["train", "--vectors", str(files["vectors"]), "--data"]
    argv += [str(files["labeled"]), "--out", str(out)]
    argv += ["--encoding-errors", "replace", "--hidden-size", "0"]
    assert main(argv) == 0
    assert "trained on 4 texts" in capsys.readouterr().out


def test_predict_non_utf8_file_names_flag(files, tmp_path, capsys):
    texts = tmp_path / "texts.txt"
    texts.write_bytes("great film\ngood café\n".encode("latin-1"))
    assert main(["predict", "--model", str(files["model"]), str(texts)]) == 2
    err = capsys.readouterr().err
    assert f"{texts} is not valid utf-8" in err
    assert "at byte 19 (line 2)" in err
    assert DECODE_FIX in err


def test_predict_reads_latin1_file_with_encoding(files, tmp_path, capsys):
    texts = tmp_path / "texts.txt"
    texts.write_bytes("great film\r\n\r\ngood café\r\n".encode("latin-1"))
    argv = ["predict", "--model", str(files["model"]), "--encoding", "latin-1"]
    assert main([*argv, str(texts)]) == 0
    records = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [record["text"] for record in records] == ["great film", "", "good café"]


def test_predict_stdin_uses_encoding(files, capsys, monkeypatch):
    raw = "good café\n".encode("latin-1")
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(raw)))
    argv = ["predict", "--model", str(files["model"]), "--encoding", "latin-1"]
    assert main(argv) == 0
    record = json.loads(capsys.readouterr().out)
    assert record["text"] == "good café"
    assert record["known_tokens"] == 2


def test_predict_non_utf8_stdin_names_stdin(files, capsys, monkeypatch):
    raw = "good café\n".encode("latin-1")
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(raw)))
    assert main(["predict", "--model", str(files["model"])]) == 2
    err = capsys.readouterr().err
    assert "<stdin> is not valid utf-8" in err
    assert "at byte 8 (line 1)" in err
    assert DECODE_FIX in err


def test_predict_encoding_errors_ignore(files, tmp_path, capsys):
    texts = tmp_path / "texts.txt"
    texts.write_bytes(b"good caf\xe9\n")
    argv = ["predict", "--model", str(files["model"]), "--encoding-errors", "ignore"]
    assert main([*argv, str(texts)]) == 0
    assert json.loads(capsys.readouterr().out)["text"] == "good caf"


def test_pretrain_reads_latin1_text_file(tmp_path, capsys):
    texts = tmp_path / "texts.txt"
    texts.write_bytes("café crème\ncafé noir\n".encode("latin-1"))
    out = tmp_path / "vectors.txt"
    argv = ["--no-progress", "pretrain", "--data", str(texts), "--out", str(out)]
    argv += ["--dim", "4", "--epochs", "1", "--min-count", "1", "--batch-size", "8"]
    assert main(argv) == 2
    assert DECODE_FIX in capsys.readouterr().err
    assert main([*argv, "--encoding", "latin-1"]) == 0
    words = [line.split()[0] for line in out.read_text("utf-8").splitlines()[1:]]
    assert "café" in words


def test_diagnose_non_utf8_data_names_flag(files, capsys):
    argv = ["diagnose", "--model", str(files["model"]), "--data"]
    assert main([*argv, str(files["labeled"])]) == 2
    err = capsys.readouterr().err
    assert f"{files['labeled']} is not valid utf-8" in err
    assert DECODE_FIX in err


def test_load_table_decode_error_names_parameters(files):
    with pytest.raises(TextDecodeError) as raised:
        load_table(files["labeled"])
    assert "encoding='latin-1'" in str(raised.value)
    assert raised.value.location == "byte 19 (line 2)"
    assert raised.value.encoding == "utf-8"
    assert raised.value.source == str(files["labeled"])


def test_load_table_errors_replace_substitutes(files):
    labeled = load_table(files["labeled"], errors="replace")
    assert labeled.texts[0] == "good caf\ufffd"


def test_read_text_drops_byte_order_mark(tmp_path):
    path = tmp_path / "bom.txt"
    path.write_bytes(b"\xef\xbb\xbfgood film\n")
    assert read_text(path) == "good film\n"


UTF8_CSV = "text,label\ngood café,pos\ngreat film,pos\nawful film,neg\nbad plot,neg\n"
UTF8_JSONL = "".join(
    json.dumps({"text": text, "label": label}) + "\n"
    for text, label in [("good café", "pos"), ("great film", "pos")]
    + [("awful film", "neg"), ("bad plot", "neg")]
)
# Each codec that keeps a byte-order mark, with the mark it reads.
ENDIAN_MARKS = [("utf-16-le", b"\xff\xfe"), ("utf-16-be", b"\xfe\xff")]


def _train_argv(files, data, *extra):
    argv = ["train", "--vectors", str(files["vectors"]), "--data", str(data)]
    argv += ["--out", str(files["folder"] / "bom.npz"), "--hidden-size", "0"]
    return [*argv, "--classifier-epochs", "2", *extra]


@pytest.mark.parametrize(("codec", "mark"), ENDIAN_MARKS)
@pytest.mark.parametrize("suffix", [".csv", ".jsonl"])
def test_load_table_drops_bom_with_endian_codec(tmp_path, codec, mark, suffix):
    content = UTF8_CSV if suffix == ".csv" else UTF8_JSONL
    path = tmp_path / f"table{suffix}"
    path.write_bytes(mark + content.encode(codec))
    labeled = load_table(path, encoding=codec)
    assert labeled.texts[0] == "good café"
    assert len(labeled) == 4


@pytest.mark.parametrize(("codec", "mark"), ENDIAN_MARKS)
def test_train_utf16_bom_csv_with_endian_codec(files, tmp_path, capsys, codec, mark):
    path = tmp_path / "table.csv"
    path.write_bytes(mark + UTF8_CSV.encode(codec))
    assert main(_train_argv(files, path, "--encoding", codec)) == 0
    assert "trained on 4 texts" in capsys.readouterr().out


def test_train_utf16_bom_jsonl_advises_utf16(files, tmp_path, capsys):
    path = tmp_path / "table.jsonl"
    path.write_bytes(UTF8_JSONL.encode("utf-16"))
    assert main(_train_argv(files, path)) == 2
    err = capsys.readouterr().err
    assert "starts with a UTF-16 byte-order mark" in err
    assert "pass --encoding utf-16" in err
    assert "utf-8-sig" not in err


def test_train_bom_of_other_byte_order_advises_utf16(files, tmp_path, capsys):
    path = tmp_path / "table.jsonl"
    path.write_bytes(b"\xff\xfe" + UTF8_JSONL.encode("utf-16-le"))
    assert main(_train_argv(files, path, "--encoding", "utf-16-be")) == 2
    err = capsys.readouterr().err
    assert "but --encoding is utf-16-be; pass --encoding utf-16" in err


def test_train_utf8_bom_read_as_latin1_advises_utf8(files, tmp_path, capsys):
    path = tmp_path / "table.jsonl"
    path.write_bytes(b"\xef\xbb\xbf" + UTF8_JSONL.encode("utf-8"))
    assert main(_train_argv(files, path, "--encoding", "latin-1")) == 2
    err = capsys.readouterr().err
    assert "starts with a UTF-8 byte-order mark" in err
    assert "but --encoding is latin-1; pass --encoding utf-8" in err


def test_predict_utf16_stdin_advises_utf16(files, capsys, monkeypatch):
    raw = "good café\n".encode("utf-16")
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(raw)))
    assert main(["predict", "--model", str(files["model"])]) == 2
    err = capsys.readouterr().err
    assert "<stdin> is a UTF-16 text file" in err
    assert "pass --encoding utf-16" in err


def test_predict_utf16_stdin_reads_with_encoding(files, capsys, monkeypatch):
    raw = "good café\n".encode("utf-16")
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(raw)))
    argv = ["predict", "--model", str(files["model"]), "--encoding", "utf-16-le"]
    assert main([*argv, "-"]) == 0
    assert json.loads(capsys.readouterr().out)["text"] == "good café"


def test_predict_utf16_stdin_without_bom_names_nul(files, capsys, monkeypatch):
    raw = "good café\n".encode("utf-16-le")
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(raw)))
    assert main(["predict", "--model", str(files["model"])]) == 2
    err = capsys.readouterr().err
    assert "<stdin> is a binary file of unknown format, not text" in err
    assert "pass --encoding utf-16-le" in err


@pytest.mark.parametrize("codec", ["utf-16", "utf-32"])
def test_train_wide_vectors_advise_iconv(files, tmp_path, capsys, codec):
    vectors = tmp_path / "wide.txt"
    vectors.write_bytes(files["vectors"].read_text("utf-8").encode(codec))
    argv = ["train", "--vectors", str(vectors), "--data", str(files["labeled"])]
    argv += ["--encoding", "latin-1", "--out", str(tmp_path / "model.npz")]
    assert main(argv) == 2
    err = capsys.readouterr().err
    label = codec.upper()
    assert f"--vectors {vectors} is {label} text (it starts with a {label}" in err
    assert f"--vectors-encoding {codec} is not supported" in err
    assert (
        f"`iconv -f {codec} -t utf-8 {vectors} > {tmp_path / 'wide-utf8.txt'}`" in err
    )
    assert "latin-1" not in err.replace("--encoding latin-1", "")
    assert "binary word2vec" not in err
    assert not (tmp_path / "model.npz").exists()
