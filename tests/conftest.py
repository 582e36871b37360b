from pathlib import Path

import pytest

IMDB_ARCHIVE = (
    Path(__file__).resolve().parents[2] / "shared" / "data" / "aclImdb-partial.tar.gz"
)


@pytest.fixture(scope="session")
def imdb_archive() -> Path:
    """Path of the IMDB archive beside the repository; skips when absent."""
    if not IMDB_ARCHIVE.exists():
        pytest.skip(
            f"IMDB archive not found at {IMDB_ARCHIVE}; real-data tests need "
            "../shared/data/aclImdb-partial.tar.gz beside the repository"
        )
    return IMDB_ARCHIVE
