"""Sentence vectors: weighted averages of word vectors.

Three weightings are available:

- ``"mean"``: the plain average of the in-vocabulary word vectors.
- ``"tfidf"``: each token weighted by its inverse document frequency in the
  texts the encoder was fitted on (term frequency enters through repetition).
- ``"sif"``: smooth inverse frequency, ``a / (a + p(w))`` with ``p(w)`` the
  word's corpus frequency, followed by removal of the first principal
  component of the fitted sentence vectors (Arora, Liang and Ma, 2017, "A
  Simple but Tough-to-Beat Baseline for Sentence Embeddings").

A text with no known token gets a zero vector and is counted in the report;
features are never NaN.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from embedsent.class_prior import agree, texts_have
from embedsent.config import FEATURE_METHODS
from embedsent.storage import InvalidStateError
from embedsent.vector_checks import check_counts, warn_zero_rows
from embedsent.vocab import check_token_corpus

__all__ = ["FEATURE_METHODS", "FeatureReport", "SentenceEncoder"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class FeatureReport:
    """Coverage of one ``transform`` call.

    Attributes:
        n_texts: Texts encoded.
        n_empty: Texts with no in-vocabulary token; their vector is zero.
        n_tokens: Tokens seen.
        n_oov_tokens: Tokens not in the vocabulary.
    """

    n_texts: int
    n_empty: int
    n_tokens: int
    n_oov_tokens: int

    @property
    def oov_rate(self) -> float:
        """Share of tokens not in the vocabulary (0 when there are no tokens)."""
        return self.n_oov_tokens / self.n_tokens if self.n_tokens else 0.0

    @property
    def empty_rate(self) -> float:
        """Share of texts with no in-vocabulary token."""
        return self.n_empty / self.n_texts if self.n_texts else 0.0


class SentenceEncoder:
    """Encode token lists as weighted averages of word vectors.

    Args:
        vectors: Word vectors (an ``embedsent.vectors.WordVectors``).
        method: One of ``"mean"``, ``"tfidf"``, ``"sif"``.
        sif_a: The ``a`` of SIF weighting, a finite number ``> 0``.
        word_counts: ``int[V]`` corpus counts ``>= 0`` per row of ``vectors``
            for SIF; defaults to ``vectors.counts``. SIF needs counts with a
            positive sum.

    ``"tfidf"`` and ``"sif"`` encoders must be fitted with :meth:`fit` (or
    rebuilt with :meth:`from_state`) before :meth:`transform`.

    A warning is logged, once per vectors array, when some but not all word
    vectors are all zero.

    Raises:
        TypeError: If ``sif_a`` is not a number or ``word_counts`` is not
            integer.
        ValueError: If ``method`` is unknown, ``sif_a`` is not a finite number
            ``> 0``, or ``word_counts`` does not have one count ``>= 0`` per
            word.
    """

    def __init__(
        self,
        vectors,
        method: str = "mean",
        *,
        sif_a: float = 1e-3,
        word_counts: np.ndarray | None = None,
    ):
        if method not in FEATURE_METHODS:
            raise ValueError(f"method must be one of {FEATURE_METHODS}, got {method!r}")
        if isinstance(sif_a, bool) or not isinstance(
            sif_a, int | float | np.integer | np.floating
        ):
            raise TypeError(
                f"sif_a must be a number, got {sif_a!r} ({type(sif_a).__name__})"
            )
        if not (math.isfinite(sif_a) and sif_a > 0):
            raise ValueError(
                f"sif_a must be a finite number > 0, got {sif_a}; the usual value "
                "is 1e-3"
            )
        if word_counts is not None:
            word_counts = check_counts(
                word_counts, len(vectors.words), name="word_counts"
            )
        # The warning is logged once per array, so the encoders that
        # cross-validation builds for each split do not repeat it. Callers
        # that fit on the vectors warn when every row is zero, with advice
        # for their own API.
        warn_zero_rows(
            vectors.vectors,
            vectors.words,
            logger,
            "the word vectors of the sentence features",
        )
        self.vectors = vectors
        self.method = method
        self.sif_a = float(sif_a)
        self.word_counts = word_counts
        self.idf_: np.ndarray | None = None
        self.principal_component_: np.ndarray | None = None
        self.last_report_: FeatureReport | None = None
        # Set by fit and from_state. A fitted SIF encoder may have no principal
        # component, when it was fitted on fewer than 2 non-empty texts.
        self._fitted = False

    def __setstate__(self, state: dict) -> None:
        # Encoders pickled before _fitted existed were fitted whenever their
        # method needs it: SentenceVectorizer fits the encoder it stores.
        if "_fitted" not in state:
            fitted = state.get("method") != "tfidf" or state.get("idf_") is not None
            state = {**state, "_fitted": fitted}
        self.__dict__.update(state)

    @property
    def dim(self) -> int:
        return int(self.vectors.vectors.shape[1])

    def fit(self, token_lists: Sequence[Sequence[str]]) -> SentenceEncoder:
        """Fit the weights that depend on a corpus (IDF for tfidf, the
        principal component for SIF). ``"mean"`` needs no fitting."""
        documents = check_token_corpus(token_lists, name="token_lists")
        if self.method == "tfidf":
            counts = self._count_matrix(documents)[0]
            document_frequency = np.asarray((counts > 0).sum(axis=0)).ravel()
            n_documents = len(documents)
            self.idf_ = (
                np.log((1.0 + n_documents) / (1.0 + document_frequency)) + 1.0
            ).astype(np.float32)
        elif self.method == "sif":
            self.principal_component_ = None
            features = self._weighted_mean(documents)[0]
            nonzero = features[np.abs(features).sum(axis=1) > 0]
            if nonzero.shape[0] >= 2:
                # The first right singular vector of the uncentred matrix is
                # the common direction SIF removes.
                _, _, vt = np.linalg.svd(
                    nonzero.astype(np.float64), full_matrices=False
                )
                self.principal_component_ = vt[0].astype(np.float32)
            else:
                logger.warning(
                    "SIF fitted on %d non-empty texts; no principal component removed",
                    nonzero.shape[0],
                )
        self._fitted = True
        return self

    def transform(
        self, token_lists: Sequence[Sequence[str]], *, warn_empty: bool = True
    ) -> np.ndarray:
        """Encode texts as ``float32[n, dim]`` sentence vectors.

        Texts with no known token get zero vectors. Their number is stored in
        ``last_report_`` and logged as a warning, or at DEBUG level when
        ``warn_empty`` is False, for callers that report those texts
        themselves.
        """
        documents = check_token_corpus(token_lists, name="token_lists")
        if self.method != "mean" and not self._fitted:
            raise ValueError(
                f"the {self.method} encoder is not fitted; call fit(texts) first"
            )
        features, report = self._weighted_mean(documents)
        if self.method == "sif" and self.principal_component_ is not None:
            component = self.principal_component_
            # Zero rows stay zero, so texts with no known token are unchanged.
            features = features - np.outer(features @ component, component)
        self.last_report_ = report
        if report.n_empty:
            logger.log(
                logging.WARNING if warn_empty else logging.DEBUG,
                "%d of %d %s no in-vocabulary token and %s",
                report.n_empty,
                report.n_texts,
                texts_have(report.n_empty, report.n_texts),
                agree(report.n_empty, "gets a zero vector", "get zero vectors"),
            )
        return features.astype(np.float32)

    def fit_transform(self, token_lists: Sequence[Sequence[str]]) -> np.ndarray:
        """Fit on ``token_lists`` and encode them, reading a one-shot iterator once."""
        documents = check_token_corpus(token_lists, name="token_lists")
        return self.fit(documents).transform(documents)

    def _count_matrix(self, documents):
        index = self.vectors.index
        rows, cols = [], []
        n_tokens = 0
        for row, document in enumerate(documents):
            n_tokens += len(document)
            try:
                ids = [index[token] for token in document if token in index]
            except TypeError:
                # An unhashable token, such as a list.
                _check_token_types(row, document)
                raise
            # The words of the vocabulary are all str, so only a text with an
            # unknown token can contain a token of another type.
            if len(ids) != len(document) and set(map(type, document)) != {str}:
                _check_token_types(row, document)
            cols.extend(ids)
            rows.extend([row] * len(ids))
        data = np.ones(len(cols), dtype=np.float32)
        shape = (len(documents), len(self.vectors.words))
        counts = sp.csr_matrix((data, (rows, cols)), shape=shape)
        counts.sum_duplicates()
        return counts, n_tokens, len(cols)

    def _token_weights(self) -> np.ndarray | None:
        if self.method == "tfidf":
            return self.idf_
        if self.method == "sif":
            counts = self.word_counts
            if counts is None:
                counts = getattr(self.vectors, "counts", None)
            if counts is None:
                raise ValueError(
                    "SIF weighting needs word counts; pass word_counts= or use "
                    "vectors that carry counts"
                )
            total = float(np.sum(counts, dtype=np.float64))
            if not total > 0:
                raise ValueError(
                    f"SIF weighting needs word counts with a positive sum, but all "
                    f"{len(counts)} counts are 0, so no word has a frequency; pass "
                    "word_counts= with real corpus counts, or use method 'mean'"
                )
            frequency = np.asarray(counts, dtype=np.float64) / total
            return (self.sif_a / (self.sif_a + frequency)).astype(np.float32)
        return None

    def _weighted_mean(self, documents):
        counts, n_tokens, n_known = self._count_matrix(documents)
        weights = self._token_weights()
        if weights is not None:
            counts = counts @ sp.diags(weights)
        totals = np.asarray(counts.sum(axis=1)).ravel()
        sums = counts @ self.vectors.vectors
        empty = totals == 0
        features = np.zeros_like(sums, dtype=np.float32)
        features[~empty] = sums[~empty] / totals[~empty, None]
        report = FeatureReport(
            n_texts=len(documents),
            n_empty=int(empty.sum()),
            n_tokens=n_tokens,
            n_oov_tokens=n_tokens - n_known,
        )
        return features, report

    def get_state(self) -> tuple[dict, dict[str, np.ndarray]]:
        """Return JSON-ready settings and arrays that rebuild this encoder.

        Raises:
            ValueError: If a ``"tfidf"`` or ``"sif"`` encoder is not fitted.
        """
        if self.method != "mean" and not self._fitted:
            raise ValueError(
                f"the {self.method} encoder is not fitted; call fit(texts) before "
                "get_state"
            )
        meta = {"method": self.method, "sif_a": self.sif_a}
        arrays = {}
        if self.idf_ is not None:
            arrays["idf"] = self.idf_
        if self.principal_component_ is not None:
            arrays["principal_component"] = self.principal_component_
        if self.word_counts is not None:
            arrays["word_counts"] = np.asarray(self.word_counts)
        return meta, arrays

    @classmethod
    def from_state(cls, vectors, meta: dict, arrays: dict) -> SentenceEncoder:
        """Rebuild a fitted encoder from the output of :meth:`get_state`.

        Raises:
            KeyError: If ``meta`` lacks ``"method"`` or ``"sif_a"``.
            TypeError: If a setting or ``word_counts`` has the wrong type.
            InvalidStateError: A ValueError raised when a tfidf state has no
                ``idf`` array.
            ValueError: If a setting is invalid, or an array does not match
                ``vectors``: ``idf`` and ``word_counts`` need one value per
                word, ``principal_component`` one per dimension.
        """
        encoder = cls(
            vectors,
            meta["method"],
            sif_a=meta["sif_a"],
            word_counts=arrays.get("word_counts"),
        )
        n_words = len(vectors.words)
        if encoder.method == "tfidf" and arrays.get("idf") is None:
            raise InvalidStateError(
                "the tfidf encoder state has no 'idf' array, which fit computes",
                "fit the encoder and pass the state that get_state returns",
            )
        encoder.idf_ = _state_vector(arrays, "idf", n_words, "one per word")
        encoder.principal_component_ = _state_vector(
            arrays,
            "principal_component",
            int(vectors.vectors.shape[1]),
            "one per vector dimension",
        )
        encoder._fitted = True
        return encoder


def _state_vector(arrays: dict, name: str, size: int, unit: str) -> np.ndarray | None:
    """Return ``arrays[name]`` as float32 after checking it has ``size`` finite
    values, or None when it is absent."""
    value = arrays.get(name)
    if value is None:
        return None
    array = np.asarray(value)
    if array.dtype.kind not in "fiu":
        raise ValueError(
            f"the encoder array {name!r} must contain real numbers, got dtype "
            f"{array.dtype}"
        )
    if array.shape != (size,):
        found = f"length {len(array)}" if array.ndim == 1 else f"shape {array.shape}"
        raise ValueError(
            f"the encoder array {name!r} has {found}, but length {size} is "
            f"expected ({unit} of the word vectors)"
        )
    array = array.astype(np.float32)
    if not np.isfinite(array).all():
        raise ValueError(f"the encoder array {name!r} contains NaN or infinity")
    return array


def _check_token_types(row: int, document: Sequence) -> None:
    """Raise TypeError naming the first token of ``document`` that is not a str."""
    for position, token in enumerate(document):
        if not isinstance(token, str):
            raise TypeError(
                f"token_lists[{row}] must contain str tokens, got "
                f"{type(token).__name__} ({token!r}) at position {position}; "
                "tokenize texts with embedsent.text.tokenize_corpus"
            )
