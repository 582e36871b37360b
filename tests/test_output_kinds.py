"""An output flag rejects an existing file of another kind before any work."""

import argparse
import json
import shutil
from pathlib import Path

import pytest

from embedsent.cli import main
from embedsent.cli_paths import check_output_paths
from embedsent.file_kinds import CHECKPOINT_FORMAT, MODEL_FORMAT
from embedsent.sgns_model import SGNSModel
from embedsent.storage import as_report, save_bundle

_REPLACE_FIX = "pass another path, or delete it first if you mean to replace it"


@pytest.fixture(scope="module")
def files(tiny_model_files):
    return tiny_model_files


def _copy(files, name: str, tmp_path: Path, new_name: str) -> Path:
    copy = tmp_path / new_name
    shutil.copyfile(files[name], copy)
    return copy


def _assert_rejected(capsys, argv, path: Path) -> str:
    before = path.read_bytes()
    assert main(argv) == 2
    assert path.read_bytes() == before
    err = capsys.readouterr().err
    assert _REPLACE_FIX in err
    return err


def _pretrain(tmp_path, *extra):
    out = str(tmp_path / "out.txt")
    argv = ["--no-progress", "pretrain", "--data", "default", "--out", out]
    return [*argv, *extra]


def test_compare_json_over_csv(files, tmp_path, capsys):
    csv = _copy(files, "labeled", tmp_path, "labeled.csv")
    argv = ["--no-progress", "compare", "--sizes", "8", "--draws", "1"]
    err = _assert_rejected(capsys, [*argv, "--json", str(csv)], csv)
    kind = "a .csv table (a text file), not an embedsent JSON report"
    assert f"--json {csv} is {kind}" in err


def test_save_model_over_classifier(files, tmp_path, capsys):
    model = _copy(files, "model", tmp_path, "model.npz")
    err = _assert_rejected(
        capsys, _pretrain(tmp_path, "--save-model", str(model)), model
    )
    assert (
        f"--save-model {model} is an embedsent classifier model, not an SGNS "
        "pretraining model" in err
    )


@pytest.mark.parametrize(
    ("source", "name", "found"),
    [
        ("model", "model.bin", "an embedsent classifier model"),
        ("labeled", "labeled.csv", "a .csv table (a text file)"),
        ("sgns", "sgns.bin", "an SGNS pretraining model"),
    ],
)
def test_pretrain_out_over_other_kinds(files, tmp_path, capsys, source, name, found):
    path = _copy(files, source, tmp_path, name)
    argv = ["--no-progress", "pretrain", "--data", "default", "--out", str(path)]
    err = _assert_rejected(capsys, argv, path)
    assert f"--out {path} is {found}, not a word-vector file" in err


def test_pretrain_out_over_classifier_npz(files, tmp_path, capsys):
    model = _copy(files, "model", tmp_path, "model.npz")
    argv = ["--no-progress", "pretrain", "--data", "default", "--out", str(model)]
    err = _assert_rejected(capsys, argv, model)
    assert "is an embedsent classifier model, not a word-vector file" in err


def test_pretrain_out_npz_suffix(tmp_path, capsys):
    out = tmp_path / "vectors.npz"
    argv = ["--no-progress", "pretrain", "--data", "default", "--out", str(out)]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "writes word vectors in word2vec text format, not an .npz file" in err
    assert f"--save-model {out}" in err
    assert not out.exists()
    assert main([*argv, "--binary"]) == 2
    assert "give --out the suffix .bin" in capsys.readouterr().err


def test_pretrain_text_out_rejects_bin(tmp_path, capsys):
    out = tmp_path / "vectors.bin"
    argv = ["--no-progress", "pretrain", "--data", "default", "--out", str(out)]
    assert main(argv) == 2
    err = " ".join(capsys.readouterr().err.split())
    assert f"--out {out}: the suffix .bin marks a word2vec binary file" in err
    assert f"unless you add --binary. Pass --out {tmp_path / 'vectors.txt'}" in err
    assert not out.exists()


@pytest.mark.parametrize(
    ("name", "marks", "suggested"),
    [
        ("vectors.csv", "the suffix .csv marks a table", "vectors.txt"),
        ("vectors.txt.gz", "the suffix .gz marks a gzip", "vectors.txt"),
        ("vectors.json", "the suffix .json marks a JSON file", "vectors.txt"),
        ("vectors.npy", "the suffix .npy marks a NumPy array", "vectors.txt"),
    ],
)
def test_pretrain_out_other_kind_suffix(tmp_path, capsys, name, marks, suggested):
    out = tmp_path / name
    argv = ["--no-progress", "pretrain", "--data", "default", "--out", str(out)]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert f"--out {out}: {marks}" in err
    assert f"Pass --out {tmp_path / suggested} instead." in err
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("save", "name", "marks", "suggested"),
    [
        ("text", "v.csv", "the suffix .csv marks a table", "v.txt"),
        ("text", "v.tsv.xz", "the suffix .tsv.xz marks", "v.txt"),
        ("binary", "v.npz", "the suffix .npz marks a NumPy zip", "v.bin"),
        ("glove", "v.txt.gz", "the suffix .gz marks a gzip", "v.txt"),
        ("glove", "v.jsonl", "the suffix .jsonl marks a table", "v.txt"),
        ("text", "v.parquet", "the suffix .parquet marks a Parquet table", "v.txt"),
        ("binary", "v.bin.zst", "the suffix .zst marks a Zstandard", "v.bin"),
        ("text", "v.zip", "the suffix .zip marks a zip archive", "v.txt"),
    ],
)
def test_vector_saves_reject_other_kind_suffix(tmp_path, save, name, marks, suggested):
    from embedsent.vectors import WordVectors

    vectors = WordVectors(["good", "bad"], [[1.0, 0.0], [0.0, 1.0]])
    writers = {
        "text": vectors.save_word2vec,
        "binary": lambda path: vectors.save_word2vec(path, binary=True),
        "glove": vectors.save_glove,
    }
    path = tmp_path / name
    with pytest.raises(ValueError) as raised:
        writers[save](path)
    message = str(raised.value)
    assert message.startswith(f"path {path}: {marks}")
    assert message.endswith(f"Save them as {tmp_path / suggested} instead.")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("save", ["save_word2vec", "save_glove"])
@pytest.mark.parametrize("name", ["v.bin", "v.BIN", "v.bin/"])
def test_text_vector_saves_reject_bin_name(tmp_path, save, name):
    from embedsent.vectors import WordVectors

    vectors = WordVectors(["good", "bad"], [[1.0, 0.0], [0.0, 1.0]])
    path = f"{tmp_path}/{name}"
    with pytest.raises(ValueError) as raised:
        getattr(vectors, save)(path)
    message = str(raised.value)
    assert message.startswith(f"path {path}: ")
    assert "word2vec binary file" in message
    assert "Call save_word2vec(path, binary=True) for word2vec binary." in message
    assert message.endswith(f"Save them as {tmp_path / 'v.txt'} instead.")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("name", ["v.txt", "v.VEC", "v.txt/"])
def test_binary_vector_save_rejects_text_name(tmp_path, name):
    from embedsent.vectors import WordVectors

    vectors = WordVectors(["good", "bad"], [[1.0, 0.0], [0.0, 1.0]])
    path = f"{tmp_path}/{name}"
    with pytest.raises(ValueError) as raised:
        vectors.save_word2vec(path, binary=True)
    message = str(raised.value)
    assert message.startswith(f"path {path}: ")
    assert "but binary=True writes word2vec binary" in message
    assert message.endswith(f"Save them as {tmp_path / 'v.bin'} instead.")
    assert list(tmp_path.iterdir()) == []


def test_pretrain_binary_out_rejects_txt(tmp_path, capsys):
    out = tmp_path / "vectors.txt"
    argv = ["--no-progress", "pretrain", "--data", "default", "--out", str(out)]
    assert main([*argv, "--binary"]) == 2
    err = capsys.readouterr().err
    assert f"--out {out}: the suffix .txt marks a text file" in err
    assert f"Drop --binary for text, or pass --out {tmp_path / 'vectors.bin'}" in err
    assert not out.exists()


def test_text_vectors_saved_as_txt_after_bin_error(tmp_path):
    from embedsent.vectors import WordVectors

    vectors = WordVectors(["good", "bad"], [[1.0, 0.0], [0.0, 1.0]])
    with pytest.raises(ValueError):
        vectors.save_word2vec(tmp_path / "v.bin")
    vectors.save_word2vec(tmp_path / "v.txt")
    vectors.save_word2vec(tmp_path / "v.bin", binary=True)
    assert WordVectors.load(tmp_path / "v.txt").words == vectors.words
    assert WordVectors.load(tmp_path / "v.bin").words == vectors.words


@pytest.mark.parametrize("save", ["save_word2vec", "save_glove"])
def test_vector_saves_reject_trailing_separator(tmp_path, save):
    from embedsent.vectors import WordVectors

    vectors = WordVectors(["good", "bad"], [[1.0, 0.0], [0.0, 1.0]])
    with pytest.raises(ValueError, match="names a folder, not a file"):
        getattr(vectors, save)(f"{tmp_path / 'v.txt'}/")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("save", "name", "suggested"),
    [
        ("text", "v.csv/", "v.txt"),
        ("binary", "v.npz//", "v.bin"),
        ("glove", "v.txt.gz/", "v.txt"),
    ],
)
def test_vector_save_slash_suggests_suffix(tmp_path, save, name, suggested):
    from embedsent.vectors import WordVectors

    vectors = WordVectors(["good", "bad"], [[1.0, 0.0], [0.0, 1.0]])
    writers = {
        "text": vectors.save_word2vec,
        "binary": lambda path: vectors.save_word2vec(path, binary=True),
        "glove": vectors.save_glove,
    }
    path = f"{tmp_path}/{name}"
    with pytest.raises(ValueError) as raised:
        writers[save](path)
    message = str(raised.value)
    assert message.startswith(f"path {path}: the trailing '/' marks a folder, and ")
    assert message.endswith(f"Save them as {tmp_path / suggested} instead.")
    assert list(tmp_path.iterdir()) == []
    writers[save](tmp_path / suggested)
    assert (tmp_path / suggested).is_file()


@pytest.mark.parametrize(
    ("name", "binary"),
    [("v.txt", False), ("v.vec", False), ("vectors", False), ("v.bin", True)],
)
def test_vector_saves_accept_vector_names(tmp_path, name, binary):
    from embedsent.vectors import WordVectors

    vectors = WordVectors(["good", "bad"], [[1.0, 0.0], [0.0, 1.0]])
    vectors.save_word2vec(tmp_path / name, binary=binary)
    assert WordVectors.load(tmp_path / name).words == ["good", "bad"]


def test_train_out_over_sgns_model(files, tmp_path, capsys):
    sgns = _copy(files, "sgns", tmp_path, "sgns.npz")
    argv = ["train", "--vectors", str(files["vectors"]), "--data"]
    argv += [str(files["labeled"]), "--out", str(sgns)]
    err = _assert_rejected(capsys, argv, sgns)
    assert (
        f"--out {sgns} is an SGNS pretraining model, not an embedsent classifier "
        "model" in err
    )


def test_select_json_over_csv(files, tmp_path, capsys):
    csv = _copy(files, "labeled", tmp_path, "other.csv")
    argv = ["select", "--vectors", str(files["vectors"]), "--data"]
    argv += [str(files["labeled"]), "--json", str(csv)]
    err = _assert_rejected(capsys, argv, csv)
    assert "not an embedsent JSON report" in err


def test_diagnose_json_and_plot_kinds(files, tmp_path, capsys):
    vectors = _copy(files, "vectors", tmp_path, "vectors.json")
    argv = ["diagnose", "--model", str(files["model"]), "--data"]
    argv += [str(files["labeled"])]
    err = _assert_rejected(capsys, [*argv, "--json", str(vectors)], vectors)
    kind = "word vectors in word2vec text format, not an embedsent JSON report"
    assert f"is {kind}" in err
    plot = _copy(files, "model", tmp_path, "plot.png")
    err = _assert_rejected(capsys, [*argv, "--plot", str(plot)], plot)
    assert "not a PNG, PDF or SVG image" in err


def test_bench_sgns_json_over_csv(files, tmp_path):
    csv = _copy(files, "labeled", tmp_path, "trials.csv")
    args = argparse.Namespace(command="bench", target="sgns", json=str(csv))
    with pytest.raises(ValueError, match="not an embedsent JSON report"):
        check_output_paths(args)


def test_bench_transfer_folder_files(files, tmp_path, capsys):
    out_dir = tmp_path / "results"
    out_dir.mkdir()
    plot = out_dir / "transfer_curves.png"
    shutil.copyfile(files["labeled"], plot)
    argv = ["--no-progress", "bench", "transfer", "--data", "default"]
    argv += ["--out-dir", str(out_dir)]
    before = plot.read_bytes()
    assert main(argv) == 2
    assert plot.read_bytes() == before
    err = capsys.readouterr().err
    assert f"--out-dir {out_dir}: file {plot} is a text file, not a PNG image" in err
    assert "pass another --out-dir, or delete it first" in err

    docs = tmp_path / "docs"
    docs.mkdir()
    shutil.copyfile(files["model"], docs / "benchmarks.md")
    plot.unlink()
    assert main([*argv, "--docs-dir", str(docs)]) == 2
    err = capsys.readouterr().err
    assert "is an embedsent classifier model, not a Markdown text file" in err


def test_bench_transfer_keeps_results_file(tmp_path, capsys):
    from embedsent.run_store import RunStore

    out_dir = tmp_path / "results"
    out_dir.mkdir()
    results = out_dir / "transfer_curves.json"
    RunStore(results, {"seed": 0}).add(
        {"method": "transfer", "feature": "mean", "n": 4, "draw": 0, "accuracy": 1}
    )
    args = argparse.Namespace(
        command="bench", target="transfer", out_dir=str(out_dir), docs_dir=None
    )
    check_output_paths(args)  # A results file of its own is resumed.
    other = '{"a": 1}\n'
    results.write_text(other, encoding="utf-8")
    with pytest.raises(ValueError) as raised:
        check_output_paths(args)
    message = str(raised.value)
    assert "is a JSON file, not an embedsent learning-curve results file" in message
    assert results.read_text(encoding="utf-8") == other


def test_compare_json_over_results_file_names_it(tmp_path, capsys):
    from embedsent.run_store import RunStore

    results = tmp_path / "transfer_curves.json"
    RunStore(results, {"seed": 0}).add(
        {"method": "transfer", "feature": "mean", "n": 4, "draw": 0, "accuracy": 1}
    )
    argv = ["--no-progress", "compare", "--sizes", "8", "--draws", "1"]
    err = _assert_rejected(capsys, [*argv, "--json", str(results)], results)
    assert (
        f"--json {results} is an embedsent learning-curve results file, not an "
        "embedsent JSON report"
    ) in err


def test_checkpoint_over_classifier(files, tmp_path, capsys):
    model = _copy(files, "model", tmp_path, "model.npz")
    before = model.read_bytes()
    assert main(_pretrain(tmp_path, "--checkpoint", str(model))) == 2
    assert model.read_bytes() == before
    assert "not an SGNS training checkpoint" in capsys.readouterr().err


def test_same_kind_outputs_replaced(files, tmp_path, capsys):
    vectors = _copy(files, "vectors", tmp_path, "vectors.txt")
    sgns = _copy(files, "sgns", tmp_path, "sgns.npz")
    argv = ["--no-progress", "pretrain", "--data", "default", "--out", str(vectors)]
    argv += ["--save-model", str(sgns), "--dim", "8", "--epochs", "1"]
    assert main(argv) == 0
    model = _copy(files, "model", tmp_path, "model.npz")
    report = tmp_path / "report.json"
    report.write_text(
        json.dumps(as_report("diagnose", {"accuracy": 0.5}), indent=2),
        encoding="utf-8",
    )
    plot = tmp_path / "plot.png"
    plot.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\x11tEXtCreator\x00embedsent")
    args = {
        "command": "diagnose",
        "out": None,
        "save_model": None,
        "json": str(report),
        "plot": str(plot),
    }
    check_output_paths(argparse.Namespace(**args))
    args = {"command": "train", "out": str(model), "json": None}
    check_output_paths(argparse.Namespace(**args))
    capsys.readouterr()


def test_empty_output_replaced(tmp_path):
    empty = tmp_path / "model.npz"
    empty.write_bytes(b"")
    check_output_paths(argparse.Namespace(command="train", out=str(empty)))


def test_json_lines_not_json_report(tmp_path):
    lines = tmp_path / "report.json"
    lines.write_text('{"text": "a", "label": "pos"}\n{"text": "b"}\n', "utf-8")
    args = argparse.Namespace(command="compare", json=str(lines))
    with pytest.raises(
        ValueError,
        match=r"is a JSON Lines file \(a text file\), not an embedsent JSON report",
    ):
        check_output_paths(args)
    single = tmp_path / "one.jsonl"
    single.write_text('{"text": "a", "label": "pos"}\n', "utf-8")
    with pytest.raises(ValueError, match=r"is a \.jsonl table"):
        check_output_paths(argparse.Namespace(command="compare", json=str(single)))
    compact = tmp_path / "compact.json"
    compact.write_text('{"embedsent_report": "compare", "runs": []}\n', "utf-8")
    check_output_paths(argparse.Namespace(command="compare", json=str(compact)))


@pytest.mark.parametrize(
    ("name", "content", "kind"),
    [
        ("one.json", '{"text": "great film", "label": "pos"}\n', "a JSON file"),
        ("package.json", '{"name": "x", "version": "1.0"}', "a JSON file"),
        ("arr.json", '[{"text": "a"}, {"text": "b"}]', "a JSON file"),
        ("nb.ipynb", '{\n "cells": [],\n "nbformat": 4\n}\n', "a JSON file"),
        ("pyproject.toml", '[project]\nname = "x"\n', "a text file"),
        ("config.ini", "[core]\n\tbare = false\n", "a text file"),
    ],
)
def test_json_output_keeps_other_json(tmp_path, name, content, kind):
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    args = argparse.Namespace(command="diagnose", json=str(path), plot=None)
    with pytest.raises(ValueError) as raised:
        check_output_paths(args)
    message = str(raised.value)
    assert f"is {kind}, not an embedsent JSON report" in message
    assert "delete it first if you mean to replace it" in message
    assert path.read_text(encoding="utf-8") == content


@pytest.mark.parametrize(
    "content",
    [
        b"Chapter 1\nIt was a dark and stormy night.\n",
        b"Rating 8 10\nA thoughtful film that I will watch again.\n",
        b"2024 12\nDear diary, today I watched a good movie.\nIt was great.\n",
    ],
)
def test_pretrain_out_keeps_numeric_prose(tmp_path, capsys, content):
    novel = tmp_path / "novel.txt"
    novel.write_bytes(content)
    argv = ["--no-progress", "pretrain", "--data", "default", "--out", str(novel)]
    err = _assert_rejected(capsys, argv, novel)
    assert f"--out {novel} is a .txt text file, not a word-vector file" in err


def test_json_report_of_other_command_kept(tmp_path):
    report = tmp_path / "cmp.json"
    content = json.dumps(as_report("compare", {"runs": []}), indent=2)
    report.write_text(content, encoding="utf-8")
    args = argparse.Namespace(command="diagnose", json=str(report), plot=None)
    with pytest.raises(ValueError) as raised:
        check_output_paths(args)
    message = str(raised.value)
    assert f"--json {report} is the JSON report of `embedsent compare`" in message
    assert "`embedsent diagnose` would replace it" in message
    assert "pass another --json path, or delete the file first" in message
    assert report.read_text(encoding="utf-8") == content
    bench = argparse.Namespace(command="bench", target="sgns", json=str(report))
    with pytest.raises(ValueError, match="`embedsent bench sgns` would replace"):
        check_output_paths(bench)


def test_json_report_of_same_command_replaced(tmp_path):
    report = tmp_path / "sgns.json"
    report.write_text(json.dumps(as_report("bench sgns", {})), encoding="utf-8")
    bench = argparse.Namespace(command="bench", target="sgns", json=str(report))
    check_output_paths(bench)
    seeds = tmp_path / "seeds.json"
    seeds.write_text(json.dumps(as_report("bench_seeds", {})), encoding="utf-8")
    with pytest.raises(ValueError, match="report of benchmarks/bench_seeds.py"):
        check_output_paths(argparse.Namespace(command="select", json=str(seeds)))


def test_json_report_keeps_json_lines_of_reports(tmp_path):
    # --json names a .json file, so the kind comes from the content alone.
    runs = tmp_path / "runs.json"
    lines = [json.dumps(as_report("diagnose", {"run": i})) for i in range(3)]
    runs.write_text("\n".join(lines) + "\n", encoding="utf-8")
    before = runs.read_bytes()
    args = argparse.Namespace(command="diagnose", json=str(runs), plot=None)
    with pytest.raises(ValueError) as raised:
        check_output_paths(args)
    message = str(raised.value)
    assert f"--json {runs} is a JSON Lines file (a text file)" in message
    assert "delete it first if you mean to replace it" in message
    assert runs.read_bytes() == before
    # A report on one line, as json.dumps writes it, is still replaced.
    runs.write_text(lines[0] + "\n", encoding="utf-8")
    check_output_paths(args)


def test_report_key_comes_first():
    text = json.dumps(as_report("select", {"winner": "mean"}), indent=2)
    assert text.startswith('{\n  "embedsent_report": "select",')
    assert list(json.loads(text)) == ["embedsent_report", "winner"]


def test_plot_output_keeps_other_images(tmp_path):
    paper = tmp_path / "paper.pdf"
    paper.write_bytes(b"%PDF-1.5\n%some paper\n")
    args = argparse.Namespace(command="diagnose", json=None, plot=str(paper))
    with pytest.raises(ValueError, match="is a PDF file that embedsent did not draw"):
        check_output_paths(args)
    assert paper.read_bytes() == b"%PDF-1.5\n%some paper\n"


@pytest.mark.parametrize("suffix", ["pdf", "png", "svg"])
def test_plot_output_replaces_only_images_embedsent_drew(tmp_path, suffix):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from embedsent.output_kinds import PLOT_METADATA

    own = tmp_path / f"reliability.{suffix}"
    thesis = tmp_path / f"thesis_fig3.{suffix}"
    figure = plt.figure()
    try:
        figure.add_subplot().plot([1, 2])
        figure.savefig(own, metadata=PLOT_METADATA)
        # A user's own figure, and a plot of an embedsent version before
        # PLOT_METADATA, name only matplotlib.
        figure.savefig(thesis)
    finally:
        plt.close(figure)
    check_output_paths(argparse.Namespace(command="diagnose", json=None, plot=own))
    args = argparse.Namespace(command="diagnose", json=None, plot=str(thesis))
    with pytest.raises(ValueError) as raised:
        check_output_paths(args)
    message = str(raised.value)
    assert "that embedsent did not draw" in message
    assert _REPLACE_FIX in message


def test_embedsent_plots_carry_creator_tag(tmp_path):
    from embedsent.calibration import Calibration, plot_reliability
    from embedsent.output_kinds import PLOT_IMAGE, check_replaceable

    calibration = Calibration(
        edges=[0.0, 0.5, 1.0],
        accuracy=[0.2, 0.9],
        confidence=[0.3, 0.8],
        counts=[3, 4],
        ece=0.1,
    )
    for suffix in ("png", "svg", "pdf"):
        path = tmp_path / f"plot.{suffix}"
        plot_reliability(calibration, path)
        plot_reliability(calibration, path)
        check_replaceable(path, PLOT_IMAGE, "--plot")


def test_plot_output_names_foreign_png(tmp_path):
    from PIL import Image

    photo = tmp_path / "photo.png"
    Image.new("RGB", (4, 4), "red").save(photo)
    before = photo.read_bytes()
    args = argparse.Namespace(command="diagnose", json=None, plot=str(photo))
    with pytest.raises(ValueError) as raised:
        check_output_paths(args)
    message = str(raised.value)
    assert f"--plot {photo} is a PNG image that embedsent did not draw" in message
    assert "not a PNG" not in message
    assert _REPLACE_FIX in message
    assert photo.read_bytes() == before


@pytest.mark.parametrize(
    ("name", "write", "kind"),
    [
        (
            "model.npz",
            lambda path: save_bundle(path, {"format": MODEL_FORMAT}, {}),
            "an embedsent classifier model",
        ),
        (
            "run.ckpt",
            lambda path: save_bundle(path, {"format": CHECKPOINT_FORMAT}, {}),
            "an SGNS training checkpoint",
        ),
        ("labeled", lambda path: path.write_text("text,label\n"), "a text file"),
    ],
)
def test_sgns_save_keeps_file_of_other_kind(files, tmp_path, name, write, kind):
    path = tmp_path / name
    write(path)
    before = path.read_bytes()
    with pytest.raises(ValueError) as raised:
        SGNSModel.load(files["sgns"]).save(path)
    message = str(raised.value)
    assert f"path {path} is {kind}, not an SGNS pretraining model; " in message
    assert _REPLACE_FIX in message
    assert path.read_bytes() == before


def test_sgns_save_replaces_own_and_empty_file(files, tmp_path):
    path = tmp_path / "sgns.npz"
    path.write_bytes(b"")
    model = SGNSModel.load(files["sgns"])
    model.save(path)
    model.save(path)
    assert SGNSModel.load(path).vocab.tokens == model.vocab.tokens


def test_output_rejects_dash_and_standard_output(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for value, message in [
        ("-", "--json - would write a file named '-', not standard output"),
        ("/dev/stdout", "--json /dev/stdout is standard output"),
    ]:
        args = argparse.Namespace(command="diagnose", json=value, plot=None)
        with pytest.raises(ValueError, match="pass a file path") as raised:
            check_output_paths(args)
        assert message in str(raised.value)
    assert list(tmp_path.iterdir()) == []


def test_output_rejects_file_behind_redirected_stdout(tmp_path):
    import subprocess
    import sys

    log = tmp_path / "o2"
    script = (
        "import argparse, sys\n"
        "from embedsent.cli_paths import check_output_paths\n"
        "print('text report', flush=True)\n"
        "args = argparse.Namespace(command='diagnose', json=sys.argv[1], plot=None)\n"
        "check_output_paths(args)\n"
    )
    with open(log, "w", encoding="utf-8") as stdout:
        completed = subprocess.run(
            [sys.executable, "-c", script, str(log)],
            stdout=stdout,
            stderr=subprocess.PIPE,
            text=True,
        )
    assert completed.returncode != 0
    assert "is the file that standard output or standard error" in completed.stderr
    assert log.read_text(encoding="utf-8") == "text report\n"


def test_empty_checkpoint_starts_fresh_run(tmp_path, capsys):
    checkpoint = tmp_path / "ck.npz"
    checkpoint.write_bytes(b"")
    out = tmp_path / "x.txt"
    argv = ["--no-progress", "pretrain", "--data", "default", "--out", str(out)]
    argv += ["--checkpoint", str(checkpoint), "--dim", "8", "--epochs", "1"]
    assert main(argv) == 0, capsys.readouterr().err
    assert out.stat().st_size > 0
    assert checkpoint.read_bytes()[:2] == b"PK"
