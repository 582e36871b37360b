"""A one-hidden-layer softmax classifier trained with JAX and optax.

``MLPClassifier`` follows the scikit-learn estimator conventions (``fit``,
``predict``, ``predict_proba``, ``score``, trailing-underscore attributes) and is
configured by :class:`embedsent.config.ClassifierConfig`. With
``hidden_size=0`` it is multinomial logistic regression.

Training minimises the mean softmax cross-entropy with AdamW
(``optax.adamw``), whose decoupled weight decay applies to the weight matrices
only, not to the biases. A whole fit, every epoch and every mini-batch, runs
inside one compiled call. The compiled function is shared by all instances and
is reused by any later fit with the same data shape, hidden size, class count,
activation, epoch count, batch size and dropout on or off. Learning rate,
weight decay, dropout rate and seed are traced values, so changing them does
not recompile.

Prediction runs in NumPy float64 on the stored parameters, so it needs no
compilation and a model restored with :meth:`MLPClassifier.from_state` gives
the same outputs as the model that was saved.
"""

from __future__ import annotations

import logging
import math
import numbers
import time
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence, Set
from dataclasses import asdict
from functools import partial
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import optax
from numpy.typing import ArrayLike

from embedsent.config import ClassifierConfig, config_from_dict, standardize_mode
from embedsent.storage import InvalidStateError

__all__ = [
    "ClassifierDiverged",
    "MLPClassifier",
    "NotFittedError",
    "check_label_types",
    "check_one_label_kind",
]

logger = logging.getLogger(__name__)

# A feature whose training standard deviation is at most this fraction of
# max(1, |mean|) is treated as constant and gets scale 1, as scikit-learn's
# StandardScaler does for zero variance. Dividing by a tiny std would blow up
# any test value that differs from the constant. The fraction is about the
# float32 resolution (1.2e-7), below which the spread is rounding noise.
_CONSTANT_FEATURE_RTOL = 1e-7

# Training has diverged when an epoch's mean cross-entropy exceeds the
# untrained model's by more than this many nats per text. The weight decay is
# applied outside the loss, so it adds nothing to these losses. The highest
# epoch loss was 120 on IMDB mean vectors, over dim 100 and 300, 8 to 2,000
# texts, hidden size 0 to 256, learning rate 0.001 to 0.1 and weight decay
# 0.001 to 30. Fine-tuning from random vectors peaked at 490. Learning rate
# 1000 with no decay peaked at 400 to above 1e7. Every epoch is checked, because the
# logits stay huge when the loss later falls back to 0.
# NOTE: a diverging run whose loss never rises passes. Without a hidden layer,
# 8 texts of 300 features at learning rate 1000 went from 0.83 straight to 0.
_DIVERGED_LOSS_RISE = 1000.0

_STATE_FORMAT = "embedsent.MLPClassifier"
_STATE_VERSION = 1
_STATE_META_KEYS = {
    "format",
    "version",
    "config",
    "classes",
    "class_types",
    "n_features_in",
    "loss_curve",
}

# Label types that get_state can write to JSON and from_state can restore,
# keyed by the name stored in the metadata.
_LABEL_TYPES: dict[str, type] = {"str": str, "int": int, "float": float, "bool": bool}


class ClassifierDiverged(FloatingPointError):
    """Raised when classifier training diverges.

    Training has diverged when the loss or a weight becomes NaN or infinite, or
    when an epoch's loss rises far above the loss of the untrained model.

    Attributes:
        reason: What went wrong, such as ``the loss became nan at epoch 3``.
        learning_rate: The learning rate of the failed fit.
        parameter: The name of the setting to lower, ``learning_rate`` unless
            another rate is the likelier cause.
    """

    def __init__(
        self, reason: str, learning_rate: float, parameter: str = "learning_rate"
    ) -> None:
        super().__init__(
            f"training diverged: {reason}; lower {parameter} (got {learning_rate})"
        )
        self.reason = reason
        self.learning_rate = learning_rate
        self.parameter = parameter


class NotFittedError(ValueError):
    """Raised when a method that needs a fitted model is called before ``fit``."""


# ---------------------------------------------------------------------------
# Input validation
# ---------------------------------------------------------------------------


def _as_feature_matrix(X: ArrayLike, *, allow_empty: bool) -> np.ndarray:
    """Convert ``X`` to a finite float64 matrix of shape (n, d) or raise."""
    if X is None:
        # np.asarray(None) is a 0-d object array, which the dtype check below
        # would report as "dtype object".
        raise TypeError(
            "X must be an array of features of shape (n_samples, n_features), "
            "got None; pass the feature matrix, e.g. a list of equal-length rows"
        )
    if hasattr(X, "toarray"):
        raise TypeError(
            f"X is a sparse matrix ({type(X).__name__}); MLPClassifier needs a "
            "dense array: pass X.toarray()"
        )

    try:
        array = np.asarray(X)
    except ValueError as error:
        raise ValueError(
            f"X could not be converted to a 2-D array ({error}); pass a list of "
            "equal-length rows or an array of shape (n_samples, n_features)"
        ) from error
    if array.dtype.kind not in "biuf":
        raise TypeError(
            f"X must contain real numbers, got dtype {array.dtype}; convert the "
            "features to floats first"
        )
    if array.ndim != 2:
        raise ValueError(
            f"X must be 2-D with shape (n_samples, n_features), got shape "
            f"{array.shape}; use X.reshape(1, -1) for a single example or "
            "X.reshape(-1, 1) for a single feature"
        )

    n_rows, n_features = array.shape
    if n_rows == 0 and not allow_empty:
        raise ValueError(
            f"X is empty (shape {array.shape}); fit needs at least one example "
            "of each of at least two classes"
        )
    if n_features == 0:
        raise ValueError(
            f"X has no features (shape {array.shape}); pass at least one column"
        )

    array = array.astype(np.float64, copy=False)
    finite = np.isfinite(array)
    if not finite.all():
        row, column = np.argwhere(~finite)[0]
        raise ValueError(
            f"X contains {array[row, column]} at row {row}, column {column}; "
            "remove or impute the non-finite values first"
        )
    return array


def _label_list(y: Sequence[Hashable]) -> list[Hashable]:
    """Return ``y`` as a list of labels, rejecting multi-column label arrays."""
    if isinstance(y, str | bytes):
        raise TypeError(
            f"y must be a sequence of labels, got a single {type(y).__name__} "
            f"{y!r}; pass one label per row, e.g. a list of strings"
        )
    if isinstance(y, Set | Mapping):
        raise TypeError(
            f"y must be a sequence of labels, got a {type(y).__name__}, whose "
            "order is not the order of the rows of X; pass a list with one label "
            "per row"
        )
    if isinstance(y, np.ndarray) and y.ndim != 1:
        raise ValueError(
            f"y must be 1-D with one label per row, got shape {y.shape}; for "
            "one-hot labels pass y.argmax(axis=1)"
        )
    try:
        return list(y)
    except TypeError as error:
        raise TypeError(
            f"y must be a sequence of labels, got {type(y).__name__}; pass one "
            "label per row, e.g. a list"
        ) from error


def _encode_labels(labels: list[Hashable]) -> tuple[list[Hashable], np.ndarray]:
    """Return (classes, class index of each label) for the labels of ``fit``.

    Classes are sorted when the labels are mutually comparable, else kept in
    order of first appearance.
    """
    first_seen: dict[Hashable, int] = {}
    for position, label in enumerate(labels):
        try:
            hash(label)
        except TypeError as error:
            raise TypeError(
                f"y[{position}] = {label!r} is unhashable ({type(label).__name__}); "
                "labels must be hashable, such as str or int: convert each label, "
                "e.g. a list to a tuple or a string"
            ) from error
        if isinstance(label, float | np.floating) and math.isnan(label):
            raise ValueError(
                f"y[{position}] is NaN; NaN is not equal to itself so it cannot "
                "be a class label: drop the row or give it a real label"
            )
        if label is None:
            raise ValueError(
                f"y[{position}] is None; give every example a label, or drop the "
                "unlabeled ones"
            )
        first = first_seen.setdefault(label, position)
        if first != position and _label_type_name(labels[first]) != _label_type_name(
            label
        ):
            raise ValueError(
                f"y[{first}] = {labels[first]!r} and y[{position}] = {label!r} are "
                "equal in Python, so they would merge into one class; use one "
                "type for each class, e.g. all str or all int"
            )
    classes = [labels[position] for position in first_seen.values()]
    as_text: dict[str, Hashable] = {}
    for label in classes:
        # Predictions are written as JSON, where 1, 1.0, True and "1" would
        # become the same key or the same value.
        key = str(label)
        if isinstance(label, float | np.floating) and float(label).is_integer():
            key = str(int(label))
        if key in as_text:
            raise ValueError(
                f"labels {as_text[key]!r} and {label!r} would be written the same "
                "way; use one spelling and type for each class"
            )
        as_text[key] = label
    try:
        classes = sorted(classes)
    except TypeError:
        logger.debug("labels are not mutually comparable; using first-seen order")
    if len(classes) < 2:
        only = repr(classes[0]) if classes else "(none)"
        raise ValueError(
            f"y has only one class {only}; a classifier needs at least two "
            "classes: add examples of another class"
        )
    index = {label: position for position, label in enumerate(classes)}
    encoded = np.fromiter((index[label] for label in labels), np.int32, len(labels))
    return classes, encoded


def _label_type_name(label: Hashable) -> str | None:
    """Return the JSON label type name of ``label``, or None if unsupported."""
    # bool before int because bool is a subclass of int.
    if isinstance(label, bool | np.bool_):
        return "bool"
    if isinstance(label, int | np.integer):
        return "int"
    if isinstance(label, float | np.floating):
        return "float"
    if isinstance(label, str):
        return "str"
    return None


def _unsupported_label_message(subject: str, label: object) -> str:
    """Return the error for ``label``, which a saved model cannot store.

    ``subject`` names the label, such as "y[3] = (1, 2)".
    """
    return (
        f"{subject} has type {type(label).__name__}, which cannot be saved "
        "because saved models store labels as JSON; supported label types are "
        "str, int, float and bool: map the labels to one of them before fit"
    )


def check_label_types(labels: Iterable[Hashable], name: str) -> None:
    """Raise for labels of ``fit`` that a saved model could not store.

    The rule is the one of :meth:`MLPClassifier.get_state`: each label is a
    str, int, float or bool, or a NumPy scalar of these. str labels may not
    be mixed with other labels either (see :func:`check_one_label_kind`).
    None and NaN labels are left to the fit's own check, which names their
    position. ``name`` names the labels in messages, such as "y".

    Raises:
        ValueError: If str labels are mixed with numbers or bytes.
        TypeError: If a label has another type.
    """
    labels = list(labels)
    present = [label for label in labels if not _is_missing_label(label)]
    check_one_label_kind(present, name)
    for position, label in enumerate(labels):
        if label is not None and _label_type_name(label) is None:
            subject = f"{name}[{position}] = {label!r}"
            raise TypeError(_unsupported_label_message(subject, label))


def _is_missing_label(label: Hashable) -> bool:
    if isinstance(label, float | np.floating):
        return math.isnan(label)
    return label is None


def check_one_label_kind(labels: Sequence[Hashable], name: str) -> None:
    """Raise ValueError when ``labels`` mixes str labels with numbers or bytes.

    numpy turns a list such as ``[1, "pos"]`` into the strings ``"1"`` and
    ``"pos"``, so predictions of a scikit-learn estimator would come back as
    ``"1"``, not ``1``, and ``b"pos"`` would merge with ``"pos"``.
    """
    text = next((label for label in labels if isinstance(label, str)), None)
    if text is None:
        return
    other = next(
        (
            label
            for label in labels
            if isinstance(label, numbers.Number | np.bool_ | bytes)
        ),
        None,
    )
    if other is None:
        return
    if isinstance(other, bytes):
        became = f"which numpy would turn into the str {other.decode('latin-1')!r}"
        kind = "bytes"
    else:
        became = f"which a numpy array of the labels turns into the str {str(other)!r}"
        kind = "numbers"
    raise ValueError(
        f"{name} mixes str labels such as {text!r} with {kind} such as {other!r}, "
        f"{became}; map every label to one type first"
    )


# NumPy dtype kinds that give back the Python type of each label type.
_DTYPE_KINDS = {"bool": "b", "int": "iu", "float": "f", "str": "U"}


def _classes_array(classes: list[Hashable]) -> np.ndarray:
    """Return the array that ``predict`` indexes to turn class indices into labels.

    Classes of one kind (all str, all int, all float or all bool) give a
    matching NumPy dtype, so ``tolist()`` returns the Python type given to
    ``fit``. Mixed or other types give an object array of the original labels.
    """
    kinds = {_label_type_name(label) for label in classes}
    if len(kinds) == 1 and None not in kinds:
        (kind,) = kinds
        try:
            array = np.asarray(classes)
        except OverflowError:
            array = None
        # Ints beyond int64 and uint64 would come back as floats.
        if array is not None and array.dtype.kind in _DTYPE_KINDS[kind]:
            return array
    array = np.empty(len(classes), dtype=object)
    # Element-wise, so that tuple labels are not broadcast as rows.
    for position, label in enumerate(classes):
        array[position] = label
    return array


# ---------------------------------------------------------------------------
# Model, loss and training (JAX)
# ---------------------------------------------------------------------------

Params = dict[str, dict[str, jax.Array]]


def _activation_function(name: str) -> Callable[[jax.Array], jax.Array]:
    return jax.nn.relu if name == "relu" else jnp.tanh


def _init_params(
    key: jax.Array, n_features: int, hidden_size: int, n_classes: int, activation: str
) -> Params:
    """Draw float32 weights from scaled normals. Biases start at zero.

    The hidden layer uses He scaling, std sqrt(2 / fan_in), for ReLU and
    Glorot scaling, std sqrt(2 / (fan_in + fan_out)), for tanh. The output
    layer uses Glorot scaling.
    """
    hidden_key, output_key = jax.random.split(key)
    params: Params = {}
    fan_in = n_features
    if hidden_size > 0:
        if activation == "relu":
            std = math.sqrt(2.0 / n_features)
        else:
            std = math.sqrt(2.0 / (n_features + hidden_size))
        params["hidden"] = {
            "weights": std
            * jax.random.normal(hidden_key, (n_features, hidden_size), jnp.float32),
            "bias": jnp.zeros(hidden_size, jnp.float32),
        }
        fan_in = hidden_size
    std = math.sqrt(2.0 / (fan_in + n_classes))
    params["output"] = {
        "weights": std
        * jax.random.normal(output_key, (fan_in, n_classes), jnp.float32),
        "bias": jnp.zeros(n_classes, jnp.float32),
    }
    return params


def _decay_mask(params: Params) -> dict[str, dict[str, bool]]:
    """Select the weight matrices, not the biases, for weight decay."""
    return {layer: {"weights": True, "bias": False} for layer in params}


def _logits(params: Params, features: jax.Array, activation: str) -> jax.Array:
    hidden = features
    if "hidden" in params:
        layer = params["hidden"]
        hidden = _activation_function(activation)(
            hidden @ layer["weights"] + layer["bias"]
        )
    return hidden @ params["output"]["weights"] + params["output"]["bias"]


def _batch_loss(
    params: Params,
    features: jax.Array,
    labels: jax.Array,
    weights: jax.Array,
    dropout_key: jax.Array | None,
    dropout: jax.Array,
    activation: str,
) -> jax.Array:
    """Compute the mean cross-entropy over the rows with weight 1.

    Rows with weight 0 are padding that fills the last mini-batch of an epoch.
    With a ``dropout_key``, each input feature is zeroed with probability
    ``dropout`` and the kept ones are scaled by 1 / (1 - dropout), so inference
    needs no rescaling.
    """
    if dropout_key is not None:
        keep = jax.random.bernoulli(dropout_key, 1.0 - dropout, features.shape)
        # ClassifierConfig limits dropout to 0.95, so the divisor is >= 0.05.
        features = jnp.where(keep, features / (1.0 - dropout), 0.0)
    logits = _logits(params, features, activation)
    losses = optax.softmax_cross_entropy_with_integer_labels(logits, labels)
    return jnp.sum(losses * weights) / jnp.sum(weights)


@partial(jax.jit, static_argnames=("activation", "epochs", "batch_size", "use_dropout"))
def _train(
    params: Params,
    features: jax.Array,
    labels: jax.Array,
    key: jax.Array,
    learning_rate: jax.Array,
    weight_decay: jax.Array,
    dropout: jax.Array,
    *,
    activation: str,
    epochs: int,
    batch_size: int | None,
    use_dropout: bool,
) -> tuple[Params, jax.Array]:
    """Run every epoch of training in one compiled call.

    Args:
        params: Initial parameters from ``_init_params``.
        features: Standardized inputs, float32 of shape (n, d).
        labels: Class indices, int32 of shape (n,).
        key: PRNG key for shuffling and dropout.
        learning_rate: Float32 scalar, traced so new values do not recompile.
        weight_decay: Float32 scalar, traced. AdamW subtracts
            ``learning_rate * weight_decay * w`` from each weight matrix per step.
        dropout: Float32 scalar input dropout rate, traced.
        activation: ``"relu"`` or ``"tanh"``.
        epochs: Passes over the data.
        batch_size: Rows per step, smaller than n; ``None`` takes one
            full-batch step per epoch without shuffling.
        use_dropout: Apply input dropout. It is static because drawing the
            dropout masks roughly doubles the compile time.

    Returns:
        The trained parameters and the training loss of each epoch, float32 of
        shape (epochs,). An epoch's loss is the mean over all n rows of the
        loss each row had in the step that used it, before that step's update.
    """
    n_rows = features.shape[0]
    optimizer = optax.adamw(learning_rate, weight_decay=weight_decay, mask=_decay_mask)
    grad_fn = jax.value_and_grad(_batch_loss)

    def step(carry, batch):
        params, opt_state = carry
        batch_features, batch_labels, batch_weights, dropout_key = batch
        loss, grads = grad_fn(
            params,
            batch_features,
            batch_labels,
            batch_weights,
            dropout_key,
            dropout,
            activation,
        )
        updates, opt_state = optimizer.update(grads, opt_state, params)
        return (optax.apply_updates(params, updates), opt_state), loss

    if batch_size is None:
        row_weights = jnp.ones(n_rows, jnp.float32)

        def epoch(carry, epoch_key):
            dropout_key = epoch_key if use_dropout else None
            return step(carry, (features, labels, row_weights, dropout_key))

        needs_keys = use_dropout
    else:
        n_batches = -(-n_rows // batch_size)
        n_padding = n_batches * batch_size - n_rows
        row_weights = jnp.concatenate(
            [jnp.ones(n_rows, jnp.float32), jnp.zeros(n_padding, jnp.float32)]
        ).reshape(n_batches, batch_size)
        rows_per_batch = row_weights.sum(axis=1)

        def epoch(carry, epoch_key):
            shuffle_key, dropout_root = jax.random.split(epoch_key)
            order = jax.random.permutation(shuffle_key, n_rows)
            # Padding rows repeat row 0 with weight 0, so every batch has the
            # same shape and the padding adds nothing to loss or gradient.
            order = jnp.concatenate([order, jnp.zeros(n_padding, order.dtype)])
            order = order.reshape(n_batches, batch_size)
            dropout_keys = None
            if use_dropout:
                dropout_keys = jax.random.split(dropout_root, n_batches)
            batches = (features[order], labels[order], row_weights, dropout_keys)
            carry, batch_losses = jax.lax.scan(step, carry, batches)
            return carry, jnp.sum(batch_losses * rows_per_batch) / n_rows

        needs_keys = True

    epoch_keys = jax.random.split(key, epochs) if needs_keys else None
    (params, _), losses = jax.lax.scan(
        epoch, (params, optimizer.init(params)), epoch_keys, length=epochs
    )
    return params, losses


# ---------------------------------------------------------------------------
# Estimator
# ---------------------------------------------------------------------------


def _standardization(
    features: np.ndarray, standardize: str | bool
) -> tuple[np.ndarray, np.ndarray]:
    """Return the per-feature (mean, scale), float64 of shape (d,), for ``fit``.

    ``standardize`` is a mode of ``embedsent.config.STANDARDIZE_MODES``. With
    ``"none"`` the mean is 0 and the scale 1; with ``"global"`` every feature
    gets the same scale, the root mean square of the centred features.
    """
    mode = standardize_mode("standardize", standardize)
    n_features = features.shape[1]
    if mode == "none":
        return np.zeros(n_features), np.ones(n_features)
    # Features beyond about 1e154 overflow the variance; fit reports that.
    with np.errstate(over="ignore", invalid="ignore"):
        return _mean_and_scale(features, mode)


def _mean_and_scale(features: np.ndarray, mode: str) -> tuple[np.ndarray, np.ndarray]:
    n_features = features.shape[1]
    mean = features.mean(axis=0)
    if mode == "global":
        std = float(np.sqrt(np.mean((features - mean) ** 2)))
        constant = std <= _CONSTANT_FEATURE_RTOL * max(1.0, float(np.abs(mean).max()))
        return mean, np.full(n_features, 1.0 if constant else std)
    std = features.std(axis=0)
    constant = std <= _CONSTANT_FEATURE_RTOL * np.maximum(1.0, np.abs(mean))
    return mean, np.where(constant, 1.0, std)


def _untrained_loss(
    params: Params, features: np.ndarray, labels: np.ndarray, activation: str
) -> float:
    """Compute the mean cross-entropy of ``params`` on all rows, without dropout."""
    return float(
        _batch_loss(
            params,
            jnp.asarray(features, jnp.float32),
            jnp.asarray(labels),
            jnp.ones(features.shape[0], jnp.float32),
            None,
            jnp.float32(0.0),
            activation,
        )
    )


def _check_converged(
    losses: np.ndarray,
    params: dict[str, np.ndarray],
    learning_rate: float,
    untrained_loss: float,
    parameter: str = "learning_rate",
) -> None:
    """Raise ClassifierDiverged if training diverged.

    Training diverged when the loss curve or a parameter is not finite, or an
    epoch's loss exceeds ``untrained_loss`` by more than ``_DIVERGED_LOSS_RISE``.
    ``parameter`` is the name of the learning rate that the message recommends
    lowering.
    """
    if not np.isfinite(losses).all():
        bad_epoch = int(np.argmin(np.isfinite(losses)))
        raise ClassifierDiverged(
            f"the loss became {losses[bad_epoch]} at epoch {bad_epoch}",
            learning_rate,
            parameter,
        )
    for name, value in params.items():
        if not np.isfinite(value).all():
            raise ClassifierDiverged(
                f"{name} contains NaN or inf", learning_rate, parameter
            )
    peak_epoch = int(np.argmax(losses))
    if losses[peak_epoch] > untrained_loss + _DIVERGED_LOSS_RISE:
        raise ClassifierDiverged(
            f"the loss reached {losses[peak_epoch]:.4g} at epoch {peak_epoch}, far "
            f"above the {untrained_loss:.4g} of the untrained model",
            learning_rate,
            parameter,
        )


def label_accuracy(predicted: list, labels: list, classes: list, name: str) -> float:
    """Return the share of ``predicted`` equal to ``labels``, position by position.

    Raises:
        ValueError: A label is not one of ``classes``; ``name`` is the
            argument the labels came from.
    """
    check_known_labels(labels, classes, name)
    correct = sum(bool(p == t) for p, t in zip(predicted, labels, strict=True))
    return correct / len(labels)


def check_known_labels(labels: list, classes: list, name: str) -> None:
    """Raise ValueError naming the first of ``labels`` that is not in ``classes``.

    ``name`` is the argument or flag the labels came from.
    """
    unknown = [label for label in labels if label not in classes]
    if unknown:
        message = (
            f"{name} contains {unknown[0]!r}, which is not one of the classes "
            f"{classes} the model was fitted on; check the label column"
        )
        # A CSV label is always a string, so a model fitted on JSON Lines
        # numbers or booleans rejects the same labels read from a CSV file.
        text = unknown[0].strip() if isinstance(unknown[0], str) else None
        for cls in classes if text is not None else ():
            if isinstance(cls, bool | np.bool_):
                kind = "boolean"
                same = text.lower() == str(bool(cls)).lower()
            elif isinstance(cls, int | float | np.integer | np.floating):
                kind = "number"
                try:
                    same = float(text) == cls
                except ValueError:
                    same = False
            else:
                continue
            if same:
                message += (
                    f". The data contains the text {text!r}, but the model's "
                    f"class is the {kind} {cls!r} (JSON Lines {kind}s stay "
                    f"{kind}s, while CSV and TSV labels are always text): give "
                    f"the labels as JSON {kind}s in a .jsonl file, or train the "
                    "model on this file so that its classes are texts"
                )
                break
        raise ValueError(message)


def _softmax(logits: np.ndarray) -> np.ndarray:
    shifted = logits - logits.max(axis=1, keepdims=True)
    exp = np.exp(shifted)
    return exp / exp.sum(axis=1, keepdims=True)


class MLPClassifier:
    """Softmax classifier with at most one hidden layer.

    Attributes (set by ``fit`` or ``from_state``):
        classes_: Class labels as given to ``fit``, sorted when they are
            mutually comparable, else in order of first appearance in ``y``.
            Column ``k`` of ``predict_proba`` is the probability of
            ``classes_[k]``.
        n_features_in_: Number of features seen by ``fit``.
        loss_curve_: Mean training cross-entropy of each epoch (without the
            weight-decay term).

    Example::

        model = MLPClassifier(ClassifierConfig(hidden_size=0)).fit(X, y)
        labels = model.predict(X_test)
    """

    def __init__(self, config: ClassifierConfig | None = None):
        if config is None:
            config = ClassifierConfig()
        if not isinstance(config, ClassifierConfig):
            raise TypeError(
                f"config must be a ClassifierConfig, got {type(config).__name__}; "
                "build one with embedsent.config.ClassifierConfig(...)"
            )
        self.config = config
        self._params: dict[str, np.ndarray] | None = None

    def __repr__(self) -> str:
        return f"MLPClassifier({self.config!r})"

    # -- training ----------------------------------------------------------

    def fit(self, X: ArrayLike, y: Sequence[Hashable]) -> MLPClassifier:
        """Train a new model on ``X`` and ``y``, replacing any earlier one.

        Args:
            X: Features, real numbers of shape (n_samples, n_features).
            y: One hashable label per row, at least two distinct labels.

        Returns:
            ``self``, fitted.

        Raises:
            ValueError: ``X`` is not 2-D, is empty or contains NaN or inf,
                ``len(y) != len(X)``, ``y`` has fewer than two classes or a NaN
                label. ``ClassifierConfig`` itself rejects
                ``learning_rate * weight_decay >= 1``.
            TypeError: ``X`` is not numeric or a label is unhashable.
            ClassifierDiverged: A FloatingPointError raised when the training
                loss or a weight became NaN or inf, or an epoch's loss rose far
                above the untrained model's.
        """
        features = _as_feature_matrix(X, allow_empty=False)
        labels = _label_list(y)
        if len(labels) != features.shape[0]:
            raise ValueError(
                f"X has {features.shape[0]} rows but y has {len(labels)} labels; "
                "pass exactly one label per row of X"
            )
        classes, encoded = _encode_labels(labels)

        config = self.config
        n_rows, n_features = features.shape
        mean, scale = _standardization(features, config.standardize)
        if not (np.isfinite(mean).all() and np.isfinite(scale).all()):
            raise ValueError(
                "X has values too large to standardize: their mean or variance "
                "overflows float64 (from about 1e154); rescale the features "
                "before fit"
            )
        scaled = ((features - mean) / scale).astype(np.float32)
        if not np.isfinite(scaled).all():
            raise ValueError(
                "X has values outside the float32 range (about 3.4e38) after "
                "standardization; rescale the features before fit"
            )

        batch_size = config.batch_size
        if batch_size is not None and batch_size >= n_rows:
            batch_size = None  # One batch contains every row, so no shuffling.

        init_key, train_key = jax.random.split(jax.random.PRNGKey(config.seed))
        params = _init_params(
            init_key, n_features, config.hidden_size, len(classes), config.activation
        )
        untrained_loss = _untrained_loss(params, scaled, encoded, config.activation)
        started = time.perf_counter()
        params, losses = _train(
            params,
            jnp.asarray(scaled),
            jnp.asarray(encoded),
            train_key,
            jnp.float32(config.learning_rate),
            jnp.float32(config.weight_decay),
            jnp.float32(config.dropout),
            activation=config.activation,
            epochs=config.epochs,
            batch_size=batch_size,
            use_dropout=config.dropout > 0,
        )
        losses = np.asarray(losses, dtype=np.float64)
        flat = {
            f"{layer}_{name}": np.asarray(value)
            for layer, values in params.items()
            for name, value in values.items()
        }
        _check_converged(losses, flat, config.learning_rate, untrained_loss)
        logger.debug(
            "fitted MLPClassifier on %d rows x %d features, %d classes: "
            "final loss %.4f in %.3f s",
            n_rows,
            n_features,
            len(classes),
            losses[-1],
            time.perf_counter() - started,
        )

        self._set_fitted(
            classes=classes,
            params=flat,
            mean=mean,
            scale=scale,
            loss_curve=losses.tolist(),
        )
        return self

    def _set_fitted(
        self,
        *,
        classes: list[Hashable],
        params: dict[str, np.ndarray],
        mean: np.ndarray,
        scale: np.ndarray,
        loss_curve: list[float],
    ) -> None:
        self.classes_ = list(classes)
        self.n_features_in_ = int(mean.shape[0])
        self.loss_curve_ = list(loss_curve)
        self._classes_array = _classes_array(self.classes_)
        self._params = {
            name: np.asarray(value, dtype=np.float64) for name, value in params.items()
        }
        self._mean = np.asarray(mean, dtype=np.float64)
        self._scale = np.asarray(scale, dtype=np.float64)

    # -- prediction --------------------------------------------------------

    def _check_fitted(self, method: str) -> None:
        if self._params is None:
            raise NotFittedError(
                f"this MLPClassifier is not fitted yet; call fit(X, y) or "
                f"MLPClassifier.from_state(...) before {method}"
            )

    def decision_function(self, X: ArrayLike) -> np.ndarray:
        """Compute the class logits.

        Args:
            X: Features of shape (n_samples, n_features_in_). Zero rows are
                allowed and give an empty result.

        Returns:
            Float64 logits of shape (n_samples, n_classes), columns in
            ``classes_`` order.
        """
        self._check_fitted("decision_function")
        features = _as_feature_matrix(X, allow_empty=True)
        if features.shape[1] != self.n_features_in_:
            raise ValueError(
                f"X has {features.shape[1]} features but the classifier was "
                f"fitted with {self.n_features_in_}; build X with the same "
                "feature pipeline as the training data"
            )
        params = self._params
        # Overflow shows as non-finite logits, which are reported below.
        with np.errstate(over="ignore", invalid="ignore"):
            hidden = (features - self._mean) / self._scale
            if "hidden_weights" in params:
                hidden = hidden @ params["hidden_weights"] + params["hidden_bias"]
                if self.config.activation == "relu":
                    hidden = np.maximum(hidden, 0.0)
                else:
                    hidden = np.tanh(hidden)
            logits = hidden @ params["output_weights"] + params["output_bias"]
        finite = np.isfinite(logits).all(axis=1)
        if not finite.all():
            row = int(np.argmin(finite))
            raise ValueError(
                f"X row {row} gives non-finite logits: its values are far outside "
                "the range of the training features; scale X as the training "
                "features were scaled"
            )
        return logits

    def predict_proba(self, X: ArrayLike) -> np.ndarray:
        """Compute class probabilities.

        Returns:
            Float64 array of shape (n_samples, n_classes) whose rows sum to 1,
            columns in ``classes_`` order.
        """
        return _softmax(self.decision_function(X))

    def predict(self, X: ArrayLike) -> np.ndarray:
        """Predict the most probable class of each row.

        Returns:
            Array of shape (n_samples,) of labels from ``classes_``. Its dtype
            matches the labels: ``<U`` for str, int64 for int, float64 for
            float, bool for bool (so ``tolist()`` gives the Python type), and
            object for mixed or other label types.
        """
        logits = self.decision_function(X)
        return self._classes_array[np.argmax(logits, axis=1)]

    def score(self, X: ArrayLike, y: Sequence[Hashable]) -> float:
        """Return the accuracy of ``predict(X)`` against ``y``."""
        predicted = self.predict(X).tolist()
        labels = _label_list(y)
        if len(labels) != len(predicted):
            raise ValueError(
                f"X has {len(predicted)} rows but y has {len(labels)} labels; "
                "pass exactly one label per row of X"
            )
        if not labels:
            raise ValueError("X and y are empty; score needs at least one example")
        return label_accuracy(predicted, labels, self.classes_, "y")

    @property
    def n_parameters(self) -> int:
        """Number of trainable weights and biases.

        (d + 1) * h + (h + 1) * c with a hidden layer, (d + 1) * c without,
        for d features, h hidden units and c classes.
        """
        self._check_fitted("n_parameters")
        d, h, c = self.n_features_in_, self.config.hidden_size, len(self.classes_)
        if h == 0:
            return (d + 1) * c
        return (d + 1) * h + (h + 1) * c

    # -- persistence -------------------------------------------------------

    def get_state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        """Export the fitted model as JSON-ready metadata and NumPy arrays.

        Returns:
            ``(meta, arrays)``. ``meta`` contains only JSON types: the format
            name and version, the config fields, the classes with their type
            names, ``n_features_in`` and ``loss_curve``. ``arrays`` maps
            ``output_weights`` (h or d, c), ``output_bias`` (c,),
            ``hidden_weights`` (d, h) and ``hidden_bias`` (h,) when
            ``hidden_size > 0``, ``feature_mean`` (d,) and ``feature_scale``
            (d,) to float64 arrays. Without standardization the mean is 0 and
            the scale 1.

        Raises:
            TypeError: A class label is not a str, int, float or bool.
        """
        self._check_fitted("get_state")
        class_types = []
        class_values = []
        for label in self.classes_:
            type_name = _label_type_name(label)
            if type_name is None:
                raise TypeError(
                    _unsupported_label_message(f"class label {label!r}", label)
                )
            class_types.append(type_name)
            class_values.append(_LABEL_TYPES[type_name](label))
        meta = {
            "format": _STATE_FORMAT,
            "version": _STATE_VERSION,
            "config": asdict(self.config),
            "classes": class_values,
            "class_types": class_types,
            "n_features_in": self.n_features_in_,
            "loss_curve": [float(loss) for loss in self.loss_curve_],
        }
        arrays = {name: value.copy() for name, value in self._params.items()}
        arrays["feature_mean"] = self._mean.copy()
        arrays["feature_scale"] = self._scale.copy()
        return meta, arrays

    @classmethod
    def from_state(
        cls, meta: dict[str, Any], arrays: dict[str, np.ndarray]
    ) -> MLPClassifier:
        """Rebuild a fitted classifier from the output of :meth:`get_state`.

        Raises:
            InvalidStateError: A ValueError raised when the metadata has another
                format or version or lacks keys, or arrays are missing or extra.
            ValueError: The arrays are of the wrong shape or not finite.
            TypeError: A stored class type name is unknown or a class value
                does not match its type.
        """
        missing = sorted(_STATE_META_KEYS - set(meta))
        if missing:
            raise InvalidStateError(
                f"the classifier settings are missing the keys {missing}",
                "pass the metadata written by MLPClassifier.get_state",
            )
        if meta.get("format") != _STATE_FORMAT or meta.get("version") != _STATE_VERSION:
            raise InvalidStateError(
                f"the classifier settings have format {meta.get('format')!r} "
                f"version {meta.get('version')!r}, expected {_STATE_FORMAT!r} "
                f"version {_STATE_VERSION}",
                "pass the metadata written by MLPClassifier.get_state",
            )
        config = config_from_dict(ClassifierConfig, dict(meta["config"]))
        classes = _restore_classes(meta["classes"], meta["class_types"])
        n_features = meta["n_features_in"]
        expected_shapes = _state_shapes(n_features, config.hidden_size, len(classes))
        if set(arrays) != set(expected_shapes):
            raise InvalidStateError(
                f"the classifier arrays are {sorted(arrays)}, expected "
                f"{sorted(expected_shapes)} for hidden_size={config.hidden_size}",
                "pass the arrays written by MLPClassifier.get_state",
            )
        checked = {}
        for name, shape in expected_shapes.items():
            value = np.asarray(arrays[name], dtype=np.float64)
            if value.shape != shape:
                raise ValueError(
                    f"arrays[{name!r}] has shape {value.shape}, expected {shape} "
                    f"for {n_features} features, hidden_size={config.hidden_size} "
                    f"and {len(classes)} classes"
                )
            if not np.isfinite(value).all():
                raise ValueError(
                    f"arrays[{name!r}] contains NaN or inf; the state is corrupt"
                )
            checked[name] = value

        model = cls(config)
        mean = checked.pop("feature_mean")
        scale = checked.pop("feature_scale")
        if (scale <= 0).any():
            raise ValueError(
                "arrays['feature_scale'] has values <= 0; the state is corrupt"
            )
        model._set_fitted(
            classes=classes,
            params=checked,
            mean=mean,
            scale=scale,
            loss_curve=[float(loss) for loss in meta.get("loss_curve", [])],
        )
        return model


def _restore_classes(values: list[Any], type_names: list[str]) -> list[Hashable]:
    """Convert the stored class values back to their recorded Python types."""
    if len(values) != len(type_names) or len(values) < 2:
        raise ValueError(
            f"meta has {len(values)} classes and {len(type_names)} class types; "
            "expected two or more of each, in equal number"
        )
    classes = []
    for value, type_name in zip(values, type_names, strict=True):
        if type_name not in _LABEL_TYPES:
            raise TypeError(
                f"unknown class type {type_name!r}; expected one of "
                f"{sorted(_LABEL_TYPES)}"
            )
        # JSON keeps str, int, float and bool apart, except that a hand-written
        # float may lose its ".0", so an int is accepted for "float".
        accepted = (int, float) if type_name == "float" else _LABEL_TYPES[type_name]
        if type_name == "bool":
            matches = isinstance(value, bool)
        else:
            matches = isinstance(value, accepted) and not isinstance(value, bool)
        if not matches:
            raise TypeError(
                f"class value {value!r} ({type(value).__name__}) does not match "
                f"its recorded type {type_name!r}; the state is corrupt"
            )
        classes.append(_LABEL_TYPES[type_name](value))
    return classes


def _state_shapes(
    n_features: int, hidden_size: int, n_classes: int
) -> dict[str, tuple[int, ...]]:
    shapes: dict[str, tuple[int, ...]] = {
        "feature_mean": (n_features,),
        "feature_scale": (n_features,),
    }
    fan_in = n_features
    if hidden_size > 0:
        shapes["hidden_weights"] = (n_features, hidden_size)
        shapes["hidden_bias"] = (hidden_size,)
        fan_in = hidden_size
    shapes["output_weights"] = (fan_in, n_classes)
    shapes["output_bias"] = (n_classes,)
    return shapes
