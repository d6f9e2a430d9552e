"""How close a ``huffquant16``/``hufflossless`` chunk comes to the order-0 entropy of its own residuals.

The encoder picks a predictor per tile and entropy-codes the zigzagged residuals. The order-0 (memoryless)
entropy of those residuals, ``n * H`` bits with ``H = -sum(p * log2(p))`` over the chunk's residual histogram,
is the size an ideal coder with one static table per chunk would reach (before side information). The
*efficiency* is that ideal size divided by the chunk's real size, header, predictor map and code tables
included: 1.0 would be a perfect order-0 coder.

Examples
--------
>>> import numpy as np
>>> from pymecompress import HuffmanLossless
>>> rng = np.random.default_rng(0)
>>> frame = rng.poisson(200, (256, 256)).astype(np.uint16)
>>> e = residual_entropy(HuffmanLossless().encode(frame))
>>> 0.9 < e.efficiency <= 1.0
True
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import _binding


@dataclass(frozen=True)
class ResidualEntropy:
    """Order-0 entropy of one chunk's residuals against the chunk's real size."""

    values: int
    """How many residuals (elements) the chunk holds."""
    entropy_bits: float
    """``values`` times the order-0 entropy of the residual histogram, in bits."""
    stored_bytes: int
    """The chunk's size as stored."""

    @property
    def bits_per_value(self) -> float:
        """Order-0 entropy per residual, in bits."""
        return self.entropy_bits / self.values if self.values else 0.0

    @property
    def efficiency(self) -> float:
        """Entropy bound over stored size (1.0 = the stream is as small as an ideal order-0 coder's)."""
        return self.entropy_bits / 8 / self.stored_bytes if self.stored_bytes else 0.0


def order0_bits(values: np.ndarray) -> float:
    """``len(values)`` times the order-0 entropy of ``values`` (non-negative integers), in bits.

    Examples
    --------
    >>> order0_bits(np.array([0, 1, 0, 1]))
    4.0
    """
    counts = np.bincount(np.asarray(values).reshape(-1))
    counts = counts[counts > 0].astype(np.float64)
    n = counts.sum()
    return float(-(counts * np.log2(counts / n)).sum()) if n else 0.0


def residual_entropy(buf) -> ResidualEntropy:
    """Order-0 entropy of the residuals in one PMCS chunk (as written by ``huffquant16`` or ``hufflossless``).

    Parameters
    ----------
    buf : bytes-like
        One encoded chunk.

    Returns
    -------
    ResidualEntropy

    Raises
    ------
    pymecompress.DecodeError
        If ``buf`` is not a valid PMCS stream.
    """
    z = _binding.residuals(buf)
    return ResidualEntropy(z.size, order0_bits(z), _binding.bytes_view(buf).size)
