"""A classifier over token ids whose word vectors can train with the head.

``FineTuneClassifier`` has the architecture of the averaged-vector path: an
embedding table (V x d), the mean of the vectors of a text's in-vocabulary
tokens (a text with none gets a zero vector), then the one-hidden-layer
softmax classifier of :mod:`embedsent.classifier`. It starts from a given
table: pretrained vectors, or random ones for a model trained from scratch.
Training runs end to end with optax. The head uses AdamW, and the embeddings
use Adam with their own learning rate and no weight decay, so a row moves
only when its token occurs in the labeled texts.

With ``freeze_embeddings=True`` only the head trains. The sentence vectors
then never change, so the fit is delegated to :class:`MLPClassifier` on the
plain mean vectors and gives the same model as the averaged-vector path.

Standardisation follows ``MLPClassifier``: each sentence-vector feature is
shifted and scaled by its mean and standard deviation over the training texts,
measured once with the initial table. When the embeddings train, these
statistics stay fixed, so they act as a constant affine layer.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Hashable, Sequence
from dataclasses import dataclass

import jax
import jax.numpy as jnp
import numpy as np
import scipy.sparse as sp

from embedsent.classifier import (
    MLPClassifier,
    NotFittedError,
    _check_converged,
    _encode_labels,
    _init_params,
    _label_list,
    _standardization,
    _untrained_loss,
)
from embedsent.config import (
    WEIGHT_DECAY_ZERO_MEANS,
    ClassifierConfig,
    _check_bool,
    _check_float,
    _check_float32,
    _check_int,
    _plain_numbers,
    check_decay_per_step,
    standardize_mode,
)
from embedsent.finetune_train import mean_weights, padded_slots, train_end_to_end
from embedsent.vectors import WordVectors

__all__ = ["FineTuneClassifier", "FineTuneConfig", "count_matrix"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class FineTuneConfig:
    """Settings of :class:`FineTuneClassifier`.

    Attributes:
        hidden_size: Units in the hidden layer; 0 gives logistic regression
            on the sentence vectors.
        activation: ``"relu"`` or ``"tanh"``.
        learning_rate: AdamW learning rate of the head.
        embedding_learning_rate: Adam learning rate of the embedding table.
        weight_decay: Decoupled weight decay on the head's weight matrices.
            The embeddings get none.
        epochs: Passes over the labeled texts.
        batch_size: Texts per step; ``None`` trains on all texts at once.
        freeze_embeddings: Train only the head, keeping the table as given.
        standardize: Scaling of the sentence vectors, with statistics
            of the training texts under the initial table: ``"feature"``
            (each by its own standard deviation), ``"global"`` (all by one)
            or ``"none"``; ``True``/``False`` read as ``"feature"``/``"none"``.
            The default stays ``"feature"``, the setting the fine-tuning
            learning rates were chosen with.
        seed: Seed of the head's initialisation and of the shuffling.
    """

    hidden_size: int = 64
    activation: str = "relu"
    learning_rate: float = 1e-2
    embedding_learning_rate: float = 1e-3
    weight_decay: float = 1e-3
    epochs: int = 200
    batch_size: int | None = 256
    freeze_embeddings: bool = False
    standardize: str = "feature"
    seed: int = 0

    def __post_init__(self):
        _plain_numbers(self)
        _check_int("hidden_size", self.hidden_size, 0, 100_000)
        if self.activation not in ("relu", "tanh"):
            raise ValueError(
                f"activation must be 'relu' or 'tanh', got {self.activation!r}"
            )
        _check_float("learning_rate", self.learning_rate, 0.0, inclusive_min=False)
        _check_float(
            "embedding_learning_rate",
            self.embedding_learning_rate,
            0.0,
            inclusive_min=False,
        )
        _check_float32("learning_rate", self.learning_rate, positive=True)
        _check_float32(
            "embedding_learning_rate", self.embedding_learning_rate, positive=True
        )
        _check_float("weight_decay", self.weight_decay, 0.0)
        _check_float32(
            "weight_decay", self.weight_decay, zero_means=WEIGHT_DECAY_ZERO_MEANS
        )
        check_decay_per_step(self.learning_rate, self.weight_decay)
        _check_int("epochs", self.epochs, 1)
        if self.batch_size is not None:
            _check_int("batch_size", self.batch_size, 1)
        _check_bool(self, "freeze_embeddings")
        object.__setattr__(
            self, "standardize", standardize_mode("standardize", self.standardize)
        )
        _check_int("seed", self.seed, 0, 2**32 - 1)

    def head_config(self) -> ClassifierConfig:
        """Return the matching settings of the head alone, for frozen fits."""
        return ClassifierConfig(
            hidden_size=self.hidden_size,
            activation=self.activation,
            learning_rate=self.learning_rate,
            weight_decay=self.weight_decay,
            epochs=self.epochs,
            batch_size=self.batch_size,
            standardize=self.standardize,
            seed=self.seed,
        )


def count_matrix(token_lists: Sequence[Sequence[str]], index: dict) -> sp.csr_matrix:
    """Count each text's in-vocabulary tokens.

    Args:
        token_lists: One token list per text.
        index: Mapping from token to row of the embedding table, such as
            ``WordVectors.index``.

    Returns:
        Float32 CSR matrix of shape (n_texts, V) with V = ``max(index) + 1``.
        A text without known tokens gives an empty row.
    """
    if isinstance(token_lists, str | bytes):
        raise TypeError(
            "token_lists must be a list of token lists, got a single string; "
            "tokenize texts first with embedsent.text.tokenize_corpus(texts)"
        )
    token_lists = list(token_lists)
    rows: list[int] = []
    columns: list[int] = []
    for row, tokens in enumerate(token_lists):
        if isinstance(tokens, str | bytes):
            raise TypeError(
                f"token_lists[{row}] is a {type(tokens).__name__}, not a token "
                "list; tokenize texts first with embedsent.text.tokenize_corpus"
            )
        known = [index[token] for token in tokens if token in index]
        columns.extend(known)
        rows.extend([row] * len(known))
    n_rows = len(token_lists)
    data = np.ones(len(columns), dtype=np.float32)
    shape = (n_rows, max(index.values(), default=-1) + 1)
    counts = sp.csr_matrix((data, (rows, columns)), shape=shape)
    counts.sum_duplicates()
    return counts


class FineTuneClassifier:
    """Mean of word vectors, one hidden layer and softmax, trained end to end.

    Args:
        vectors: The initial embedding table and its vocabulary: pretrained
            vectors, or random ones (``embedsent.pipeline.random_vectors``)
            for training from scratch. It is never modified.
        config: Training settings.

    Attributes (set by ``fit``):
        classes_: Class labels, sorted when mutually comparable.
        embeddings_: Float32 (V, d) table after training. Only the rows of
            tokens that occur in the training texts differ from ``vectors``.
        head_: The fitted :class:`MLPClassifier` on the sentence vectors,
            standardisation included.
        loss_curve_: Mean training cross-entropy of each epoch.
    """

    def __init__(self, vectors: WordVectors, config: FineTuneConfig | None = None):
        if not isinstance(vectors, WordVectors):
            raise TypeError(
                f"vectors must be embedsent.vectors.WordVectors, got "
                f"{type(vectors).__name__}"
            )
        config = FineTuneConfig() if config is None else config
        if not isinstance(config, FineTuneConfig):
            raise TypeError(
                f"config must be a FineTuneConfig, got {type(config).__name__}"
            )
        self.vectors = vectors
        self.config = config
        self.embeddings_: np.ndarray | None = None

    def __repr__(self) -> str:
        return f"FineTuneClassifier({self.config!r})"

    @property
    def classes_(self) -> list:
        return self._fitted_head().classes_

    @property
    def loss_curve_(self) -> list[float]:
        return self._fitted_head().loss_curve_

    def counts(self, X) -> sp.csr_matrix:
        """Return the (n, V) token-count matrix of ``X``.

        Args:
            X: Token lists, or a count matrix from ``count_matrix`` with this
                vocabulary, which is returned unchanged. Passing counts
                computed once saves the vocabulary lookups on repeated fits.
        """
        if sp.issparse(X):
            if X.shape[1] != len(self.vectors.words):
                raise ValueError(
                    f"the count matrix has {X.shape[1]} columns but the vocabulary "
                    f"has {len(self.vectors.words)} words; build it with "
                    "count_matrix(token_lists, vectors.index)"
                )
            return sp.csr_matrix(X)
        return count_matrix(X, self.vectors.index)

    def fit(self, X, y: Sequence[Hashable]) -> FineTuneClassifier:
        """Train the head, and the embeddings unless frozen, on ``X`` and ``y``.

        Args:
            X: Token lists, or their count matrix (see :meth:`counts`).
            y: One hashable label per text, at least two distinct labels.

        Returns:
            ``self``, fitted.

        Raises:
            ValueError: ``X`` is empty, ``len(y)`` differs from the number of
                texts, or ``y`` has fewer than two classes.
            ClassifierDiverged: A FloatingPointError raised when the training
                loss or a weight became NaN or inf, or an epoch's loss rose far
                above the untrained model's.
        """
        counts = self.counts(X)
        labels = _label_list(y)
        if counts.shape[0] == 0:
            raise ValueError("X is empty; fit needs at least one text of each class")
        if len(labels) != counts.shape[0]:
            raise ValueError(
                f"X has {counts.shape[0]} texts but y has {len(labels)} labels; "
                "pass exactly one label per text"
            )
        classes, encoded = _encode_labels(labels)
        weights = mean_weights(counts)
        table = np.asarray(self.vectors.vectors, dtype=np.float32)
        started = time.perf_counter()
        if self.config.freeze_embeddings:
            head = MLPClassifier(self.config.head_config())
            head.fit(weights @ table.astype(np.float64), labels)
            self.embeddings_ = table.copy()
        else:
            head, self.embeddings_ = self._fit_end_to_end(
                weights, table, labels, classes, encoded
            )
        self.head_ = head
        logger.debug(
            "fitted FineTuneClassifier (frozen=%s) on %d texts in %.2f s",
            self.config.freeze_embeddings,
            counts.shape[0],
            time.perf_counter() - started,
        )
        return self

    def _fit_end_to_end(self, weights, table, labels, classes, encoded):
        config = self.config
        # Only the rows of tokens in the training texts train: the table is
        # sliced to them (u rows) and written back after training, so every
        # other row stays exactly as given. The dense gradient and Adam update
        # then cover u x d values, not V x d. Measured on IMDB (V = 43,094,
        # d = 100, 2 shared CPU cores, load ~7), a 256-text step took 24 ms
        # sliced (7,676 rows) against 36 ms over the whole table, and a
        # 256-text step of a 2,048-text fit 36 ms (22,374 rows) against 39 ms.
        # The gather and scatter of the (batch, slots, d) vectors dominate.
        used = np.unique(weights.indices)
        if used.size == 0:
            raise ValueError(
                "no training text contains a token of the vocabulary, so there is "
                "nothing to train; check that the texts are tokenised the same way "
                "as the vectors' corpus"
            )
        local = sp.csr_matrix(
            (weights.data, np.searchsorted(used, weights.indices), weights.indptr),
            shape=(weights.shape[0], used.size),
        )
        ids, slot_weights = padded_slots(local)
        initial = weights @ table.astype(np.float64)
        mean, scale = _standardization(initial, config.standardize)

        batch_size = config.batch_size
        if batch_size is not None and batch_size >= weights.shape[0]:
            batch_size = None
        init_key, train_key = jax.random.split(jax.random.PRNGKey(config.seed))
        head_params = _init_params(
            init_key,
            table.shape[1],
            config.hidden_size,
            len(classes),
            config.activation,
        )
        untrained_loss = _untrained_loss(
            head_params, (initial - mean) / scale, encoded, config.activation
        )
        params = {"embeddings": jnp.asarray(table[used]), "head": head_params}
        params, losses = train_end_to_end(
            params,
            jnp.asarray(ids),
            jnp.asarray(slot_weights),
            jnp.asarray(encoded),
            jnp.asarray(mean, jnp.float32),
            jnp.asarray(scale, jnp.float32),
            train_key,
            jnp.float32(config.learning_rate),
            jnp.float32(config.embedding_learning_rate),
            jnp.float32(config.weight_decay),
            activation=config.activation,
            epochs=config.epochs,
            batch_size=batch_size,
        )
        losses = np.asarray(losses, dtype=np.float64)
        flat = {
            f"{layer}_{name}": np.asarray(value)
            for layer, values in params["head"].items()
            for name, value in values.items()
        }
        trained_rows = np.asarray(params["embeddings"])
        # Either rate can make training diverge, so the error names the larger.
        if config.embedding_learning_rate > config.learning_rate:
            rate, parameter = config.embedding_learning_rate, "embedding_learning_rate"
        else:
            rate, parameter = config.learning_rate, "learning_rate"
        _check_converged(
            losses,
            {**flat, "embeddings": trained_rows},
            rate,
            untrained_loss,
            parameter,
        )
        embeddings = table.copy()
        embeddings[used] = trained_rows

        head = MLPClassifier(config.head_config())
        head._set_fitted(
            classes=classes,
            params=flat,
            mean=mean,
            scale=scale,
            loss_curve=losses.tolist(),
        )
        return head, embeddings

    def _fitted_head(self) -> MLPClassifier:
        head = getattr(self, "head_", None)
        if head is None:
            raise NotFittedError(
                "this FineTuneClassifier is not fitted yet; call fit(X, y) first"
            )
        return head

    def transform(self, X) -> np.ndarray:
        """Average the trained vectors of each text: float64 of shape (n, d)."""
        self._fitted_head()
        return mean_weights(self.counts(X)) @ self.embeddings_.astype(np.float64)

    def predict_proba(self, X) -> np.ndarray:
        """Compute float64 (n, n_classes) probabilities in ``classes_`` order."""
        return self._fitted_head().predict_proba(self.transform(X))

    def predict(self, X) -> np.ndarray:
        """Predict the most probable label of each text, as given to ``fit``."""
        return self._fitted_head().predict(self.transform(X))

    def score(self, X, y: Sequence[Hashable]) -> float:
        """Return the accuracy of ``predict(X)`` against ``y``."""
        return self._fitted_head().score(self.transform(X), y)
