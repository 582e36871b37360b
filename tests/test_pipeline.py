import json
import logging
import zipfile

import numpy as np
import pytest

from embedsent.classifier import NotFittedError
from embedsent.config import ClassifierConfig, SGNSConfig, VocabConfig
from embedsent.file_kinds import CHECKPOINT_FORMAT, SGNS_FORMAT
from embedsent.pipeline import TransferClassifier, pretrain, random_vectors
from embedsent.storage import META_KEY, save_bundle
from embedsent.vectors import WordVectors

UNLABELED = [
    "a great film with a wonderful cast",
    "a boring film with an awful plot",
    "wonderful acting and a great story",
    "awful acting and a boring story",
] * 10
TEXTS = ["great wonderful film", "awful boring plot", "wonderful story", "boring film"]
LABELS = ["pos", "neg", "pos", "neg"]
TINY_SGNS = SGNSConfig(dim=8, epochs=5, batch_size=32, negative_group=8, seed=0)
TINY_VOCAB = VocabConfig(min_count=1, sample=0.0)


@pytest.fixture(scope="module")
def vectors():
    return pretrain(UNLABELED, vocab_config=TINY_VOCAB, sgns_config=TINY_SGNS)


@pytest.fixture
def model(vectors):
    config = ClassifierConfig(hidden_size=4, epochs=50)
    return TransferClassifier(vectors, classifier_config=config).fit(TEXTS, LABELS)


def test_pretrain_returns_vectors_in_frequency_order(vectors):
    keys = [(-int(c), w) for w, c in zip(vectors.words, vectors.counts, strict=True)]
    assert keys == sorted(keys)
    assert "a" not in vectors
    assert vectors.dim == 8


def test_fitted_model_predicts_given_labels(model):
    assert set(model.predict(["a great film"])) <= {"pos", "neg"}
    assert model.score(TEXTS, LABELS) == 1.0


def test_prediction_records_match_predict_proba(model):
    probe = ["wonderful film", "nothing known here"]
    records = model.prediction_records(probe)
    expected = model.predict_proba(probe)
    assert [r["label"] for r in records] == list(model.predict(probe))
    for record, row in zip(records, expected, strict=True):
        assert list(record["probabilities"]) == list(model.classes_)
        assert list(record["probabilities"].values()) == row.tolist()
    assert [r["known_tokens"] for r in records] == [2, 0]


def test_prediction_records_json_label_types(vectors):
    config = ClassifierConfig(hidden_size=4, epochs=50)
    for labels, keys in [
        (np.array([True, False, True, False]), ["true", "false"]),
        (np.array([3, 1, 3, 1]), ["1", "3"]),
    ]:
        fitted = TransferClassifier(vectors, classifier_config=config)
        records = fitted.fit(TEXTS, labels).prediction_records(["great film"])
        assert sorted(records[0]["probabilities"]) == sorted(keys)
        written = json.loads(json.dumps(records[0]))
        assert written["label"] == records[0]["label"]
        assert type(records[0]["label"]) is type(labels[0].item())


@pytest.mark.parametrize("method", ["tfidf", "sif"])
def test_failed_refit_keeps_model(vectors, method):
    config = ClassifierConfig(hidden_size=4, epochs=50)
    model = TransferClassifier(vectors, classifier_config=config, feature_method=method)
    model.fit(TEXTS, LABELS, unlabeled=UNLABELED[:8])
    probe = ["wonderful film", "awful plot", "great story"]
    before = model.predict_proba(probe)
    with pytest.raises(ValueError, match="is NaN"):
        model.fit(UNLABELED[:4], ["pos", float("nan")] * 2)
    np.testing.assert_array_equal(model.predict_proba(probe), before)


def test_fit_rejects_string_unlabeled(vectors):
    with pytest.raises(TypeError, match="unlabeled must be a sequence of texts"):
        TransferClassifier(vectors).fit(TEXTS, LABELS, unlabeled="great film")


def test_save_load_round_trip_keeps_predictions(model, tmp_path):
    path = tmp_path / "model.npz"
    model.save(path)
    loaded = TransferClassifier.load(path)
    probe = ["wonderful film", "awful plot", "nothing known here"]
    np.testing.assert_array_equal(
        loaded.predict_proba(probe), model.predict_proba(probe)
    )
    assert list(loaded.predict(probe)) == list(model.predict(probe))


def test_save_rejects_text_suffix(model, tmp_path):
    path = tmp_path / "model.txt"
    with pytest.raises(ValueError, match=r"model\.txt: .*Save it as .*model\.npz"):
        model.save(path)
    assert list(tmp_path.iterdir()) == []


def test_save_replaces_file_atomically(model, tmp_path, monkeypatch):
    path = tmp_path / "model.npz"
    model.save(path)
    before = path.read_bytes()

    def broken_savez(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(np, "savez", broken_savez)
    with pytest.raises(OSError, match="disk full"):
        model.save(path)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["model.npz"]


def _write_savez(path):
    with open(path, "wb") as handle:
        np.savez(handle, weights=np.ones(3))


@pytest.mark.parametrize(
    ("write", "kind"),
    [
        (_write_savez, "a NumPy .npz archive that embedsent did not write"),
        (
            lambda path: save_bundle(path, {"format": SGNS_FORMAT}, {}),
            "an SGNS pretraining model",
        ),
        (
            lambda path: save_bundle(path, {"format": CHECKPOINT_FORMAT}, {}),
            "an SGNS training checkpoint",
        ),
        (lambda path: path.write_text("text,label\ngood,pos\n"), "a text file"),
    ],
)
def test_save_keeps_file_of_other_kind(model, tmp_path, write, kind):
    path = tmp_path / "existing"
    write(path)
    before = path.read_bytes()
    with pytest.raises(ValueError) as raised:
        model.save(path)
    message = str(raised.value)
    assert f"path {path} is {kind}, not an embedsent classifier model" in message
    assert "pass another path, or delete it first" in message
    assert path.read_bytes() == before


def test_save_replaces_empty_file(model, tmp_path):
    path = tmp_path / "model.npz"
    path.write_bytes(b"")
    model.save(path)
    assert TransferClassifier.load(path).classes_ == model.classes_


def test_load_rejects_truncated_file(model, tmp_path):
    path = tmp_path / "model.npz"
    model.save(path)
    path.write_bytes(path.read_bytes()[:200])
    with pytest.raises(ValueError, match="damaged"):
        TransferClassifier.load(path)


def test_load_rejects_unknown_format_version(model, tmp_path):
    path = tmp_path / "model.npz"
    model.save(path)
    with np.load(path) as archive:
        arrays = {name: archive[name] for name in archive.files}
    meta = bytes(arrays["__meta__"]).replace(
        b'"format_version": 1', b'"format_version": 7'
    )
    arrays["__meta__"] = np.frombuffer(meta, dtype=np.uint8)
    np.savez(path, **arrays)
    with pytest.raises(ValueError, match="format_version 7"):
        TransferClassifier.load(path)


def test_load_rejects_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        TransferClassifier.load(tmp_path / "absent.npz")


def test_load_rejects_other_zip(tmp_path):
    path = tmp_path / "other.npz"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("readme.txt", "not a model")
    with pytest.raises(ValueError, match="not an embedsent"):
        TransferClassifier.load(path)


def test_random_vectors_share_vocabulary(vectors):
    untrained = random_vectors(vectors, seed=1)
    assert untrained.words == vectors.words
    assert not np.allclose(untrained.vectors, vectors.vectors)


def test_single_class_labels_rejected(vectors):
    model = TransferClassifier(vectors)
    with pytest.raises(ValueError, match="one class"):
        model.fit(TEXTS, ["pos"] * 4)


def test_saved_model_gets_umask_permissions(model, tmp_path):
    import os

    path = tmp_path / "model.npz"
    mask = os.umask(0o022)
    try:
        model.save(path)
    finally:
        os.umask(mask)
    assert path.stat().st_mode & 0o777 == 0o644


def test_load_rejects_vectors_of_other_dim(model, tmp_path):
    path = tmp_path / "model.npz"
    model.save(path)
    with np.load(path) as archive:
        arrays = {name: archive[name] for name in archive.files}
    arrays["vectors"] = arrays["vectors"][:, :4]
    np.savez(path, **arrays)
    with pytest.raises(ValueError, match="dim 4 but its classifier expects 8"):
        TransferClassifier.load(path)


@pytest.mark.parametrize("bad", [None, "vectors.txt"])
def test_transfer_classifier_rejects_non_vectors(bad):
    with pytest.raises(TypeError, match="vectors must be WordVectors"):
        TransferClassifier(bad)


def test_load_names_word_vectors_given_as_model(vectors, tmp_path):
    path = tmp_path / "vectors.txt"
    vectors.save_word2vec(path)
    with pytest.raises(ValueError) as raised:
        TransferClassifier.load(path)
    message = str(raised.value)
    assert "is word vectors in word2vec text format" in message
    assert "not an embedsent classifier model" in message
    assert "allow_pickle" not in message


def test_load_names_sgns_model_given_as_model(tmp_path):
    from embedsent.trainer import train_sgns

    sgns = train_sgns(
        [["good", "film"], ["bad", "film"]] * 5, TINY_SGNS, VocabConfig(min_count=1)
    )
    path = tmp_path / "sgns.npz"
    sgns.save(path)
    with pytest.raises(ValueError, match="is an SGNS pretraining model, not an"):
        TransferClassifier.load(path)


# --- Texts with no known token ------------------------------------------------

UNKNOWN = ["qwerty zxcvb", "", "!!!"]
# Three of four labels are "pos", so the class prior is 1/4 "neg", 3/4 "pos".
UNBALANCED_LABELS = ["pos", "neg", "pos", "pos"]


@pytest.fixture
def unbalanced_model(vectors):
    config = ClassifierConfig(hidden_size=4, epochs=50)
    model = TransferClassifier(vectors, classifier_config=config)
    return model.fit(TEXTS, UNBALANCED_LABELS)


def _rewrite_arrays(path, change):
    """Apply ``change`` to the arrays of the model file at ``path`` in place."""
    with np.load(path) as archive:
        arrays = {name: archive[name] for name in archive.files}
    change(arrays)
    np.savez(path, **arrays)


def test_unknown_text_gets_training_label_frequencies(unbalanced_model):
    assert unbalanced_model.classes_ == ["neg", "pos"]
    np.testing.assert_array_equal(unbalanced_model.class_prior_, [0.25, 0.75])
    probabilities = unbalanced_model.predict_proba(UNKNOWN)
    np.testing.assert_array_equal(probabilities, [[0.25, 0.75]] * len(UNKNOWN))
    assert unbalanced_model.predict(UNKNOWN).tolist() == ["pos"] * len(UNKNOWN)


def test_balanced_prior_tie_goes_to_first_class(model):
    np.testing.assert_array_equal(model.class_prior_, [0.5, 0.5])
    assert model.predict(UNKNOWN).tolist() == ["neg"] * len(UNKNOWN)


def test_tied_prior_warning_names_tie(model, caplog):
    with caplog.at_level(logging.WARNING, logger="embedsent.class_prior"):
        model.predict_proba(UNKNOWN)
        model.predict(UNKNOWN)
    assert caplog.text.count("the label 'neg', the first (in class order) of") == 2
    assert "the most frequent training label" not in caplog.text


@pytest.mark.parametrize(
    ("texts", "labels", "message"),
    [
        (None, None, "texts must be an iterable of str, got NoneType"),
        (["a good film"], None, "labels must be a sequence of labels, got NoneType"),
        (["a good film"], 3, "labels must be a sequence of labels, got int"),
        (["a good film"], np.array("pos"), r"got an array of shape \(\)"),
        (["a good film"], {"pos": 1}, "got a mapping; pass one label per text"),
    ],
)
def test_fit_names_missing_texts_or_labels(vectors, texts, labels, message):
    with pytest.raises(TypeError, match=message):
        TransferClassifier(vectors).fit(texts, labels)


@pytest.mark.parametrize(
    ("labels", "error", "message"),
    [
        (
            [(1, 2), (3, 4), (1, 2), (3, 4)],
            TypeError,
            r"labels\[0\] = \(1, 2\) has type tuple, which cannot be saved",
        ),
        (
            [b"pos", b"neg", b"pos", b"neg"],
            TypeError,
            r"labels\[0\] = b'pos' has type bytes, which cannot be saved",
        ),
        (
            ["a", 1, "a", 1],
            ValueError,
            r"labels mixes str labels such as 'a' with numbers such as 1",
        ),
    ],
)
def test_fit_rejects_labels_save_rejects(vectors, labels, error, message):
    model = TransferClassifier(vectors)
    with pytest.raises(error, match=message):
        model.fit(TEXTS, labels)
    with pytest.raises(NotFittedError):
        model.predict(TEXTS)


def test_unknown_text_prior_logged(unbalanced_model, caplog):
    with caplog.at_level(logging.WARNING, logger="embedsent.class_prior"):
        unbalanced_model.predict(["wonderful film", *UNKNOWN])
    assert "3 of 4 texts have no in-vocabulary token" in caplog.text
    assert "the most frequent training label 'pos'" in caplog.text


def test_mixed_batch_changes_only_unknown_rows(unbalanced_model):
    known = ["wonderful film", "awful plot", "boring story"]
    mixed = [known[0], UNKNOWN[0], known[1], UNKNOWN[1], known[2]]
    known_rows = [0, 2, 4]
    unknown_rows = [1, 3]
    probabilities = unbalanced_model.predict_proba(mixed)
    np.testing.assert_array_equal(
        probabilities[known_rows], unbalanced_model.predict_proba(known)
    )
    assert not np.isclose(probabilities[known_rows], [0.25, 0.75]).any()
    np.testing.assert_array_equal(probabilities[unknown_rows], [[0.25, 0.75]] * 2)
    labels = unbalanced_model.predict(mixed)
    assert labels[known_rows].tolist() == unbalanced_model.predict(known).tolist()
    assert labels[unknown_rows].tolist() == ["pos", "pos"]


def test_score_counts_prior_predictions(unbalanced_model):
    assert unbalanced_model.score(UNKNOWN, ["pos", "pos", "neg"]) == pytest.approx(
        2 / 3
    )


def test_save_load_keeps_class_prior(unbalanced_model, tmp_path):
    path = tmp_path / "model.npz"
    unbalanced_model.save(path)
    loaded = TransferClassifier.load(path)
    np.testing.assert_array_equal(loaded.class_prior_, [0.25, 0.75])
    np.testing.assert_array_equal(
        loaded.predict_proba(UNKNOWN), unbalanced_model.predict_proba(UNKNOWN)
    )
    assert loaded.predict(UNKNOWN).tolist() == ["pos"] * len(UNKNOWN)


def test_model_without_class_prior_loads_uniform(unbalanced_model, tmp_path, caplog):
    path = tmp_path / "old.npz"
    unbalanced_model.save(path)
    # Files written before the class prior was stored lack this array.
    _rewrite_arrays(path, lambda arrays: arrays.pop("class_prior"))
    with caplog.at_level(logging.WARNING, logger="embedsent.pipeline"):
        loaded = TransferClassifier.load(path)
    assert "stores no class prior" in caplog.text
    np.testing.assert_array_equal(loaded.class_prior_, [0.5, 0.5])
    np.testing.assert_array_equal(loaded.predict_proba(UNKNOWN), [[0.5, 0.5]] * 3)
    assert loaded.predict(UNKNOWN).tolist() == ["neg"] * len(UNKNOWN)
    probe = ["wonderful film", "awful plot"]
    np.testing.assert_array_equal(
        loaded.predict_proba(probe), unbalanced_model.predict_proba(probe)
    )


@pytest.mark.parametrize("prior", [[1.0], [0.5, 0.6], [-0.5, 1.5], [np.nan, 1.0]])
def test_load_rejects_damaged_class_prior(model, tmp_path, prior):
    path = tmp_path / "model.npz"
    model.save(path)

    def replace_prior(arrays):
        arrays["class_prior"] = np.asarray(prior)

    _rewrite_arrays(path, replace_prior)
    with pytest.raises(ValueError, match="is damaged: its class prior"):
        TransferClassifier.load(path)


def test_load_damaged_arrays_advises_retraining(model, tmp_path):
    path = tmp_path / "model.npz"
    model.save(path)
    _rewrite_arrays(path, lambda arrays: arrays.pop("classifier.output_bias"))
    with pytest.raises(ValueError) as raised:
        TransferClassifier.load(path)
    message = str(raised.value)
    assert message.startswith(f"{path} is damaged: the classifier arrays are ")
    assert "train the model again with `embedsent train --out`" in message
    assert "TransferClassifier.save" in message
    assert "get_state" not in message


def test_load_bad_settings_format_advises_retraining(model, tmp_path):
    path = tmp_path / "model.npz"
    model.save(path)
    _rewrite_meta(path, lambda meta: meta["classifier"].update(format="other"))
    with pytest.raises(ValueError) as raised:
        TransferClassifier.load(path)
    message = str(raised.value)
    assert "the classifier settings have format 'other'" in message
    assert "train the model again with `embedsent train --out`" in message
    assert "get_state" not in message


def test_load_invalid_metadata_json_advises_retraining(model, tmp_path):
    path = tmp_path / "model.npz"
    model.save(path)
    with np.load(path) as archive:
        arrays = {name: archive[name] for name in archive.files}
    arrays[META_KEY] = np.frombuffer(b"{not json", np.uint8)
    np.savez(path, **arrays)
    with pytest.raises(ValueError) as raised:
        TransferClassifier.load(path)
    message = str(raised.value)
    assert "is not valid JSON" in message
    assert "so it is damaged or was not written by embedsent" in message
    assert "train the model again with `embedsent train --out`" in message


def test_fit_reads_label_iterator_once(vectors):
    model = TransferClassifier(vectors, classifier_config=ClassifierConfig(epochs=5))
    model.fit(TEXTS, iter(UNBALANCED_LABELS))
    np.testing.assert_array_equal(model.class_prior_, [0.25, 0.75])


def _rewrite_meta(path, change):
    """Apply ``change`` to the JSON metadata of the model file at ``path``."""
    with np.load(path) as archive:
        arrays = {name: archive[name] for name in archive.files}
    meta = json.loads(arrays.pop(META_KEY).tobytes())
    change(meta)
    arrays[META_KEY] = np.frombuffer(json.dumps(meta).encode("utf-8"), np.uint8)
    np.savez(path, **arrays)


def _warnings(caplog) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.levelno >= logging.WARNING]


def test_prediction_logs_one_warning(unbalanced_model, caplog):
    for method in ("predict", "predict_proba"):
        caplog.clear()
        with caplog.at_level(logging.DEBUG):
            getattr(unbalanced_model, method)(["wonderful film", *UNKNOWN])
        warnings = _warnings(caplog)
        assert len(warnings) == 1
        assert warnings[0].name == "embedsent.class_prior"
        assert "3 of 4 texts have no in-vocabulary token" in warnings[0].message
        assert unbalanced_model.encoder.last_report_.n_empty == 3


def test_score_warns_by_default(unbalanced_model, caplog):
    with caplog.at_level(logging.DEBUG):
        unbalanced_model.score(["wonderful film", *UNKNOWN], ["pos"] * 4)
    warnings = _warnings(caplog)
    assert len(warnings) == 1
    assert warnings[0].name == "embedsent.class_prior"
    assert "3 of 4 texts have no in-vocabulary token" in warnings[0].message


def test_score_without_warn_empty_logs_nothing(unbalanced_model, caplog):
    texts = ["wonderful film", *UNKNOWN]
    labels = ["pos", "pos", "pos", "neg"]
    with caplog.at_level(logging.DEBUG):
        quiet = unbalanced_model.score(texts, labels, warn_empty=False)
    assert _warnings(caplog) == []
    assert quiet == unbalanced_model.score(texts, labels)
    # The class-prior logger keeps no filter that would hide later warnings.
    assert logging.getLogger("embedsent.class_prior").filters == []


def test_features_still_warn_of_empty_texts(model, caplog):
    with caplog.at_level(logging.WARNING):
        model.features(UNKNOWN)
    assert "3 of 3 texts have no in-vocabulary token and get zero" in caplog.text


def test_old_model_prediction_says_uniform_prior(unbalanced_model, tmp_path, caplog):
    path = tmp_path / "old.npz"
    unbalanced_model.save(path)
    _rewrite_arrays(path, lambda arrays: arrays.pop("class_prior"))
    loaded = TransferClassifier.load(path)
    with caplog.at_level(logging.WARNING, logger="embedsent.class_prior"):
        loaded.predict(UNKNOWN)
    assert "3 of 3 texts have no in-vocabulary token" in caplog.text
    assert "equal class probabilities and the first class 'neg'" in caplog.text
    assert "training label frequencies)" not in caplog.text
    assert "most frequent" not in caplog.text


def test_refit_after_old_model_says_class_prior(unbalanced_model, tmp_path, caplog):
    path = tmp_path / "old.npz"
    unbalanced_model.save(path)
    _rewrite_arrays(path, lambda arrays: arrays.pop("class_prior"))
    loaded = TransferClassifier.load(path).fit(TEXTS, UNBALANCED_LABELS)
    with caplog.at_level(logging.WARNING, logger="embedsent.class_prior"):
        loaded.predict(UNKNOWN)
    assert "the most frequent training label 'pos'" in caplog.text


def test_fit_rejects_texts_without_known_word(vectors):
    model = TransferClassifier(vectors, classifier_config=ClassifierConfig(epochs=5))
    with pytest.raises(ValueError, match="none of the 2 labeled texts") as raised:
        model.fit(["zzz", "qqq"], ["a", "b"])
    assert "their tokens include ['zzz', 'qqq']" in str(raised.value)
    assert "The tokenisation and the vectors do not match" in str(raised.value)


def test_fit_rejects_texts_without_tokens(vectors):
    model = TransferClassifier(vectors, classifier_config=ClassifierConfig(epochs=5))
    with pytest.raises(ValueError, match="contain no tokens after tokenisation"):
        model.fit(["", "!!!"], ["a", "b"])


def test_fit_warns_once_of_unknown_texts(vectors, caplog):
    model = TransferClassifier(vectors, classifier_config=ClassifierConfig(epochs=5))
    with caplog.at_level(logging.DEBUG):
        model.fit([*TEXTS, "qwerty zxcvb"], [*LABELS, "neg"])
    warnings = _warnings(caplog)
    assert len(warnings) == 1
    assert "1 of 5 labeled texts has no in-vocabulary token" in warnings[0].message
    assert model.fit_report_.n_empty == 1


@pytest.mark.parametrize(
    ("texts", "labels", "error", "message"),
    [
        (TEXTS, LABELS[:3], ValueError, "got 4 texts but 3 labels"),
        (TEXTS, ["pos"] * 4, ValueError, "labels has only one class 'pos'"),
        (TEXTS, np.array(["pos"] * 4), ValueError, "only one class 'pos',"),
        ([], [], ValueError, "texts is empty"),
        (TEXTS[:3], "pos", TypeError, "got a single str 'pos'"),
    ],
)
def test_fit_errors_name_texts_and_labels(vectors, texts, labels, error, message):
    model = TransferClassifier(vectors, classifier_config=ClassifierConfig(epochs=5))
    with pytest.raises(error, match=message) as raised:
        model.fit(texts, labels)
    assert "X has" not in str(raised.value)
    assert "y has" not in str(raised.value)


@pytest.mark.parametrize(
    ("labels", "merged"),
    [([True, 1, True, 1], "y[0] = True and y[1] = 1"), ([1, 1.0] * 2, "y[1] = 1.0")],
)
def test_fit_equal_labels_of_two_types_named(vectors, labels, merged):
    model = TransferClassifier(vectors, classifier_config=ClassifierConfig(epochs=5))
    with pytest.raises(ValueError) as raised:
        model.fit(TEXTS, labels)
    assert merged in str(raised.value)
    assert "would merge into one class" in str(raised.value)


@pytest.mark.parametrize(
    "call",
    [
        lambda model: model.predict(["great film"]),
        lambda model: model.predict_proba(["great film"]),
        lambda model: model.predict_proba_tokens([["great", "film"]]),
        lambda model: model.score(["great film"], ["pos"]),
    ],
)
def test_unfitted_model_raises_not_fitted(vectors, call, caplog, monkeypatch):
    model = TransferClassifier(vectors)

    def fail_tokenize(texts):
        raise AssertionError("tokenized before the fitted check")

    monkeypatch.setattr(model, "tokenize", fail_tokenize)
    with caplog.at_level(logging.WARNING):
        with pytest.raises(NotFittedError, match="TransferClassifier is not fitted"):
            call(model)
    assert _warnings(caplog) == []


def test_unfitted_error_names_fit_call(vectors, tmp_path):
    with pytest.raises(NotFittedError) as raised:
        TransferClassifier(vectors).save(tmp_path / "model.npz")
    assert "Call TransferClassifier.fit(texts, labels)" in str(raised.value)
    assert not (tmp_path / "model.npz").exists()


@pytest.mark.parametrize(
    ("section", "key", "value", "message"),
    [
        ("classifier", "standardize", "weird", "standardize must be one of"),
        ("classifier", "hidden_size", -1, "hidden_size"),
        ("text", "lowercase", "maybe", "lowercase"),
        ("encoder", "method", "median", "method must be one of"),
    ],
)
def test_load_names_file_of_bad_config(model, tmp_path, section, key, value, message):
    path = tmp_path / "model.npz"
    model.save(path)

    def spoil(meta):
        if section == "classifier":
            meta["classifier"]["config"][key] = value
        elif section == "text":
            meta["text_config"][key] = value
        else:
            meta["encoder"][key] = value

    _rewrite_meta(path, spoil)
    with pytest.raises(ValueError, match=f"{path} is damaged: ") as raised:
        TransferClassifier.load(path)
    assert message in str(raised.value)


LONG_TEXTS = [
    "great wonderful film great wonderful film great film",
    "awful boring plot awful boring plot awful plot",
    "wonderful story wonderful story great film great film",
    "boring film boring plot awful film awful plot",
]


@pytest.fixture
def long_model(vectors):
    config = ClassifierConfig(hidden_size=4, epochs=50)
    return TransferClassifier(vectors, classifier_config=config).fit(LONG_TEXTS, LABELS)


def test_fit_records_min_known_tokens(model, long_model):
    # "wonderful story" and "boring film" have 2 known tokens each.
    assert model.min_known_tokens_ == 2
    assert long_model.min_known_tokens_ == 8


@pytest.mark.parametrize("method", ["predict", "predict_proba", "prediction_records"])
def test_text_far_shorter_than_training_texts_warns(long_model, caplog, method):
    texts = ["wonderful", "great wonderful", "great wonderful film", *UNKNOWN]
    with caplog.at_level(logging.WARNING, logger="embedsent.pipeline"):
        getattr(long_model, method)(texts)
    messages = [r.getMessage() for r in _warnings(caplog)]
    short = [m for m in messages if "shortest training text" in m]
    assert len(short) == 1
    # Only "wonderful": 1 token is under a quarter of 8, and 2 are not.
    assert short[0].startswith(
        "1 of 6 texts has fewer than a quarter of the 8 in-vocabulary tokens of "
        "the shortest training text."
    )


def test_quarter_length_text_not_warned(model, caplog):
    with caplog.at_level(logging.WARNING, logger="embedsent.pipeline"):
        model.predict_proba(["wonderful", "great wonderful film"])
    assert "shortest training text" not in caplog.text


def test_score_does_not_warn_of_short_texts(long_model, caplog):
    with caplog.at_level(logging.WARNING, logger="embedsent.pipeline"):
        long_model.score(["wonderful", "awful"], ["pos", "neg"])
    assert "shortest training text" not in caplog.text


def test_save_load_keeps_min_known_tokens(long_model, tmp_path, caplog):
    path = tmp_path / "model.npz"
    long_model.save(path)
    loaded = TransferClassifier.load(path)
    assert loaded.min_known_tokens_ == 8
    with caplog.at_level(logging.WARNING, logger="embedsent.pipeline"):
        loaded.predict(["wonderful"])
    assert "a quarter of the 8 in-vocabulary tokens" in caplog.text


def test_old_model_skips_short_warning(long_model, tmp_path, caplog):
    path = tmp_path / "old.npz"
    long_model.save(path)
    _rewrite_meta(path, lambda meta: meta.pop("min_known_tokens"))
    loaded = TransferClassifier.load(path)
    assert loaded.min_known_tokens_ is None
    with caplog.at_level(logging.WARNING, logger="embedsent.pipeline"):
        loaded.predict_proba(["wonderful"])
    assert "shortest training text" not in caplog.text


@pytest.mark.parametrize("value", [0, -1, 2.5, "2", True])
def test_load_rejects_damaged_min_known_tokens(model, tmp_path, value):
    path = tmp_path / "model.npz"
    model.save(path)
    _rewrite_meta(path, lambda meta: meta.update(min_known_tokens=value))
    with pytest.raises(ValueError, match="is damaged: min_known_tokens must be"):
        TransferClassifier.load(path)


def test_fit_on_all_zero_vectors_warns_once(vectors, caplog):
    zero = WordVectors(vectors.words, np.zeros_like(vectors.vectors))
    config = ClassifierConfig(hidden_size=4, epochs=2)
    with caplog.at_level(logging.WARNING, logger="embedsent"):
        TransferClassifier(zero, classifier_config=config).fit(TEXTS, LABELS)
        TransferClassifier(zero, classifier_config=config).fit(TEXTS, LABELS)
    expected = "the word vectors of this TransferClassifier: every one of the"
    assert caplog.text.count(expected) == 1


def test_fit_trained_vectors_no_zero_warning(model, caplog):
    with caplog.at_level(logging.WARNING, logger="embedsent"):
        model.fit(TEXTS, LABELS)
    assert "is zero" not in caplog.text


def test_pretrain_names_swapped_configs():
    with pytest.raises(
        TypeError,
        match="sgns_config must be an SGNSConfig, got VocabConfig; did you swap "
        "sgns_config and vocab_config",
    ):
        pretrain(["a b c"], sgns_config=VocabConfig(), vocab_config=SGNSConfig())


def test_pretrain_rejects_dict_config():
    with pytest.raises(
        TypeError, match=r"sgns_config must be an SGNSConfig, got dict; .*\(\*\*d\)"
    ):
        pretrain(["a b c"], sgns_config={"dim": 10})


def test_transfer_classifier_names_swapped_configs(vectors):
    with pytest.raises(
        TypeError,
        match="text_config must be a TextConfig, got ClassifierConfig; did you "
        "swap text_config and classifier_config",
    ):
        TransferClassifier(vectors, text_config=ClassifierConfig())
    with pytest.raises(
        TypeError, match="classifier_config must be a ClassifierConfig, got dict"
    ):
        TransferClassifier(vectors, classifier_config={"hidden_size": 0})
