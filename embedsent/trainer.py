"""SGNS training runs: epochs, progress, checkpoints, resume and vocabulary growth.

The compiled step lives in ``embedsent.sgns``. This module feeds it chunks of
the subsampled id stream and decays the learning rate linearly, with the
values of optax's ``linear_schedule``. It stops when the loss becomes NaN,
infinite or far above its start, and writes checkpoints. A run resumed from a
checkpoint ends with the same vectors as an uninterrupted run on CPU.
"""

from __future__ import annotations

import logging
import math
import os
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np

from embedsent import distributed
from embedsent.checkpoint import (
    Checkpointing,
    RunState,
    check_checkpoint_path,
    corpus_fingerprint,
    has_checkpoint,
    hold_checkpoint,
    load_checkpoint,
    save_checkpoint,
)
from embedsent.config import SGNSConfig, VocabConfig, check_config_type
from embedsent.epoch_stream import EpochStream
from embedsent.memory import release_free_heap
from embedsent.sgns import (
    AXIS,
    StepShape,
    build_noise_table,
    chunk_key,
    init_tables,
    run_keys,
    sharded_train_chunk,
    train_chunk,
)
from embedsent.sgns_model import (
    SGNSModel,
    TrainingDiverged,
    check_memory,
    estimate_table_bytes,
)
from embedsent.storage import FileIdentity, check_destination
from embedsent.vocab import (
    EncodedCorpus,
    Vocabulary,
    build_and_encode,
    check_token_corpus,
    check_token_types,
)

# SGNSModel, Checkpointing and the memory checks live in their own modules and
# are re-exported here, where users meet them.
__all__ = [
    "Checkpointing",
    "SGNSModel",
    "TrainingDiverged",
    "check_memory",
    "check_pairs_possible",
    "check_step_memory",
    "continue_training",
    "estimate_table_bytes",
    "train_sgns",
]

logger = logging.getLogger(__name__)

# Untrained vectors score (1 + negative) * ln 2 per pair (about 4.2 with 5
# noise words) and training lowers it, so a mean far above that has diverged.
DIVERGED_LOSS_PER_PAIR = 100.0

# word2vec and gensim start skip-gram at 0.025. Far larger rates overshoot:
# on a corpus of one compiled call, one step at alpha 1e5 left vectors of
# norm 3e3 with a lower loss than untrained ones, which no loss check catches.
HIGH_ALPHA = 1.0


def train_sgns(
    corpus: Sequence[Sequence[str]] | EncodedCorpus,
    config: SGNSConfig | None = None,
    vocab_config: VocabConfig | None = None,
    *,
    vocab: Vocabulary | None = None,
    initial_tables: tuple[np.ndarray, np.ndarray] | None = None,
    progress: bool = False,
    checkpoint: str | os.PathLike | Checkpointing | None = None,
    on_chunk: Callable[[int, int], None] | None = None,
) -> SGNSModel:
    """Train SGNS word vectors on a tokenised corpus.

    Args:
        corpus: Token lists; an iterable that is not a sequence, such as a
            generator from ``embedsent.text.iter_tokenize``, is read once and
            kept only as ids when ``vocab`` is None (``build_and_encode``);
            or an already encoded corpus when ``vocab`` is given.
        config: Training settings; ``config.seed`` drives every random choice.
        vocab_config: Vocabulary settings, used when ``vocab`` is None.
        vocab: A prebuilt vocabulary to train against.
        initial_tables: ``(input, output)`` tables to start from instead of
            the random initialisation, ``float32[len(vocab), dim]`` each.
        progress: Show a progress bar per epoch.
        checkpoint: A path (checkpoints every 300 s and at each epoch end,
            resuming when the file exists) or a ``Checkpointing``.
        on_chunk: Called as ``on_chunk(epoch, chunk)`` after each compiled
            call has been dispatched and any checkpoint written.

    Returns:
        The trained tables, vocabulary and per-epoch statistics.

    Raises:
        TypeError: if the corpus contains raw strings instead of token lists,
            or ``config`` or ``vocab_config`` is not of its config class.
        ValueError: if no token reaches ``min_count``, the corpus is empty, or
            a checkpoint belongs to other settings or another corpus.
        MemoryError: if the tables would not fit (see ``check_memory``), or
            one compiled call's buffers would exceed ``max_memory_gb`` (see
            ``check_step_memory``).
        TrainingDiverged: if the loss becomes NaN, infinite or far above that
            of untrained vectors, after any compiled call or on the final
            tables, or if the final tables contain NaN or inf.
    """
    check_config_type("config", config, SGNSConfig, {VocabConfig: "vocab_config"})
    check_config_type("vocab_config", vocab_config, VocabConfig, {SGNSConfig: "config"})
    config = config or SGNSConfig()
    vocab_config = vocab_config or VocabConfig()
    vocab_given = vocab is not None
    documents = None
    encoded = None
    if isinstance(corpus, EncodedCorpus):
        if vocab is None:
            raise ValueError("an EncodedCorpus needs the vocab it was encoded with")
        encoded = corpus
    elif vocab is None and not isinstance(corpus, Sequence):
        # A generator or other one-shot iterable is read once into ids, so
        # its token lists never exist all at once.
        vocab, encoded = build_and_encode(corpus, vocab_config)
    else:
        documents = check_token_corpus(corpus)
        vocab = vocab or Vocabulary.build(documents, vocab_config)
    if documents is None:
        # Token lists are checked once they are encoded, after compiling.
        check_pairs_possible(encoded, len(vocab), vocab_given, vocab_config)
    check_memory(len(vocab), config)
    check_step_memory(config)
    _check_devices(config)
    _warn_high_alpha(config)
    if checkpoint is not None and not isinstance(checkpoint, Checkpointing):
        # Path() would drop a trailing separator, which names a folder.
        check_checkpoint_path(checkpoint)
        checkpoint = Checkpointing(Path(checkpoint))
    if checkpoint is not None:
        # Checked before training, not at the first save minutes later.
        check_destination(checkpoint.path)

    with hold_checkpoint(checkpoint):
        return _train(
            config,
            vocab_config,
            vocab,
            vocab_given,
            documents,
            encoded,
            initial_tables,
            checkpoint,
            progress,
            on_chunk,
        )


def _train(
    config: SGNSConfig,
    vocab_config: VocabConfig,
    vocab: Vocabulary,
    vocab_given: bool,
    documents,
    encoded: EncodedCorpus | None,
    initial_tables,
    checkpoint: Checkpointing | None,
    progress: bool,
    on_chunk,
) -> SGNSModel:
    """Train the tables once ``train_sgns`` has checked its arguments.

    ``encoded`` is None when ``documents`` still has to be encoded.
    """
    init_key, root_key = run_keys(np.uint32(config.seed))
    shape = StepShape.from_config(config)
    # device_put runs no XLA program, where jnp.asarray would compile one.
    noise_table = jax.device_put(
        build_noise_table(vocab.noise_distribution(vocab_config.noise_power))
    )
    model = SGNSModel(vocab, np.empty(0), np.empty(0), config, vocab_config)
    # Compiling before the tables exist and before the corpus is encoded keeps
    # the compiler's temporary memory from adding to theirs at the run's peak.
    compile_seconds = _compile_step(shape, config, len(vocab), noise_table)
    if initial_tables is None:
        tables = init_tables(init_key, len(vocab), config.dim)
    else:
        tables = _checked_tables(initial_tables, len(vocab), config.dim)
    tables = _warm_up(shape, config, tables, noise_table, model)
    model.compile_seconds += compile_seconds
    if documents is not None:
        encoded = vocab.encode_corpus(documents)
        release_free_heap()
        check_pairs_possible(encoded, len(vocab), vocab_given, vocab_config)
    state = RunState(rng_state=np.random.default_rng(config.seed).bit_generator.state)
    fingerprint = corpus_fingerprint(encoded, vocab) if checkpoint else ""
    if checkpoint and checkpoint.resume and has_checkpoint(checkpoint.path):
        tables, state = load_checkpoint(
            checkpoint, config, fingerprint, vocab_config=vocab_config
        )

    keep = vocab.keep_probabilities(vocab_config.sample)
    kept_per_epoch = float(encoded.id_counts(len(vocab)) @ keep)
    expected_centers = kept_per_epoch * config.epochs
    schedule = _learning_rate_schedule(config, expected_centers)
    run = _Run(
        config=config,
        shape=shape,
        encoded=encoded,
        keep=keep,
        kept_per_epoch=kept_per_epoch,
        noise_table=noise_table,
        schedule=schedule,
        root_key=root_key,
        checkpoint=checkpoint,
        fingerprint=fingerprint,
        vocab_config=vocab_config,
        progress=progress,
        on_chunk=on_chunk,
    )
    while state.epoch < config.epochs:
        tables = run.epoch(tables, state, model)
    model.epoch_losses = list(state.epoch_losses)
    # A trained pair always adds a positive loss, so an epoch's mean loss is
    # 0 only when it trained no pair.
    if all(loss == 0.0 for loss in model.epoch_losses):
        # The checkpoint contains the same untrained tables, and resuming from it
        # would only raise this error again.
        if checkpoint:
            checkpoint.path.unlink(missing_ok=True)
        raise ValueError(
            f"no epoch trained a (center, context) pair: subsampling kept about "
            f"{kept_per_epoch:.0f} of {len(encoded)} tokens per epoch, and no two "
            "kept tokens of one text were left, so the vectors are untrained. "
            "Lower --sample (VocabConfig.sample; 0 keeps every token), or pass "
            "longer texts"
        )
    # In a multi-process run each process reads its own replica of the tables.
    model.input_vectors = distributed.replica_to_numpy(tables[0])
    model.output_vectors = distributed.replica_to_numpy(tables[1])
    # One scan of both tables per run. The per-call checks read only the loss,
    # which cannot show an inf or NaN in a row that no later loss reads.
    for table in (model.input_vectors, model.output_vectors):
        if not np.isfinite(table).all():
            raise TrainingDiverged(
                "the trained vectors contain NaN or inf", config.alpha
            )
    return model


# optax's schedules count steps in int32, so the rates that match its
# linear_schedule decay over at most this many steps. In longer runs each step
# covers several centers.
SCHEDULE_STEPS = 1 << 30


def estimate_step_bytes(config: SGNSConfig) -> int:
    """Return the bytes of the largest buffers of one compiled call on one device.

    Three kinds of buffer are counted. The ids of a call's centers and their
    span are held twice, as word ids and document ids, in int32. The noise
    words' output vectors and their gradient are float32 ``[rows, K, dim]``
    each. ``rows`` is one per group of centers, or one per span position
    with ``input_role="context"``. The pair-by-noise-word weights are float32
    ``[batch_size, 2 * window, K]``.
    """
    shape = StepShape.from_config(config)
    width = shape.chunk_centers + 2 * shape.window
    if shape.input_role == "context":
        rows = shape.batch_size + 2 * shape.window
    else:
        rows = shape.batch_size // shape.negative_group
    noise = rows * shape.shared_negatives * config.dim
    pairs = shape.batch_size * 2 * shape.window * shape.shared_negatives
    return 4 * (2 * width + 2 * noise + pairs)


def check_step_memory(config: SGNSConfig) -> None:
    """Raise MemoryError when one compiled call's buffers exceed max_memory_gb.

    The check runs before anything is allocated, with the estimate of
    ``estimate_step_bytes`` and the fields that set it.
    """
    needed = estimate_step_bytes(config)
    limit = config.max_memory_gb * 2**30
    if needed > limit:
        raise MemoryError(
            f"one training call needs about {needed / 2**30:.3g} GiB per device "
            f"for batch_size={config.batch_size}, steps_per_call="
            f"{config.steps_per_call}, window={config.window}, noise words "
            f"{config.shared_negatives or config.negative}, negative_group="
            f"{config.negative_group}, dim={config.dim} and input_role="
            f"{config.input_role!r}, above max_memory_gb={config.max_memory_gb}; "
            "lower batch_size, steps_per_call, shared_negatives or dim, or raise "
            "max_memory_gb"
        )


def _learning_rate_schedule(config: SGNSConfig, expected_centers: float) -> Callable:
    """Return the linear decay from ``alpha`` to ``min_alpha`` over a run.

    The returned function maps center positions (centers trained so far) to
    ``float32`` learning rates. They are the values of
    ``optax.linear_schedule(alpha, min_alpha, steps)``, computed with numpy in
    the float32 operations that XLA runs for that schedule on CPU. There the
    division by ``steps`` is a multiplication by its reciprocal, and a test
    compares the two bit for bit. Calling the optax schedule on host arrays
    compiled several small XLA programs, which added about 20 MB to the peak
    memory of a run, and on a GPU it ran there.
    """
    total = max(int(expected_centers), 1)
    steps = min(total, SCHEDULE_STEPS)
    scale = steps / total
    span = np.float32(config.alpha - config.min_alpha)
    end = np.float32(config.min_alpha)
    reciprocal = np.float32(1) / np.float32(steps)

    def rates(positions) -> np.ndarray:
        grid = np.minimum(np.asarray(positions, dtype=np.float64) * scale, steps)
        done = np.clip(grid.astype(np.int64), 0, steps).astype(np.float32)
        return np.asarray(span * (np.float32(1) - done * reciprocal) + end)

    return rates


def _compile_step(
    shape: StepShape, config: SGNSConfig, vocab_size: int, noise_table
) -> float:
    """Compile the one-device step ahead of time for tables not yet allocated.

    JAX keeps the compiled step in its compilation cache: with jax 0.10 on
    CPU, the first call with real tables then took 0.5 s instead of the 4 s
    of compiling (93,566 x 300 tables). The compiler's freed memory is handed back to
    the system before the caller allocates the tables. Several devices or
    processes compile at their first call instead, in ``_warm_up``.

    Returns:
        The seconds spent compiling, 0 when nothing was compiled here.
    """
    n_devices = config.n_devices or jax.device_count()
    if jax.process_count() > 1 or n_devices > 1:
        return 0.0
    table = jax.ShapeDtypeStruct((vocab_size, config.dim), jnp.float32)
    width = shape.chunk_centers + 2 * shape.window
    chunk = (
        np.zeros(width, np.int32),
        np.full(width, -1, np.int32),
        np.int32(0),
        noise_table,
    )
    started = time.perf_counter()
    train_chunk.lower(
        shape,
        (table, table),
        chunk,
        jax.ShapeDtypeStruct((2,), jnp.uint32),
        np.zeros(shape.steps_per_call, np.float32),
    ).compile()
    seconds = time.perf_counter() - started
    release_free_heap()
    return seconds


def _warm_up(shape: StepShape, config: SGNSConfig, tables, noise_table, model):
    """Compile the step with a call that changes no row, and return the tables.

    The call has no valid center and a zero learning rate, so every update is
    zero and the tables come back bit for bit. Its time is the run's compile
    time. A multi-process run compiles at its first real call instead, where
    the processes first check that they agree on their inputs.
    """
    if jax.process_count() > 1:
        return tables
    n_devices = config.n_devices or jax.device_count()
    width = shape.chunk_centers + 2 * shape.window
    ids = np.zeros((n_devices, width), np.int32)
    doc_ids = np.full((n_devices, width), -1, np.int32)
    n_valid = np.zeros(n_devices, np.int32)
    rates = np.zeros((n_devices, shape.steps_per_call), np.float32)
    # The call changes nothing whatever its keys, so they are all zero. They
    # are JAX arrays, as later calls pass, so the call fills the jit cache
    # entry that those calls use. NumPy keys would fill another entry.
    keys = [jax.device_put(np.zeros(2, np.uint32)) for _ in range(n_devices)]
    started = time.perf_counter()
    if n_devices == 1:
        chunk = (ids[0], doc_ids[0], n_valid[0], noise_table)
        tables, _, _ = train_chunk(shape, tables, chunk, keys[0], rates[0])
    else:
        step = sharded_train_chunk(shape, n_devices)
        chunk = (ids, doc_ids, n_valid, noise_table)
        tables, _, _ = step(tables, chunk, jnp.stack(keys), rates)
    jax.block_until_ready(tables)
    model.compile_seconds = time.perf_counter() - started
    release_free_heap()
    return tables


def _check_devices(config: SGNSConfig) -> None:
    available = jax.device_count()
    processes = jax.process_count()
    if processes > 1 and config.n_devices not in (0, available):
        raise ValueError(
            f"n_devices={config.n_devices} but this run has {processes} processes "
            f"with {available} devices in all ({jax.local_device_count()} on this "
            "process); a multi-process run trains on every device of every "
            f"process, so set n_devices to 0 or {available}"
        )
    if config.n_devices > available:
        raise ValueError(
            f"n_devices={config.n_devices} but JAX sees {available} local "
            f"device(s) ({jax.devices()[0].platform}); lower n_devices, or on CPU "
            "set XLA_FLAGS=--xla_force_host_platform_device_count=N before "
            "starting Python"
        )


def _checked_tables(tables, vocab_size: int, dim: int):
    checked = []
    for name, table in zip(("input", "output"), tables, strict=True):
        table = np.asarray(table, dtype=np.float32)
        if table.shape != (vocab_size, dim):
            raise ValueError(
                f"initial {name} table has shape {table.shape}, expected "
                f"({vocab_size}, {dim}) for this vocabulary and dim"
            )
        finite = np.isfinite(table).all(axis=1)
        if not finite.all():
            row = int(np.argmin(finite))
            raise ValueError(
                f"initial {name} table row {row} contains NaN or inf, so training "
                "would diverge at once; start from a model trained without "
                "divergence"
            )
        checked.append(jnp.asarray(table))
    return tuple(checked)


@dataclass
class _Run:
    """Everything an epoch needs that does not change during a run."""

    config: SGNSConfig
    shape: StepShape
    encoded: EncodedCorpus
    keep: np.ndarray
    kept_per_epoch: float
    noise_table: jax.Array
    schedule: Callable
    root_key: jax.Array
    checkpoint: Checkpointing | None
    fingerprint: str
    vocab_config: VocabConfig
    progress: bool
    on_chunk: Callable[[int, int], None] | None
    # The checkpoint file this run wrote last, which its next save replaces
    # even when the umask made it read-only.
    written: FileIdentity | None = None

    def learning_rates(self, done: int, n_valid: int) -> np.ndarray:
        """Per-step rates of a chunk that starts after ``done`` centers."""
        steps = np.arange(self.shape.steps_per_call) * self.shape.batch_size
        positions = done + np.minimum(steps, max(n_valid - 1, 0))
        return self.schedule(positions)

    def epoch(self, tables, state: RunState, model: SGNSModel):
        """Train from ``state`` to the end of its epoch; update ``state``."""
        # The generator state saved before subsampling replays the same
        # subsample when a run resumes in the middle of this epoch.
        rng = np.random.default_rng()
        rng.bit_generator.state = state.rng_state
        stream = EpochStream(self.encoded, self.keep, rng, self.shape)
        chunks = stream.chunks(state.chunk)
        bar = _progress_bar(len(stream), state.chunk, state.epoch, self.progress)
        started = time.perf_counter()
        last_checkpoint = started
        # A run that resumes from a checkpoint written after the epoch's last
        # call starts at the end of the epoch and makes no call in it.
        first_chunk = state.chunk
        trained_tokens = 0
        pending = None
        # The latest call that trained at least one pair, as (first, group,
        # rate), which the check of the final tables repeats.
        last_trained = None
        for first in range(state.chunk, len(stream), self.n_devices):
            last = min(first + self.n_devices, len(stream))
            group = [next(chunks) for _ in range(first, last)]
            n_valid = sum(chunk[2] for chunk in group)
            call_started = time.perf_counter()
            compiled_before = self.step_function_cache_size()
            tables, loss, pairs, rate = self.call(tables, group, first, state)
            compiled = self.step_function_cache_size() > compiled_before
            if compiled:
                jax.block_until_ready(tables)
                model.compile_seconds = time.perf_counter() - call_started
                started += model.compile_seconds

            # Reading the previous call's loss lets this call run meanwhile.
            if pending is not None:
                last_trained = self._add_pending_loss(state, pending, last_trained)
            pending = (loss, pairs, first, rate, group)
            state.done += n_valid
            state.chunk = first + len(group)
            # The compiling call's time is left out of words/s, so its
            # centers are too; on a small corpus they would inflate it.
            if not compiled:
                trained_tokens += n_valid

            now = time.perf_counter()
            if (
                self.checkpoint
                and now - last_checkpoint >= self.checkpoint.every_seconds
            ):
                last_trained = self._add_pending_loss(state, pending, last_trained)
                pending = None
                self.save_checkpoint(tables, state)
                last_checkpoint = time.perf_counter()
            if bar is not None:
                bar.update(len(group))
            if self.on_chunk is not None:
                self.on_chunk(state.epoch, first)
        if pending is not None:
            last_trained = self._add_pending_loss(state, pending, last_trained)
        if bar is not None:
            bar.close()
        # The final loss check is left out of words/s.
        elapsed = time.perf_counter() - started
        if state.epoch + 1 == self.config.epochs:
            tables = self._check_final_loss(tables, state, stream, last_trained)
        untimed = None
        if len(stream) == 0:
            untimed = "subsampling kept no token in this epoch"
        elif first_chunk >= len(stream):
            untimed = "every chunk was trained before the checkpoint was written"
        elif trained_tokens == 0:
            untimed = "every call of the epoch compiled the training step"
        self._finish_epoch(
            state,
            rng,
            model,
            elapsed,
            trained_tokens / max(stream.kept_tokens, 1),
            untimed,
        )
        if self.checkpoint:
            self.save_checkpoint(tables, state)
        return tables

    def save_checkpoint(self, tables, state: RunState) -> None:
        self.written = save_checkpoint(
            self.checkpoint,
            tables,
            state,
            self.config,
            self.fingerprint,
            vocab_config=self.vocab_config,
            replaces=self.written,
        )

    @property
    def n_devices(self) -> int:
        # jax.device_count() counts the devices of every process.
        return self.config.n_devices or jax.device_count()

    def step_function_cache_size(self) -> int:
        if self.n_devices == 1:
            return train_chunk._cache_size()
        return sharded_train_chunk(self.shape, self.n_devices)._cache_size()

    def _chunk_key(self, state: RunState, chunk: int) -> jax.Array:
        """Return the key of chunk ``chunk`` in the current epoch of ``state``."""
        return chunk_key(self.root_key, np.int32(state.epoch), np.int32(chunk))

    def call(self, tables, group, first, state, *, learn=True):
        """Run one compiled call over ``group`` (one chunk per device).

        With ``learn=False`` every learning rate is zero, so the call only
        measures the loss. The tables come back with equal values, unless a
        gradient is inf or NaN, because zero times inf is NaN.
        """
        keys, rates = [], []
        done = state.done
        for offset, (_, _, n_valid) in enumerate(group):
            keys.append(self._chunk_key(state, first + offset))
            if learn:
                rates.append(self.learning_rates(done, n_valid))
            else:
                rates.append(np.zeros(self.shape.steps_per_call, np.float32))
            done += n_valid
        if self.n_devices == 1:
            chunk_ids, chunk_docs, n_valid = group[0]
            chunk = (chunk_ids, chunk_docs, np.int32(n_valid), self.noise_table)
            tables, loss, pairs = train_chunk(
                self.shape, tables, chunk, keys[0], rates[0]
            )
            return tables, loss, pairs, rates[0][0]
        while len(group) < self.n_devices:
            empty_ids = np.zeros_like(group[0][0])
            group = group + [(empty_ids, np.full_like(group[0][1], -1), 0)]
            keys.append(self._chunk_key(state, first + len(keys)))
            rates.append(rates[-1])
        step = sharded_train_chunk(self.shape, self.n_devices)
        if jax.process_count() == 1:
            chunk = (
                np.stack([g[0] for g in group]),
                np.stack([g[1] for g in group]),
                np.array([g[2] for g in group], np.int32),
                self.noise_table,
            )
            tables, loss, pairs = step(tables, chunk, jnp.stack(keys), np.stack(rates))
            return tables, loss, pairs, rates[0][0]

        # Several processes: every process cuts the whole group, places only
        # the rows of its own devices, and reads back its own loss replica.
        mesh = distributed.data_mesh(self.n_devices, AXIS)
        if not isinstance(tables[0], jax.Array) or tables[0].is_fully_addressable:
            # At the first call of this run, the processes must agree on where
            # they start, or their collectives would not match.
            distributed.check_processes_agree(
                {
                    "epoch": state.epoch,
                    "chunk": first,
                    "done": state.done,
                    "ids": self.encoded.ids,
                    "doc_offsets": self.encoded.doc_offsets,
                    "keep": self.keep,
                    "config": self.config,
                }
            )
            tables = tuple(distributed.replicated(mesh, table) for table in tables)
            self.noise_table = distributed.replicated(mesh, self.noise_table)
        chunk = (
            distributed.split_rows(mesh, [g[0] for g in group]),
            distributed.split_rows(mesh, [g[1] for g in group]),
            distributed.split_rows(mesh, [np.int32(g[2]) for g in group]),
            self.noise_table,
        )
        tables, loss, pairs = step(
            tables,
            chunk,
            distributed.split_rows(mesh, keys),
            distributed.split_rows(mesh, rates),
        )
        loss = distributed.local_replica(loss)
        return tables, loss, distributed.local_replica(pairs), rates[0][0]

    def _add_pending_loss(self, state: RunState, pending, last_trained):
        """Check and add the loss of a finished call.

        Returns:
            The call's ``(first, group, rate)`` when it trained a pair, else
            ``last_trained``.
        """
        loss, pairs, first, rate, group = pending
        if self._add_loss(state, (loss, pairs, first, rate)) > 0:
            return first, group, rate
        return last_trained

    def _check_final_loss(self, tables, state: RunState, stream, last_trained):
        """Measure the loss of the final tables and raise if it diverged.

        Each step computes its loss before its update, so no loss of the run
        covers the update of its last step. This repeats the latest call
        that trained a pair, with zero learning rates, and applies the same
        rule as ``_add_loss`` to its loss. It costs one compiled call per run.
        Without such a call, as in a run resumed after its last call, it
        repeats the last chunks of the epoch.
        """
        if last_trained is None:
            if len(stream) == 0:
                return tables
            first = max(len(stream) - self.n_devices, 0)
            group = list(stream.chunks(first))
            rate = float(self.schedule(max(state.done - 1, 0)))
        else:
            first, group, rate = last_trained
        tables, loss, pairs, _ = self.call(tables, group, first, state, learn=False)
        _check_loss(
            self.config,
            float(loss),
            float(pairs),
            f"in epoch {state.epoch + 1}, chunk {first} (learning rate "
            f"{rate:.4g}) on the final tables",
        )
        return tables

    def _add_loss(self, state: RunState, pending) -> float:
        """Check the loss of a finished call and add it to the epoch's sums.

        Returns:
            The number of (center, context) pairs that the call trained.
        """
        loss, pairs, index, rate = pending
        loss, pairs = float(loss), float(pairs)
        _check_loss(
            self.config,
            loss,
            pairs,
            f"in epoch {state.epoch + 1}, chunk {index} (learning rate {rate:.4g})",
        )
        state.loss_sum += loss
        state.pair_sum += pairs
        return pairs

    def _finish_epoch(
        self, state, rng, model, elapsed, share_trained, untimed=None
    ) -> None:
        """Log the epoch's loss and speed, and reset ``state`` for the next epoch.

        ``untimed`` is the reason why no call of the epoch was timed, or None.
        Such an epoch's log line gives the reason instead of a speed, and its
        ``model.words_per_second`` entry is 0.
        """
        if state.pair_sum == 0:
            logger.warning(
                "epoch %d/%d trained no (center, context) pair, so its loss is "
                "reported as 0. Subsampling keeps about %.0f of %d tokens per "
                "epoch, and a context must come from the same text. Lower "
                "--sample (VocabConfig.sample; 0 keeps every token), or pass "
                "longer texts",
                state.epoch + 1,
                self.config.epochs,
                self.kept_per_epoch,
                len(self.encoded),
            )
        mean_loss = state.loss_sum / max(state.pair_sum, 1.0)
        speed = self.encoded.raw_token_count * share_trained / max(elapsed, 1e-9)
        state.epoch_losses.append(mean_loss)
        if untimed is not None:
            speed = 0.0
        model.words_per_second.append(speed)
        if untimed is None:
            logger.info(
                "epoch %d/%d: loss %.4f per pair, %.0f words/s, lr %.5f",
                state.epoch + 1,
                self.config.epochs,
                mean_loss,
                speed,
                float(self.schedule(state.done)),
            )
        else:
            logger.info(
                "epoch %d/%d: loss %.4f per pair, lr %.5f; no speed is reported "
                "because %s",
                state.epoch + 1,
                self.config.epochs,
                mean_loss,
                float(self.schedule(state.done)),
                untimed,
            )
        state.epoch += 1
        state.chunk = 0
        state.loss_sum = 0.0
        state.pair_sum = 0.0
        state.rng_state = rng.bit_generator.state


def check_pairs_possible(
    encoded: EncodedCorpus,
    vocab_size: int,
    vocab_given: bool,
    vocab_config: VocabConfig,
) -> None:
    """Raise unless some text has two in-vocabulary tokens to pair.

    Out-of-vocabulary tokens are dropped before windows are drawn, so two
    in-vocabulary tokens of one text are always within each other's window.
    ``vocab_given`` is True when the caller passed the vocabulary, as when
    training continues, so the vocabulary settings cannot change it.
    """
    lengths = np.diff(encoded.doc_offsets)
    longest = int(lengths.max()) if lengths.size else 0
    # Only settings that could keep more words are advised: min_count 1
    # already keeps every word, a cap the vocabulary did not reach dropped
    # none, and under a reached cap a lower min_count keeps the same words.
    settings = []
    cap = vocab_config.max_vocab_size
    capped = cap is not None and vocab_size >= cap
    if not vocab_given and vocab_config.min_count > 1 and not capped:
        settings.append("lower --min-count (VocabConfig.min_count)")
    if not vocab_given and capped:
        settings.append("raise --max-vocab-size (VocabConfig.max_vocab_size)")
    if longest == 0:
        fixes = ["pass more text", *settings]
        raise ValueError(
            "the corpus has no in-vocabulary token to train on; " + _join_choices(fixes)
        )
    if longest == 1:
        fixes = ["pass longer texts", *settings]
        raise ValueError(
            f"no text has two in-vocabulary tokens, so there is no (center, "
            f"context) pair to train on (the vocabulary has {vocab_size} "
            f"word{'' if vocab_size == 1 else 's'}); {_join_choices(fixes)}"
        )


def _join_choices(choices: list[str]) -> str:
    """Join ``["a", "b", "c"]`` as ``"a, b or c"``."""
    if len(choices) == 1:
        return choices[0]
    return ", ".join(choices[:-1]) + " or " + choices[-1]


def _warn_high_alpha(config: SGNSConfig) -> None:
    if config.alpha > HIGH_ALPHA:
        logger.warning(
            "learning rate alpha %g is %.0f times the 0.025 that word2vec and "
            "gensim start from; steps this large overshoot, and a run too short "
            "for the loss check to see it can end with vectors that only look "
            "trained. Pass a lower --alpha (SGNSConfig.alpha), for example 0.025",
            config.alpha,
            config.alpha / 0.025,
        )


def _check_loss(config: SGNSConfig, loss: float, pairs: float, where: str) -> None:
    """Raise ``TrainingDiverged`` if the loss is not finite or far too high.

    ``where`` names the chunk and its learning rate in the message.
    """
    per_pair = loss / max(pairs, 1.0)
    if math.isfinite(loss) and per_pair > DIVERGED_LOSS_PER_PAIR:
        raise TrainingDiverged(
            f"loss reached {per_pair:.4g} per pair {where}, far above the "
            f"{math.log(2) * (1 + config.negative):.2f} of untrained vectors",
            config.alpha,
        )
    if not math.isfinite(loss):
        raise TrainingDiverged(f"loss became {loss} {where}", config.alpha)


def _progress_bar(total, initial, epoch, enabled):
    if not enabled:
        return None
    from tqdm.auto import tqdm

    return tqdm(
        total=total,
        initial=initial,
        desc=f"epoch {epoch + 1}",
        unit="chunk",
        leave=False,
    )


def continue_training(
    model: SGNSModel,
    corpus: Sequence[Sequence[str]],
    config: SGNSConfig | None = None,
    *,
    progress: bool = False,
) -> SGNSModel:
    """Train an existing model further on new text, growing its vocabulary.

    Known words keep their ids and start from their trained vectors; their
    counts grow by their counts in ``corpus``. Words of ``corpus`` that are
    new and reach ``model.vocab_config.min_count`` there are appended after
    the known words (ordered by count, then token) with fresh vectors.

    Args:
        model: A trained model (from ``train_sgns`` or ``SGNSModel.load``).
        corpus: New tokenised texts; only these are trained on.
        config: Settings of the new run; defaults to ``model.config``. Its
            ``dim`` must equal the model's.

    Returns:
        A new model; ``model`` is left unchanged.
    """
    check_config_type("config", config, SGNSConfig)
    config = config or model.config
    dim = model.input_vectors.shape[1]
    if config.dim != dim:
        raise ValueError(
            f"config.dim={config.dim} differs from the model's dim {dim}; "
            "continued training keeps the model's dimension"
        )
    documents = check_token_corpus(corpus)
    counts = Counter()
    for document in documents:
        counts.update(document)
    check_token_types(counts)
    old = model.vocab
    merged_counts = old.counts.copy()
    for token, count in counts.items():
        if token in old.index:
            merged_counts[old.index[token]] += count
    min_count = model.vocab_config.min_count
    new_words = sorted(
        ((t, c) for t, c in counts.items() if t not in old.index and c >= min_count),
        key=lambda item: (-item[1], item[0]),
    )
    vocab = Vocabulary(
        old.tokens + [t for t, _ in new_words],
        np.concatenate([merged_counts, np.array([c for _, c in new_words], np.int64)]),
    )
    # Raise MemoryError before the grown tables below are allocated.
    check_memory(len(vocab), config)
    check_step_memory(config)
    grow_key = jax.random.fold_in(jax.random.PRNGKey(config.seed), len(old))
    fresh_input, fresh_output = init_tables(grow_key, len(new_words), dim)
    tables = (
        np.concatenate([model.input_vectors, np.asarray(fresh_input)]),
        np.concatenate([model.output_vectors, np.asarray(fresh_output)]),
    )
    logger.info(
        "continued training: %d known words, %d new words", len(old), len(new_words)
    )
    return train_sgns(
        documents,
        config,
        model.vocab_config,
        vocab=vocab,
        initial_tables=tables,
        progress=progress,
    )
