"""End-to-end training of ``FineTuneClassifier``, compiled with JAX.

Each text is laid out as fixed-width slots of distinct token ids with their
weights (count divided by the text's in-vocabulary token count), so the
sentence vector of a batch is one weighted sum over gathered table rows.
Zero-weight slots pad short texts. The embedding gradient is a scatter-add
into the rows of the (sliced) table.
"""

from __future__ import annotations

from functools import partial

import jax
import jax.numpy as jnp
import numpy as np
import optax
import scipy.sparse as sp

from embedsent.classifier import _decay_mask, _logits

__all__ = ["mean_weights", "padded_slots", "train_end_to_end"]

# Token slots per text are padded to a multiple of this, so fits on texts of
# similar length reuse one compiled training function.
_SLOT_MULTIPLE = 64


def mean_weights(counts: sp.csr_matrix) -> sp.csr_matrix:
    """Divide each row by its total, so that ``weights @ table`` is the mean."""
    totals = np.asarray(counts.sum(axis=1), dtype=np.float64).ravel()
    inverse = np.divide(1.0, totals, out=np.zeros_like(totals), where=totals > 0)
    return sp.csr_matrix(sp.diags(inverse) @ counts, dtype=np.float64)


def padded_slots(weights: sp.csr_matrix) -> tuple[np.ndarray, np.ndarray]:
    """Lay out each row's distinct tokens in fixed-width slots.

    Returns:
        ``(ids, slot_weights)``, int32 and float32 of shape (n, L), where L is
        the largest number of distinct tokens in a row rounded up to a
        multiple of ``_SLOT_MULTIPLE``. Unused slots have id 0 and weight 0.
    """
    lengths = np.diff(weights.indptr)
    width = max(1, int(lengths.max(initial=0)))
    width = -(-width // _SLOT_MULTIPLE) * _SLOT_MULTIPLE
    ids = np.zeros((weights.shape[0], width), dtype=np.int32)
    slot_weights = np.zeros((weights.shape[0], width), dtype=np.float32)
    positions = np.arange(weights.nnz) - np.repeat(weights.indptr[:-1], lengths)
    row_of = np.repeat(np.arange(weights.shape[0]), lengths)
    ids[row_of, positions] = weights.indices
    slot_weights[row_of, positions] = weights.data
    return ids, slot_weights


def _batch_loss(params, ids, slot_weights, labels, row_weights, mean, scale, act):
    """Compute the mean cross-entropy of the rows with weight 1 (0 is padding)."""
    vectors = params["embeddings"][ids]
    features = jnp.einsum("bl,bld->bd", slot_weights, vectors)
    features = (features - mean) / scale
    logits = _logits(params["head"], features, act)
    losses = optax.softmax_cross_entropy_with_integer_labels(logits, labels)
    return jnp.sum(losses * row_weights) / jnp.sum(row_weights)


@partial(jax.jit, static_argnames=("activation", "epochs", "batch_size"))
def train_end_to_end(
    params,
    ids,
    slot_weights,
    labels,
    mean,
    scale,
    key,
    learning_rate,
    embedding_learning_rate,
    weight_decay,
    *,
    activation: str,
    epochs: int,
    batch_size: int | None,
):
    """Run every epoch of end-to-end training in one compiled call.

    Args:
        params: ``{"embeddings": float32 (u, d), "head": classifier params}``,
            where the u rows are the tokens that occur in the training texts.
        ids: Int32 (n, L) rows of ``params["embeddings"]`` per text slot.
        slot_weights: Float32 (n, L) weight of each slot: a token's count
            divided by the text's in-vocabulary token count, 0 when unused.
        labels: Int32 (n,) class indices.
        mean, scale: Float32 (d,) standardisation of the sentence vectors.
        key: PRNG key of the shuffling.
        learning_rate, embedding_learning_rate, weight_decay: Float32 scalars.
        activation: ``"relu"`` or ``"tanh"``.
        epochs: Passes over the data.
        batch_size: Texts per step, smaller than n; ``None`` takes one
            full-batch step per epoch without shuffling.

    Returns:
        The trained parameters and the loss of each epoch, float32 (epochs,).
    """
    n_rows = ids.shape[0]
    head_optimizer = optax.adamw(
        learning_rate, weight_decay=weight_decay, mask=_decay_mask
    )
    embedding_optimizer = optax.adam(embedding_learning_rate)
    grad_fn = jax.value_and_grad(_batch_loss)

    def step(carry, batch):
        params, head_state, embedding_state = carry
        loss, grads = grad_fn(params, *batch, mean, scale, activation)
        head_updates, head_state = head_optimizer.update(
            grads["head"], head_state, params["head"]
        )
        embedding_updates, embedding_state = embedding_optimizer.update(
            grads["embeddings"], embedding_state, params["embeddings"]
        )
        params = {
            "embeddings": params["embeddings"] + embedding_updates,
            "head": optax.apply_updates(params["head"], head_updates),
        }
        return (params, head_state, embedding_state), loss

    if batch_size is None:
        row_weights = jnp.ones(n_rows, jnp.float32)

        def epoch(carry, _):
            return step(carry, (ids, slot_weights, labels, row_weights))

    else:
        n_batches = -(-n_rows // batch_size)
        n_padding = n_batches * batch_size - n_rows
        row_weights = jnp.concatenate(
            [jnp.ones(n_rows, jnp.float32), jnp.zeros(n_padding, jnp.float32)]
        ).reshape(n_batches, batch_size)
        rows_per_batch = row_weights.sum(axis=1)

        def epoch(carry, epoch_key):
            order = jax.random.permutation(epoch_key, n_rows)
            # Padding rows repeat row 0 with weight 0, so every batch has the
            # same shape and the padding adds nothing to loss or gradient.
            order = jnp.concatenate([order, jnp.zeros(n_padding, order.dtype)])
            order = order.reshape(n_batches, batch_size)
            batches = (ids[order], slot_weights[order], labels[order], row_weights)
            carry, batch_losses = jax.lax.scan(step, carry, batches)
            return carry, jnp.sum(batch_losses * rows_per_batch) / n_rows

    state = (
        params,
        head_optimizer.init(params["head"]),
        embedding_optimizer.init(params["embeddings"]),
    )
    (params, _, _), losses = jax.lax.scan(
        epoch, state, jax.random.split(key, epochs), length=epochs
    )
    return params, losses
