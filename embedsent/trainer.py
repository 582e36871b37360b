"""SGNS training runs: epochs, progress, checkpoints, resume and vocabulary growth.

The compiled step lives in ``embedsent.sgns``. This module feeds it chunks of
the subsampled id stream and decays the learning rate with an optax schedule.
It stops on a NaN or infinite loss and writes checkpoints. A run resumed from
a checkpoint ends with the same vectors as an uninterrupted run on CPU.
"""

from __future__ import annotations

import hashlib
import logging
import math
import os
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import optax

from embedsent.config import SGNSConfig, VocabConfig, config_from_dict
from embedsent.sgns import (
    StepShape,
    build_noise_table,
    init_tables,
    sharded_train_chunk,
    train_chunk,
)
from embedsent.storage import load_bundle, save_bundle
from embedsent.vocab import (
    EncodedCorpus,
    Vocabulary,
    check_token_corpus,
    check_token_types,
)

__all__ = [
    "SGNSModel",
    "TrainingDiverged",
    "check_memory",
    "continue_training",
    "estimate_table_bytes",
    "train_sgns",
]

logger = logging.getLogger(__name__)

MODEL_FORMAT_VERSION = 1
CHECKPOINT_FORMAT_VERSION = 1


class TrainingDiverged(FloatingPointError):
    """Raised when the training loss becomes NaN or infinite."""


@dataclass
class SGNSModel:
    """Trained SGNS tables with the vocabulary they index.

    Attributes:
        vocab: Vocabulary whose ids index the tables' rows.
        input_vectors: ``float32[V, dim]`` center-word vectors, the word
            vectors users keep.
        output_vectors: ``float32[V, dim]`` context-word vectors, kept so
            training can continue.
        config: Settings the tables were trained with.
        vocab_config: Vocabulary settings used to build ``vocab``.
        epoch_losses: Mean loss per (center, context) pair for each epoch.
        words_per_second: Raw tokens per second for each epoch, compile time
            excluded.
        compile_seconds: Time of the first compiled call (0 when it was
            already compiled in this process).
    """

    vocab: Vocabulary
    input_vectors: np.ndarray
    output_vectors: np.ndarray
    config: SGNSConfig = field(default_factory=SGNSConfig)
    vocab_config: VocabConfig = field(default_factory=VocabConfig)
    epoch_losses: list[float] = field(default_factory=list)
    words_per_second: list[float] = field(default_factory=list)
    compile_seconds: float = 0.0

    def word_vectors(self):
        """Return the input vectors as ``embedsent.vectors.WordVectors``."""
        from embedsent.vectors import WordVectors

        return WordVectors(self.vocab.tokens, self.input_vectors, self.vocab.counts)

    def save(self, path: str | os.PathLike) -> None:
        """Write the vocabulary, both tables and the settings to one file."""
        meta = {
            "format": "embedsent-sgns",
            "format_version": MODEL_FORMAT_VERSION,
            "config": asdict(self.config),
            "vocab_config": asdict(self.vocab_config),
            "tokens": self.vocab.tokens,
            "epoch_losses": self.epoch_losses,
        }
        arrays = {
            "counts": self.vocab.counts,
            "input_vectors": self.input_vectors,
            "output_vectors": self.output_vectors,
        }
        save_bundle(path, meta, arrays)

    @classmethod
    def load(cls, path: str | os.PathLike) -> SGNSModel:
        meta, arrays = load_bundle(path, kind="embedsent SGNS model")
        _check_format(meta, path, "embedsent-sgns", MODEL_FORMAT_VERSION)
        return cls(
            vocab=Vocabulary(meta["tokens"], arrays["counts"]),
            input_vectors=arrays["input_vectors"],
            output_vectors=arrays["output_vectors"],
            config=config_from_dict(SGNSConfig, meta["config"]),
            vocab_config=config_from_dict(VocabConfig, meta["vocab_config"]),
            epoch_losses=list(meta["epoch_losses"]),
        )


def _check_format(meta: dict, path, expected: str, version: int) -> None:
    if meta.get("format") != expected:
        raise ValueError(
            f"{path} is not an {expected} file (found {meta.get('format')!r})"
        )
    if meta.get("format_version") != version:
        raise ValueError(
            f"{path} has format_version {meta.get('format_version')!r}; this "
            f"embedsent reads version {version}"
        )


def estimate_table_bytes(vocab_size: int, dim: int) -> int:
    """Return the bytes the two float32 tables of ``vocab_size x dim`` need."""
    return 2 * vocab_size * dim * 4


def _available_memory_bytes() -> int | None:
    """Return the memory available without swapping, or None when unknown.

    Linux's MemAvailable counts the page cache the kernel can reclaim. The
    sysconf fallback (SC_AVPHYS_PAGES, Linux's MemFree) leaves it out, so on a
    machine that has read many files it can be far below what is available.
    NOTE: container (cgroup) memory limits are not read, so inside a
    container this can exceed the memory the process may use.
    """
    try:
        with open("/proc/meminfo", encoding="ascii") as meminfo:
            for line in meminfo:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None


def check_memory(vocab_size: int, config: SGNSConfig) -> None:
    """Raise MemoryError when the tables exceed max_memory_gb or the available memory.

    Raises:
        MemoryError: before anything is allocated, with the estimate and fixes.
    """
    needed = estimate_table_bytes(vocab_size, config.dim)
    limit = config.max_memory_gb * 2**30
    if needed > limit:
        raise MemoryError(
            f"the embedding tables need {needed / 2**30:.3g} GiB "
            f"(2 x {vocab_size} words x {config.dim} dims x 4 bytes), above "
            f"max_memory_gb={config.max_memory_gb}; raise min_count, set "
            "max_vocab_size or lower dim, or raise max_memory_gb"
        )
    available = _available_memory_bytes()
    if available is not None and needed > available:
        raise MemoryError(
            f"the embedding tables need {needed / 2**30:.3g} GiB but only "
            f"{available / 2**30:.3g} GiB of memory is available; raise min_count, set "
            "max_vocab_size or lower dim"
        )


def subsample(
    corpus: EncodedCorpus, keep: np.ndarray, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Drop frequent tokens at random with per-id keep probabilities ``keep``."""
    kept = rng.random(len(corpus)) < keep[corpus.ids]
    return corpus.ids[kept], corpus.doc_ids[kept]


def iter_chunks(ids: np.ndarray, doc_ids: np.ndarray, shape: StepShape):
    """Yield fixed-shape ``(ids, doc_ids, n_valid)`` chunks with a context halo.

    Padding positions get document id -1, which never matches a real
    document, so padding is never a context.
    """
    window, size = shape.window, shape.chunk_centers
    total = ids.shape[0]
    padded_ids = np.zeros(total + 2 * window + size, np.int32)
    padded_docs = np.full(total + 2 * window + size, -1, np.int32)
    padded_ids[window : window + total] = ids
    padded_docs[window : window + total] = doc_ids
    for start in range(0, total, size):
        stop = start + size + 2 * window
        n_valid = min(size, total - start)
        yield padded_ids[start:stop], padded_docs[start:stop], n_valid


@dataclass
class _RunState:
    """Progress of a run: what a checkpoint stores besides the tables."""

    epoch: int = 0
    chunk: int = 0
    done: int = 0
    loss_sum: float = 0.0
    pair_sum: float = 0.0
    rng_state: dict | None = None
    epoch_losses: list[float] = field(default_factory=list)


@dataclass(frozen=True)
class Checkpointing:
    """Checkpoint file and frequency of a run.

    Attributes:
        path: Checkpoint file; written atomically, so an interrupted write
            leaves the previous checkpoint.
        every_seconds: Minimum time between checkpoints inside an epoch; 0
            writes one after every compiled call. A checkpoint is also
            written at the end of every epoch.
        resume: Continue from ``path`` when it exists.
    """

    path: Path
    every_seconds: float = 300.0
    resume: bool = True


def _fingerprint(encoded: EncodedCorpus, vocab: Vocabulary) -> str:
    digest = hashlib.sha256()
    digest.update(encoded.ids.tobytes())
    digest.update(encoded.doc_ids.tobytes())
    digest.update("\n".join(vocab.tokens).encode("utf-8"))
    return digest.hexdigest()


def _save_checkpoint(checkpointing, tables, state, config, fingerprint) -> None:
    meta = {
        "format": "embedsent-checkpoint",
        "format_version": CHECKPOINT_FORMAT_VERSION,
        "config": asdict(config),
        "fingerprint": fingerprint,
        "state": asdict(state),
    }
    arrays = {
        "input_vectors": np.asarray(tables[0]),
        "output_vectors": np.asarray(tables[1]),
    }
    save_bundle(checkpointing.path, meta, arrays)
    logger.info(
        "checkpoint: epoch %d chunk %d -> %s",
        state.epoch + 1,
        state.chunk,
        checkpointing.path,
    )


def _load_checkpoint(checkpointing, config, fingerprint):
    meta, arrays = load_bundle(checkpointing.path, kind="embedsent checkpoint")
    _check_format(
        meta, checkpointing.path, "embedsent-checkpoint", CHECKPOINT_FORMAT_VERSION
    )
    if meta["config"] != asdict(config):
        raise ValueError(
            f"checkpoint {checkpointing.path} was written with other settings "
            f"({meta['config']}); resume with the same settings, or delete the "
            "checkpoint to start over"
        )
    if meta["fingerprint"] != fingerprint:
        raise ValueError(
            f"checkpoint {checkpointing.path} was written for another corpus or "
            "vocabulary; resume on the same corpus, or delete the checkpoint to "
            "start over"
        )
    state = _RunState(**meta["state"])
    tables = (
        jnp.asarray(arrays["input_vectors"]),
        jnp.asarray(arrays["output_vectors"]),
    )
    logger.info(
        "resuming from %s at epoch %d chunk %d",
        checkpointing.path,
        state.epoch + 1,
        state.chunk,
    )
    return tables, state


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
        corpus: Token lists (a one-shot iterator is read once and kept), or an
            already encoded corpus when ``vocab`` is given.
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
        TypeError: if the corpus contains raw strings instead of token lists.
        ValueError: if no token reaches ``min_count``, the corpus is empty, or
            a checkpoint belongs to other settings or another corpus.
        MemoryError: if the tables would not fit (see ``check_memory``).
        TrainingDiverged: if the loss becomes NaN or infinite.
    """
    config = config or SGNSConfig()
    vocab_config = vocab_config or VocabConfig()
    if isinstance(corpus, EncodedCorpus):
        if vocab is None:
            raise ValueError("an EncodedCorpus needs the vocab it was encoded with")
        encoded = corpus
    else:
        documents = check_token_corpus(corpus)
        vocab = vocab or Vocabulary.build(documents, vocab_config)
        encoded = vocab.encode_corpus(documents)
    if len(encoded) == 0:
        raise ValueError(
            "the corpus has no in-vocabulary token to train on; pass more text or "
            "lower min_count"
        )
    check_memory(len(vocab), config)
    _check_devices(config)
    if checkpoint is not None and not isinstance(checkpoint, Checkpointing):
        checkpoint = Checkpointing(Path(checkpoint))

    root_key = jax.random.PRNGKey(config.seed)
    init_key, root_key = jax.random.split(root_key)
    if initial_tables is None:
        tables = init_tables(init_key, len(vocab), config.dim)
    else:
        tables = _checked_tables(initial_tables, len(vocab), config.dim)
    state = _RunState(rng_state=np.random.default_rng(config.seed).bit_generator.state)
    fingerprint = _fingerprint(encoded, vocab) if checkpoint else ""
    if checkpoint and checkpoint.resume and checkpoint.path.exists():
        tables, state = _load_checkpoint(checkpoint, config, fingerprint)

    keep = vocab.keep_probabilities(vocab_config.sample)
    expected_centers = float(keep[encoded.ids].sum()) * config.epochs
    schedule = optax.linear_schedule(
        config.alpha, config.min_alpha, max(int(expected_centers), 1)
    )
    run = _Run(
        config=config,
        shape=StepShape.from_config(config),
        encoded=encoded,
        keep=keep,
        noise_table=jnp.asarray(
            build_noise_table(vocab.noise_distribution(vocab_config.noise_power))
        ),
        schedule=schedule,
        root_key=root_key,
        checkpoint=checkpoint,
        fingerprint=fingerprint,
        progress=progress,
        on_chunk=on_chunk,
    )
    model = SGNSModel(vocab, np.empty(0), np.empty(0), config, vocab_config)
    while state.epoch < config.epochs:
        tables = run.epoch(tables, state, model)
    model.epoch_losses = list(state.epoch_losses)
    model.input_vectors = np.asarray(tables[0])
    model.output_vectors = np.asarray(tables[1])
    if not np.isfinite(model.input_vectors).all():
        raise TrainingDiverged(
            f"the trained vectors contain NaN or inf; lower alpha (now {config.alpha})"
        )
    return model


def _check_devices(config: SGNSConfig) -> None:
    available = jax.local_device_count()
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
    noise_table: jax.Array
    schedule: Callable
    root_key: jax.Array
    checkpoint: Checkpointing | None
    fingerprint: str
    progress: bool
    on_chunk: Callable[[int, int], None] | None

    def learning_rates(self, done: int, n_valid: int) -> np.ndarray:
        """Per-step rates of a chunk that starts after ``done`` centers."""
        steps = np.arange(self.shape.steps_per_call) * self.shape.batch_size
        positions = done + np.minimum(steps, max(n_valid - 1, 0))
        return np.asarray(self.schedule(positions), dtype=np.float32)

    def epoch(self, tables, state: _RunState, model: SGNSModel):
        """Train from ``state`` to the end of its epoch; update ``state``."""
        # The generator state saved before subsampling replays the same
        # subsample when a run resumes in the middle of this epoch.
        rng = np.random.default_rng()
        rng.bit_generator.state = state.rng_state
        ids, doc_ids = subsample(self.encoded, self.keep, rng)
        epoch_key = jax.random.fold_in(self.root_key, state.epoch)
        chunks = list(iter_chunks(ids, doc_ids, self.shape))
        bar = _progress_bar(len(chunks), state.chunk, state.epoch, self.progress)
        started = time.perf_counter()
        last_checkpoint = started
        trained_tokens = 0
        pending = None
        for first in range(state.chunk, len(chunks), self.n_devices):
            group = chunks[first : first + self.n_devices]
            n_valid = sum(chunk[2] for chunk in group)
            call_started = time.perf_counter()
            compiled_before = self.step_function_cache_size()
            tables, loss, pairs, rate = self.call(
                tables, group, first, epoch_key, state
            )
            if self.step_function_cache_size() > compiled_before:
                jax.block_until_ready(tables)
                model.compile_seconds = time.perf_counter() - call_started
                started += model.compile_seconds

            # Reading the previous call's loss lets this call run meanwhile.
            if pending is not None:
                self._add_loss(state, pending)
            pending = (loss, pairs, first, rate)
            state.done += n_valid
            state.chunk = first + len(group)
            trained_tokens += n_valid

            now = time.perf_counter()
            if (
                self.checkpoint
                and now - last_checkpoint >= self.checkpoint.every_seconds
            ):
                self._add_loss(state, pending)
                pending = None
                _save_checkpoint(
                    self.checkpoint, tables, state, self.config, self.fingerprint
                )
                last_checkpoint = time.perf_counter()
            if bar is not None:
                bar.update(len(group))
            if self.on_chunk is not None:
                self.on_chunk(state.epoch, first)
        if pending is not None:
            self._add_loss(state, pending)
        if bar is not None:
            bar.close()
        self._finish_epoch(
            state,
            rng,
            model,
            time.perf_counter() - started,
            trained_tokens / max(len(ids), 1),
        )
        if self.checkpoint:
            _save_checkpoint(
                self.checkpoint, tables, state, self.config, self.fingerprint
            )
        return tables

    @property
    def n_devices(self) -> int:
        return self.config.n_devices or jax.local_device_count()

    def step_function_cache_size(self) -> int:
        if self.n_devices == 1:
            return train_chunk._cache_size()
        return sharded_train_chunk(self.shape, self.n_devices)._cache_size()

    def call(self, tables, group, first, epoch_key, state):
        """Run one compiled call over ``group`` (one chunk per device)."""
        keys, rates = [], []
        done = state.done
        for offset, (_, _, n_valid) in enumerate(group):
            keys.append(jax.random.fold_in(epoch_key, first + offset))
            rates.append(self.learning_rates(done, n_valid))
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
            keys.append(jax.random.fold_in(epoch_key, first + len(keys)))
            rates.append(rates[-1])
        chunk = (
            np.stack([g[0] for g in group]),
            np.stack([g[1] for g in group]),
            np.array([g[2] for g in group], np.int32),
            self.noise_table,
        )
        step = sharded_train_chunk(self.shape, self.n_devices)
        tables, loss, pairs = step(tables, chunk, jnp.stack(keys), np.stack(rates))
        return tables, loss, pairs, rates[0][0]

    def _add_loss(self, state: _RunState, pending) -> None:
        loss, pairs, index, rate = pending
        loss = float(loss)
        if not math.isfinite(loss):
            raise TrainingDiverged(
                f"loss became {loss} in epoch {state.epoch + 1}, chunk {index} "
                f"(learning rate {rate:.4g}); lower alpha (now {self.config.alpha})"
            )
        state.loss_sum += loss
        state.pair_sum += float(pairs)

    def _finish_epoch(self, state, rng, model, elapsed, share_trained) -> None:
        if state.pair_sum == 0:
            logger.warning(
                "epoch %d/%d trained no (center, context) pair, so its loss is "
                "reported as 0. Subsampling keeps about %.0f of %d tokens per "
                "epoch, and a context must come from the same text. Lower "
                "VocabConfig.sample (0 keeps every token) or pass longer texts",
                state.epoch + 1,
                self.config.epochs,
                float(self.keep[self.encoded.ids].sum()),
                len(self.encoded),
            )
        mean_loss = state.loss_sum / max(state.pair_sum, 1.0)
        speed = self.encoded.raw_token_count * share_trained / max(elapsed, 1e-9)
        state.epoch_losses.append(mean_loss)
        model.words_per_second.append(speed)
        logger.info(
            "epoch %d/%d: loss %.4f per pair, %.0f words/s, lr %.5f",
            state.epoch + 1,
            self.config.epochs,
            mean_loss,
            speed,
            float(self.schedule(state.done)),
        )
        state.epoch += 1
        state.chunk = 0
        state.loss_sum = 0.0
        state.pair_sum = 0.0
        state.rng_state = rng.bit_generator.state


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
