import os
import subprocess
import sys
import textwrap

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from embedsent.config import SGNSConfig, VocabConfig
from embedsent.sgns import (
    ALIAS_SCALE,
    INIT_BLOCK_ROWS,
    StepShape,
    _apply_updates,
    _context_input_gradients,
    _sgns_gradients,
    below,
    build_noise_table,
    chunk_key,
    context_input_loss,
    context_noise_weights,
    damp_repeats,
    init_tables,
    noise_weights,
    repeat_counts,
    run_keys,
    sample_noise,
    sgns_loss,
    step_bits,
    train_chunk,
)
from embedsent.trainer import TrainingDiverged, check_memory, train_sgns
from embedsent.vocab import Vocabulary

SMALL = SGNSConfig(
    dim=16,
    window=3,
    negative=3,
    epochs=3,
    batch_size=64,
    shared_negatives=16,
    negative_group=8,
    steps_per_call=4,
    seed=0,
)
NO_SAMPLING = VocabConfig(min_count=1, sample=0.0)


def topic_corpus(seed=0, n_docs=300, doc_len=20):
    """Documents that each draw words from one of two disjoint topics."""
    rng = np.random.default_rng(seed)
    topics = [[f"a{i}" for i in range(15)], [f"b{i}" for i in range(15)]]
    return [list(rng.choice(topics[d % 2], size=doc_len)) for d in range(n_docs)]


def random_batch(seed=0, batch=8, window=2, groups=2, noise=5, dim=6):
    rng = np.random.default_rng(seed)
    center = rng.normal(size=(batch, dim)) * 0.5
    span = rng.normal(size=(batch + 2 * window, dim)) * 0.5
    mask = (rng.random((batch, 2 * window)) < 0.7).astype(np.float64)
    noise_vectors = rng.normal(size=(groups, noise, dim)) * 0.5
    weight = rng.uniform(0.1, 2.0, size=(batch, noise))
    return center, span, mask, noise_vectors, weight


def numpy_loss(center, span, mask, noise_vectors, weight):
    """Reference SGNS loss written as explicit loops in float64."""
    batch = center.shape[0]
    window = (span.shape[0] - batch) // 2
    offsets = [*range(-window, 0), *range(1, window + 1)]
    per_group = batch // noise_vectors.shape[0]
    total = 0.0
    for b in range(batch):
        for column, offset in enumerate(offsets):
            score = center[b] @ span[window + b + offset]
            total -= mask[b, column] * np.log(1.0 / (1.0 + np.exp(-score)))
        for k in range(noise_vectors.shape[1]):
            score = center[b] @ noise_vectors[b // per_group, k]
            total -= weight[b, k] * np.log(1.0 / (1.0 + np.exp(score)))
    return total


def test_loss_matches_numpy_loops():
    arrays = random_batch()
    expected = numpy_loss(*arrays)
    got = sgns_loss(*(jnp.asarray(a, jnp.float32) for a in arrays))
    assert float(got) == pytest.approx(expected, rel=1e-5)


def test_noise_word_equal_to_context_is_skipped():
    contexts = jnp.array([[4, 7, 7, 9], [1, 2, 3, 5]], jnp.int32)
    mask = jnp.array([[1, 1, 1, 0], [1, 1, 0, 0]], jnp.float32)
    noise = jnp.array([[7, 9, 2], [3, 1, 8]], jnp.int32)
    weights = np.asarray(noise_weights(contexts, mask, noise, 0.5))
    # Center 0 has 3 real pairs; noise 7 matches two of them and noise 9
    # only a masked one.
    np.testing.assert_allclose(weights[0], [0.5, 1.5, 1.5])
    # Center 1 has 2 real pairs; noise 3 matches a masked pair only.
    np.testing.assert_allclose(weights[1], [1.0, 0.5, 1.0])


def test_gradient_matches_finite_differences():
    arrays = random_batch(seed=1)
    analytic = _sgns_gradients(*(jnp.asarray(a, jnp.float32) for a in arrays))[1:]
    eps = 1e-6
    for which, grad in zip((0, 1, 3), analytic, strict=True):
        base = arrays[which]
        numeric = np.zeros_like(base)
        for index in np.ndindex(base.shape):
            plus = [a.copy() for a in arrays]
            minus = [a.copy() for a in arrays]
            plus[which][index] += eps
            minus[which][index] -= eps
            numeric[index] = (numpy_loss(*plus) - numpy_loss(*minus)) / (2 * eps)
        np.testing.assert_allclose(np.asarray(grad), numeric, rtol=1e-3, atol=1e-4)


def test_hand_gradient_matches_autodiff():
    arrays = [jnp.asarray(a, jnp.float32) for a in random_batch(seed=2)]
    autodiff = jax.grad(sgns_loss, argnums=(0, 1, 3))(*arrays)
    analytic = _sgns_gradients(*arrays)[1:]
    for got, expected in zip(analytic, autodiff, strict=True):
        np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)


def random_context_batch(seed=0, batch=8, window=2, noise=3, dim=6):
    rng = np.random.default_rng(seed)
    center, span, mask, _, _ = random_batch(seed, batch, window, 1, noise, dim)
    noise_vectors = rng.normal(size=(span.shape[0], noise, dim)) * 0.5
    weight = rng.uniform(0.1, 2.0, size=(span.shape[0], noise))
    return center, span, mask, noise_vectors, weight


def numpy_context_loss(center, span, mask, noise_vectors, weight):
    """Reference context-input loss written as explicit loops in float64."""
    batch = center.shape[0]
    window = (span.shape[0] - batch) // 2
    offsets = [*range(-window, 0), *range(1, window + 1)]
    total = 0.0
    for b in range(batch):
        for column, offset in enumerate(offsets):
            score = center[b] @ span[window + b + offset]
            total -= mask[b, column] * np.log(1.0 / (1.0 + np.exp(-score)))
    for position in range(span.shape[0]):
        for k in range(noise_vectors.shape[1]):
            score = span[position] @ noise_vectors[position, k]
            total -= weight[position, k] * np.log(1.0 / (1.0 + np.exp(score)))
    return total


def test_context_input_loss_matches_numpy_loops():
    arrays = random_context_batch()
    got = context_input_loss(*(jnp.asarray(a, jnp.float32) for a in arrays))
    assert float(got) == pytest.approx(numpy_context_loss(*arrays), rel=1e-5)


def test_context_input_hand_gradient_matches_autodiff():
    arrays = [jnp.asarray(a, jnp.float32) for a in random_context_batch(seed=3)]
    autodiff = jax.grad(context_input_loss, argnums=(0, 1, 3))(*arrays)
    loss, *analytic = _context_input_gradients(*arrays)
    assert float(loss) == pytest.approx(float(context_input_loss(*arrays)), rel=1e-6)
    for got, expected in zip(analytic, autodiff, strict=True):
        np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)


def test_context_noise_word_equal_to_center_is_skipped():
    # Two centers with window 1: span positions 0..3, centers at 1 and 2.
    centers = jnp.array([5, 6], jnp.int32)
    mask = jnp.array([[1, 1], [1, 0]], jnp.float32)
    noise = jnp.array([[5, 1], [6, 1], [5, 6], [6, 2]], jnp.int32)
    weights = np.asarray(context_noise_weights(centers, mask, noise, 0.5))
    # Position 0 is the left context of center 5 only, so noise 5 is skipped.
    # Position 1 (center 5) is the left context of center 6; position 2
    # (center 6) is the right context of center 5. Position 3 is the right
    # context of center 6, but that pair is masked.
    np.testing.assert_allclose(weights, [[0, 0.5], [0, 0.5], [0, 0.5], [0, 0]])


def topic_gap(model):
    """Return mean cosine within a topic minus mean cosine across topics."""
    vectors = model.input_vectors / np.linalg.norm(
        model.input_vectors, axis=1, keepdims=True
    )
    topic = np.array([token[0] for token in model.vocab.tokens])
    similarity = vectors @ vectors.T
    same = similarity[topic[:, None] == topic[None, :]].mean()
    across = similarity[topic[:, None] != topic[None, :]].mean()
    return same - across


def test_training_separates_topics():
    model = train_sgns(topic_corpus(), SMALL, NO_SAMPLING)
    assert topic_gap(model) > 0.3


def test_context_input_role_separates_topics():
    context = SGNSConfig(
        **{**SMALL.__dict__, "input_role": "context", "negative_group": 1}
    )
    model = train_sgns(topic_corpus(), context, NO_SAMPLING)
    assert model.epoch_losses[-1] < model.epoch_losses[0]
    assert topic_gap(model) > 0.3


def test_context_role_needs_group_of_one():
    with pytest.raises(ValueError, match="negative_group must be 1, got 8"):
        SGNSConfig(**{**SMALL.__dict__, "input_role": "context"})


def test_unknown_input_role_is_rejected():
    with pytest.raises(ValueError, match="input_role must be one of .*'word'"):
        SGNSConfig(input_role="word")


def test_loss_decreases_over_epochs():
    model = train_sgns(topic_corpus(), SMALL, NO_SAMPLING)
    assert model.epoch_losses[-1] < model.epoch_losses[0]


def test_same_seed_gives_identical_vectors():
    first = train_sgns(topic_corpus(), SMALL, NO_SAMPLING)
    second = train_sgns(topic_corpus(), SMALL, NO_SAMPLING)
    np.testing.assert_array_equal(first.input_vectors, second.input_vectors)


def test_other_seed_gives_other_vectors():
    first = train_sgns(topic_corpus(), SMALL, NO_SAMPLING)
    other = SGNSConfig(**{**SMALL.__dict__, "seed": 1})
    second = train_sgns(topic_corpus(), other, NO_SAMPLING)
    assert not np.array_equal(first.input_vectors, second.input_vectors)


def test_one_shot_iterator_trains_every_epoch():
    from_list = train_sgns(topic_corpus(), SMALL, NO_SAMPLING)
    from_iterator = train_sgns(iter(topic_corpus()), SMALL, NO_SAMPLING)
    np.testing.assert_array_equal(from_list.input_vectors, from_iterator.input_vectors)
    assert len(from_iterator.epoch_losses) == SMALL.epochs


def test_windows_never_cross_documents():
    # One-token documents have no context pair, so their words never train
    # as centers; only the last document, "x y", has pairs.
    corpus = [[f"w{i % 7}"] for i in range(200)] + [["x", "y"]]
    vocab = Vocabulary.build(corpus, NO_SAMPLING)
    rng = np.random.default_rng(0)
    start = rng.normal(size=(len(vocab), SMALL.dim)).astype(np.float32)
    tables = (start, np.zeros_like(start))
    model = train_sgns(corpus, SMALL, NO_SAMPLING, vocab=vocab, initial_tables=tables)
    lonely = [vocab.index[f"w{i}"] for i in range(7)]
    np.testing.assert_array_equal(model.input_vectors[lonely], start[lonely])
    paired = [vocab.index["x"], vocab.index["y"]]
    assert not np.array_equal(model.input_vectors[paired], start[paired])
    assert all(loss > 0 for loss in model.epoch_losses)


def test_step_compiles_once_across_corpus_sizes_and_rates():
    train_sgns(topic_corpus(n_docs=100), SMALL, NO_SAMPLING)
    compiled = train_chunk._cache_size()
    faster = SGNSConfig(**{**SMALL.__dict__, "alpha": 0.05, "epochs": 1})
    train_sgns(topic_corpus(seed=3, n_docs=400), faster, NO_SAMPLING)
    assert train_chunk._cache_size() == compiled


def test_raw_string_corpus_raises_type_error():
    with pytest.raises(TypeError, match="tokenize_corpus"):
        train_sgns(["a plain review text", "another one"], SMALL, NO_SAMPLING)


def test_single_string_corpus_raises_type_error():
    with pytest.raises(TypeError, match="single str"):
        train_sgns("a plain review text", SMALL, NO_SAMPLING)


def test_all_tokens_below_min_count_raises():
    with pytest.raises(ValueError, match="3 token types and the largest count is 2"):
        train_sgns([["a", "b"], ["a", "c"]], SMALL, VocabConfig(min_count=5))


def test_divergent_learning_rate_stops_training():
    diverging = SGNSConfig(**{**SMALL.__dict__, "alpha": 1e30, "min_alpha": 1e30})
    with pytest.raises(TrainingDiverged, match="lower alpha"):
        train_sgns(topic_corpus(), diverging, NO_SAMPLING)


def test_oversized_tables_refused_before_allocation():
    config = SGNSConfig(dim=1000, max_memory_gb=8.0)
    with pytest.raises(MemoryError, match="2 x 10000000 words x 1000 dims"):
        check_memory(10_000_000, config)


def _alias_probabilities(table: np.ndarray) -> np.ndarray:
    size = table.shape[1]
    keep = table[0].astype(np.float64) / ALIAS_SCALE
    implied = keep.copy()
    np.add.at(implied, table[1], 1.0 - keep)
    return implied / size


@pytest.mark.parametrize(
    "noise",
    [
        [0.5, 0.3, 0.2],
        [1.0],
        [0.25, 0.25, 0.25, 0.25],
        [1e-9, 1.0 - 2e-9, 1e-9],
    ],
)
def test_noise_table_implies_distribution(noise):
    table = build_noise_table(np.array(noise))
    assert table.shape == (2, len(noise))
    assert table.dtype == np.int32
    np.testing.assert_allclose(_alias_probabilities(table), noise, atol=1e-9)


def test_noise_table_of_zipf_vocabulary():
    counts = 1.0 / np.arange(1, 50_001)
    noise = counts**0.75 / np.sum(counts**0.75)
    table = build_noise_table(noise)
    np.testing.assert_allclose(_alias_probabilities(table), noise, rtol=1e-6)


def test_sampled_noise_follows_distribution():
    noise = np.array([0.5, 0.3, 0.15, 0.05])
    table = jnp.asarray(build_noise_table(noise))
    draws = sample_noise(jax.random.PRNGKey(0), table, (200_000,))
    frequencies = np.bincount(np.asarray(draws), minlength=4) / draws.shape[0]
    np.testing.assert_allclose(frequencies, noise, atol=5e-3)


def test_sampled_window_sizes_are_uniform():
    words = step_bits(jax.random.PRNGKey(3), 100_000)
    sizes = 1 + np.asarray(below(words, 5))
    frequencies = np.bincount(sizes, minlength=6)[1:] / sizes.size
    np.testing.assert_allclose(frequencies, np.full(5, 0.2), atol=5e-3)


def test_step_bits_depend_only_on_key():
    first = step_bits(jax.random.PRNGKey(7), 1000)
    np.testing.assert_array_equal(first, step_bits(jax.random.PRNGKey(7), 1000))
    assert not np.array_equal(first, step_bits(jax.random.PRNGKey(8), 1000))


@pytest.mark.parametrize("input_role", ["center", "context"])
def test_compiled_step_never_copies_a_table(input_role):
    # A whole-table copy per step would make every step cost O(vocabulary).
    vocab_size, dim = 1009, 8
    shape = StepShape.from_config(SGNSConfig(dim=dim, input_role=input_role))
    length = shape.chunk_centers + 2 * shape.window
    table = jax.ShapeDtypeStruct((vocab_size, dim), jnp.float32)
    ids = jax.ShapeDtypeStruct((length,), jnp.int32)
    chunk = (
        ids,
        ids,
        jax.ShapeDtypeStruct((), jnp.int32),
        jax.ShapeDtypeStruct((2, vocab_size), jnp.int32),
    )
    rates = jax.ShapeDtypeStruct((shape.steps_per_call,), jnp.float32)
    lowered = train_chunk.lower(
        shape, (table, table), chunk, jax.random.PRNGKey(0), rates
    )
    text = lowered.compile().as_text()
    assert "scatter" in text
    assert f"f32[{vocab_size},{dim}]{{1,0}} copy(" not in text


def test_finite_but_huge_loss_stops_training():
    diverging = SGNSConfig(**{**SMALL.__dict__, "alpha": 50.0, "min_alpha": 50.0})
    with pytest.raises(TrainingDiverged, match="per pair"):
        train_sgns(topic_corpus(), diverging, NO_SAMPLING)


def test_repeat_counts_count_each_value():
    ids = jnp.asarray([3, 1, 3, 7, 3, 1], jnp.int32)
    counts, tally = repeat_counts(ids, jnp.zeros(8, jnp.int32))
    assert counts.tolist() == [3, 2, 3, 1, 3, 2]
    again, _ = repeat_counts(ids[:2], tally)
    assert again.tolist() == [1, 1]


@pytest.mark.parametrize("damping", [0.0, 0.5, 1.0])
def test_repeated_rows_get_damped_sum(damping):
    dim = 2
    tables = (jnp.zeros((5, dim)), jnp.zeros((5, dim)))
    # The output rows come in two pieces, as the span and noise rows do.
    rows = (
        (jnp.asarray([1, 1, 2], jnp.int32),),
        (jnp.asarray([0, 4, 4], jnp.int32), jnp.asarray([4, 4, 3], jnp.int32)),
    )
    steps = ((jnp.ones((3, dim)),), (jnp.ones((3, dim)), jnp.ones((3, dim))))
    damped, _ = damp_repeats(rows, steps, damping, jnp.zeros(5, jnp.int32))
    input_table, output_table = _apply_updates(tables, rows, damped)
    # Row 1 occurs twice among the input rows and row 4 four times among the
    # output rows, twice in each piece.
    np.testing.assert_allclose(input_table[1], -np.full(dim, 2 / 2**damping))
    np.testing.assert_allclose(input_table[2], -np.ones(dim))
    np.testing.assert_allclose(output_table[4], -np.full(dim, 4 / 4**damping))
    np.testing.assert_allclose(output_table[0], -np.ones(dim))
    np.testing.assert_allclose(output_table[3], -np.ones(dim))


def test_damping_trains_as_well_as_plain_sum():
    plain = SGNSConfig(**{**SMALL.__dict__, "repeat_damping": 0.0})
    damped = SGNSConfig(**{**SMALL.__dict__, "repeat_damping": 0.5})
    for config in (plain, damped):
        model = train_sgns(topic_corpus(), config, NO_SAMPLING)
        assert topic_gap(model) > 0.3, config.repeat_damping


def test_damping_changes_trained_vectors():
    plain = SGNSConfig(**{**SMALL.__dict__, "repeat_damping": 0.0})
    first = train_sgns(topic_corpus(), plain, NO_SAMPLING)
    second = train_sgns(topic_corpus(), SMALL, NO_SAMPLING)
    assert SMALL.repeat_damping == 0.5
    assert not np.array_equal(first.input_vectors, second.input_vectors)


@pytest.mark.parametrize("bad", [-0.1, 1.5, float("nan")])
def test_out_of_range_damping_is_rejected(bad):
    with pytest.raises(ValueError, match="repeat_damping"):
        SGNSConfig(repeat_damping=bad)


def test_damping_keeps_small_zipf_vocabulary_stable():
    # 500 Zipf-distributed words: a batch of 256 centers repeats the top
    # words so often that the plain sum of their updates diverges.
    rng = np.random.default_rng(0)
    words = [f"w{i}" for i in range(500)]
    weights = 1.0 / np.arange(1, 501)
    weights /= weights.sum()
    corpus = [list(rng.choice(words, size=40, p=weights)) for _ in range(2000)]
    vocab = VocabConfig(min_count=1)
    damped = train_sgns(corpus, SGNSConfig(dim=16, epochs=2), vocab)
    assert np.isfinite(damped.epoch_losses).all()
    with pytest.raises(TrainingDiverged):
        train_sgns(corpus, SGNSConfig(dim=16, epochs=2, repeat_damping=0.0), vocab)


@pytest.mark.parametrize("vocab_size", [1, 7, INIT_BLOCK_ROWS + 3])
def test_init_tables_fill_every_row_in_range(vocab_size):
    dim = 4
    input_table, output_table = init_tables(jax.random.PRNGKey(0), vocab_size, dim)
    values = np.asarray(input_table)
    assert values.shape == (vocab_size, dim)
    assert values.dtype == np.float32
    assert (values >= -0.5 / dim).all()
    assert (values < 0.5 / dim).all()
    # No row is left at the zeros the table starts from.
    assert (np.abs(values).sum(axis=1) > 0).all()
    assert not np.asarray(output_table).any()


def test_init_tables_follow_the_key():
    first = np.asarray(init_tables(jax.random.PRNGKey(0), 50, 8)[0])
    again = np.asarray(init_tables(jax.random.PRNGKey(0), 50, 8)[0])
    other = np.asarray(init_tables(jax.random.PRNGKey(1), 50, 8)[0])
    np.testing.assert_array_equal(first, again)
    assert not np.array_equal(first, other)


def test_init_tables_accept_no_rows():
    input_table, output_table = init_tables(jax.random.PRNGKey(0), 0, 8)
    assert input_table.shape == (0, 8)
    assert output_table.shape == (0, 8)


@pytest.mark.parametrize("n_valid", [0, 1, 37, 64, 65, 128])
def test_steps_without_centers_are_skipped_exactly(n_valid):
    from embedsent.sgns import _run_steps, _single_device, _steps_with_centers

    shape = StepShape(
        batch_size=16,
        window=2,
        negative=3,
        shared_negatives=3,
        negative_group=1,
        steps_per_call=8,
        repeat_damping=0.5,
    )
    vocab_size, width = 50, shape.chunk_centers + 2 * shape.window
    rng = np.random.default_rng(n_valid)
    ids = rng.integers(0, vocab_size, width).astype(np.int32)
    doc_ids = np.zeros(width, np.int32)
    doc_ids[shape.window + n_valid :] = -1
    noise = jnp.asarray(build_noise_table(np.full(vocab_size, 1.0 / vocab_size)))
    chunk = (jnp.asarray(ids), jnp.asarray(doc_ids), jnp.int32(n_valid), noise)
    tables = init_tables(jax.random.PRNGKey(0), vocab_size, 8)
    rates = jnp.full(shape.steps_per_call, 0.05, jnp.float32)
    key = jax.random.PRNGKey(1)

    def full(tables):
        # Every step of the chunk, also those without centers.
        return _run_steps(
            shape, tables, chunk, key, rates, _single_device, shape.steps_per_call
        )

    expected = jax.jit(full)(tables)
    skipped = train_chunk(shape, tuple(jnp.copy(t) for t in tables), chunk, key, rates)
    assert int(_steps_with_centers(shape, n_valid)) == min(-(-n_valid // 16), 8)
    leaves = zip(jax.tree.leaves(expected), jax.tree.leaves(skipped), strict=True)
    # The two programs fuse differently, so float32 rounding may differ, also
    # in elements that cancel to near zero.
    for want, got in leaves:
        np.testing.assert_allclose(
            np.asarray(got), np.asarray(want), rtol=1e-4, atol=1e-8
        )
    # The output table starts at zero, so the first step changes only it.
    changed = not np.array_equal(np.asarray(skipped[0][1]), np.asarray(tables[1]))
    assert changed == (n_valid > 0)


@pytest.mark.parametrize("seed", [0, 7, 2**31 - 1, 2**31, 2**32 - 1])
def test_run_and_chunk_keys_match_eager_keys(seed):
    init_key, root_key = jax.random.split(jax.random.PRNGKey(seed))
    jitted_init, jitted_root = run_keys(np.uint32(seed))
    assert np.array_equal(jitted_init, init_key)
    assert np.array_equal(jitted_root, root_key)
    eager = jax.random.fold_in(jax.random.fold_in(root_key, 3), 70_000)
    jitted = chunk_key(jitted_root, np.int32(3), np.int32(70_000))
    assert np.array_equal(jitted, eager)


def test_training_run_compiles_four_programs():
    # A fresh process, so that no earlier test has compiled a program already.
    script = textwrap.dedent(
        """
        import logging, jax
        from embedsent.config import SGNSConfig, VocabConfig
        from embedsent.trainer import train_sgns
        logging.basicConfig(level=logging.WARNING, format="%(message)s")
        documents = [["good", "film", "bad", "plot", "fine"] * 4] * 30
        with jax.log_compiles(True):
            train_sgns(documents, SGNSConfig(dim=8, epochs=2), VocabConfig(min_count=1))
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "JAX_PLATFORMS": "cpu"},
    )
    assert result.returncode == 0, result.stderr[-2000:]
    compiled = {
        line.split("(")[1].split(")")[0]
        for line in result.stderr.splitlines()
        if line.startswith("Compiling jit(")
    }
    assert compiled == {"run_keys", "init_tables", "train_chunk", "chunk_key"}
