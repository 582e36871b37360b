"""Word vectors shared by the tests of embedsent.vectors and embedsent.vector_io."""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np

from embedsent.vectors import WordVectors

# Hand-built 4-D vectors with known neighbours. Axes: royalty, male, female,
# fruit.
TOY_WORDS = ["king", "queen", "man", "woman", "prince", "apple", "zero"]
TOY_VECTORS = np.array(
    [
        [1.0, 1.0, 0.0, 0.0],
        [1.0, 0.0, 1.0, 0.0],
        [0.0, 1.0, 0.0, 0.0],
        [0.0, 0.0, 1.0, 0.0],
        [1.0, 1.0, 0.0, 0.3],
        [0.0, 0.0, 0.0, 1.0],
        [0.0, 0.0, 0.0, 0.0],
    ],
    dtype=np.float32,
)


def make_toy_vectors() -> WordVectors:
    return WordVectors(TOY_WORDS, TOY_VECTORS, counts=np.arange(7, 0, -1))


def make_random_vectors() -> WordVectors:
    rng = np.random.default_rng(0)
    words = [f"w{i}" for i in range(50)] + ["café", "日本語", "non\xa0breaking"]
    values = rng.standard_normal((len(words), 8)).astype(np.float32)
    # Values that a short decimal format would not reproduce.
    values[0] = [
        np.finfo(np.float32).max,
        np.finfo(np.float32).tiny,
        np.float32(1e-45),
        -0.0,
        np.float32(1 / 3),
        -np.finfo(np.float32).max,
        np.float32(0.1),
        np.float32(123456789.0),
    ]
    return WordVectors(words, values, counts=np.arange(len(words)) + 1)


def write_bytes(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def binary_record(word: bytes, values: list[float], newline: bool = True) -> bytes:
    end = b"\n" if newline else b""
    return word + b" " + struct.pack(f"<{len(values)}f", *values) + end
