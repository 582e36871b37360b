import math

import numpy as np
import pytest
from gensim.models import KeyedVectors
from gensim.test.utils import datapath

from embedsent.evaluate import word_analogies, word_similarity
from embedsent.vectors import WordVectors


def _pair_words(filename: str) -> list[str]:
    words: dict[str, None] = {}
    with open(datapath(filename), encoding="utf-8") as lines:
        for line in lines:
            if line.startswith("#"):
                continue
            first, second, _ = line.rstrip("\n").split("\t")
            words.setdefault(first)
            words.setdefault(second)
    return list(words)


def _both(words: list[str], vectors: np.ndarray):
    keyed = KeyedVectors(vectors.shape[1])
    keyed.add_vectors(words, vectors)
    return WordVectors(words, vectors), keyed


def _similarity_vocabulary(rng: np.random.Generator) -> list[str]:
    """Words of wordsim353 with some dropped, capitalised or duplicated."""
    words = _pair_words("wordsim353.tsv")
    rng.shuffle(words)
    kept = [word for position, word in enumerate(words) if position % 7]
    capitalised = [
        word.capitalize() if position % 5 == 0 else word
        for position, word in enumerate(kept)
    ]
    # Later rows that differ only in case. The first row must win.
    duplicates = [word.lower() for word in capitalised[::5][:20]]
    return capitalised + duplicates


@pytest.mark.parametrize("dataset", ["wordsim353", "simlex999"])
def test_similarity_matches_gensim(dataset):
    rng = np.random.default_rng(0)
    if dataset == "wordsim353":
        words = _similarity_vocabulary(rng)
    else:
        # Dropping 40 words leaves some pairs out of vocabulary.
        words = _pair_words("simlex999.txt")[:-40]
    vectors = rng.standard_normal((len(words), 16)).astype(np.float32)
    ours, keyed = _both(words, vectors)
    filename = {"wordsim353": "wordsim353.tsv", "simlex999": "simlex999.txt"}

    result = word_similarity(ours, dataset)
    pearson, spearman, oov_percent = keyed.evaluate_word_pairs(
        datapath(filename[dataset])
    )

    assert result.dataset == dataset
    assert result.spearman == pytest.approx(spearman.statistic, abs=1e-6)
    assert result.pearson == pytest.approx(pearson.statistic, abs=1e-6)
    assert result.n_oov > 0
    assert 100 * result.n_oov / (result.n_pairs + result.n_oov) == pytest.approx(
        oov_percent
    )


def test_similarity_counts_every_pair():
    words = _pair_words("wordsim353.tsv")
    rng = np.random.default_rng(1)
    ours, _ = _both(words, rng.standard_normal((len(words), 8)).astype(np.float32))
    result = word_similarity(ours)
    assert result.n_pairs == 353
    assert result.n_oov == 0


def test_similarity_tracks_planted_scores(tmp_path):
    # The cosine of pair i falls as i grows while the human score rises.
    angles = np.linspace(0.1, 3.0, 10)
    words, rows, lines = [], [], []
    for i, angle in enumerate(angles):
        words += [f"a{i}", f"b{i}"]
        rows += [[1.0, 0.0], [math.cos(angle), math.sin(angle)]]
        lines.append(f"a{i}\tb{i}\t{i}")
    path = tmp_path / "pairs.tsv"
    path.write_text("# comment\n" + "\n".join(lines) + "\nbroken line\n")
    vectors = WordVectors(words, np.array(rows, dtype=np.float32))
    result = word_similarity(vectors, "planted", path=str(path))
    assert result.dataset == "planted"
    assert result.spearman == pytest.approx(-1.0)
    assert result.n_pairs == 10


def test_similarity_lowercase_off_needs_exact_case():
    words = [word.upper() for word in _pair_words("wordsim353.tsv")]
    rng = np.random.default_rng(2)
    ours, _ = _both(words, rng.standard_normal((len(words), 8)).astype(np.float32))
    assert word_similarity(ours).n_pairs == 353
    with pytest.raises(ValueError, match="no pair of the 353 pairs"):
        word_similarity(ours, lowercase=False)


def test_similarity_without_known_pairs_raises():
    vectors = WordVectors(["zzz", "yyy"], np.eye(2, dtype=np.float32))
    with pytest.raises(ValueError, match="has both words in the vocabulary"):
        word_similarity(vectors, "simlex999")


def test_similarity_without_known_pairs_names_cli_flag():
    vectors = WordVectors(["zzz", "yyy"], np.eye(2, dtype=np.float32))
    with pytest.raises(ValueError, match=r"lower min_count \(CLI: --min-count\)"):
        word_similarity(vectors, "simlex999")


def test_similarity_with_one_known_pair_names_cli_flag():
    vectors = WordVectors(["old", "new"], np.eye(2, dtype=np.float32))
    with pytest.raises(ValueError, match=r"lower min_count \(CLI: --min-count\)"):
        word_similarity(vectors, "simlex999")


def test_similarity_constant_vectors_raise():
    words = _pair_words("wordsim353.tsv")
    vectors = WordVectors(words, np.ones((len(words), 4), dtype=np.float32))
    with pytest.raises(ValueError, match="similarities are equal"):
        word_similarity(vectors)


def test_similarity_unknown_dataset_raises():
    vectors = WordVectors(["a", "b"], np.eye(2, dtype=np.float32))
    with pytest.raises(ValueError, match="unknown dataset 'men3000'"):
        word_similarity(vectors, "men3000")


def test_similarity_rejects_keyed_vectors():
    keyed = KeyedVectors(2)
    keyed.add_vectors(["a", "b"], np.eye(2, dtype=np.float32))
    with pytest.raises(TypeError, match="WordVectors.from_gensim"):
        word_similarity(keyed)


def _analogy_subset(tmp_path, every: int) -> tuple[str, list[tuple[str, list]]]:
    """Write every n-th question of questions-words.txt with all headers.

    Returns the file path and the ``(section, [a, b, c, d])`` questions kept.
    """
    lines, questions = [], []
    section = ""
    with open(datapath("questions-words.txt"), encoding="utf-8") as source:
        for number, line in enumerate(source):
            if line.startswith(":"):
                lines.append(line)
                section = line[1:].strip()
            elif number % every == 0:
                lines.append(line)
                questions.append((section, line.split()))
    path = tmp_path / "questions.txt"
    path.write_text("".join(lines))
    return str(path), questions


def _analogy_vectors(questions: list[tuple[str, list]], seed: int):
    """Random vectors where b is near a + section offset for some pairs (a, b).

    About half the questions come out right, so agreement with gensim covers
    both outcomes. Lowercase copies of some capitalised words sit right after
    the original rows and close to them, to test case-variant exclusion.
    """
    rng = np.random.default_rng(seed)
    dim = 24
    words = list(dict.fromkeys(word for _, question in questions for word in question))
    rng.shuffle(words)
    table = {word: rng.standard_normal(dim) for word in words}
    offsets: dict[str, np.ndarray] = {}
    derived: set[str] = set()
    for section, (a, b, c, d) in questions:
        if section not in offsets:
            offsets[section] = rng.standard_normal(dim)
        offset = offsets[section]
        for head, tail in ((a, b), (c, d)):
            if tail not in derived and head not in derived:
                table[tail] = table[head] + offset + 0.8 * rng.standard_normal(dim)
                derived.add(tail)
    order = []
    for word in words:
        order.append(word)
        if word[0].isupper() and word.lower() not in table and rng.random() < 0.2:
            order.append(word.lower())
            table[word.lower()] = table[word] + 0.3 * rng.standard_normal(dim)
    vectors = np.array([table[word] for word in order], dtype=np.float32)
    return _both(order, vectors)


def test_analogies_match_gensim(tmp_path):
    path, questions = _analogy_subset(tmp_path, every=9)
    ours, keyed = _analogy_vectors(questions, seed=3)
    restrict = len(ours.words) - 40

    result = word_analogies(ours, path=path, restrict_vocab=restrict)
    score, sections = keyed.evaluate_word_analogies(path, restrict_vocab=restrict)

    total = sections[-1]
    expected_sections = {
        section["section"]: len(section["correct"])
        / (len(section["correct"]) + len(section["incorrect"]))
        for section in sections[:-1]
        if section["correct"] or section["incorrect"]
    }
    assert 0.2 < result.accuracy < 0.8
    assert result.accuracy == score
    assert result.n_correct == len(total["correct"])
    assert result.n_questions == len(total["correct"]) + len(total["incorrect"])
    assert result.n_oov == len(questions) - result.n_questions
    assert result.n_oov > 0
    assert result.sections == expected_sections


def test_analogies_default_file_reads_all_questions(tmp_path):
    _, questions = _analogy_subset(tmp_path, every=1)
    ours, _ = _analogy_vectors(questions[::20], seed=4)
    result = word_analogies(ours)
    assert result.n_questions + result.n_oov == 19544
    assert len(result.sections) == 14


def test_analogies_exclude_question_words(tmp_path):
    # b - a + c is closest to c itself, and the best other word is d.
    words = ["a", "b", "c", "d", "e"]
    rows = [[1, 0, 0], [1, 0.2, 0], [0, 1, 0], [0.1, 1, 0.3], [0, 0, 1]]
    path = tmp_path / "q.txt"
    path.write_text(": toy\na b c d\na b c e\n")
    vectors = WordVectors(words, np.array(rows, dtype=np.float32))
    result = word_analogies(vectors, path=str(path))
    assert result.n_correct == 1
    assert result.n_questions == 2
    assert result.sections == {"toy": 0.5}


def test_analogies_restrict_vocab_counts_oov(tmp_path):
    words = ["a", "b", "c", "d", "rare"]
    path = tmp_path / "q.txt"
    path.write_text(": toy\na b c d\na b c rare\n")
    vectors = WordVectors(words, np.eye(5, dtype=np.float32))
    result = word_analogies(vectors, path=str(path), restrict_vocab=4)
    assert result.n_questions == 1
    assert result.n_oov == 1


def test_analogies_question_before_header_raises(tmp_path):
    path = tmp_path / "q.txt"
    path.write_text("a b c d\n")
    vectors = WordVectors(list("abcd"), np.eye(4, dtype=np.float32))
    with pytest.raises(ValueError, match="before any ': section' header"):
        word_analogies(vectors, path=str(path))


def test_analogies_without_known_questions_raise():
    vectors = WordVectors(["zzz", "yyy"], np.eye(2, dtype=np.float32))
    with pytest.raises(ValueError, match="none of the 19544 questions"):
        word_analogies(vectors)


def test_analogies_bad_restrict_vocab_raises():
    vectors = WordVectors(["a"], np.eye(1, dtype=np.float32))
    with pytest.raises(ValueError, match="restrict_vocab must be an int >= 1, got 0"):
        word_analogies(vectors, restrict_vocab=0)
