"""A folder or device given as an input file is named with its flag and a fix."""

import os
from pathlib import Path

import pytest

from embedsent.cli import main
from embedsent.datasets import read_text

_needs_devices = pytest.mark.skipif(
    not (Path("/dev/null").is_char_device() and Path("/dev/zero").is_char_device()),
    reason="needs /dev/null and /dev/zero",
)


@pytest.fixture(scope="module")
def files(tiny_model_files):
    return tiny_model_files


def _error(capsys, argv) -> str:
    assert main(argv) == 2
    return capsys.readouterr().err


def test_train_data_csv_folder(files, tmp_path, capsys):
    folder = tmp_path / "adir.csv"
    folder.mkdir()
    argv = ["train", "--vectors", str(files["vectors"]), "--data", str(folder)]
    err = _error(capsys, [*argv, "--out", str(tmp_path / "m.npz")])
    assert (
        f"--data {folder} is a folder, but `embedsent train` reads a --data path "
        "ending in .csv as a table; pass the path of the file itself" in err
    )
    assert "aclImdb folder" in err
    assert "rename the folder without .csv" in err


def test_pretrain_data_txt_folder(tmp_path, capsys):
    folder = tmp_path / "adir.txt"
    folder.mkdir()
    argv = ["--no-progress", "pretrain", "--data", str(folder)]
    err = _error(capsys, [*argv, "--out", str(tmp_path / "x.txt")])
    assert f"--data {folder} is a folder" in err
    assert "as a text file with one text per line" in err


def test_compare_data_csv_folder(tmp_path, capsys):
    folder = tmp_path / "adir.csv"
    folder.mkdir()
    argv = ["--no-progress", "compare", "--data", str(folder), "--sizes", "8"]
    err = _error(capsys, [*argv, "--draws", "1"])
    assert "is a folder, but" not in err
    assert "aclImdb" in err


@_needs_devices
def test_predict_null_device_empty(files, capsys):
    assert main(["predict", "--model", str(files["model"]), os.devnull]) == 0
    assert capsys.readouterr().out == ""


@_needs_devices
def test_predict_zero_device_rejected(files, capsys):
    err = _error(capsys, ["predict", "--model", str(files["model"]), "/dev/zero"])
    assert (
        "input /dev/zero is a character device, not a regular file; save the "
        "texts to a file and pass that file, or pipe them to standard input "
        "and pass -" in err
    )


@_needs_devices
def test_pretrain_data_null_device(tmp_path, capsys):
    argv = ["--no-progress", "pretrain", "--data", os.devnull]
    err = _error(capsys, [*argv, "--out", str(tmp_path / "x.txt")])
    assert "--data /dev/null is the null device, which reads as an empty file" in err
    assert "--data accepts" in err


def test_read_text_folder(tmp_path):
    with pytest.raises(ValueError, match="is a folder, not a file; pass the path"):
        read_text(tmp_path)


@_needs_devices
def test_read_text_devices():
    assert read_text(os.devnull) == ""
    with pytest.raises(ValueError, match="is a character device, not a regular"):
        read_text("/dev/zero")
