"""Intrinsic word-vector evaluations: word similarity and analogies.

Word similarity and analogy scores follow the conventions of gensim's
``KeyedVectors.evaluate_word_pairs`` and ``evaluate_word_analogies`` (gensim
4.4), and the tests check that both return the same figures on the same
vectors. The confidence intervals for accuracies are defined in
:mod:`embedsent.stats` and are re-exported here.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy import stats

from embedsent.stats import (
    accuracy_interval,
    coin_flip_perfect_probability,
    mean_interval,
    paired_difference,
    summarize_accuracies,
)
from embedsent.vectors import WordVectors

__all__ = [
    "MIN_SIMILARITY_PAIRS",
    "SimilarityResult",
    "AnalogyResult",
    "WordPairs",
    "read_word_pairs",
    "word_similarity",
    "word_analogies",
    "accuracy_interval",
    "mean_interval",
    "summarize_accuracies",
    "paired_difference",
    "coin_flip_perfect_probability",
]

logger = logging.getLogger(__name__)

# Word-pair files shipped in gensim's wheel under gensim/test/test_data.
SIMILARITY_FILES = {"wordsim353": "wordsim353.tsv", "simlex999": "simlex999.txt"}
ANALOGY_FILE = "questions-words.txt"
# Below this many word pairs in the vocabulary a Spearman correlation is too
# noisy to judge vectors. The standard error of its Fisher z-transform is
# about 1 / sqrt(n - 3), which is 0.15 at 50 pairs.
MIN_SIMILARITY_PAIRS = 50

# Analogy questions scored per matrix product. A batch of 512 against 30,000
# rows takes 61 MB of float32 scores.
_ANALOGY_BATCH = 512


@dataclass(frozen=True)
class SimilarityResult:
    """Correlation between cosine similarities and human similarity scores.

    Attributes:
        dataset: Name of the word-pair set.
        spearman: Spearman rank correlation.
        pearson: Pearson correlation.
        n_pairs: Pairs scored, those with both words in the vocabulary.
        n_oov: Pairs skipped because a word is not in the vocabulary.
    """

    dataset: str
    spearman: float
    pearson: float
    n_pairs: int
    n_oov: int


@dataclass(frozen=True)
class WordPairs:
    """Word pairs with human similarity scores, read from one file.

    Attributes:
        file: The file the pairs were read from.
        pairs: ``(word1, word2, score)`` in file order.
    """

    file: Path
    pairs: tuple[tuple[str, str, float], ...]


@dataclass(frozen=True)
class AnalogyResult:
    """Accuracy on "a is to b as c is to ?" questions.

    Attributes:
        accuracy: ``n_correct / n_questions``.
        n_correct: Questions whose best answer was the expected word.
        n_questions: Questions scored, those with all four words in the
            searched vocabulary.
        n_oov: Questions skipped because a word is outside it.
        sections: Accuracy per section of the file (``"capital-common-countries"``
            ...), in file order. Sections with no scored question are left out.
    """

    accuracy: float
    n_correct: int
    n_questions: int
    n_oov: int
    sections: dict[str, float]


def read_word_pairs(
    dataset: str = "wordsim353", *, path: str | None = None
) -> WordPairs:
    """Read the word pairs and human scores of one word-similarity file.

    Lines of the file are ``word1<TAB>word2<TAB>score``. Lines starting with
    ``#`` are comments, and malformed lines are skipped with one warning.
    Reading the pairs once and passing them to :func:`word_similarity` for
    each set of vectors reads and reports on the file once.

    Args:
        dataset: ``"wordsim353"`` or ``"simlex999"`` to read the copy shipped
            with gensim. With ``path`` it is only a name.
        path: Read the pairs from this file instead.

    Returns:
        A :class:`WordPairs` with the file and its pairs.

    Raises:
        FileNotFoundError: if the file does not exist.
        OSError: if the file cannot be read.
        ValueError: for an unknown ``dataset`` without ``path``, a file that
            is not UTF-8 text, or a file with no readable pair.
    """
    file = _similarity_file(dataset, path)
    try:
        pairs = tuple(_read_pairs(file))
    except FileNotFoundError:
        raise FileNotFoundError(
            f"word-pair file {file} not found; gensim's wheel ships WordSim353 "
            "and SimLex-999 under gensim/test/test_data, so reinstall gensim, "
            "or pass path= to a word-pair file"
        ) from None
    except UnicodeDecodeError as error:
        raise ValueError(
            f"word-pair file {file} is not UTF-8 text ({error.reason} at byte "
            f"{error.start}); pass a UTF-8 file of 'word1<TAB>word2<TAB>score' "
            "lines"
        ) from None
    if not pairs:
        raise ValueError(
            f"no word pair could be read from {file}; expected lines "
            "'word1<TAB>word2<TAB>score'"
        )
    return WordPairs(file=file, pairs=pairs)


def word_similarity(
    vectors: WordVectors,
    dataset: str = "wordsim353",
    *,
    path: str | None = None,
    lowercase: bool = True,
    pairs: WordPairs | None = None,
) -> SimilarityResult:
    """Correlate the cosine similarity of word pairs with human scores.

    The pairs are read as :func:`read_word_pairs` reads them. A pair with a
    word missing from ``vectors`` is counted in ``n_oov`` and left out. A
    word with an all-zero vector has cosine 0 with every word.

    Args:
        vectors: Word vectors to evaluate.
        dataset: ``"wordsim353"`` or ``"simlex999"`` to read the copy shipped
            with gensim. With ``path`` or ``pairs`` it is only the name in the
            result.
        path: Read the pairs from this file instead.
        lowercase: Lowercase the vocabulary and the pairs before matching. When
            several words differ only in case, the first row wins.
        pairs: Pairs already read by :func:`read_word_pairs`; ``path`` is
            then ignored and no file is read.

    Returns:
        Spearman and Pearson correlations with the counts of pairs.

    Raises:
        FileNotFoundError: if the word-pair file does not exist.
        ValueError: for an unknown ``dataset`` without ``path``, a file with
            no readable pair, fewer than two pairs in the vocabulary, or
            model similarities that are all equal.
    """
    _check_vectors(vectors)
    if pairs is None:
        pairs = read_word_pairs(dataset, path=path)
    file = pairs.file
    lookup = _build_lookup(vectors.words, len(vectors.words), lowercase)
    normalized = vectors.normalized().astype(np.float64)

    gold, model = [], []
    n_read = len(pairs.pairs)
    n_oov = 0
    for first, second, score in pairs.pairs:
        if lowercase:
            first, second = first.lower(), second.lower()
        if first not in lookup or second not in lookup:
            n_oov += 1
            continue
        gold.append(score)
        model.append(float(normalized[lookup[first]] @ normalized[lookup[second]]))

    if n_read == 0:
        raise ValueError(
            f"pairs contains no word pair from {file}; pass the result of "
            "read_word_pairs for a file of 'word1<TAB>word2<TAB>score' lines"
        )
    if not gold:
        raise ValueError(
            f"no pair of the {n_read} pairs in {file} has both words in the "
            "vocabulary; train on a larger corpus, lower min_count (CLI: "
            "--min-count), or check the lowercase setting"
        )
    if len(gold) == 1:
        raise ValueError(
            f"only 1 of the {n_read} pairs in {file} has both words in the "
            "vocabulary, and a correlation needs at least 2; train on a larger "
            "corpus or lower min_count (CLI: --min-count)"
        )
    if np.ptp(model) == 0.0:
        raise ValueError(
            f"all {len(model)} model similarities are equal ({model[0]:.4g}), so "
            "the correlation is undefined; the vectors are constant or zero"
        )
    result = SimilarityResult(
        dataset=dataset,
        spearman=float(stats.spearmanr(gold, model).statistic),
        pearson=float(stats.pearsonr(gold, model).statistic),
        n_pairs=len(gold),
        n_oov=n_oov,
    )
    logger.info(
        "%s: Spearman %.4f, Pearson %.4f on %d pairs, %d pairs out of vocabulary",
        dataset,
        result.spearman,
        result.pearson,
        result.n_pairs,
        result.n_oov,
    )
    return result


def word_analogies(
    vectors: WordVectors,
    *,
    path: str | None = None,
    restrict_vocab: int = 30000,
    lowercase: bool = True,
) -> AnalogyResult:
    """Answer "a is to b as c is to ?" questions with 3CosAdd.

    The answer is the word ``d`` among the first ``restrict_vocab`` rows that
    maximises ``cos(d, b - a + c)`` on unit-length vectors, excluding the
    three question words, as gensim's ``evaluate_word_analogies`` does. Rows
    are expected in descending frequency order, so the restriction keeps the
    common words. Questions with a word outside those rows are counted in
    ``n_oov`` and skipped.

    Args:
        vectors: Word vectors to evaluate.
        path: Question file with ``: section`` header lines followed by lines
            of four words. Defaults to gensim's ``questions-words.txt``.
        restrict_vocab: Rows searched, and rows a question word must be in.
        lowercase: Lowercase the vocabulary and the questions before matching.
            When several words differ only in case, the first row wins and
            every case variant of a question word is excluded as an answer.

    Returns:
        Overall and per-section accuracy.

    Raises:
        ValueError: for a bad ``restrict_vocab``, a question before the first
            section header, or no question inside the searched vocabulary.
    """
    _check_vectors(vectors)
    if (
        isinstance(restrict_vocab, bool)
        or not isinstance(restrict_vocab, int)
        or restrict_vocab < 1
    ):
        raise ValueError(f"restrict_vocab must be an int >= 1, got {restrict_vocab!r}")
    file = Path(path) if path is not None else _gensim_datapath(ANALOGY_FILE)
    n_rows = min(restrict_vocab, len(vectors.words))
    lookup = _build_lookup(vectors.words, n_rows, lowercase)
    # key_ids[row] identifies the matching key of a row, so case variants
    # of one word share an id when lowercase is on.
    key_ids = _key_ids(vectors.words[:n_rows], lowercase)

    section_index: dict[str, int] = {}
    questions: list[tuple[int, int, int, int, int]] = []
    n_oov = 0
    for section, words in _read_analogies(file):
        section_index.setdefault(section, len(section_index))
        if lowercase:
            words = [word.lower() for word in words]
        if any(word not in lookup for word in words):
            n_oov += 1
            continue
        rows = [lookup[word] for word in words]
        questions.append((*rows, section_index[section]))
    if not questions:
        raise ValueError(
            f"none of the {n_oov} questions in {file} has all four words among "
            f"the first {n_rows} words; raise restrict_vocab or train on a "
            "larger corpus"
        )

    table = np.asarray(questions, dtype=np.int64)
    correct = _solve_analogies(vectors.normalized()[:n_rows], key_ids, table[:, :4])
    sections = {}
    for name, index in section_index.items():
        in_section = table[:, 4] == index
        if in_section.any():
            sections[name] = float(correct[in_section].mean())
    n_correct = int(correct.sum())
    result = AnalogyResult(
        accuracy=n_correct / len(questions),
        n_correct=n_correct,
        n_questions=len(questions),
        n_oov=n_oov,
        sections=sections,
    )
    logger.info(
        "analogies: %.1f%% correct (%d/%d), %d questions out of vocabulary",
        100.0 * result.accuracy,
        n_correct,
        result.n_questions,
        n_oov,
    )
    return result


def _solve_analogies(
    normalized: np.ndarray, key_ids: np.ndarray, rows: np.ndarray
) -> np.ndarray:
    """Return ``bool[n]``: whether 3CosAdd finds ``d`` for each row ``a b c d``."""
    # Rows sharing a key with a question word are excluded. Without case
    # variants those are exactly the rows a, b and c.
    members: dict[int, list[int]] = {}
    for row, key in enumerate(key_ids.tolist()):
        members.setdefault(key, []).append(row)
    correct = np.zeros(len(rows), dtype=bool)
    for start in range(0, len(rows), _ANALOGY_BATCH):
        batch = rows[start : start + _ANALOGY_BATCH]
        queries = normalized[batch[:, 1]] - normalized[batch[:, 0]]
        queries += normalized[batch[:, 2]]
        scores = queries @ normalized.T
        for position, question in enumerate(batch[:, :3].tolist()):
            for row in question:
                scores[position, members[int(key_ids[row])]] = -np.inf
        best = scores.argmax(axis=1)
        correct[start : start + len(batch)] = key_ids[best] == key_ids[batch[:, 3]]
    return correct


def _check_vectors(vectors) -> None:
    if not isinstance(vectors, WordVectors):
        raise TypeError(
            f"vectors must be embedsent.vectors.WordVectors, got "
            f"{type(vectors).__name__}; wrap gensim vectors with "
            "WordVectors.from_gensim(keyed_vectors)"
        )


def _gensim_datapath(filename: str) -> Path:
    from gensim.test.utils import datapath

    return Path(datapath(filename))


def _similarity_file(dataset: str, path: str | None) -> Path:
    if path is not None:
        return Path(path)
    if dataset not in SIMILARITY_FILES:
        raise ValueError(
            f"unknown dataset {dataset!r}; use one of {sorted(SIMILARITY_FILES)} "
            "or pass path= to a word-pair file"
        )
    return _gensim_datapath(SIMILARITY_FILES[dataset])


def _build_lookup(words: Sequence[str], n_rows: int, lowercase: bool) -> dict:
    lookup: dict[str, int] = {}
    for row in range(n_rows):
        key = words[row].lower() if lowercase else words[row]
        lookup.setdefault(key, row)
    return lookup


def _key_ids(words: Sequence[str], lowercase: bool) -> np.ndarray:
    ids: dict[str, int] = {}
    keys = [word.lower() if lowercase else word for word in words]
    return np.array([ids.setdefault(key, len(ids)) for key in keys], dtype=np.int64)


def _read_pairs(file: Path):
    skipped = 0
    with open(file, encoding="utf-8") as lines:
        for line in lines:
            if not line.strip() or line.startswith("#"):
                continue
            fields = line.rstrip("\r\n").split("\t")
            try:
                first, second, score = fields[0], fields[1], float(fields[2])
            except (IndexError, ValueError):
                skipped += 1
                continue
            if len(fields) != 3:
                skipped += 1
                continue
            yield first, second, score
    if skipped:
        logger.warning("skipped %d malformed lines in %s", skipped, file)


def _read_analogies(file: Path):
    section = None
    skipped = 0
    with open(file, encoding="utf-8") as lines:
        for number, line in enumerate(lines, start=1):
            if line.startswith(":"):
                section = line[1:].strip()
                continue
            words = line.split()
            if not words:
                continue
            if section is None:
                raise ValueError(
                    f"line {number} of {file} is a question before any "
                    "': section' header line; add a header first"
                )
            if len(words) != 4:
                skipped += 1
                continue
            yield section, words
    if skipped:
        logger.warning("skipped %d lines without four words in %s", skipped, file)
