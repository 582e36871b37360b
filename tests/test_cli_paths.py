"""Missing inputs and inputs of the wrong kind are named with their flag."""

import errno
import gzip
import io
import os
import stat
import subprocess
import sys
import tarfile
import threading
import zipfile
from pathlib import Path

import numpy as np
import pytest
from fake_os import deny_write, fake_file_type
from fifos import errors_without_blocking, feed_fifo

import embedsent.cli
from embedsent.cli import main


@pytest.fixture(scope="module")
def files(tmp_path_factory, tiny_pretrained):
    """Word vectors, a labeled CSV, a classifier model and an SGNS model."""
    folder = tmp_path_factory.mktemp("cli_paths")
    vectors = tiny_pretrained["vectors"]
    sgns = tiny_pretrained["sgns"]

    labeled = folder / "labeled.csv"
    rows = ["good film,pos", "great film,pos", "awful film,neg", "bad plot,neg"]
    labeled.write_text("text,label\n" + "\n".join(rows) + "\n", encoding="utf-8")

    model = folder / "model.npz"
    argv = ["train", "--vectors", str(vectors), "--data", str(labeled)]
    assert main([*argv, "--out", str(model), "--classifier-epochs", "2"]) == 0
    unlabeled = folder / "unlabeled.txt"
    unlabeled.write_text("a good film\na bad plot\n", encoding="utf-8")

    return {
        "folder": folder,
        "vectors": str(vectors),
        "sgns": str(sgns),
        "labeled": str(labeled),
        "model": str(model),
        "unlabeled": str(unlabeled),
    }


def _error(capsys, argv) -> str:
    assert main(argv) == 2
    return capsys.readouterr().err


def _pretrain(files, *extra):
    out = str(files["folder"] / "out.txt")
    return ["--no-progress", "pretrain", "--data", "default", "--out", out, *extra]


def _train(files, *extra):
    out = str(files["folder"] / "trained.npz")
    return ["train", "--out", out, *extra]


def test_predict_vectors_as_model_names_kind(files, capsys):
    err = _error(capsys, ["predict", "--model", files["vectors"]])
    assert "--model" in err
    assert "is word vectors in word2vec text format" in err
    assert "not an embedsent classifier model" in err
    assert "`embedsent train --vectors`" in err
    assert "`embedsent train --out` writes a classifier model" in err
    assert "allow_pickle" not in err


def test_predict_sgns_model_names_pretrain_flag(files, capsys):
    err = _error(capsys, ["predict", "--model", files["sgns"]])
    assert "is an SGNS pretraining model" in err
    assert "`embedsent pretrain --continue-from`" in err
    assert "`embedsent train --out` writes a classifier model" in err


def test_continue_from_vectors_names_kind(files, capsys):
    err = _error(capsys, _pretrain(files, "--continue-from", files["vectors"]))
    assert "--continue-from" in err
    assert "is word vectors in word2vec text format" in err
    assert "not an SGNS pretraining model" in err
    assert "`embedsent pretrain --save-model` writes an SGNS model" in err


def test_checkpoint_vectors_file_rejected_before_training(files, capsys):
    err = _error(capsys, _pretrain(files, "--checkpoint", files["vectors"]))
    assert "--checkpoint" in err
    assert "not an SGNS training checkpoint" in err
    assert "Pass a path that does not exist yet" in err
    assert "allow_pickle" not in err


def test_truncated_checkpoint_says_delete_it(files, capsys):
    truncated = files["folder"] / "truncated.ckpt"
    data = Path(files["sgns"]).read_bytes()
    truncated.write_bytes(data[: len(data) // 2])
    err = _error(capsys, _pretrain(files, "--checkpoint", str(truncated)))
    assert "is a damaged or truncated zip (.npz) file" in err
    assert "delete it to start the run over, or pass another --checkpoint" in err
    assert "write it again" not in err


def test_model_invalid_metadata_names_json(files, capsys):
    model = files["folder"] / "bad_meta.npz"
    with np.load(files["model"], allow_pickle=False) as archive:
        arrays = {name: archive[name] for name in archive.files}
    arrays["__meta__"] = np.frombuffer(b"{not json", dtype=np.uint8)
    np.savez(model, **arrays)
    err = _error(capsys, ["predict", "--model", str(model)])
    assert f"--model {model} is an .npz file whose __meta__ entry" in err
    assert "is not valid JSON, so it is damaged or was not written by" in err
    assert "train the model again with `embedsent train --out`" in err
    assert "TransferClassifier.save" in err
    assert "truncated zip" not in err


def test_truncated_model_says_train_again(files, capsys):
    truncated = files["folder"] / "truncated_model.npz"
    data = Path(files["model"]).read_bytes()
    truncated.write_bytes(data[: len(data) // 2])
    err = _error(capsys, ["predict", "--model", str(truncated)])
    assert "is a damaged or truncated zip (.npz) file" in err
    assert "train the model again with `embedsent train --out`" in err


@pytest.mark.parametrize("command", ["train", "predict", "pretrain", "diagnose"])
def test_json_array_data_suggests_jq(files, tmp_path, capsys, command):
    array = tmp_path / "arr.json"
    array.write_text(
        '[\n  {"text": "good film", "label": "pos"},\n'
        '  {"text": "bad plot", "label": "neg"}\n]\n',
        encoding="utf-8",
    )
    argv = {
        "train": _train(files, "--vectors", files["vectors"], "--data", str(array)),
        "predict": ["predict", "--model", files["model"], "--text-column", "text"]
        + [str(array)],
        "pretrain": ["--no-progress", "pretrain", "--data", str(array)]
        + ["--out", str(tmp_path / "out.txt")],
        "diagnose": ["diagnose", "--model", files["model"], "--data", str(array)],
    }[command]
    err = _error(capsys, argv)
    assert f"{array} is a JSON array, but table files must be JSON Lines" in err
    assert f"jq -c '.[]' {array} > {tmp_path / 'arr.jsonl'}" in err
    assert "malformed JSON" not in err


def test_train_model_as_vectors_names_kind(files, capsys):
    argv = _train(files, "--vectors", files["model"], "--data", files["labeled"])
    err = _error(capsys, argv)
    assert "is an embedsent classifier model, not a word-vector file" in err
    assert "--model of `embedsent predict`" in err
    assert "utf-8" not in err


def test_gensim_format_on_text_names_file(files, capsys):
    argv = _train(files, "--vectors", files["vectors"], "--data", files["labeled"])
    err = _error(capsys, [*argv, "--vectors-format", "gensim"])
    assert f"--vectors {files['vectors']} is word vectors in word2vec text" in err
    assert "not a gensim KeyedVectors file" in err
    assert "--vectors-format auto" in err
    assert "format='auto'" not in err
    assert "MARK" not in err


@pytest.mark.parametrize(
    ("command", "kind", "name", "belongs"),
    [
        ("train", "model", "an embedsent classifier model", "--model of"),
        ("select", "model", "an embedsent classifier model", "--model of"),
        ("train", "checkpoint", "an SGNS training checkpoint", "pretrain --checkpoint"),
        ("train", "labeled", "a .csv table", "to --data of `embedsent train`"),
        ("select", "labeled", "a .csv table", "to --data of `embedsent train`"),
    ],
)
def test_wrong_vectors_kind_names_kind_and_flag(
    files, capsys, tmp_path, command, kind, name, belongs
):
    if kind == "checkpoint":
        from embedsent.file_kinds import CHECKPOINT_FORMAT
        from embedsent.storage import save_bundle

        path = str(tmp_path / "run.ckpt")
        save_bundle(path, {"format": CHECKPOINT_FORMAT}, {})
    else:
        path = files[kind]
    argv = [command, "--vectors", path, "--data", files["labeled"]]
    if command == "train":
        argv += ["--out", str(tmp_path / "m.npz")]
    err = _error(capsys, argv)
    assert f"error: --vectors {path} is {name}, not a word-vector file" in err
    assert belongs in err


def test_vectors_decode_error_names_flags_only(files, capsys, tmp_path):
    vectors = tmp_path / "latin1.txt"
    vectors.write_bytes("1 2\ncaf\xe9 0.5 1\n".encode("latin-1"))
    argv = _train(files, "--vectors", str(vectors), "--data", files["labeled"])
    err = _error(capsys, argv)
    assert f"--vectors {vectors}: the word at line 2" in err
    assert "pass the file's encoding with --vectors-encoding" in err
    assert "--vectors-errors replace" in err
    assert "encoding='latin-1'" not in err
    assert "errors='replace'" not in err


def test_vectors_header_error_names_format_flag(files, capsys, tmp_path):
    vectors = tmp_path / "header.txt"
    vectors.write_text("100\ngood 0.5 1\n")
    argv = _train(files, "--vectors", str(vectors), "--data", files["labeled"])
    err = _error(capsys, [*argv, "--vectors-format", "word2vec"])
    assert f"--vectors {vectors}: invalid word2vec header" in err
    assert "pass --vectors-format glove" in err
    assert "load_glove()" not in err


def test_train_unlabeled_txt_lists_inputs(files, capsys):
    argv = _train(files, "--vectors", files["vectors"], "--data", files["unlabeled"])
    err = _error(capsys, argv)
    assert f"--data {files['unlabeled']}" in err
    assert "texts without labels" in err
    assert "a .csv/.tsv/.jsonl/.ndjson/.json file with text and label columns" in err
    assert "tar archive" not in err


def test_binary_vectors_file_names_kind_not_encoding(files, capsys, tmp_path):
    image = tmp_path / "image.png"
    image.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 64)
    argv = _train(files, "--vectors", str(image), "--data", files["labeled"])
    err = _error(capsys, argv)
    assert f"--vectors {image} is a binary file of unknown format" in err
    assert "It contains NUL bytes" in err
    assert "--vectors-encoding" not in err


def test_train_reads_sgns_model_as_vectors_with_counts(files, tmp_path):
    from embedsent.pipeline import TransferClassifier
    from embedsent.sgns_model import SGNSModel

    out = tmp_path / "sif.npz"
    argv = ["train", "--vectors", files["sgns"], "--data", files["labeled"]]
    assert main([*argv, "--feature", "sif", "--out", str(out)]) == 0
    exported = SGNSModel.load(files["sgns"]).word_vectors()
    model = TransferClassifier.load(out)
    assert model.vectors.words == exported.words
    np.testing.assert_array_equal(model.vectors.vectors, exported.vectors)
    np.testing.assert_array_equal(model.vectors.counts, exported.counts)


def test_sgns_model_with_named_vectors_format_rejected(files, capsys, tmp_path):
    argv = ["train", "--vectors", files["sgns"], "--vectors-format", "word2vec"]
    err = _error(capsys, [*argv, "--data", files["labeled"], "--out", "m.npz"])
    assert f"--vectors {files['sgns']} is an SGNS pretraining model; pass " in err
    assert "--vectors-format auto" in err


def test_train_zip_data_names_kind(files, capsys):
    workbook = files["folder"] / "labels.xlsx"
    with zipfile.ZipFile(workbook, "w") as archive:
        archive.writestr("xl/workbook.xml", "<workbook/>")
    argv = _train(files, "--vectors", files["vectors"], "--data", str(workbook))
    err = _error(capsys, argv)
    assert "is a zip archive that embedsent did not write" in err
    assert "save a spreadsheet as .csv" in err
    assert "truncated header" not in err


def test_data_default_typo_lists_inputs(files, capsys):
    err = _error(capsys, ["pretrain", "--data", "Default", "--out", "unused.txt"])
    assert "--data Default: file or folder not found" in err
    assert "pass --data default in lower case" in err
    assert "a .txt file with one text per line" in err
    assert "'default' for the shipped corpus" in err


@pytest.mark.parametrize("command", ["train", "select"])
def test_missing_vectors_names_flag(files, capsys, command):
    missing = str(files["folder"] / "nope.txt")
    argv = [command, "--vectors", missing, "--data", files["labeled"]]
    if command == "train":
        argv += ["--out", str(files["folder"] / "unused.npz")]
    err = _error(capsys, argv)
    assert f"--vectors {missing}: file not found" in err
    assert "`embedsent pretrain --out` writes word vectors" in err
    assert "Errno" not in err


def test_empty_txt_data_names_file(files, capsys):
    empty = files["folder"] / "empty.txt"
    empty.write_text("\n\n", encoding="utf-8")
    out = str(files["folder"] / "unused.txt")
    err = _error(capsys, ["pretrain", "--data", str(empty), "--out", out])
    assert f"--data {empty} contains no texts" in err
    assert "tokenised" not in err


def test_stopword_only_txt_data_names_file(files, capsys):
    stopwords = files["folder"] / "stopwords.txt"
    stopwords.write_text("the and of\nit is a\n", encoding="utf-8")
    out = str(files["folder"] / "unused.txt")
    err = _error(capsys, ["pretrain", "--data", str(stopwords), "--out", out])
    assert f"--data {stopwords}: its 2 texts contain no tokens" in err
    assert not Path(out).exists()


def _fail_if_run(args):
    raise AssertionError("the command ran although an output path is unwritable")


@pytest.mark.parametrize("flag", ["--out", "--save-model", "--checkpoint"])
def test_unwritable_output_folder_rejected_before_work(
    capsys, monkeypatch, tmp_path, flag
):
    monkeypatch.setitem(embedsent.cli.COMMANDS, "pretrain", _fail_if_run)
    locked = tmp_path / "locked"
    locked.mkdir()
    deny_write(monkeypatch, locked)
    target = locked / "file.npz"
    argv = ["pretrain", "--data", "default", "--out", str(tmp_path / "v.txt")]
    if flag == "--out":
        argv = ["pretrain", "--data", "default"]
    err = _error(capsys, [*argv, flag, str(target)])
    assert f"{flag} {target}: folder {locked} is not writable" in err
    assert f"pass a {flag} path in a writable folder, or make {locked} writable" in err


def test_unwritable_existing_output_rejected_before_work(
    files, capsys, monkeypatch, tmp_path
):
    monkeypatch.setitem(embedsent.cli.COMMANDS, "train", _fail_if_run)
    out = tmp_path / "model.npz"
    out.write_bytes(b"")
    deny_write(monkeypatch, out)
    argv = ["train", "--vectors", files["vectors"], "--data", files["labeled"]]
    err = _error(capsys, [*argv, "--out", str(out)])
    assert f"--out {out}: the file exists and is not writable" in err
    assert "make it writable, or pass another --out path" in err


def test_writable_output_paths_pass_check(monkeypatch, tmp_path):
    ran = []

    def record(args):
        ran.append(args.command)
        return 0

    monkeypatch.setitem(embedsent.cli.COMMANDS, "pretrain", record)
    existing = tmp_path / "v.txt"
    existing.write_text("", encoding="utf-8")
    argv = ["pretrain", "--data", "default", "--out", str(existing)]
    assert main([*argv, "--save-model", str(tmp_path / "m.npz")]) == 0
    assert ran == ["pretrain"]
    # The check leaves no file of its own behind.
    assert [entry.name for entry in tmp_path.iterdir()] == ["v.txt"]


def test_read_only_file_system_is_named_before_work(capsys, monkeypatch, tmp_path):
    monkeypatch.setitem(embedsent.cli.COMMANDS, "pretrain", _fail_if_run)
    mounted = tmp_path / "mounted"
    mounted.mkdir()
    real_statvfs = os.statvfs

    class ReadOnly:
        f_flag = os.ST_RDONLY

    def statvfs(path):
        return ReadOnly() if Path(path) == mounted else real_statvfs(path)

    monkeypatch.setattr(os, "statvfs", statvfs)
    target = mounted / "v.txt"
    err = _error(capsys, ["pretrain", "--data", "default", "--out", str(target)])
    assert err.strip().endswith(
        f"--out {target}: folder {mounted} is on a read-only file system; pass a "
        "--out path on a writable file system"
    )


def test_output_folder_failed_probe_rejected(capsys, monkeypatch, tmp_path):
    """Permission bits can allow a write that the file system refuses."""
    import tempfile

    monkeypatch.setitem(embedsent.cli.COMMANDS, "pretrain", _fail_if_run)
    refused = tmp_path / "refused"
    refused.mkdir()
    real_mkstemp = tempfile.mkstemp

    def mkstemp(*args, dir=None, **kwargs):
        if Path(dir) == refused:
            raise OSError(errno.EROFS, "Read-only file system")
        return real_mkstemp(*args, dir=dir, **kwargs)

    monkeypatch.setattr(tempfile, "mkstemp", mkstemp)
    target = refused / "v.txt"
    err = _error(capsys, ["pretrain", "--data", "default", "--out", str(target)])
    assert err.strip().endswith(
        f"--out {target}: cannot create a file in folder {refused} (Read-only "
        "file system); pass a --out path in a writable folder"
    )


def test_report_only_does_not_check_data(tmp_path):
    from argparse import Namespace

    from embedsent.cli_paths import check_input_paths

    missing = str(tmp_path / "absent.tar.gz")
    args = Namespace(command="bench", target="transfer", data=missing)
    with pytest.raises(FileNotFoundError, match="absent.tar.gz"):
        check_input_paths(args)
    check_input_paths(Namespace(**vars(args), report_only=True))


def _pretrain_with(flag: str, value: str, tmp_path) -> list[str]:
    argv = ["pretrain", "--data", "default", "--out", str(tmp_path / "v.txt")]
    if flag == "--out":
        argv = ["pretrain", "--data", "default"]
    return [*argv, flag, value]


@pytest.mark.parametrize(
    ("flag", "name"),
    [("--out", "vectors.txt"), ("--save-model", "model.npz")],
)
def test_read_only_output_rejected_before_work(
    capsys, monkeypatch, tmp_path, flag, name
):
    monkeypatch.setitem(embedsent.cli.COMMANDS, "pretrain", _fail_if_run)
    target = tmp_path / name
    target.write_bytes(b"kept")
    target.chmod(0o444)
    err = " ".join(_error(capsys, _pretrain_with(flag, str(target), tmp_path)).split())
    assert f"{flag}: cannot write {target}: it is read-only (-r--r--r--)" in err
    assert f"chmod u+w {target}" in err
    assert target.read_bytes() == b"kept"


@pytest.mark.parametrize("flag", ["--out", "--save-model", "--checkpoint"])
def test_fifo_output_rejected_before_work(capsys, monkeypatch, tmp_path, flag):
    monkeypatch.setitem(embedsent.cli.COMMANDS, "pretrain", _fail_if_run)
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    err = _error(capsys, _pretrain_with(flag, str(fifo), tmp_path))
    assert f"{flag} {fifo} is a FIFO (named pipe), not a regular file" in err
    assert "pass a path to a regular file" in err
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)


@pytest.mark.parametrize(
    ("flag", "name"),
    [
        ("--out", "vectors.txt"),
        ("--save-model", "model.npz"),
        ("--checkpoint", "checkpoint.npz"),
    ],
)
def test_trailing_slash_output_rejected(capsys, monkeypatch, tmp_path, flag, name):
    monkeypatch.setitem(embedsent.cli.COMMANDS, "pretrain", _fail_if_run)
    value = f"{tmp_path / name}/"
    err = _error(capsys, _pretrain_with(flag, value, tmp_path))
    assert f"{flag}: cannot write {value}: a path that ends with '/'" in err
    assert f"drop the trailing '/' to write the file {tmp_path / name}" in err


@pytest.mark.parametrize(
    ("flag", "name", "suggested"),
    [
        ("--out", "vectors.csv/", "vectors.txt"),
        ("--out", "vectors.txt.gz//", "vectors.txt"),
        ("--save-model", "model.txt/", "model.npz"),
        ("--checkpoint", "checkpoint.json/", "checkpoint.npz"),
    ],
)
def test_trailing_slash_output_suggests_accepted_name(
    capsys, monkeypatch, tmp_path, flag, name, suggested
):
    monkeypatch.setitem(embedsent.cli.COMMANDS, "pretrain", _fail_if_run)
    value = f"{tmp_path}/{name}"
    err = _error(capsys, _pretrain_with(flag, value, tmp_path))
    assert f"{flag} {value}: the trailing '/' marks a folder, and the suffix" in err
    assert f"Pass {flag} {tmp_path / suggested} instead." in err
    monkeypatch.setitem(embedsent.cli.COMMANDS, "pretrain", lambda args: 0)
    assert main(_pretrain_with(flag, str(tmp_path / suggested), tmp_path)) == 0


def test_npz_out_slash_suggests_save_model(capsys, monkeypatch, tmp_path):
    monkeypatch.setitem(embedsent.cli.COMMANDS, "pretrain", _fail_if_run)
    value = f"{tmp_path / 'model.npz'}/"
    err = _error(capsys, _pretrain_with("--out", value, tmp_path))
    assert f"--out {value}: `embedsent pretrain --out` writes word vectors" in err
    assert f"pass --save-model {tmp_path / 'model.npz'} to save" in err


def test_character_device_output_rejected(capsys, monkeypatch, tmp_path):
    monkeypatch.setitem(embedsent.cli.COMMANDS, "pretrain", _fail_if_run)
    device = tmp_path / "null"
    device.write_bytes(b"")
    fake_file_type(monkeypatch, device)
    err = _error(capsys, _pretrain_with("--out", str(device), tmp_path))
    assert f"--out {device} is a character device, not a regular file" in err


def test_link_to_fifo_output_names_target(capsys, monkeypatch, tmp_path):
    monkeypatch.setitem(embedsent.cli.COMMANDS, "pretrain", _fail_if_run)
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    link = tmp_path / "link.txt"
    link.symlink_to(fifo)
    err = _error(capsys, _pretrain_with("--out", str(link), tmp_path))
    assert f"--out {link} (a link to {fifo}) is a FIFO (named pipe)" in err


def test_dangling_link_output_checks_folder(capsys, monkeypatch, tmp_path):
    monkeypatch.setitem(embedsent.cli.COMMANDS, "pretrain", _fail_if_run)
    link = tmp_path / "link.txt"
    target = tmp_path / "absent" / "v.txt"
    link.symlink_to(target)
    err = _error(capsys, _pretrain_with("--out", str(link), tmp_path))
    assert f"(a link to {target}): folder {target.parent} does not exist" in err


def test_link_to_regular_output_passes_check(monkeypatch, tmp_path):
    monkeypatch.setitem(embedsent.cli.COMMANDS, "pretrain", lambda args: 0)
    target = tmp_path / "v.txt"
    target.write_text("", encoding="utf-8")
    link = tmp_path / "link.txt"
    link.symlink_to(target)
    assert main(_pretrain_with("--out", str(link), tmp_path)) == 0


@pytest.mark.parametrize("flag", ["--out", "--save-model", "--checkpoint"])
def test_empty_output_path_rejected(capsys, monkeypatch, tmp_path, flag):
    monkeypatch.setitem(embedsent.cli.COMMANDS, "pretrain", _fail_if_run)
    err = _error(capsys, _pretrain_with(flag, "", tmp_path))
    assert f"error: {flag} is an empty string; pass " in err
    assert "Errno" not in err


@pytest.mark.parametrize(
    ("name", "found", "suggested"),
    [
        ("out.csv", "the suffix .csv marks a table", "out.json"),
        ("out", "the name does not end with .json", "out.json"),
        ("out.v2", "the name does not end with .json", "out.v2.json"),
        ("out.json.gz", "the suffix .gz marks a gzip-compressed file", "out.json"),
    ],
)
def test_compare_json_needs_json_suffix(
    capsys, monkeypatch, tmp_path, name, found, suggested
):
    monkeypatch.setitem(embedsent.cli.COMMANDS, "compare", _fail_if_run)
    value = str(tmp_path / name)
    err = _error(capsys, ["compare", "--data", "default", "--json", value])
    assert f"--json {value}: {found}, but --json writes a JSON report." in err
    assert f"Pass --json {tmp_path / suggested} instead." in err


@pytest.mark.parametrize(("flag", "name"), [("--json", ".json"), ("--out", ".txt")])
def test_output_name_that_is_only_a_suffix(capsys, tmp_path, flag, name):
    value = str(tmp_path / name)
    argv = ["compare", "--data", "default", "--json", value]
    if flag == "--out":
        argv = ["--no-progress", "pretrain", "--data", "default", "--out", value]
    err = _error(capsys, argv)
    assert f"{flag}: cannot write {value}: the name {name} is only a suffix" in err
    assert f"such as {tmp_path}/out{name}" in err
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("command", ["select", "diagnose"])
def test_report_json_needs_json_suffix(files, capsys, monkeypatch, tmp_path, command):
    monkeypatch.setitem(embedsent.cli.COMMANDS, command, _fail_if_run)
    if command == "select":
        argv = ["select", "--vectors", str(files["vectors"])]
    else:
        argv = ["diagnose", "--model", str(files["model"])]
    argv += ["--data", str(files["labeled"])]
    err = _error(capsys, [*argv, "--json", str(tmp_path / "scores.txt")])
    assert "the suffix .txt marks a text file, but --json writes a JSON" in err
    assert f"Pass --json {tmp_path / 'scores.json'} instead." in err


def test_bench_sgns_json_needs_json_suffix(tmp_path):
    from argparse import Namespace

    from embedsent.cli_paths import check_output_paths

    value = str(tmp_path / "trials.csv")
    args = Namespace(command="bench", target="sgns", json=value)
    with pytest.raises(ValueError, match="but --json writes a JSON report"):
        check_output_paths(args)


@pytest.mark.parametrize("name", ["report.json", "REPORT.JSON"])
def test_json_suffix_accepted_in_any_case(monkeypatch, tmp_path, name):
    monkeypatch.setitem(embedsent.cli.COMMANDS, "compare", lambda args: 0)
    value = str(tmp_path / name)
    assert main(["compare", "--data", "default", "--json", value]) == 0


def test_check_output_rejects_empty_json(tmp_path):
    from argparse import Namespace

    from embedsent.cli_paths import check_output_paths

    args = Namespace(command="evaluate", json="", out=None)
    with pytest.raises(ValueError, match="--json is an empty string"):
        check_output_paths(args)


@pytest.mark.parametrize("flag", ["--out-dir", "--docs-dir"])
def test_bench_out_dir_file_rejected(files, capsys, monkeypatch, flag):
    monkeypatch.setitem(embedsent.cli.COMMANDS, "bench", _fail_if_run)
    labeled = files["labeled"]
    argv = ["bench", "transfer", "--data", "default", flag, labeled]
    err = _error(capsys, argv)
    assert f"{flag} {labeled} is a file, not a folder; pass another {flag}" in err
    assert "Errno" not in err


def test_bench_out_dir_below_file_rejected(files, capsys, monkeypatch):
    monkeypatch.setitem(embedsent.cli.COMMANDS, "bench", _fail_if_run)
    below = f"{files['labeled']}/sub"
    argv = ["bench", "transfer", "--data", "default", "--out-dir", below]
    err = _error(capsys, argv)
    assert f"--out-dir {below}: {files['labeled']} is a file, so no folder" in err
    assert "Errno" not in err


def test_bench_empty_out_dir_rejected(capsys, monkeypatch):
    monkeypatch.setitem(embedsent.cli.COMMANDS, "bench", _fail_if_run)
    argv = ["bench", "transfer", "--data", "default", "--out-dir", ""]
    err = _error(capsys, argv)
    assert "--out-dir is an empty string" in err


@pytest.mark.parametrize("flag", ["--out-dir", "--docs-dir"])
def test_bench_dangling_link_out_dir_rejected(tmp_path, capsys, monkeypatch, flag):
    monkeypatch.setitem(embedsent.cli.COMMANDS, "bench", _fail_if_run)
    link = tmp_path / "results"
    link.symlink_to(tmp_path / "missing")
    argv = ["bench", "transfer", "--data", "default", flag, str(link)]
    err = _error(capsys, argv)
    assert f"error: {flag} {link} is a symbolic link to {tmp_path / 'missing'}" in err
    assert "which does not exist; create that folder, remove the link" in err
    assert "File exists" not in err


def test_bench_out_dir_below_dangling_link_rejected(tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(embedsent.cli.COMMANDS, "bench", _fail_if_run)
    link = tmp_path / "results"
    link.symlink_to(tmp_path / "missing")
    below = link / "run"
    argv = ["bench", "transfer", "--data", "default", "--out-dir", str(below)]
    err = _error(capsys, argv)
    assert f"--out-dir {below}: {link} is a symbolic link to " in err
    assert "File exists" not in err


def test_bench_out_dir_link_loop_rejected(tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(embedsent.cli.COMMANDS, "bench", _fail_if_run)
    (tmp_path / "a").symlink_to(tmp_path / "b")
    (tmp_path / "b").symlink_to(tmp_path / "a")
    argv = ["bench", "transfer", "--data", "default", "--out-dir", str(tmp_path / "a")]
    err = _error(capsys, argv)
    assert f"--out-dir {tmp_path / 'a'} is a loop of symbolic links" in err


def test_ensure_folder_rejects_file(files):
    from embedsent.curve_data import ensure_folder

    labeled = files["labeled"]
    with pytest.raises(ValueError, match=f"^--out-dir {labeled} is a file, not a"):
        ensure_folder(labeled, flag="--out-dir")
    with pytest.raises(ValueError, match=f"^{labeled} is a file, not a folder"):
        ensure_folder(labeled)


def test_ensure_folder_rejects_file_parent(files):
    from embedsent.curve_data import ensure_folder

    below = Path(files["labeled"]) / "sub" / "deeper"
    with pytest.raises(ValueError, match=": .*labeled.csv is a file, so no folder"):
        ensure_folder(below)
    assert Path(files["labeled"]).is_file()


def test_ensure_folder_rejects_dangling_link(tmp_path):
    from embedsent.curve_data import ensure_folder

    link = tmp_path / "results"
    link.symlink_to(tmp_path / "missing")
    with pytest.raises(ValueError, match=f": {link} is a symbolic link to"):
        ensure_folder(link / "cache")
    assert not (tmp_path / "missing").exists()


def test_ensure_folder_rejects_empty_path():
    from embedsent.curve_data import ensure_folder

    with pytest.raises(ValueError, match="the folder path is empty"):
        ensure_folder("")


def test_ensure_folder_creates_missing_folders(tmp_path):
    from embedsent.curve_data import ensure_folder

    folder = ensure_folder(tmp_path / "a" / "b")
    assert folder.is_dir()
    assert ensure_folder(folder) == folder


@pytest.mark.parametrize(
    ("argv", "flag", "takes"),
    [
        (["train", "--data", "LABELED", "--out", "OUT"], "--vectors", "word-vector"),
        (["select", "--data", "LABELED"], "--vectors", "word-vector"),
        (["predict"], "--model", "embedsent classifier model"),
        (["pretrain", "--data", "default", "--out", "OUT"], "--continue-from", "SGNS"),
        (["pretrain", "--data", "default", "--out", "OUT"], "--checkpoint", "check"),
        (["bench", "sgns"], "--tokens", "token file"),
    ],
)
def test_folder_given_as_file_names_flag(files, capsys, argv, flag, takes):
    folder = files["folder"]
    argv = [
        {"LABELED": files["labeled"], "OUT": str(folder / "unused.out")}.get(a, a)
        for a in argv
    ]
    err = _error(capsys, [*argv, flag, str(folder)])
    assert f"{flag} {folder} is a folder, but {flag} takes " in err
    assert takes in err
    assert "pass the path of the file itself" in err
    assert "Errno" not in err


def test_unlabeled_folder_names_flag(files):
    from argparse import Namespace

    from embedsent.cli_paths import check_input_paths

    args = Namespace(command="select", unlabeled=str(files["folder"]))
    with pytest.raises(ValueError, match="--unlabeled .* is a folder, but"):
        check_input_paths(args)


@pytest.mark.parametrize(
    ("argv", "flag"),
    [
        (["train", "--data", "LABELED", "--out", "unused.npz"], "--vectors"),
        (["pretrain", "--data", "default", "--out", "unused.txt"], "--continue-from"),
        (["predict"], "--model"),
    ],
)
def test_empty_input_path_rejected(files, capsys, argv, flag):
    argv = [files["labeled"] if arg == "LABELED" else arg for arg in argv]
    err = _error(capsys, [*argv, flag, ""])
    assert f"{flag} is an empty string; pass the path of " in err


def test_empty_data_lists_inputs(capsys):
    err = _error(capsys, ["pretrain", "--data", "", "--out", "unused.txt"])
    assert "--data is an empty string; --data accepts an aclImdb folder" in err


def _write_binary(folder: Path, name: str, kind: str, files) -> Path:
    path = folder / name
    if kind == "model":
        path.write_bytes(Path(files["model"]).read_bytes())
    elif kind == "gzip":
        path.write_bytes(gzip.compress(b"a good film\n"))
    elif kind == "tar":
        with tarfile.open(path, "w") as archive:
            archive.add(files["labeled"], arcname="aclImdb/train/pos/0_9.txt")
    elif kind == "zip":
        with zipfile.ZipFile(path, "w") as archive:
            archive.writestr("xl/workbook.xml", "<workbook/>")
    elif kind == "nul":
        path.write_bytes(b"a good film\x00\x00\x01\x02\n")
    return path


@pytest.mark.parametrize(
    ("kind", "name"),
    [
        ("model", "is an embedsent classifier model, not text"),
        ("gzip", "is a gzip, bzip2 or xz compressed file, not text"),
        ("tar", "is a tar archive, not text"),
        ("zip", "is a zip archive that embedsent did not write"),
        ("nul", "is a binary file of unknown format, not text"),
    ],
)
def test_pretrain_binary_txt_data_names_kind(
    files, capsys, monkeypatch, tmp_path, kind, name
):
    monkeypatch.setitem(embedsent.cli.COMMANDS, "pretrain", _fail_if_run)
    data = _write_binary(tmp_path, "corpus.txt", kind, files)
    out = str(tmp_path / "v.txt")
    err = _error(capsys, ["pretrain", "--data", str(data), "--out", out])
    assert f"--data {data} {name}" in err
    assert "`embedsent pretrain` reads a .txt file as text" in err
    assert "a .txt file with one text per line" in err
    assert "--encoding latin-1" not in err


def test_binary_txt_data_suggests_archive_suffix(files, capsys, tmp_path):
    data = _write_binary(tmp_path, "corpus.txt", "gzip", files)
    err = _error(capsys, ["pretrain", "--data", str(data), "--out", "unused.txt"])
    assert "If it is an aclImdb archive, give it the suffix .tar.gz" in err


def test_model_as_txt_data_names_model_flag(files, capsys, tmp_path):
    data = _write_binary(tmp_path, "corpus.txt", "model", files)
    err = _error(capsys, ["pretrain", "--data", str(data), "--out", "unused.txt"])
    assert "Pass it to --model of `embedsent predict`" in err


def test_nul_bytes_data_suggests_wide_encoding(files, capsys, tmp_path):
    data = _write_binary(tmp_path, "corpus.txt", "nul", files)
    err = _error(capsys, ["pretrain", "--data", str(data), "--out", "unused.txt"])
    assert "It contains NUL bytes" in err
    assert "--encoding utf-16-le" in err
    assert "aclImdb archive" not in err


@pytest.mark.parametrize("suffix", [".csv", ".tsv", ".jsonl"])
def test_train_binary_table_data_names_kind(files, capsys, tmp_path, suffix):
    data = _write_binary(tmp_path, f"labeled{suffix}", "tar", files)
    argv = _train(files, "--vectors", files["vectors"], "--data", str(data))
    err = _error(capsys, argv)
    assert f"--data {data} is a tar archive, not text" in err
    assert f"`embedsent train` reads a {suffix} file as text" in err
    assert "give it the suffix .tar.gz, or .tar when it is not compressed" in err


def _check_pretrain_data(path: Path, encoding: str = "utf-8") -> None:
    from argparse import Namespace

    from embedsent.cli_paths import check_input_paths

    args = Namespace(command="pretrain", data=str(path), encoding=encoding)
    check_input_paths(args)


def test_latin1_txt_data_passes_check(tmp_path):
    data = tmp_path / "latin.txt"
    data.write_bytes("caf\xe9 tr\xe8s bien\n\x80\x9f\xff\n".encode("latin-1"))
    _check_pretrain_data(data, encoding="latin-1")
    _check_pretrain_data(data)


def test_utf16_bom_data_asks_for_encoding(tmp_path):
    data = tmp_path / "texts.txt"
    data.write_bytes("a good film\n".encode("utf-16"))
    with pytest.raises(ValueError, match="but --encoding is utf-8; pass --encoding"):
        _check_pretrain_data(data)
    _check_pretrain_data(data, encoding="utf-16")


def test_utf16_no_bom_needs_encoding(tmp_path):
    data = tmp_path / "texts.txt"
    data.write_bytes("a good film\n".encode("utf-16-le"))
    with pytest.raises(ValueError, match="It contains NUL bytes"):
        _check_pretrain_data(data)
    _check_pretrain_data(data, encoding="utf-16-le")


def test_utf16_encoding_still_rejects_archive(files, tmp_path):
    data = _write_binary(tmp_path, "corpus.txt", "gzip", files)
    with pytest.raises(ValueError, match="compressed file, not text"):
        _check_pretrain_data(data, encoding="utf-16")


def _read_available(descriptor: int) -> bytes:
    try:
        return os.read(descriptor, 100)
    except BlockingIOError:
        return b""


def test_fifo_data_not_read_by_check(tmp_path):
    fifo = tmp_path / "texts.txt"
    os.mkfifo(fifo)
    # Opening for reading and writing does not block on Linux, so the test
    # can put texts into the pipe before the check runs.
    descriptor = os.open(fifo, os.O_RDWR | os.O_NONBLOCK)
    os.write(descriptor, b"a good film\n")
    errors = []

    def check():
        try:
            _check_pretrain_data(fifo)
        except Exception as error:  # reported by the asserts below
            errors.append(error)

    # A check that reads the FIFO waits for more bytes until every writer
    # closes it, so it runs in a thread that closing the descriptor ends.
    thread = threading.Thread(target=check, daemon=True)
    thread.start()
    thread.join(timeout=10)
    blocked = thread.is_alive()
    remaining = b"" if blocked else _read_available(descriptor)
    os.close(descriptor)
    thread.join(timeout=10)
    assert not blocked, "the check blocked reading the FIFO"
    assert errors == []
    assert remaining == b"a good film\n"


def test_unlabeled_binary_file_names_flag(files, tmp_path):
    from argparse import Namespace

    from embedsent.cli_paths import check_input_paths

    unlabeled = _write_binary(tmp_path, "unlabeled.txt", "model", files)
    args = Namespace(command="select", unlabeled=str(unlabeled))
    with pytest.raises(ValueError, match="--unlabeled .* classifier model, not text"):
        check_input_paths(args)


def test_predict_binary_input_names_file(files, capsys, tmp_path):
    texts = _write_binary(tmp_path, "texts.txt", "model", files)
    err = _error(capsys, ["predict", "--model", files["model"], str(texts)])
    assert f"input {texts} is an embedsent classifier model, not text" in err
    assert "`embedsent predict` reads text files with one text per line" in err
    assert "Pass it to --model of `embedsent predict`" in err


@pytest.mark.parametrize(("header", "layout"), [(True, "word2vec"), (False, "GloVe")])
def test_predict_vectors_input_is_rejected(files, capsys, tmp_path, header, layout):
    lines = Path(files["vectors"]).read_text(encoding="utf-8").splitlines()
    texts = tmp_path / "texts.txt"
    body = lines if header else lines[1:]
    texts.write_text("\n".join(body) + "\n", encoding="utf-8")
    err = _error(capsys, ["predict", "--model", files["model"], str(texts)])
    assert f"input {texts} is word vectors in {layout} text format" in err
    assert "not texts with one text per line" in err
    assert "Pass it to `embedsent train --vectors`" in err


def test_predict_vectors_on_stdin_is_rejected(files, capsys, monkeypatch):
    content = Path(files["vectors"]).read_bytes()
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(content)))
    err = _error(capsys, ["predict", "--model", files["model"], "-"])
    assert "<stdin> is word vectors in word2vec text format" in err
    assert '"label"' not in capsys.readouterr().out


def test_pretrain_vectors_as_data_is_rejected(files, capsys):
    vectors = files["vectors"]
    out = files["folder"] / "from-vectors.txt"
    argv = ["--no-progress", "pretrain", "--data", vectors, "--out", str(out)]
    err = _error(capsys, argv)
    assert f"--data {vectors} is word vectors in word2vec text format" in err
    assert "Pass it to `embedsent train --vectors`" in err
    assert not out.exists()


def test_predict_table_of_one_word_texts_passes(files, capsys, tmp_path):
    # Rows of one word and a number look like GloVe vectors, but a table's
    # reader reads them as texts and labels.
    table = tmp_path / "texts.tsv"
    table.write_text("text\tlabel\ngood\t1\nbad\t0\nfilm\t1\n", encoding="utf-8")
    assert main(["predict", "--model", files["model"], str(table)]) == 0
    assert capsys.readouterr().out.count('"label"') == 3


def test_predict_folder_input_names_folder(files, capsys):
    folder = files["folder"]
    err = _error(capsys, ["predict", "--model", files["model"], str(folder)])
    assert f"input {folder} is a folder" in err
    assert "Errno" not in err


def test_predict_text_input_passes_check(files, capsys):
    argv = ["predict", "--model", files["model"], files["unlabeled"]]
    assert main(argv) == 0
    assert '"label"' in capsys.readouterr().out


def test_select_rejects_same_vectors_twice(files, capsys):
    vectors = files["vectors"]
    alias = str(Path(vectors).parent / "." / Path(vectors).name)
    argv = ["select", "--data", files["labeled"], "--vectors", vectors]
    argv += ["--vectors", alias]
    err = _error(capsys, argv)
    assert f"--vectors names {vectors} and {alias}, the same file" in err
    assert "pass each vectors file once" in err


@pytest.mark.parametrize("flag", ["vectors", "continue_from", "model", "tokens"])
def test_fifo_input_rejected_without_reading(tmp_path, flag):
    from argparse import Namespace

    from embedsent.cli_paths import check_input_paths

    fifo = tmp_path / "pipe.txt"
    os.mkfifo(fifo)
    values = {"data": "default", flag: str(fifo)}
    args = Namespace(command="pretrain", **values)
    errors = errors_without_blocking(lambda: check_input_paths(args))
    option = "--" + flag.replace("_", "-")
    assert len(errors) == 1
    message = errors[0]
    assert message.startswith(f"{option} {fifo} is a FIFO (named pipe), such as")
    assert "shell process substitution <(...)" in message
    assert "a pipe can be read only once" in message
    assert message.endswith(
        "write the output to a regular file first and pass that file"
    )


def test_fifo_unlabeled_accepted_without_reading(tmp_path):
    from argparse import Namespace

    from embedsent.cli_paths import check_input_paths

    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    args = Namespace(command="select", data="default", unlabeled=str(fifo))
    assert errors_without_blocking(lambda: check_input_paths(args)) == []


def test_predict_reads_fifo_input(files, capsys, tmp_path):
    fifo = tmp_path / "63"
    os.mkfifo(fifo)
    writer = feed_fifo(fifo, b"a good film\na bad plot\n")
    assert main(["predict", "--model", files["model"], str(fifo)]) == 0
    writer.join(timeout=10)
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2
    assert '"text": "a good film"' in lines[0]


def test_predict_utf16_fifo_advises_encoding(files, capsys, tmp_path):
    fifo = tmp_path / "63"
    os.mkfifo(fifo)
    writer = feed_fifo(fifo, "a good film\n".encode("utf-16"))
    err = _error(capsys, ["predict", "--model", files["model"], str(fifo)])
    writer.join(timeout=10)
    assert f"{fifo} is a UTF-16 text file" in err
    assert "pass --encoding utf-16" in err


def test_unlabeled_fifo_read_once(tmp_path):
    from argparse import Namespace

    from embedsent.cli_input import read_unlabeled_file

    fifo = tmp_path / "63"
    os.mkfifo(fifo)
    writer = feed_fifo(fifo, b"a good film\n\na bad plot\n")
    args = Namespace(text_column="text", encoding="utf-8", encoding_errors="strict")
    assert read_unlabeled_file(str(fifo), args) == ["a good film", "a bad plot"]
    writer.join(timeout=10)


def test_output_below_a_file_names_the_file(files, capsys, tmp_path):
    blocker = tmp_path / "afile"
    blocker.write_text("x", encoding="utf-8")
    argv = ["train", "--vectors", files["vectors"], "--data", files["labeled"]]
    err = _error(capsys, [*argv, "--out", str(blocker / "m.npz")])
    assert f"{blocker} is a file, so no folder can be below it" in err


def test_symlink_loop_output_named_without_traceback(files, capsys, tmp_path):
    (tmp_path / "loop1").symlink_to(tmp_path / "loop2")
    (tmp_path / "loop2").symlink_to(tmp_path / "loop1")
    argv = ["train", "--vectors", files["vectors"], "--data", files["labeled"]]
    err = _error(capsys, [*argv, "--out", str(tmp_path / "loop1")])
    assert "is a loop of symbolic links, not a regular file" in err


def test_train_pipe_data_names_pipe(files, capsys, tmp_path):
    fifo = tmp_path / "63"
    os.mkfifo(fifo)
    writer = feed_fifo(fifo, Path(files["labeled"]).read_bytes())
    err = _error(
        capsys, _train(files, "--vectors", files["vectors"], "--data", str(fifo))
    )
    writer.join(timeout=10)
    assert (
        f"--data {fifo} is a pipe, so its kind (table or aclImdb archive) cannot "
        "be told from a file name; save it to a file ending in .csv, .tsv or "
        ".jsonl and pass that file"
    ) in err
    assert "Read as an aclImdb tar archive, it failed: " in err


def test_pretrain_pipe_data_lists_txt_suffix(files, capsys, tmp_path):
    fifo = tmp_path / "63"
    os.mkfifo(fifo)
    writer = feed_fifo(fifo, b"a good film\na bad plot\n")
    out = str(tmp_path / "out.txt")
    err = _error(capsys, ["pretrain", "--data", str(fifo), "--out", out])
    writer.join(timeout=10)
    assert "its kind (table, text lines or aclImdb archive)" in err
    assert "a file ending in .csv, .tsv, .jsonl or .txt" in err


def test_train_pipe_data_reads_aclimdb_archive(capsys, tmp_path):
    archive = tmp_path / "aclImdb.tar.gz"
    reviews = {"train/pos/0_9.txt": b"a good film", "train/neg/1_2.txt": b"a bad film"}
    with tarfile.open(archive, "w:gz") as tar:
        for name, content in reviews.items():
            member = tarfile.TarInfo(f"aclImdb/{name}")
            member.size = len(content)
            tar.addfile(member, io.BytesIO(content))
    vectors = tmp_path / "v.txt"
    vectors.write_text("2 2\ngood 1 0\nbad 0 1\n", encoding="utf-8")
    fifo = tmp_path / "63"
    os.mkfifo(fifo)
    writer = feed_fifo(fifo, archive.read_bytes())
    argv = ["train", "--vectors", str(vectors), "--data", str(fifo)]
    assert main([*argv, "--out", str(tmp_path / "m.npz")]) == 0
    writer.join(timeout=10)
    assert "trained on 2 texts" in capsys.readouterr().out


def test_character_device_data_names_device(files, capsys):
    # /dev/null reads as an empty file, so the test passes /dev/zero.
    err = _error(
        capsys, _train(files, "--vectors", files["vectors"], "--data", "/dev/zero")
    )
    assert "--data /dev/zero is a character device, so its kind" in err
    assert "save it to a file ending in .csv, .tsv or .jsonl" in err


@pytest.mark.parametrize(
    ("name", "command", "tool"),
    [
        ("labeled.csv.gz", "train", "gunzip -k"),
        ("labeled.jsonl.bz2", "train", "bunzip2 -k"),
        ("texts.txt.gz", "pretrain", "gunzip -k"),
    ],
)
def test_compressed_table_data_says_decompress(
    files, capsys, tmp_path, name, command, tool
):
    path = tmp_path / name
    path.write_bytes(gzip.compress(b"text,label\ngood,pos\n"))
    argv = [command, "--data", str(path), "--out", str(tmp_path / "out.npz")]
    if command == "train":
        argv += ["--vectors", files["vectors"]]
    err = _error(capsys, argv)
    inner = Path(name).suffixes[0]
    assert f"--data {path} is a " in err
    assert f"-compressed {inner} file, but compressed tables and text files" in err
    assert f"decompress it first, for example with `{tool} {path}`" in err
    assert "as a tar archive" not in err


def test_compare_compressed_table_names_table(capsys, tmp_path):
    path = tmp_path / "labeled.csv.gz"
    path.write_bytes(gzip.compress(b"text,label\ngood,pos\n"))
    err = _error(capsys, ["compare", "--data", str(path)])
    assert (
        "`embedsent compare` cannot read a .csv/.tsv/.jsonl/.ndjson/.json table" in err
    )


@pytest.mark.parametrize("command", ["train", "pretrain"])
def test_stdin_data_says_not_read(files, capsys, tmp_path, command):
    argv = [command, "--data", "-", "--out", str(tmp_path / "out.npz")]
    if command == "train":
        argv += ["--vectors", files["vectors"]]
    err = _error(capsys, argv)
    assert "--data -: standard input is not read for --data" in err
    assert "only `embedsent predict` reads standard input" in err
    assert "not found" not in err


def test_redirected_table_names_missing_suffix(files, tmp_path):
    table = tmp_path / "labeled.csv"
    table.write_text("text,label\ngood film,pos\nbad film,neg\n", encoding="utf-8")
    command = [sys.executable, "-m", "embedsent.cli", "train"]
    command += ["--vectors", str(files["vectors"]), "--data", "/dev/stdin"]
    command += ["--out", str(tmp_path / "model.npz")]
    with table.open("rb") as stdin:
        completed = subprocess.run(command, stdin=stdin, capture_output=True, text=True)
    assert completed.returncode == 2
    assert "/dev/stdin has none; pass the file's own path" in completed.stderr


def _bundle_output_argv(files, command: str, flag: str, value: str, tmp_path):
    if command == "pretrain":
        out = str(tmp_path / "v.txt")
        return ["pretrain", "--data", "default", "--out", out, flag, value]
    return [command, "--vectors", files["vectors"], "--data", "default", flag, value]


def _record_runs(monkeypatch) -> list[str]:
    ran = []

    def record(args):
        ran.append(args.command)
        return 0

    for command in ("train", "select", "pretrain"):
        monkeypatch.setitem(embedsent.cli.COMMANDS, command, record)
    return ran


@pytest.mark.parametrize(
    ("command", "flag", "name", "found", "kind", "suggested"),
    [
        (
            "train",
            "--out",
            "model.txt",
            ".txt marks a text file",
            "an embedsent classifier model",
            "model.npz",
        ),
        (
            "train",
            "--out",
            "model.tar.gz",
            ".tar.gz marks a compressed tar archive",
            "an embedsent classifier model",
            "model.npz",
        ),
        (
            "train",
            "--out",
            "Model.VEC",
            ".VEC marks word vectors in text format",
            "an embedsent classifier model",
            "Model.npz",
        ),
        (
            "select",
            "--out",
            "model.csv",
            ".csv marks a table",
            "an embedsent classifier model",
            "model.npz",
        ),
        (
            "pretrain",
            "--save-model",
            "sgns.bin",
            ".bin marks word vectors in word2vec binary format",
            "an SGNS pretraining model",
            "sgns.npz",
        ),
        (
            "pretrain",
            "--checkpoint",
            "run.json",
            ".json marks a JSON file",
            "an SGNS training checkpoint",
            "run.npz",
        ),
    ],
)
def test_bundle_output_foreign_suffix_rejected(
    files, capsys, monkeypatch, tmp_path, command, flag, name, found, kind, suggested
):
    ran = _record_runs(monkeypatch)
    path = tmp_path / name
    err = _error(capsys, _bundle_output_argv(files, command, flag, str(path), tmp_path))
    assert f"{flag} {path}: the suffix {found}, " in err
    assert f"but {flag} writes {kind}, which is a zip (.npz) file." in err
    assert f"Pass {flag} {tmp_path / suggested} instead." in err
    assert "rename" not in err
    assert ran == []
    assert not path.exists()


@pytest.mark.parametrize(
    ("command", "flag", "name"),
    [
        ("train", "--out", "model.npz"),
        ("train", "--out", "model"),
        ("select", "--out", "model.NPZ"),
        ("pretrain", "--save-model", "sgns"),
        ("pretrain", "--checkpoint", "run.ckpt"),
    ],
)
def test_bundle_output_npz_or_bare_accepted(
    files, monkeypatch, tmp_path, command, flag, name
):
    ran = _record_runs(monkeypatch)
    argv = _bundle_output_argv(files, command, flag, str(tmp_path / name), tmp_path)
    assert main(argv) == 0
    assert ran == [command]


def test_pretrain_vectors_output_accepts_txt(monkeypatch, tmp_path):
    ran = _record_runs(monkeypatch)
    assert (
        main(["pretrain", "--data", "default", "--out", str(tmp_path / "v.txt")]) == 0
    )
    assert ran == ["pretrain"]


def test_existing_checkpoint_foreign_suffix_says_rename(
    files, capsys, monkeypatch, tmp_path
):
    from embedsent.file_kinds import CHECKPOINT_FORMAT
    from embedsent.storage import save_bundle

    ran = _record_runs(monkeypatch)
    checkpoint = tmp_path / "run.txt"
    save_bundle(checkpoint, {"format": CHECKPOINT_FORMAT}, {})
    argv = _bundle_output_argv(
        files, "pretrain", "--checkpoint", str(checkpoint), tmp_path
    )
    err = _error(capsys, argv)
    assert f"Pass --checkpoint {tmp_path / 'run.npz'} instead." in err
    assert "To resume from the existing checkpoint, rename the file to that" in err
    assert ran == []


@pytest.mark.parametrize("name", ["rel.txt", "rel", "rel.jpeg"])
def test_diagnose_plot_other_suffix_rejected(
    files, capsys, monkeypatch, tmp_path, name
):
    ran = []
    monkeypatch.setitem(embedsent.cli.COMMANDS, "diagnose", ran.append)
    path = tmp_path / name
    argv = ["diagnose", "--model", str(files["model"]), "--data", "default"]
    err = _error(capsys, [*argv, "--plot", str(path)])
    assert f"--plot {path} has " in err
    assert "pass a name ending in .png, .pdf or .svg" in err
    assert ran == []
    assert not path.exists()


@pytest.mark.parametrize(
    ("name", "content", "kind"),
    [
        ("run.csv", "text,label\ngood film,pos\n", "a .csv table (a text file)"),
        ("run.tsv", "text\tlabel\ngood film\tpos\n", "a .tsv table (a text file)"),
        (
            "run.jsonl",
            '{"text": "good film", "label": "pos"}\n',
            "a .jsonl table (a text file)",
        ),
    ],
)
def test_checkpoint_table_named_as_table(files, capsys, tmp_path, name, content, kind):
    table = tmp_path / name
    table.write_text(content, encoding="utf-8")
    err = _error(capsys, _pretrain(files, "--checkpoint", str(table)))
    assert f"--checkpoint {table} is {kind}, not an SGNS training checkpoint." in err
    assert "a text file," not in err
    assert table.read_text(encoding="utf-8") == content
