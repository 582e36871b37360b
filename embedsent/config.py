"""Frozen, validated configuration objects for every stage of the pipeline.

Each config checks its own values in ``__post_init__`` so that a bad value is
rejected where the user wrote it, with the parameter name, the value received
and what is allowed. Derived quantities (vocabulary size, number of classes)
are passed to the code that needs them as arguments; configs never change.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields
from typing import Any

import numpy as np

__all__ = [
    "TextConfig",
    "VocabConfig",
    "SGNSConfig",
    "ClassifierConfig",
    "config_from_dict",
    "check_config_type",
]


def _plain_numbers(config: Any) -> None:
    """Store the NumPy number fields of a frozen ``config`` as int and float.

    Parameter grids built with arrays pass NumPy scalars such as
    ``np.int64(3)``. An integer scalar in an int or float field becomes an
    int, and a floating scalar in a float field becomes a float, so that the
    config is JSON-serialisable and equal to one built from Python numbers.
    Other NumPy values, such as ``np.float64(3.0)`` in an int field or
    ``np.bool_``, stay as they are for the checks to reject.
    """
    for field in fields(config):
        value = getattr(config, field.name)
        # The annotation is a string such as "int | None", because the
        # modules that define configs use ``from __future__ import annotations``.
        annotation = str(field.type)
        numeric = "int" in annotation or "float" in annotation
        if isinstance(value, np.integer) and numeric:
            object.__setattr__(config, field.name, int(value))
        elif isinstance(value, np.floating) and "float" in annotation:
            object.__setattr__(config, field.name, float(value))


def _check_int(name: str, value: Any, minimum: int, maximum: int | None = None):
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(
            f"{name} must be an int, got {value!r} ({type(value).__name__})"
        )
    if value < minimum or (maximum is not None and value > maximum):
        upper = "" if maximum is None else f" and <= {maximum}"
        raise ValueError(f"{name} must be >= {minimum}{upper}, got {value}")


def _check_float(
    name: str,
    value: Any,
    minimum: float,
    maximum: float | None = None,
    *,
    inclusive_min: bool = True,
):
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(
            f"{name} must be a number, got {value!r} ({type(value).__name__})"
        )
    if not math.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value}")
    too_low = value < minimum if inclusive_min else value <= minimum
    if too_low or (maximum is not None and value > maximum):
        lower = ">=" if inclusive_min else ">"
        upper = "" if maximum is None else f" and <= {maximum}"
        raise ValueError(f"{name} must be {lower} {minimum}{upper}, got {value}")


# Training computes in float32. Every value up to FLOAT32_MAX casts to a
# finite float32, and every value from FLOAT32_SMALLEST_POSITIVE up to a
# nonzero one.
FLOAT32_MAX = float(np.finfo(np.float32).max)
FLOAT32_SMALLEST_POSITIVE = float(np.finfo(np.float32).smallest_subnormal)
# The effect of weight_decay=0, for the message that rejects a nonzero weight
# decay that rounds to 0 in float32.
WEIGHT_DECAY_ZERO_MEANS = "turns weight decay off"


def _check_float32(
    name: str, value: float, *, positive: bool = False, zero_means: str = ""
):
    """Raise ValueError if ``value`` overflows float32.

    With ``positive``, also raise if ``value`` rounds to 0 in float32. With
    ``zero_means``, the effect of 0 on a field where 0 is valid (such as
    "turns weight decay off"), raise if a nonzero ``value`` rounds to 0, so
    that it does not act as 0 without a sign. Messages show ``value`` with
    ``str``, which prints a float as it is typed, such as 1e-320, where
    ``:g`` would print the float64 subnormal as 9.99989e-321.
    """
    # The cast is the check itself, so numpy's overflow warning is silenced.
    with np.errstate(over="ignore"):
        cast = np.float32(value)
    if np.isinf(cast):
        raise ValueError(
            f"{name} must be at most {FLOAT32_MAX:.8g} because training computes "
            f"in float32, got {value}"
        )
    if positive and cast == 0:
        raise ValueError(
            f"{name} must be at least {FLOAT32_SMALLEST_POSITIVE:.2g} because "
            f"training computes in float32, where it would round to 0, got {value}"
        )
    if zero_means and value != 0 and cast == 0:
        raise ValueError(
            f"{name} must be 0, which {zero_means}, or at least "
            f"{FLOAT32_SMALLEST_POSITIVE:.2g} because training computes in "
            f"float32, where it would round to 0, got {value}"
        )


def check_decay_per_step(learning_rate: float, weight_decay: float) -> None:
    """Raise ValueError unless ``learning_rate * weight_decay`` is below 1.

    AdamW multiplies the weight matrices by ``1 - learning_rate *
    weight_decay`` each step; at 1 or above that zeroes them or flips their
    sign every step.
    """
    decay_per_step = learning_rate * weight_decay
    if decay_per_step >= 1.0:
        raise ValueError(
            f"learning_rate * weight_decay is {decay_per_step:g} "
            f"(learning_rate={learning_rate:g}, weight_decay={weight_decay:g}), but "
            "AdamW multiplies the weights by (1 - learning_rate * weight_decay) "
            "each step, so it must be below 1; lower learning_rate below "
            f"{1 / weight_decay:g} or weight_decay below {1 / learning_rate:g}"
        )


def _check_bool(config: Any, name: str):
    """Check the bool field ``name`` of ``config`` and store it as a Python bool.

    NumPy booleans, which parameter grids built with arrays pass, become
    ``True`` or ``False``.
    """
    value = getattr(config, name)
    if isinstance(value, np.bool_):
        value = bool(value)
        object.__setattr__(config, name, value)
    if not isinstance(value, bool):
        raise TypeError(f"{name} must be True or False, got {value!r}")


def _article(name: str) -> str:
    # Class names are read letter by letter where they start with an
    # abbreviation: "an SGNSConfig", "a TextConfig".
    return "an" if name[0] in "AEFHILMNORSX" else "a"


def check_config_type(
    name: str, value: Any, expected: type, swapped: dict[type, str] | None = None
) -> None:
    """Raise TypeError unless ``value`` is an ``expected`` config or None.

    Args:
        name: The parameter that received ``value``, such as ``"sgns_config"``.
        value: The argument passed.
        expected: The config class the parameter takes.
        swapped: The other config parameters of the same call, by class, such
            as ``{VocabConfig: "vocab_config"}``; receiving one of these
            classes suggests that two arguments were swapped.
    """
    if value is None or isinstance(value, expected):
        return
    received = type(value).__name__
    message = (
        f"{name} must be {_article(expected.__name__)} {expected.__name__}, "
        f"got {received}"
    )
    other = (swapped or {}).get(type(value))
    if other is not None:
        message += f"; did you swap {name} and {other}?"
    elif isinstance(value, dict):
        message += f"; build one from the dict with {expected.__name__}(**d)"
    else:
        message += (
            f"; build one with embedsent.config.{expected.__name__}(...) or pass None "
            "for the defaults"
        )
    raise TypeError(message)


# Upper limits of SGNSConfig's counts. The command line applies the same ones
# to its flags. Above them a value is most likely a typo such as 10**12, which
# would run for days or fail deep inside NumPy or JAX while allocating.
MAX_SGNS_DIM = 10_000
MAX_SGNS_WINDOW = 100
MAX_SGNS_NEGATIVE = 100
MAX_SGNS_EPOCHS = 10_000
MAX_SGNS_BATCH_SIZE = 65_536
# Noise words one group of centers may share: 100 times the largest negative.
MAX_SGNS_SHARED_NEGATIVES = 10_000
MAX_SGNS_STEPS_PER_CALL = 10_000
MAX_SGNS_N_DEVICES = 4096
SGNS_BOUND_REASONS = {
    "epochs": "each epoch is one pass over every pretraining text",
    "batch_size": "a larger batch needs more memory per step and makes fewer "
    "updates per epoch",
    "shared_negatives": "each center's pairs are scored against every shared "
    "noise word, so memory per step grows with it",
    "negative_group": "negative_group divides batch_size",
    "steps_per_call": "each compiled call holds the ids of "
    "batch_size * steps_per_call centers",
}


def _check_sgns_int(name: str, value: Any, minimum: int, maximum: int) -> None:
    """Check an SGNSConfig count, explaining its upper limit."""
    _check_int(name, value, minimum)
    if value > maximum:
        reason = SGNS_BOUND_REASONS.get(name)
        because = f" because {reason}" if reason else ""
        raise ValueError(
            f"{name} must be <= {maximum}{because}, got {value}; pass a value from "
            f"{minimum} to {maximum}"
        )


# Roles of the word of a skip-gram pair whose input vector is trained
# (SGNSConfig.input_role).
INPUT_ROLES = ("center", "context")


# Scaling modes of a classifier's input features, applied before training:
#   "global"  subtracts each feature's mean and divides every feature by one
#             common standard deviation, so the relative lengths of the
#             directions of the vector space are kept;
#   "feature" divides each feature by its own standard deviation;
#   "none"    leaves the features as given.
STANDARDIZE_MODES = ("global", "feature", "none")

# Sentence-vector weightings of embedsent.features.SentenceEncoder: the plain
# mean, the IDF-weighted mean and SIF. The command line offers them too, so
# they are defined here, in a module that imports neither SciPy nor JAX.
FEATURE_METHODS = ("mean", "tfidf", "sif")


def standardize_mode(name: str, value: Any) -> str:
    """Return the scaling mode that ``value`` names.

    ``True`` and ``False`` are the old spellings of ``"feature"`` and
    ``"none"``; accepting them keeps saved models loadable.
    """
    # NumPy booleans come from parameter grids built with arrays.
    if isinstance(value, bool | np.bool_):
        return "feature" if value else "none"
    if isinstance(value, str) and value in STANDARDIZE_MODES:
        return value
    raise ValueError(
        f"{name} must be one of {', '.join(map(repr, STANDARDIZE_MODES))} "
        f"(True and False mean 'feature' and 'none'), got {value!r}"
    )


@dataclass(frozen=True)
class TextConfig:
    """Text normalisation and tokenisation settings.

    Attributes:
        lowercase: Lowercase the text before tokenising.
        strip_html: Replace HTML tags such as ``<br />`` with spaces and decode
            entities such as ``&amp;``.
        normalize_negations: Rewrite the clitic ``n't`` as the token ``not``
            (``don't`` becomes ``do not``).
        remove_stopwords: Drop words in the shipped English stopword list.
        keep_negations: Keep ``not``, ``no``, ``nor`` and ``never`` even when
            ``remove_stopwords`` is on, so "not good" differs from "good".
        remove_punctuation: Drop tokens made only of punctuation. Emoticons
            such as ``:)`` and ``<3`` are kept.
        keep_emoji: Keep emoji and emoticon tokens.
        min_token_length: Drop word tokens shorter than this many characters
            (emoji and emoticons are exempt).
    """

    lowercase: bool = True
    strip_html: bool = True
    normalize_negations: bool = True
    remove_stopwords: bool = True
    keep_negations: bool = True
    remove_punctuation: bool = True
    keep_emoji: bool = True
    min_token_length: int = 1

    def __post_init__(self):
        _plain_numbers(self)
        for field in fields(self):
            if field.type == "bool":
                _check_bool(self, field.name)
        _check_int("min_token_length", self.min_token_length, 1, 100)


@dataclass(frozen=True)
class VocabConfig:
    """Vocabulary construction settings.

    Attributes:
        min_count: Drop tokens seen fewer than this many times.
        max_vocab_size: Keep at most this many of the most frequent tokens
            (``None`` keeps all that pass ``min_count``).
        sample: word2vec's frequent-word subsampling threshold; 0 disables
            subsampling.
        noise_power: Exponent applied to counts for the negative-sampling
            noise distribution (0.75 in word2vec).
    """

    min_count: int = 5
    max_vocab_size: int | None = None
    sample: float = 1e-3
    noise_power: float = 0.75

    def __post_init__(self):
        _plain_numbers(self)
        _check_int("min_count", self.min_count, 1)
        if self.max_vocab_size is not None:
            _check_int("max_vocab_size", self.max_vocab_size, 1)
        _check_float("sample", self.sample, 0.0, 1.0)
        _check_float("noise_power", self.noise_power, 0.0, 1.0)


@dataclass(frozen=True)
class SGNSConfig:
    """Skip-gram negative sampling training settings (Mikolov et al., 2013).

    Attributes:
        dim: Word vector dimension.
        window: Maximum distance between a center word and a context word. The
            effective window of each center is drawn uniformly from
            ``1..window`` as in word2vec.
        negative: Noise words per (center, context) pair.
        epochs: Passes over the corpus.
        alpha: Initial learning rate.
        min_alpha: Final learning rate; the rate decays linearly from
            ``alpha`` to ``min_alpha`` over all epochs.
        batch_size: Center words per step.
        shared_negatives: Noise words drawn once per group of
            ``negative_group`` centers and shared by all their (center,
            context) pairs; ``None`` uses ``negative``. Their gradient is
            scaled so that each pair still receives the pull of ``negative``
            noise words on average.
        negative_group: Centers that share one set of noise words. With the
            default, each center draws ``negative`` noise words for its whole
            window. On IMDB (partial) that ran 1.8 times as fast per step as
            groups of 4 sharing 32 words, and the downstream accuracies of the
            two agreed within their 10-draw intervals (docs/benchmarks.md).
        steps_per_call: Steps run inside one compiled call.
        repeat_damping: Exponent ``p`` of the update damping. A table row
            that occurs ``c`` times among one step's updates gets their sum
            divided by ``c**p``, because a batch computes all ``c`` from the
            same stale row where sequential SGD would apply them one at a
            time. 0 applies the plain sum. With 0.5 the vectors' sentiment
            accuracy matched that of batches of 8 centers within the spread
            of pretraining seeds, at nearly the speed of undamped batches of
            256 (docs/benchmarks.md).
        add_context_vectors: Give each word the sum of its input vector and
            its output (context) vector instead of the input vector alone.
            Training is the same either way. The sum scored 0.6 to 1.1
            points higher in sentiment accuracy with 8 to 128 labels in
            validation on held-out IMDB training texts (two pretraining
            seeds), and higher on
            SimLex-999 but lower on WordSim353 (docs/benchmarks.md). The
            gensim baseline ignores it and keeps gensim's input vectors,
            which scored higher than gensim's sum.
        input_role: Which word of a (center, context) pair trains its input
            vector. ``"center"`` draws the noise words once per center and
            shares them over its window. ``"context"`` is the assignment of
            word2vec's C code and gensim: the context word's input vector is
            scored against the center's output vector, and each context
            position draws its own noise words in place of the center. It
            needs ``negative_group`` 1. On IMDB (partial) it trained about
            1.7 times as slowly, and its sentiment accuracy with 8 to 128
            labels was within 0.2 points of the default's
            (docs/benchmarks.md).
        seed: Seed for every random choice: initialisation, subsampling,
            windows and noise words.
        n_devices: Devices to train on, data-parallel. 0 uses every device
            JAX lists, which in a multi-process run means every device of
            every process. Each step then covers ``n_devices`` batches.
        max_memory_gb: Refuse to allocate the two embedding tables when they
            would need more than this many GiB, and refuse to train when the
            buffers of one compiled call on one device would
            (``embedsent.trainer.check_step_memory``).
    """

    dim: int = 100
    window: int = 5
    negative: int = 5
    epochs: int = 5
    alpha: float = 0.025
    min_alpha: float = 0.0001
    batch_size: int = 256
    shared_negatives: int | None = None
    negative_group: int = 1
    steps_per_call: int = 128
    repeat_damping: float = 0.5
    add_context_vectors: bool = True
    input_role: str = "center"
    seed: int = 0
    n_devices: int = 1
    max_memory_gb: float = 8.0

    def __post_init__(self):
        _plain_numbers(self)
        _check_int("dim", self.dim, 1, MAX_SGNS_DIM)
        _check_int("window", self.window, 1, MAX_SGNS_WINDOW)
        _check_int("negative", self.negative, 1, MAX_SGNS_NEGATIVE)
        _check_sgns_int("epochs", self.epochs, 1, MAX_SGNS_EPOCHS)
        _check_float("alpha", self.alpha, 0.0, inclusive_min=False)
        _check_float32("alpha", self.alpha, positive=True)
        _check_float("min_alpha", self.min_alpha, 0.0)
        _check_float32("min_alpha", self.min_alpha)
        if self.min_alpha > self.alpha:
            raise ValueError(
                f"min_alpha ({self.min_alpha}) must not exceed alpha ({self.alpha})"
            )
        _check_sgns_int("batch_size", self.batch_size, 1, MAX_SGNS_BATCH_SIZE)
        if self.shared_negatives is not None:
            _check_sgns_int(
                "shared_negatives",
                self.shared_negatives,
                1,
                MAX_SGNS_SHARED_NEGATIVES,
            )
        _check_sgns_int("negative_group", self.negative_group, 1, MAX_SGNS_BATCH_SIZE)
        if self.batch_size % self.negative_group:
            raise ValueError(
                f"batch_size ({self.batch_size}) must be a multiple of "
                f"negative_group ({self.negative_group})"
            )
        _check_sgns_int(
            "steps_per_call", self.steps_per_call, 1, MAX_SGNS_STEPS_PER_CALL
        )
        _check_float("repeat_damping", self.repeat_damping, 0.0, 1.0)
        _check_bool(self, "add_context_vectors")
        if self.input_role not in INPUT_ROLES:
            raise ValueError(
                f"input_role must be one of {', '.join(map(repr, INPUT_ROLES))}, "
                f"got {self.input_role!r}"
            )
        if self.input_role == "context" and self.negative_group != 1:
            raise ValueError(
                "input_role 'context' draws noise words per context position, "
                f"so negative_group must be 1, got {self.negative_group}"
            )
        _check_int("seed", self.seed, 0, 2**32 - 1)
        _check_int("n_devices", self.n_devices, 0, MAX_SGNS_N_DEVICES)
        _check_float("max_memory_gb", self.max_memory_gb, 0.0, inclusive_min=False)


@dataclass(frozen=True)
class ClassifierConfig:
    """One-hidden-layer classifier settings.

    Attributes:
        hidden_size: Units in the hidden layer; 0 gives logistic regression.
        activation: ``"relu"`` or ``"tanh"``.
        learning_rate: Adam learning rate.
        weight_decay: Decoupled weight decay (AdamW) on the weight matrices.
            Each step shrinks them by ``learning_rate * weight_decay``, 10% at
            the defaults, which keeps the weights small however few the
            labels. The default 10 scored best among 0.001 to 30 in validation
            on the IMDB training texts left out of each draw, for n = 8 to
            2,048 (docs/benchmarks.md). 0 turns decay off, and a nonzero
            value must be at least 1.4e-45, the smallest positive float32.
        epochs: Passes over the labeled set.
        batch_size: Examples per step; ``None`` trains on the whole set at once.
        dropout: Dropout rate on the input features during training.
        standardize: Scaling of the input features, with statistics of
            the training set. ``"global"`` centres each feature and divides
            all of them by one common standard deviation; ``"feature"``
            divides each by its own; ``"none"`` leaves them as given.
            ``True``/``False`` read as ``"feature"``/``"none"``. The default
            ``"global"`` measured 0.1 to 0.8 points above ``"feature"`` at
            8 to 128 labels in validation on the IMDB training texts left
            out of each draw, and within 0.2 points from 512 labels on:
            standard deviations from a handful of texts are noisy, and
            dividing by them stretches directions the word vectors give
            little variance. Features measured in different units, such as
            tabular columns, want ``"feature"``.
        seed: Seed for initialisation, shuffling and dropout.
    """

    hidden_size: int = 64
    activation: str = "relu"
    learning_rate: float = 1e-2
    weight_decay: float = 10.0
    epochs: int = 200
    batch_size: int | None = None
    dropout: float = 0.0
    standardize: str = "global"
    seed: int = 0

    def __post_init__(self):
        _plain_numbers(self)
        _check_int("hidden_size", self.hidden_size, 0, 100_000)
        if self.activation not in ("relu", "tanh"):
            raise ValueError(
                f"activation must be 'relu' or 'tanh', got {self.activation!r}"
            )
        _check_float("learning_rate", self.learning_rate, 0.0, inclusive_min=False)
        _check_float32("learning_rate", self.learning_rate, positive=True)
        _check_float("weight_decay", self.weight_decay, 0.0)
        _check_float32(
            "weight_decay", self.weight_decay, zero_means=WEIGHT_DECAY_ZERO_MEANS
        )
        check_decay_per_step(self.learning_rate, self.weight_decay)
        _check_int("epochs", self.epochs, 1)
        if self.batch_size is not None:
            _check_int("batch_size", self.batch_size, 1)
        _check_float("dropout", self.dropout, 0.0, 0.95)
        object.__setattr__(
            self, "standardize", standardize_mode("standardize", self.standardize)
        )
        _check_int("seed", self.seed, 0, 2**32 - 1)


def config_to_dict(config) -> dict[str, Any]:
    """Return a JSON-ready dict of a config."""
    return asdict(config)


def config_from_dict(cls, values: dict[str, Any]):
    """Build ``cls`` from a dict, rejecting unknown keys by name."""
    known = {field.name for field in fields(cls)}
    unknown = sorted(set(values) - known)
    if unknown:
        raise ValueError(
            f"unknown {cls.__name__} fields {unknown}; known fields are {sorted(known)}"
        )
    return cls(**values)
