import os
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest

IMDB_ARCHIVE = (
    Path(__file__).resolve().parents[2] / "shared" / "data" / "aclImdb-partial.tar.gz"
)


# A shell without job control starts background jobs with SIGINT ignored,
# and child processes inherit that, so the tests that interrupt a child would
# wait for a signal that never arrives. A handler, unlike "ignored", is reset
# to the default in each child.
if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)


@pytest.fixture(scope="session", autouse=True)
def session_compile_cache(tmp_path_factory) -> Iterator[Path]:
    """Point the command line's compile cache at a folder of this test session.

    Commands run by the tests, in this process or in child processes, then
    never write to the user's cache folder, and later commands of the session
    read the programs that earlier ones compiled.
    """
    folder = tmp_path_factory.mktemp("compile_cache")
    previous = os.environ.get("EMBEDSENT_COMPILE_CACHE")
    os.environ["EMBEDSENT_COMPILE_CACHE"] = str(folder)
    yield folder
    if previous is None:
        os.environ.pop("EMBEDSENT_COMPILE_CACHE", None)
    else:
        os.environ["EMBEDSENT_COMPILE_CACHE"] = previous


@pytest.fixture(scope="session")
def imdb_archive() -> Path:
    """Path of the IMDB archive beside the repository; skips when absent."""
    if not IMDB_ARCHIVE.exists():
        pytest.skip(
            f"IMDB archive not found at {IMDB_ARCHIVE}; real-data tests need "
            "../shared/data/aclImdb-partial.tar.gz beside the repository"
        )
    return IMDB_ARCHIVE


@pytest.fixture(scope="session")
def tiny_pretrained(tmp_path_factory) -> dict[str, Path]:
    """Word vectors and the SGNS model that wrote them, pretrained on the shipped
    corpus with dim 8 and 1 epoch.

    Returns the paths under "vectors" (word2vec text format) and "sgns". The
    files are shared by every test of the session, so tests must not change
    them.
    """
    from embedsent.cli import main

    folder = tmp_path_factory.mktemp("tiny_pretrained")
    vectors = folder / "vectors.txt"
    sgns = folder / "sgns.npz"
    argv = ["--no-progress", "pretrain", "--data", "default"]
    argv += ["--out", str(vectors), "--save-model", str(sgns)]
    argv += ["--dim", "8", "--epochs", "1", "--min-count", "2"]
    assert main(argv) == 0
    return {"vectors": vectors, "sgns": sgns}


@pytest.fixture(scope="session")
def tiny_model_files(tmp_path_factory, tiny_pretrained) -> dict[str, Path]:
    """The ``tiny_pretrained`` files, a 4-row labeled CSV and a model trained on it.

    Returns the paths under "vectors", "sgns", "labeled" and "model". Tests
    must not change them.
    """
    from embedsent.cli import main

    folder = tmp_path_factory.mktemp("tiny_model")
    labeled = folder / "labeled.csv"
    rows = ["good film,pos", "great film,pos", "awful film,neg", "bad plot,neg"]
    labeled.write_text("text,label\n" + "\n".join(rows) + "\n", encoding="utf-8")
    model = folder / "model.npz"
    argv = ["train", "--vectors", str(tiny_pretrained["vectors"])]
    argv += ["--data", str(labeled), "--out", str(model), "--classifier-epochs", "2"]
    assert main(argv) == 0
    return {**tiny_pretrained, "labeled": labeled, "model": model}
