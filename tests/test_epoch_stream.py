import numpy as np
import pytest

from embedsent import epoch_stream
from embedsent.epoch_stream import EpochStream, cut_chunks, iter_chunks
from embedsent.sgns import StepShape
from embedsent.vocab import EncodedCorpus

# batch 4, window 2, 1 noise word, steps_per_call 2: chunks of 8 centers.
SHAPE = StepShape(4, 2, 1, 1, 1, 2)


def random_corpus(seed=0, n_docs=60, vocab_size=20):
    rng = np.random.default_rng(seed)
    lengths = rng.integers(0, 9, size=n_docs)
    lengths[[0, 7, -1]] = 0
    ids = rng.integers(0, vocab_size, size=int(lengths.sum())).astype(np.int32)
    return EncodedCorpus.from_lengths(ids, lengths, int(lengths.sum()))


def one_draw(corpus, keep, seed):
    rng = np.random.default_rng(seed)
    mask = rng.random(len(corpus)) < keep[corpus.ids]
    return corpus.ids[mask], corpus.doc_ids[mask], rng.bit_generator.state


@pytest.mark.parametrize("block", [1, 7, 64, 1 << 17])
def test_stream_in_blocks_equals_one_draw(monkeypatch, block):
    monkeypatch.setattr(epoch_stream, "SUBSAMPLE_BLOCK", block)
    corpus = random_corpus()
    keep = np.linspace(0.1, 1.0, 20)
    rng = np.random.default_rng(9)
    stream = EpochStream(corpus, keep, rng, SHAPE)
    ids, docs, state_after = one_draw(corpus, keep, 9)
    assert 0 < stream.kept_tokens == ids.shape[0] < len(corpus)
    blocks = list(stream.kept_blocks())
    assert np.array_equal(np.concatenate([b[0] for b in blocks]), ids)
    assert np.array_equal(np.concatenate([b[1] for b in blocks]), docs)
    # The next epoch draws where one whole-epoch draw would have left off.
    assert rng.bit_generator.state == state_after


@pytest.mark.parametrize("block", [3, 11, 1 << 17])
def test_stream_chunks_match_whole_stream(monkeypatch, block):
    monkeypatch.setattr(epoch_stream, "SUBSAMPLE_BLOCK", block)
    corpus = random_corpus(seed=1)
    keep = np.full(20, 0.7)
    stream = EpochStream(corpus, keep, np.random.default_rng(2), SHAPE)
    ids, docs, _ = one_draw(corpus, keep, 2)
    expected = list(iter_chunks(ids, docs, SHAPE))
    chunks = list(stream.chunks())
    assert len(chunks) == len(stream) == len(expected) > 3
    for got, want in zip(chunks, expected, strict=True):
        assert np.array_equal(got[0], want[0])
        assert np.array_equal(got[1], want[1])
        assert got[2] == want[2]


def test_stream_resumes_at_a_later_chunk(monkeypatch):
    monkeypatch.setattr(epoch_stream, "SUBSAMPLE_BLOCK", 5)
    corpus = random_corpus(seed=3)
    stream = EpochStream(corpus, np.full(20, 0.8), np.random.default_rng(4), SHAPE)
    every = list(stream.chunks())
    for first in range(len(every) + 1):
        tail = list(stream.chunks(first))
        assert len(tail) == len(every) - first
        for got, want in zip(tail, every[first:], strict=True):
            assert np.array_equal(got[0], want[0])
            assert np.array_equal(got[1], want[1])


def test_chunks_cover_stream_with_halo():
    ids = np.arange(1, 12, dtype=np.int32)
    docs = np.zeros(11, np.int32)
    chunks = list(iter_chunks(ids, docs, SHAPE))
    assert [c[2] for c in chunks] == [8, 3]
    assert chunks[0][0].tolist() == [0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]
    assert chunks[0][1][:2].tolist() == [-1, -1]
    assert chunks[1][0][:5].tolist() == [7, 8, 9, 10, 11]
    assert chunks[1][1][5:].tolist() == [-1] * 7


def test_chunks_agree_across_block_sizes():
    ids = np.arange(1, 40, dtype=np.int32)
    docs = np.repeat(np.arange(4, dtype=np.int32), [10, 9, 10, 10])
    whole = list(iter_chunks(ids, docs, SHAPE))
    for size in (1, 2, 9, 39):
        blocks = [(ids[i : i + size], docs[i : i + size]) for i in range(0, 39, size)]
        cut = list(cut_chunks(blocks, 39, SHAPE))
        assert [c[2] for c in cut] == [c[2] for c in whole]
        for got, want in zip(cut, whole, strict=True):
            assert np.array_equal(got[0], want[0])
            assert np.array_equal(got[1], want[1])


def test_empty_stream_has_no_chunks():
    corpus = EncodedCorpus.from_lengths(np.empty(0, np.int32), [0, 0], 0)
    stream = EpochStream(corpus, np.ones(3), np.random.default_rng(0), SHAPE)
    assert stream.kept_tokens == len(stream) == 0
    assert list(stream.chunks()) == []


def test_first_chunk_past_end_rejected():
    with pytest.raises(IndexError, match="first chunk 3 out of range 0..2"):
        next(cut_chunks([], 9, SHAPE, first=3))


def test_iter_chunks_rejects_arrays_of_different_lengths():
    with pytest.raises(ValueError, match="same shape"):
        iter_chunks(np.zeros(3, np.int32), np.zeros(4, np.int32), SHAPE)


@pytest.mark.parametrize(
    ("blocks", "total", "message"),
    [
        ([(np.arange(6), np.zeros(6))], -4, "total must be >= 0, got -4"),
        ([(np.arange(6), np.zeros(6))], 9, "the blocks end at token 6, before"),
        ([], 3, "the blocks end at token 0, before total=3"),
        ([(np.arange(6), np.zeros(6))], 3, "the blocks hold 6 tokens, more than"),
        ([(np.arange(6), np.zeros(3))], 6, "a block has 6 ids but 3 document ids"),
    ],
)
def test_cut_chunks_rejects_wrong_total(blocks, total, message):
    with pytest.raises(ValueError, match=message):
        list(cut_chunks(blocks, total, SHAPE))


def test_cut_chunks_accepts_trailing_empty_blocks():
    empty = (np.empty(0, np.int32), np.empty(0, np.int32))
    blocks = [(np.arange(6), np.zeros(6)), empty, empty]
    assert [c[2] for c in cut_chunks(blocks, 6, SHAPE)] == [6]


@pytest.mark.parametrize(
    ("ids", "message"),
    [
        (np.array([1.7, 2.0]), "ids must be a 1-D integer array"),
        (np.array([[1, 2]]), "ids must be a 1-D integer array"),
        (np.array([1, 2**40]), "ids must fit in int32"),
    ],
)
def test_iter_chunks_rejects_unreadable_ids(ids, message):
    with pytest.raises(ValueError, match=message):
        iter_chunks(ids, np.zeros(ids.shape, np.int64), SHAPE)
