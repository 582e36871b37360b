import hashlib
import logging
import os
import stat
from dataclasses import replace

import jax
import numpy as np
import optax
import pytest

from embedsent import trainer
from embedsent.checkpoint import CheckpointInUseError, hold_checkpoint
from embedsent.config import SGNSConfig, VocabConfig
from embedsent.memory import release_free_heap
from embedsent.sgns import StepShape, build_noise_table, init_tables, train_chunk
from embedsent.sgns_model import check_format
from embedsent.storage import load_bundle
from embedsent.trainer import Checkpointing, SGNSModel, continue_training, train_sgns
from embedsent.vocab import Vocabulary

CONFIG = SGNSConfig(
    dim=12,
    window=3,
    negative=3,
    epochs=3,
    batch_size=32,
    shared_negatives=16,
    negative_group=8,
    steps_per_call=2,
    seed=5,
)
VOCAB = VocabConfig(min_count=1, sample=1e-2)


def corpus(seed=0, n_docs=120, prefix=""):
    rng = np.random.default_rng(seed)
    topics = [
        [f"{prefix}a{i}" for i in range(12)],
        [f"{prefix}b{i}" for i in range(12)],
    ]
    return [list(rng.choice(topics[d % 2], size=15)) for d in range(n_docs)]


class Interrupt(Exception):
    pass


def interrupt_at(epoch, chunk):
    def on_chunk(e, c):
        if (e, c) == (epoch, chunk):
            raise Interrupt

    return on_chunk


@pytest.mark.parametrize("stop", [(0, 3), (1, 0), (2, 5)])
def test_resume_matches_uninterrupted_run(tmp_path, stop):
    uninterrupted = train_sgns(corpus(), CONFIG, VOCAB)
    checkpointing = Checkpointing(tmp_path / "run.ckpt", every_seconds=0.0)
    with pytest.raises(Interrupt):
        train_sgns(
            corpus(),
            CONFIG,
            VOCAB,
            checkpoint=checkpointing,
            on_chunk=interrupt_at(*stop),
        )
    resumed = train_sgns(corpus(), CONFIG, VOCAB, checkpoint=checkpointing)
    np.testing.assert_array_equal(resumed.input_vectors, uninterrupted.input_vectors)
    np.testing.assert_array_equal(resumed.output_vectors, uninterrupted.output_vectors)
    np.testing.assert_allclose(
        resumed.epoch_losses, uninterrupted.epoch_losses, rtol=1e-6
    )


def test_checkpoints_replace_under_read_only_umask(tmp_path):
    uninterrupted = train_sgns(corpus(), CONFIG, VOCAB)
    checkpointing = Checkpointing(tmp_path / "run.ckpt", every_seconds=0.0)
    previous = os.umask(0o222)
    try:
        checkpointed = train_sgns(corpus(), CONFIG, VOCAB, checkpoint=checkpointing)
    finally:
        os.umask(previous)
    np.testing.assert_array_equal(
        checkpointed.input_vectors, uninterrupted.input_vectors
    )
    assert stat.S_IMODE(checkpointing.path.stat().st_mode) == 0o444
    meta, _ = load_bundle(checkpointing.path)
    assert meta["state"]["epoch"] == CONFIG.epochs


@pytest.mark.parametrize("kind", ["read-only", "missing folder"])
def test_unwritable_checkpoint_rejected_before_training(tmp_path, kind):
    path = tmp_path / "run.ckpt"
    if kind == "read-only":
        path.write_bytes(b"kept")
        path.chmod(0o444)
    else:
        path = tmp_path / "missing" / "run.ckpt"
    chunks = []
    with pytest.raises((PermissionError, FileNotFoundError), match=str(path)):
        train_sgns(
            corpus(),
            CONFIG,
            VOCAB,
            checkpoint=path,
            on_chunk=lambda epoch, chunk: chunks.append(chunk),
        )
    assert chunks == []


def test_checkpoint_in_use_by_another_run_rejected(tmp_path):
    checkpointing = Checkpointing(tmp_path / "run.ckpt", every_seconds=0.0)
    lock = tmp_path / ".run.ckpt.lock"
    with hold_checkpoint(checkpointing):
        assert lock.exists()
        with pytest.raises(CheckpointInUseError) as raised:
            train_sgns(corpus(), CONFIG, VOCAB, checkpoint=checkpointing)
    assert str(raised.value) == (
        f"checkpoint {checkpointing.path} is in use by another running process "
        f"(it holds the lock on {lock}); wait for that run to end, or pass "
        "another checkpoint path"
    )
    assert not checkpointing.path.exists()
    assert not lock.exists()
    train_sgns(corpus(), CONFIG, VOCAB, checkpoint=checkpointing)
    assert sorted(tmp_path.iterdir()) == [checkpointing.path]


def test_stale_checkpoint_lock_file_is_taken_over(tmp_path):
    # A killed run leaves its lock file, but the kernel released the lock.
    (tmp_path / ".run.ckpt.lock").write_bytes(b"")
    train_sgns(corpus(), CONFIG, VOCAB, checkpoint=tmp_path / "run.ckpt")
    assert sorted(tmp_path.iterdir()) == [tmp_path / "run.ckpt"]


def test_checkpoint_from_other_settings_rejected(tmp_path):
    path = tmp_path / "run.ckpt"
    train_sgns(corpus(), CONFIG, VOCAB, checkpoint=path)
    other = SGNSConfig(**{**CONFIG.__dict__, "alpha": 0.01})
    with pytest.raises(ValueError, match="alpha=0.025 there, 0.01 now"):
        train_sgns(corpus(), other, VOCAB, checkpoint=path)


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("sample", 0.0, "sample=0.01 there, 0.0 now"),
        ("noise_power", 0.5, "noise_power=0.75 there, 0.5 now"),
    ],
)
def test_checkpoint_from_other_sampling_rejected(tmp_path, name, value, message):
    path = tmp_path / "run.ckpt"
    train_sgns(corpus(), CONFIG, VOCAB, checkpoint=path)
    other = VocabConfig(**{**VOCAB.__dict__, name: value})
    with pytest.raises(ValueError, match=message):
        train_sgns(corpus(), CONFIG, other, checkpoint=path)


def test_checkpoint_without_sampling_resumes_with_warning(tmp_path, caplog):
    from embedsent.storage import load_bundle, save_bundle

    checkpointing = Checkpointing(tmp_path / "run.ckpt", every_seconds=0.0)
    with pytest.raises(Interrupt):
        train_sgns(
            corpus(),
            CONFIG,
            VOCAB,
            checkpoint=checkpointing,
            on_chunk=interrupt_at(1, 0),
        )
    meta, arrays = load_bundle(checkpointing.path)
    del meta["sampling"]
    save_bundle(checkpointing.path, meta, arrays)
    with caplog.at_level(logging.WARNING, logger="embedsent.checkpoint"):
        resumed = train_sgns(corpus(), CONFIG, VOCAB, checkpoint=checkpointing)
    assert "does not record its subsampling and noise settings" in caplog.text
    uninterrupted = train_sgns(corpus(), CONFIG, VOCAB)
    np.testing.assert_array_equal(resumed.input_vectors, uninterrupted.input_vectors)


def _checkpoint_without(tmp_path, config, field="repeat_damping"):
    """Return an interrupted run's checkpoint without the config ``field``.

    The trainer wrote checkpoints that way before the field existed.
    """
    from embedsent.storage import load_bundle, save_bundle

    checkpointing = Checkpointing(tmp_path / "run.ckpt", every_seconds=0.0)
    with pytest.raises(Interrupt):
        train_sgns(
            corpus(),
            config,
            VOCAB,
            checkpoint=checkpointing,
            on_chunk=interrupt_at(1, 0),
        )
    meta, arrays = load_bundle(checkpointing.path)
    del meta["config"][field]
    save_bundle(checkpointing.path, meta, arrays)
    return checkpointing


def test_checkpoint_before_damping_resumes_undamped(tmp_path):
    undamped = SGNSConfig(**{**CONFIG.__dict__, "repeat_damping": 0.0})
    checkpointing = _checkpoint_without(tmp_path, undamped)
    resumed = train_sgns(corpus(), undamped, VOCAB, checkpoint=checkpointing)
    uninterrupted = train_sgns(corpus(), undamped, VOCAB)
    np.testing.assert_array_equal(resumed.input_vectors, uninterrupted.input_vectors)


def test_checkpoint_before_damping_rejects_damped_resume(tmp_path):
    undamped = SGNSConfig(**{**CONFIG.__dict__, "repeat_damping": 0.0})
    checkpointing = _checkpoint_without(tmp_path, undamped)
    with pytest.raises(ValueError, match="repeat_damping=0.0 there, 0.5 now"):
        train_sgns(corpus(), CONFIG, VOCAB, checkpoint=checkpointing)


def test_checkpoint_before_input_role_resumes_with_center_role(tmp_path):
    checkpointing = _checkpoint_without(tmp_path, CONFIG, "input_role")
    resumed = train_sgns(corpus(), CONFIG, VOCAB, checkpoint=checkpointing)
    uninterrupted = train_sgns(corpus(), CONFIG, VOCAB)
    np.testing.assert_array_equal(resumed.input_vectors, uninterrupted.input_vectors)


def test_checkpoint_before_input_role_rejects_context_role(tmp_path):
    checkpointing = _checkpoint_without(tmp_path, CONFIG, "input_role")
    context = SGNSConfig(
        **{**CONFIG.__dict__, "input_role": "context", "negative_group": 1}
    )
    with pytest.raises(ValueError, match="input_role='center' there, 'context' now"):
        train_sgns(corpus(), context, VOCAB, checkpoint=checkpointing)


def test_checkpoint_from_other_corpus_rejected(tmp_path):
    path = tmp_path / "run.ckpt"
    train_sgns(corpus(), CONFIG, VOCAB, checkpoint=path)
    with pytest.raises(ValueError, match="another corpus"):
        train_sgns(corpus(seed=9), CONFIG, VOCAB, checkpoint=path)


def test_damaged_checkpoint_rejected(tmp_path):
    path = tmp_path / "run.ckpt"
    path.write_bytes(b"PK\x03\x04 truncated")
    with pytest.raises(ValueError, match="damaged"):
        train_sgns(corpus(), CONFIG, VOCAB, checkpoint=path)


def test_checkpoint_log_counts_finished_epochs(tmp_path, caplog):
    path = tmp_path / "run.ckpt"
    with caplog.at_level("INFO", logger="embedsent.checkpoint"):
        train_sgns(corpus(), CONFIG, VOCAB, checkpoint=path)
    saved = [
        r.getMessage() for r in caplog.records if "checkpoint at" in r.getMessage()
    ]
    assert saved[0].startswith("checkpoint at the start of epoch 2/3 -> ")
    assert saved[-1].startswith("checkpoint at the end of the run (3 of 3 epochs")
    assert not any("epoch 4" in message for message in saved)
    caplog.clear()
    with caplog.at_level("INFO", logger="embedsent.checkpoint"):
        train_sgns(corpus(), CONFIG, VOCAB, checkpoint=path)
    assert "contains a finished run of 3 epochs, so no epoch is left" in caplog.text
    assert "epoch 4" not in caplog.text


def test_model_save_load_round_trip(tmp_path):
    model = train_sgns(corpus(), CONFIG, VOCAB)
    model.save(tmp_path / "model.npz")
    loaded = SGNSModel.load(tmp_path / "model.npz")
    assert loaded.vocab.tokens == model.vocab.tokens
    np.testing.assert_array_equal(loaded.input_vectors, model.input_vectors)
    assert loaded.config == model.config


@pytest.mark.parametrize(
    ("meta", "said"),
    [
        ({}, "its __meta__ entry has no format field"),
        ({"format": "x"}, "found format 'x'"),
    ],
)
def test_check_format_names_what_the_file_has(meta, said):
    with pytest.raises(ValueError) as raised:
        check_format(meta, "m.npz", "embedsent-sgns", 1)
    message = str(raised.value)
    assert message == f"m.npz is not an embedsent-sgns file ({said})"


def _rewrite_model_arrays(path, change):
    with np.load(path) as archive:
        arrays = {name: archive[name] for name in archive.files}
    change(arrays)
    np.savez(path, **arrays)


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (lambda a: a.pop("output_vectors"), "it has no entry 'output_vectors'"),
        (lambda a: a.pop("counts"), "it has no entry 'counts'"),
        (
            lambda a: a.update(counts=np.zeros_like(a["counts"])),
            "every count must be >= 1",
        ),
        (
            lambda a: a.update(input_vectors=a["input_vectors"][:-1]),
            "its input_vectors are float32 of shape",
        ),
    ],
    ids=["no-output", "no-counts", "zero-counts", "short-table"],
)
def test_damaged_model_load_names_file_and_fix(tmp_path, change, problem):
    path = tmp_path / "model.npz"
    train_sgns(corpus(), CONFIG, VOCAB).save(path)
    _rewrite_model_arrays(path, change)
    with pytest.raises(ValueError) as raised:
        SGNSModel.load(path)
    message = str(raised.value)
    assert message.startswith(f"{path} is damaged: {problem}")
    assert message.endswith(
        "train it again with `embedsent pretrain --save-model`, "
        "or save it again with SGNSModel.save"
    )


def test_continued_training_grows_vocabulary():
    model = train_sgns(corpus(), CONFIG, VOCAB)
    grown = continue_training(model, corpus(seed=1, n_docs=60, prefix="new_"))
    assert grown.vocab.tokens[: len(model.vocab)] == model.vocab.tokens
    assert len(grown.vocab) == len(model.vocab) + 24
    assert "new_a0" in grown.vocab


def test_continued_training_keeps_old_vectors_usable():
    model = train_sgns(corpus(), CONFIG, VOCAB)
    grown = continue_training(model, corpus(seed=1, n_docs=60, prefix="new_"))
    old = len(model.vocab)
    before = model.input_vectors / np.linalg.norm(
        model.input_vectors, axis=1, keepdims=True
    )
    after = grown.input_vectors[:old]
    after = after / np.linalg.norm(after, axis=1, keepdims=True)
    np.testing.assert_allclose((before * after).sum(axis=1), 1.0, atol=0.05)


def test_continued_training_counts_known_words_again():
    model = train_sgns(corpus(), CONFIG, VOCAB)
    grown = continue_training(model, corpus(seed=2, n_docs=30))
    assert grown.vocab.counts.sum() > model.vocab.counts.sum()
    assert len(grown.vocab) == len(model.vocab)


def test_warm_up_keeps_tables():
    config = SGNSConfig(dim=6, window=2, negative=2, batch_size=16, steps_per_call=3)
    shape = StepShape.from_config(config)
    vocab = Vocabulary.build(corpus(), VOCAB)
    noise = jax.numpy.asarray(build_noise_table(vocab.noise_distribution()))
    tables = init_tables(jax.random.PRNGKey(3), len(vocab), config.dim)
    # A trained-looking output table, so a zero update is visible on it too.
    tables = (tables[0], tables[0] * 2.0)
    before = [np.asarray(table).copy() for table in tables]
    model = SGNSModel(vocab, np.empty(0), np.empty(0), config, VOCAB)
    after = trainer._warm_up(shape, config, tables, noise, model)
    for old, new in zip(before, after, strict=True):
        assert np.array_equal(old, np.asarray(new))
    assert model.compile_seconds > 0


def test_compiles_before_encoding(monkeypatch):
    # A step shape no other test uses, so this run compiles it.
    config = SGNSConfig(
        dim=10, window=2, negative=2, epochs=2, batch_size=16, steps_per_call=5
    )
    start = train_chunk._cache_size()
    seen = []
    encode = Vocabulary.encode_corpus

    def recording_encode(self, documents):
        seen.append(train_chunk._cache_size())
        return encode(self, documents)

    monkeypatch.setattr(Vocabulary, "encode_corpus", recording_encode)
    model = train_sgns(corpus(), config, VOCAB)
    assert seen == [start + 1]
    assert train_chunk._cache_size() == start + 1
    assert model.compile_seconds > 0
    assert all(speed > 0 for speed in model.words_per_second)


def test_compiles_before_allocating_tables(monkeypatch):
    order = []
    compile_step = trainer._compile_step
    allocate = trainer.init_tables

    def recording_compile(*args):
        order.append("compile")
        return compile_step(*args)

    def recording_allocate(*args):
        order.append("tables")
        return allocate(*args)

    monkeypatch.setattr(trainer, "_compile_step", recording_compile)
    monkeypatch.setattr(trainer, "init_tables", recording_allocate)
    # A step shape no other test uses, so this run compiles it.
    config = SGNSConfig(dim=12, window=2, negative=3, batch_size=8, steps_per_call=3)
    model = train_sgns(corpus(), config, VOCAB)
    assert order == ["compile", "tables"]
    assert model.compile_seconds > 0


def test_schedule_handles_runs_past_int32():
    config = SGNSConfig(alpha=0.025, min_alpha=0.0001)
    rates = trainer._learning_rate_schedule(config, 5e9)
    start, middle, end = rates(np.array([0, 2_500_000_000, 5_000_000_000]))
    assert start == pytest.approx(0.025)
    assert middle == pytest.approx((0.025 + 0.0001) / 2, rel=1e-6)
    assert end == pytest.approx(0.0001)


@pytest.mark.parametrize(
    ("alpha", "min_alpha", "centers"),
    [
        (0.025, 0.0001, 1000.0),
        (0.025, 0.0001, 24_000_000.0),
        (0.3, 1e-6, 12_345_677.0),
        (0.05, 0.0, 5e9),
    ],
)
def test_schedule_matches_optax_bit_for_bit(alpha, min_alpha, centers):
    config = SGNSConfig(alpha=alpha, min_alpha=min_alpha)
    rates = trainer._learning_rate_schedule(config, centers)
    total = int(centers)
    steps = min(total, trainer.SCHEDULE_STEPS)
    rng = np.random.default_rng(0)
    positions = np.concatenate(
        [
            np.arange(0, 3000),
            np.arange(total - 3000, total + 3000),
            rng.integers(0, total, 20_000),
        ]
    )
    grid = np.minimum(positions * (steps / total), steps).astype(np.int64)
    expected = optax.linear_schedule(alpha, min_alpha, steps)(grid)
    got = rates(positions)
    assert got.dtype == np.float32
    assert np.array_equal(got, np.asarray(expected, np.float32))


def test_schedule_runs_without_jax():
    # The rates are numpy arithmetic: no array moves to a JAX device, so no
    # small XLA program is compiled for them during a run.
    rates = trainer._learning_rate_schedule(SGNSConfig(), 1e6)
    with jax.transfer_guard("disallow"):
        values = rates(np.arange(0, 1_000_000, 997))
        single = float(rates(500_000))
    assert isinstance(values, np.ndarray)
    assert single == pytest.approx((0.025 + 0.0001) / 2, rel=1e-5)


def test_release_heap_returns_bool():
    assert isinstance(release_free_heap(), bool)


def test_release_heap_skips_non_linux(monkeypatch):
    monkeypatch.setattr("sys.platform", "darwin")
    assert release_free_heap() is False


def test_continued_training_rejects_other_dim():
    model = train_sgns(corpus(), CONFIG, VOCAB)
    other = SGNSConfig(**{**CONFIG.__dict__, "dim": 20})
    with pytest.raises(ValueError, match="config.dim=20 differs"):
        continue_training(model, corpus(seed=1), other)


MULTI_DEVICE_SCRIPT = """
import os
os.environ["XLA_FLAGS"] = "--xla_force_host_platform_device_count=2"
import json, sys
import numpy as np
sys.path.insert(0, {tests!r})
from test_sgns import NO_SAMPLING, SMALL, topic_corpus
from embedsent.config import SGNSConfig
from embedsent.trainer import train_sgns

out = {{}}
for n in (1, 2, 2):
    config = SGNSConfig(**{{**SMALL.__dict__, "n_devices": n, **{settings}}})
    model = train_sgns(topic_corpus(), config, NO_SAMPLING)
    unit = model.input_vectors / np.linalg.norm(model.input_vectors, axis=1,
                                                keepdims=True)
    topic = np.array([t[0] for t in model.vocab.tokens])
    sim = unit @ unit.T
    same = float(sim[topic[:, None] == topic[None, :]].mean())
    across = float(sim[topic[:, None] != topic[None, :]].mean())
    out.setdefault(str(n), []).append(
        {{"gap": same - across, "loss": model.epoch_losses[-1],
          "checksum": float(np.abs(model.input_vectors).sum())}}
    )
print(json.dumps(out))
"""


# The default settings run in every test run. The variant with context-role
# vectors and per-center noise words takes another 20 s, so it runs with the
# slow tests.
@pytest.mark.parametrize(
    "settings",
    [
        {},
        pytest.param(
            {"input_role": "context", "negative_group": 1}, marks=pytest.mark.slow
        ),
    ],
)
def test_two_devices_match_one_device_quality(settings):
    import json
    import subprocess
    import sys
    from pathlib import Path

    tests = str(Path(__file__).resolve().parent)
    script = MULTI_DEVICE_SCRIPT.format(tests=tests, settings=settings)
    completed = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr[-2000:]
    result = json.loads(completed.stdout.strip().splitlines()[-1])
    one, two, again = result["1"][0], result["2"][0], result["2"][1]
    assert two["gap"] > one["gap"] - 0.05
    assert abs(two["loss"] - one["loss"]) < 0.1
    assert two["checksum"] == again["checksum"]


def test_word_vectors_add_context_by_default():
    model = train_sgns(corpus(), CONFIG, VOCAB)
    summed = model.word_vectors()
    np.testing.assert_array_equal(
        summed.vectors, model.input_vectors + model.output_vectors
    )
    alone = model.word_vectors(add_context_vectors=False)
    np.testing.assert_array_equal(alone.vectors, model.input_vectors)
    assert summed.words == alone.words == model.vocab.tokens


def test_word_vectors_share_read_only_table():
    model = train_sgns(corpus(), CONFIG, VOCAB)
    assert not model.input_vectors.flags.writeable
    alone = model.word_vectors(add_context_vectors=False)
    assert np.shares_memory(alone.vectors, model.input_vectors)
    summed = model.word_vectors()
    assert not np.shares_memory(summed.vectors, model.input_vectors)
    assert not summed.vectors.flags.writeable


def test_word_vectors_copy_writable_table():
    model = train_sgns(corpus(), CONFIG, VOCAB)
    model.input_vectors = np.array(model.input_vectors)
    alone = model.word_vectors(add_context_vectors=False)
    assert not np.shares_memory(alone.vectors, model.input_vectors)
    model.input_vectors[0] += 1.0
    assert not np.array_equal(alone.vectors[0], model.input_vectors[0])


def test_word_vectors_follow_config_choice():
    config = replace(CONFIG, add_context_vectors=False)
    model = train_sgns(corpus(), config, VOCAB)
    np.testing.assert_array_equal(model.word_vectors().vectors, model.input_vectors)


def test_model_file_without_choice_exports_input(tmp_path):
    from embedsent.storage import load_bundle, save_bundle

    model = train_sgns(corpus(), CONFIG, VOCAB)
    path = tmp_path / "model.npz"
    model.save(path)
    meta, arrays = load_bundle(path, kind="test")
    del meta["config"]["add_context_vectors"]
    save_bundle(path, meta, arrays)
    loaded = SGNSModel.load(path)
    assert loaded.config.add_context_vectors is False
    np.testing.assert_array_equal(loaded.word_vectors().vectors, model.input_vectors)


def test_resume_with_other_export_choice(tmp_path):
    path = tmp_path / "run.ckpt"
    with pytest.raises(Interrupt):
        train_sgns(
            corpus(), CONFIG, VOCAB, checkpoint=path, on_chunk=interrupt_at(1, 0)
        )
    other = replace(CONFIG, add_context_vectors=False)
    resumed = train_sgns(corpus(), other, VOCAB, checkpoint=path)
    uninterrupted = train_sgns(corpus(), CONFIG, VOCAB)
    np.testing.assert_array_equal(resumed.input_vectors, uninterrupted.input_vectors)


def test_fingerprint_matches_whole_array_digest(monkeypatch):
    # Checkpoints written when the corpus kept one document id per token
    # recorded this digest, so they still resume.
    from embedsent import checkpoint

    vocab = Vocabulary.build(corpus(n_docs=30), VOCAB)
    encoded = vocab.encode_corpus(corpus(n_docs=30))
    monkeypatch.setattr(checkpoint, "FINGERPRINT_BLOCK", 7)
    digest = hashlib.sha256()
    # Those checkpoints also held the ids as int32, which are now uint16.
    assert encoded.ids.dtype == np.uint16
    digest.update(encoded.ids.astype(np.int32).tobytes())
    digest.update(
        np.repeat(np.arange(30, dtype=np.int32), np.diff(encoded.doc_offsets)).tobytes()
    )
    digest.update("\n".join(vocab.tokens).encode("utf-8"))
    assert checkpoint.corpus_fingerprint(encoded, vocab) == digest.hexdigest()


def test_training_skips_per_token_document_ids(tmp_path, monkeypatch):
    # One document id per token would take 4 bytes per token for the whole
    # run. Training reads the document offsets in blocks instead.
    from embedsent.vocab import EncodedCorpus

    def whole_array(self):
        raise AssertionError("built the per-token document ids")

    monkeypatch.setattr(EncodedCorpus, "doc_ids", property(whole_array))
    model = train_sgns(corpus(), CONFIG, VOCAB, checkpoint=tmp_path / "run.ckpt")
    assert np.isfinite(model.input_vectors).all()


# Settings under which a whole epoch is one step, because the corpus below has
# fewer tokens than a batch. The only step measures its loss before its
# update, so only the check of the final tables can see that update.
ONE_STEP = replace(CONFIG, epochs=1, batch_size=64, steps_per_call=1)
NO_SAMPLING = VocabConfig(min_count=1, sample=0.0)


def test_divergence_in_last_step_raises():
    exploding = replace(ONE_STEP, alpha=1e6)
    with pytest.raises(trainer.TrainingDiverged) as raised:
        train_sgns(corpus(n_docs=4), exploding, NO_SAMPLING)
    reason = raised.value.reason
    assert reason.startswith("loss reached ")
    assert "in epoch 1, chunk 0 (learning rate 1e+06) on the final tables" in reason
    assert raised.value.alpha == 1e6


def test_huge_final_vectors_raise():
    # The output vectors reach about 1e29 here and stay finite.
    exploding = replace(ONE_STEP, alpha=1e30)
    with pytest.raises(trainer.TrainingDiverged, match="on the final tables"):
        train_sgns(corpus(n_docs=4), exploding, NO_SAMPLING)


def test_high_alpha_warns_even_when_training_ends(caplog):
    # One step at alpha 1e4 overshoots without raising the loss on this corpus.
    overshooting = replace(ONE_STEP, alpha=1e4)
    with caplog.at_level(logging.WARNING, logger="embedsent.trainer"):
        train_sgns(corpus(n_docs=4), overshooting, NO_SAMPLING)
    assert "learning rate alpha 10000 is 400000 times the 0.025" in caplog.text
    assert "Pass a lower --alpha (SGNSConfig.alpha)" in caplog.text


def test_default_alpha_does_not_warn(caplog):
    with caplog.at_level(logging.WARNING, logger="embedsent.trainer"):
        train_sgns(corpus(n_docs=4), replace(ONE_STEP, alpha=1.0), NO_SAMPLING)
    assert "times the 0.025" not in caplog.text


def test_final_loss_check_keeps_vectors(monkeypatch):
    checked = train_sgns(corpus(), CONFIG, VOCAB)
    monkeypatch.setattr(
        trainer._Run,
        "_check_final_loss",
        lambda self, tables, state, stream, last_trained: tables,
    )
    unchecked = train_sgns(corpus(), CONFIG, VOCAB)
    np.testing.assert_array_equal(checked.input_vectors, unchecked.input_vectors)
    np.testing.assert_array_equal(checked.output_vectors, unchecked.output_vectors)
    assert checked.epoch_losses == unchecked.epoch_losses


def test_final_loss_check_runs_once_per_run(monkeypatch):
    calls = []
    original = trainer._Run._check_final_loss

    def recording(self, tables, state, stream, last_trained):
        calls.append(state.epoch)
        return original(self, tables, state, stream, last_trained)

    monkeypatch.setattr(trainer._Run, "_check_final_loss", recording)
    train_sgns(corpus(), CONFIG, VOCAB)
    assert calls == [CONFIG.epochs - 1]


def test_nan_in_output_table_raises(monkeypatch):
    # The output table is the second one read back.
    read = []

    def poison_second(table):
        values = np.array(table, dtype=np.float32)
        read.append(values)
        if len(read) == 2:
            values[0, 0] = np.nan
        return values

    monkeypatch.setattr(trainer.distributed, "replica_to_numpy", poison_second)
    with pytest.raises(trainer.TrainingDiverged, match="contain NaN or inf"):
        train_sgns(corpus(n_docs=4), ONE_STEP, NO_SAMPLING)


def test_cli_pretrain_rejects_last_chunk_divergence(tmp_path, capsys):
    from embedsent.cli import main

    out = tmp_path / "vectors.txt"
    arguments = ["--no-progress", "pretrain", "--data", "default", "--epochs", "1"]
    arguments += ["--dim", "10", "--alpha", "1e6", "--out", str(out)]
    code = main(arguments)
    err = capsys.readouterr().err
    assert code == 2
    assert "SGNS training diverged: loss reached " in err
    assert "on the final tables" in err
    assert not out.exists()


def test_resume_after_last_call_checks_final_loss(tmp_path):
    # The checkpoint is written after the only call, so the resumed run makes
    # no call of its own and checks the loss on the epoch's last chunk.
    exploding = replace(ONE_STEP, alpha=1e6)
    checkpointing = Checkpointing(tmp_path / "run.ckpt", every_seconds=0.0)
    with pytest.raises(Interrupt):
        train_sgns(
            corpus(n_docs=4),
            exploding,
            NO_SAMPLING,
            checkpoint=checkpointing,
            on_chunk=interrupt_at(0, 0),
        )
    with pytest.raises(trainer.TrainingDiverged, match="on the final tables"):
        train_sgns(corpus(n_docs=4), exploding, NO_SAMPLING, checkpoint=checkpointing)


def test_train_sgns_rejects_dict_config():
    with pytest.raises(
        TypeError,
        match=r"config must be an SGNSConfig, got dict; .*SGNSConfig\(\*\*d\)",
    ):
        train_sgns(corpus(), {"dim": 10}, VocabConfig(min_count=1))


def test_train_sgns_names_swapped_configs():
    with pytest.raises(
        TypeError,
        match="config must be an SGNSConfig, got VocabConfig; did you swap config "
        "and vocab_config",
    ):
        train_sgns(corpus(), VocabConfig(), SGNSConfig())


def test_continue_training_names_a_wrong_config_type():
    model = train_sgns(corpus(), CONFIG, VocabConfig(min_count=1))
    with pytest.raises(TypeError, match="config must be an SGNSConfig, got dict"):
        continue_training(model, corpus(), {"dim": CONFIG.dim})


def test_step_memory_limit_checked_first(monkeypatch):
    config = SGNSConfig(
        dim=1000, batch_size=65_536, shared_negatives=10_000, max_memory_gb=8.0
    )

    def fail(*args, **kwargs):
        raise AssertionError("compiled before the memory check")

    monkeypatch.setattr(trainer, "_compile_step", fail)
    with pytest.raises(
        MemoryError,
        match=r"one training call needs about .*GiB.*"
        r"above max_memory_gb=8\.0; lower batch_size",
    ):
        train_sgns(corpus(), config, VocabConfig(min_count=1))


def test_step_memory_estimate_grows():
    base = trainer.estimate_step_bytes(SGNSConfig())
    for field, value in [
        ("batch_size", 512),
        ("steps_per_call", 256),
        ("window", 10),
        ("shared_negatives", 50),
        ("dim", 200),
    ]:
        assert trainer.estimate_step_bytes(SGNSConfig(**{field: value})) > base


def test_sgns_save_rejects_csv_suffix(tmp_path):
    model = train_sgns(corpus(n_docs=4), ONE_STEP, NO_SAMPLING)
    path = tmp_path / "new.csv"
    with pytest.raises(ValueError) as raised:
        model.save(path)
    message = str(raised.value)
    assert message.startswith(f"path {path}: the suffix .csv marks a table")
    assert "an SGNS pretraining model is a zip (.npz) file" in message
    assert message.endswith(f"Save it as {tmp_path / 'new.npz'} instead.")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("name", ["run.txt", "run.csv", "run.jsonl"])
def test_checkpointing_rejects_other_kind_suffix(tmp_path, name):
    path = tmp_path / name
    with pytest.raises(ValueError) as raised:
        Checkpointing(path)
    message = str(raised.value)
    assert message.startswith(f"path {path}: the suffix ")
    assert "an SGNS training checkpoint is a zip (.npz) file" in message
    assert message.endswith(f"Save it as {tmp_path / 'run.npz'} instead.")


def test_train_sgns_rejects_checkpoint_suffix(tmp_path):
    path = tmp_path / "run.txt"
    with pytest.raises(ValueError, match=r"run\.txt: the suffix \.txt marks"):
        train_sgns(corpus(n_docs=4), ONE_STEP, NO_SAMPLING, checkpoint=path)
    assert list(tmp_path.iterdir()) == []


def test_checkpointing_accepts_bundle_names(tmp_path):
    for name in ["run.npz", "run.ckpt", "run"]:
        assert Checkpointing(tmp_path / name).path == tmp_path / name


def _epoch_log_lines(records):
    return [
        record.getMessage()
        for record in records
        if record.name == "embedsent.trainer"
        and record.getMessage().startswith("epoch ")
    ]


def test_resume_of_complete_epoch_logs_no_speed(tmp_path, caplog):
    # Every compiled call writes a checkpoint, so an interrupt after the
    # epoch's last call leaves a checkpoint whose first epoch is complete.
    calls = []
    train_sgns(corpus(), CONFIG, VOCAB, on_chunk=lambda e, c: calls.append((e, c)))
    last_call = max(chunk for epoch, chunk in calls if epoch == 0)
    checkpointing = Checkpointing(tmp_path / "run.ckpt", every_seconds=0.0)
    with pytest.raises(Interrupt):
        train_sgns(
            corpus(),
            CONFIG,
            VOCAB,
            checkpoint=checkpointing,
            on_chunk=interrupt_at(0, last_call),
        )
    with caplog.at_level("INFO", logger="embedsent.trainer"):
        model = train_sgns(corpus(), CONFIG, VOCAB, checkpoint=checkpointing)
    lines = _epoch_log_lines(caplog.records)
    assert len(lines) == 3
    assert "words/s" not in lines[0]
    assert "trained before the checkpoint was written" in lines[0]
    assert "words/s" in lines[1]
    assert "words/s" in lines[2]
    assert model.words_per_second[0] == 0.0


@pytest.mark.parametrize("name", ["run.txt/", "run.json//", "run.npz.csv/"])
def test_checkpoint_trailing_separator_suggests_npz(tmp_path, name):
    path = f"{tmp_path}/{name}"
    with pytest.raises(ValueError) as raised:
        Checkpointing(path)
    message = str(raised.value)
    assert message.startswith(f"path {path}: the trailing '/' marks a folder, and ")
    assert message.endswith(f"Save it as {tmp_path / 'run.npz'} instead.")
    assert Checkpointing(tmp_path / "run.npz").path == tmp_path / "run.npz"


@pytest.mark.parametrize("path", ["sub/", "run.npz/"])
def test_checkpoint_path_with_trailing_separator_rejected(tmp_path, path):
    with pytest.raises(ValueError, match="names a folder, not a file"):
        Checkpointing(f"{tmp_path}/{path}")
    with pytest.raises(ValueError, match="names a folder, not a file"):
        train_sgns(
            corpus(n_docs=4), ONE_STEP, NO_SAMPLING, checkpoint=f"{tmp_path}/{path}"
        )
    assert list(tmp_path.iterdir()) == []
