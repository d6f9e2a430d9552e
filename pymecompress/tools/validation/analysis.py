"""What every analysis of ``pymecompress validate`` returns, and how it names what it found.

An analysis runs the field's own library on the original and on the decoded data alike and reports how its results
changed, each change in units of the result's own error (a flux in its flux error, a position in its localization
precision), with the objects it found in one and not in the other.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass
class Figure:
    """One reported change: ``value`` (in ``unit``), what it is, and the bound it is judged against (None: none)."""

    name: str
    value: float
    unit: str
    limit: float | None = None

    @property
    def ok(self) -> bool | None:
        return None if self.limit is None else bool(abs(self.value) <= self.limit)


@dataclass
class AnalysisResult:
    """The outcome of one analysis at one step.

    ``name`` is the analysis (``localization``, ``photometry``, ``traces``), ``library`` what ran it (with its
    version), ``found`` the objects in the original, ``lost`` / ``gained`` those only in the original / only in
    the decoded data, ``figures`` the changes, ``plot`` arrays for the report (analysis-specific), ``notes`` what
    the reader should know, ``reference`` the same analysis against plain noise of the same variance.
    """

    name: str
    library: str
    found: int
    lost: int
    gained: int
    figures: list[Figure] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    plot: dict[str, np.ndarray] = field(default_factory=dict, repr=False)
    reference: AnalysisResult | None = None
    """The same analysis with plain noise of the quantizer's variance added instead (see
    :func:`pymecompress.tools.validation.measures.same_variance_noise`): what any noise of that size changes."""

    def reference_of(self, figure: Figure) -> Figure | None:
        """The reference's figure of the same name."""
        if self.reference is None:
            return None
        return next((f for f in self.reference.figures if f.name == figure.name), None)


def match(a: np.ndarray, b: np.ndarray, radius: float) -> tuple[np.ndarray, np.ndarray]:
    """Pairs of points of ``a`` and ``b`` (``(n, 2)`` arrays) within ``radius`` of each other, each point used once,
    nearest pairs first: index arrays ``(ia, ib)``.

    Examples
    --------
    >>> ia, ib = match(np.array([[0.0, 0.0], [5.0, 5.0]]), np.array([[5.2, 5.0], [9.0, 9.0]]), 1.0)
    >>> ia.tolist(), ib.tolist()
    ([1], [0])
    """
    from scipy.spatial import cKDTree

    if not len(a) or not len(b):
        return np.zeros(0, int), np.zeros(0, int)
    k = min(4, len(b))
    dist, j = cKDTree(b).query(a, k=k, distance_upper_bound=radius)
    dist, j = dist.reshape(len(a), k), j.reshape(len(a), k)
    i = np.repeat(np.arange(len(a)), k).reshape(len(a), k)
    valid = np.isfinite(dist)
    order = np.argsort(dist[valid], kind="stable")
    used_a, used_b, ia, ib = set(), set(), [], []
    for p, q in zip(i[valid][order], j[valid][order], strict=True):
        if p not in used_a and q not in used_b:
            used_a.add(p)
            used_b.add(q)
            ia.append(p)
            ib.append(q)
    return np.array(ia, int), np.array(ib, int)


def library_version(module: str) -> str:
    """``name version`` of an installed library."""
    from importlib import metadata

    try:
        return f"{module} {metadata.version(module)}"
    except metadata.PackageNotFoundError:
        return module
