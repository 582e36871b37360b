"""Skip-gram negative sampling (SGNS) trainer in JAX.

Implements the skip-gram model with negative sampling of Mikolov et al. (2013),
"Distributed Representations of Words and Phrases and their
Compositionality", with word2vec's dynamic window, frequent-word subsampling,
unigram^0.75 noise distribution and linearly decaying learning rate.

This module contains the compiled part; ``embedsent.trainer`` runs the epochs.
The host only subsamples the id stream once per epoch; windows, context
lookup and noise words are drawn inside the compiled step from explicit JAX
keys. Each compiled call runs ``steps_per_call`` steps over a fixed-shape
chunk of the stream, so the corpus size and the learning rate never cause a
recompile.

Only the table rows a step touches are read and written: the gradient of a
batch is scattered into the rows of its centers, of the stream span that
contains their contexts, and of its noise words. A row that a batch updates
several times gets damped updates (``damp_repeats``), because the batch
computes them all from the same copy of the row.
optax's transformations act on dense parameter trees, so using one here would
make every step cost O(vocabulary x dim); the update is therefore plain SGD on
the touched rows, with the learning rates of optax's ``linear_schedule``
(computed in ``embedsent.trainer``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache, partial

import jax
import jax.numpy as jnp
import numpy as np
from jax.sharding import Mesh, PartitionSpec

from embedsent.config import SGNSConfig

__all__ = [
    "StepShape",
    "below",
    "build_noise_table",
    "chunk_key",
    "init_tables",
    "noise_weights",
    "run_keys",
    "sample_noise",
    "sgns_loss",
    "sharded_train_chunk",
    "step_bits",
    "train_chunk",
]

# Bumped whenever a change to the step or to the initial tables changes the
# trained vectors, so that caches keyed on settings never return vectors of
# an older version.
SGNS_ALGORITHM_VERSION = 5

# Alias-table thresholds are integers out of this many, so a threshold and a
# uniform draw below it both fit in int32.
ALIAS_SCALE = 2**31 - 1


def build_noise_table(noise: np.ndarray) -> np.ndarray:
    """Return Walker's alias table of ``noise`` as ``int32[2, V]``.

    Row 0 contains thresholds out of ``ALIAS_SCALE`` and row 1 the alias ids.
    A draw picks a uniform id ``i`` and a uniform integer ``c`` below
    ``2**31`` (``noise_from_bits``), then returns ``i`` if ``c < table[0, i]``
    and ``table[1, i]`` otherwise. That samples ``noise`` exactly up to the
    threshold rounding and the one-in-``2**31`` gap between ``ALIAS_SCALE``
    and ``2**31`` (together about 1e-9), plus the bias of drawing ``i`` (see
    ``below``), at two gathers per draw and 8 bytes per word, built with
    Vose's method.
    """
    noise = np.asarray(noise, dtype=np.float64)
    size = noise.shape[0]
    scaled = noise / noise.sum() * size
    thresholds = np.ones(size, dtype=np.float64)
    aliases = np.arange(size, dtype=np.int64)
    small = [int(i) for i in np.flatnonzero(scaled < 1.0)]
    large = [int(i) for i in np.flatnonzero(scaled >= 1.0)]
    while small and large:
        light, heavy = small.pop(), large.pop()
        thresholds[light] = scaled[light]
        aliases[light] = heavy
        scaled[heavy] -= 1.0 - scaled[light]
        (small if scaled[heavy] < 1.0 else large).append(heavy)
    # Whatever is left has scaled weight 1 up to rounding and keeps itself.
    table = np.empty((2, size), dtype=np.int32)
    table[0] = np.rint(np.clip(thresholds, 0.0, 1.0) * ALIAS_SCALE)
    table[1] = aliases
    return table


# Every XLA program that has run stays in memory: 1.3 to 1.5 MB each, measured
# on a 2-core CPU machine, even when read from the compile cache. A run derives
# its keys with these two programs instead of one program per key operation.
@jax.jit
def run_keys(seed: jax.Array) -> tuple[jax.Array, jax.Array]:
    """Split ``PRNGKey(seed)`` into ``(init_key, root_key)``.

    ``seed`` is a ``uint32`` scalar, so every seed from 0 to 2**32 - 1 gives
    the key that ``jax.random.PRNGKey`` gives for it as a Python int.
    """
    # Two outputs, because unpacking one array would run indexing programs.
    init_key, root_key = jax.random.split(jax.random.PRNGKey(seed))
    return init_key, root_key


@jax.jit
def chunk_key(root_key: jax.Array, epoch: jax.Array, chunk: jax.Array) -> jax.Array:
    """Return a chunk's key: ``root_key`` folded with ``epoch``, then ``chunk``."""
    return jax.random.fold_in(jax.random.fold_in(root_key, epoch), chunk)


def step_bits(key: jax.Array, count: int) -> jax.Array:
    """Draw ``count`` uniform ``uint32`` words for one step from ``key``.

    Four threefry words from ``key`` seed XLA's RngBitGenerator (JAX's
    ``rbg`` key), which draws the rest. On a 2-core CPU a training step ran
    about 15% faster this way than with every word drawn by threefry. The
    words depend only on ``key``, so runs stay reproducible, but the stream
    may change with the XLA version and differs between platforms.
    """
    seed = jax.random.bits(key, (4,), jnp.uint32)
    return jax.random.bits(jax.random.wrap_key_data(seed, impl="rbg"), (count,))


def below(words: jax.Array, limit: int) -> jax.Array:
    """Map uniform ``uint32`` words to ``int32`` values in ``[0, limit)``.

    The remainder favours values below ``2**32 % limit`` by one part in
    ``2**32 // limit`` (under 1e-5 of their probability for 40,000 words).
    """
    return (words % jnp.uint32(limit)).astype(jnp.int32)


def noise_from_bits(words: jax.Array, noise_table: jax.Array) -> jax.Array:
    """Turn ``uint32`` words of shape ``(2, *shape)`` into ``int32`` noise ids.

    ``words[0]`` picks the alias-table slots and the top 31 bits of
    ``words[1]`` the coins (see ``build_noise_table``).
    """
    slots = below(words[0], noise_table.shape[1])
    coins = (words[1] >> 1).astype(jnp.int32)
    return jnp.where(coins < noise_table[0, slots], slots, noise_table[1, slots])


def sample_noise(key: jax.Array, noise_table: jax.Array, shape) -> jax.Array:
    """Draw ``int32`` ids of ``shape`` from the alias table ``noise_table``."""
    shape = tuple(shape)
    words = step_bits(key, 2 * math.prod(shape))
    return noise_from_bits(words.reshape((2, *shape)), noise_table)


def context_offsets(window: int) -> list[int]:
    """Return the context offsets ``-window..-1, 1..window`` of a center."""
    return [*range(-window, 0), *range(1, window + 1)]


def _shifted(span_vectors: jax.Array, offset: int, window: int, batch: int):
    """Return the rows of ``span_vectors`` at offset ``offset`` from each center."""
    return jax.lax.slice_in_dim(span_vectors, window + offset, window + offset + batch)


def _positive_scores(center_vectors, span_vectors, window):
    batch = center_vectors.shape[0]
    columns = [
        jnp.sum(center_vectors * _shifted(span_vectors, offset, window, batch), -1)
        for offset in context_offsets(window)
    ]
    return jnp.stack(columns, axis=1)


def sgns_loss(
    center_vectors: jax.Array,
    span_vectors: jax.Array,
    context_mask: jax.Array,
    noise_vectors: jax.Array,
    noise_weight: jax.Array,
) -> jax.Array:
    """Compute the summed SGNS loss of one batch of consecutive centers.

    The centers of a batch are consecutive positions of the token stream, so
    their contexts all lie in one span that reaches ``window`` positions past
    each end. The context of center ``i`` at offset ``o`` is span row
    ``window + i + o``.

    Args:
        center_vectors: ``float32[B, d]`` input vectors of the centers.
        span_vectors: ``float32[B + 2 * window, d]`` output vectors of the span.
        context_mask: ``float32[B, 2 * window]``, 1 where the context at
            offset ``context_offsets(window)[j]`` is a real pair, else 0.
        noise_vectors: ``float32[G, K, d]`` output vectors of the noise words
            shared by each group of ``B // G`` centers.
        noise_weight: ``float32[B, K]`` weight of each (center, noise word)
            term.

    Returns:
        Scalar ``-sum(log sigmoid(u_o . v_c)) - sum(w_ck * log sigmoid(-u_k . v_c))``.
    """
    window = (span_vectors.shape[0] - center_vectors.shape[0]) // 2
    groups = noise_vectors.shape[0]
    positive = _positive_scores(center_vectors, span_vectors, window)
    grouped = center_vectors.reshape(groups, -1, center_vectors.shape[-1])
    negative = jnp.einsum("gid,gkd->gik", grouped, noise_vectors)
    positive_loss = -jnp.sum(jax.nn.log_sigmoid(positive) * context_mask)
    negative_loss = -jnp.sum(
        jax.nn.log_sigmoid(-negative) * noise_weight.reshape(negative.shape)
    )
    return positive_loss + negative_loss


def _sgns_gradients(center_vectors, span_vectors, context_mask, noise_vectors, w):
    """Return the loss and its gradients with respect to the gathered rows.

    Written out by hand (it equals ``jax.grad(sgns_loss)``, which a test
    checks) so the step does not keep autodiff residuals.
    """
    batch, dim = center_vectors.shape
    window = (span_vectors.shape[0] - batch) // 2
    groups = noise_vectors.shape[0]
    grouped = center_vectors.reshape(groups, -1, dim)
    positive = _positive_scores(center_vectors, span_vectors, window)
    negative = jnp.einsum("gid,gkd->gik", grouped, noise_vectors)
    weight = w.reshape(negative.shape)
    loss = -jnp.sum(jax.nn.log_sigmoid(positive) * context_mask) - jnp.sum(
        jax.nn.log_sigmoid(-negative) * weight
    )
    d_positive = (jax.nn.sigmoid(positive) - 1.0) * context_mask
    d_negative = jax.nn.sigmoid(negative) * weight

    d_center = jnp.einsum("gik,gkd->gid", d_negative, noise_vectors).reshape(-1, dim)
    d_center, d_span = _add_positive_gradients(
        d_center, jnp.zeros_like(span_vectors), d_positive, center_vectors, span_vectors
    )
    d_noise = jnp.einsum("gik,gid->gkd", d_negative, grouped)
    return loss, d_center, d_span, d_noise


def _add_positive_gradients(d_center, d_span, d_positive, center_vectors, span_vectors):
    """Add the gradients of the (center, context) terms to both sides."""
    batch = center_vectors.shape[0]
    window = (span_vectors.shape[0] - batch) // 2
    for column, offset in enumerate(context_offsets(window)):
        scale = d_positive[:, column, None]
        d_center = d_center + scale * _shifted(span_vectors, offset, window, batch)
        start = window + offset
        d_span = d_span.at[start : start + batch].add(scale * center_vectors)
    return d_center, d_span


def context_input_loss(
    center_vectors: jax.Array,
    span_vectors: jax.Array,
    context_mask: jax.Array,
    noise_vectors: jax.Array,
    noise_weight: jax.Array,
) -> jax.Array:
    """Compute the summed SGNS loss with the context word as the input.

    This is the role assignment of word2vec's C code and gensim: the input
    vector belongs to the context word, and the noise words stand in for the
    center, so each span position draws its own noise words.

    Args:
        center_vectors: ``float32[B, d]`` output vectors of the centers.
        span_vectors: ``float32[B + 2 * window, d]`` input vectors of the span.
        context_mask: ``float32[B, 2 * window]`` as in ``sgns_loss``.
        noise_vectors: ``float32[B + 2 * window, K, d]`` output vectors of the
            noise words of each span position.
        noise_weight: ``float32[B + 2 * window, K]`` weight of each (span
            position, noise word) term.

    Returns:
        Scalar ``-sum(log sigmoid(u_c . v_o)) - sum(w_ok * log sigmoid(-u_k . v_o))``.
    """
    window = (span_vectors.shape[0] - center_vectors.shape[0]) // 2
    positive = _positive_scores(center_vectors, span_vectors, window)
    negative = jnp.einsum("sd,skd->sk", span_vectors, noise_vectors)
    return -jnp.sum(jax.nn.log_sigmoid(positive) * context_mask) - jnp.sum(
        jax.nn.log_sigmoid(-negative) * noise_weight
    )


def _context_input_gradients(center_vectors, span_vectors, context_mask, noise, w):
    """Return ``context_input_loss`` and its gradients, written out by hand."""
    window = (span_vectors.shape[0] - center_vectors.shape[0]) // 2
    positive = _positive_scores(center_vectors, span_vectors, window)
    negative = jnp.einsum("sd,skd->sk", span_vectors, noise)
    loss = -jnp.sum(jax.nn.log_sigmoid(positive) * context_mask) - jnp.sum(
        jax.nn.log_sigmoid(-negative) * w
    )
    d_positive = (jax.nn.sigmoid(positive) - 1.0) * context_mask
    d_negative = jax.nn.sigmoid(negative) * w
    d_span = jnp.einsum("sk,skd->sd", d_negative, noise)
    d_center, d_span = _add_positive_gradients(
        jnp.zeros_like(center_vectors), d_span, d_positive, center_vectors, span_vectors
    )
    d_noise = d_negative[..., None] * span_vectors[:, None, :]
    return loss, d_center, d_span, d_noise


@dataclass(frozen=True)
class StepShape:
    """Static sizes of a compiled call; changing one recompiles."""

    batch_size: int
    window: int
    negative: int
    shared_negatives: int
    negative_group: int
    steps_per_call: int
    repeat_damping: float = 0.0
    input_role: str = "center"

    @classmethod
    def from_config(cls, config: SGNSConfig) -> StepShape:
        return cls(
            batch_size=config.batch_size,
            window=config.window,
            negative=config.negative,
            shared_negatives=config.shared_negatives or config.negative,
            negative_group=config.negative_group,
            steps_per_call=config.steps_per_call,
            repeat_damping=config.repeat_damping,
            input_role=config.input_role,
        )

    @property
    def chunk_centers(self) -> int:
        return self.batch_size * self.steps_per_call


def noise_weights(contexts, mask, noise, scale):
    """Return the ``float32[B, K]`` weight of each center's noise words.

    Each pair gets ``negative`` noise words in expectation: a center with
    ``n`` contexts shares ``K`` noise words, each weighted ``n * negative / K``
    (``scale`` is ``negative / K``). As in word2vec and gensim, a noise word
    equal to a pair's context word is skipped for that pair, so training
    never pushes a center away from its own context.

    Args:
        contexts: ``int32[B, 2 * window]`` context ids of each center.
        mask: ``float32[B, 2 * window]``, 1 for a real pair.
        noise: ``int32[B, K]`` noise ids of each center.
        scale: ``negative / K``.
    """
    differs = contexts[:, :, None] != noise[:, None, :]
    return jnp.sum(mask[:, :, None] * differs, axis=1) * scale


def context_noise_weights(centers, mask, noise, scale):
    """Return the ``float32[B + 2 * window, K]`` weight of each span noise word.

    The mirror of ``noise_weights`` for the context-input role: a span
    position that is the context of ``n`` centers weights each of its ``K``
    noise words ``n * negative / K``, less the pairs whose center equals
    the noise word.

    Args:
        centers: ``int32[B]`` center ids.
        mask: ``float32[B, 2 * window]``, 1 for a real pair.
        noise: ``int32[B + 2 * window, K]`` noise ids of each span position.
        scale: ``negative / K``.
    """
    batch = centers.shape[0]
    window = (noise.shape[0] - batch) // 2
    weight = jnp.zeros(noise.shape, jnp.float32)
    for column, offset in enumerate(context_offsets(window)):
        start = window + offset
        differs = noise[start : start + batch] != centers[:, None]
        weight = weight.at[start : start + batch].add(mask[:, column, None] * differs)
    return weight * scale


def _batch_updates(shape: StepShape, tables, chunk, step, key):
    """Compute the row updates of the ``step``-th batch of a chunk.

    Returns:
        ``(rows, deltas, loss, pair_count)`` where ``rows`` is ``(input_rows,
        output_rows)``, each a tuple of id arrays of one table's rows, and
        ``deltas`` the matching gradients, before scaling by the learning
        rate.
    """
    input_table, output_table = tables
    ids, doc_ids, n_valid, noise_table = chunk
    batch, window = shape.batch_size, shape.window
    if shape.input_role == "context":
        noise_shape = (batch + 2 * window, shape.shared_negatives)
    else:
        noise_shape = (batch // shape.negative_group, shape.shared_negatives)
    # One draw per step: a window size per center, then two words per noise id.
    words = step_bits(key, batch + 2 * math.prod(noise_shape))
    noise = noise_from_bits(words[batch:].reshape((2, *noise_shape)), noise_table)

    # Chunk arrays carry `window` tokens of context on each side of the
    # centers, so the span of this batch starts at its first center.
    start = step * batch
    span = jax.lax.dynamic_slice_in_dim(ids, start, batch + 2 * window)
    span_docs = jax.lax.dynamic_slice_in_dim(doc_ids, start, batch + 2 * window)
    centers = span[window : window + batch]
    center_docs = span_docs[window : window + batch]
    center_valid = start + jnp.arange(batch) < n_valid

    offsets = jnp.asarray(context_offsets(window))
    reduced = 1 + below(words[:batch, None], window)
    same_doc = jnp.stack(
        [
            _shifted(span_docs, offset, window, batch) == center_docs
            for offset in context_offsets(window)
        ],
        axis=1,
    )
    mask = (jnp.abs(offsets)[None, :] <= reduced) & same_doc & center_valid[:, None]
    mask = mask.astype(jnp.float32)
    scale = shape.negative / shape.shared_negatives

    if shape.input_role == "context":
        loss, d_center, d_span, d_noise = _context_input_gradients(
            output_table[centers],
            input_table[span],
            mask,
            output_table[noise],
            context_noise_weights(centers, mask, noise, scale),
        )
        rows = ((span,), (centers, noise.reshape(-1)))
        deltas = ((d_span,), (d_center, d_noise.reshape(-1, d_span.shape[-1])))
        return rows, deltas, loss, mask.sum()

    contexts = jnp.stack(
        [_shifted(span, offset, window, batch) for offset in context_offsets(window)],
        axis=1,
    )
    noise_weight = noise_weights(
        contexts, mask, jnp.repeat(noise, shape.negative_group, axis=0), scale
    )
    loss, d_center, d_span, d_noise = _sgns_gradients(
        input_table[centers],
        output_table[span],
        mask,
        output_table[noise],
        noise_weight,
    )
    rows = ((centers,), (span, noise.reshape(-1)))
    deltas = ((d_center,), (d_span, d_noise.reshape(-1, d_span.shape[-1])))
    return rows, deltas, loss, mask.sum()


def repeat_counts(ids: jax.Array, tally: jax.Array):
    """Count how often each entry's value occurs in the 1-D ``ids``.

    ``tally`` is an ``int32`` vector with one slot per table row. The counts
    are the difference of two gathers around one scatter-add, so the cost
    grows with the number of entries, never with the vocabulary size, and
    the tally never needs clearing.

    Returns:
        ``(counts, tally)``: ``int32`` counts aligned with ``ids``, and the
        updated tally for the next call.
    """
    before = tally[ids]
    tally = tally.at[ids].add(1)
    return tally[ids] - before, tally


def damp_repeats(rows, steps, damping: float, tally: jax.Array):
    """Return ``steps`` with the steps of repeated rows scaled down.

    ``rows`` is ``(input_rows, output_rows)``, each a tuple of id arrays
    (pieces) of one table, and ``steps`` the matching ``(input_steps,
    output_steps)``. A row that occurs ``c`` times among all pieces of one
    table's rows of a batch gets each of its steps divided by
    ``c**damping``, so their sum is ``c**(1 - damping)`` single steps.
    Sequential SGD would apply those steps one after another, each from a
    fresher row, so the later ones shrink as the first ones take effect. A
    batch computes all of them from the same row, and damping makes up for
    that.

    ``tally`` is the running vector of ``repeat_counts``.

    Returns:
        ``(steps, tally)``.
    """
    if damping == 0.0:
        return steps, tally
    damped = []
    for table_rows, table_steps in zip(rows, steps, strict=True):
        counts, tally = repeat_counts(jnp.concatenate(table_rows), tally)
        ends = np.cumsum([piece.shape[0] for piece in table_rows])[:-1]
        damped.append(
            tuple(
                piece * piece_counts.astype(piece.dtype)[:, None] ** -damping
                for piece, piece_counts in zip(
                    table_steps, jnp.split(counts, ends), strict=True
                )
            )
        )
    return tuple(damped), tally


def _apply_updates(tables, rows, steps):
    """Subtract the SGD ``steps`` (learning rate times gradient) from their rows.

    Each piece of rows gets its own scatter, one after another. One scatter
    of the concatenated pieces gives the same sums in the same order, but on
    CPU XLA fused the concatenation into the code that computes the steps,
    and that fusion took about a quarter of a step.
    """
    updated = []
    for table, table_rows, table_steps in zip(tables, rows, steps, strict=True):
        table_steps = _after_all_pieces(table_steps)
        for piece_rows, piece_steps in zip(table_rows, table_steps, strict=True):
            table = table.at[piece_rows].add(-piece_steps)
        updated.append(table)
    return tuple(updated)


def _after_all_pieces(steps):
    """Make the first piece of ``steps`` depend on every other piece.

    The scatters update a table in place, so they must run after every
    gather that reads it. A piece's steps may depend on only some of those
    gathers, such as the span rows' steps, which never read the noise rows.
    XLA would then copy the whole table every step, to let the first scatter
    run before the other gathers. Adding zero times one element of each
    other piece orders the first scatter after all of them, and leaves every
    finite step unchanged.
    """
    first, *others = steps
    if not others:
        return steps
    link = sum(other.reshape(-1)[0] for other in others)
    return (first + 0.0 * link, *others)


def _run_steps(shape: StepShape, tables, chunk, key, learning_rates, combine, n_steps):
    """Run the first ``n_steps`` steps of a chunk.

    ``combine`` merges the updates of one step across devices. A step whose
    centers all lie beyond the chunk's real centers would change nothing, so
    callers pass the number of steps that hold real centers, and the last
    chunk of an epoch costs only its real steps.

    Each device scales its gradients by its own learning rate, and damps
    the rows repeated within its own batch, before ``combine``, so every
    replica applies the same steps and the replicas stay identical. Rows
    repeated across devices add up undamped, so ``n`` devices train like
    ``n`` damped batches applied together.
    """

    def body(step, carry):
        tables, loss_sum, pairs, tally = carry
        step_key = jax.random.fold_in(key, step)
        rows, deltas, loss, n_pairs = _batch_updates(
            shape, tables, chunk, step, step_key
        )
        rate = learning_rates[step]
        steps = jax.tree.map(lambda delta: rate * delta, deltas)
        steps, tally = damp_repeats(rows, steps, shape.repeat_damping, tally)
        rows, steps, loss, n_pairs = combine(rows, steps, loss, n_pairs)
        tables = _apply_updates(tables, rows, steps)
        return tables, loss_sum + loss, pairs + n_pairs, tally

    zero = jnp.zeros((), jnp.float32)
    # Without damping the tally is never read, so it needs no table-sized slot.
    slots = tables[0].shape[0] if shape.repeat_damping else 1
    tally = jnp.zeros((slots,), jnp.int32)
    carry = (tables, zero, zero, tally)
    tables, loss_sum, pairs, _ = jax.lax.fori_loop(0, n_steps, body, carry)
    return tables, loss_sum, pairs


def _steps_with_centers(shape: StepShape, n_valid):
    """Return how many steps of a chunk with ``n_valid`` real centers hold any."""
    steps = (n_valid + shape.batch_size - 1) // shape.batch_size
    return jnp.clip(steps, 0, shape.steps_per_call)


def _single_device(rows, deltas, loss, pairs):
    return rows, deltas, loss, pairs


@partial(jax.jit, static_argnums=0, donate_argnums=1)
def train_chunk(shape: StepShape, tables, chunk, key, learning_rates):
    """Run ``shape.steps_per_call`` SGD steps over one chunk of the id stream.

    Args:
        shape: Static sizes.
        tables: ``(input_table, output_table)``, each ``float32[V, d]``;
            donated, so the caller must use the returned tables.
        chunk: ``(ids, doc_ids, n_valid, noise_table)`` where ``ids`` and
            ``doc_ids`` are ``int32[chunk_centers + 2 * window]`` with
            ``window`` positions of padding or neighbouring context on each
            side, ``n_valid`` is the number of real centers, and
            ``noise_table`` is the ``int32[2, V]`` alias table of
            ``build_noise_table``.
        key: PRNG key of this chunk.
        learning_rates: ``float32[steps_per_call]`` learning rate of each step.

    Returns:
        ``(tables, loss_sum, pair_count)`` after the steps.
    """
    n_steps = _steps_with_centers(shape, chunk[2])
    return _run_steps(
        shape, tables, chunk, key, learning_rates, _single_device, n_steps
    )


AXIS = "data"


def _all_devices(rows, deltas, loss, pairs):
    """Gather every device's row updates so each replica applies all of them."""

    def gather(x):
        gathered = jax.lax.all_gather(x, AXIS)
        return gathered.reshape((-1,) + x.shape[1:])

    rows = jax.tree.map(gather, rows)
    deltas = jax.tree.map(gather, deltas)
    return rows, deltas, jax.lax.psum(loss, AXIS), jax.lax.psum(pairs, AXIS)


@lru_cache(maxsize=8)
def sharded_train_chunk(shape: StepShape, n_devices: int):
    """Return a data-parallel ``train_chunk`` over the first ``n_devices`` devices.

    The devices are the first of ``jax.devices()``, which in a multi-process
    run lists the devices of every process. ``embedsent.distributed.data_mesh``
    builds the same mesh for the callers that place the inputs. The tables
    are replicated. Each device runs the steps of its own chunk,
    which is the leading axis of ``ids``, ``doc_ids``, ``n_valid`` and
    ``learning_rates``. After each step the devices all-gather their sparse
    row updates (O(batch) rows, never the tables) and every device applies
    all of them. One step is then one SGD step on ``n_devices`` batches.
    Every device applies the same updates, each already scaled by the
    learning rate of the device that computed it, so the replicas stay
    identical.
    """
    mesh = Mesh(np.array(jax.devices()[:n_devices]), (AXIS,))
    replicated = PartitionSpec()
    split = PartitionSpec(AXIS)

    def body(tables, ids, doc_ids, n_valid, noise_table, keys, learning_rates):
        device_key = keys[0]
        chunk = (ids[0], doc_ids[0], n_valid[0], noise_table)
        # Every device runs as many steps as the fullest chunk needs, because
        # each step gathers the updates of all devices.
        n_steps = _steps_with_centers(shape, jax.lax.pmax(n_valid[0], AXIS))
        return _run_steps(
            shape, tables, chunk, device_key, learning_rates[0], _all_devices, n_steps
        )

    mapped = jax.shard_map(
        body,
        mesh=mesh,
        in_specs=(replicated, split, split, split, replicated, split, split),
        out_specs=(replicated, replicated, replicated),
        check_vma=False,
    )

    def call(tables, chunk, keys, learning_rates):
        ids, doc_ids, n_valid, noise_table = chunk
        return mapped(tables, ids, doc_ids, n_valid, noise_table, keys, learning_rates)

    return jax.jit(call, donate_argnums=0)


# Rows of the input table drawn per block by init_tables.
INIT_BLOCK_ROWS = 2048


@partial(jax.jit, static_argnums=(1, 2))
def init_tables(key: jax.Array, vocab_size: int, dim: int):
    """Initialise input vectors uniformly in ``[-0.5/dim, 0.5/dim)``, outputs to 0.

    The input table is drawn in blocks of ``INIT_BLOCK_ROWS`` rows, each with
    its own key folded from ``key``, and written in place. Drawing the whole
    table in one call made whole-table temporaries of the random bits and
    floats: on CPU, with 93,566 x 300 floats per table, the peak grew by 2.1
    times the size of both tables, and in blocks by 1.2 times.
    """
    empty = jnp.zeros((vocab_size, dim), jnp.float32)
    if vocab_size == 0:
        return empty, empty
    rows = min(INIT_BLOCK_ROWS, vocab_size)
    low, high = -0.5 / dim, 0.5 / dim

    def draw_block(block, table):
        values = jax.random.uniform(
            jax.random.fold_in(key, block), (rows, dim), jnp.float32, low, high
        )
        # The last block ends at the last row, so it may redraw rows of the
        # block before it.
        start = jnp.minimum(block * rows, vocab_size - rows)
        return jax.lax.dynamic_update_slice(table, values, (start, 0))

    blocks = -(-vocab_size // rows)
    input_table = jax.lax.fori_loop(0, blocks, draw_block, empty)
    return input_table, jnp.zeros((vocab_size, dim), jnp.float32)
