"""The shipped-corpus experiment, repeated over many random splits.

The shipped corpus has 62 unlabeled reviews, 8 labeled training reviews and
200 labeled test reviews. One train/test split of so few reviews is weak
evidence. An accuracy measured on 2 test reviews is 0%, 50% or 100%, and a
coin flip scores 100% on 2 reviews a quarter of the time. This module pools the 208
labeled reviews, draws many balanced splits of 8 training reviews (the rest
is the test set), and reports the mean accuracy with its interval next to
what a 2-review test set would have shown on each split.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
from tqdm import tqdm

from embedsent.baseline import TfidfLogisticRegression
from embedsent.classifier import MLPClassifier
from embedsent.config import ClassifierConfig, SGNSConfig, VocabConfig
from embedsent.datasets import LabeledTexts, balanced_sample, load_default_corpus
from embedsent.evaluate import (
    accuracy_interval,
    coin_flip_perfect_probability,
    summarize_accuracies,
)
from embedsent.features import SentenceEncoder
from embedsent.text import tokenize_corpus
from embedsent.trainer import train_sgns

__all__ = ["ToyConfig", "run_toy_experiment"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ToyConfig:
    """Settings of the repeated shipped-corpus experiment.

    Attributes:
        splits: Random train/test splits of the labeled pool.
        n_train: Training reviews per split, classes balanced.
        n_small_test: Size of the small test set shown for contrast.
        sgns: Pretraining settings (those of ``embedsent demo``).
        vocab: Vocabulary settings (those of ``embedsent demo``).
        seed: Seed of pretraining, splits and classifiers.
    """

    splits: int = 200
    n_train: int = 8
    n_small_test: int = 2
    sgns: SGNSConfig = SGNSConfig(
        dim=50, epochs=100, batch_size=64, negative_group=16, steps_per_call=8
    )
    vocab: VocabConfig = VocabConfig(min_count=2, sample=0.0)
    seed: int = 0

    def __post_init__(self):
        for name in ("splits", "n_train", "n_small_test"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be an int >= 1, got {value!r}")
        if self.splits < 2:
            raise ValueError(f"splits must be >= 2 for an interval, got {self.splits}")


def run_toy_experiment(config: ToyConfig | None = None, *, progress: bool = False):
    """Pretrain on the shipped unlabeled reviews, then score many random splits.

    Returns:
        A JSON-ready dict. Its ``methods`` entry has one item per method:
        ``transfer`` (the plain mean of the JAX vectors with the
        one-hidden-layer classifier) and ``tfidf_lr``. Each item lists the
        accuracy on every split and their summary (mean, 95% t interval),
        the accuracy on the shipped split, and the share of splits on which
        ``n_small_test`` random test reviews are all classified correctly.
        The dict also contains the coin-flip probability of a perfect score
        on ``n_small_test`` reviews and the Wilson interval of such a score.
    """
    config = config or ToyConfig()
    corpus = load_default_corpus()
    unlabeled = tokenize_corpus(corpus.unlabeled)
    sgns = config.sgns
    if sgns.seed != config.seed:
        from dataclasses import replace

        sgns = replace(sgns, seed=config.seed)
    vectors = train_sgns(unlabeled, sgns, config.vocab).word_vectors()
    encoder = SentenceEncoder(vectors, "mean")

    pool_texts = tuple(corpus.train.texts) + tuple(corpus.test.texts)
    pool_labels = tuple(corpus.train.labels) + tuple(corpus.test.labels)
    pool = LabeledTexts(pool_texts, pool_labels)
    tokens = tokenize_corpus(pool_texts)
    features = encoder.transform(tokens)
    labels = np.asarray(pool_labels)
    shipped_train = np.arange(len(corpus.train))

    def score(method: str, train: np.ndarray, test: np.ndarray) -> np.ndarray:
        """Return whether each test review is classified correctly."""
        if method == "transfer":
            model = MLPClassifier(ClassifierConfig(seed=config.seed))
            model.fit(features[train], labels[train].tolist())
            predicted = model.predict(features[test])
        else:
            model = TfidfLogisticRegression(seed=config.seed)
            model.fit([tokens[i] for i in train], labels[train].tolist())
            predicted = model.predict([tokens[i] for i in test])
        return np.asarray(predicted) == labels[test]

    methods = ("transfer", "tfidf_lr")
    result: dict = {
        "settings": {
            "splits": config.splits,
            "n_train": config.n_train,
            "n_test": len(pool) - config.n_train,
            "n_small_test": config.n_small_test,
            "n_unlabeled": len(unlabeled),
            "vocabulary": len(vectors.words),
            "seed": config.seed,
        },
        "coin_flip_perfect": coin_flip_perfect_probability(config.n_small_test),
        "perfect_interval": list(
            accuracy_interval(config.n_small_test, config.n_small_test)
        ),
        "methods": {},
    }
    shipped_test = np.setdiff1d(np.arange(len(pool)), shipped_train)
    for method in methods:
        correct = score(method, shipped_train, shipped_test)
        result["methods"][method] = {
            "shipped_split": float(correct.mean()),
            "accuracies": [],
            "small_test_perfect": [],
        }
    for split in tqdm(range(config.splits), desc="toy splits", disable=not progress):
        rng = np.random.default_rng([config.seed, split])
        train = balanced_sample(pool, config.n_train, rng)
        test = np.setdiff1d(np.arange(len(pool)), train)
        small = rng.choice(len(test), size=config.n_small_test, replace=False)
        for method in methods:
            correct = score(method, train, test)
            entry = result["methods"][method]
            entry["accuracies"].append(float(correct.mean()))
            entry["small_test_perfect"].append(bool(correct[small].all()))
    for method in methods:
        entry = result["methods"][method]
        entry["summary"] = summarize_accuracies(entry["accuracies"])
        entry["small_test_perfect_share"] = float(np.mean(entry["small_test_perfect"]))
        logger.info(
            "toy %s: mean %.3f over %d splits, %d-review test perfect on %.0f%%",
            method,
            entry["summary"]["mean"],
            config.splits,
            config.n_small_test,
            100 * entry["small_test_perfect_share"],
        )
    return result
