"""scikit-learn estimators for sentence vectors and the one-hidden-layer classifier.

Three estimators follow the scikit-learn conventions, so they work in
:class:`~sklearn.pipeline.Pipeline`, :func:`~sklearn.model_selection.cross_val_score`
and :class:`~sklearn.model_selection.GridSearchCV`:

- :class:`SentenceVectorizer` turns raw texts into ``float32[n, dim]`` sentence
  vectors (tokenisation by :func:`embedsent.text.tokenize_corpus`, then
  :class:`embedsent.features.SentenceEncoder`).
- :class:`MLPHeadClassifier` fits :class:`embedsent.classifier.MLPClassifier`
  on a numeric 2-D array, for example the output of :class:`SentenceVectorizer`.
- :class:`EmbeddingClassifier` goes from raw texts to labels in one estimator.
  It chains the two above and exposes all their parameters without a prefix,
  so ``GridSearchCV(clf, {"hidden_size": [0, 64], "method": ["mean", "sif"]})``
  works directly.

``__init__`` stores every parameter unchanged and ``fit`` validates it by
building :class:`~embedsent.config.TextConfig` and
:class:`~embedsent.config.ClassifierConfig`. A bad value set with
``set_params`` therefore raises at the next ``fit``, with the parameter name
and the value in the message. NumPy scalars, such as the ``int64`` values of
a grid built with ``np.arange``, are converted to the matching Python type
first.

The seed parameter is called ``seed`` as in ``ClassifierConfig``, not
``random_state``, and takes an int only, because JAX needs an integer key.

scikit-learn estimator checks
-----------------------------
The test suite runs :func:`sklearn.utils.estimator_checks.parametrize_with_checks`
(scikit-learn 1.9.1) on ``MLPHeadClassifier(hidden_size=8, epochs=40)``. It
passes every check, so there are no expected failures. A one-off run with the
default parameters, and one with ``hidden_size=0, batch_size=8, dropout=0.2,
activation="tanh"``, passed as well. Two checks skip unless the environment
allows them: ``check_array_api_input`` runs only when the environment variable
``SCIPY_ARRAY_API=1`` is set before SciPy is imported (it passes then), and
``check_classifier_data_not_an_array`` needs pandas.

:class:`SentenceVectorizer` and :class:`EmbeddingClassifier` take a sequence
of texts, not a 2-D array, so their tags set ``input_tags.two_d_array = False``
and ``input_tags.string = True``. For such estimators scikit-learn runs only
``check_estimator_cloneable`` and skips every other check, because those checks
feed numeric arrays. The test suite calls the checks that need no numeric fit
on them directly: ``check_estimator_repr``, ``check_no_attributes_set_in_init``,
``check_get_params_invariance``, ``check_set_params``,
``check_parameters_default_constructible``, ``check_valid_tag_types``,
``check_estimator_tags_renamed``, ``check_mixin_order``,
``check_do_not_raise_errors_in_init_or_set_params``, and the not-fitted checks
``check_estimators_unfitted``, ``check_transformers_unfitted`` and
``check_get_feature_names_out_error``. Fitting, prediction, cloning and
parameter search on real texts have their own tests.
"""

from __future__ import annotations

import logging
import math
import os
from collections.abc import Hashable, Sequence
from dataclasses import fields
from typing import Any

import numpy as np
from numpy.typing import ArrayLike
from scipy.special import log_softmax, softmax
from sklearn.base import (
    BaseEstimator,
    ClassifierMixin,
    ClassNamePrefixFeaturesOutMixin,
    TransformerMixin,
)
from sklearn.utils import Tags
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

from embedsent.class_prior import (
    check_labeled_coverage,
    known_text_mask,
    label_frequencies,
    prior_label,
    uniform_prior,
    warn_prior_predictions,
)
from embedsent.classifier import (
    MLPClassifier,
    check_label_types,
    check_one_label_kind,
)
from embedsent.config import ClassifierConfig, TextConfig
from embedsent.features import FEATURE_METHODS, SentenceEncoder
from embedsent.text import tokenize_corpus
from embedsent.vector_checks import warn_all_zero_vectors
from embedsent.vectors import WordVectors

__all__ = [
    "EmbeddingClassifier",
    "MLPHeadClassifier",
    "SentenceVectorizer",
]

logger = logging.getLogger(__name__)

# Parameter names that the estimators pass on to the two config classes. The
# tests check that every estimator has each of them, with the same default.
_TEXT_PARAMS = tuple(field.name for field in fields(TextConfig))
_CLASSIFIER_PARAMS = tuple(field.name for field in fields(ClassifierConfig))


# ---------------------------------------------------------------------------
# Parameter and input validation
# ---------------------------------------------------------------------------


def _python_scalar(value: Any) -> Any:
    """Convert a NumPy bool, integer or float scalar to the Python type.

    The config classes accept only Python ``bool``, ``int`` and ``float``,
    while parameter grids built with NumPy contain NumPy scalars.
    """
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    return value


def _text_config(estimator: BaseEstimator) -> TextConfig:
    """Build the TextConfig from the text parameters of ``estimator``."""
    values = {name: _python_scalar(getattr(estimator, name)) for name in _TEXT_PARAMS}
    return TextConfig(**values)


def _classifier_config(estimator: BaseEstimator) -> ClassifierConfig:
    """Build the ClassifierConfig from the classifier parameters of ``estimator``."""
    values = {
        name: _python_scalar(getattr(estimator, name)) for name in _CLASSIFIER_PARAMS
    }
    return ClassifierConfig(**values)


def _check_method(method: Any) -> str:
    if method not in FEATURE_METHODS:
        raise ValueError(
            f"method must be one of {list(FEATURE_METHODS)}, got {method!r}; "
            "set it with set_params(method='mean')"
        )
    return method


def _check_sif_a(sif_a: Any) -> float:
    sif_a = _python_scalar(sif_a)
    if isinstance(sif_a, bool) or not isinstance(sif_a, int | float):
        raise TypeError(
            f"sif_a must be a number, got {sif_a!r} ({type(sif_a).__name__})"
        )
    if not (math.isfinite(sif_a) and sif_a > 0):
        raise ValueError(
            f"sif_a must be a finite number > 0, got {sif_a}; the usual value is 1e-3"
        )
    return float(sif_a)


def _missing_vectors_message(vectors: str | os.PathLike) -> str:
    """Return the message for a ``vectors`` path that names no file."""
    where = ""
    if not os.path.isabs(vectors):
        where = f" in the working directory {os.getcwd()}"
    return (
        f"vectors {os.fspath(vectors)!r} was not found{where}; pass the path of "
        "a word-vector file (word2vec text or binary, GloVe text, or an embedsent "
        "SGNS model .npz), or a WordVectors object"
    )


def _load_vectors(vectors: Any) -> WordVectors:
    """Return ``vectors`` itself, or the vectors read from the file it names."""
    if isinstance(vectors, WordVectors):
        return vectors
    if isinstance(vectors, str | os.PathLike):
        if not os.path.exists(vectors):
            raise FileNotFoundError(_missing_vectors_message(vectors))
        loaded = WordVectors.load(vectors)
        logger.debug("loaded %r from %s", loaded, vectors)
        return loaded
    raise TypeError(
        f"vectors must be a WordVectors or the path of a word vector file, got "
        f"{type(vectors).__name__}; load vectors with WordVectors.load(path) or "
        "train them with embedsent.pipeline.pretrain"
    )


def _check_texts(X: Any) -> list[str]:
    """Return ``X`` as a list of str, rejecting a single text and 2-D input."""
    if isinstance(X, str | bytes | bytearray):
        raise TypeError(
            f"X must be a list of texts, got a single {type(X).__name__}; pass a "
            "list of texts, e.g. [text]"
        )
    if hasattr(X, "__array__") and not isinstance(X, np.ndarray):
        # Array-likes such as a pandas Series; a DataFrame becomes 2-D here.
        X = np.asarray(X)
    ndim = getattr(X, "ndim", 1)
    if ndim != 1:
        raise ValueError(
            f"X must be 1-D with one text per row, got {ndim} dimensions (shape "
            f"{getattr(X, 'shape', None)}); pass one column of texts, e.g. "
            "df['text'] or X.ravel()"
        )
    try:
        texts = list(X)
    except TypeError:
        raise TypeError(
            f"X must be a list of texts, got {type(X).__name__}; pass a list of str"
        ) from None
    for position, text in enumerate(texts):
        if not isinstance(text, str):
            raise TypeError(
                f"X[{position}] must be a str, got {text!r} "
                f"({type(text).__name__}); replace missing texts with '' and "
                "decode bytes first"
            )
    return texts


def _label_array(y: Any) -> np.ndarray | None:
    """Return ``y`` as a 1-D array of labels, or None if it is not one.

    A column of shape (n, 1) is flattened. validate_data reports the other
    shapes and input that is not an array.
    """
    if isinstance(y, np.ndarray):
        labels = y
    else:
        try:
            # dtype=object keeps None and NaN as they are among str labels.
            labels = np.asarray(y, dtype=object)
        except (TypeError, ValueError):
            return None
    if labels.ndim == 2 and labels.shape[1] == 1:
        labels = labels.ravel()
    if labels.ndim != 1:
        return None
    return labels


def _check_missing_labels(y: Any) -> None:
    """Raise ValueError naming the first label of ``y`` that is None or NaN.

    scikit-learn's own checks turn None into the label type "unknown" and NaN
    among str labels into the string 'nan'.
    """
    labels = _label_array(y)
    if labels is None:
        return
    if labels.dtype.kind == "f":
        missing = np.flatnonzero(np.isnan(labels))
        if missing.size:
            raise ValueError(_missing_label_message(int(missing[0]), "NaN"))
    elif labels.dtype.kind == "O":
        for position, label in enumerate(labels):
            if label is None:
                raise ValueError(_missing_label_message(position, "None"))
            if isinstance(label, float | np.floating) and math.isnan(label):
                raise ValueError(_missing_label_message(position, "NaN"))
        check_one_label_kind(labels, "y")


def _missing_label_message(position: int, value: str) -> str:
    """Return the message of MLPClassifier.fit for a None or NaN label."""
    if value == "None":
        return (
            f"y[{position}] is None; give every example a label, or drop the "
            "unlabeled ones"
        )
    return (
        f"y[{position}] is NaN; NaN is not equal to itself so it cannot be a "
        "class label: drop the row or give it a real label"
    )


def _text_tags(tags: Tags) -> Tags:
    """Mark tags for input that is a sequence of texts, not a 2-D array."""
    tags.input_tags.two_d_array = False
    tags.input_tags.string = True
    return tags


# ---------------------------------------------------------------------------
# Texts to sentence vectors
# ---------------------------------------------------------------------------


class SentenceVectorizer(
    ClassNamePrefixFeaturesOutMixin, TransformerMixin, BaseEstimator
):
    """Encode raw texts as averaged word vectors.

    ``fit`` tokenises the texts with :func:`embedsent.text.tokenize_corpus`
    and fits a :class:`embedsent.features.SentenceEncoder`, which learns the
    IDF weights (``"tfidf"``) or the principal component removed by SIF
    (``"sif"``). ``"mean"`` learns nothing from the texts.

    Parameters
    ----------
    vectors : WordVectors or str or os.PathLike
        Word vectors, or the path of a file that ``fit`` reads with
        :meth:`WordVectors.load <embedsent.vectors.WordVectors.load>`.
        :func:`sklearn.base.clone` keeps the same ``WordVectors`` object, so
        every clone (one per fold in ``cross_val_score``) shares its read-only
        arrays without copying them.
    method : {"mean", "tfidf", "sif"}, default="mean"
        Weighting of the word vectors of a text. ``"sif"`` needs vectors with
        counts.
    sif_a : float, default=1e-3
        The ``a`` of the SIF weight ``a / (a + p(w))``.
    lowercase : bool, default=True
        Lowercase the text before tokenising.
    strip_html : bool, default=True
        Replace HTML tags with spaces and decode entities such as ``&amp;``.
    normalize_negations : bool, default=True
        Rewrite ``n't`` as the token ``not``.
    remove_stopwords : bool, default=True
        Drop words in the shipped English stopword list.
    keep_negations : bool, default=True
        Keep ``not``, ``no``, ``nor`` and ``never`` when removing stopwords.
    remove_punctuation : bool, default=True
        Drop tokens made only of punctuation (emoticons are kept).
    keep_emoji : bool, default=True
        Keep emoji and emoticon tokens.
    min_token_length : int, default=1
        Drop word tokens shorter than this many characters.

    The text parameters are the fields of :class:`embedsent.config.TextConfig`
    and must match the settings used to train ``vectors``.

    Attributes
    ----------
    vectors_ : WordVectors
        The word vectors used, loaded from the file when ``vectors`` is a path.
    text_config_ : TextConfig
        Tokenisation settings built from the text parameters.
    encoder_ : SentenceEncoder
        The fitted encoder.

    Examples
    --------
    >>> import numpy as np
    >>> from embedsent.vectors import WordVectors
    >>> vectors = WordVectors(["great", "dull"], np.array([[1.0, 0.0], [0.0, 1.0]]))
    >>> vectorizer = SentenceVectorizer(vectors)
    >>> vectorizer.fit_transform(["A great film", "Dull, not great"])
    array([[1. , 0. ],
           [0.5, 0.5]], dtype=float32)
    """

    def __init__(
        self,
        vectors: WordVectors | str | os.PathLike[str],
        *,
        method: str = "mean",
        sif_a: float = 1e-3,
        lowercase: bool = True,
        strip_html: bool = True,
        normalize_negations: bool = True,
        remove_stopwords: bool = True,
        keep_negations: bool = True,
        remove_punctuation: bool = True,
        keep_emoji: bool = True,
        min_token_length: int = 1,
    ):
        self.vectors = vectors
        self.method = method
        self.sif_a = sif_a
        self.lowercase = lowercase
        self.strip_html = strip_html
        self.normalize_negations = normalize_negations
        self.remove_stopwords = remove_stopwords
        self.keep_negations = keep_negations
        self.remove_punctuation = remove_punctuation
        self.keep_emoji = keep_emoji
        self.min_token_length = min_token_length

    def __sklearn_tags__(self) -> Tags:
        tags = _text_tags(super().__sklearn_tags__())
        # The output is float32 whatever the input, and the input is text.
        tags.transformer_tags.preserves_dtype = []
        return tags

    def fit(self, X: Sequence[str], y: Any = None) -> SentenceVectorizer:
        """Tokenise ``X`` and fit the sentence encoder on it.

        Parameters
        ----------
        X : sequence of str
            Raw texts, at least one: a list, a 1-D array or a pandas Series.
        y : None
            Ignored.

        Returns
        -------
        self : SentenceVectorizer
            The fitted vectorizer.

        Raises
        ------
        TypeError
            If ``X`` is a single str, contains a non-str, or a parameter has
            the wrong type.
        ValueError
            If ``X`` is empty or not 1-D, or a parameter has an invalid value.
        """
        self._fit_tokens(_check_texts(X))
        return self

    def fit_transform(self, X: Sequence[str], y: Any = None) -> np.ndarray:
        """Fit on ``X`` and return its sentence vectors, tokenising only once.

        Parameters
        ----------
        X : sequence of str
            Raw texts, at least one.
        y : None
            Ignored.

        Returns
        -------
        features : ndarray of shape (n_texts, dim), dtype float32
            Sentence vectors. A text with no known token gets a zero row.
        """
        tokens = self._fit_tokens(_check_texts(X))
        return self.encoder_.transform(tokens)

    def transform(self, X: Sequence[str]) -> np.ndarray:
        """Encode ``X`` as sentence vectors.

        Parameters
        ----------
        X : sequence of str
            Raw texts; an empty sequence gives an array with zero rows.

        Returns
        -------
        features : ndarray of shape (n_texts, dim), dtype float32
            Sentence vectors. A text with no known token gets a zero row.
        """
        check_is_fitted(self)
        tokens = tokenize_corpus(_check_texts(X), self.text_config_)
        return self.encoder_.transform(tokens)

    @property
    def _n_features_out(self) -> int:
        """Number of output columns, read by ``get_feature_names_out``."""
        return self.vectors_.dim

    def _fit_tokens(self, texts: list[str]) -> list[list[str]]:
        """Validate the parameters, fit the encoder on ``texts``, return the tokens."""
        text_config = _text_config(self)
        method = _check_method(self.method)
        sif_a = _check_sif_a(self.sif_a)
        if not texts:
            raise ValueError("X is empty; fit needs at least one text")
        vectors = _load_vectors(self.vectors)
        if method == "sif" and vectors.counts is None:
            raise ValueError(
                "method='sif' needs word counts, but these vectors have none "
                "(vectors.counts is None); use vectors that carry counts, such as "
                "those of embedsent.pipeline.pretrain, or method='mean' or 'tfidf'"
            )
        if method == "sif" and not vectors.counts.any():
            raise ValueError(
                f"method='sif' needs word counts with a positive sum, but all "
                f"{len(vectors.counts)} counts of these vectors are 0; use vectors "
                "with real corpus counts, such as those of "
                "embedsent.pipeline.pretrain, or method='mean' or 'tfidf'"
            )
        tokens = tokenize_corpus(texts, text_config)
        encoder = SentenceEncoder(vectors, method, sif_a=sif_a).fit(tokens)
        self.vectors_ = vectors
        self.text_config_ = text_config
        self.encoder_ = encoder
        return tokens


# ---------------------------------------------------------------------------
# Numeric features to labels
# ---------------------------------------------------------------------------


class MLPHeadClassifier(ClassifierMixin, BaseEstimator):
    """Softmax classifier with at most one hidden layer, on numeric features.

    A scikit-learn wrapper of :class:`embedsent.classifier.MLPClassifier`,
    trained with AdamW in JAX. Use it after :class:`SentenceVectorizer` in a
    :class:`~sklearn.pipeline.Pipeline`, or on any dense 2-D array.

    Parameters
    ----------
    hidden_size : int, default=64
        Units in the hidden layer; 0 gives multinomial logistic regression.
    activation : {"relu", "tanh"}, default="relu"
        Activation of the hidden layer.
    learning_rate : float, default=1e-2
        Adam learning rate.
    weight_decay : float, default=10.0
        Decoupled weight decay (AdamW) on the weight matrices. The default
        suits standardised sentence vectors and few labels; it underfits
        low-dimensional features, so lower it (for example to 1e-3) there.
    epochs : int, default=200
        Passes over the training set.
    batch_size : int or None, default=None
        Examples per step; None trains on the whole set at once.
    dropout : float, default=0.0
        Dropout rate on the input features during training, at most 0.95.
    standardize : {"global", "feature", "none"}, default="global"
        Feature scaling with statistics of the training set: centre each
        feature and divide all by one common standard deviation
        (``"global"``, which suits sentence vectors), divide each by its own
        (``"feature"``, for features in different units), or leave them as
        given. ``True`` and ``False`` read as ``"feature"`` and ``"none"``.
    seed : int, default=0
        Seed for initialisation, shuffling and dropout, in ``[0, 2**32 - 1]``.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        The sorted distinct labels seen in ``fit``, with the dtype of ``y``.
    n_features_in_ : int
        Number of features seen in ``fit``.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Column names of ``X`` in ``fit``, set only when they are all str.
    model_ : MLPClassifier
        The fitted embedsent classifier, trained on class indices into
        ``classes_``. Its ``get_state`` exports the weights.
    loss_curve_ : list of float
        Mean training cross-entropy of each epoch.
    """

    def __init__(
        self,
        *,
        hidden_size: int = 64,
        activation: str = "relu",
        learning_rate: float = 1e-2,
        weight_decay: float = 10.0,
        epochs: int = 200,
        batch_size: int | None = None,
        dropout: float = 0.0,
        standardize: str = "global",
        seed: int = 0,
    ):
        self.hidden_size = hidden_size
        self.activation = activation
        self.learning_rate = learning_rate
        self.weight_decay = weight_decay
        self.epochs = epochs
        self.batch_size = batch_size
        self.dropout = dropout
        self.standardize = standardize
        self.seed = seed

    def fit(self, X: ArrayLike, y: ArrayLike) -> MLPHeadClassifier:
        """Train a new model on ``X`` and ``y``, replacing any earlier one.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Finite real numbers.
        y : array-like of shape (n_samples,)
            Class labels, at least two distinct ones.

        Returns
        -------
        self : MLPHeadClassifier
            The fitted classifier.

        Raises
        ------
        TypeError
            If a parameter has the wrong type.
        ValueError
            If a parameter has an invalid value, ``X`` is empty, not 2-D or
            not finite, ``y`` contains None or NaN, is continuous or has fewer
            than two classes.
        FloatingPointError
            If training diverged: the loss or a weight became NaN or inf, or an
            epoch's loss rose far above the untrained model's
            (``embedsent.classifier.ClassifierDiverged``).
        """
        config = _classifier_config(self)
        _check_missing_labels(y)
        X, y = validate_data(self, X, y, dtype=(np.float64, np.float32))
        check_classification_targets(y)
        classes, encoded = np.unique(y, return_inverse=True)
        if len(classes) < 2:
            raise ValueError(
                f"y has only one class {classes.tolist()[0]!r}; a classifier needs "
                "at least two classes, so add examples of another class"
            )
        model = MLPClassifier(config).fit(X, encoded)
        self.classes_ = classes
        self.model_ = model
        self.loss_curve_ = list(model.loss_curve_)
        return self

    def _logits(self, X: ArrayLike) -> np.ndarray:
        check_is_fitted(self)
        X = validate_data(self, X, dtype=(np.float64, np.float32), reset=False)
        return self.model_.decision_function(X)

    def decision_function(self, X: ArrayLike) -> np.ndarray:
        """Compute the class scores (logits).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features_in_)
            Features.

        Returns
        -------
        scores : ndarray of shape (n_samples,) or (n_samples, n_classes)
            With two classes, the logit of ``classes_[1]`` minus that of
            ``classes_[0]``, so a positive score predicts ``classes_[1]``.
            With more classes, one logit per class in ``classes_`` order.
        """
        logits = self._logits(X)
        if logits.shape[1] == 2:
            return logits[:, 1] - logits[:, 0]
        return logits

    def predict_proba(self, X: ArrayLike) -> np.ndarray:
        """Compute class probabilities.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features_in_)
            Features.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Probabilities in ``classes_`` order; each row sums to 1.
        """
        return softmax(self._logits(X), axis=1)

    def predict_log_proba(self, X: ArrayLike) -> np.ndarray:
        """Compute the logarithm of the class probabilities.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features_in_)
            Features.

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
            Natural logarithms of the probabilities, in ``classes_`` order.
        """
        return log_softmax(self._logits(X), axis=1)

    def predict(self, X: ArrayLike) -> np.ndarray:
        """Predict the most probable class of each row.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features_in_)
            Features.

        Returns
        -------
        labels : ndarray of shape (n_samples,)
            Labels from ``classes_``, with its dtype.
        """
        logits = self._logits(X)
        return self.classes_[np.argmax(logits, axis=1)]


# ---------------------------------------------------------------------------
# Texts to labels
# ---------------------------------------------------------------------------


class EmbeddingClassifier(ClassifierMixin, BaseEstimator):
    """Classify raw texts from averaged word vectors, end to end.

    ``fit`` fits a :class:`SentenceVectorizer` on the texts and a
    :class:`MLPHeadClassifier` on their sentence vectors. The result matches
    ``make_pipeline(SentenceVectorizer(...), MLPHeadClassifier(...))``, but the
    parameters of both steps are parameters of this estimator, without a
    prefix. One difference: a text with no in-vocabulary token gets the class
    prior, ``class_prior_`` as its probabilities and the most frequent
    training label as its label, where the pipeline classifies a zero vector
    (see :mod:`embedsent.class_prior`).

    Parameters
    ----------
    vectors : WordVectors or str or os.PathLike
        Word vectors, or the path of a file that ``fit`` reads with
        :meth:`WordVectors.load <embedsent.vectors.WordVectors.load>`.
        :func:`sklearn.base.clone` keeps the same ``WordVectors`` object, so
        every clone (one per fold in ``cross_val_score``) shares its read-only
        arrays without copying them.
    method : {"mean", "tfidf", "sif"}, default="mean"
        Weighting of the word vectors of a text; see :class:`SentenceVectorizer`.
    sif_a : float, default=1e-3
        The ``a`` of the SIF weight ``a / (a + p(w))``.
    hidden_size : int, default=64
        Units in the hidden layer; 0 gives multinomial logistic regression.
    activation : {"relu", "tanh"}, default="relu"
        Activation of the hidden layer.
    learning_rate : float, default=1e-2
        Adam learning rate.
    weight_decay : float, default=10.0
        Decoupled weight decay (AdamW) on the weight matrices. The default
        suits standardised sentence vectors and few labels; it underfits
        low-dimensional features, so lower it (for example to 1e-3) there.
    epochs : int, default=200
        Passes over the training set.
    batch_size : int or None, default=None
        Examples per step; None trains on the whole set at once.
    dropout : float, default=0.0
        Dropout rate on the sentence vectors during training, at most 0.95.
    standardize : {"global", "feature", "none"}, default="global"
        Scaling of the sentence vectors with statistics of the training
        set: centre each dimension and divide all by one common standard
        deviation (``"global"``), divide each by its own (``"feature"``), or
        leave them as given. ``True`` and ``False`` read as ``"feature"`` and
        ``"none"``.
    seed : int, default=0
        Seed for initialisation, shuffling and dropout, in ``[0, 2**32 - 1]``.
    lowercase, strip_html, normalize_negations, remove_stopwords, \
keep_negations, remove_punctuation, keep_emoji : bool, default=True
        Tokenisation switches; see :class:`SentenceVectorizer`.
    min_token_length : int, default=1
        Drop word tokens shorter than this many characters.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        The sorted distinct labels seen in ``fit``, with the dtype of ``y``, so
        str labels come back from ``predict`` as str.
    class_prior_ : ndarray of shape (n_classes,)
        Share of each class among the labels seen in ``fit``, in ``classes_``
        order.
    vectorizer_ : SentenceVectorizer
        The fitted vectorizer.
    classifier_ : MLPHeadClassifier
        The classifier fitted on the sentence vectors.

    Examples
    --------
    >>> import numpy as np
    >>> from embedsent.vectors import WordVectors
    >>> vectors = WordVectors(["great", "dull"], np.array([[1.0, 0.0], [0.0, 1.0]]))
    >>> clf = EmbeddingClassifier(vectors, hidden_size=0, epochs=50)
    >>> clf = clf.fit(["a great film", "dull and slow"], ["pos", "neg"])
    >>> clf.predict(["great acting", "so dull"])
    array(['pos', 'neg'], dtype='<U3')
    """

    def __init__(
        self,
        vectors: WordVectors | str | os.PathLike[str],
        *,
        method: str = "mean",
        sif_a: float = 1e-3,
        hidden_size: int = 64,
        activation: str = "relu",
        learning_rate: float = 1e-2,
        weight_decay: float = 10.0,
        epochs: int = 200,
        batch_size: int | None = None,
        dropout: float = 0.0,
        standardize: str = "global",
        seed: int = 0,
        lowercase: bool = True,
        strip_html: bool = True,
        normalize_negations: bool = True,
        remove_stopwords: bool = True,
        keep_negations: bool = True,
        remove_punctuation: bool = True,
        keep_emoji: bool = True,
        min_token_length: int = 1,
    ):
        self.vectors = vectors
        self.method = method
        self.sif_a = sif_a
        self.hidden_size = hidden_size
        self.activation = activation
        self.learning_rate = learning_rate
        self.weight_decay = weight_decay
        self.epochs = epochs
        self.batch_size = batch_size
        self.dropout = dropout
        self.standardize = standardize
        self.seed = seed
        self.lowercase = lowercase
        self.strip_html = strip_html
        self.normalize_negations = normalize_negations
        self.remove_stopwords = remove_stopwords
        self.keep_negations = keep_negations
        self.remove_punctuation = remove_punctuation
        self.keep_emoji = keep_emoji
        self.min_token_length = min_token_length

    def __sklearn_tags__(self) -> Tags:
        return _text_tags(super().__sklearn_tags__())

    def fit(self, X: Sequence[str], y: Sequence[Hashable]) -> EmbeddingClassifier:
        """Fit the vectorizer and the classifier on labeled texts.

        Parameters
        ----------
        X : sequence of str
            Raw texts: a list, a 1-D array or a pandas Series.
        y : array-like of shape (n_texts,)
            One label per text, at least two distinct labels.

        Returns
        -------
        self : EmbeddingClassifier
            The fitted classifier.

        Raises
        ------
        TypeError
            If ``X`` is a single str or contains a non-str, a label is not a
            str, int, float or bool (the label types that a saved
            TransferClassifier stores), or a parameter has the wrong type.
        ValueError
            If a parameter has an invalid value, ``X`` is empty, ``X`` and
            ``y`` differ in length, ``y`` contains None or NaN, mixes str
            labels with numbers or has fewer than two classes, or no text has
            a token in the word vectors.
            When only some texts lack one, a warning gives their number and
            they are fitted as zero vectors. Another warning is logged when
            every word vector is zero.
        """
        vectorizer = SentenceVectorizer(
            self.vectors,
            method=self.method,
            sif_a=self.sif_a,
            **{name: getattr(self, name) for name in _TEXT_PARAMS},
        )
        classifier = MLPHeadClassifier(
            **{name: getattr(self, name) for name in _CLASSIFIER_PARAMS}
        )
        # Validate the classifier parameters and labels before the slower
        # tokenisation.
        _classifier_config(classifier)
        texts = _check_texts(X)
        if y is None:
            # scikit-learn's estimator checks expect this ValueError wording.
            raise ValueError(
                "This EmbeddingClassifier estimator requires y to be passed, but "
                "the target y is None; pass one label per text"
            )
        _check_missing_labels(y)
        labels = _label_array(y)
        if labels is not None:
            # TransferClassifier.fit applies the same rule.
            check_label_types(labels, "y")
        tokens = vectorizer._fit_tokens(texts)
        warn_all_zero_vectors(
            vectorizer.vectors_.vectors,
            logger,
            "the word vectors of this EmbeddingClassifier",
            "pass vectors from embedsent.pipeline.pretrain or other trained vectors",
        )
        check_labeled_coverage(known_text_mask(tokens, vectorizer.vectors_), tokens)
        # check_labeled_coverage has reported the texts with no known token.
        features = vectorizer.encoder_.transform(tokens, warn_empty=False)
        classifier.fit(features, y)
        self.vectorizer_ = vectorizer
        self.classifier_ = classifier
        self.classes_ = classifier.classes_
        self.class_prior_ = label_frequencies(
            np.ravel(np.asarray(y)).tolist(), classifier.classes_.tolist()
        )
        self._uniform_prior = False
        return self

    def __setstate__(self, state: dict[str, Any]) -> None:
        # An estimator pickled before class_prior_ existed gets a uniform prior.
        if "classes_" in state and "class_prior_" not in state:
            state = {
                **state,
                "class_prior_": uniform_prior(len(state["classes_"])),
                "_uniform_prior": True,
            }
        super().__setstate__(state)

    def _known_features(self, X: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """Return which texts of ``X`` have an in-vocabulary token, and the
        sentence vectors of those texts only."""
        check_is_fitted(self)
        vectorizer = self.vectorizer_
        tokens = tokenize_corpus(_check_texts(X), vectorizer.text_config_)
        known = known_text_mask(tokens, vectorizer.vectors_)
        # Every text goes through the encoder, so its last_report_ counts them
        # all. The class-prior warning below is the one report of those texts.
        features = vectorizer.encoder_.transform(tokens, warn_empty=False)
        uniform = getattr(self, "_uniform_prior", False)
        warn_prior_predictions(known, self.classes_, self.class_prior_, uniform=uniform)
        return known, features[known]

    def _prior_label(self) -> Any:
        """Return the most frequent training label, the first class on a tie."""
        return prior_label(self.classes_, self.class_prior_)

    def _prior_rows(self, known: np.ndarray, row: Any) -> np.ndarray:
        """Return ``row`` repeated once per text, to be overwritten where known."""
        row = np.asarray(row)
        return np.broadcast_to(row, (len(known), *row.shape)).copy()

    def decision_function(self, X: Sequence[str]) -> np.ndarray:
        """Compute the class scores (logits) of raw texts.

        Parameters
        ----------
        X : sequence of str
            Raw texts.

        Returns
        -------
        scores : ndarray of shape (n_texts,) or (n_texts, n_classes)
            With two classes, the logit of ``classes_[1]`` minus that of
            ``classes_[0]``. With more classes, one logit per class. A text
            with no in-vocabulary token gets the logarithm of
            ``class_prior_`` (its difference with two classes).
        """
        known, features = self._known_features(X)
        prior_scores = np.log(self.class_prior_)
        if len(prior_scores) == 2:
            prior_scores = prior_scores[1] - prior_scores[0]
        scores = self._prior_rows(known, prior_scores)
        if known.any():
            scores[known] = self.classifier_.decision_function(features)
        return scores

    def predict_proba(self, X: Sequence[str]) -> np.ndarray:
        """Compute class probabilities of raw texts.

        Parameters
        ----------
        X : sequence of str
            Raw texts.

        Returns
        -------
        proba : ndarray of shape (n_texts, n_classes)
            Probabilities in ``classes_`` order; each row sums to 1. A text
            with no in-vocabulary token gets ``class_prior_``.
        """
        known, features = self._known_features(X)
        proba = self._prior_rows(known, self.class_prior_)
        if known.any():
            proba[known] = self.classifier_.predict_proba(features)
        return proba

    def predict_log_proba(self, X: Sequence[str]) -> np.ndarray:
        """Compute the logarithm of the class probabilities of raw texts.

        Parameters
        ----------
        X : sequence of str
            Raw texts.

        Returns
        -------
        log_proba : ndarray of shape (n_texts, n_classes)
            Natural logarithms of the probabilities, in ``classes_`` order.
        """
        known, features = self._known_features(X)
        log_proba = self._prior_rows(known, np.log(self.class_prior_))
        if known.any():
            log_proba[known] = self.classifier_.predict_log_proba(features)
        return log_proba

    def predict(self, X: Sequence[str]) -> np.ndarray:
        """Predict the label of each raw text.

        Parameters
        ----------
        X : sequence of str
            Raw texts.

        Returns
        -------
        labels : ndarray of shape (n_texts,)
            Labels from ``classes_``, with its dtype. A text with no
            in-vocabulary token gets the most frequent training label, the
            first in ``classes_`` on a tie.
        """
        known, features = self._known_features(X)
        labels = np.full(len(known), self._prior_label(), dtype=self.classes_.dtype)
        if known.any():
            labels[known] = self.classifier_.predict(features)
        return labels
