"""Tests for embedsent.datasets: containers, loaders and balanced sampling."""

from __future__ import annotations

import csv
import io
import json
import logging
import os
import shutil
import subprocess
import tarfile
from pathlib import Path

import numpy as np
import pytest
from fifos import feed_fifo

from embedsent.datasets import (
    ColumnNotFoundError,
    LabeledTexts,
    SplitCorpus,
    aclimdb_review_files,
    balanced_sample,
    describe_label_clashes,
    limit_corpus,
    load_aclimdb,
    load_default_corpus,
    load_pang_lee,
    load_rt_polarity,
    load_table,
    numeric_label_clashes,
)

REAL_ARCHIVE = (
    Path(__file__).resolve().parents[2] / "shared" / "data" / "aclImdb-partial.tar.gz"
)
REPO_DATA = Path(__file__).resolve().parents[1] / "data"

# Review counts per folder of a tiny aclImdb tree built by the fixtures.
TINY_COUNTS = {
    "train/pos": 6,
    "train/neg": 5,
    "train/unsup": 7,
    "test/pos": 4,
    "test/neg": 3,
}


def tiny_review(folder: str, index: int) -> str:
    # Non-ASCII characters check that files are decoded as UTF-8.
    return f"{folder} review {index} – café"


def tiny_members(root: str = "aclImdb") -> dict[str, bytes]:
    """Map member paths of a tiny aclImdb tree to their UTF-8 contents."""
    members = {f"{root}/README": b"not a review"}
    for folder, count in TINY_COUNTS.items():
        for index in range(count):
            rating = 0 if folder.endswith("unsup") else 8
            members[f"{root}/{folder}/{index}_{rating}.txt"] = tiny_review(
                folder, index
            ).encode("utf-8")
    return members


def write_tree(base: Path, members: dict[str, bytes]) -> None:
    for name, data in members.items():
        path = base / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


def write_archive(path: Path, members: dict[str, bytes], mode: str = "w:gz") -> Path:
    with tarfile.open(path, mode) as archive:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return path


@pytest.fixture
def tiny_folder(tmp_path: Path) -> Path:
    write_tree(tmp_path, tiny_members())
    return tmp_path / "aclImdb"


@pytest.fixture
def tiny_archive(tmp_path: Path) -> Path:
    return write_archive(tmp_path / "tiny.tar.gz", tiny_members())


# ---------------------------------------------------------------------------
# LabeledTexts and SplitCorpus
# ---------------------------------------------------------------------------


def test_labeled_texts_converts_lists_to_tuples():
    labeled = LabeledTexts(["a", "b"], ["pos", "neg"])
    assert labeled.texts == ("a", "b")
    assert labeled.labels == ("pos", "neg")
    assert len(labeled) == 2


def test_labeled_texts_rejects_length_mismatch():
    with pytest.raises(ValueError, match="2 texts and 1 labels"):
        LabeledTexts(["a", "b"], ["pos"])


def test_labeled_texts_rejects_non_string_text():
    with pytest.raises(TypeError, match=r"texts\[1\] must be a str, got int"):
        LabeledTexts(["a", 3], ["pos", "neg"])


def test_labeled_texts_rejects_unhashable_label():
    with pytest.raises(TypeError, match=r"labels\[0\] must be hashable"):
        LabeledTexts(["a"], [["pos"]])


def test_labeled_texts_rejects_single_string():
    with pytest.raises(TypeError, match="got a single str 'abc'. Wrap it in a list"):
        LabeledTexts("abc", ["x", "y", "z"])


def test_labeled_texts_is_frozen():
    labeled = LabeledTexts(["a"], ["pos"])
    with pytest.raises(AttributeError):
        labeled.texts = ("b",)  # type: ignore[misc]


def test_subset_selects_in_given_order():
    labeled = LabeledTexts(["a", "b", "c"], ["x", "y", "z"])
    picked = labeled.subset([2, 0, 2])
    assert picked.texts == ("c", "a", "c")
    assert picked.labels == ("z", "x", "z")


def test_subset_accepts_numpy_indices():
    labeled = LabeledTexts(["a", "b", "c"], ["x", "y", "z"])
    assert labeled.subset(np.array([1], dtype=np.int64)).texts == ("b",)


def test_subset_empty_indices():
    labeled = LabeledTexts(["a"], ["x"])
    assert len(labeled.subset([])) == 0


def test_subset_rejects_out_of_range():
    labeled = LabeledTexts(["a", "b"], ["x", "y"])
    with pytest.raises(IndexError, match=r"index 2 is out of range for 2"):
        labeled.subset([0, 2])
    with pytest.raises(IndexError, match=r"index -1 is out of range"):
        labeled.subset([-1])


def test_subset_rejects_boolean_mask():
    labeled = LabeledTexts(["a", "b"], ["x", "y"])
    with pytest.raises(TypeError, match="np.flatnonzero"):
        labeled.subset(np.array([True, False]))


def test_subset_rejects_float_indices():
    labeled = LabeledTexts(["a", "b"], ["x", "y"])
    with pytest.raises(TypeError, match="dtype float64"):
        labeled.subset([0.0, 1.0])


def test_label_counts_sorted_by_label():
    labeled = LabeledTexts(["a", "b", "c"], ["pos", "neg", "pos"])
    counts = labeled.label_counts()
    assert counts == {"neg": 1, "pos": 2}
    assert list(counts) == ["neg", "pos"]


def test_label_counts_mixed_label_types():
    labeled = LabeledTexts(["a", "b", "c"], [1, "one", 1])
    assert labeled.label_counts() == {1: 2, "one": 1}


def test_split_corpus_rejects_plain_tuple_train():
    test = LabeledTexts(["a"], ["x"])
    with pytest.raises(TypeError, match="train must be a LabeledTexts, got tuple"):
        SplitCorpus("c", ("u",), (("a",), ("x",)), test)  # type: ignore[arg-type]


# ---------------------------------------------------------------------------
# load_aclimdb
# ---------------------------------------------------------------------------


def check_tiny_corpus(corpus: SplitCorpus) -> None:
    assert corpus.name == "aclImdb"
    assert corpus.train.label_counts() == {"neg": 5, "pos": 6}
    assert corpus.test.label_counts() == {"neg": 3, "pos": 4}
    assert len(corpus.unlabeled) == 7
    assert tiny_review("train/pos", 0) in corpus.train.texts
    assert tiny_review("train/unsup", 6) in corpus.unlabeled


def test_aclimdb_loads_dataset_folder(tiny_folder: Path):
    check_tiny_corpus(load_aclimdb(tiny_folder))


def test_aclimdb_loads_parent_folder(tiny_folder: Path):
    check_tiny_corpus(load_aclimdb(tiny_folder.parent))


def test_aclimdb_error_points_shipped_layout_to_default():
    folder = REPO_DATA / "movie_reviews"
    with pytest.raises(FileNotFoundError) as raised:
        load_aclimdb(folder)
    message = str(raised.value)
    assert message.startswith(f"no aclImdb dataset in {folder}")
    assert "the name 'default' loads the shipped one" in message
    assert "(unlabeled.txt, train.jsonl, test.jsonl)" in message


def test_aclimdb_error_names_data_files_in_folder(tmp_path: Path):
    for name in ["e.tsv", "a.csv", "b.TXT", "c.jsonl", "d.ndjson", "notes.md"]:
        (tmp_path / name).write_text("text\n")
    (tmp_path / "sub.csv").mkdir()
    with pytest.raises(FileNotFoundError) as raised:
        load_aclimdb(tmp_path)
    assert str(raised.value).endswith(
        f"To read a text or table file in {tmp_path} (a.csv, b.TXT, c.jsonl, "
        "d.ndjson and 1 more), pass that file"
    )


def test_aclimdb_error_without_data_files_names_only_layout(tmp_path: Path):
    (tmp_path / "notes.md").write_text("x")
    with pytest.raises(FileNotFoundError) as raised:
        load_aclimdb(tmp_path)
    assert str(raised.value).endswith("or the .tar.gz archive")


def test_review_files_lists_what_the_loader_reads(tiny_folder: Path):
    (tiny_folder / "train" / "urls_pos.csv").write_text("not read")
    files = aclimdb_review_files(tiny_folder.parent)
    names = [path.relative_to(tiny_folder).as_posix() for path in files]
    assert len(names) == sum(TINY_COUNTS.values())
    assert names[0] == "train/pos/0_8.txt"
    assert names[-1] == "train/unsup/6_0.txt"
    assert "README" not in " ".join(names)
    assert "urls_pos.csv" not in " ".join(names)


def test_review_files_skip_missing_subfolder(tiny_folder: Path):
    for path in (tiny_folder / "test" / "neg").iterdir():
        path.unlink()
    (tiny_folder / "test" / "neg").rmdir()
    files = aclimdb_review_files(tiny_folder)
    assert len(files) == sum(TINY_COUNTS.values()) - TINY_COUNTS["test/neg"]


def test_aclimdb_loads_archive(tiny_archive: Path):
    check_tiny_corpus(load_aclimdb(tiny_archive))


def test_aclimdb_loads_uncompressed_tar(tmp_path: Path):
    archive = write_archive(tmp_path / "tiny.tar", tiny_members(), mode="w")
    check_tiny_corpus(load_aclimdb(archive))


@pytest.mark.parametrize("mode", ["w", "w:gz", "w:bz2", "w:xz"])
def test_aclimdb_loads_archive_from_fifo(tmp_path: Path, mode: str):
    archive = write_archive(tmp_path / "tiny.tar", tiny_members(), mode=mode)
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    writer = feed_fifo(fifo, archive.read_bytes())
    check_tiny_corpus(load_aclimdb(fifo))
    writer.join(timeout=10)
    assert not writer.is_alive()


def test_table_loads_from_fifo(tmp_path: Path):
    fifo = tmp_path / "pipe.csv"
    os.mkfifo(fifo)
    writer = feed_fifo(fifo, b"text,label\ngood,pos\nbad,neg\n")
    labeled = load_table(fifo)
    writer.join(timeout=10)
    assert labeled.texts == ("good", "bad")
    assert labeled.labels == ("pos", "neg")


def test_aclimdb_loads_archive_without_top_folder(tmp_path: Path):
    members = {
        name.removeprefix("aclImdb/"): data for name, data in tiny_members().items()
    }
    check_tiny_corpus(load_aclimdb(write_archive(tmp_path / "flat.tgz", members)))


def test_aclimdb_folder_and_archive_agree(tiny_folder: Path, tiny_archive: Path):
    from_folder = load_aclimdb(tiny_folder)
    from_archive = load_aclimdb(tiny_archive)
    assert from_folder == from_archive


def test_aclimdb_labels_follow_folders(tiny_archive: Path):
    corpus = load_aclimdb(tiny_archive)
    for text, label in zip(corpus.train.texts, corpus.train.labels, strict=True):
        assert text.startswith(f"train/{label} ")


def test_aclimdb_progress_bar(tiny_folder: Path, tiny_archive: Path, capsys):
    check_tiny_corpus(load_aclimdb(tiny_folder, progress=True))
    check_tiny_corpus(load_aclimdb(tiny_archive, progress=True))
    assert "aclImdb" in capsys.readouterr().err


def test_aclimdb_logs_start_and_finish(tiny_archive: Path, caplog):
    with caplog.at_level(logging.INFO, logger="embedsent.datasets"):
        load_aclimdb(tiny_archive)
    messages = [record.getMessage() for record in caplog.records]
    assert messages[0].startswith("Loading aclImdb from")
    assert "11 train, 7 test, 7 unlabeled reviews" in messages[-1]


def test_aclimdb_subset_sizes(tiny_archive: Path):
    corpus = load_aclimdb(tiny_archive, max_per_class=2, max_unlabeled=3)
    assert corpus.train.label_counts() == {"neg": 2, "pos": 2}
    assert corpus.test.label_counts() == {"neg": 2, "pos": 2}
    assert len(corpus.unlabeled) == 3


def test_aclimdb_subset_is_deterministic(tiny_archive: Path):
    first = load_aclimdb(tiny_archive, max_per_class=2, max_unlabeled=3, seed=5)
    second = load_aclimdb(tiny_archive, max_per_class=2, max_unlabeled=3, seed=5)
    assert first == second


def test_aclimdb_subset_depends_on_seed(tiny_archive: Path):
    subsets = {
        load_aclimdb(
            tiny_archive, max_per_class=2, max_unlabeled=2, seed=seed
        ).unlabeled
        for seed in range(6)
    }
    assert len(subsets) > 1


def test_aclimdb_subset_ignores_member_order(tmp_path: Path):
    members = tiny_members()
    forward = write_archive(tmp_path / "forward.tar.gz", members)
    backward = write_archive(
        tmp_path / "backward.tar.gz", dict(reversed(list(members.items())))
    )
    options = {"max_per_class": 3, "max_unlabeled": 4, "seed": 11}
    assert load_aclimdb(forward, **options) == load_aclimdb(backward, **options)


def test_aclimdb_subset_same_from_folder(tiny_folder: Path, tiny_archive: Path):
    options = {"max_per_class": 3, "max_unlabeled": 4, "seed": 2}
    assert load_aclimdb(tiny_folder, **options) == load_aclimdb(tiny_archive, **options)


def test_aclimdb_limit_above_count_keeps_all(tiny_archive: Path):
    corpus = load_aclimdb(tiny_archive, max_per_class=100, max_unlabeled=100)
    check_tiny_corpus(corpus)


def test_aclimdb_skips_hidden_files(tmp_path: Path):
    members = tiny_members()
    members["aclImdb/train/pos/._0_8.txt"] = b"\xff\xfe metadata"
    corpus = load_aclimdb(write_archive(tmp_path / "hidden.tar.gz", members))
    assert corpus.train.label_counts()["pos"] == 6


def test_aclimdb_without_unsup_needs_zero_limit(tmp_path: Path):
    members = {k: v for k, v in tiny_members().items() if "unsup" not in k}
    write_tree(tmp_path, members)
    with pytest.raises(FileNotFoundError, match=r"missing folder .*train/unsup"):
        load_aclimdb(tmp_path)
    corpus = load_aclimdb(tmp_path, max_unlabeled=0)
    assert corpus.unlabeled == ()
    assert len(corpus.train) == 11


def test_aclimdb_missing_folder_in_archive(tmp_path: Path):
    members = {k: v for k, v in tiny_members().items() if "test/neg" not in k}
    archive = write_archive(tmp_path / "partial.tar.gz", members)
    with pytest.raises(
        FileNotFoundError, match=r"no \.txt reviews under aclImdb/test/neg/"
    ):
        load_aclimdb(archive)


def test_aclimdb_missing_path(tmp_path: Path):
    with pytest.raises(FileNotFoundError, match="aclImdb dataset not found at"):
        load_aclimdb(tmp_path / "nowhere")


def test_aclimdb_relative_path_shows_folder(tmp_path: Path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(FileNotFoundError) as raised:
        load_aclimdb("../missing/aclImdb.tar.gz")
    message = str(raised.value)
    assert f"({tmp_path}/../missing/aclImdb.tar.gz, relative to the" in message


def test_aclimdb_folder_without_dataset(tmp_path: Path):
    with pytest.raises(FileNotFoundError, match="expected train/ and test/ folders"):
        load_aclimdb(tmp_path)


def test_aclimdb_empty_review_folder(tmp_path: Path):
    write_tree(tmp_path, tiny_members())
    for path in (tmp_path / "aclImdb" / "test" / "pos").iterdir():
        path.unlink()
    with pytest.raises(FileNotFoundError, match=r"no \.txt review files in .*test/pos"):
        load_aclimdb(tmp_path)


def test_aclimdb_without_test_skips_empty_test_folder(tmp_path: Path):
    write_tree(tmp_path, tiny_members())
    for path in (tmp_path / "aclImdb" / "test" / "pos").iterdir():
        path.unlink()
    corpus = load_aclimdb(tmp_path, with_test=False)
    assert len(corpus.train) == 11
    assert len(corpus.test) == 0
    assert len(corpus.unlabeled) == 7


def test_aclimdb_archive_without_test_skips_test(tmp_path: Path):
    members = {k: v for k, v in tiny_members().items() if "/test/" not in k}
    archive = write_archive(tmp_path / "train_only.tar.gz", members)
    corpus = load_aclimdb(archive, with_test=False)
    assert corpus.train.label_counts() == {"neg": 5, "pos": 6}
    assert len(corpus.test) == 0


def test_aclimdb_rejects_non_archive_file(tmp_path: Path):
    path = tmp_path / "reviews.txt"
    path.write_text("just text\n" * 100)
    with pytest.raises(ValueError, match="cannot read .*reviews.txt as a tar archive"):
        load_aclimdb(path)


def test_aclimdb_rejects_truncated_archive(tiny_archive: Path, tmp_path: Path):
    truncated = tmp_path / "truncated.tar.gz"
    truncated.write_bytes(tiny_archive.read_bytes()[:200])
    with pytest.raises(ValueError, match="complete .tar"):
        load_aclimdb(truncated)


@pytest.mark.parametrize("mode", ["w:bz2", "w:xz"])
def test_aclimdb_loads_other_compressions(tmp_path: Path, mode: str):
    archive = write_archive(tmp_path / f"tiny.{mode[2:]}", tiny_members(), mode=mode)
    check_tiny_corpus(load_aclimdb(archive))


def test_aclimdb_rejects_missing_gzip_trailer(tiny_archive: Path, tmp_path: Path):
    # Dropping the CRC and size trailer leaves every tar member readable, so
    # only the end-of-stream check can notice the damage.
    cut = tmp_path / "no_trailer.tar.gz"
    cut.write_bytes(tiny_archive.read_bytes()[:-8])
    with pytest.raises(ValueError, match="cannot read .*no_trailer.tar.gz"):
        load_aclimdb(cut)


def test_aclimdb_rejects_truncated_plain_tar(tmp_path: Path):
    members = tiny_members()
    members["aclImdb/train/unsup/zz_0.txt"] = b"x" * 5000
    archive = write_archive(tmp_path / "tiny.tar", members, mode="w")
    cut = tmp_path / "cut.tar"
    data = archive.read_bytes()
    cut.write_bytes(data[: data.index(b"x" * 5000) + 1000])
    with pytest.raises(
        ValueError, match="cut.tar as a tar archive .unexpected end of data"
    ):
        load_aclimdb(cut)


def test_aclimdb_decode_error_names_file(tmp_path: Path):
    members = tiny_members()
    members["aclImdb/test/neg/1_2.txt"] = b"caf\xe9"
    archive = write_archive(tmp_path / "latin.tar.gz", members)
    with pytest.raises(
        ValueError, match=r"aclImdb/test/neg/1_2\.txt .* not valid UTF-8"
    ):
        load_aclimdb(archive)


def test_aclimdb_rejects_two_roots(tmp_path: Path):
    members = tiny_members() | tiny_members(root="copy")
    archive = write_archive(tmp_path / "two.tar.gz", members)
    with pytest.raises(ValueError, match="several top-level folders"):
        load_aclimdb(archive)


@pytest.mark.parametrize(
    ("options", "error", "message"),
    [
        ({"max_per_class": -1}, ValueError, "max_per_class must be >= 0"),
        ({"max_unlabeled": 2.5}, TypeError, "max_unlabeled must be an int or None"),
        ({"max_per_class": True}, TypeError, "max_per_class must be an int"),
        ({"seed": -3}, ValueError, "seed must be >= 0, got -3"),
        ({"seed": "1"}, TypeError, "seed must be an int"),
    ],
)
def test_aclimdb_rejects_bad_options(tiny_archive: Path, options, error, message):
    with pytest.raises(error, match=message):
        load_aclimdb(tiny_archive, **options)


def test_aclimdb_rejects_non_path():
    with pytest.raises(TypeError, match="path must be a str or os.PathLike"):
        load_aclimdb(42)  # type: ignore[arg-type]


@pytest.mark.realdata
def test_aclimdb_real_archive_subset():
    if not REAL_ARCHIVE.is_file():
        pytest.skip(f"real IMDB archive not found at {REAL_ARCHIVE}")
    corpus = load_aclimdb(REAL_ARCHIVE, max_per_class=50, max_unlabeled=100)
    assert corpus.train.label_counts() == {"neg": 50, "pos": 50}
    assert corpus.test.label_counts() == {"neg": 50, "pos": 50}
    assert len(corpus.unlabeled) == 100
    assert len(set(corpus.train.texts)) == 100
    assert all(len(text) > 20 for text in corpus.unlabeled)


# ---------------------------------------------------------------------------
# load_default_corpus
# ---------------------------------------------------------------------------


def write_default_corpus(data_dir: Path) -> None:
    folder = data_dir / "movie_reviews"
    folder.mkdir(parents=True)
    (folder / "unlabeled.txt").write_text("first review\n\nsecond review\n")
    for name, rows in (
        ("train.jsonl", [("good film", "pos"), ("bad film", "neg")]),
        ("test.jsonl", [("great", "pos"), ("awful", "neg"), ("fine", "pos")]),
    ):
        lines = [json.dumps({"text": text, "label": label}) for text, label in rows]
        (folder / name).write_text("\n".join(lines) + "\n")


def test_default_corpus_from_data_dir(tmp_path: Path):
    write_default_corpus(tmp_path)
    corpus = load_default_corpus(tmp_path)
    assert corpus.name == "movie_reviews"
    assert corpus.unlabeled == ("first review", "second review")
    assert corpus.train == LabeledTexts(["good film", "bad film"], ["pos", "neg"])
    assert corpus.test.label_counts() == {"neg": 1, "pos": 2}


def test_default_corpus_missing_file(tmp_path: Path):
    write_default_corpus(tmp_path)
    (tmp_path / "movie_reviews" / "test.jsonl").unlink()
    with pytest.raises(FileNotFoundError, match=r"test\.jsonl\. Pass the folder"):
        load_default_corpus(tmp_path)


def test_default_corpus_repository_data():
    folder = REPO_DATA / "movie_reviews"
    names = ("unlabeled.txt", "train.jsonl", "test.jsonl")
    if not all((folder / name).is_file() for name in names):
        pytest.skip(f"default corpus files not present in {folder}")
    corpus = load_default_corpus()
    assert len(corpus.unlabeled) == 62
    assert corpus.train.label_counts() == {"neg": 4, "pos": 4}
    assert corpus.test.label_counts() == {"neg": 100, "pos": 100}


def test_default_corpus_missing_message(monkeypatch: pytest.MonkeyPatch, tmp_path):
    import embedsent

    fake_package = tmp_path / "site-packages" / "embedsent" / "__init__.py"
    monkeypatch.setattr(embedsent, "__file__", str(fake_package))
    with pytest.raises(
        FileNotFoundError, match=r"\(`pip install -e \.`\) or pass data_dir"
    ):
        load_default_corpus()


# ---------------------------------------------------------------------------
# load_rt_polarity and load_pang_lee
# ---------------------------------------------------------------------------


def write_rt_files(tmp_path: Path, encoding: str = "latin-1") -> tuple[Path, Path]:
    pos = tmp_path / "rt-polarity.pos"
    neg = tmp_path / "rt-polarity.neg"
    pos.write_bytes("a touching café scene . \n\nsmart and funny . \n".encode(encoding))
    neg.write_bytes("dull and slow . \r\n".encode(encoding))
    return pos, neg


def test_rt_polarity_latin1(tmp_path: Path):
    pos, neg = write_rt_files(tmp_path)
    labeled = load_rt_polarity(pos, neg, encoding="latin-1")
    assert labeled.texts == (
        "a touching café scene .",
        "smart and funny .",
        "dull and slow .",
    )
    assert labeled.labels == ("pos", "pos", "neg")


def test_rt_polarity_utf8(tmp_path: Path):
    pos, neg = write_rt_files(tmp_path, encoding="utf-8")
    assert load_rt_polarity(pos, neg).texts[0] == "a touching café scene ."


def test_rt_polarity_decode_error_suggests_latin1(tmp_path: Path):
    pos, neg = write_rt_files(tmp_path)
    with pytest.raises(
        ValueError, match=r"rt-polarity\.pos is not valid utf-8"
    ) as info:
        load_rt_polarity(pos, neg)
    assert "encoding='latin-1'" in str(info.value)
    assert "errors='replace'" in str(info.value)


def test_rt_polarity_errors_replace(tmp_path: Path):
    pos, neg = write_rt_files(tmp_path)
    labeled = load_rt_polarity(pos, neg, errors="replace")
    assert labeled.texts[0] == "a touching caf\ufffd scene ."
    assert len(labeled) == 3


def test_rt_polarity_keeps_latin1_control_bytes(tmp_path: Path):
    pos = tmp_path / "pos.txt"
    neg = tmp_path / "neg.txt"
    pos.write_bytes(b"wait for it \x85 yes\n")
    neg.write_bytes(b"no\n")
    labeled = load_rt_polarity(pos, neg, encoding="latin-1")
    assert labeled.texts == ("wait for it \x85 yes", "no")


def test_rt_polarity_missing_file(tmp_path: Path):
    pos, _ = write_rt_files(tmp_path)
    with pytest.raises(FileNotFoundError, match="neg_path not found: .*absent"):
        load_rt_polarity(pos, tmp_path / "absent", encoding="latin-1")


def test_rt_polarity_blank_file(tmp_path: Path):
    pos, neg = write_rt_files(tmp_path)
    neg.write_text("\n  \n")
    with pytest.raises(ValueError, match="neg_path .* contains no non-blank lines"):
        load_rt_polarity(pos, neg, encoding="latin-1")


def test_rt_polarity_unknown_encoding(tmp_path: Path):
    pos, neg = write_rt_files(tmp_path)
    with pytest.raises(ValueError, match="unknown encoding 'latin-9000'"):
        load_rt_polarity(pos, neg, encoding="latin-9000")
    with pytest.raises(ValueError, match="unknown errors handler 'skip'"):
        load_rt_polarity(pos, neg, errors="skip")


def test_pang_lee_counts_and_labels():
    labeled = load_pang_lee()
    assert len(labeled) == 200
    assert labeled.label_counts() == {"neg": 100, "pos": 100}
    assert labeled.texts[0] == "simplistic , silly and tedious ."
    assert labeled.labels[0] == "neg"


def test_pang_lee_decodes_cp1252():
    texts = load_pang_lee().texts
    assert any("\u2014" in text for text in texts)
    assert any("clichés" in text for text in texts)
    assert not any(text.startswith("__label__") for text in texts)


# ---------------------------------------------------------------------------
# load_table
# ---------------------------------------------------------------------------


def test_table_csv_with_quoted_newline(tmp_path: Path):
    path = tmp_path / "reviews.csv"
    path.write_text('text,label\n"line one\nline two",pos\nplain,neg\n')
    labeled = load_table(path)
    assert labeled == LabeledTexts(["line one\nline two", "plain"], ["pos", "neg"])


def test_table_tsv_custom_columns(tmp_path: Path):
    path = tmp_path / "reviews.tsv"
    path.write_text("id\treview\tstars\n1\tgood, really\t5\n2\tbad\t1\n")
    labeled = load_table(path, text_column="review", label_column="stars")
    assert labeled == LabeledTexts(["good, really", "bad"], ["5", "1"])


@pytest.fixture
def field_limit():
    """Set csv's field size limit to its default and restore the previous one."""
    previous = csv.field_size_limit(131072)
    yield 131072
    csv.field_size_limit(previous)


@pytest.mark.parametrize(("suffix", "delimiter"), [(".csv", ","), (".tsv", "\t")])
def test_table_reads_field_over_csv_limit(
    tmp_path: Path, field_limit: int, suffix: str, delimiter: str
):
    long_review = "great " * 50_000
    assert len(long_review) == 300_000
    path = tmp_path / f"long{suffix}"
    path.write_text(
        f"text{delimiter}label\n{long_review}{delimiter}pos\nshort{delimiter}neg\n"
    )
    labeled = load_table(path)
    assert labeled.texts == (long_review, "short")
    assert labeled.labels == ("pos", "neg")
    assert csv.field_size_limit() == field_limit


def test_table_restores_csv_limit_after_error(tmp_path: Path, field_limit: int):
    path = tmp_path / "broken.csv"
    path.write_text('text,label\n"' + "x" * 200_000 + "\n")
    with pytest.raises(ValueError, match="malformed CSV"):
        load_table(path)
    assert csv.field_size_limit() == field_limit


def test_table_csv_limit_falls_back_below_overflow(tmp_path: Path, monkeypatch):
    real_field_size_limit = csv.field_size_limit
    requested = []

    def limited(*new_limit):
        if new_limit:
            requested.append(new_limit[0])
            if new_limit[0] > 2**31 - 1:
                raise OverflowError("Python int too large to convert to C long")
        return real_field_size_limit(*new_limit)

    monkeypatch.setattr(csv, "field_size_limit", limited)
    previous = real_field_size_limit()
    path = tmp_path / "long.csv"
    path.write_text("text,label\n" + "y" * 300_000 + ",pos\n")
    assert load_table(path).texts == ("y" * 300_000,)
    assert requested[-1] == previous
    assert 2**31 - 1 in requested
    assert real_field_size_limit() == previous


def test_table_csv_with_byte_order_mark(tmp_path: Path):
    path = tmp_path / "bom.csv"
    path.write_bytes("text,label\nhi,pos\n".encode("utf-8-sig"))
    assert load_table(path) == LabeledTexts(["hi"], ["pos"])


def test_table_texts_only(tmp_path: Path):
    path = tmp_path / "unlabeled.csv"
    path.write_text("text\nfirst\nsecond\n")
    assert load_table(path, label_column=None) == ("first", "second")


def test_table_jsonl(tmp_path: Path):
    path = tmp_path / "reviews.jsonl"
    path.write_text('{"text": "ok", "label": 1}\n\n{"text": "meh", "label": 0}\n')
    labeled = load_table(path)
    assert labeled == LabeledTexts(["ok", "meh"], [1, 0])


@pytest.mark.parametrize("suffix", [".ndjson", ".json", ".JSONL"])
def test_table_detects_jsonl_suffixes(tmp_path: Path, suffix: str):
    path = tmp_path / f"reviews{suffix}"
    path.write_text('{"text": "ok", "label": "pos"}\n')
    assert load_table(path) == LabeledTexts(["ok"], ["pos"])


def test_table_explicit_format_overrides_suffix(tmp_path: Path):
    path = tmp_path / "reviews.txt"
    path.write_text("text,label\nok,pos\n")
    assert load_table(path, format="csv") == LabeledTexts(["ok"], ["pos"])


def test_table_unknown_suffix(tmp_path: Path):
    path = tmp_path / "reviews.txt"
    path.write_text("text,label\nok,pos\n")
    with pytest.raises(ValueError, match=r"suffix '\.txt'.*format='csv'"):
        load_table(path)


def test_table_unknown_format(tmp_path: Path):
    path = tmp_path / "reviews.csv"
    path.write_text("text,label\nok,pos\n")
    with pytest.raises(
        ValueError, match=r"one of 'auto', 'csv', 'tsv', 'jsonl', got 'xls'"
    ):
        load_table(path, format="xls")


def test_table_csv_missing_column(tmp_path: Path):
    path = tmp_path / "reviews.csv"
    path.write_text("review,label\nok,pos\n")
    with pytest.raises(ValueError, match=r"'text' not found .*\['review', 'label'\]"):
        load_table(path)


def test_table_csv_missing_label_column(tmp_path: Path):
    path = tmp_path / "reviews.csv"
    path.write_text("text,sentiment\nok,pos\n")
    with pytest.raises(ValueError, match=r"'label' not found .*'sentiment'"):
        load_table(path)


@pytest.mark.parametrize(
    ("name", "content", "delimiter", "fix"),
    [
        (
            "reviews.csv",
            "text;label\nok;pos\n",
            ";",
            "save it again as comma-separated .csv or tab-separated .tsv",
        ),
        (
            "reviews.csv",
            "text\tlabel\nok\tpos\n",
            "\t",
            "rename the file to .tsv, or pass format='tsv'",
        ),
        (
            "reviews.tsv",
            "text,label\nok,pos\n",
            ",",
            "rename the file to .csv, or pass format='csv'",
        ),
    ],
    ids=["semicolon-in-csv", "tab-in-csv", "comma-in-tsv"],
)
def test_table_one_column_header_names_delimiter(
    tmp_path: Path, name: str, content: str, delimiter: str, fix: str
):
    path = tmp_path / name
    path.write_text(content)
    with pytest.raises(ColumnNotFoundError) as caught:
        load_table(path)
    message = str(caught.value)
    assert message.startswith(
        f"columns 'text' and 'label' not found in {path}. Columns found: "
    )
    assert f"seems to use {delimiter!r} as its delimiter" in message
    assert "reads .csv files with ',' and .tsv files with a tab" in message
    assert message.endswith(fix)
    assert "Pass text_column=" not in message
    assert caught.value.apparent_delimiter == delimiter


def test_table_one_column_header_without_delimiter(tmp_path: Path):
    path = tmp_path / "reviews.csv"
    path.write_text("review\nok\n")
    with pytest.raises(ColumnNotFoundError) as caught:
        load_table(path, label_column=None)
    assert caught.value.apparent_delimiter is None
    assert "delimiter" not in str(caught.value)
    assert str(caught.value).endswith(
        "Pass text_column= / label_column= to pick others"
    )


def test_table_several_columns_header_names_no_delimiter(tmp_path: Path):
    path = tmp_path / "reviews.csv"
    path.write_text("review;body,label\nok,pos\n")
    with pytest.raises(ColumnNotFoundError) as caught:
        load_table(path)
    assert caught.value.apparent_delimiter is None
    assert "delimiter" not in str(caught.value)


@pytest.mark.parametrize(
    ("content", "options", "fix"),
    [
        ("Text,label\nok,pos\n", {}, "pass text_column='Text'"),
        ("text,Label\nok,pos\n", {}, "pass label_column='Label'"),
        (
            "TEXT,label\nok,pos\n",
            {"text_column": "Text"},
            "pass text_column='TEXT'",
        ),
    ],
    ids=["text", "label", "custom-text-column"],
)
def test_table_column_differing_in_case_named(
    tmp_path: Path, content: str, options: dict, fix: str
):
    path = tmp_path / "reviews.csv"
    path.write_text(content)
    with pytest.raises(ColumnNotFoundError) as caught:
        load_table(path, **options)
    message = str(caught.value)
    assert "Column names are case-sensitive" in message
    assert message.endswith(fix)
    assert caught.value.case_matches == [fix.split("'")[1]]


def test_table_columns_differing_in_case_listed(tmp_path: Path):
    path = tmp_path / "reviews.csv"
    path.write_text("Text,TEXT,label\nok,ok,pos\n")
    with pytest.raises(ColumnNotFoundError) as caught:
        load_table(path)
    message = str(caught.value)
    assert "['Text', 'TEXT'] differ from 'text' only in case" in message
    assert message.endswith("pass one of them as text_column=")


def test_table_jsonl_key_differing_in_case_named(tmp_path: Path):
    path = tmp_path / "reviews.jsonl"
    path.write_text('{"Text": "ok", "label": "pos"}\n')
    with pytest.raises(ColumnNotFoundError) as caught:
        load_table(path)
    message = str(caught.value)
    assert message.startswith(f"column 'text' not found on line 1 of {path}")
    assert message.endswith("Column names are case-sensitive; pass text_column='Text'")


def test_table_one_missing_column_message(tmp_path: Path):
    path = tmp_path / "reviews.csv"
    path.write_text("text,sentiment\nok,pos\n")
    with pytest.raises(ColumnNotFoundError) as caught:
        load_table(path)
    assert str(caught.value) == (
        f"column 'label' not found in {path}. Columns found: ['text', 'sentiment']. "
        "Pass text_column= / label_column= to pick others"
    )
    assert caught.value.column == "label"
    assert caught.value.missing == {"label": []}


def test_csv_missing_both_columns_names_both(tmp_path: Path):
    path = tmp_path / "reviews.csv"
    path.write_text("review,sentiment\nok,pos\n")
    with pytest.raises(ColumnNotFoundError) as caught:
        load_table(path)
    assert str(caught.value) == (
        f"columns 'text' and 'label' not found in {path}. Columns found: "
        "['review', 'sentiment']. Pass text_column= / label_column= to pick others"
    )
    assert caught.value.column == "text"
    assert caught.value.missing == {"text": [], "label": []}


def test_csv_missing_custom_columns_named(tmp_path: Path):
    path = tmp_path / "reviews.csv"
    path.write_text("text,label\nok,pos\n")
    with pytest.raises(ColumnNotFoundError) as caught:
        load_table(path, text_column="body", label_column="stars")
    message = str(caught.value)
    assert message.startswith(f"columns 'body' and 'stars' not found in {path}.")
    assert message.endswith("Pass text_column= / label_column= to pick others")


def test_jsonl_missing_both_keys_names_both(tmp_path: Path):
    path = tmp_path / "reviews.jsonl"
    path.write_text(
        '{"text": "ok", "label": "pos"}\n{"body": "bad", "sentiment": "neg"}\n'
    )
    with pytest.raises(ColumnNotFoundError) as caught:
        load_table(path)
    assert str(caught.value) == (
        f"columns 'text' and 'label' not found on line 2 of {path}. Keys found: "
        "['body', 'sentiment']. Pass text_column= / label_column= to pick others"
    )
    assert caught.value.location == "line 2"
    assert caught.value.missing == {"text": [], "label": []}


@pytest.mark.parametrize("name", ["reviews.csv", "reviews.jsonl"])
def test_table_both_columns_differing_in_case_named(tmp_path: Path, name: str):
    path = tmp_path / name
    if name.endswith(".csv"):
        path.write_text("Text,Label\nok,pos\n")
    else:
        path.write_text('{"Text": "ok", "Label": "pos"}\n')
    with pytest.raises(ColumnNotFoundError) as caught:
        load_table(path)
    message = str(caught.value)
    assert message.startswith("columns 'text' and 'label' not found")
    assert message.endswith(
        "Column names are case-sensitive; pass text_column='Text' and "
        "label_column='Label'"
    )
    assert caught.value.missing == {"text": ["Text"], "label": ["Label"]}


def test_table_missing_columns_case_hint_and_parameter(tmp_path: Path):
    path = tmp_path / "reviews.csv"
    path.write_text("Text,sentiment\nok,pos\n")
    with pytest.raises(ColumnNotFoundError) as caught:
        load_table(path)
    message = str(caught.value)
    assert message.startswith(f"columns 'text' and 'label' not found in {path}.")
    assert message.endswith(
        "Column names are case-sensitive; pass text_column='Text'. "
        "Pass label_column= to name the column that contains the labels"
    )
    assert "label_column= to pick others" not in message


def test_table_missing_columns_case_lists(tmp_path: Path):
    path = tmp_path / "reviews.csv"
    path.write_text("Text,TEXT,Label,LABEL\nok,ok,pos,pos\n")
    with pytest.raises(ColumnNotFoundError) as caught:
        load_table(path)
    message = str(caught.value)
    assert "['Text', 'TEXT'] differ from 'text' only in case" in message
    assert "pass one of them as text_column=" in message
    assert message.endswith(
        "['Label', 'LABEL'] differ from 'label' only in case; "
        "pass one of them as label_column="
    )
    assert message.count("Column names are case-sensitive") == 1


def test_table_csv_empty_text(tmp_path: Path):
    path = tmp_path / "reviews.csv"
    path.write_text('text,label\nok,pos\n"  ",neg\n')
    with pytest.raises(
        ValueError, match=r"row 2 \(line 3\) .*: empty value in column 'text'"
    ):
        load_table(path)


def test_table_csv_short_row(tmp_path: Path):
    path = tmp_path / "reviews.csv"
    path.write_text('text,label\n"two\nlines",pos\nonly text\n')
    with pytest.raises(
        ValueError, match=r"row 2 \(line 4\) .*: missing value in column 'label'"
    ):
        load_table(path)


def test_table_csv_empty_label(tmp_path: Path):
    path = tmp_path / "reviews.csv"
    path.write_text("text,label\nok,\n")
    with pytest.raises(ValueError, match="row 1 .*: empty value in column 'label'"):
        load_table(path)


def test_table_empty_file(tmp_path: Path):
    path = tmp_path / "reviews.csv"
    path.write_text("")
    with pytest.raises(ValueError, match="is empty, but a header row is expected"):
        load_table(path)


def test_table_header_only(tmp_path: Path):
    path = tmp_path / "reviews.csv"
    path.write_text("text,label\n")
    with pytest.raises(ValueError, match="contains no rows; add one text per row"):
        load_table(path)


def test_table_malformed_csv(tmp_path: Path):
    path = tmp_path / "reviews.csv"
    path.write_text('text,label\n"unterminated quote,pos\n')
    with pytest.raises(
        ValueError,
        match="malformed CSV in .*, in the record starting at line 2: unexpected end",
    ):
        load_table(path)


def test_table_malformed_csv_mid_file(tmp_path: Path):
    path = tmp_path / "reviews.csv"
    path.write_text('text,label\nok,pos\n"quoted"trailing,neg\n')
    with pytest.raises(ValueError, match="record starting at line 3: ',' expected"):
        load_table(path)


def test_table_csv_line_after_blank_line(tmp_path: Path):
    path = tmp_path / "reviews.csv"
    path.write_text("text,label\nok,pos\n\n,neg\n")
    with pytest.raises(ValueError, match=r"row 2 \(line 4\)"):
        load_table(path)


def test_table_csv_decode_error(tmp_path: Path):
    path = tmp_path / "reviews.csv"
    path.write_bytes(b"text,label\ncaf\xe9,pos\n")
    with pytest.raises(
        ValueError,
        match=r"not valid utf-8: invalid continuation byte b'\\xe9' at byte 14 "
        r"\(line 2\)",
    ):
        load_table(path)
    assert load_table(path, encoding="latin-1").texts == ("café",)


def test_table_decode_error_offset_counts_bom(tmp_path: Path):
    path = tmp_path / "reviews.csv"
    path.write_bytes(b"\xef\xbb\xbftext,label\ncaf\xe9,pos\n")
    with pytest.raises(ValueError, match=r"at byte 17 \(line 2\)"):
        load_table(path)


def test_table_jsonl_keeps_line_separator(tmp_path: Path):
    path = tmp_path / "reviews.jsonl"
    record = {"text": "one\u2028two", "label": "pos"}
    path.write_text(json.dumps(record, ensure_ascii=False) + "\n", encoding="utf-8")
    assert load_table(path).texts == ("one\u2028two",)


def test_table_malformed_json(tmp_path: Path):
    path = tmp_path / "reviews.jsonl"
    path.write_text('{"text": "ok", "label": "pos"}\n{"text": "broken\n')
    with pytest.raises(ValueError, match="malformed JSON on line 2"):
        load_table(path)


def test_table_json_list_line(tmp_path: Path):
    path = tmp_path / "reviews.jsonl"
    path.write_text('{"text": "ok", "label": "pos"}\n[1, 2]\n')
    with pytest.raises(ValueError) as raised:
        load_table(path)
    assert str(raised.value) == (
        f"line 2 of {path} is a JSON array, but JSON Lines table files hold one "
        "object per line; write that record as an object with a 'text' key and "
        "a 'label' key"
    )


def test_table_array_first_record_named_per_line(tmp_path: Path):
    path = tmp_path / "reviews.jsonl"
    path.write_text('["ok", "pos"]\n{"text": "no", "label": "neg"}\n')
    with pytest.raises(ValueError) as raised:
        load_table(path)
    message = str(raised.value)
    assert message.startswith(f"line 1 of {path} is a JSON array, but JSON Lines")
    assert "jq" not in message


@pytest.mark.parametrize(
    ("content", "where"),
    [
        ('[{"text": "ok", "label": "pos"},\n', "line 2, column 1"),
        ('\n\n[\n{"text": "ok"}\n', "line 5, column 1"),
    ],
)
def test_table_broken_array_gets_parse_error(tmp_path: Path, content, where):
    path = tmp_path / "reviews.jsonl"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ValueError) as raised:
        load_table(path)
    message = str(raised.value)
    assert message.startswith(f"{path} starts with '[' like a JSON array, but is not")
    assert f"at {where};" in message
    assert "jq" not in message


def test_table_one_line_array_suggests_jq(tmp_path: Path):
    path = tmp_path / "reviews.jsonl"
    path.write_text('[{"text": "ok", "label": "pos"}, {"text": "no", "label": "neg"}]')
    with pytest.raises(ValueError, match="is a JSON array, but table files .* `jq -c"):
        load_table(path)


PRETTY_ARRAY = (
    '[\n  {"text": "ok", "label": "pos"},\n  {"text": "no", "label": "neg"}\n]\n'
)


@pytest.mark.parametrize(
    "content",
    [
        '[{"text": "ok", "label": "pos"}]\n',
        PRETTY_ARRAY,
        "\n  " + PRETTY_ARRAY,
        "\ufeff" + PRETTY_ARRAY,
    ],
)
def test_table_json_array_suggests_jq(tmp_path: Path, content):
    path = tmp_path / "reviews.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ValueError) as raised:
        load_table(path)
    message = str(raised.value)
    assert message.startswith(f"{path} is a JSON array, but table files must be")
    assert "JSON Lines, one object per line" in message
    assert f"jq -c '.[]' {path} > {tmp_path / 'reviews.jsonl'}" in message
    assert "malformed" not in message


def test_table_json_array_jsonl_suffix(tmp_path: Path):
    # The suggested output must not overwrite the input.
    path = tmp_path / "reviews.jsonl"
    path.write_text(PRETTY_ARRAY, encoding="utf-8")
    with pytest.raises(ValueError) as raised:
        load_table(path)
    assert f"> {tmp_path / 'reviews.lines.jsonl'}`" in str(raised.value)


def test_table_columns_json_array_suggests_jq(tmp_path: Path):
    from embedsent.datasets import read_table_columns

    path = tmp_path / "reviews.json"
    path.write_text(PRETTY_ARRAY, encoding="utf-8")
    with pytest.raises(ValueError) as raised:
        read_table_columns(path)
    message = str(raised.value)
    assert message.startswith(f"{path} is a JSON array")
    assert "jq -c '.[]'" in message


PRETTY_OBJECT = '{\n  "text": "ok",\n  "label": "pos"\n}\n'


@pytest.mark.parametrize(
    ("content", "lines"),
    [
        (PRETTY_OBJECT, "1-4"),
        (PRETTY_OBJECT + PRETTY_OBJECT, "1-4"),
        ("\n\n" + PRETTY_OBJECT, "3-6"),
        ("\ufeff" + PRETTY_OBJECT, "1-4"),
        ('{"text": "ok",\n "label": "pos"}\n', "1-2"),
        (PRETTY_OBJECT + '{"text": "no", "label": "neg"}\n', "1-4"),
    ],
    ids=["one", "two", "blank-lines", "bom", "brace-on-text-line", "then-jsonl"],
)
def test_table_pretty_object_suggests_jq(tmp_path: Path, content, lines):
    path = tmp_path / "reviews.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ValueError) as raised:
        load_table(path)
    message = str(raised.value)
    assert message.startswith(
        f"{path} has a pretty-printed JSON object on lines {lines}, but table "
        "files must be JSON Lines, one object per line"
    )
    assert f"`jq -c . {path} > {tmp_path / 'reviews.jsonl'}`" in message
    assert "malformed" not in message


def test_table_pretty_object_texts_only(tmp_path: Path):
    # embedsent predict reads a table without a label column.
    path = tmp_path / "texts.json"
    path.write_text('{\n  "text": "ok"\n}\n', encoding="utf-8")
    with pytest.raises(ValueError) as raised:
        load_table(path, label_column=None)
    message = str(raised.value)
    assert message.startswith(f"{path} has a pretty-printed JSON object on lines 1-3")
    assert f"jq -c . {path} > {tmp_path / 'texts.jsonl'}" in message


def test_table_pretty_object_jsonl_suffix(tmp_path: Path):
    # The suggested output must not overwrite the input.
    path = tmp_path / "reviews.jsonl"
    path.write_text(PRETTY_OBJECT, encoding="utf-8")
    with pytest.raises(ValueError) as raised:
        load_table(path)
    assert f"> {tmp_path / 'reviews.lines.jsonl'}`" in str(raised.value)


@pytest.mark.skipif(shutil.which("jq") is None, reason="jq is not installed")
def test_table_pretty_object_jq_command_converts(tmp_path: Path):
    pretty = tmp_path / "reviews.json"
    pretty.write_text(
        json.dumps({"text": "ok", "label": "pos"}, indent=2)
        + "\n"
        + json.dumps({"text": "no", "label": "neg"}, indent=2)
        + "\n",
        encoding="utf-8",
    )
    with pytest.raises(ValueError) as raised:
        load_table(pretty)
    command = str(raised.value).split("`")[1]
    subprocess.run(command, shell=True, check=True, cwd=tmp_path)
    labeled = load_table(tmp_path / "reviews.jsonl")
    assert labeled.texts == ("ok", "no")
    assert labeled.labels == ("pos", "neg")


@pytest.mark.parametrize(
    ("content", "where"),
    [
        ('{\n  "text": "ok",\n}\n', "line 3, column 1"),
        ('{\n  "text": "ok"\n  "label": "pos"\n}\n', "line 3, column 3"),
        ('\n{\n  "text": "ok",\n', "line 4, column 1"),
    ],
)
def test_table_broken_pretty_object_gets_parse_error(tmp_path: Path, content, where):
    path = tmp_path / "reviews.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ValueError) as raised:
        load_table(path)
    message = str(raised.value)
    assert message.startswith(
        f"{path} starts with a line '{{' like a pretty-printed JSON object, but "
        "is not valid JSON"
    )
    assert f"at {where};" in message
    assert "jq" not in message


def test_table_truncated_first_line_named_per_line(tmp_path: Path):
    # A first record cut short, followed by whole records, is one bad line of
    # a JSON Lines file, not a pretty-printed object.
    path = tmp_path / "reviews.jsonl"
    path.write_text(
        '{"text": "ok", "label": \n{"text": "no", "label": "neg"}\n',
        encoding="utf-8",
    )
    with pytest.raises(ValueError) as raised:
        load_table(path)
    message = str(raised.value)
    assert message.startswith(f"malformed JSON on line 1 of {path}")
    assert "jq" not in message


def test_table_columns_pretty_object_suggests_jq(tmp_path: Path):
    from embedsent.datasets import read_table_columns

    path = tmp_path / "reviews.json"
    path.write_text(PRETTY_OBJECT, encoding="utf-8")
    with pytest.raises(ValueError) as raised:
        read_table_columns(path)
    message = str(raised.value)
    assert message.startswith(f"{path} has a pretty-printed JSON object on lines 1-4")
    assert f"jq -c . {path}" in message


def test_table_columns_non_object_record(tmp_path: Path):
    from embedsent.datasets import read_table_columns

    path = tmp_path / "reviews.jsonl"
    path.write_text('"just a string"\n{"text": "ok"}\n', encoding="utf-8")
    with pytest.raises(ValueError) as raised:
        read_table_columns(path)
    assert str(raised.value) == (
        f"line 1 of {path} is a JSON string, but JSON Lines table files hold one "
        "object per line; write each record as an object whose keys are the "
        "column names"
    )


def test_table_jsonl_missing_key(tmp_path: Path):
    path = tmp_path / "reviews.jsonl"
    path.write_text('{"text": "ok", "label": "pos"}\n{"body": "x", "label": "neg"}\n')
    with pytest.raises(
        ValueError, match=r"'text' not found on line 2 .*\['body', 'label'\]"
    ):
        load_table(path)


def test_table_jsonl_null_text(tmp_path: Path):
    path = tmp_path / "reviews.jsonl"
    path.write_text('{"text": null, "label": "pos"}\n')
    with pytest.raises(ValueError, match="line 1 .*: missing value in column 'text'"):
        load_table(path)


def test_table_jsonl_empty_text(tmp_path: Path):
    path = tmp_path / "reviews.jsonl"
    path.write_text('\n{"text": "", "label": "pos"}\n')
    with pytest.raises(ValueError, match="line 2 .*: empty value in column 'text'"):
        load_table(path)


def test_jsonl_number_text_names_both_options(tmp_path: Path):
    path = tmp_path / "reviews.jsonl"
    path.write_text('{"text": 5, "label": "pos"}\n')
    with pytest.raises(TypeError, match="line 1 .* must be a string, got int") as err:
        load_table(path)
    assert str(err.value).endswith(
        "put the text in quotes, or name the column that holds the texts "
        "(--text-column on the command line, text_column= in Python)"
    )


def test_table_jsonl_unhashable_label(tmp_path: Path):
    path = tmp_path / "reviews.jsonl"
    path.write_text('{"text": "ok", "label": ["pos"]}\n')
    with pytest.raises(
        TypeError, match="line 1 .* must be a string or number, got list"
    ):
        load_table(path)


def test_table_missing_file(tmp_path: Path):
    with pytest.raises(FileNotFoundError, match="table file not found: .*absent.csv"):
        load_table(tmp_path / "absent.csv")


# ---------------------------------------------------------------------------
# balanced_sample
# ---------------------------------------------------------------------------


def make_labeled(counts: dict[str, int]) -> LabeledTexts:
    labels = [label for label, count in counts.items() for _ in range(count)]
    return LabeledTexts([f"text {i}" for i in range(len(labels))], labels)


def test_balanced_sample_even_split():
    labeled = make_labeled({"pos": 30, "neg": 10})
    indices = balanced_sample(labeled, 8, np.random.default_rng(0))
    assert labeled.subset(indices).label_counts() == {"neg": 4, "pos": 4}
    assert len(set(indices.tolist())) == 8


def test_balanced_sample_remainder_to_first_classes():
    labeled = make_labeled({"c": 10, "a": 10, "b": 10})
    indices = balanced_sample(labeled, 8, np.random.default_rng(0))
    assert labeled.subset(indices).label_counts() == {"a": 3, "b": 3, "c": 2}


def test_balanced_sample_is_deterministic():
    labeled = make_labeled({"pos": 20, "neg": 20})
    first = balanced_sample(labeled, 10, np.random.default_rng(7))
    second = balanced_sample(labeled, 10, np.random.default_rng(7))
    other = balanced_sample(labeled, 10, np.random.default_rng(8))
    assert np.array_equal(first, second)
    assert not np.array_equal(first, other)


def test_balanced_sample_is_shuffled():
    labeled = make_labeled({"neg": 50, "pos": 50})
    labels = labeled.subset(
        balanced_sample(labeled, 40, np.random.default_rng(1))
    ).labels
    # Classes drawn one after another would give 20 "neg" then 20 "pos".
    assert labels != tuple(sorted(labels))


def test_balanced_sample_all_when_n_large():
    labeled = make_labeled({"pos": 5, "neg": 2})
    indices = balanced_sample(labeled, 10, np.random.default_rng(0))
    assert sorted(indices.tolist()) == list(range(7))


def test_balanced_sample_class_too_small():
    labeled = make_labeled({"pos": 10, "neg": 2})
    with pytest.raises(
        ValueError, match="class 'neg' has 2 examples .* needs 3"
    ) as info:
        balanced_sample(labeled, 6, np.random.default_rng(0))
    assert "Lower n to 4 or less" in str(info.value)


def test_balanced_sample_n_below_class_count():
    labeled = make_labeled({"a": 3, "b": 3, "c": 3})
    with pytest.raises(ValueError, match=r"number of classes \(3: .*got n=2"):
        balanced_sample(labeled, 2, np.random.default_rng(0))


def test_balanced_sample_empty_input():
    with pytest.raises(ValueError, match="labeled is empty"):
        balanced_sample(LabeledTexts([], []), 1, np.random.default_rng(0))


def test_balanced_sample_rejects_seed_as_rng():
    labeled = make_labeled({"pos": 3, "neg": 3})
    with pytest.raises(
        TypeError, match=r"got int\. Create one with np.random.default_rng"
    ):
        balanced_sample(labeled, 2, 0)  # type: ignore[arg-type]


def test_balanced_sample_rejects_float_n():
    labeled = make_labeled({"pos": 3, "neg": 3})
    with pytest.raises(TypeError, match="n must be an int, got float"):
        balanced_sample(labeled, 2.0, np.random.default_rng(0))  # type: ignore[arg-type]


def test_table_csv_row_with_extra_field(tmp_path: Path):
    path = tmp_path / "shifted.csv"
    path.write_text(
        "text,label\ngreat movie, loved it,pos\nbad movie,neg\n", encoding="utf-8"
    )
    with pytest.raises(ValueError, match=r"row 1 \(line 2\).* fields but the header"):
        load_table(path)


def test_table_csv_duplicate_label_column(tmp_path: Path):
    path = tmp_path / "duplicate.csv"
    path.write_text("text,label,label\ngood,pos,neg\n", encoding="utf-8")
    with pytest.raises(ValueError, match="'label' appears 2 times"):
        load_table(path)


def test_table_jsonl_duplicate_label_rejected(tmp_path: Path):
    path = tmp_path / "duplicate.jsonl"
    path.write_text(
        '{"text": "ok", "label": "pos"}\n'
        '{"text": "hi", "label": "pos", "label": "neg"}\n',
        encoding="utf-8",
    )
    with pytest.raises(ValueError) as raised:
        load_table(path)
    message = str(raised.value)
    assert f"key 'label' appears 2 times in the object on line 2 of {path}" in message
    assert "remove or rename the duplicates" in message


def test_table_jsonl_escaped_duplicate_rejected(tmp_path: Path):
    path = tmp_path / "escaped.jsonl"
    # "\\u006cabel" is another spelling of "label".
    path.write_text(
        '{"text": "hi", "label": "pos", "\\u006cabel": "neg"}\n', encoding="utf-8"
    )
    with pytest.raises(ValueError, match="key 'label' appears 2 times .* line 1"):
        load_table(path)


def test_table_jsonl_unread_duplicate_keys_load(tmp_path: Path):
    path = tmp_path / "extra.jsonl"
    path.write_text(
        '{"text": "hi", "label": "pos", "id": 1, "id": 2}\n'
        '{"text": "yo", "label": "neg", "meta": {"label": "a", "label": "b"}}\n',
        encoding="utf-8",
    )
    labeled = load_table(path)
    assert labeled.labels == ("pos", "neg")


# ---------------------------------------------------------------------------
# Labels that read as the same number
# ---------------------------------------------------------------------------


def test_table_csv_labels_equal_as_numbers_warn(tmp_path: Path, caplog):
    path = tmp_path / "mixed.csv"
    path.write_text("text,label\ngood,1\nbad,0\nfine,1.0\nawful,0\n", encoding="utf-8")
    with caplog.at_level(logging.WARNING, logger="embedsent.datasets"):
        labeled = load_table(path)
    assert labeled.label_counts() == {"0": 2, "1": 1, "1.0": 1}
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    message = warnings[0].getMessage()
    assert "labels '1' and '1.0'" in message
    assert f"column 'label' of {path}" in message
    assert "replace every '1.0' with '1'" in message


def test_table_csv_every_label_unique_warns(tmp_path: Path, caplog):
    # Labels 1 and 1.0 make each of the three labels unique.
    path = tmp_path / "labels.csv"
    path.write_text(
        "text,label\ngood movie,1\ngreat film,1.0\nbad movie,0\n", encoding="utf-8"
    )
    with caplog.at_level(logging.WARNING, logger="embedsent.datasets"):
        labeled = load_table(path)
    assert labeled.labels == ("1", "1.0", "0")
    messages = [record.getMessage() for record in caplog.records]
    assert len(messages) == 1
    assert messages[0].startswith(
        f"labels '1' and '1.0' in column 'label' of {path} are the same number"
    )
    assert numeric_label_clashes(labeled.labels) == [["1", "1.0"]]


@pytest.mark.parametrize(
    ("labels", "expected"),
    [
        (["1", "1.0", "0"], [["1", "1.0"]]),
        (["pos", "neg", "pos"], []),
        (["0", "1", "1.00", "0.0", "1e0"], [["0", "0.0"], ["1", "1.00", "1e0"]]),
        (["1", 1.0], [["1", 1.0]]),
        (["1", True], []),
        (["NaN", "nan", "1"], []),
        ([" 1", "1", "01"], [[" 1", "1", "01"]]),
    ],
)
def test_numeric_label_clashes_groups(labels, expected):
    assert numeric_label_clashes(labels) == expected


def test_describe_label_clashes_counts_extra_groups():
    clashes = [[str(n), f"{n}.0"] for n in range(7)]
    text = describe_label_clashes(clashes)
    assert text.startswith("'0' and '0.0'; '1' and '1.0'; ")
    assert "'4' and '4.0'" in text
    assert "'5' and '5.0'" not in text
    assert text.endswith("; and 2 more such groups")


@pytest.mark.parametrize(
    ("labels", "expected"),
    [
        (["1", '"1"'], 'line 1 has 1 and line 2 has "1"'),
        (['"1.0"', '"pos"', "1"], 'line 3 has 1 and line 1 has "1.0"'),
        (["0.5", '"0.50"'], 'line 1 has 0.5 and line 2 has "0.50"'),
    ],
)
def test_table_jsonl_number_and_string_label_rejected(
    tmp_path: Path, caplog, labels, expected
):
    path = tmp_path / "mixed.jsonl"
    _write_jsonl_labels(path, labels)
    with caplog.at_level(logging.WARNING, logger="embedsent.datasets"):
        with pytest.raises(ValueError) as raised:
            load_table(path)
    message = str(raised.value)
    assert f"column 'label' of {path} mixes numeric and string labels" in message
    assert expected in message
    assert caplog.records == []


@pytest.mark.parametrize(
    ("labels", "expected"),
    [
        (["true", '"true"'], 'line 1 has true and line 2 has "true"'),
        (['"false"', '"pos"', "false"], 'line 3 has false and line 1 has "false"'),
        (["true", "false", '"FALSE"'], 'line 2 has false and line 3 has "FALSE"'),
    ],
)
def test_table_jsonl_boolean_and_string_label_rejected(
    tmp_path: Path, labels, expected
):
    path = tmp_path / "mixed.jsonl"
    _write_jsonl_labels(path, labels)
    with pytest.raises(ValueError) as raised:
        load_table(path)
    message = str(raised.value)
    assert f"column 'label' of {path} mixes boolean and string labels" in message
    assert expected in message


def test_table_jsonl_booleans_with_other_strings_load(tmp_path: Path):
    path = tmp_path / "flags.jsonl"
    _write_jsonl_labels(path, ["true", '"false"', "true", '"truth"'])
    # true and "false" name different values, so each is a class of its own.
    labeled = load_table(path)
    assert labeled.labels == (True, "false", True, "truth")


def test_table_jsonl_string_labels_equal_as_numbers_warn(tmp_path: Path, caplog):
    path = tmp_path / "mixed.jsonl"
    _write_jsonl_labels(path, ['"1"', '"1.0"', "2"])
    with caplog.at_level(logging.WARNING, logger="embedsent.datasets"):
        load_table(path)
    assert "labels '1' and '1.0'" in caplog.text


def test_table_distinct_labels_do_not_warn(tmp_path: Path, caplog):
    path = tmp_path / "clean.csv"
    rows = ["a,1", "b,2", "c,10", "d,pos", "e,nan", "f,inf", "g,0.1"]
    path.write_text("text,label\n" + "\n".join(rows) + "\n", encoding="utf-8")
    with caplog.at_level(logging.WARNING, logger="embedsent.datasets"):
        load_table(path)
    assert caplog.records == []


def test_table_label_warning_lists_every_clash_once(tmp_path: Path, caplog):
    path = tmp_path / "spaced.csv"
    rows = ["a,1", "b, 1", "c,2", "d,2.00", "e,2"]
    path.write_text("text,label\n" + "\n".join(rows) + "\n", encoding="utf-8")
    with caplog.at_level(logging.WARNING, logger="embedsent.datasets"):
        load_table(path)
    assert len(caplog.records) == 1
    message = caplog.records[0].getMessage()
    assert "'1' and ' 1'; '2' and '2.00'" in message


def test_table_csv_case_and_space_labels_warn(tmp_path: Path, caplog):
    path = tmp_path / "spaced.csv"
    rows = ["a,pos", "b,pos ", "c,neg", "d,Neg", "e,1", "f, 1"]
    path.write_text("text,label\n" + "\n".join(rows) + "\n", encoding="utf-8")
    with caplog.at_level(logging.WARNING, logger="embedsent.datasets"):
        labeled = load_table(path)
    assert labeled.labels == ("pos", "pos ", "neg", "Neg", "1", " 1")
    messages = [record.getMessage() for record in caplog.records]
    spaced = [message for message in messages if "leading or trailing" in message]
    # "1" and " 1" get the numeric warning only.
    assert len(messages) == 2
    assert len(spaced) == 1
    assert "differ only by case or by leading or trailing whitespace" in spaced[0]
    assert (
        f"labels 'pos' and 'pos '; 'neg' and 'Neg' in column 'label' of {path}"
        in (spaced[0])
    )
    assert "replace every 'pos ' with 'pos'" in spaced[0]


def test_space_label_advice_keeps_whitespace(tmp_path: Path, caplog):
    # The spaced label comes first, so the advice must name it, not "neg".
    path = tmp_path / "spaced_first.csv"
    rows = ["good movie,pos", "bad movie,neg ", "great film,pos", "awful,neg"]
    path.write_text("text,label\n" + "\n".join(rows) + "\n", encoding="utf-8")
    with caplog.at_level(logging.WARNING, logger="embedsent.datasets"):
        load_table(path)
    messages = [record.getMessage() for record in caplog.records]
    assert len(messages) == 1
    assert "labels 'neg ' and 'neg' in column 'label'" in messages[0]
    assert "replace every 'neg ' with 'neg'" in messages[0]


def test_space_only_labels_advice_strips(tmp_path: Path, caplog):
    # No label is written without whitespace, so the advice strips one.
    path = tmp_path / "both_spaced.csv"
    rows = ['a," pos"', 'b,"pos "', "c,neg", "d,neg"]
    path.write_text("text,label\n" + "\n".join(rows) + "\n", encoding="utf-8")
    with caplog.at_level(logging.WARNING, logger="embedsent.datasets"):
        load_table(path)
    messages = [record.getMessage() for record in caplog.records]
    assert len(messages) == 1
    assert "replace every ' pos' with 'pos'" in messages[0]


# ---------------------------------------------------------------------------
# limit_corpus
# ---------------------------------------------------------------------------


def test_limit_corpus_sizes():
    corpus = limit_corpus(load_default_corpus(), max_per_class=1, max_unlabeled=5)
    assert corpus.train.label_counts() == {"neg": 1, "pos": 1}
    assert corpus.test.label_counts() == {"neg": 1, "pos": 1}
    assert len(corpus.unlabeled) == 5
    assert corpus.name == "movie_reviews"


def test_limit_corpus_keeps_order_and_texts():
    full = load_default_corpus()
    corpus = limit_corpus(full, max_per_class=50, max_unlabeled=20, seed=3)
    positions = [full.test.texts.index(text) for text in corpus.test.texts]
    assert positions == sorted(positions)
    for text, label in zip(corpus.test.texts, corpus.test.labels, strict=True):
        assert full.test.labels[full.test.texts.index(text)] == label
    unlabeled_positions = [full.unlabeled.index(text) for text in corpus.unlabeled]
    assert unlabeled_positions == sorted(unlabeled_positions)


def test_limit_corpus_depends_on_seed_only():
    full = load_default_corpus()
    first = limit_corpus(full, max_per_class=10, max_unlabeled=10, seed=4)
    again = limit_corpus(full, max_per_class=10, max_unlabeled=10, seed=4)
    other = limit_corpus(full, max_per_class=10, max_unlabeled=10, seed=5)
    assert first == again
    assert first.test != other.test
    assert first.unlabeled != other.unlabeled


def test_limit_corpus_without_limits_keeps_all():
    full = load_default_corpus()
    assert limit_corpus(full) == full
    assert limit_corpus(full, max_per_class=1000, max_unlabeled=1000) == full
    assert limit_corpus(full, max_unlabeled=0).unlabeled == ()


@pytest.mark.parametrize(
    ("options", "error", "message"),
    [
        ({"max_per_class": -1}, ValueError, "max_per_class must be >= 0"),
        ({"max_unlabeled": 1.5}, TypeError, "max_unlabeled must be an int or None"),
        ({"seed": -1}, ValueError, "seed must be >= 0"),
    ],
)
def test_limit_corpus_rejects_bad_arguments(options, error, message):
    with pytest.raises(error, match=message):
        limit_corpus(load_default_corpus(), **options)


# ---------------------------------------------------------------------------
# JSON label types and the label column
# ---------------------------------------------------------------------------


def _write_jsonl_labels(path: Path, labels: list[str]) -> None:
    """Write one record per raw JSON label text, with texts "t0", "t1", ..."""
    lines = [f'{{"text": "t{i}", "label": {label}}}' for i, label in enumerate(labels)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_table_jsonl_booleans_with_numbers_rejected(tmp_path: Path):
    path = tmp_path / "mixed.jsonl"
    _write_jsonl_labels(path, ["1", "2", "0", "false"])
    with pytest.raises(ValueError) as raised:
        load_table(path)
    message = str(raised.value)
    assert f"column 'label' of {path} mixes boolean and numeric labels" in message
    assert "line 4 has false and line 1 has 1" in message


def test_table_jsonl_boolean_before_number_rejected(tmp_path: Path):
    path = tmp_path / "mixed.jsonl"
    _write_jsonl_labels(path, ["true", '"pos"', "0"])
    with pytest.raises(ValueError, match="line 1 has true and line 3 has 0"):
        load_table(path)


def test_table_jsonl_boolean_labels_are_classes(tmp_path: Path):
    path = tmp_path / "flags.jsonl"
    _write_jsonl_labels(path, ["true", "false", "true", '"maybe"'])
    labeled = load_table(path)
    assert labeled.labels == (True, False, True, "maybe")


def test_jsonl_integer_and_decimal_rejected(tmp_path: Path):
    path = tmp_path / "numbers.jsonl"
    _write_jsonl_labels(path, ["1", "0", "2.5", "1.0"])
    with pytest.raises(ValueError) as raised:
        load_table(path)
    message = str(raised.value)
    assert f"column 'label' of {path} mixes integer and decimal labels" in message
    assert "line 1 has 1 and line 4 has 1.0" in message
    assert "replace every 1.0 with 1" in message


def test_jsonl_equal_decimals_one_class(tmp_path: Path):
    path = tmp_path / "numbers.jsonl"
    _write_jsonl_labels(path, ["1.0", "1.00", "0.5", "2"])
    assert load_table(path).label_counts() == {0.5: 1, 1.0: 2, 2: 1}


@pytest.mark.parametrize(
    ("raw", "shown"),
    [("1e400", "inf"), ("-1e400", "-inf"), ("NaN", "nan"), ("Infinity", "inf")],
)
def test_table_jsonl_non_finite_label_names_line(tmp_path: Path, raw, shown):
    path = tmp_path / "labels.jsonl"
    _write_jsonl_labels(path, ["1", "0", raw])
    with pytest.raises(ValueError) as raised:
        load_table(path)
    message = str(raised.value)
    assert f"line 3 of {path}" in message
    assert f"reads as {shown}, which is not a finite number" in message


def test_table_same_text_and_label_column_rejected(tmp_path: Path):
    path = tmp_path / "reviews.csv"
    path.write_text("text,label\ngood,pos\nbad,neg\n", encoding="utf-8")
    with pytest.raises(ValueError, match="text_column and label_column are both"):
        load_table(path, label_column="text")


def test_read_table_columns_of_each_format(tmp_path: Path):
    from embedsent.datasets import read_table_columns

    csv_path = tmp_path / "reviews.csv"
    csv_path.write_text("\ufeff\nid,review,stars\n1,good,5\n", encoding="utf-8")
    assert read_table_columns(csv_path) == ["id", "review", "stars"]
    tsv_path = tmp_path / "reviews.tsv"
    tsv_path.write_text("id\treview\n1\tgood\n", encoding="utf-8")
    assert read_table_columns(tsv_path) == ["id", "review"]
    jsonl_path = tmp_path / "reviews.jsonl"
    jsonl_path.write_text('\n{"review": "good", "id": 1}\n', encoding="utf-8")
    assert read_table_columns(jsonl_path) == ["review", "id"]


def _write_raw_jsonl(path: Path, lines: list[str]) -> None:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_table_jsonl_lone_surrogate_rejected(tmp_path: Path):
    from embedsent.datasets import LoneSurrogateError

    path = tmp_path / "reviews.jsonl"
    lines = ['{"text": "good", "label": "pos"}']
    lines.append('{"text": "great \\ud800 film", "label": "pos"}')
    _write_raw_jsonl(path, lines)
    with pytest.raises(LoneSurrogateError) as raised:
        load_table(path)
    message = str(raised.value)
    assert message.startswith(f"line 2, column 17 of {path}: \\ud800 is a lone")
    assert "pass errors='replace'" in message
    assert raised.value.location == "line 2, column 17"


@pytest.mark.parametrize(
    ("errors", "text", "label"),
    [("replace", "great \ufffd film", "po\ufffds"), ("ignore", "great  film", "pos")],
)
def test_table_jsonl_lone_surrogate_replaced(
    tmp_path: Path, caplog, errors, text, label
):
    path = tmp_path / "reviews.jsonl"
    lines = ['{"text": "good", "label": "pos"}']
    lines.append('{"text": "great \\udc00 film", "label": "po\\ud800s"}')
    _write_raw_jsonl(path, lines)
    with caplog.at_level(logging.WARNING, logger="embedsent.datasets"):
        labeled = load_table(path, errors=errors)
    assert labeled.texts[1] == text
    assert labeled.labels[1] == label
    (record,) = caplog.records
    message = record.getMessage()
    assert f"{path}: 2 lone UTF-16 surrogate(s)" in message
    assert "the first is on line 2" in message


def test_jsonl_paired_or_escaped_surrogates_load(tmp_path: Path):
    path = tmp_path / "reviews.jsonl"
    # A high and a low surrogate escape in a row are one character, and
    # "\\\\ud800" is a backslash followed by the text "ud800".
    _write_raw_jsonl(path, ['{"text": "ok \\ud83d\\ude00 \\\\ud800", "label": 1}'])
    assert load_table(path).texts == ("ok \U0001f600 \\ud800",)
