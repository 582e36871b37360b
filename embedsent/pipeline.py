"""The end-to-end model: text settings, word vectors, sentence encoder, classifier.

``pretrain`` turns unlabeled texts into word vectors with the JAX SGNS
trainer. ``TransferClassifier`` averages those vectors into sentence vectors
and fits the one-hidden-layer classifier on a few labeled texts. A fitted
model saves to one file (a NumPy ``.npz`` archive holding JSON metadata and
arrays, no pickle), written atomically.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Hashable, Sequence
from dataclasses import asdict

import numpy as np

from embedsent import __version__
from embedsent.classifier import MLPClassifier
from embedsent.config import (
    ClassifierConfig,
    SGNSConfig,
    TextConfig,
    VocabConfig,
    config_from_dict,
)
from embedsent.features import SentenceEncoder
from embedsent.file_kinds import MODEL_FORMAT
from embedsent.storage import load_bundle, save_bundle
from embedsent.text import tokenize_corpus
from embedsent.trainer import train_sgns
from embedsent.vectors import WordVectors

__all__ = ["MODEL_FORMAT_VERSION", "TransferClassifier", "pretrain"]

logger = logging.getLogger(__name__)

MODEL_FORMAT_VERSION = 1


def pretrain(
    texts: Sequence[str],
    *,
    text_config: TextConfig | None = None,
    vocab_config: VocabConfig | None = None,
    sgns_config: SGNSConfig | None = None,
    progress: bool = False,
) -> WordVectors:
    """Tokenise unlabeled ``texts`` and train SGNS word vectors on them.

    Returns:
        The input vectors of the trained model with their corpus counts, in
        vocabulary order (most frequent first).
    """
    tokens = tokenize_corpus(texts, text_config, progress=progress)
    model = train_sgns(tokens, sgns_config, vocab_config, progress=progress)
    return WordVectors(model.vocab.tokens, model.input_vectors, model.vocab.counts)


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

    Args:
        vectors: Pretrained word vectors.
        text_config: Tokenisation settings; must match those used to
            pretrain ``vectors``.
        feature_method: Sentence feature, ``"mean"``, ``"tfidf"`` or ``"sif"``.
        classifier_config: Settings of the one-hidden-layer classifier.
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
        self.vectors = vectors
        self.text_config = text_config or TextConfig()
        self.encoder = SentenceEncoder(vectors, feature_method)
        self.classifier = MLPClassifier(classifier_config or ClassifierConfig())
        self.fit_report_ = None

    @property
    def classes_(self) -> list:
        return self.classifier.classes_

    def features(self, texts: Sequence[str]) -> np.ndarray:
        """Return ``float32[n, dim]`` sentence vectors of raw ``texts``."""
        return self.encoder.transform(tokenize_corpus(texts, self.text_config))

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
            labels: One label per text, any hashable type.
            unlabeled: Extra raw texts to fit corpus statistics of the
                ``tfidf`` and ``sif`` features on (the labeled texts are used
                as well).
        """
        tokens = tokenize_corpus(texts, self.text_config)
        fit_tokens = tokens
        if unlabeled is not None:
            fit_tokens = tokens + tokenize_corpus(unlabeled, self.text_config)
        self.encoder.fit(fit_tokens)
        features = self.encoder.transform(tokens)
        self.fit_report_ = self.encoder.last_report_
        self.classifier.fit(features, labels)
        return self

    def predict(self, texts: Sequence[str]) -> np.ndarray:
        return self.classifier.predict(self.features(texts))

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        return self.classifier.predict_proba(self.features(texts))

    def score(self, texts: Sequence[str], labels: Sequence[Hashable]) -> float:
        return self.classifier.score(self.features(texts), labels)

    def save(self, path: str | os.PathLike) -> None:
        """Write the whole model to one ``.npz`` file, atomically."""
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
        arrays = {"vectors": np.asarray(self.vectors.vectors)}
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
            path, kind="embedsent model", expected_format=MODEL_FORMAT
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
            raise ValueError(f"{path} is damaged: missing entry {error}") from error
        expected = model.classifier.n_features_in_
        if vectors.dim != expected:
            raise ValueError(
                f"{path} is damaged: its word vectors have dim {vectors.dim} but its "
                f"classifier expects {expected} features; save the model again"
            )
        return model


def _strip(arrays: dict, prefix: str) -> dict:
    return {k[len(prefix) :]: v for k, v in arrays.items() if k.startswith(prefix)}
