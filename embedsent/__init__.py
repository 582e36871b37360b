"""embedsent: transfer learning for text classification with few labels."""

__version__ = "0.1.0"
