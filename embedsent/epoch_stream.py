"""One epoch's subsampled id stream, cut into fixed-shape chunks as it is read.

An epoch drops frequent tokens at random (word2vec's subsampling) and feeds
the kept tokens to the compiled step in chunks of ``batch_size *
steps_per_call`` centers plus ``window`` positions of context on each side.
The kept stream is produced block by block and never held whole: a training
run holds the corpus ids (2 bytes per token up to 65,536 words, else 4), the
document offsets (8 bytes per document) and about two blocks of the stream.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import numpy as np

from embedsent.sgns import StepShape
from embedsent.vocab import EncodedCorpus

__all__ = ["SUBSAMPLE_BLOCK", "EpochStream", "cut_chunks", "iter_chunks"]

# Corpus tokens drawn per block when subsampling. numpy's default Generator
# (PCG64) draws the same doubles in blocks of any size as in one call, which
# the tests check. The block bounds the temporary arrays to about 2 MB.
SUBSAMPLE_BLOCK = 1 << 17

Chunk = tuple[np.ndarray, np.ndarray, int]


class EpochStream:
    """The subsampled token stream of one epoch.

    Building the stream draws the keep decisions of the whole epoch once,
    only to count the kept tokens, and leaves ``rng`` where drawing them in
    one call would. Iterating draws the same numbers again from the saved
    generator state, so every pass yields the same stream.

    Args:
        corpus: The encoded corpus.
        keep: ``float64[vocab_size]`` probability of keeping each id.
        rng: Generator of the subsampling decisions; advanced by one epoch.
        shape: Static sizes of the compiled step (chunk size, window).
    """

    def __init__(
        self,
        corpus: EncodedCorpus,
        keep: np.ndarray,
        rng: np.random.Generator,
        shape: StepShape,
    ):
        self.corpus = corpus
        self.keep = keep
        self.shape = shape
        self._start_state = rng.bit_generator.state
        self.kept_tokens = sum(
            int(np.count_nonzero(mask)) for _, mask in self._masks(rng)
        )

    def __len__(self) -> int:
        """Number of chunks."""
        return -(-self.kept_tokens // self.shape.chunk_centers)

    def _masks(self, rng: np.random.Generator) -> Iterator[tuple[int, np.ndarray]]:
        ids = self.corpus.ids
        for start in range(0, ids.shape[0], SUBSAMPLE_BLOCK):
            block = ids[start : start + SUBSAMPLE_BLOCK]
            yield start, rng.random(block.shape[0]) < self.keep[block]

    def kept_blocks(self) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """Yield ``(ids, doc_ids)`` of the kept tokens, one block at a time."""
        rng = np.random.default_rng()
        rng.bit_generator.state = self._start_state
        for start, mask in self._masks(rng):
            end = start + mask.shape[0]
            yield (
                self.corpus.ids[start:end][mask],
                self.corpus.doc_ids_between(start, end)[mask],
            )

    def chunks(self, first: int = 0) -> Iterator[Chunk]:
        """Yield the chunks from index ``first`` on; see ``cut_chunks``."""
        return cut_chunks(self.kept_blocks(), self.kept_tokens, self.shape, first)


def cut_chunks(
    blocks: Iterable[tuple[np.ndarray, np.ndarray]],
    total: int,
    shape: StepShape,
    first: int = 0,
) -> Iterator[Chunk]:
    """Cut a stream given in consecutive blocks into ``(ids, doc_ids, n_valid)``.

    Chunk ``i`` covers centers ``i * chunk_centers`` onwards plus ``window``
    positions of context on each side; ``n_valid`` counts its real centers.
    Positions outside the stream get document id -1, which never matches a
    real document, so padding is never a context. Only the blocks that the
    current chunk overlaps are kept.

    Args:
        blocks: ``(ids, doc_ids)`` pairs that concatenate to the stream.
        total: Length of the stream.
        shape: Static sizes of the compiled step.
        first: Index of the first chunk to yield; earlier chunks are skipped.
    """
    window, size = shape.window, shape.chunk_centers
    if total < 0:
        raise ValueError(f"total must be >= 0, got {total}")
    n_chunks = -(-total // size)
    if not 0 <= first <= n_chunks:
        raise IndexError(f"first chunk {first} out of range 0..{n_chunks}")
    blocks = iter(blocks)
    buffer_ids = np.empty(0, np.int32)
    buffer_docs = np.empty(0, np.int32)
    buffer_start = 0  # Stream position of buffer_ids[0].
    for index in range(first, n_chunks):
        start = index * size
        low = max(start - window, 0)
        high = min(start + size + window, total)
        while buffer_start + buffer_ids.shape[0] < high:
            ids, docs = _next_block(blocks, buffer_start + buffer_ids.shape[0], total)
            drop = min(max(low - buffer_start, 0), buffer_ids.shape[0])
            buffer_ids = np.concatenate([buffer_ids[drop:], ids])
            buffer_docs = np.concatenate([buffer_docs[drop:], docs])
            buffer_start += drop
        chunk_ids = np.zeros(size + 2 * window, np.int32)
        chunk_docs = np.full(size + 2 * window, -1, np.int32)
        # Stream position `start - window` lands at chunk position 0.
        offset = low - (start - window)
        source = slice(low - buffer_start, high - buffer_start)
        chunk_ids[offset : offset + high - low] = buffer_ids[source]
        chunk_docs[offset : offset + high - low] = buffer_docs[source]
        yield chunk_ids, chunk_docs, min(size, total - start)
    # Blocks left after the last chunk may only be empty.
    read = buffer_start + buffer_ids.shape[0]
    read += sum(len(ids) for ids, _ in blocks)
    if read > total:
        raise ValueError(f"the blocks hold {read} tokens, more than total={total}")


def _next_block(blocks, position: int, total: int) -> tuple[np.ndarray, np.ndarray]:
    """Return the next ``(ids, doc_ids)`` block.

    Raises:
        ValueError: if the blocks ran out before ``total`` tokens, or the
            block's two arrays differ in length.
    """
    try:
        ids, docs = next(blocks)
    except StopIteration:
        raise ValueError(
            f"the blocks end at token {position}, before total={total}"
        ) from None
    if len(ids) != len(docs):
        raise ValueError(
            f"a block has {len(ids)} ids but {len(docs)} document ids; pass one "
            "document id per id"
        )
    return ids, docs


def iter_chunks(ids: np.ndarray, doc_ids: np.ndarray, shape: StepShape):
    """Yield the chunks of a stream held whole as ``ids`` and ``doc_ids``."""
    ids, doc_ids = np.asarray(ids), np.asarray(doc_ids)
    if ids.shape != doc_ids.shape:
        raise ValueError(
            f"ids and doc_ids must have the same shape, got {ids.shape} and "
            f"{doc_ids.shape}"
        )
    limits = np.iinfo(np.int32)
    for name, values in (("ids", ids), ("doc_ids", doc_ids)):
        if values.ndim != 1 or (
            values.size and not np.issubdtype(values.dtype, np.integer)
        ):
            raise ValueError(
                f"{name} must be a 1-D integer array, got shape {values.shape} "
                f"and dtype {values.dtype}"
            )
        # The compiled step reads int32, so larger values would wrap around.
        if values.size and not limits.min <= values.min() <= values.max() <= limits.max:
            raise ValueError(
                f"{name} must fit in int32, got values from {values.min()} to "
                f"{values.max()}"
            )
    return cut_chunks([(ids, doc_ids)], int(ids.shape[0]), shape)
