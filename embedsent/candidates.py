"""Candidate configurations for model selection, and their scores.

A ``Candidate`` names a vector source, a sentence feature, a head (hidden
size and weight decay) and whether the vectors are fine-tuned.
``SelectionGrid`` lists values per axis and ``build_candidates`` crosses
them. ``SelectionResult`` contains every candidate's cross-validated score, best
first.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from embedsent.config import FEATURE_METHODS, ClassifierConfig
from embedsent.vectors import WordVectors

__all__ = [
    "Candidate",
    "CandidateScore",
    "SelectionGrid",
    "SelectionResult",
    "build_candidates",
]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Candidate:
    """One model configuration to score.

    Attributes:
        source: Name of the word vectors, a key of the ``vectors`` mapping.
        feature: Sentence feature, one of ``FEATURE_METHODS``.
        hidden_size: Hidden units of the head; 0 is logistic regression.
        weight_decay: AdamW decoupled weight decay of the head.
        fine_tune: Train the word vectors with the head
            (``embedsent.finetune``); only with the ``"mean"`` feature.
    """

    source: str
    feature: str
    hidden_size: int
    weight_decay: float
    fine_tune: bool = False

    def __post_init__(self):
        if not isinstance(self.source, str) or not self.source:
            raise ValueError(f"source must be a non-empty str, got {self.source!r}")
        if self.feature not in FEATURE_METHODS:
            raise ValueError(
                f"feature must be one of {FEATURE_METHODS}, got {self.feature!r}"
            )
        if self.fine_tune and self.feature != "mean":
            raise ValueError(
                f"fine-tuned vectors support only the 'mean' feature, got "
                f"{self.feature!r}; use fine_tune=False for tfidf and sif"
            )
        # ClassifierConfig validates hidden_size and weight_decay.
        ClassifierConfig(hidden_size=self.hidden_size, weight_decay=self.weight_decay)

    @property
    def name(self) -> str:
        """Short label such as ``jax/mean/h64/wd0.001/frozen``."""
        vectors = "tuned" if self.fine_tune else "frozen"
        return (
            f"{self.source}/{self.feature}/h{self.hidden_size}/"
            f"wd{self.weight_decay:g}/{vectors}"
        )

    def classifier_config(
        self, base: ClassifierConfig | None = None, *, seed: int | None = None
    ) -> ClassifierConfig:
        """Return ``base`` (default ``ClassifierConfig()``) with this head's sizes."""
        config = dataclasses.replace(
            base or ClassifierConfig(),
            hidden_size=self.hidden_size,
            weight_decay=self.weight_decay,
        )
        if seed is not None:
            config = dataclasses.replace(config, seed=seed)
        return config


@dataclass(frozen=True)
class SelectionGrid:
    """Values per axis of the candidate grid.

    The default grid has 3 hidden sizes x 3 weight decays x (3 frozen
    features + fine-tuned mean) = 36 candidates per vector source.

    Attributes:
        hidden_sizes: Hidden units; 0 is logistic regression on the features.
        weight_decays: AdamW weight decays. With the default learning rate of
            0.01 and 200 full-batch epochs, 0.001 leaves an unused weight
            nearly unchanged, 1.0 shrinks it to 13% of its start and 10.0
            (the classifier default) to zero.
        features: Sentence features.
        fine_tune: ``False`` for frozen vectors, ``True`` for fine-tuned ones
            (crossed with the ``"mean"`` feature only).
    """

    hidden_sizes: tuple[int, ...] = (0, 16, 64)
    weight_decays: tuple[float, ...] = (1e-3, 1.0, 10.0)
    features: tuple[str, ...] = FEATURE_METHODS
    fine_tune: tuple[bool, ...] = (False, True)

    def __post_init__(self):
        for name in ("hidden_sizes", "weight_decays", "features", "fine_tune"):
            values = tuple(getattr(self, name))
            if not values:
                raise ValueError(f"{name} must contain at least one value, got ()")
            if len(set(values)) != len(values):
                raise ValueError(f"{name} contains duplicates: {values}")
            object.__setattr__(self, name, values)
        for value in self.fine_tune:
            if not isinstance(value, bool):
                raise TypeError(f"fine_tune values must be bool, got {value!r}")
        if self.fine_tune == (True,) and "mean" not in self.features:
            raise ValueError(
                "fine_tune=(True,) needs the 'mean' feature, which fine-tuning "
                f"uses, but features are {self.features}; add 'mean'"
            )
        for hidden_size in self.hidden_sizes:
            for weight_decay in self.weight_decays:
                for feature in self.features:
                    Candidate("check", feature, hidden_size, weight_decay)


def build_candidates(
    grid: SelectionGrid, sources: Mapping[str, WordVectors | None] | Sequence[str]
) -> list[Candidate]:
    """List every candidate of ``grid`` for each vector source.

    SIF weighting needs word counts, so a source given as ``WordVectors``
    without counts gets no ``"sif"`` candidates (a warning is logged).

    Args:
        grid: Axis values.
        sources: Vector source names, or a mapping from name to vectors.
    """
    names = list(sources)
    if not names:
        raise ValueError("sources must name at least one vector source")
    candidates = []
    for source in names:
        vectors = sources.get(source) if isinstance(sources, Mapping) else None
        features = list(grid.features)
        if (
            "sif" in features
            and vectors is not None
            and (vectors.counts is None or not np.any(vectors.counts))
        ):
            logger.warning(
                "vectors %r carry no word counts (or only zeros), which SIF "
                "needs; skipping their sif candidates. word2vec and GloVe files "
                "store no counts (CLI: --pretrain or --gensim train vectors "
                "that have them, and so does an SGNS model from `embedsent "
                "pretrain --save-model` given to --vectors)",
                source,
            )
            features.remove("sif")
        for fine_tune in grid.fine_tune:
            for feature in features:
                if fine_tune and feature != "mean":
                    continue
                for hidden_size in grid.hidden_sizes:
                    for weight_decay in grid.weight_decays:
                        candidates.append(
                            Candidate(
                                source, feature, hidden_size, weight_decay, fine_tune
                            )
                        )
    return candidates


@dataclass(frozen=True)
class CandidateScore:
    """Cross-validated accuracy of one candidate.

    Attributes:
        candidate: The configuration scored.
        mean: Mean of the per-repetition accuracies.
        low: Lower end of the 95% interval of ``mean``.
        high: Upper end of that interval. It is the Wilson score interval of
            ``mean`` over the texts validated in one repetition, so it covers
            the sampling noise of the few labeled texts, which repeating the
            splits cannot reduce, but not the variation between training sets.
        repeat_accuracies: Pooled validation accuracy of each repetition.
        text_accuracies: Per labeled text, the share of its validations that
            were correct; NaN for a text never validated.
    """

    candidate: Candidate
    mean: float
    low: float
    high: float
    repeat_accuracies: tuple[float, ...]
    text_accuracies: np.ndarray = dataclasses.field(repr=False, compare=False)

    def to_dict(self) -> dict:
        return {
            "name": self.candidate.name,
            **dataclasses.asdict(self.candidate),
            "mean": self.mean,
            "low": self.low,
            "high": self.high,
            "repeat_accuracies": list(self.repeat_accuracies),
        }


@dataclass(frozen=True)
class SelectionResult:
    """Every candidate's score, best first.

    Ties on the mean go to the simpler head: smaller hidden size, then larger
    weight decay, then grid order.

    Attributes:
        scores: One score per candidate, ranked.
        scheme: Cross-validation scheme, see ``cross_validation_plan``.
        folds: Splits per repetition.
        repeats: Repetitions.
        n_texts: Labeled texts cross-validated.
        seed: Seed of the splits and of the classifiers.
        seconds: Wall-clock time of the selection.
    """

    scores: tuple[CandidateScore, ...]
    scheme: str
    folds: int
    repeats: int
    n_texts: int
    seed: int
    seconds: float

    @property
    def winner(self) -> CandidateScore:
        return self.scores[0]

    @property
    def runner_up(self) -> CandidateScore | None:
        return self.scores[1] if len(self.scores) > 1 else None

    def margin(self) -> dict | None:
        """Return how far the winner leads the runner-up, paired by text.

        Each validated text contributes the difference between its two
        ``text_accuracies``. The interval is the Student t interval of their
        mean, so texts both candidates get right or wrong count as zero.

        Returns:
            ``{"mean_difference", "low", "high", "n"}``, or None with fewer
            than 2 candidates. ``low`` and ``high`` are None when every text
            has the same difference, such as two candidates that agree on
            every text, because a t interval needs a spread.
        """
        # Imported here because these modules import SciPy, and the command
        # line's parser reads SelectionGrid's defaults from this module.
        from embedsent.evaluate import mean_interval
        from embedsent.stats import has_spread

        runner_up = self.runner_up
        if runner_up is None:
            return None
        differences = self.winner.text_accuracies - runner_up.text_accuracies
        differences = differences[~np.isnan(differences)]
        mean, low, high = mean_interval(differences)
        if not has_spread(differences):
            low = high = None
        return {
            "mean_difference": mean,
            "low": low,
            "high": high,
            "n": int(differences.size),
        }

    def to_dict(self) -> dict:
        return {
            "scheme": self.scheme,
            "folds": self.folds,
            "repeats": self.repeats,
            "n_texts": self.n_texts,
            "seed": self.seed,
            "seconds": self.seconds,
            "winner": self.winner.to_dict(),
            "runner_up": None if self.runner_up is None else self.runner_up.to_dict(),
            "margin": self.margin(),
            "scores": [score.to_dict() for score in self.scores],
        }

    def format_table(self, top: int = 10) -> str:
        """Return the ``top`` candidates as a plain-text table, in percent."""
        lines = [f"{'rank':>4}  {'candidate':<36} {'CV accuracy (95% interval)':>28}"]
        for rank, score in enumerate(self.scores[:top], start=1):
            interval = (
                f"{100 * score.mean:5.1f} [{100 * score.low:5.1f}, "
                f"{100 * score.high:5.1f}]"
            )
            lines.append(f"{rank:>4}  {score.candidate.name:<36} {interval:>28}")
        if len(self.scores) > top:
            lines.append(f"      ... {len(self.scores) - top} more")
        return "\n".join(lines)
