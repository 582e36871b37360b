import argparse
import json
import logging
import subprocess
import sys

import pytest

from embedsent.cli import build_parser, main
from embedsent.cli_paths import TABLE_FILES, TABLE_SUFFIXES
from embedsent.commands import configs
from embedsent.config import ClassifierConfig
from embedsent.console import format_signed

TINY = ["--dim", "8", "--epochs", "2", "--min-count", "1", "--batch-size", "64"]


def test_help_of_every_command_states_defaults(capsys):
    for command in (
        "demo",
        "pretrain",
        "train",
        "predict",
        "compare",
        "serve",
        "diagnose",
        "select",
        "bench",
    ):
        with pytest.raises(SystemExit) as stopped:
            main([command, "--help"])
        assert stopped.value.code == 0
    text = capsys.readouterr().out
    assert "(default: 100)" in text
    assert "word vector dimension" in text


def test_demo_prints_three_accuracies(capsys):
    assert main(["--no-progress", "demo"]) == 0
    out = capsys.readouterr().out
    assert "transfer (pretrained JAX vectors)" in out
    assert "scratch (untrained vectors)" in out
    assert out.count("% test accuracy") == 3


def test_pretrain_train_predict_round_trip(tmp_path, capsys):
    vectors = tmp_path / "vectors.txt"
    model = tmp_path / "model.npz"
    texts = tmp_path / "texts.txt"
    assert (
        main(
            [
                "--no-progress",
                "pretrain",
                "--data",
                "default",
                "--out",
                str(vectors),
                *TINY,
            ]
        )
        == 0
    )
    assert vectors.read_text().split()[1] == "8"
    assert (
        main(
            [
                "train",
                "--vectors",
                str(vectors),
                "--data",
                "default",
                "--out",
                str(model),
                "--hidden-size",
                "4",
            ]
        )
        == 0
    )
    texts.write_text("a wonderful film\nnot good, a boring waste\n")
    capsys.readouterr()
    assert main(["predict", "--model", str(model), str(texts)]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    records = [json.loads(line) for line in lines]
    assert [r["text"] for r in records] == [
        "a wonderful film",
        "not good, a boring waste",
    ]
    assert all(r["label"] in {"pos", "neg"} for r in records)
    assert all(abs(sum(r["probabilities"].values()) - 1) < 1e-6 for r in records)
    assert all(r["known_tokens"] >= 1 for r in records)


def test_predict_unknown_line_gets_class_prior(tmp_path, capsys, caplog):
    model = _train_small_model(tmp_path)
    texts = tmp_path / "texts.txt"
    texts.write_text("qwerty zxcvb\ngood film\n", encoding="utf-8")
    capsys.readouterr()
    with caplog.at_level(logging.WARNING):
        assert main(["predict", "--model", str(model), str(texts)]) == 0
    unknown, known = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert unknown["known_tokens"] == 0
    assert unknown["label"] == "pos"
    assert unknown["probabilities"] == pytest.approx({"neg": 1 / 3, "pos": 2 / 3})
    assert known["known_tokens"] == 2
    assert known["probabilities"] != pytest.approx({"neg": 1 / 3, "pos": 2 / 3})
    assert "1 of 2 texts has no in-vocabulary token" in caplog.text
    assert "the most frequent training label 'pos'" in caplog.text


def _train_small_model(tmp_path):
    vectors = tmp_path / "vectors.txt"
    vectors.write_text("3 2\ngood 1 0\nbad 0 1\nfilm 0.5 0.5\n", encoding="utf-8")
    labeled = tmp_path / "labeled.csv"
    rows = ["good film,pos", "good,pos", "bad film,neg"]
    labeled.write_text("text,label\n" + "\n".join(rows) + "\n", encoding="utf-8")
    model = tmp_path / "model.npz"
    argv = ["train", "--vectors", str(vectors), "--data", str(labeled)]
    assert main([*argv, "--out", str(model), "--classifier-epochs", "5"]) == 0
    return model


def test_predict_keys_booleans_as_json(tmp_path, capsys):
    vectors = tmp_path / "vectors.txt"
    vectors.write_text("3 2\ngood 1 0\nbad 0 1\nfilm 0.5 0.5\n", encoding="utf-8")
    labeled = tmp_path / "labeled.jsonl"
    rows = [("good film", True), ("good", True), ("bad film", False)]
    labeled.write_text(
        "".join(json.dumps({"text": t, "label": y}) + "\n" for t, y in rows),
        encoding="utf-8",
    )
    model = tmp_path / "model.npz"
    argv = ["train", "--vectors", str(vectors), "--data", str(labeled)]
    assert main([*argv, "--out", str(model), "--classifier-epochs", "5"]) == 0
    texts = tmp_path / "texts.txt"
    texts.write_text("good\n", encoding="utf-8")
    capsys.readouterr()
    assert main(["predict", "--model", str(model), str(texts)]) == 0
    line = capsys.readouterr().out.strip()
    assert '"label": true' in line
    record = json.loads(line)
    assert sorted(record["probabilities"]) == ["false", "true"]
    assert record["probabilities"][json.dumps(record["label"])] > 0.5


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("reviews.csv", "id,review,label\n0,good film,pos\n1,bad,neg\n"),
        ("reviews.tsv", "id\treview\tlabel\n0\tgood film\tpos\n1\tbad\tneg\n"),
        (
            "reviews.jsonl",
            '{"id": 0, "review": "good film", "label": "pos"}\n'
            '{"id": 1, "review": "bad", "label": "neg"}\n',
        ),
    ],
)
def test_predict_table_reads_text_column(tmp_path, capsys, name, content):
    model = _train_small_model(tmp_path)
    table = tmp_path / name
    table.write_text(content, encoding="utf-8")
    capsys.readouterr()
    argv = ["predict", "--model", str(model), "--text-column", "review"]
    assert main([*argv, str(table)]) == 0
    records = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [record["text"] for record in records] == ["good film", "bad"]
    assert [record["known_tokens"] for record in records] == [2, 1]


def test_predict_table_and_text_file_together(tmp_path, capsys):
    model = _train_small_model(tmp_path)
    table = tmp_path / "reviews.csv"
    table.write_text("text,label\ngood film,pos\n", encoding="utf-8")
    lines = tmp_path / "reviews.txt"
    lines.write_text("text,label\nbad\n", encoding="utf-8")
    capsys.readouterr()
    assert main(["predict", "--model", str(model), str(table), str(lines)]) == 0
    records = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    # A .txt file is read one text per line, even when a line looks like a header.
    assert [record["text"] for record in records] == ["good film", "text,label", "bad"]


def test_predict_table_missing_column_lists_columns(tmp_path, capsys):
    model = _train_small_model(tmp_path)
    table = tmp_path / "reviews.csv"
    table.write_text("id,review\n0,good film\n", encoding="utf-8")
    capsys.readouterr()
    assert main(["predict", "--model", str(model), str(table)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "column 'text' not found in the header of" in captured.err
    assert "columns found: ['id', 'review']" in captured.err
    assert "pass the column's name with --text-column" in captured.err


@pytest.mark.parametrize("later", ["missing.txt", "semicolons.csv"])
def test_predict_bad_later_input_writes_nothing(tmp_path, capsys, later):
    model = _train_small_model(tmp_path)
    first = tmp_path / "first.txt"
    first.write_text("good film\nbad\n", encoding="utf-8")
    (tmp_path / "semicolons.csv").write_text("text;label\ngood;pos\n", "utf-8")
    capsys.readouterr()
    argv = ["predict", "--model", str(model), str(first), str(tmp_path / later)]
    assert main(argv) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert later in captured.err


def test_predict_text_column_warns_without_table(tmp_path, caplog):
    model = _train_small_model(tmp_path)
    lines = tmp_path / "reviews.txt"
    lines.write_text("good film\n", encoding="utf-8")
    argv = ["predict", "--model", str(model), "--text-column", "review"]
    with caplog.at_level(logging.WARNING, logger="embedsent"):
        assert main([*argv, str(lines)]) == 0
    assert "--text-column 'review' is ignored" in caplog.text
    assert f"input {lines} is not one" in caplog.text


def _predict_input_warnings(name, texts, caplog):
    from embedsent.cli_input import warn_about_predict_input

    with caplog.at_level(logging.WARNING, logger="embedsent.cli_input"):
        warn_about_predict_input(name, texts)
    return caplog.text


def test_predict_stdin_of_json_objects_warns(caplog):
    texts = ['{"text": "good film", "label": "pos"}', "", ' {"text": "bad"} ']
    text = _predict_input_warnings("-", texts, caplog)
    assert "every non-empty line of standard input is a JSON object" in text
    assert "save the records to a .jsonl file" in text


def test_predict_txt_of_json_objects_warns(caplog):
    text = _predict_input_warnings("records.txt", ['{"text": "good"}'], caplog)
    assert "every non-empty line of input records.txt is a JSON object" in text
    assert "rename the file to end in .jsonl" in text


@pytest.mark.parametrize(
    "texts",
    [
        ['{"text": "good film"}', "a plain review"],
        ["{not json}"],
        ["[1, 2]"],
        ["", "  "],
    ],
)
def test_predict_stdin_of_other_lines_does_not_warn(texts, caplog):
    assert _predict_input_warnings("-", texts, caplog) == ""


def test_predict_empty_input_warns(tmp_path, caplog, capsys):
    model = _train_small_model(tmp_path)
    empty = tmp_path / "empty.txt"
    empty.write_text("", encoding="utf-8")
    capsys.readouterr()
    with caplog.at_level(logging.WARNING, logger="embedsent"):
        assert main(["predict", "--model", str(model), str(empty)]) == 0
    assert capsys.readouterr().out == ""
    assert f"input {empty} contains no texts, so it has no predictions" in caplog.text


def _write_train_inputs(tmp_path, rows):
    vectors = tmp_path / "vectors.txt"
    vectors.write_text("3 2\ngood 1 0\nbad 0 1\nfilm 0.5 0.5\n", encoding="utf-8")
    labeled = tmp_path / "labeled.csv"
    labeled.write_text("text,label\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return ["train", "--vectors", str(vectors), "--data", str(labeled)]


@pytest.mark.parametrize(
    ("vectors", "warned"),
    [
        ("2 3\ngood 0 0 0\nbad 0 0 0\n", True),
        ("2 3\ngood 0 0 0\nbad 0 0.1 0\n", False),
    ],
)
def test_train_all_zero_vectors_warn(tmp_path, caplog, vectors, warned):
    argv = _write_train_inputs(tmp_path, ["good film,pos", "bad film,neg"])
    path = tmp_path / "vectors.txt"
    path.write_text(vectors, encoding="utf-8")
    argv += ["--out", str(tmp_path / "model.npz"), "--classifier-epochs", "2"]
    with caplog.at_level(logging.WARNING, logger="embedsent"):
        assert main(argv) == 0
    expected = f"--vectors {path}: every one of the 2 word vectors is zero"
    assert (expected in caplog.text) is warned
    # Fitting on the loaded vectors does not repeat the warning.
    assert caplog.text.count("word vectors is zero") == int(warned)


def test_train_single_class_names_label_column(tmp_path, capsys):
    argv = _write_train_inputs(tmp_path, ["good film,pos", "bad,pos"])
    model = tmp_path / "model.npz"
    assert main([*argv, "--out", str(model)]) == 2
    err = capsys.readouterr().err
    labeled = tmp_path / "labeled.csv"
    assert f"--data {labeled}: its label column 'label' has only one" in err
    assert "class 'pos'" in err
    assert "--label-column" in err
    assert "y has" not in err
    assert not model.exists()


def test_train_without_known_words_rejected(tmp_path, capsys):
    argv = _write_train_inputs(tmp_path, ["zzz,pos", "qqq,neg"])
    model = tmp_path / "model.npz"
    assert main([*argv, "--out", str(model)]) == 2
    err = capsys.readouterr().err
    assert "none of the 2 labeled texts has a token in the word vectors" in err
    assert "The tokenisation and the vectors do not match" in err
    assert not model.exists()


def test_train_id_text_column_lists_columns(tmp_path, capsys):
    vectors = tmp_path / "vectors.txt"
    vectors.write_text("2 2\ngood 1 0\nbad 0 1\n", encoding="utf-8")
    labeled = tmp_path / "labeled.csv"
    rows = ["0,good film,pos", "1,bad film,neg", "2,good,pos"]
    labeled.write_text("id,text,label\n" + "\n".join(rows) + "\n", encoding="utf-8")
    argv = ["train", "--vectors", str(vectors), "--data", str(labeled)]
    argv += ["--text-column", "id", "--out", str(tmp_path / "model.npz")]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "none of the 3 labeled texts has a token in the word vectors" in err
    assert "--text-column 'id' may name an id or label column" in err
    assert "because all 3 of its values are numbers" in err
    assert "Columns found: ['id', 'text', 'label']" in err


def test_train_single_word_texts_warn(tmp_path, caplog):
    vectors = tmp_path / "vectors.txt"
    vectors.write_text("2 2\ngood 1 0\nbad 0 1\n", encoding="utf-8")
    labeled = tmp_path / "labeled.csv"
    rows = [f"{word},{index % 2}" for index, word in enumerate(["good", "bad"] * 5)]
    labeled.write_text("text,label\n" + "\n".join(rows) + "\n", encoding="utf-8")
    argv = ["train", "--vectors", str(vectors), "--data", str(labeled)]
    argv += ["--out", str(tmp_path / "model.npz"), "--classifier-epochs", "2"]
    with caplog.at_level(logging.WARNING, logger="embedsent"):
        assert main(argv) == 0
    assert "--text-column 'text' may name an id or label column" in caplog.text
    assert "because 10 of its 10 values are a single word" in caplog.text


def test_train_multi_word_texts_get_no_column_hint(tmp_path, caplog):
    argv = _write_train_inputs(tmp_path, ["good film,pos", "bad film,neg", "7,neg"])
    argv += ["--out", str(tmp_path / "model.npz"), "--classifier-epochs", "2"]
    with caplog.at_level(logging.WARNING, logger="embedsent"):
        assert main(argv) == 0
    assert "may name an id or label column" not in caplog.text


def test_train_warns_once_of_unknown_texts(tmp_path, caplog):
    rows = ["good film,pos", "bad film,neg", "zzz,neg"]
    argv = _write_train_inputs(tmp_path, rows)
    out = ["--out", str(tmp_path / "model.npz"), "--classifier-epochs", "5"]
    with caplog.at_level(logging.WARNING, logger="embedsent"):
        assert main([*argv, *out]) == 0
    unknown = [r.message for r in caplog.records if "in-vocabulary" in r.message]
    assert len(unknown) == 1
    assert "1 of 3 labeled texts has no in-vocabulary token" in unknown[0]
    assert "gets a zero vector" not in caplog.text
    assert "get zero vectors" not in caplog.text
    assert "class prior" not in caplog.text


def test_predict_help_mentions_known_tokens(capsys):
    with pytest.raises(SystemExit):
        main(["predict", "--help"])
    assert "known_tokens" in " ".join(capsys.readouterr().out.split())


def test_predict_help_names_text_column(capsys):
    with pytest.raises(SystemExit):
        main(["predict", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "contains the texts in a table input file (default: text)" in text


@pytest.mark.parametrize("command", ["train", "select", "diagnose"])
def test_column_flags_have_help_and_defaults(command, capsys):
    with pytest.raises(SystemExit):
        main([command, "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "contains the texts in a table --data file (default: text)" in text
    assert "contains the labels in a table --data file" in text
    assert "(default: label)" in text


def test_predict_missing_model_reports_error(tmp_path, capsys):
    code = main(["predict", "--model", str(tmp_path / "absent.npz")])
    assert code == 2
    err = capsys.readouterr().err
    assert f"--model {tmp_path / 'absent.npz'}: file not found" in err


def test_bad_config_value_reports_flag(tmp_path, capsys):
    argv = ["pretrain", "--data", "default", "--out", str(tmp_path / "v.txt")]
    with pytest.raises(SystemExit) as stopped:
        main([*argv, "--dim", "0"])
    assert stopped.value.code == 2
    assert "argument --dim: must be >= 1" in capsys.readouterr().err


def test_compare_default_corpus_applies_limits(tmp_path, capsys, caplog):
    argv = ["--no-progress", "compare", "--data", "default", *TINY]
    argv += ["--max-per-class", "2", "--max-unlabeled", "10"]
    argv += ["--sizes", "4", "--draws", "1", "--classifier-epochs", "5"]
    with caplog.at_level(logging.INFO, logger="embedsent.compare"):
        assert main(argv) == 0
    assert "test accuracy (%) on 4 test texts" in capsys.readouterr().out
    # 10 unlabeled texts plus 2 training texts of each class.
    assert "pretraining corpus: 14 texts" in caplog.text


def test_compare_writes_json_before_printing(tmp_path, monkeypatch):
    class ClosedPipe:
        def write(self, text):
            raise BrokenPipeError(32, "Broken pipe")

        def flush(self):
            pass

    results = tmp_path / "compare.json"
    argv = ["--no-progress", "compare", "--data", "default", *TINY]
    argv += ["--max-per-class", "2", "--max-unlabeled", "10", "--sizes", "4"]
    argv += ["--draws", "2", "--classifier-epochs", "5", "--json", str(results)]
    monkeypatch.setattr(sys, "stdout", ClosedPipe())
    # 128 + SIGPIPE, the status of a tool that a closed pipe ended.
    assert main(argv) == 141
    payload = json.loads(results.read_text(encoding="utf-8"))
    assert {run["n"] for run in payload["runs"]} == {4}
    assert payload["summary"]


@pytest.mark.parametrize("mode", ["global", "feature", "none"])
def test_standardize_flag_reaches_config(mode):
    args = build_parser().parse_args(["compare", "--standardize", mode])
    _, _, classifier = configs(args, seed=0)
    assert classifier.standardize == mode


def test_standardize_default_is_global():
    args = build_parser().parse_args(["compare"])
    assert args.standardize == ClassifierConfig().standardize == "global"


def test_unknown_standardize_mode_rejected(capsys):
    with pytest.raises(SystemExit) as raised:
        build_parser().parse_args(["compare", "--standardize", "zscore"])
    assert raised.value.code == 2
    assert "'zscore'" in capsys.readouterr().err


def test_compare_sizes_accept_all():
    args = build_parser().parse_args(["compare", "--sizes", "8", "all"])
    assert args.sizes == ["8", "all"]


def test_pretrain_checkpoint_and_continue(tmp_path, capsys):
    vectors = tmp_path / "vectors.bin"
    model = tmp_path / "sgns.npz"
    checkpoint = tmp_path / "run.ckpt"
    more = tmp_path / "more.txt"
    assert (
        main(
            [
                "--no-progress",
                "pretrain",
                "--data",
                "default",
                "--out",
                str(vectors),
                "--binary",
                "--checkpoint",
                str(checkpoint),
                "--save-model",
                str(model),
                *TINY,
            ]
        )
        == 0
    )
    assert checkpoint.exists()
    assert model.exists()
    more.write_text("a zorblax film, a zorblax plot\nzorblax again, zorblax\n")
    assert (
        main(
            [
                "--no-progress",
                "pretrain",
                "--data",
                str(more),
                "--out",
                str(tmp_path / "grown.txt"),
                "--continue-from",
                str(model),
                *TINY,
            ]
        )
        == 0
    )
    grown = (tmp_path / "grown.txt").read_text()
    assert "\nzorblax " in grown
    captured = capsys.readouterr()
    assert "1 new words" in captured.out
    assert "--dim 100 ignored" not in captured.err


def test_continue_from_warns_of_ignored_flags(tmp_path, caplog):
    model = tmp_path / "sgns.npz"
    pretrain = ["--no-progress", "pretrain", "--data", "default"]
    argv = [*pretrain, "--out", str(tmp_path / "v.txt"), "--save-model", str(model)]
    assert main([*argv, *TINY]) == 0
    checkpoint = tmp_path / "unused.ckpt"
    continued = [*pretrain, "--out", str(tmp_path / "more.txt")]
    continued += ["--continue-from", str(model), "--checkpoint", str(checkpoint)]
    with caplog.at_level(logging.WARNING, logger="embedsent.commands"):
        assert main([*continued, *TINY[2:], "--dim", "77", "--sample", "0"]) == 0
    assert f"--continue-from {model} ignores --dim 77" in caplog.text
    assert "the model keeps its dim 8" in caplog.text
    assert "--sample 0.0 (the model keeps its sample 0.001)" in caplog.text
    assert f"--checkpoint {checkpoint} (continued training writes no" in caplog.text
    assert not checkpoint.exists()


def test_train_reads_aclimdb_without_test_reviews(tmp_path, capsys):
    root = tmp_path / "aclImdb"
    for folder in ("train/pos", "train/neg", "test/pos", "test/neg"):
        (root / folder).mkdir(parents=True)
    (root / "train/pos/0_9.txt").write_text("a good film", encoding="utf-8")
    (root / "train/neg/1_2.txt").write_text("a bad film", encoding="utf-8")
    vectors = tmp_path / "v.txt"
    vectors.write_text("2 2\ngood 1 0\nbad 0 1\n", encoding="utf-8")
    argv = ["train", "--vectors", str(vectors), "--data", str(root)]
    assert main([*argv, "--out", str(tmp_path / "m.npz")]) == 0
    assert "trained on 2 texts" in capsys.readouterr().out
    unlabeled = root / "train/unsup"
    unlabeled.mkdir()
    (unlabeled / "2_0.txt").write_text("a good film and a bad film", encoding="utf-8")
    argv = ["--no-progress", "pretrain", "--data", str(root)]
    argv += ["--out", str(tmp_path / "pretrained.txt"), *TINY]
    assert main(argv) == 0


def test_train_reads_glove_vectors(tmp_path, tiny_pretrained):
    from embedsent.vectors import WordVectors

    glove = tmp_path / "vectors.glove.txt"
    vectors = WordVectors.load(tiny_pretrained["vectors"])
    vectors.save_glove(glove)
    assert (
        main(
            [
                "train",
                "--vectors",
                str(glove),
                "--vectors-format",
                "glove",
                "--data",
                "default",
                "--out",
                str(tmp_path / "m.npz"),
            ]
        )
        == 0
    )
    assert (tmp_path / "m.npz").exists()


def test_output_folder_rejected_before_training(tmp_path, capsys):
    code = main(["pretrain", "--data", "default", "--out", str(tmp_path), *TINY])
    assert code == 2
    assert "is a folder" in capsys.readouterr().err


def test_missing_output_folder_rejected(tmp_path, capsys):
    out = tmp_path / "absent" / "v.txt"
    code = main(["pretrain", "--data", "default", "--out", str(out), *TINY])
    assert code == 2
    assert "does not exist" in capsys.readouterr().err


def test_missing_checkpoint_folder_rejected(tmp_path, capsys):
    checkpoint = tmp_path / "absent" / "ck.npz"
    out = tmp_path / "v.txt"
    code = main(
        ["pretrain", "--data", "default", "--out", str(out)]
        + ["--checkpoint", str(checkpoint), *TINY]
    )
    assert code == 2
    assert "--checkpoint" in capsys.readouterr().err
    assert not out.exists()


def test_output_equal_to_input_rejected(tmp_path, capsys):
    vectors = tmp_path / "v.txt"
    vectors.write_text("2 2\ngood 1 0\nbad 0 1\n", encoding="utf-8")
    before = vectors.read_bytes()
    code = main(
        ["train", "--data", "default", "--vectors", str(vectors), "--out", str(vectors)]
    )
    assert code == 2
    assert "is also --vectors" in capsys.readouterr().err
    assert vectors.read_bytes() == before


@pytest.mark.parametrize("flag", ["--out", "--json"])
def test_select_output_equal_to_vectors_rejected(tmp_path, capsys, flag):
    vectors = tmp_path / "v.txt"
    other = tmp_path / "w.txt"
    for path in (vectors, other):
        path.write_text("2 2\ngood 1 0\nbad 0 1\n", encoding="utf-8")
    before = vectors.read_bytes()
    code = main(
        ["select", "--data", "default", "--vectors", str(other)]
        + ["--vectors", str(vectors), flag, str(vectors)]
    )
    assert code == 2
    assert "is also --vectors" in capsys.readouterr().err
    assert vectors.read_bytes() == before


def test_output_equal_to_checkpoint_rejected(tmp_path, capsys):
    path = tmp_path / "same.npz"
    code = main(
        ["pretrain", "--data", "default", "--out", str(path)]
        + ["--checkpoint", str(path), *TINY]
    )
    assert code == 2
    assert "is also --checkpoint" in capsys.readouterr().err
    assert not path.exists()


def test_two_outputs_on_one_file_rejected(tmp_path, capsys):
    path = tmp_path / "same.npz"
    code = main(
        ["pretrain", "--data", "default", "--out", str(path)]
        + ["--save-model", str(path), *TINY]
    )
    assert code == 2
    assert "--save-model" in capsys.readouterr().err


# Configures logging as `embedsent -v` does, then logs and starts JAX's backends.
VERBOSE_LOGGING_SCRIPT = """
import logging
from embedsent.cli import _configure_logging
_configure_logging(1)
logging.getLogger("embedsent.probe").info("embedsent info line")
logging.getLogger("jax._src.xla_bridge").warning("jax warning line")
import jax
jax.devices()
"""


def test_verbose_logging_omits_jax_backend_probe():
    result = subprocess.run(
        [sys.executable, "-c", VERBOSE_LOGGING_SCRIPT],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "INFO embedsent.probe: embedsent info line" in result.stderr
    assert "WARNING jax._src.xla_bridge: jax warning line" in result.stderr
    assert "Unable to initialize backend" not in result.stderr


def test_predict_exits_quietly_when_reader_closes_pipe(tmp_path):
    vectors = tmp_path / "vectors.txt"
    vectors.write_text("3 2\ngood 1 0\nbad 0 1\nfilm 0.5 0.5\n", encoding="utf-8")
    labeled = tmp_path / "labeled.csv"
    labeled.write_text("text,label\ngood film,pos\nbad film,neg\n", encoding="utf-8")
    model = tmp_path / "model.npz"
    argv = ["train", "--vectors", str(vectors), "--data", str(labeled)]
    argv += ["--out", str(model), "--hidden-size", "0", "--classifier-epochs", "5"]
    assert main(argv) == 0

    # About 2 MB of output, far more than a pipe buffers, so embedsent is
    # still writing when the reader closes its end.
    texts = tmp_path / "texts.txt"
    lines = (f"a good film, number {index}\n" for index in range(20_000))
    texts.write_text("".join(lines), encoding="utf-8")

    errors = tmp_path / "stderr.txt"
    command = [sys.executable, "-m", "embedsent.cli", "predict", "--model"]
    with open(errors, "wb") as stderr:
        process = subprocess.Popen(
            [*command, str(model), str(texts)], stdout=subprocess.PIPE, stderr=stderr
        )
        first = process.stdout.readline()
        process.stdout.close()
        try:
            code = process.wait(timeout=300)
        except subprocess.TimeoutExpired:
            process.kill()
            raise

    assert json.loads(first)["text"] == "a good film, number 0"
    # 128 + SIGPIPE, as a shell reports for a tool that a closed pipe ended.
    assert code == 141
    err = errors.read_text(encoding="utf-8")
    assert "Traceback" not in err
    assert "Broken pipe" not in err
    assert "BrokenPipeError" not in err


def test_repeat_damping_flag_reaches_config():
    args = build_parser().parse_args(["compare", "--repeat-damping", "0"])
    sgns, _, _ = configs(args, seed=0)
    assert sgns.repeat_damping == 0.0


def test_out_of_range_repeat_damping_rejected(capsys):
    with pytest.raises(SystemExit) as raised:
        build_parser().parse_args(["compare", "--repeat-damping", "1.5"])
    assert raised.value.code == 2
    assert "--repeat-damping" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("flag", "expected"), [([], True), (["--no-add-context-vectors"], False)]
)
def test_pretrain_context_vector_flag(tmp_path, capsys, flag, expected):
    from embedsent.trainer import SGNSModel
    from embedsent.vectors import WordVectors

    vectors, saved = tmp_path / "vectors.txt", tmp_path / "model.npz"
    argv = ["--no-progress", "pretrain", "--data", "default", "--out", str(vectors)]
    assert main([*argv, "--save-model", str(saved), *TINY, *flag]) == 0
    model = SGNSModel.load(saved)
    assert model.config.add_context_vectors is expected
    written = WordVectors.load(vectors)
    table = model.input_vectors
    if expected:
        table = model.input_vectors + model.output_vectors
    rows = [model.vocab.index[word] for word in written.words]
    # The text format rounds, so compare at its precision.
    assert written.vectors == pytest.approx(table[rows], abs=1e-5)


def test_compare_parses_context_vector_flag():
    args = build_parser().parse_args(
        ["compare", "--data", "default", "--no-add-context-vectors"]
    )
    sgns, _, _ = configs(args, 0)
    assert sgns.add_context_vectors is False


def test_pretrain_help_states_vocab_defaults(capsys):
    with pytest.raises(SystemExit):
        main(["pretrain", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "word vector dimension (default: 100)" in text
    assert "drop words seen fewer times (default: 5)" in text
    assert "0 disables (default: 0.001)" in text
    assert "(default: None)" not in text


def test_pretrain_unset_flags_get_config_defaults(tmp_path):
    from embedsent.trainer import SGNSModel

    saved = tmp_path / "model.npz"
    argv = ["--no-progress", "pretrain", "--data", "default"]
    argv += ["--out", str(tmp_path / "v.txt"), "--save-model", str(saved)]
    assert main([*argv, "--epochs", "1", "--batch-size", "64"]) == 0
    model = SGNSModel.load(saved)
    assert model.config.dim == 100
    assert model.vocab_config.min_count == 5
    assert model.vocab_config.sample == 0.001


def _continue(tiny_pretrained, tmp_path, *extra):
    more = tmp_path / "more.txt"
    more.write_text("a good film, a good plot\na bad film, a bad plot\n")
    argv = ["--no-progress", "pretrain", "--data", str(more)]
    argv += ["--out", str(tmp_path / "grown.txt")]
    argv += ["--continue-from", str(tiny_pretrained["sgns"]), "--epochs", "1"]
    return main([*argv, *extra])


def test_continue_from_logs_kept_settings(tiny_pretrained, tmp_path, caplog):
    with caplog.at_level(logging.INFO, logger="embedsent.commands"):
        assert _continue(tiny_pretrained, tmp_path) == 0
    records = [r for r in caplog.records if r.name == "embedsent.commands"]
    warnings = [r for r in records if r.levelno >= logging.WARNING]
    assert warnings == []
    infos = [r.getMessage() for r in records if r.levelno == logging.INFO]
    kept_settings = "keeps the saved model's dim 8, min count 2 and sample 0.001"
    assert any(kept_settings in message for message in infos)


def test_continue_from_warns_of_passed_default_value(tiny_pretrained, tmp_path, caplog):
    # 5 is the default of --min-count, but the user passed it, so it is named.
    with caplog.at_level(logging.WARNING, logger="embedsent.commands"):
        assert _continue(tiny_pretrained, tmp_path, "--min-count", "5") == 0
    assert "ignores --min-count 5 (new words need the model's min count 2)" in (
        caplog.text
    )
    assert "--dim" not in caplog.text
    assert "--sample" not in caplog.text


def test_continue_from_accepts_matching_dim(tiny_pretrained, tmp_path, caplog):
    with caplog.at_level(logging.WARNING, logger="embedsent.commands"):
        assert _continue(tiny_pretrained, tmp_path, "--dim", "8") == 0
    assert "ignores" not in caplog.text


def test_pretrain_help_describes_text_column(capsys):
    with pytest.raises(SystemExit):
        main(["pretrain", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "contains the texts in a table --data file (default: text)" in text


@pytest.mark.parametrize("suffix", [".csv", ".jsonl"])
def test_pretrain_reads_named_text_column(tmp_path, capsys, suffix):
    rows = ["zorblax film", "zorblax plot", "good zorblax"]
    table = tmp_path / f"reviews{suffix}"
    if suffix == ".csv":
        table.write_text(
            "id,review\n" + "".join(f"{i},{r}\n" for i, r in enumerate(rows))
        )
    else:
        lines = [json.dumps({"id": i, "review": r}) for i, r in enumerate(rows)]
        table.write_text("\n".join(lines) + "\n")
    out = tmp_path / "v.txt"
    argv = ["--no-progress", "pretrain", "--data", str(table), "--out", str(out)]
    assert main([*argv, "--text-column", "review", *TINY]) == 0
    assert "\nzorblax " in out.read_text()


def test_pretrain_txt_with_text_column_warns(tmp_path, caplog):
    texts = tmp_path / "reviews.txt"
    texts.write_text("good film\nbad plot\n")
    out = tmp_path / "v.txt"
    argv = ["--no-progress", "pretrain", "--data", str(texts), "--out", str(out)]
    with caplog.at_level(logging.WARNING, logger="embedsent.cli_checks"):
        assert main([*argv, "--text-column", "review", *TINY]) == 0
    assert "--text-column 'review' is ignored" in caplog.text
    assert f"--data {texts} is not one" in caplog.text


def test_table_with_text_column_does_not_warn(tmp_path, caplog):
    from argparse import Namespace

    from embedsent.cli_checks import warn_ignored_flags

    args = Namespace(data="default", unlabeled="texts.csv", text_column="review")
    with caplog.at_level(logging.WARNING, logger="embedsent.cli_checks"):
        warn_ignored_flags(args)
    assert caplog.records == []


def test_corpus_and_txt_with_text_column_warn(caplog):
    from argparse import Namespace

    from embedsent.cli_checks import warn_ignored_flags

    args = Namespace(data="default", unlabeled="texts.txt", text_column="review")
    with caplog.at_level(logging.WARNING, logger="embedsent.cli_checks"):
        warn_ignored_flags(args)
    assert "neither --data default nor --unlabeled texts.txt is one" in caplog.text


def _warnings_for(argv, caplog):
    from embedsent.cli_checks import warn_ignored_flags

    args = build_parser().parse_args(argv)
    with caplog.at_level(logging.WARNING, logger="embedsent.cli_checks"):
        warn_ignored_flags(args)
    return caplog.text


@pytest.mark.parametrize(
    ("argv", "data"),
    [
        (["train", "--vectors", "v.txt", "--out", "m.npz"], "default"),
        (["diagnose", "--model", "m.npz"], "aclImdb.tar.gz"),
        (["select", "--vectors", "v.txt"], "reviews.txt"),
    ],
)
def test_label_column_without_table_warns(argv, data, caplog):
    argv = [*argv, "--data", data, "--label-column", "sentiment"]
    assert (
        "--label-column 'sentiment' is ignored, because it names a column of a "
        f"{TABLE_FILES} file and --data {data} is not one; drop --label-column, "
        "or pass a table file"
    ) in _warnings_for(argv, caplog)


@pytest.mark.parametrize("label_column", ["sentiment", "label"])
def test_label_column_of_table_does_not_warn(label_column, caplog):
    argv = ["train", "--vectors", "v.txt", "--out", "m.npz", "--data", "l.JSONL"]
    argv += ["--label-column", label_column]
    assert _warnings_for(argv, caplog) == ""


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (
            ["pretrain", "--data", "default", "--out", "v.txt", "--encoding", "utf-16"],
            "--encoding utf-16 is ignored, because --data default is the shipped "
            "corpus",
        ),
        (
            ["train", "--vectors", "v.txt", "--data", "aclImdb", "--out", "m.npz"]
            + ["--encoding-errors", "replace"],
            "--encoding-errors replace is ignored, because --data aclImdb is an "
            "aclImdb corpus",
        ),
    ],
)
def test_encoding_without_text_file_warns(argv, expected, caplog):
    assert expected in _warnings_for(argv, caplog)


@pytest.mark.parametrize(
    "argv",
    [
        ["pretrain", "--data", "texts.txt", "--out", "v.txt", "--encoding", "latin-1"],
        ["train", "--vectors", "v.txt", "--data", "l.csv", "--out", "m.npz"]
        + ["--encoding", "latin-1"],
        ["select", "--data", "default", "--unlabeled", "texts.txt"]
        + ["--vectors", "v.txt", "--encoding", "latin-1"],
        ["train", "--vectors", "v.txt", "--data", "default", "--out", "m.npz"]
        + ["--encoding", "UTF8"],
    ],
)
def test_encoding_read_by_input_does_not_warn(argv, caplog):
    assert _warnings_for(argv, caplog) == ""


def test_repeated_output_flag_warns(caplog):
    argv = ["train", "--vectors", "v.txt", "--data", "default"]
    text = _warnings_for([*argv, "--out", "a.npz", "--out", "b.npz"], caplog)
    assert "--out was given 2 times ('a.npz', 'b.npz')" in text
    assert "only the last value, 'b.npz', is used" in text


def test_single_output_flag_does_not_warn(caplog):
    argv = ["train", "--vectors", "v.txt", "--data", "default", "--out", "a.npz"]
    assert _warnings_for(argv, caplog) == ""


def _interrupt_after_first_epoch(monkeypatch):
    """Make SGNS training stop with KeyboardInterrupt once epoch 1's checkpoint
    is written."""
    import embedsent.trainer

    save = embedsent.trainer.save_checkpoint

    def save_then_interrupt(checkpointing, tables, state, config, fingerprint, **kw):
        save(checkpointing, tables, state, config, fingerprint, **kw)
        if state.epoch == 1:
            raise KeyboardInterrupt

    monkeypatch.setattr(embedsent.trainer, "save_checkpoint", save_then_interrupt)


def test_pretrain_resume_reports_checkpoint_epoch(
    tmp_path, capsys, caplog, monkeypatch
):
    checkpoint = tmp_path / "run.ckpt"
    argv = ["--no-progress", "pretrain", "--data", "default"]
    argv += ["--out", str(tmp_path / "v.txt"), "--checkpoint", str(checkpoint), *TINY]
    with monkeypatch.context() as patch:
        _interrupt_after_first_epoch(patch)
        assert main(argv) == 130
    assert "interrupted; rerun with --checkpoint" in capsys.readouterr().err

    with caplog.at_level(logging.INFO, logger="embedsent.checkpoint"):
        assert main(argv) == 0
    out = capsys.readouterr().out
    assert f"resumed from {checkpoint} at the start of epoch 2/2" in out
    assert out.count("\n") == 1
    checkpoint_lines = [
        r.getMessage() for r in caplog.records if r.name == "embedsent.checkpoint"
    ]
    resumed = f"resuming from {checkpoint} at the start of epoch 2/2"
    assert resumed in checkpoint_lines


def test_new_checkpoint_reports_no_resume(tmp_path, capsys):
    argv = ["--no-progress", "pretrain", "--data", "default"]
    argv += ["--out", str(tmp_path / "v.txt")]
    argv += ["--checkpoint", str(tmp_path / "new.ckpt"), *TINY]
    assert main(argv) == 0
    assert "resumed" not in capsys.readouterr().out


def _train_on_table(tmp_path, tiny_pretrained, table, *extra):
    argv = ["train", "--vectors", str(tiny_pretrained["vectors"])]
    argv += ["--data", str(table), "--out", str(tmp_path / "model.npz")]
    return main([*argv, "--hidden-size", "0", "--classifier-epochs", "2", *extra])


def test_train_rejects_text_column_as_label(tmp_path, tiny_pretrained, capsys):
    table = tmp_path / "labeled.csv"
    table.write_text("text,label\ngood film,pos\nbad film,neg\n")
    code = _train_on_table(tmp_path, tiny_pretrained, table, "--label-column", "text")
    assert code == 2
    err = capsys.readouterr().err
    assert "--text-column and --label-column both name column 'text'" in err
    assert not (tmp_path / "model.npz").exists()


@pytest.mark.parametrize("suffix", [".csv", ".jsonl"])
def test_train_rejects_id_label_column(tmp_path, tiny_pretrained, capsys, suffix):
    records = [
        {"id": "r0", "text": "good film", "label": "pos"},
        {"id": "r1", "text": "bad film", "label": "neg"},
        {"id": "r2", "text": "good plot", "label": "pos"},
    ]
    table = tmp_path / f"labeled{suffix}"
    if suffix == ".csv":
        rows = [",".join(record.values()) for record in records]
        table.write_text("id,text,label\n" + "\n".join(rows) + "\n")
    else:
        lines = [json.dumps(record) for record in records]
        table.write_text("\n".join(lines) + "\n")
    code = _train_on_table(tmp_path, tiny_pretrained, table, "--label-column", "id")
    assert code == 2
    err = " ".join(capsys.readouterr().err.split())
    assert f"--label-column 'id': each of the 3 rows of {table}" in err
    assert "looks like an id or text column" in err
    assert "Columns found: ['id', 'text', 'label']" in err
    assert not (tmp_path / "model.npz").exists()


def test_train_number_and_string_label_error_alone(
    tmp_path, tiny_pretrained, capsys, caplog
):
    records = [("good film", 1), ("bad film", 0), ("good plot", "1")]
    lines = [json.dumps({"text": text, "label": label}) for text, label in records]
    table = tmp_path / "labeled.jsonl"
    table.write_text("\n".join(lines) + "\n")
    with caplog.at_level(logging.WARNING):
        assert _train_on_table(tmp_path, tiny_pretrained, table) == 2
    err = capsys.readouterr().err
    assert "mixes numeric and string labels of the same number" in err
    assert caplog.records == []


def test_train_near_unique_label_column_warns(tmp_path, tiny_pretrained, caplog):
    ids = [1, 2, 3, 3, 4, 5, 6, 6]
    texts = ["good film", "bad film", "good plot", "bad plot"] * 2
    rows = [f"{i},{text},pos" for i, text in zip(ids, texts, strict=True)]
    table = tmp_path / "labeled.csv"
    table.write_text("id,text,label\n" + "\n".join(rows) + "\n")
    with caplog.at_level(logging.WARNING, logger="embedsent.cli_input"):
        code = _train_on_table(tmp_path, tiny_pretrained, table, "--label-column", "id")
    assert code == 0
    assert f"--label-column 'id': 6 classes among the 8 rows of {table}" in caplog.text
    assert "fewer than two texts per class on average" in caplog.text


def test_train_one_number_two_ways_names_labels(tmp_path, tiny_pretrained, capsys):
    table = tmp_path / "labels.csv"
    table.write_text("text,label\ngood movie,1\ngreat film,1.0\nbad movie,0\n")
    assert _train_on_table(tmp_path, tiny_pretrained, table) == 2
    err = " ".join(capsys.readouterr().err.split())
    assert f"--label-column 'label': each of the 3 rows of {table}" in err
    assert "because labels '1' and '1.0' are the same number written" in err
    assert "replace every '1.0' with '1'" in err
    assert "id or text column" not in err
    assert not (tmp_path / "model.npz").exists()


def test_train_one_number_two_ways_no_id_warning(tmp_path, tiny_pretrained, caplog):
    table = tmp_path / "labels.csv"
    rows = ["good movie,1", "great film,1.0", "bad movie,0", "awful film,0"]
    table.write_text("text,label\n" + "\n".join(rows) + "\n")
    with caplog.at_level(logging.WARNING):
        assert _train_on_table(tmp_path, tiny_pretrained, table) == 0
    assert "labels '1' and '1.0' in column 'label'" in caplog.text
    assert "texts per class on average" not in caplog.text


def test_train_id_column_with_two_way_number(tmp_path, tiny_pretrained, capsys):
    # Merging 1 and 1.0 still leaves a label per row, so the column is an id.
    table = tmp_path / "labels.csv"
    rows = ["good film,1", "bad film,1.0", "good plot,2", "bad plot,3", "fine,4"]
    table.write_text("text,label\n" + "\n".join(rows) + "\n")
    assert _train_on_table(tmp_path, tiny_pretrained, table) == 2
    err = " ".join(capsys.readouterr().err.split())
    assert "looks like an id or text column" in err
    assert "same number written" not in err


@pytest.mark.parametrize(
    "labels",
    [["a", "b", "c", "a", "b", "c"], ["pos", "neg", "pos"]],
    ids=["half-as-many-classes", "two-classes"],
)
def test_train_label_column_without_warning(tmp_path, tiny_pretrained, caplog, labels):
    rows = [f"good film {i},{label}" for i, label in enumerate(labels)]
    table = tmp_path / "labeled.csv"
    table.write_text("text,label\n" + "\n".join(rows) + "\n")
    with caplog.at_level(logging.WARNING, logger="embedsent.cli_input"):
        assert _train_on_table(tmp_path, tiny_pretrained, table) == 0
    assert "--label-column" not in caplog.text


def test_train_accepts_two_texts_of_two_classes(tmp_path, tiny_pretrained):
    table = tmp_path / "labeled.csv"
    table.write_text("text,label\ngood film,pos\nbad film,neg\n")
    assert _train_on_table(tmp_path, tiny_pretrained, table) == 0


def test_continue_from_untrainable_text_names_min_count(
    tiny_pretrained, tmp_path, capsys
):
    new_words = tmp_path / "new.txt"
    new_words.write_text("zorblax quuxified\n")
    argv = ["--no-progress", "pretrain", "--data", str(new_words)]
    argv += ["--out", str(tmp_path / "grown.txt"), "--min-count", "1"]
    argv += ["--continue-from", str(tiny_pretrained["sgns"]), "--epochs", "1"]
    assert main(argv) == 2
    err = " ".join(capsys.readouterr().err.split())
    assert "none of its 2 distinct words is in the vocabulary" in err
    assert "none occurs at least 2 times, the saved model's min count" in err
    assert "without --continue-from and with a lower --min-count" in err
    assert "lower min_count" not in err


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["predict", "--model", "m.npz", "--seed", "3"], "embedsent --seed 3 COMMAND"),
        (["demo", "--compile-cache", "/tmp/x"], "--compile-cache /tmp/x COMMAND"),
        (["demo", "--seed=4"], "as in: embedsent --seed=4 COMMAND"),
    ],
)
def test_late_global_option_hint_keeps_value(argv, expected, capsys):
    with pytest.raises(SystemExit):
        main(argv)
    assert expected in capsys.readouterr().err


def test_bench_transfer_size_zero_means_all(capsys):
    args = build_parser().parse_args(["bench", "transfer", "--sizes", "0", "all", "8"])
    assert args.sizes == [0, 8]
    with pytest.raises(SystemExit):
        build_parser().parse_args(["bench", "transfer", "--sizes", "-1"])
    assert "0 and 'all' use every training text" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("texts.csv", 'text,label\n"",pos\ngood film,neg\n'),
        ("texts.jsonl", '{"text": " "}\n{"text": "good film"}\n'),
    ],
)
def test_predict_table_scores_empty_text(tmp_path, capsys, name, content):
    model = _train_small_model(tmp_path)
    table = tmp_path / name
    table.write_text(content, encoding="utf-8")
    capsys.readouterr()
    assert main(["predict", "--model", str(model), str(table)]) == 0
    empty, known = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert empty["known_tokens"] == 0
    assert empty["probabilities"] == pytest.approx({"neg": 1 / 3, "pos": 2 / 3})
    assert known["known_tokens"] == 2


def test_unknown_text_warning_logged_once(tmp_path, caplog):
    model = _train_small_model(tmp_path)
    vectors = tmp_path / "vectors.txt"
    labeled = tmp_path / "six.csv"
    rows = ["good film,pos", "good,pos", "good good,pos"]
    rows += ["bad film,neg", "bad,neg", "qwerty,neg"]
    labeled.write_text("text,label\n" + "\n".join(rows) + "\n", encoding="utf-8")
    message = "1 of 6 texts has no in-vocabulary token and gets a zero vector"
    argv = ["--no-progress", "select", "--data", str(labeled)]
    argv += ["--vectors", str(vectors), "--fine-tune", "frozen", "--repeats", "2"]
    with caplog.at_level(logging.WARNING):
        assert main(argv) == 0
    assert caplog.text.count(message) == 1
    caplog.clear()
    argv = ["--no-progress", "diagnose", "--model", str(model)]
    with caplog.at_level(logging.WARNING):
        assert main([*argv, "--data", str(labeled)]) == 0
    assert caplog.text.count(message) == 1


def test_pretrain_max_texts_samples_reproducibly(tmp_path, caplog):
    outputs = []
    for name, extra in [("a", ["--max-texts", "20"]), ("b", ["--max-texts", "20"])]:
        out = tmp_path / f"{name}.txt"
        argv = ["--no-progress", "pretrain", "--data", "default", "--out", str(out)]
        with caplog.at_level(logging.INFO, logger="embedsent.commands"):
            assert main([*argv, *TINY, *extra]) == 0
        outputs.append(out.read_bytes())
    assert outputs[0] == outputs[1]
    assert "pretraining on 20 of 70 texts" in caplog.text


def test_predict_keeps_blank_single_column_rows(tmp_path, capsys):
    model = _train_small_model(tmp_path)
    table = tmp_path / "texts.csv"
    table.write_text("text\ngood film\n\nbad\n", encoding="utf-8")
    capsys.readouterr()
    assert main(["predict", "--model", str(model), str(table)]) == 0
    records = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [r["text"] for r in records] == ["good film", "", "bad"]
    assert records[1]["known_tokens"] == 0


def test_predict_escapes_unicode_line_breaks(tmp_path, capsys):
    model = _train_small_model(tmp_path)
    texts = tmp_path / "texts.txt"
    texts.write_text("good\u2028film\nbad\x85plot \u2029 é\n", encoding="utf-8")
    capsys.readouterr()
    assert main(["predict", "--model", str(model), str(texts)]) == 0
    output = capsys.readouterr().out
    assert len(output.splitlines()) == 2
    first, second = [json.loads(line) for line in output.split("\n")[:2]]
    assert first["text"] == "good\u2028film"
    assert second["text"] == "bad\x85plot \u2029 é"
    assert "é" in output


@pytest.mark.parametrize(
    ("value", "digits", "width", "expected"),
    [
        (-0.0, 1, 0, "+0.0"),
        (-0.04, 1, 0, "+0.0"),
        (0.04, 1, 0, "+0.0"),
        (-0.05001, 1, 0, "-0.1"),
        (2.345, 2, 0, "+2.35"),
        (-0.001, 1, 5, " +0.0"),
        (-12.34, 1, 6, " -12.3"),
    ],
)
def test_format_signed_no_negative_zero(value, digits, width, expected):
    assert format_signed(value, digits, width) == expected


def _parsers(parser, name="embedsent"):
    """Yield each parser of the command line with its command, subcommands too."""
    yield name, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for command, subparser in action.choices.items():
                yield from _parsers(subparser, f"{name} {command}")


def test_help_lists_every_table_suffix():
    checked = []
    for name, parser in _parsers(build_parser()):
        for action in parser._actions:
            if action.help and ".csv" in action.help:
                missing = [s for s in TABLE_SUFFIXES if s not in action.help]
                assert not missing, (name, action.option_strings, missing)
                checked.append((name, action.dest))
    # The --encoding help of pretrain and train mentions tables too.
    assert {("embedsent pretrain", "encoding"), ("embedsent train", "encoding")} <= set(
        checked
    )
    assert ("embedsent select", "unlabeled") in checked


# Libraries that only running a command may import. The parser, --help and
# argument errors must not, because importing them takes seconds.
NUMERIC_LIBRARIES = (
    "jax",
    "jaxlib",
    "optax",
    "gensim",
    "sklearn",
    "scipy",
    "matplotlib",
    "nltk",
)

# Builds the parser and parses each command line given as JSON, then prints
# the numeric libraries that were imported, as JSON.
PARSE_ONLY_SCRIPT = """
import json
import sys

from embedsent.cli import build_parser

parser = build_parser()
for argv in json.loads(sys.argv[1]):
    parser.parse_args(argv)
print(json.dumps(sorted(set(json.loads(sys.argv[2])) & set(sys.modules))))
"""

# Runs main on each command line given as JSON, such as `COMMAND --help` or an
# invalid one, in one process. Then prints the exit statuses and the numeric
# libraries that were imported, as JSON. No command runs, so none writes a file.
HELP_AND_ERRORS_SCRIPT = """
import contextlib
import io
import json
import sys

from embedsent.cli import main

codes = []
for argv in json.loads(sys.argv[1]):
    with contextlib.redirect_stdout(io.StringIO()):
        with contextlib.redirect_stderr(io.StringIO()):
            try:
                codes.append(main(argv))
            except SystemExit as stop:
                codes.append(stop.code)
print(json.dumps(codes))
print(json.dumps(sorted(set(json.loads(sys.argv[2])) & set(sys.modules))))
"""

PARSED_COMMAND_LINES = [
    ["pretrain", "--data", "default", "--out", "x.txt"],
    ["pretrain", "--data", "d", "--out", "x", "--coordinator-address", "h:1"],
    ["train", "--vectors", "v.txt", "--data", "default", "--out", "m.npz"],
    ["predict", "--model", "m.npz", "texts.txt"],
    ["compare", "--sizes", "8", "all"],
    ["diagnose", "--model", "m.npz", "--data", "default"],
    ["select", "--data", "default", "--pretrain", "--features", "mean"],
    ["bench", "sgns", "--bench-epochs", "1"],
    ["bench", "transfer", "--methods", "scratch", "--sizes", "8"],
    ["serve", "--model", "m.npz"],
    ["demo"],
]

COMMANDS_WITH_HELP = [
    [],
    ["demo"],
    ["pretrain"],
    ["train"],
    ["predict"],
    ["compare"],
    ["diagnose"],
    ["select"],
    ["serve"],
    ["bench"],
    ["bench", "sgns"],
    ["bench", "transfer"],
]


def _run_script(script: str, argvs: list[list[str]]) -> list[str]:
    """Run ``script`` on ``argvs`` in a fresh interpreter; return its output lines."""
    arguments = [json.dumps(argvs), json.dumps(NUMERIC_LIBRARIES)]
    result = subprocess.run(
        [sys.executable, "-c", script, *arguments],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.splitlines()


def test_parser_imports_no_numeric_libraries():
    lines = _run_script(PARSE_ONLY_SCRIPT, PARSED_COMMAND_LINES)
    assert json.loads(lines[-1]) == []


def test_help_and_errors_import_no_numeric_libraries():
    help_lines = [[*command, "--help"] for command in COMMANDS_WITH_HELP]
    invalid_lines = [
        ["pretrain", "--dat", "x"],
        ["pretrain", "--data", "x", "--out", "y", "--coordinator-address", "bad"],
        ["bench", "transfer", "--sizes", "x"],
        ["select", "--features", "bogus"],
        ["diagnose"],
        ["compare", "--draws", "0"],
        # Rejected after parsing, by the check of the input paths.
        ["train", "--vectors", "/no/such/vectors.txt", "--data", "default"]
        + ["--out", "model.npz"],
    ]
    lines = _run_script(HELP_AND_ERRORS_SCRIPT, help_lines + invalid_lines)
    codes = json.loads(lines[-2])
    assert codes == [0] * len(help_lines) + [2] * len(invalid_lines)
    assert json.loads(lines[-1]) == []
