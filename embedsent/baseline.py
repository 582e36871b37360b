"""Reference baselines: gensim's Word2Vec and a TF-IDF logistic regression.

``train_gensim_word2vec`` trains skip-gram negative sampling with gensim's
C implementation from the same configs as the JAX trainer, so the two can be
compared on equal settings. ``TfidfLogisticRegression`` is the bag-of-n-grams
classifier that any transfer-learning result should beat.
"""

from __future__ import annotations

import logging
import math
import time
from collections import Counter
from collections.abc import Iterator, Sequence

import numpy as np
from sklearn.exceptions import NotFittedError
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

from embedsent.config import SGNSConfig, VocabConfig
from embedsent.vectors import WordVectors
from embedsent.vocab import MinCountError, check_token_corpus

__all__ = ["train_gensim_word2vec", "TfidfLogisticRegression", "word2vec_arguments"]

logger = logging.getLogger(__name__)

# Inverse regularisation strength measured on IMDB (partial) with unigrams
# and bigrams: 8 to 2,048 balanced training reviews, tested on 2,000 + 2,000
# reviews, 10 draws per size below 512 and 3 above. C = 100 matched C = 10
# within 0.1 points up to 128 reviews and led by 0.2 points at 512 and 0.4
# at 2,048. C = 1 trailed by 1.4 to 1.9 points from 512 reviews on.
DEFAULT_C = 100.0


def train_gensim_word2vec(
    corpus: Sequence[Sequence[str]],
    *,
    sgns: SGNSConfig,
    vocab: VocabConfig,
    workers: int = 1,
) -> WordVectors:
    """Train skip-gram negative sampling word vectors with gensim's Word2Vec.

    The settings map one to one: ``sgns.dim``, ``window``, ``negative``,
    ``alpha``, ``min_alpha``, ``epochs`` and ``seed``, and ``vocab.min_count``,
    ``max_vocab_size`` (gensim's ``max_final_vocab``), ``sample`` and
    ``noise_power`` (gensim's ``ns_exponent``). The batching fields of
    ``SGNSConfig`` have no gensim counterpart and are ignored. So is
    ``add_context_vectors``: the result is gensim's ``model.wv``, the input
    vectors gensim users get. Adding gensim's output vectors (``syn1neg``)
    lowered its sentiment accuracy by up to 1.2 points with 8 to 32 labels
    in validation (docs/benchmarks.md), so the baseline keeps its better
    export.

    Warning:
        gensim documents bit-reproducible training only with ``workers=1``
        and a fixed ``PYTHONHASHSEED`` environment variable. With more
        workers, thread scheduling changes the order of updates between runs.
        With gensim 4.4 and ``workers=1`` the vectors do not depend on
        ``PYTHONHASHSEED`` (a test compares two processes), but fix it anyway
        when runs on other gensim versions must match.

    Args:
        corpus: Tokenised sentences, re-iterable (a list of token lists):
            gensim reads it once for the vocabulary and once per epoch.
        sgns: Training settings.
        vocab: Vocabulary settings.
        workers: gensim worker threads.

    Returns:
        Word vectors in gensim's index order (descending count) with counts.

    Raises:
        TypeError: if ``corpus`` is a string, a flat list of strings, a
            one-shot iterator, or contains tokens that are not strings.
        ValueError: if the corpus has no token or no token reaches
            ``vocab.min_count``.
        MemoryError: if the two tables would not fit, before gensim
            allocates them (see ``embedsent.trainer.check_memory``).
    """
    if not isinstance(sgns, SGNSConfig):
        raise TypeError(f"sgns must be an SGNSConfig, got {type(sgns).__name__}")
    if not isinstance(vocab, VocabConfig):
        raise TypeError(f"vocab must be a VocabConfig, got {type(vocab).__name__}")
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise ValueError(f"workers must be an int >= 1, got {workers!r}")
    _reject_one_shot(corpus)
    documents = check_token_corpus(corpus)
    counts = _check_min_count(documents, vocab.min_count)
    # gensim allocates two float32 tables of this size too (vectors, syn1neg).
    from embedsent.trainer import check_memory

    vocab_size = sum(count >= vocab.min_count for count in counts.values())
    if vocab.max_vocab_size is not None:
        vocab_size = min(vocab_size, vocab.max_vocab_size)
    check_memory(vocab_size, sgns)

    from gensim.models import Word2Vec

    start = time.perf_counter()
    model = Word2Vec(sentences=documents, **word2vec_arguments(sgns, vocab, workers))
    elapsed = time.perf_counter() - start
    words = model.corpus_total_words * sgns.epochs
    logger.info(
        "gensim Word2Vec: %d corpus words x %d epochs in %.1f s (%.0f words/s, "
        "workers=%d), vocabulary %d",
        model.corpus_total_words,
        sgns.epochs,
        elapsed,
        words / max(elapsed, 1e-9),
        workers,
        len(model.wv),
    )
    return WordVectors.from_gensim(model.wv)


def word2vec_arguments(sgns: SGNSConfig, vocab: VocabConfig, workers: int) -> dict:
    """Return gensim ``Word2Vec`` keyword arguments for skip-gram with these settings.

    ``train_gensim_word2vec`` documents the mapping; everything but the
    corpus is here, so a caller that streams its own corpus to gensim trains
    with the same settings.
    """
    return {
        "sg": 1,
        "hs": 0,
        "negative": sgns.negative,
        "vector_size": sgns.dim,
        "window": sgns.window,
        "min_count": vocab.min_count,
        "max_final_vocab": vocab.max_vocab_size,
        "sample": vocab.sample,
        "ns_exponent": vocab.noise_power,
        "alpha": sgns.alpha,
        "min_alpha": sgns.min_alpha,
        "epochs": sgns.epochs,
        "seed": sgns.seed,
        "workers": workers,
    }


def _reject_one_shot(corpus) -> None:
    if isinstance(corpus, str | bytes):
        return  # check_token_corpus raises with the tokenising hint
    if isinstance(corpus, Iterator):
        raise TypeError(
            f"corpus must be re-iterable, got a one-shot {type(corpus).__name__}; "
            "gensim reads the corpus once for the vocabulary and once per epoch, "
            "so pass a list: list(corpus)"
        )


def _check_min_count(
    documents: Sequence[Sequence[str]], min_count: int
) -> Counter[str]:
    counts: Counter[str] = Counter()
    for document in documents:
        counts.update(document)
    for token in counts:
        if not isinstance(token, str):
            raise TypeError(
                f"corpus tokens must be str, got {type(token).__name__} ({token!r})"
            )
    if not counts:
        raise ValueError("corpus contains no tokens; pass non-empty token lists")
    largest = max(counts.values())
    if largest < min_count:
        raise MinCountError(
            f"no token reaches min_count={min_count}: the corpus has "
            f"{len(counts)} token types and the largest count is {largest}; "
            "lower VocabConfig.min_count or pass a larger corpus",
            min_count=min_count,
            token_types=len(counts),
            largest_count=largest,
        )
    return counts


def _identity(tokens):
    # Module level, not a lambda, so a fitted model can be pickled.
    return tokens


class TfidfLogisticRegression:
    """TF-IDF weighted n-grams of token lists fed to logistic regression.

    The input is already tokenised, so the vectorizer neither lowercases nor
    splits: n-grams are built from the tokens as given.

    Args:
        ngram_range: Smallest and largest n-gram length.
        C: Inverse L2 regularisation strength of the logistic regression.
        min_df: Drop n-grams found in fewer than this many training documents.
        sublinear_tf: Use ``1 + log(tf)`` in place of raw term counts.
        seed: ``random_state`` of the logistic regression.

    Example:
        >>> model = TfidfLogisticRegression(ngram_range=(1, 1))
        >>> model = model.fit([["good", "film"], ["bad", "film"]], ["pos", "neg"])
        >>> model.predict([["good"]]).tolist()
        ['pos']
    """

    def __init__(
        self,
        *,
        ngram_range: tuple[int, int] = (1, 2),
        C: float = DEFAULT_C,
        min_df: int = 1,
        sublinear_tf: bool = True,
        seed: int = 0,
    ):
        _check_ngram_range(ngram_range)
        if isinstance(C, bool) or not isinstance(C, int | float):
            raise TypeError(f"C must be a number, got {C!r}")
        if not math.isfinite(C) or C <= 0:
            raise ValueError(f"C must be a finite number > 0, got {C}")
        if isinstance(min_df, bool) or not isinstance(min_df, int) or min_df < 1:
            raise ValueError(f"min_df must be an int >= 1, got {min_df!r}")
        if not isinstance(sublinear_tf, bool):
            raise TypeError(f"sublinear_tf must be True or False, got {sublinear_tf!r}")
        if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
            raise ValueError(f"seed must be an int >= 0, got {seed!r}")
        self.ngram_range = tuple(ngram_range)
        self.C = float(C)
        self.min_df = min_df
        self.sublinear_tf = sublinear_tf
        self.seed = seed
        self._vectorizer: TfidfVectorizer | None = None
        self._model: LogisticRegression | None = None

    @property
    def classes_(self) -> np.ndarray:
        """Labels seen in ``fit``, in the column order of ``predict_proba``."""
        return self._fitted()[1].classes_

    def fit(
        self, token_lists: Sequence[Sequence[str]], labels: Sequence
    ) -> TfidfLogisticRegression:
        """Fit the vectorizer and the classifier; return ``self``.

        Raises:
            TypeError: if a token list is a string.
            ValueError: if the lengths differ, fewer than two classes are
                present, or no n-gram passes ``min_df``.
        """
        documents = _check_token_lists(token_lists)
        labels = np.asarray(labels)
        if labels.ndim != 1 or len(labels) != len(documents):
            raise ValueError(
                f"labels must be one label per token list: got {len(documents)} "
                f"token lists and labels of shape {labels.shape}"
            )
        classes = np.unique(labels)
        if len(classes) < 2:
            raise ValueError(
                f"labels must contain at least two classes, got only "
                f"{classes.tolist()}; add examples of another class"
            )
        vectorizer = TfidfVectorizer(
            tokenizer=_identity,
            preprocessor=_identity,
            token_pattern=None,
            lowercase=False,
            ngram_range=self.ngram_range,
            min_df=self.min_df,
            sublinear_tf=self.sublinear_tf,
        )
        try:
            features = vectorizer.fit_transform(documents)
        except ValueError as error:
            raise ValueError(
                f"no n-gram features remain with min_df={self.min_df} on "
                f"{len(documents)} token lists ({error}); lower min_df or pass "
                "non-empty token lists"
            ) from error
        model = LogisticRegression(C=self.C, max_iter=1000, random_state=self.seed)
        model.fit(features, labels)
        self._vectorizer, self._model = vectorizer, model
        return self

    def predict(self, token_lists: Sequence[Sequence[str]]) -> np.ndarray:
        """Return the predicted label of each token list, as given to ``fit``."""
        vectorizer, model = self._fitted()
        return model.predict(vectorizer.transform(_check_token_lists(token_lists)))

    def predict_proba(self, token_lists: Sequence[Sequence[str]]) -> np.ndarray:
        """Return ``float64[n, n_classes]`` probabilities in ``classes_`` order."""
        vectorizer, model = self._fitted()
        features = vectorizer.transform(_check_token_lists(token_lists))
        return model.predict_proba(features)

    def score(self, token_lists: Sequence[Sequence[str]], labels: Sequence) -> float:
        """Return the accuracy on ``token_lists`` against ``labels``."""
        predicted = self.predict(token_lists)
        labels = np.asarray(labels)
        if labels.shape != predicted.shape:
            raise ValueError(
                f"labels must be one label per token list: got {len(predicted)} "
                f"token lists and labels of shape {labels.shape}"
            )
        return float(np.mean(predicted == labels))

    def _fitted(self) -> tuple[TfidfVectorizer, LogisticRegression]:
        if self._vectorizer is None or self._model is None:
            raise NotFittedError(
                "TfidfLogisticRegression is not fitted yet; call fit(token_lists, "
                "labels) first"
            )
        return self._vectorizer, self._model


def _check_ngram_range(ngram_range) -> None:
    valid = (
        isinstance(ngram_range, tuple | list)
        and len(ngram_range) == 2
        and all(isinstance(n, int) and not isinstance(n, bool) for n in ngram_range)
        and 1 <= ngram_range[0] <= ngram_range[1]
    )
    if not valid:
        raise ValueError(
            f"ngram_range must be two ints (low, high) with 1 <= low <= high, "
            f"got {ngram_range!r}"
        )


def _check_token_lists(token_lists) -> list[Sequence[str]]:
    if isinstance(token_lists, str | bytes | bytearray):
        raise TypeError(
            "token_lists must be a list of token lists, got a single "
            f"{type(token_lists).__name__}; tokenize texts first with "
            "embedsent.text.tokenize_corpus([text, ...])"
        )
    documents = list(token_lists)
    for position, document in enumerate(documents):
        if isinstance(document, str | bytes | bytearray):
            raise TypeError(
                f"token_lists[{position}] is a {type(document).__name__} "
                f"({document[:40]!r}), not a token list; tokenize texts first "
                "with embedsent.text.tokenize_corpus(texts)"
            )
    return documents
