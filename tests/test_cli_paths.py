"""Missing inputs and inputs of the wrong kind are named with their flag."""

import os
import zipfile
from pathlib import Path

import pytest

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


def test_train_model_as_vectors_names_kind(files, capsys):
    argv = _train(files, "--vectors", files["model"], "--data", files["labeled"])
    err = _error(capsys, argv)
    assert "is an embedsent classifier model, not a word-vector file" in err
    assert "--model of `embedsent predict`" in err
    assert "utf-8" not in err


def test_gensim_format_on_text_names_file(files, capsys):
    argv = _train(files, "--vectors", files["vectors"], "--data", files["labeled"])
    err = _error(capsys, [*argv, "--vectors-format", "gensim"])
    assert f"{files['vectors']} is word vectors in word2vec text format" in err
    assert "not a gensim KeyedVectors file" in err
    assert "--vectors-format auto" in err
    assert "MARK" not in err


def test_train_unlabeled_txt_lists_inputs(files, capsys):
    argv = _train(files, "--vectors", files["vectors"], "--data", files["unlabeled"])
    err = _error(capsys, argv)
    assert f"--data {files['unlabeled']}" in err
    assert "texts without labels" in err
    assert "a .csv/.tsv/.jsonl file with text and label columns" in err
    assert "tar archive" not in err


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


def _deny_write(monkeypatch, denied: Path) -> None:
    """Make os.access report ``denied`` as not writable.

    Permission bits do not stop root, so a chmod would not make the check fail
    when the tests run as root.
    """
    real_access = os.access

    def access(path, mode, *args, **kwargs):
        if Path(path) == denied and mode & os.W_OK:
            return False
        return real_access(path, mode, *args, **kwargs)

    monkeypatch.setattr(os, "access", access)


def _fail_if_run(args):
    raise AssertionError("the command ran although an output path is unwritable")


@pytest.mark.parametrize("flag", ["--out", "--save-model", "--checkpoint"])
def test_unwritable_output_folder_rejected_before_work(
    capsys, monkeypatch, tmp_path, flag
):
    monkeypatch.setitem(embedsent.cli.COMMANDS, "pretrain", _fail_if_run)
    locked = tmp_path / "locked"
    locked.mkdir()
    _deny_write(monkeypatch, locked)
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
    _deny_write(monkeypatch, out)
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


def test_report_only_does_not_check_data(tmp_path):
    from argparse import Namespace

    from embedsent.cli_paths import check_input_paths

    missing = str(tmp_path / "absent.tar.gz")
    args = Namespace(command="bench", target="transfer", data=missing)
    with pytest.raises(FileNotFoundError, match="absent.tar.gz"):
        check_input_paths(args)
    check_input_paths(Namespace(**vars(args), report_only=True))
