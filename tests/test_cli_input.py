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
    assert message.startswith(f"column 'text' not found in the header of {path}")
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
