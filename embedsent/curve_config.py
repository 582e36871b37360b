"""Settings of the learning-curve benchmark: its methods and ``CurveConfig``.

``embedsent.curves`` runs the benchmark, and the options of ``embedsent bench
transfer`` check their values with ``CurveConfig``. This module imports
neither JAX nor SciPy, so building the command-line parser does not either.
"""

from __future__ import annotations

from dataclasses import dataclass

from embedsent.config import FEATURE_METHODS

__all__ = ["CurveConfig", "METHODS"]

# The methods that embedsent.curves describes, in the order they run.
METHODS = ("scratch", "tfidf_lr", "transfer", "transfer_gensim", "transfer_finetune")


@dataclass(frozen=True)
class CurveConfig:
    """Sizes, draws, methods and features of the learning-curve benchmark.

    Attributes:
        sizes: Labeled training sizes; 0 means every training text.
        draws: Balanced random draws per size below ``large_size``.
        large_draws: Draws per size from ``large_size`` on (but below all).
        large_size: First size that gets ``large_draws`` draws.
        methods: Methods to run, a subset of ``METHODS``. Repeated names
            are merged, keeping the first-seen order, as repeated sizes are.
        features: Sentence features of the ``transfer`` and
            ``transfer_gensim`` methods, a subset of ``mean``, ``tfidf``,
            ``sif``. Repeated names are merged like those of ``methods``.
        finetune_max_n: Largest labeled size at which the two end-to-end
            methods (``scratch``, ``transfer_finetune``) run; None runs them
            at every size.
        finetune_steps: Optimizer steps of an end-to-end fit are capped near
            this number by lowering the epochs on large sizes.
        seed: Seed of the draws; the model seed of draw ``d`` is ``seed + d``.
    """

    sizes: tuple[int, ...] = (8, 16, 32, 64, 128, 256, 512, 1024, 2048, 0)
    draws: int = 10
    large_draws: int = 3
    large_size: int = 1024
    methods: tuple[str, ...] = METHODS
    features: tuple[str, ...] = FEATURE_METHODS
    finetune_max_n: int | None = None
    finetune_steps: int = 1000
    seed: int = 0

    def __post_init__(self):
        if not self.sizes:
            raise ValueError("sizes must name at least one labeled size, e.g. (8, 0)")
        for size in self.sizes:
            if isinstance(size, bool) or not isinstance(size, int) or size < 0:
                raise ValueError(f"sizes must be ints >= 0 (0 = all), got {size!r}")
        for name in ("draws", "large_draws", "large_size", "finetune_steps"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be an int >= 1, got {value!r}")
        unknown = sorted(set(self.methods) - set(METHODS))
        if unknown or not self.methods:
            raise ValueError(
                f"methods must be a non-empty subset of {METHODS}, got "
                f"{self.methods}; unknown: {unknown}"
            )
        # A repeated name would plan the same runs twice, and the run store
        # rejects the second copy, so repeats are merged here.
        object.__setattr__(self, "methods", tuple(dict.fromkeys(self.methods)))
        unknown = sorted(set(self.features) - set(FEATURE_METHODS))
        if unknown or not self.features:
            raise ValueError(
                f"features must be a non-empty subset of {FEATURE_METHODS}, got "
                f"{self.features}"
            )
        object.__setattr__(self, "features", tuple(dict.fromkeys(self.features)))
        if self.finetune_max_n is not None and self.finetune_max_n < 1:
            raise ValueError(
                f"finetune_max_n must be None or >= 1, got {self.finetune_max_n}"
            )
        if isinstance(self.seed, bool) or not isinstance(self.seed, int):
            raise TypeError(f"seed must be an int, got {self.seed!r}")
        if self.seed < 0:
            raise ValueError(f"seed must be >= 0, got {self.seed}")

    def draws_for(self, n: int, n_train: int) -> int:
        """Return the number of draws of size ``n`` out of ``n_train`` texts."""
        if n >= n_train:
            return 1
        return self.large_draws if n >= self.large_size else self.draws
