"""The trained SGNS tables, their file format, and table-size checks."""

from __future__ import annotations

import logging
import os
from dataclasses import asdict, dataclass, field

import numpy as np

from embedsent.config import SGNSConfig, VocabConfig, config_from_dict
from embedsent.file_kinds import BUNDLE_KINDS, SGNS_FORMAT
from embedsent.output_kinds import check_replaceable
from embedsent.storage import check_bundle_suffix, load_bundle, save_bundle
from embedsent.vocab import Vocabulary

__all__ = [
    "SGNSModel",
    "TableMemoryError",
    "TrainingDiverged",
    "check_format",
    "check_memory",
    "estimate_table_bytes",
]

logger = logging.getLogger(__name__)

MODEL_FORMAT_VERSION = 1


class TrainingDiverged(FloatingPointError):
    """Raised when the training loss becomes NaN, infinite or far above its start.

    Attributes:
        reason: What went wrong, such as ``loss became nan in epoch 1, chunk 3``.
        alpha: The initial learning rate (``SGNSConfig.alpha``) of the run.
    """

    def __init__(self, reason: str, alpha: float) -> None:
        super().__init__(f"{reason}; lower alpha (now {alpha})")
        self.reason = reason
        self.alpha = alpha


class TableMemoryError(MemoryError):
    """Embedding tables that would exceed the memory limit or the free memory.

    Attributes:
        needed_bytes: Bytes of the two float32 tables.
        vocab_size: Words in the vocabulary.
        dim: Vector dimension.
        limit_gb: ``SGNSConfig.max_memory_gb`` when the tables exceed it, or
            None when they fit it but exceed the available memory.
        available_bytes: Memory available, or None when the limit was hit.
    """

    def __init__(
        self,
        message: str,
        *,
        needed_bytes: int,
        vocab_size: int,
        dim: int,
        limit_gb: float | None = None,
        available_bytes: int | None = None,
    ) -> None:
        super().__init__(message)
        self.needed_bytes = needed_bytes
        self.vocab_size = vocab_size
        self.dim = dim
        self.limit_gb = limit_gb
        self.available_bytes = available_bytes


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
            excluded. It is 0 for an epoch in which no call was timed, such as
            one that the checkpoint of a resumed run already contained whole.
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

    def word_vectors(self, add_context_vectors: bool | None = None):
        """Return the word vectors as ``embedsent.vectors.WordVectors``.

        Args:
            add_context_vectors: Add each word's output vector to its input
                vector; None follows ``config.add_context_vectors``.
        """
        from embedsent.vectors import WordVectors

        if add_context_vectors is None:
            add_context_vectors = self.config.add_context_vectors
        if add_context_vectors:
            # The sum is a new array that nothing else refers to, so the vectors
            # take it without a copy, which would add a table to the peak memory.
            vectors = np.add(self.input_vectors, self.output_vectors, dtype=np.float32)
        elif not self.input_vectors.flags.writeable:
            # A read-only table, such as the view of a trained JAX array, never
            # changes, so the vectors share it.
            vectors = self.input_vectors
        else:
            return WordVectors(self.vocab.tokens, self.input_vectors, self.vocab.counts)
        return WordVectors._from_owned_arrays(
            self.vocab.tokens, vectors, self.vocab.counts
        )

    def save(self, path: str | os.PathLike) -> None:
        """Write the vocabulary, both tables and the settings to one file.

        The file is an ``.npz`` bundle, written atomically. An existing SGNS
        model at ``path`` is replaced, and so is an empty file.

        Raises:
            ValueError: If ``path`` ends with a suffix that marks another kind
                of file, such as ``.txt`` or ``.csv``, or is an existing file
                of another kind, such as a classifier model, a checkpoint or
                word vectors. Such a file is left as it is.
        """
        check_bundle_suffix(path, BUNDLE_KINDS[SGNS_FORMAT].name)
        check_replaceable(path, BUNDLE_KINDS[SGNS_FORMAT], "path")
        meta = {
            "format": SGNS_FORMAT,
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
        meta, arrays = load_bundle(
            path, kind="embedsent SGNS model", expected_format=SGNS_FORMAT
        )
        check_format(meta, path, SGNS_FORMAT, MODEL_FORMAT_VERSION)
        try:
            model = cls(
                vocab=Vocabulary(meta["tokens"], arrays["counts"]),
                input_vectors=arrays["input_vectors"],
                output_vectors=arrays["output_vectors"],
                # Files written before add_context_vectors existed exported
                # the input vectors alone, and keep doing so.
                config=config_from_dict(
                    SGNSConfig, {"add_context_vectors": False, **meta["config"]}
                ),
                vocab_config=config_from_dict(VocabConfig, meta["vocab_config"]),
                epoch_losses=list(meta["epoch_losses"]),
            )
            _check_table_shapes(model)
        except KeyError as error:
            raise ValueError(
                f"{path} is damaged: it has no entry {error}; {SGNS_REBUILD_ADVICE}"
            ) from error
        except (TypeError, ValueError) as error:
            raise ValueError(
                f"{path} is damaged: {error}; {SGNS_REBUILD_ADVICE}"
            ) from error
        return model


# Advice for a damaged SGNS model file, used in error messages.
SGNS_REBUILD_ADVICE = (
    "train it again with `embedsent pretrain --save-model`, or save it again "
    "with SGNSModel.save"
)


def _check_table_shapes(model: SGNSModel) -> None:
    """Raise ValueError unless both tables are float ``[len(vocab), dim]``."""
    expected = (len(model.vocab), model.config.dim)
    for name in ("input_vectors", "output_vectors"):
        table = getattr(model, name)
        if table.shape != expected or not np.issubdtype(table.dtype, np.floating):
            raise ValueError(
                f"its {name} are {table.dtype} of shape {table.shape}, but its "
                f"{len(model.vocab)} words and dim {model.config.dim} need float "
                f"of shape {expected}"
            )


def check_format(meta: dict, path, expected: str, version: int) -> None:
    found = meta.get("format")
    if found != expected:
        detail = (
            "its __meta__ entry has no format field"
            if found is None
            else f"found format {found!r}"
        )
        raise ValueError(f"{path} is not an {expected} file ({detail})")
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

    This is the smallest of three limits. The first is Linux's MemAvailable,
    which counts the page cache the kernel can reclaim (the sysconf fallback,
    MemFree, does not). The second is the free room under a cgroup v2 memory
    limit, as in containers. The third is the address-space limit of
    ``ulimit -v``.
    """
    limits = [_machine_available(), _cgroup_available(), _address_space_limit()]
    known = [limit for limit in limits if limit is not None]
    return min(known) if known else None


def _machine_available() -> int | None:
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


def _cgroup_available(root: str = "/sys/fs/cgroup") -> int | None:
    try:
        with open(f"{root}/memory.max", encoding="ascii") as handle:
            limit = handle.read().strip()
        if limit == "max":
            return None
        with open(f"{root}/memory.current", encoding="ascii") as handle:
            current = int(handle.read().strip())
        return max(int(limit) - current, 0)
    except (OSError, ValueError):
        return None


def _address_space_limit() -> int | None:
    try:
        import resource

        soft, _ = resource.getrlimit(resource.RLIMIT_AS)
    except (ImportError, OSError, ValueError):
        return None
    # NOTE: the limit covers the whole address space, code and libraries too,
    # so a table that fits this figure can still fail to allocate.
    return None if soft == resource.RLIM_INFINITY else soft


def check_memory(vocab_size: int, config: SGNSConfig) -> None:
    """Raise MemoryError when the tables exceed max_memory_gb or the available memory.

    Raises:
        TableMemoryError: before anything is allocated, with the estimate and
            fixes.
    """
    needed = estimate_table_bytes(vocab_size, config.dim)
    sizes = {"needed_bytes": needed, "vocab_size": vocab_size, "dim": config.dim}
    limit = config.max_memory_gb * 2**30
    if needed > limit:
        raise TableMemoryError(
            f"the embedding tables need {needed / 2**30:.3g} GiB "
            f"(2 x {vocab_size} words x {config.dim} dims x 4 bytes), above "
            f"max_memory_gb={config.max_memory_gb}; raise min_count, set "
            "max_vocab_size or lower dim, or raise max_memory_gb",
            limit_gb=config.max_memory_gb,
            **sizes,
        )
    available = _available_memory_bytes()
    if available is not None and needed > available:
        raise TableMemoryError(
            f"the embedding tables need {needed / 2**30:.3g} GiB but only "
            f"{available / 2**30:.3g} GiB of memory is available; raise min_count, set "
            "max_vocab_size or lower dim",
            available_bytes=available,
            **sizes,
        )
