import zipfile

import numpy as np
import pytest

from embedsent.config import ClassifierConfig, SGNSConfig, VocabConfig
from embedsent.pipeline import TransferClassifier, pretrain, random_vectors

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


def test_save_load_round_trip_keeps_predictions(model, tmp_path):
    path = tmp_path / "model.npz"
    model.save(path)
    loaded = TransferClassifier.load(path)
    probe = ["wonderful film", "awful plot", "nothing known here"]
    np.testing.assert_array_equal(
        loaded.predict_proba(probe), model.predict_proba(probe)
    )
    assert list(loaded.predict(probe)) == list(model.predict(probe))


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
