"""Parameter counts of the two halves of a transfer model.

The head is the one-hidden-layer classifier over sentence vectors. The word
vectors come from SGNS pretraining or from a file written elsewhere, such as
GloVe. SGNS trains an input and an output (context) table of V x d each, and
a ``TransferClassifier`` keeps only the input table.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from embedsent.pipeline import TransferClassifier

__all__ = [
    "ParameterCounts",
    "count_parameters",
    "describe_parameters",
    "head_parameter_count",
    "parameter_lines",
]


def head_parameter_count(dim: int, hidden_size: int, n_classes: int) -> int:
    """Return the trainable weights and biases of the classifier head.

    ``(d + 1) * h + (h + 1) * c`` for ``h`` hidden units over ``d``-dimensional
    sentence vectors and ``c`` classes, and ``(d + 1) * c`` for ``h = 0``.
    """
    if hidden_size == 0:
        return (dim + 1) * n_classes
    return (dim + 1) * hidden_size + (hidden_size + 1) * n_classes


@dataclass(frozen=True)
class ParameterCounts:
    """Sizes of the two halves of a transfer model.

    Attributes:
        vocab_size: Words with a vector, V.
        dim: Vector dimension, d.
        hidden_size: Hidden units of the head, h.
        n_classes: Classes, c.
        head: Trainable parameters of the head.
        sgns_training: Parameters that SGNS pretraining of vectors of this
            size trains, ``2 * V * d``: the input and the output (context)
            tables. It depends on V and d alone, so it also applies to
            vectors that embedsent did not train.
        saved_vectors: Parameters of the vectors the model keeps, ``V * d``:
            the input table only.
    """

    vocab_size: int
    dim: int
    hidden_size: int
    n_classes: int
    head: int
    sgns_training: int
    saved_vectors: int


def count_parameters(model: TransferClassifier) -> ParameterCounts:
    """Count the parameters of a fitted ``TransferClassifier``."""
    vocab_size, dim = (int(size) for size in model.vectors.vectors.shape)
    hidden_size = model.classifier.config.hidden_size
    n_classes = len(model.classes_)
    return ParameterCounts(
        vocab_size=vocab_size,
        dim=dim,
        hidden_size=hidden_size,
        n_classes=n_classes,
        head=head_parameter_count(dim, hidden_size, n_classes),
        sgns_training=2 * vocab_size * dim,
        saved_vectors=vocab_size * dim,
    )


def describe_parameters(model: TransferClassifier) -> str:
    """Describe the parameter counts of a fitted model in two lines."""
    return "\n".join(parameter_lines(count_parameters(model)))


def parameter_lines(counts: ParameterCounts) -> list[str]:
    """Describe the head and the word vectors, one line each."""
    if counts.hidden_size == 0:
        formula = f"(d + 1) * c with d={counts.dim}, c={counts.n_classes}"
    else:
        formula = (
            f"(d + 1) * h + (h + 1) * c with d={counts.dim}, "
            f"h={counts.hidden_size}, c={counts.n_classes}"
        )
    return [
        f"classifier head: {counts.head:,} trainable parameters ({formula})",
        f"word vectors: {counts.saved_vectors:,} in the model "
        f"(V={counts.vocab_size:,} x d={counts.dim}); SGNS pretraining of "
        f"vectors this size trains {counts.sgns_training:,} "
        "(2 x V x d: input and output tables)",
    ]
