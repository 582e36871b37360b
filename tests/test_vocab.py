import numpy as np
import pytest

from embedsent.config import VocabConfig
from embedsent.vocab import (
    EmptyCorpusError,
    EncodedCorpus,
    MinCountError,
    Vocabulary,
    build_and_encode,
)

CORPUS = [["good", "film", "good"], ["bad", "film"], ["good", "plot", "zebra"]]


def test_vocab_orders_by_count_then_token():
    vocab = Vocabulary.build(CORPUS, VocabConfig(min_count=1))
    assert vocab.tokens == ["good", "film", "bad", "plot", "zebra"]
    assert vocab.counts.tolist() == [3, 2, 1, 1, 1]


def test_vocab_drops_tokens_below_min_count():
    vocab = Vocabulary.build(CORPUS, VocabConfig(min_count=2))
    assert vocab.tokens == ["good", "film"]


def test_vocab_caps_size_at_max_vocab_size():
    vocab = Vocabulary.build(CORPUS, VocabConfig(min_count=1, max_vocab_size=3))
    assert vocab.tokens == ["good", "film", "bad"]


def test_vocab_min_count_error_names_types_and_largest_count():
    with pytest.raises(ValueError, match="5 token types and the largest count is 3"):
        Vocabulary.build(CORPUS, VocabConfig(min_count=4))


def test_vocab_rejects_raw_texts():
    with pytest.raises(TypeError, match="tokenize_corpus"):
        Vocabulary.build(["good film", "bad film"])


def test_vocab_rejects_non_string_tokens():
    with pytest.raises(TypeError, match="str tokens"):
        Vocabulary.build([[1, 2, 3]])


def test_encode_drops_unknown_tokens():
    vocab = Vocabulary.build(CORPUS, VocabConfig(min_count=2))
    assert vocab.encode(["good", "unknown", "film"]).tolist() == [0, 1]


def test_encode_corpus_records_documents_and_raw_count():
    vocab = Vocabulary.build(CORPUS, VocabConfig(min_count=2))
    encoded = vocab.encode_corpus(CORPUS)
    assert encoded.ids.tolist() == [0, 1, 0, 1, 0]
    assert encoded.doc_ids.tolist() == [0, 0, 0, 1, 2]
    assert encoded.doc_offsets.tolist() == [0, 3, 4, 5]
    assert encoded.raw_token_count == 8


def test_doc_ids_between_skips_empty_documents():
    encoded = EncodedCorpus.from_lengths(
        np.arange(6, dtype=np.int32), [0, 2, 0, 3, 1], 9
    )
    assert encoded.doc_ids.tolist() == [1, 1, 3, 3, 3, 4]
    for start in range(7):
        for end in range(start, 8):
            expected = encoded.doc_ids[start:end]
            assert encoded.doc_ids_between(start, end).tolist() == expected.tolist()


@pytest.mark.parametrize("offsets", [[1, 3], [0, 2], [0, 4, 3], [[0, 3]]])
def test_offsets_not_spanning_ids_rejected(offsets):
    with pytest.raises(ValueError, match="doc_offsets must rise from 0 to"):
        EncodedCorpus(np.zeros(3, np.int32), np.asarray(offsets), 3)


def test_keep_probabilities_follow_word2vec_formula():
    vocab = Vocabulary(["a", "b"], [990, 10])
    keep = vocab.keep_probabilities(0.01)
    threshold = 0.01 * 1000
    expected_a = (np.sqrt(990 / threshold) + 1) * threshold / 990
    assert keep[0] == pytest.approx(expected_a)
    assert keep[1] == 1.0


def test_keep_probabilities_zero_sample_keeps_all():
    vocab = Vocabulary(["a", "b"], [900, 100])
    assert vocab.keep_probabilities(0.0).tolist() == [1.0, 1.0]


def test_noise_distribution_uses_three_quarter_power():
    vocab = Vocabulary(["a", "b"], [16, 1])
    noise = vocab.noise_distribution(0.75)
    assert noise[0] / noise[1] == pytest.approx(8.0)
    assert noise.sum() == pytest.approx(1.0)


def test_vocab_save_load_round_trip(tmp_path):
    vocab = Vocabulary.build(CORPUS, VocabConfig(min_count=1))
    vocab.save(tmp_path / "vocab.json")
    loaded = Vocabulary.load(tmp_path / "vocab.json")
    assert loaded.tokens == vocab.tokens
    assert loaded.counts.tolist() == vocab.counts.tolist()


@pytest.mark.parametrize(
    ("name", "content", "kind"),
    [
        ("labeled.csv", "text,label\ngood,pos\n", "a .csv table (a text file)"),
        ("settings.json", '{"epochs": 5}', "a JSON file"),
    ],
)
def test_vocab_save_keeps_file_of_other_kind(tmp_path, name, content, kind):
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    vocab = Vocabulary.build(CORPUS, VocabConfig(min_count=1))
    with pytest.raises(ValueError) as raised:
        vocab.save(path)
    message = str(raised.value)
    assert f"path {path} is {kind}, not an embedsent vocabulary file" in message
    assert path.read_text(encoding="utf-8") == content


def test_vocab_save_replaces_own_and_empty_file(tmp_path):
    path = tmp_path / "vocab.json"
    path.write_text("", encoding="utf-8")
    Vocabulary.build(CORPUS, VocabConfig(min_count=1)).save(path)
    vocab = Vocabulary.build(CORPUS, VocabConfig(min_count=2))
    vocab.save(path)
    assert Vocabulary.load(path).tokens == vocab.tokens


def test_vocab_load_rejects_unknown_version(tmp_path):
    (tmp_path / "vocab.json").write_text('{"format_version": 99}')
    with pytest.raises(ValueError, match="format_version 99"):
        Vocabulary.load(tmp_path / "vocab.json")


def _two_pass(documents, config):
    vocab = Vocabulary.build(documents, config)
    return vocab, vocab.encode_corpus(documents)


@pytest.mark.parametrize(
    "config",
    [VocabConfig(min_count=1), VocabConfig(min_count=2), VocabConfig(max_vocab_size=3)],
)
def test_build_and_encode_equals_build_then_encode(config):
    rng = np.random.default_rng(0)
    words = [f"w{i}" for i in range(12)]
    documents = [
        list(rng.choice(words, size=int(rng.integers(0, 9)), p=None)) for _ in range(40)
    ]
    documents[0] = documents[3] = documents[-1] = []
    vocab, encoded = build_and_encode(iter(documents), config)
    expected_vocab, expected = _two_pass(documents, config)
    assert vocab.tokens == expected_vocab.tokens
    np.testing.assert_array_equal(vocab.counts, expected_vocab.counts)
    np.testing.assert_array_equal(encoded.ids, expected.ids)
    np.testing.assert_array_equal(encoded.doc_offsets, expected.doc_offsets)
    np.testing.assert_array_equal(encoded.doc_ids, expected.doc_ids)
    assert encoded.n_documents == len(documents)
    assert encoded.ids.dtype == np.uint16
    assert encoded.doc_ids.dtype == np.int32
    assert encoded.raw_token_count == expected.raw_token_count


@pytest.mark.parametrize(
    ("n_words", "dtype"), [(65_536, np.uint16), (65_537, np.int32)]
)
def test_encoded_ids_use_smallest_dtype(n_words, dtype):
    documents = [[f"w{i}", f"w{i + 1}"] for i in range(0, n_words, 2)]
    if n_words % 2:
        documents[-1] = [f"w{n_words - 1}"]
    config = VocabConfig(min_count=1)
    vocab, encoded = build_and_encode(iter(documents), config)
    assert len(vocab) == n_words
    assert encoded.ids.dtype == dtype
    two_pass = vocab.encode_corpus(documents)
    assert two_pass.ids.dtype == dtype
    np.testing.assert_array_equal(encoded.ids, two_pass.ids)
    assert int(encoded.ids.max()) == n_words - 1


def test_build_and_encode_reads_a_generator_once():
    reads = []

    def documents():
        for document in (["good", "film"], ["bad", "film"], ["film"]):
            reads.append(document)
            yield document

    vocab, encoded = build_and_encode(documents(), VocabConfig(min_count=1))
    assert len(reads) == 3
    assert vocab.tokens[0] == "film"
    assert encoded.doc_ids.tolist() == [0, 0, 1, 1, 2]


def test_build_and_encode_rejects_raw_texts():
    with pytest.raises(TypeError, match=r"corpus\[1\] is a str .*tokenize_corpus"):
        build_and_encode(iter([["ok"], "a raw text"]))
    with pytest.raises(TypeError, match="single str"):
        build_and_encode("a raw text")


def test_build_and_encode_names_a_non_string_token():
    with pytest.raises(TypeError, match=r"corpus\[0\] tokens must be str, got list"):
        build_and_encode(iter([["ok", ["nested"]]]))
    with pytest.raises(TypeError, match="tokens must be str, got int"):
        build_and_encode(iter([["ok", 3]]), VocabConfig(min_count=1))


def test_build_and_encode_errors_match_build():
    with pytest.raises(EmptyCorpusError, match="contains no tokens"):
        build_and_encode(iter([[], []]))
    with pytest.raises(MinCountError, match="min_count=5"):
        build_and_encode(iter([["rare", "word"]]), VocabConfig(min_count=5))


def test_encoded_corpus_rejects_float_offsets():
    with pytest.raises(ValueError, match="doc_offsets must be integers"):
        EncodedCorpus(np.zeros(3, np.int32), np.array([0.0, 3.0]), 3)


def test_encoded_corpus_accepts_offsets_as_a_list():
    encoded = EncodedCorpus(np.zeros(3, np.int32), [0, 1, 3], 3)
    assert encoded.doc_offsets.dtype == np.int64
    assert encoded.doc_ids.tolist() == [0, 1, 1]


def test_id_counts_rejects_ids_beyond_the_vocabulary():
    encoded = EncodedCorpus.from_lengths(np.array([0, 4, 1], np.int32), [3], 3)
    assert encoded.id_counts(5).tolist() == [1, 1, 0, 0, 1]
    with pytest.raises(ValueError, match=r"outside 0..3"):
        encoded.id_counts(4)


@pytest.mark.parametrize(
    ("ids", "raw", "message"),
    [
        (np.array([0.5, 1.0, 2.0]), 3, "ids must be a 1-D integer array"),
        (np.zeros((3, 1), np.int32), 3, "ids must be a 1-D integer array"),
        (np.array([0, -1, 2]), 3, "ids must be >= 0, got -1"),
        (np.zeros(3, np.int32), 2, "at least len\\(ids\\) = 3, got 2"),
    ],
)
def test_encoded_corpus_rejects_invalid_ids(ids, raw, message):
    with pytest.raises(ValueError, match=message):
        EncodedCorpus(ids, np.array([0, 3]), raw)


@pytest.mark.parametrize(
    ("lengths", "message"),
    [
        (np.array([2.5, 0.5]), "lengths must be a 1-D integer array"),
        (np.array([[3]]), "lengths must be a 1-D integer array"),
        (np.array([4, -1]), "lengths must be >= 0, got -1"),
        (np.array([1, 1]), "doc_offsets must rise from 0 to the number of ids"),
    ],
)
def test_from_lengths_rejects_invalid_lengths(lengths, message):
    with pytest.raises(ValueError, match=message):
        EncodedCorpus.from_lengths(np.zeros(3, np.int32), lengths, 3)
