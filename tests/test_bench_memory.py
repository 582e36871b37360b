"""The pretraining memory benchmark script, on the shipped corpus."""

import io
import json
import tarfile
from pathlib import Path

import pytest
from bench_scripts import load_script


@pytest.fixture(scope="module")
def bench():
    return load_script("bench_pretrain_memory")


def test_memory_benchmark_reports_each_mode(bench, tmp_path, capsys):
    out = tmp_path / "memory.json"
    modes = ["embedsent-stream", "gensim-stream"]
    assert bench.main(["--data", "default", "--modes", *modes, "--json", str(out)]) == 0
    report = json.loads(out.read_text(encoding="utf-8"))
    results = report["results"]
    assert report["machine"]["cpus"] == report["machine"]["cpu_count"]
    assert report["machine"]["cpu_model"]
    assert set(report["machine"]["versions"]) >= {"embedsent", "gensim", "jax"}
    assert [row["mode"] for row in results] == modes
    # Same texts and settings, so both trainers keep the same words.
    assert len({row["vocabulary"] for row in results}) == 1
    assert len({row["texts"] for row in results}) == 1
    for row in results:
        assert row["peak_rss_mb"] >= row["rss_after_loading_texts_mb"] > 0
    printed = capsys.readouterr().out
    assert "embedsent-stream" in printed
    assert "gensim-stream" in printed


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--epochs", "0"], "--epochs must be at least 1, got 0"),
        (["--epochs", "100000000000"], "--epochs must be at most 10000"),
        (["--gensim-workers", "100000"], "--gensim-workers must be at most 1024"),
        (
            ["--modes", "gensim-stream", "gensim-stream"],
            "--modes lists gensim-stream more than once",
        ),
        (["--gensim-workers", "0"], "--gensim-workers must be at least 1, got 0"),
        (["--data", "no/such/folder"], "--data no/such/folder does not exist"),
        (["--data", "default", "--json", "no/such/out.json"], "does not exist"),
        (["--data", "default", "--json", "."], "--json . is a folder"),
    ],
)
def test_memory_benchmark_rejects_bad_flags(bench, capsys, argv, message):
    with pytest.raises(SystemExit) as raised:
        bench.main(argv)
    assert raised.value.code == 2
    assert message in capsys.readouterr().err


REPO = Path(__file__).resolve().parents[1]
UNLABELED_TXT = REPO / "data" / "movie_reviews" / "unlabeled.txt"


def test_memory_benchmark_reads_txt_data(bench, tmp_path):
    out = tmp_path / "memory.json"
    argv = ["--data", str(UNLABELED_TXT), "--modes", "gensim-stream"]
    assert bench.main([*argv, "--json", str(out)]) == 0
    (row,) = json.loads(out.read_text(encoding="utf-8"))["results"]
    lines = UNLABELED_TXT.read_text(encoding="utf-8").splitlines()
    assert row["texts"] == sum(1 for line in lines if line.strip())
    assert row["vocabulary"] > 0


def _write_text(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def _write_archive(path: Path, member: str) -> Path:
    with tarfile.open(path, "w:gz") as archive:
        data = b"a good film"
        info = tarfile.TarInfo(member)
        info.size = len(data)
        archive.addfile(info, io.BytesIO(data))
    return path


@pytest.mark.parametrize(
    ("make_data", "message"),
    [
        (
            lambda folder: _write_text(folder / "notes.md", "a good film\n"),
            "is not a tar archive, .txt or table file",
        ),
        (
            lambda folder: _write_text(folder / "reviews", "a good film\n"),
            "is not a tar archive, .txt or table file",
        ),
        (lambda folder: folder, "is a folder without train/ or aclImdb/train/"),
    ],
    ids=["markdown-file", "file-without-suffix", "folder-without-train"],
)
def test_memory_benchmark_rejects_unknown_data_kind(
    bench, tmp_path, capsys, make_data, message
):
    data = str(make_data(tmp_path))
    with pytest.raises(SystemExit) as raised:
        bench.main(["--data", data, "--modes", "gensim-stream"])
    assert raised.value.code == 2
    err = capsys.readouterr().err
    assert f"--data {data} {message}" in err
    assert "a .txt file with one text per line" in err
    assert "Traceback" not in err


def test_memory_benchmark_names_invalid_data_in_one_line(bench, tmp_path, capsys):
    archive = _write_archive(tmp_path / "other.tar.gz", "readme.txt")
    argv = ["--data", str(archive), "--modes", "gensim-stream"]
    assert bench.main(argv) == 2
    err_lines = capsys.readouterr().err.strip().splitlines()
    assert "error: mode gensim-stream failed with exit status 2" in err_lines[-1]
    assert f"--data {archive}: archive {archive} has no .txt reviews" in err_lines[-1]
    assert not any("Traceback" in line for line in err_lines)


def test_memory_benchmark_names_empty_gensim_vocabulary(bench, tmp_path, capsys):
    texts = _write_text(tmp_path / "texts.txt", "a good film\nthe plot was bad\n")
    assert bench.main(["--data", str(texts), "--modes", "gensim-stream"]) == 2
    err = capsys.readouterr().err
    assert "no word occurs at least min_count=5 times" in err
    assert "Traceback" not in err


def test_memory_benchmark_loads_table_text_column(bench, tmp_path):
    table = _write_text(
        tmp_path / "reviews.csv", 'id,text\n1,a good film\n2,"bad, dull"\n'
    )
    assert bench.check_data(str(table)) is None
    assert bench._load_texts(str(table)) == ["a good film", "bad, dull"]


def test_memory_interrupt_prints_one_line(bench, monkeypatch, capsys):
    def interrupted(parser, args):
        raise KeyboardInterrupt

    monkeypatch.setattr(bench, "run", interrupted)
    assert bench.main(["--data", "default"]) == 130
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert line.startswith("bench_pretrain_memory: interrupted; nothing was written")
