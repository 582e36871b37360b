"""Command-line errors for table files that embedsent.datasets rejects."""

from __future__ import annotations

from pathlib import Path

import pytest

from embedsent.cli import main


def _argv(command: str, files: dict[str, Path], data: Path, out: Path) -> list[str]:
    model = str(files["model"])
    return {
        "train": ["train", "--vectors", str(files["vectors"]), "--data", str(data)]
        + ["--out", str(out / "trained.npz")],
        "predict": ["predict", "--model", model, str(data)],
        "pretrain": ["--no-progress", "pretrain", "--data", str(data)]
        + ["--out", str(out / "vectors.txt")],
        "diagnose": ["diagnose", "--model", model, "--data", str(data)],
    }[command]


@pytest.mark.parametrize("command", ["train", "predict", "pretrain", "diagnose"])
def test_pretty_json_object_suggests_jq(tiny_model_files, tmp_path, capsys, command):
    data = tmp_path / "texts.json"
    data.write_text(
        '{\n  "text": "good film",\n  "label": "pos"\n}\n', encoding="utf-8"
    )
    argv = _argv(command, tiny_model_files, data, tmp_path)
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert f"{data} has a pretty-printed JSON object on lines 1-4" in err
    assert "table files must be JSON Lines, one object per line" in err
    assert f"jq -c . {data} > {tmp_path / 'texts.jsonl'}" in err
    assert "malformed JSON" not in err
    assert "Expecting property name" not in err
