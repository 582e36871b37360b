"""Checkpoints of SGNS runs: what a run stores to resume, and its file format."""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
from dataclasses import asdict, dataclass, field
from functools import partial
from pathlib import Path

import jax.numpy as jnp
import numpy as np

from embedsent.checkpoint_lock import (
    CheckpointInUseError,
    lock_checkpoint,
    lock_path_of,
    locks_supported,
)
from embedsent.distributed import replica_to_numpy, writes_files
from embedsent.file_kinds import BUNDLE_KINDS, CHECKPOINT_FORMAT
from embedsent.sgns_model import check_format
from embedsent.storage import (
    FileIdentity,
    check_bundle_suffix,
    check_file_name,
    load_bundle,
    save_bundle,
)
from embedsent.vocab import EncodedCorpus, Vocabulary

__all__ = [
    "CheckpointInUseError",
    "Checkpointing",
    "RunState",
    "corpus_fingerprint",
    "describe_progress",
    "has_checkpoint",
    "hold_checkpoint",
    "load_checkpoint",
    "save_checkpoint",
]

logger = logging.getLogger(__name__)

CHECKPOINT_FORMAT_VERSION = 1

# Tokens whose document ids are built and hashed at a time.
FINGERPRINT_BLOCK = 1 << 20


@dataclass
class RunState:
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

    Raises:
        ValueError: If ``path`` ends with a suffix that marks another kind of
            file, such as ``.txt`` or ``.csv``, because the checkpoint is a
            zip (.npz) file.
    """

    path: Path
    every_seconds: float = 300.0
    resume: bool = True

    def __post_init__(self):
        check_checkpoint_path(self.path)


@contextlib.contextmanager
def hold_checkpoint(checkpointing: Checkpointing | None):
    """Hold an exclusive lock on ``checkpointing.path`` for a run's duration.

    Two runs that wrote one checkpoint would each resume from and replace
    the other's progress. The lock is an ``flock`` on the hidden file
    ``.NAME.lock`` next to the checkpoint, which the kernel releases when the
    process dies, so a killed run leaves no stale lock. Nothing is locked
    without ``fcntl`` (on Windows), on a file system without ``flock``, or in
    a process of a multi-process run that writes no files.

    Raises:
        CheckpointInUseError: if another process holds the lock.
    """
    if checkpointing is None or not locks_supported() or not writes_files():
        yield
        return
    path = checkpointing.path
    lock_path = lock_path_of(path)
    handle = lock_checkpoint(path, lock_path)
    try:
        yield
    finally:
        if handle is not None:
            lock_path.unlink(missing_ok=True)
            os.close(handle)


def check_checkpoint_path(path: str | os.PathLike) -> None:
    """Raise ValueError unless ``path`` can name a checkpoint file.

    Call it before ``Path(path)``, which would drop a trailing separator.
    """
    kind = BUNDLE_KINDS[CHECKPOINT_FORMAT].name
    check_file_name(os.fspath(path), partial(check_bundle_suffix, kind=kind))
    check_bundle_suffix(path, kind)


def corpus_fingerprint(encoded: EncodedCorpus, vocab: Vocabulary) -> str:
    digest = hashlib.sha256()
    # The ids are hashed as int32, whatever their dtype, so checkpoints written
    # when every corpus was encoded as int32 still match.
    for start in range(0, len(encoded), FINGERPRINT_BLOCK):
        block = encoded.ids[start : start + FINGERPRINT_BLOCK]
        digest.update(block.astype(np.int32, copy=False).tobytes())
    # Hashing the per-token document ids block by block gives the digest of
    # the whole array, which earlier checkpoints recorded, without building it.
    for start in range(0, len(encoded), FINGERPRINT_BLOCK):
        end = start + FINGERPRINT_BLOCK
        digest.update(encoded.doc_ids_between(start, end).tobytes())
    digest.update("\n".join(vocab.tokens).encode("utf-8"))
    return digest.hexdigest()


def save_checkpoint(
    checkpointing,
    tables,
    state,
    config,
    fingerprint,
    *,
    vocab_config=None,
    replaces: FileIdentity | None = None,
) -> FileIdentity | None:
    """Write the tables and ``state`` to ``checkpointing.path``.

    ``vocab_config``'s sampling settings are stored so that a resume can
    check them. In a multi-process run only process 0 writes, and the others
    return at once.

    Returns:
        The identity of the file written (None where nothing was written), to
        pass as ``replaces`` to the run's next save. That save replaces the
        file even when a umask of 0222 made it read-only.
    """
    if not writes_files():
        return None
    meta = {
        "format": CHECKPOINT_FORMAT,
        "format_version": CHECKPOINT_FORMAT_VERSION,
        "config": asdict(config),
        "fingerprint": fingerprint,
        "state": asdict(state),
    }
    if vocab_config is not None:
        meta["sampling"] = _sampling_settings(vocab_config)
    arrays = {
        "input_vectors": replica_to_numpy(tables[0]),
        "output_vectors": replica_to_numpy(tables[1]),
    }
    written = save_bundle(checkpointing.path, meta, arrays, replaces=replaces)
    logger.info(
        "checkpoint at %s -> %s", describe_progress(state, config), checkpointing.path
    )
    return written


def describe_progress(state: RunState, config) -> str:
    """Describe how far a run of ``config.epochs`` epochs has come, for logs.

    ``state.epoch`` counts finished epochs and ``state.chunk`` the chunks
    finished in the current one, so a chunk of 0 is an epoch boundary.
    """
    if state.epoch >= config.epochs:
        return f"the end of the run ({config.epochs} of {config.epochs} epochs done)"
    if state.chunk == 0:
        return f"the start of epoch {state.epoch + 1}/{config.epochs}"
    return f"epoch {state.epoch + 1}/{config.epochs} after {state.chunk} chunks"


# SGNSConfig fields added after checkpoints were first written, with the
# value that reproduces the behaviour of the code that wrote those files.
_SETTINGS_BEFORE_THEY_EXISTED = {"repeat_damping": 0.0, "input_role": "center"}

# SGNSConfig fields that choose what a trained model exports, not how it trains.
_EXPORT_SETTINGS = ("add_context_vectors",)


# VocabConfig fields that change training without changing the vocabulary,
# which the corpus fingerprint already covers.
_SAMPLING_SETTINGS = ("sample", "noise_power")


def _sampling_settings(vocab_config) -> dict:
    return {name: getattr(vocab_config, name) for name in _SAMPLING_SETTINGS}


def has_checkpoint(path: Path) -> bool:
    """Return whether ``path`` is a file with a checkpoint to resume from.

    A missing file has none, and neither has an empty one, such as a file
    that ``touch`` or ``: >`` created. The run then starts fresh and
    overwrites it, as every output replaces an empty file.
    """
    try:
        return path.stat().st_size > 0
    except OSError:
        # As with Path.exists, a file that cannot be reached counts as missing.
        return False


def load_checkpoint(checkpointing, config, fingerprint, *, vocab_config=None):
    meta, arrays = load_bundle(
        checkpointing.path,
        kind="embedsent checkpoint",
        expected_format=CHECKPOINT_FORMAT,
        damaged_fix="delete it to start the run over, or pass another checkpoint path",
    )
    check_format(meta, checkpointing.path, CHECKPOINT_FORMAT, CHECKPOINT_FORMAT_VERSION)
    current = asdict(config)
    # Checkpoints written before repeat damping existed came from the
    # undamped step, which is repeat_damping 0.
    stored = {**_SETTINGS_BEFORE_THEY_EXISTED, **meta["config"]}
    # Which vectors a finished run exports does not change training, so a
    # run may resume with another choice.
    for name in _EXPORT_SETTINGS:
        current.pop(name, None)
        stored.pop(name, None)
    _check_same_settings(checkpointing.path, stored, current)
    if vocab_config is not None:
        _check_sampling(meta, checkpointing.path, vocab_config)
    if meta["fingerprint"] != fingerprint:
        raise ValueError(
            f"checkpoint {checkpointing.path} was written for another corpus or "
            "vocabulary; resume on the same corpus, or delete the checkpoint to "
            "start over"
        )
    state = RunState(**meta["state"])
    tables = (
        jnp.asarray(arrays["input_vectors"]),
        jnp.asarray(arrays["output_vectors"]),
    )
    if state.epoch >= config.epochs:
        logger.info(
            "%s contains a finished run of %d epoch%s, so no epoch is left to train",
            checkpointing.path,
            config.epochs,
            "" if config.epochs == 1 else "s",
        )
    else:
        logger.info(
            "resuming from %s at %s",
            checkpointing.path,
            describe_progress(state, config),
        )
    return tables, state


def _check_sampling(meta: dict, path, vocab_config) -> None:
    """Raise if the checkpoint was written with other subsampling or noise settings.

    Checkpoints written before these settings were stored cannot be checked,
    so they resume with a warning.
    """
    stored = meta.get("sampling")
    current = _sampling_settings(vocab_config)
    if not isinstance(stored, dict):
        logger.warning(
            "checkpoint %s does not record its subsampling and noise settings "
            "(sample, noise_power), so a resume with other values cannot be "
            "detected; resume with the values of the run that wrote it",
            path,
        )
        return
    _check_same_settings(path, stored, current)


def _check_same_settings(path, stored: dict, current: dict) -> None:
    """Raise ValueError naming each setting whose stored value differs."""
    if stored == current:
        return
    differences = ", ".join(
        f"{name}={stored.get(name)!r} there, {value!r} now"
        for name, value in current.items()
        if stored.get(name) != value
    )
    raise ValueError(
        f"checkpoint {path} was written with other settings ({differences}); "
        "resume with the same settings, or delete the checkpoint to start over"
    )
