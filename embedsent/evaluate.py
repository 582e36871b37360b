"""Intrinsic word-vector evaluations and confidence intervals for accuracies.

Word similarity and analogy scores follow the conventions of gensim's
``KeyedVectors.evaluate_word_pairs`` and ``evaluate_word_analogies`` (gensim
4.4), and the tests check that both return the same figures on the same
vectors. The interval helpers report how much an accuracy measured on a few
hundred examples, or averaged over a few random draws, can be trusted.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy import stats

from embedsent.vectors import WordVectors

__all__ = [
    "SimilarityResult",
    "AnalogyResult",
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


def word_similarity(
    vectors: WordVectors,
    dataset: str = "wordsim353",
    *,
    path: str | None = None,
    lowercase: bool = True,
) -> SimilarityResult:
    """Correlate the cosine similarity of word pairs with human scores.

    Lines of the file are ``word1<TAB>word2<TAB>score``; lines starting with
    ``#`` are comments and malformed lines are skipped. A pair with a word
    missing from ``vectors`` is counted in ``n_oov`` and left out. A word with
    an all-zero vector has cosine 0 with every word.

    Args:
        vectors: Word vectors to evaluate.
        dataset: ``"wordsim353"`` or ``"simlex999"`` to read the copy shipped
            with gensim. With ``path`` it is only the name in the result.
        path: Read the pairs from this file instead.
        lowercase: Lowercase the vocabulary and the pairs before matching. When
            several words differ only in case, the first row wins.

    Returns:
        Spearman and Pearson correlations with the counts of pairs.

    Raises:
        ValueError: for an unknown ``dataset`` without ``path``, a file with
            no readable pair, fewer than two pairs in the vocabulary, or
            model similarities that are all equal.
    """
    _check_vectors(vectors)
    file = _similarity_file(dataset, path)
    lookup = _build_lookup(vectors.words, len(vectors.words), lowercase)
    normalized = vectors.normalized().astype(np.float64)

    gold, model = [], []
    n_read = n_oov = 0
    for first, second, score in _read_pairs(file):
        n_read += 1
        if lowercase:
            first, second = first.lower(), second.lower()
        if first not in lookup or second not in lookup:
            n_oov += 1
            continue
        gold.append(score)
        model.append(float(normalized[lookup[first]] @ normalized[lookup[second]]))

    if n_read == 0:
        raise ValueError(
            f"no word pair could be read from {file}; expected lines "
            "'word1<TAB>word2<TAB>score'"
        )
    if not gold:
        raise ValueError(
            f"no pair of the {n_read} pairs in {file} has both words in the "
            "vocabulary; train on a larger corpus, lower min_count, or check "
            "the lowercase setting"
        )
    if len(gold) == 1:
        raise ValueError(
            f"only 1 of the {n_read} pairs in {file} has both words in the "
            "vocabulary, and a correlation needs at least 2; train on a larger "
            "corpus or lower min_count"
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


def accuracy_interval(
    n_correct: int, n_total: int, confidence: float = 0.95
) -> tuple[float, float]:
    """Return the Wilson score interval ``(low, high)`` of an accuracy.

    Unlike the normal-approximation interval it stays inside [0, 1] and keeps
    a nonzero width at 0% and 100% accuracy.

    Raises:
        ValueError: unless ``0 <= n_correct <= n_total`` and ``n_total >= 1``.
    """
    for name, value in (("n_correct", n_correct), ("n_total", n_total)):
        if isinstance(value, bool) or not isinstance(value, int | np.integer):
            raise TypeError(f"{name} must be an int, got {value!r}")
    if n_total < 1 or not 0 <= n_correct <= n_total:
        raise ValueError(
            "expected 0 <= n_correct <= n_total and n_total >= 1, got "
            f"n_correct={n_correct}, n_total={n_total}"
        )
    z = _normal_quantile(confidence)
    p = n_correct / n_total
    z2_n = z * z / n_total
    center = (p + z2_n / 2) / (1 + z2_n)
    half_width = z * math.sqrt(p * (1 - p) / n_total + z2_n / (4 * n_total))
    half_width /= 1 + z2_n
    # The bounds are exactly 0 at 0% and 1 at 100%, which rounding would miss.
    low = 0.0 if n_correct == 0 else max(0.0, center - half_width)
    high = 1.0 if n_correct == n_total else min(1.0, center + half_width)
    return low, high


def mean_interval(
    values: Sequence[float], confidence: float = 0.95
) -> tuple[float, float, float]:
    """Return ``(mean, low, high)``, a Student t interval for the mean.

    A single value has no spread to estimate, so it returns ``(v, v, v)``; read
    that as "one draw", not as certainty.

    Raises:
        ValueError: if ``values`` is empty or contains a non-finite number.
    """
    array = _finite_array(values, "values")
    _check_confidence(confidence)
    mean = float(array.mean())
    if len(array) == 1:
        return mean, mean, mean
    sem = float(array.std(ddof=1)) / math.sqrt(len(array))
    half_width = float(stats.t.ppf(0.5 + confidence / 2, len(array) - 1)) * sem
    return mean, mean - half_width, mean + half_width


def summarize_accuracies(
    values: Sequence[float], confidence: float = 0.95
) -> dict[str, float | int]:
    """Summarise accuracies of repeated draws.

    Returns:
        ``{"mean", "std", "low", "high", "n"}``: ``std`` uses ``ddof=1`` and is
        0.0 for a single value; ``low`` and ``high`` are ``mean_interval``'s.
    """
    mean, low, high = mean_interval(values, confidence)
    array = np.asarray(values, dtype=np.float64)
    std = float(array.std(ddof=1)) if len(array) > 1 else 0.0
    return {"mean": mean, "std": std, "low": low, "high": high, "n": len(array)}


def paired_difference(
    a: Sequence[float], b: Sequence[float], confidence: float = 0.95
) -> dict[str, float | int | None]:
    """Compare two methods scored on the same draws, ``a[i]`` paired with ``b[i]``.

    Returns:
        ``{"mean_difference", "low", "high", "p_value", "wilcoxon_p", "n"}``:
        the mean of ``a - b`` with its t interval, the two-sided paired t-test
        p-value (``scipy.stats.ttest_rel``), and the two-sided Wilcoxon
        signed-rank p-value. ``wilcoxon_p`` is None below 6 pairs, where its
        smallest possible value, ``2 / 2**n``, cannot go below 0.05. When
        all differences are equal the t-test is undefined: both p-values are
        then 1.0 for zero differences and 0.0 otherwise.

    Raises:
        ValueError: if the lengths differ, there are fewer than 2 pairs, or a
            value is not finite.
    """
    first = _finite_array(a, "a")
    second = _finite_array(b, "b")
    if len(first) != len(second):
        raise ValueError(
            f"a and b must be paired draws of equal length, got {len(first)} "
            f"and {len(second)}"
        )
    if len(first) < 2:
        raise ValueError(f"a paired test needs at least 2 pairs, got {len(first)}")
    differences = first - second
    mean, low, high = mean_interval(differences, confidence)
    if np.ptp(differences) == 0.0:
        p_value = 1.0 if mean == 0.0 else 0.0
        wilcoxon_p: float | None = p_value
    else:
        p_value = float(stats.ttest_rel(first, second).pvalue)
        wilcoxon_p = float(stats.wilcoxon(first, second).pvalue)
    if len(first) < 6:
        wilcoxon_p = None
    return {
        "mean_difference": mean,
        "low": low,
        "high": high,
        "p_value": p_value,
        "wilcoxon_p": wilcoxon_p,
        "n": len(first),
    }


def coin_flip_perfect_probability(n_test: int) -> float:
    """Return ``0.5 ** n_test``: the chance that random binary guesses are all right.

    A perfect score on fewer than about 10 test examples is weak evidence,
    because a fair coin gets all of them right with this probability.
    """
    if isinstance(n_test, bool) or not isinstance(n_test, int | np.integer):
        raise TypeError(f"n_test must be an int, got {n_test!r}")
    if n_test < 1:
        raise ValueError(f"n_test must be >= 1, got {n_test}")
    return 0.5 ** int(n_test)


def _check_vectors(vectors) -> None:
    if not isinstance(vectors, WordVectors):
        raise TypeError(
            f"vectors must be embedsent.vectors.WordVectors, got "
            f"{type(vectors).__name__}; wrap gensim vectors with "
            "WordVectors.from_gensim(keyed_vectors)"
        )


def _check_confidence(confidence: float) -> None:
    if isinstance(confidence, bool) or not isinstance(confidence, int | float):
        raise TypeError(f"confidence must be a number, got {confidence!r}")
    if not 0.0 < confidence < 1.0:
        raise ValueError(
            f"confidence must be between 0 and 1 exclusive, got {confidence}; "
            "use 0.95 for a 95% interval"
        )


def _normal_quantile(confidence: float) -> float:
    _check_confidence(confidence)
    return float(stats.norm.ppf(0.5 + confidence / 2))


def _finite_array(values: Sequence[float], name: str) -> np.ndarray:
    if isinstance(values, str | bytes):
        raise TypeError(f"{name} must be a sequence of numbers, got a string")
    array = np.asarray(values, dtype=np.float64)
    if array.ndim != 1 or len(array) == 0:
        raise ValueError(
            f"{name} must be a non-empty 1-D sequence of numbers, got shape "
            f"{array.shape}"
        )
    if not np.isfinite(array).all():
        raise ValueError(f"{name} must be finite, got {array.tolist()}")
    return array


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
