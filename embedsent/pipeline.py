"""The end-to-end model: text settings, word vectors, sentence encoder, classifier.

``pretrain`` turns unlabeled texts into word vectors with the JAX SGNS
trainer. ``TransferClassifier`` averages those vectors into sentence vectors
and fits the one-hidden-layer classifier on a few labeled texts. A fitted
model saves to one file (a NumPy ``.npz`` archive holding JSON metadata and
arrays, no pickle), written atomically.
"""

from __future__ import annotations

import copy
import logging
import os
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import asdict

import numpy as np

from embedsent import __version__
from embedsent.class_prior import (
    check_labeled_coverage,
    label_frequencies,
    prior_label,
    texts_have,
    uniform_prior,
    warn_prior_predictions,
)
from embedsent.classifier import (
    MLPClassifier,
    NotFittedError,
    check_label_types,
    label_accuracy,
)
from embedsent.config import (
    ClassifierConfig,
    SGNSConfig,
    TextConfig,
    VocabConfig,
    check_config_type,
    config_from_dict,
)
from embedsent.features import SentenceEncoder
from embedsent.file_kinds import BUNDLE_KINDS, MODEL_FORMAT, MODEL_REBUILD_ADVICE
from embedsent.output_kinds import check_replaceable
from embedsent.storage import (
    InvalidStateError,
    check_bundle_suffix,
    load_bundle,
    save_bundle,
)
from embedsent.text import iter_tokenize, tokenize_corpus
from embedsent.trainer import train_sgns
from embedsent.vector_checks import warn_all_zero_vectors
from embedsent.vectors import WordVectors
from embedsent.vocab import check_token_corpus

__all__ = ["MODEL_FORMAT_VERSION", "TransferClassifier", "json_key", "pretrain"]

logger = logging.getLogger(__name__)

# A text counts as short when it has fewer than 1/SHORT_TEXT_RATIO of the
# in-vocabulary tokens of the shortest training text: its average of word
# vectors then varies at least sqrt(SHORT_TEXT_RATIO) = 2 times as much. A
# model trained on 512 IMDB reviews gave "good" a positive probability of 0.02,
# and one trained on 60 gave "actor" 0.9999.
SHORT_TEXT_RATIO = 4

MODEL_FORMAT_VERSION = 1


def json_key(label: Hashable) -> str:
    """Return the JSON object key of a class label, as ``json.dumps`` writes it.

    Booleans become ``"true"`` and ``"false"``, the spelling of the JSON
    values ``predict`` writes as labels, and any other label its ``str``.
    """
    if isinstance(label, bool | np.bool_):
        return "true" if label else "false"
    return str(label)


def pretrain(
    texts: Sequence[str],
    *,
    text_config: TextConfig | None = None,
    vocab_config: VocabConfig | None = None,
    sgns_config: SGNSConfig | None = None,
    progress: bool = False,
) -> WordVectors:
    """Tokenise unlabeled ``texts`` and train SGNS word vectors on them.

    The texts are tokenised one at a time into token ids, so the corpus never
    exists as Python token lists (see ``embedsent.vocab.build_and_encode``).

    Returns:
        The trained word vectors with their corpus counts, in vocabulary
        order (most frequent first): each word's input plus output vector,
        or its input vector alone with ``add_context_vectors=False``.
    """
    names = {
        SGNSConfig: "sgns_config",
        VocabConfig: "vocab_config",
        TextConfig: "text_config",
    }
    values = (sgns_config, vocab_config, text_config)
    for (cls, name), value in zip(names.items(), values, strict=True):
        others = {other: n for other, n in names.items() if other is not cls}
        check_config_type(name, value, cls, others)
    tokens = iter_tokenize(texts, text_config, progress=progress)
    model = train_sgns(tokens, sgns_config, vocab_config, progress=progress)
    return model.word_vectors()


def random_vectors(like: WordVectors, seed: int = 0) -> WordVectors:
    """Return untrained vectors over the same words, drawn like SGNS's init.

    These are the "scratch" reference: same vocabulary and architecture, no
    pretraining.
    """
    rng = np.random.default_rng(seed)
    dim = like.vectors.shape[1]
    values = rng.uniform(-0.5 / dim, 0.5 / dim, like.vectors.shape).astype(np.float32)
    return WordVectors(like.words, values, like.counts)


class TransferClassifier:
    """Classify texts from averaged pretrained word vectors.

    A text with no in-vocabulary token gets the class prior: ``class_prior_``
    as its probabilities and the most frequent training label as its label
    (see :mod:`embedsent.class_prior`).

    Args:
        vectors: Pretrained word vectors.
        text_config: Tokenisation settings; must match those used to
            pretrain ``vectors``.
        feature_method: Sentence feature, ``"mean"``, ``"tfidf"`` or ``"sif"``.
        classifier_config: Settings of the one-hidden-layer classifier.

    Attributes:
        class_prior_: Float64 share of each class among the training labels,
            in ``classes_`` order; set by ``fit`` and ``load``.
        min_known_tokens_: The minimum number of in-vocabulary tokens in a
            training text that has any; set by ``fit`` and ``load`` (None for a
            model file from an older embedsent). Predicting a text with at
            least one but fewer than a quarter as many logs a warning. The
            spread of an average of k word vectors shrinks as 1/sqrt(k), so
            such a text's sentence vector varies twice as much as any the
            classifier saw, and it often gets a probability near 0 or 1
            whatever its label.
    """

    def __init__(
        self,
        vectors: WordVectors,
        *,
        text_config: TextConfig | None = None,
        feature_method: str = "mean",
        classifier_config: ClassifierConfig | None = None,
    ):
        if not isinstance(vectors, WordVectors):
            raise TypeError(
                f"vectors must be WordVectors, got {type(vectors).__name__}; load "
                "a file with WordVectors.load(path) or train with pretrain(texts)"
            )
        check_config_type(
            "text_config",
            text_config,
            TextConfig,
            {ClassifierConfig: "classifier_config"},
        )
        check_config_type(
            "classifier_config",
            classifier_config,
            ClassifierConfig,
            {TextConfig: "text_config"},
        )
        self.vectors = vectors
        self.text_config = text_config or TextConfig()
        self.encoder = SentenceEncoder(vectors, feature_method)
        self.classifier = MLPClassifier(classifier_config or ClassifierConfig())
        self.fit_report_ = None
        self.class_prior_: np.ndarray | None = None
        self.min_known_tokens_: int | None = None
        # True for a model file that stores no class prior; see load.
        self._uniform_prior = False

    @property
    def classes_(self) -> list:
        return self.classifier.classes_

    def tokenize(self, texts: Sequence[str]) -> list[list[str]]:
        """Tokenise raw ``texts`` with the model's text settings."""
        return tokenize_corpus(texts, self.text_config)

    def features(self, texts: Sequence[str]) -> np.ndarray:
        """Return ``float32[n, dim]`` sentence vectors of raw ``texts``."""
        return self.encoder.transform(self.tokenize(texts))

    def fit(
        self,
        texts: Sequence[str],
        labels: Sequence[Hashable],
        *,
        unlabeled: Sequence[str] | None = None,
    ) -> TransferClassifier:
        """Fit the sentence encoder and the classifier on labeled ``texts``.

        Args:
            texts: Labeled raw texts.
            labels: One label per text, each a str, int, float or bool (the
                types a saved model stores). str labels cannot be mixed with
                numbers.
            unlabeled: Extra raw texts to fit corpus statistics of the
                ``tfidf`` and ``sif`` features on (the labeled texts are used
                as well).

        A failed fit raises and leaves an earlier fitted model unchanged.

        Raises:
            ValueError: if ``texts`` is empty, ``texts`` and ``labels`` differ
                in length, ``labels`` has fewer than two classes or mixes str
                labels with numbers, or no text has a token in the word
                vectors. When only some texts lack one, a warning gives their
                number and they are fitted as zero vectors. Another warning
                is logged when every word vector is zero.
            TypeError: if a label has a type other than str, int, float or
                bool.
        """
        tokens = tokenize_corpus(texts, self.text_config)
        if isinstance(labels, Mapping):
            # list() of a mapping would silently give its keys.
            _reject_label_container("a mapping")
        if isinstance(labels, np.ndarray) and labels.ndim != 1:
            _reject_label_container(f"an array of shape {labels.shape}")
        if not isinstance(labels, Sequence | np.ndarray):
            try:
                # Read a one-shot iterator once, for the classifier and the prior.
                labels = list(labels)
            except TypeError:
                raise TypeError(
                    f"labels must be a sequence of labels, got "
                    f"{type(labels).__name__}; pass one label per text"
                ) from None
        _check_labels(len(tokens), labels)
        # EmbeddingClassifier.fit applies the same rule.
        check_label_types(labels, "labels")
        warn_all_zero_vectors(
            self.vectors.vectors,
            logger,
            "the word vectors of this TransferClassifier",
            "pass vectors from pretrain(texts) or other trained vectors",
        )
        counts = known_token_counts(tokens, self.vectors)
        check_labeled_coverage(counts > 0, tokens)
        fit_tokens = tokens
        if unlabeled is not None:
            if isinstance(unlabeled, str | bytes):
                raise TypeError(
                    f"unlabeled must be a sequence of texts, got a single "
                    f"{type(unlabeled).__name__}; pass a list of texts, e.g. "
                    "[text] for one"
                )
            fit_tokens = tokens + tokenize_corpus(unlabeled, self.text_config)
        # The fitted encoder replaces the current one only once the classifier
        # has fitted too, so a failed fit leaves the earlier model as it was.
        encoder = copy.copy(self.encoder)
        encoder.fit(fit_tokens)
        # check_labeled_coverage has reported the texts with no known token.
        features = encoder.transform(tokens, warn_empty=False)
        self.classifier.fit(features, labels)
        self.encoder = encoder
        self.fit_report_ = encoder.last_report_
        self.class_prior_ = label_frequencies(labels, self.classifier.classes_)
        self.min_known_tokens_ = int(counts[counts > 0].min())
        self._uniform_prior = False
        return self

    def predict(self, texts: Sequence[str]) -> np.ndarray:
        """Predict the label of each raw text.

        Returns:
            Labels from ``classes_``, with the dtype of ``MLPClassifier.predict``.
            A text with no in-vocabulary token gets the most frequent training
            label.
        """
        self._check_fitted("predict")
        return self._predict_tokens(
            self.tokenize(texts), warn_empty=True, warn_short=True
        )

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        """Compute class probabilities of raw texts; see ``predict_proba_tokens``."""
        self._check_fitted("predict_proba")
        return self.predict_proba_tokens(self.tokenize(texts))

    def predict_proba_tokens(self, token_lists: Sequence[Sequence[str]]) -> np.ndarray:
        """Compute class probabilities of texts tokenised by ``tokenize``.

        Returns:
            Float64 array of shape ``(n_texts, n_classes)``, columns in
            ``classes_`` order. A text with no in-vocabulary token gets
            ``class_prior_``.
        """
        self._check_fitted("predict_proba_tokens")
        return self._probabilities_and_counts(token_lists)[0]

    def _probabilities_and_counts(
        self, token_lists: Sequence[Sequence[str]]
    ) -> tuple[np.ndarray, np.ndarray]:
        """Return ``predict_proba_tokens`` and each text's in-vocabulary tokens."""
        features, counts = self._encode(token_lists)
        known = counts > 0
        probabilities = self.classifier.predict_proba(features)
        probabilities[~known] = self.class_prior_
        warn_prior_predictions(
            known, self.classes_, self.class_prior_, uniform=self._uniform_prior
        )
        self._warn_short_texts(counts)
        return probabilities, counts

    def _warn_short_texts(self, counts: np.ndarray) -> None:
        """Log how many texts are far shorter than every training text, if any.

        ``counts`` contains the number of in-vocabulary tokens of each text.
        """
        if self.min_known_tokens_ is None:
            return
        short = (counts > 0) & (SHORT_TEXT_RATIO * counts < self.min_known_tokens_)
        if short.any():
            n_short = int(np.count_nonzero(short))
            logger.warning(
                "%d of %d %s fewer than a quarter of the %d in-vocabulary "
                "tokens of the shortest training text. An average of so few word "
                "vectors varies more than any the classifier saw, and such texts "
                "often get a probability near 0 or 1 whatever their label; train "
                "on texts as short as these to score them reliably",
                n_short,
                len(counts),
                texts_have(n_short, len(counts)),
                self.min_known_tokens_,
            )

    def prediction_records(self, texts: Sequence[str]) -> list[dict]:
        """Describe the prediction for each raw text as a JSON-ready dict.

        Each dict contains three entries:

        - ``label``: the most probable class, the first of tied ones as in
          ``predict``, with NumPy scalars as Python values.
        - ``probabilities``: class to probability, keyed by ``json_key`` in
          ``classes_`` order.
        - ``known_tokens``: the number of the text's tokens that have a word
          vector. With 0, the probabilities are ``class_prior_``.
        """
        self._check_fitted("prediction_records")
        probabilities, counts = self._probabilities_and_counts(self.tokenize(texts))
        # NumPy scalars become the Python values json.dumps can write.
        labels = [
            label.item() if isinstance(label, np.generic) else label
            for label in self.classes_
        ]
        keys = [json_key(label) for label in labels]
        return [
            {
                "label": labels[int(np.argmax(row))],
                "probabilities": {
                    key: float(p) for key, p in zip(keys, row, strict=True)
                },
                "known_tokens": int(count),
            }
            for count, row in zip(counts, probabilities, strict=True)
        ]

    def score(
        self,
        texts: Sequence[str],
        labels: Sequence[Hashable],
        *,
        warn_empty: bool = True,
    ) -> float:
        """Return the accuracy of ``predict(texts)`` against ``labels``.

        Args:
            texts: Raw texts.
            labels: One label per text.
            warn_empty: Log the warning of ``predict`` about texts with no
                in-vocabulary token, which get the class prior. Pass False
                when the caller has already reported those texts, as after
                ``fit`` on the same texts.
        """
        if isinstance(labels, str | bytes):
            raise TypeError(
                f"labels must be a sequence of labels, got a single "
                f"{type(labels).__name__} {labels!r}; pass one label per text"
            )
        self._check_fitted("score")
        labels = list(labels)
        tokens = self.tokenize(texts)
        predicted = self._predict_tokens(tokens, warn_empty=warn_empty).tolist()
        if len(labels) != len(predicted):
            raise ValueError(
                f"got {len(predicted)} texts but {len(labels)} labels; pass one "
                "label per text"
            )
        if not labels:
            raise ValueError("texts and labels are empty; score needs at least one")
        return label_accuracy(predicted, labels, self.classes_, "labels")

    def _predict_tokens(
        self,
        token_lists: Sequence[Sequence[str]],
        *,
        warn_empty: bool,
        warn_short: bool = False,
    ) -> np.ndarray:
        """Predict the label of each tokenised text.

        A text with no in-vocabulary token gets the prior label, and with
        ``warn_empty`` one warning gives the number of such texts. With
        ``warn_short``, texts far shorter than every training text get one
        warning too.
        """
        features, counts = self._encode(token_lists)
        known = counts > 0
        labels = self.classifier.predict(features)
        label = self._prior_label()
        # Row by row, so that NumPy stores a tuple label as one object.
        for row in np.flatnonzero(~known):
            labels[row] = label
        if warn_empty:
            warn_prior_predictions(
                known, self.classes_, self.class_prior_, uniform=self._uniform_prior
            )
        if warn_short:
            self._warn_short_texts(counts)
        return labels

    def _encode(
        self, token_lists: Sequence[Sequence[str]]
    ) -> tuple[np.ndarray, np.ndarray]:
        """Return the sentence vectors of ``token_lists`` and the number of
        in-vocabulary tokens of each text."""
        token_lists = check_token_corpus(token_lists, name="token_lists")
        # Every text goes through the encoder, so its last_report_ counts them
        # all. The caller logs the texts with no known token, once.
        features = self.encoder.transform(token_lists, warn_empty=False)
        return features, known_token_counts(token_lists, self.vectors)

    def _check_fitted(self, method: str) -> None:
        """Raise NotFittedError, before any tokenisation, if there is no model."""
        if self.class_prior_ is None:
            raise NotFittedError(
                f"this TransferClassifier is not fitted yet. Call "
                f"TransferClassifier.fit(texts, labels) or "
                f"TransferClassifier.load(path) before {method}"
            )

    def _prior_label(self) -> Hashable:
        """Return the most frequent training label, the first class on a tie."""
        return prior_label(self.classes_, self.class_prior_)

    def save(self, path: str | os.PathLike) -> None:
        """Write the whole model to one ``.npz`` file, atomically.

        An existing classifier model at ``path`` is replaced, and so is an
        empty file.

        Raises:
            ValueError: If ``path`` ends with a suffix that marks another kind
                of file, such as ``.txt`` or ``.csv``, or is an existing file
                of another kind, such as an SGNS model, a checkpoint or a CSV
                file. Such a file is left as it is.
        """
        self._check_fitted("save")
        check_bundle_suffix(path, "an embedsent classifier model")
        check_replaceable(path, BUNDLE_KINDS[MODEL_FORMAT], "path")
        encoder_meta, encoder_arrays = self.encoder.get_state()
        classifier_meta, classifier_arrays = self.classifier.get_state()
        meta = {
            "format": MODEL_FORMAT,
            "format_version": MODEL_FORMAT_VERSION,
            "embedsent_version": __version__,
            "text_config": asdict(self.text_config),
            "words": list(self.vectors.words),
            "encoder": encoder_meta,
            "classifier": classifier_meta,
        }
        arrays = {
            "vectors": np.asarray(self.vectors.vectors),
            "class_prior": np.asarray(self.class_prior_, dtype=np.float64),
        }
        if self.min_known_tokens_ is not None:
            meta["min_known_tokens"] = self.min_known_tokens_
        if self.vectors.counts is not None:
            arrays["counts"] = np.asarray(self.vectors.counts)
        arrays.update({f"encoder.{k}": v for k, v in encoder_arrays.items()})
        arrays.update({f"classifier.{k}": v for k, v in classifier_arrays.items()})
        save_bundle(path, meta, arrays)
        logger.info("saved model to %s", path)

    @classmethod
    def load(cls, path: str | os.PathLike) -> TransferClassifier:
        """Read a model written by ``save``.

        Raises:
            FileNotFoundError: if ``path`` does not exist.
            ValueError: if the file is damaged, not an embedsent model, or of
                an unknown format version.
        """
        meta, arrays = load_bundle(
            path,
            kind="embedsent model",
            expected_format=MODEL_FORMAT,
            damaged_fix=MODEL_REBUILD_ADVICE,
        )
        version = meta.get("format_version")
        if version != MODEL_FORMAT_VERSION:
            raise ValueError(
                f"{path} has model format_version {version!r}, but this embedsent "
                f"({__version__}) reads version {MODEL_FORMAT_VERSION}; load it with "
                "the embedsent version that wrote it"
            )
        try:
            vectors = WordVectors(
                meta["words"], arrays["vectors"], arrays.get("counts")
            )
            model = cls(
                vectors, text_config=config_from_dict(TextConfig, meta["text_config"])
            )
            model.encoder = SentenceEncoder.from_state(
                vectors, meta["encoder"], _strip(arrays, "encoder.")
            )
            model.classifier = MLPClassifier.from_state(
                meta["classifier"], _strip(arrays, "classifier.")
            )
        except KeyError as error:
            raise ValueError(
                f"{path} is damaged: it has no entry {error}; {MODEL_REBUILD_ADVICE}"
            ) from error
        except (TypeError, ValueError) as error:
            # Invalid stored settings, such as a standardize mode this version
            # does not know, or arrays that do not match them. The advice in an
            # InvalidStateError is for callers of from_state, not for this file.
            if isinstance(error, InvalidStateError):
                problem = error.problem
            else:
                problem = str(error)
            raise ValueError(
                f"{path} is damaged: {problem}; {MODEL_REBUILD_ADVICE}"
            ) from error
        expected = model.classifier.n_features_in_
        if vectors.dim != expected:
            raise ValueError(
                f"{path} is damaged: its word vectors have dim {vectors.dim} but its "
                f"classifier expects {expected} features; {MODEL_REBUILD_ADVICE}"
            )
        model.class_prior_ = _load_class_prior(
            path, arrays.get("class_prior"), len(model.classes_)
        )
        model._uniform_prior = "class_prior" not in arrays
        model.min_known_tokens_ = _load_min_known_tokens(
            path, meta.get("min_known_tokens")
        )
        return model


def known_token_counts(token_lists: Sequence[Sequence[str]], vectors) -> np.ndarray:
    """Return the number of tokens of each text that have a vector in ``vectors``."""
    return np.fromiter(
        (sum(token in vectors for token in tokens) for tokens in token_lists),
        dtype=np.int64,
        count=len(token_lists),
    )


def _load_min_known_tokens(path: str | os.PathLike, value) -> int | None:
    """Check the stored length of the shortest training text; None when absent."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(
            f"{path} is damaged: min_known_tokens must be an integer >= 1, got "
            f"{value!r}; {MODEL_REBUILD_ADVICE}"
        )
    return value


def _load_class_prior(
    path: str | os.PathLike, prior: np.ndarray | None, n_classes: int
) -> np.ndarray:
    """Check the stored class prior, or return a uniform one if there is none."""
    if prior is None:
        logger.warning(
            "%s stores no class prior (an older embedsent wrote it), so texts "
            "with no in-vocabulary token get a uniform prior; train the model "
            "again to store its training label frequencies",
            path,
        )
        return uniform_prior(n_classes)
    prior = np.asarray(prior, dtype=np.float64)
    valid = (
        prior.shape == (n_classes,)
        and bool(np.all(prior >= 0))
        and bool(np.isclose(prior.sum(), 1.0))
    )
    if not valid:
        raise ValueError(
            f"{path} is damaged: its class prior {prior.tolist()} is not {n_classes} "
            f"probabilities that sum to 1, one per class; {MODEL_REBUILD_ADVICE}"
        )
    return prior


def _reject_label_container(kind: str) -> None:
    """Raise TypeError for labels passed as ``kind`` instead of a flat sequence."""
    raise TypeError(
        f"labels must be a flat sequence of labels, got {kind}; pass one label "
        "per text, such as a list"
    )


def _check_labels(n_texts: int, labels: Sequence[Hashable]) -> None:
    """Raise ValueError in terms of texts and labels before the classifier does.

    Unhashable and NaN labels are left to ``MLPClassifier.fit``, which names
    the position of the bad label.
    """
    if isinstance(labels, str | bytes):
        raise TypeError(
            f"labels must be a sequence of labels, got a single "
            f"{type(labels).__name__} {labels!r}; pass one label per text"
        )
    if not n_texts:
        raise ValueError(
            "texts is empty, but fit needs labeled texts of at least two classes"
        )
    if len(labels) != n_texts:
        raise ValueError(
            f"got {n_texts} texts but {len(labels)} labels; pass one label per text"
        )
    try:
        classes = set(labels)
    except TypeError:
        return
    if len(classes) == 1 and len({type(label) for label in labels}) == 1:
        # Labels of several types that compare equal, such as True and 1, are
        # left to the classifier, whose error states that they would merge.
        (only,) = classes
        if isinstance(only, np.generic):
            only = only.item()
        raise ValueError(
            f"labels has only one class {only!r}, but a classifier needs at "
            "least two, so add labeled texts of another class"
        )


def _strip(arrays: dict, prefix: str) -> dict:
    return {k[len(prefix) :]: v for k, v in arrays.items() if k.startswith(prefix)}
