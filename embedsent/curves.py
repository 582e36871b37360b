"""Learning curves: test accuracy of each method against the number of labels.

For each labeled size ``n`` and each balanced random draw of ``n`` training
texts, every method is fitted on the same draw and scored on the whole test
set:

- ``scratch``: :class:`~embedsent.finetune.FineTuneClassifier` from a random
  table, trained end to end on the labeled texts only.
- ``tfidf_lr``: TF-IDF weighted unigrams and bigrams with logistic regression.
- ``transfer``: embedsent's JAX SGNS vectors, frozen, averaged into sentence
  vectors (plain mean, TF-IDF-weighted mean or SIF), and the one-hidden-layer
  classifier.
- ``transfer_gensim``: the same with gensim Word2Vec vectors trained on the
  same tokens with the same settings.
- ``transfer_finetune``: ``FineTuneClassifier`` from the JAX vectors, word
  vectors trained together with the classifier.

Draw ``d`` of size ``n`` uses ``numpy.random.default_rng([seed, n, d])``, so
every method, every rerun and every resumed run gets the same texts. Every
run is appended to a JSON file as soon as it is measured, and a rerun skips
the (method, feature, n, draw) entries already there.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace

import numpy as np
from tqdm import tqdm

from embedsent.baseline import TfidfLogisticRegression
from embedsent.classifier import MLPClassifier
from embedsent.config import ClassifierConfig
from embedsent.curve_config import METHODS, CurveConfig
from embedsent.curve_data import TokenizedCorpus
from embedsent.datasets import LabeledTexts, balanced_sample
from embedsent.features import FeatureReport, SentenceEncoder
from embedsent.finetune import FineTuneClassifier, FineTuneConfig, count_matrix
from embedsent.run_store import RunStore
from embedsent.vectors import WordVectors

__all__ = [
    "CurveConfig",
    "METHODS",
    "draw_indices",
    "method_features",
    "run_learning_curves",
]

logger = logging.getLogger(__name__)

# Methods whose sentence feature is chosen by CurveConfig.features. The other
# methods have one fixed feature, recorded under this name.
VECTOR_METHODS = ("transfer", "transfer_gensim")
# The word vectors, by CurveInputs.vectors key, of each frozen-vector method.
VECTOR_SOURCES = {"transfer": "jax", "transfer_gensim": "gensim"}
FIXED_FEATURES = {"scratch": "mean", "tfidf_lr": "ngrams", "transfer_finetune": "mean"}
FINETUNE_METHODS = ("scratch", "transfer_finetune")


def method_features(config: CurveConfig) -> list[tuple[str, str]]:
    """Return every (method, feature) pair that ``config`` runs, in run order."""
    pairs = []
    for method in config.methods:
        if method in VECTOR_METHODS:
            pairs.extend((method, feature) for feature in config.features)
        else:
            pairs.append((method, FIXED_FEATURES[method]))
    return pairs


def draw_indices(labels: list[str], n: int, seed: int, draw: int) -> np.ndarray:
    """Return the training rows of draw ``draw`` of size ``n``, classes balanced."""
    pool = LabeledTexts(("",) * len(labels), tuple(labels))
    return balanced_sample(pool, n, np.random.default_rng([seed, n, draw]))


@dataclass
class CurveInputs:
    """Everything the runs share: tokens, vectors and precomputed features.

    Attributes:
        corpus: The tokenised corpus.
        vectors: Word vectors by source: ``"jax"``, ``"gensim"`` and
            ``"random"`` (the initial table of ``scratch``).
        classifier_config: Settings of the head on frozen sentence vectors.
        finetune_config: Settings of ``transfer_finetune``.
        scratch_config: Settings of ``scratch``.
    """

    corpus: TokenizedCorpus
    vectors: dict[str, WordVectors]
    classifier_config: ClassifierConfig
    finetune_config: FineTuneConfig
    scratch_config: FineTuneConfig

    def __post_init__(self):
        self._features: dict[tuple[str, str], tuple[np.ndarray, np.ndarray]] = {}
        self._counts: dict[str, tuple] = {}
        self.reports: dict[tuple[str, str], tuple[FeatureReport, FeatureReport]] = {}

    def features(self, source: str, feature: str) -> tuple[np.ndarray, np.ndarray]:
        """Return the (train, test) sentence vectors of ``source`` and ``feature``.

        Corpus statistics of the ``tfidf`` and ``sif`` features are fitted on
        the pretraining texts, never on test texts. Texts with no token in
        the vocabulary get zero vectors. The (train, test) encoder reports
        that count them are stored in ``reports``, and ``run_learning_curves``
        logs them.
        """
        if (source, feature) not in self._features:
            encoder = SentenceEncoder(self.vectors[source], feature)
            encoder.fit(self.corpus.pretrain_tokens)
            train = encoder.transform(self.corpus.train_tokens, warn_empty=False)
            train_report = encoder.last_report_
            test = encoder.transform(self.corpus.test_tokens, warn_empty=False)
            self._features[source, feature] = (train, test)
            self.reports[source, feature] = (train_report, encoder.last_report_)
        return self._features[source, feature]

    def counts(self, source: str):
        """Return the (train, test) token-count matrices over ``source``'s words."""
        if source not in self._counts:
            index = self.vectors[source].index
            self._counts[source] = (
                count_matrix(self.corpus.train_tokens, index),
                count_matrix(self.corpus.test_tokens, index),
            )
        return self._counts[source]


def _finetune_epochs(config: FineTuneConfig, n: int, max_steps: int) -> int:
    """Lower the epochs so that a fit takes about ``max_steps`` steps at most."""
    batches = 1 if config.batch_size is None else -(-n // config.batch_size)
    return max(1, min(config.epochs, -(-max_steps // batches)))


def score_run(
    inputs: CurveInputs,
    method: str,
    feature: str,
    picked: np.ndarray,
    seed: int,
    max_steps: int,
) -> float:
    """Fit ``method`` on the rows ``picked`` and return its test accuracy."""
    corpus = inputs.corpus
    labels = [corpus.train_labels[i] for i in picked]
    if method == "tfidf_lr":
        model = TfidfLogisticRegression(seed=seed)
        model.fit([corpus.train_tokens[i] for i in picked], labels)
        return float(model.score(corpus.test_tokens, corpus.test_labels))
    if method in VECTOR_METHODS:
        train, test = inputs.features(VECTOR_SOURCES[method], feature)
        classifier = MLPClassifier(replace(inputs.classifier_config, seed=seed))
        classifier.fit(train[picked], labels)
        return float(classifier.score(test, corpus.test_labels))
    if method in FINETUNE_METHODS:
        source = "random" if method == "scratch" else "jax"
        config = (
            inputs.scratch_config if method == "scratch" else inputs.finetune_config
        )
        epochs = _finetune_epochs(config, len(picked), max_steps)
        model = FineTuneClassifier(
            inputs.vectors[source], replace(config, seed=seed, epochs=epochs)
        )
        train, test = inputs.counts(source)
        model.fit(train[picked], labels)
        return float(model.score(test, corpus.test_labels))
    raise ValueError(f"unknown method {method!r}; expected one of {METHODS}")


def planned_runs(config: CurveConfig, n_train: int) -> list[dict]:
    """Return every run that ``config`` requests, without accuracy, in run order."""
    plan = []
    pairs = method_features(config)
    # Sizes at or above the number of training texts all mean "every text",
    # so they are measured once.
    sizes = sorted({min(size, n_train) if size else n_train for size in config.sizes})
    for n in sizes:
        for draw in range(config.draws_for(n, n_train)):
            for method, feature in pairs:
                capped = config.finetune_max_n is not None and n > config.finetune_max_n
                if method in FINETUNE_METHODS and capped:
                    continue
                plan.append(
                    {
                        "method": method,
                        "feature": feature,
                        "n": n,
                        "size": "all" if n >= n_train else n,
                        "draw": draw,
                        "seed": config.seed + draw,
                    }
                )
    return plan


def run_learning_curves(
    inputs: CurveInputs,
    config: CurveConfig,
    store: RunStore,
    *,
    progress: bool = False,
    scorer: Callable[..., float] | None = None,
) -> int:
    """Measure every planned run that ``store`` does not hold yet.

    Args:
        inputs: Tokens, vectors and classifier settings.
        config: Sizes, draws, methods and features.
        store: Where runs are read from and appended to.
        progress: Show a progress bar over the runs.
        scorer: The function that fits and scores one run, called with the
            arguments of :func:`score_run`; None uses ``score_run``, after
            computing the sentence vectors of the frozen-vector runs and
            logging one warning per split for texts with no known token.

    Returns:
        The number of runs measured in this call.
    """
    n_train = len(inputs.corpus.train_labels)
    todo = [run for run in planned_runs(config, n_train) if store.key(run) not in store]
    logger.info(
        "learning curves: %d runs to measure, %d already in %s",
        len(todo),
        len(store.runs),
        store.path,
    )
    if scorer is None:
        scorer = score_run
        _encode_frozen_features(inputs, todo)
    drawn: dict[tuple[int, int], np.ndarray] = {}
    for run in tqdm(todo, desc="learning curves", unit="fit", disable=not progress):
        n, draw = run["n"], run["draw"]
        if (n, draw) not in drawn:
            drawn[n, draw] = draw_indices(
                inputs.corpus.train_labels, n, config.seed, draw
            )
        started = time.perf_counter()
        accuracy = scorer(
            inputs,
            run["method"],
            run["feature"],
            drawn[n, draw],
            run["seed"],
            config.finetune_steps,
        )
        seconds = time.perf_counter() - started
        store.add({**run, "accuracy": accuracy, "seconds": round(seconds, 3)})
        logger.debug("%s: accuracy %.4f in %.1f s", store.key(run), accuracy, seconds)
    return len(todo)


def _encode_frozen_features(inputs: CurveInputs, runs: list[dict]) -> None:
    """Compute the sentence vectors of ``runs`` and log their empty texts.

    Every feature of one vector source gives a zero vector to the same texts,
    those without a token in its vocabulary, so one warning per split gives
    the count of each frozen-vector method, instead of one warning per
    feature. Computing the vectors here also keeps them out of the seconds of
    the first run that uses them.
    """
    pairs = {
        (run["method"], run["feature"])
        for run in runs
        if run["method"] in VECTOR_METHODS
    }
    for method, feature in sorted(pairs):
        inputs.features(VECTOR_SOURCES[method], feature)
    for position, split in enumerate(("training", "test")):
        # Methods with equal counts share one entry: "1 of 200 for transfer
        # and transfer_gensim".
        methods_by_count: dict[tuple[int, int], list[str]] = {}
        for method, feature in sorted(pairs):
            report = inputs.reports[VECTOR_SOURCES[method], feature][position]
            if not report.n_empty:
                continue
            methods = methods_by_count.setdefault((report.n_empty, report.n_texts), [])
            if method not in methods:
                methods.append(method)
        if not methods_by_count:
            continue
        counts = [
            f"{n_empty} of {n_texts} for {' and '.join(methods)}"
            for (n_empty, n_texts), methods in methods_by_count.items()
        ]
        logger.warning(
            "%s texts with no in-vocabulary token, which get zero sentence "
            "vectors with every feature: %s",
            split,
            ", ".join(counts),
        )


def settings_record(
    config: CurveConfig,
    *,
    classifier_config: ClassifierConfig,
    finetune_config: FineTuneConfig,
    scratch_config: FineTuneConfig,
    **extra,
) -> dict:
    """Return the settings that change a run's accuracy, for ``RunStore``.

    Every setting is known before tokenising and pretraining, so a results
    file written with other settings can be rejected before that work.
    """
    return {
        "draw_seed": config.seed,
        "finetune_steps": config.finetune_steps,
        "classifier": asdict(classifier_config),
        "finetune": asdict(finetune_config),
        "scratch": asdict(scratch_config),
        **extra,
    }
