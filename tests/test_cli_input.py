"""Tests for embedsent.cli_input: table errors that name command-line flags."""

from pathlib import Path

import pytest

from embedsent.cli import main
from embedsent.cli_input import load_table_input


def _load(path: Path, text_flag: str | None = "--text-column", **columns):
    options = {"text_column": "text", "label_column": "label", **columns}
    return load_table_input(
        path,
        encoding="utf-8",
        errors="strict",
        text_flag=text_flag,
        label_flag="--label-column" if text_flag else None,
        **options,
    )


@pytest.mark.parametrize(
    ("name", "content", "delimiter", "fix"),
    [
        (
            "reviews.csv",
            "text;label\nok;pos\n",
            "';'",
            "save it again as comma-separated .csv or tab-separated .tsv",
        ),
        (
            "reviews.csv",
            "text\tlabel\nok\tpos\n",
            "'\\t'",
            "rename the file to .tsv",
        ),
        ("reviews.tsv", "text,label\nok,pos\n", "','", "rename the file to .csv"),
    ],
    ids=["semicolon-in-csv", "tab-in-csv", "comma-in-tsv"],
)
def test_table_input_names_apparent_delimiter(
    tmp_path: Path, name: str, content: str, delimiter: str, fix: str
):
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ValueError) as caught:
        _load(path)
    message = str(caught.value)
    assert message.startswith(
        f"columns 'text' and 'label' not found in the header of {path}"
    )
    assert f"so the file seems to use {delimiter} as its delimiter" in message
    assert "reads .csv files with ',' and .tsv files with a tab" in message
    assert message.endswith(fix)
    assert "format=" not in message
    assert "pass the column's name with" not in message


@pytest.mark.parametrize(
    ("content", "columns", "fix"),
    [
        ("Text,label\nok,pos\n", {}, "pass --text-column Text"),
        ("text,Label\nok,pos\n", {}, "pass --label-column Label"),
        (
            "Review Text,label\nok,pos\n",
            {"text_column": "review text"},
            "pass --text-column 'Review Text'",
        ),
    ],
    ids=["text", "label", "name-with-space"],
)
def test_table_input_names_column_differing_in_case(
    tmp_path: Path, content: str, columns: dict, fix: str
):
    path = tmp_path / "reviews.csv"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ValueError) as caught:
        _load(path, **columns)
    message = str(caught.value)
    assert "column names are case-sensitive" in message
    assert message.endswith(fix)
    assert "_column=" not in message


def test_table_input_lists_columns_differing_in_case(tmp_path: Path):
    path = tmp_path / "reviews.csv"
    path.write_text("Text,TEXT,label\nok,ok,pos\n", encoding="utf-8")
    with pytest.raises(ValueError) as caught:
        _load(path)
    message = str(caught.value)
    assert "['Text', 'TEXT'] differ from 'text' only in case" in message
    assert message.endswith("pass one of them with --text-column")


def test_table_input_case_hint_without_flag(tmp_path: Path):
    path = tmp_path / "reviews.csv"
    path.write_text("Text,label\nok,pos\n", encoding="utf-8")
    with pytest.raises(ValueError) as caught:
        _load(path, text_flag=None)
    message = str(caught.value)
    assert message.endswith(
        "column names are case-sensitive; rename column 'Text' to 'text'"
    )


def test_table_input_jsonl_key_differing_in_case(tmp_path: Path):
    path = tmp_path / "reviews.jsonl"
    path.write_text('{"Text": "ok", "label": "pos"}\n', encoding="utf-8")
    with pytest.raises(ValueError) as caught:
        _load(path)
    message = str(caught.value)
    assert message.startswith(f"column 'text' not found in line 1 of {path}")
    assert message.endswith("column names are case-sensitive; pass --text-column Text")


def test_table_input_other_missing_column_keeps_wording(tmp_path: Path):
    path = tmp_path / "reviews.csv"
    path.write_text("review,label\nok,pos\n", encoding="utf-8")
    with pytest.raises(ValueError) as caught:
        _load(path)
    message = str(caught.value)
    assert message.endswith(
        "columns found: ['review', 'label']; pass the column's name with --text-column"
    )
    assert "case-sensitive" not in message
    assert "delimiter" not in message


def test_pretrain_semicolon_table_names_delimiter(tmp_path: Path, capsys):
    table = tmp_path / "texts.csv"
    table.write_text("text;label\ngood film;pos\n", encoding="utf-8")
    argv = ["pretrain", "--data", str(table), "--out", str(tmp_path / "v.txt")]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "columns found: ['text;label']" in err
    assert "the file seems to use ';' as its delimiter" in err


def test_pretrain_text_column_case_names_flag(tmp_path: Path, capsys):
    table = tmp_path / "texts.csv"
    table.write_text("Text\ngood film\n", encoding="utf-8")
    argv = ["pretrain", "--data", str(table), "--out", str(tmp_path / "v.txt")]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "column names are case-sensitive; pass --text-column Text" in err


@pytest.mark.parametrize(
    ("name", "content", "location"),
    [
        ("reviews.csv", "review,sentiment\nok,pos\n", "the header"),
        ("reviews.jsonl", '{"review": "ok", "sentiment": "pos"}\n', "line 1"),
    ],
    ids=["csv", "jsonl"],
)
def test_table_input_missing_both_columns_names_both(
    tmp_path: Path, name: str, content: str, location: str
):
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ValueError) as caught:
        _load(path)
    assert str(caught.value) == (
        f"columns 'text' and 'label' not found in {location} of {path}; columns "
        "found: ['review', 'sentiment']; pass the columns' names with "
        "--text-column and --label-column"
    )


def test_table_input_missing_both_columns_without_flags(tmp_path: Path):
    path = tmp_path / "reviews.csv"
    path.write_text("review,sentiment\nok,pos\n", encoding="utf-8")
    with pytest.raises(ValueError) as caught:
        _load(path, text_flag=None)
    message = str(caught.value)
    assert message.endswith(
        "rename the columns that contain the texts and the labels to 'text' and 'label'"
    )


def test_table_input_missing_label_column_without_flag(tmp_path: Path):
    path = tmp_path / "reviews.csv"
    path.write_text("text,sentiment\nok,pos\n", encoding="utf-8")
    with pytest.raises(ValueError) as caught:
        _load(path, text_flag=None)
    message = str(caught.value)
    assert message.startswith(f"column 'label' not found in the header of {path}")
    assert message.endswith("rename the column that contains the labels to 'label'")


def test_table_input_both_columns_differing_in_case(tmp_path: Path):
    path = tmp_path / "reviews.csv"
    path.write_text("Text,Label\nok,pos\n", encoding="utf-8")
    with pytest.raises(ValueError) as caught:
        _load(path)
    message = str(caught.value)
    assert message.startswith("columns 'text' and 'label' not found")
    assert message.endswith(
        "column names are case-sensitive; pass --text-column Text --label-column Label"
    )


def test_table_input_missing_columns_case_hint_and_flag(tmp_path: Path):
    path = tmp_path / "reviews.csv"
    path.write_text("Text,sentiment\nok,pos\n", encoding="utf-8")
    with pytest.raises(ValueError) as caught:
        _load(path)
    message = str(caught.value)
    assert message.startswith("columns 'text' and 'label' not found")
    assert message.endswith(
        "column names are case-sensitive; pass --text-column Text; "
        "pass the column's name with --label-column"
    )


@pytest.mark.parametrize("suffix", [".csv", ".jsonl"])
@pytest.mark.parametrize(
    ("columns", "names"),
    [([], "'text' and 'label'"), (["--text-column", "body"], "'body' and 'label'")],
    ids=["default-columns", "custom-text-column"],
)
def test_train_missing_both_columns_names_both(
    tmp_path: Path, capsys, suffix: str, columns: list[str], names: str
):
    vectors = tmp_path / "vectors.txt"
    vectors.write_text("2 2\ngood 1 0\nbad 0 1\n", encoding="utf-8")
    table = tmp_path / f"labeled{suffix}"
    if suffix == ".csv":
        table.write_text("review,sentiment\ngood,pos\nbad,neg\n", encoding="utf-8")
    else:
        table.write_text(
            '{"review": "good", "sentiment": "pos"}\n'
            '{"review": "bad", "sentiment": "neg"}\n',
            encoding="utf-8",
        )
    model = tmp_path / "model.npz"
    argv = ["train", "--vectors", str(vectors), "--data", str(table)]
    assert main([*argv, "--out", str(model), *columns]) == 2
    err = capsys.readouterr().err
    assert f"columns {names} not found in" in err
    assert "found: ['review', 'sentiment']" in err
    assert "pass the columns' names with --text-column and --label-column" in err
    assert "text_column=" not in err
    assert not model.exists()
