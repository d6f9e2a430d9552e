"""A one-page PNG showing what ``huffquant16`` keeps: the original and decoded frame, the residual in units of
the expected photon noise, its histogram against a unit Gaussian, and the compression ratio per plane.

matplotlib is an optional extra (``pip install "pymecompress[report]"``); :func:`have_matplotlib` tells.

Examples
--------
>>> import numpy as np, tempfile
>>> from pymecompress import CameraModel
>>> frames = (np.random.default_rng(0).poisson(20, (3, 32, 32)) * 2 + 100).astype(np.uint16)
>>> path = tempfile.mkdtemp() + "/r.png"
>>> if have_matplotlib():
...     _ = write_report(path, frames, frames, CameraModel(100, 2.0), [2.0, 2.1, 2.2])
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence

import numpy as np

from ..camera import CameraModel


def have_matplotlib() -> bool:
    """Whether matplotlib is installed (and importable)."""
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return False
    return True


def residual_sigmas(camera: CameraModel, original: np.ndarray, decoded: np.ndarray) -> np.ndarray:
    """Signed residual in noise sigmas: ``t(decoded) - t(original)`` in the variance-stabilised domain, where the
    photon + read noise of every pixel is one unit (so a unit Gaussian is the noise already in the data)."""
    return camera.vst(decoded) - camera.vst(original)


def added_noise_figures(camera: CameraModel, original: np.ndarray, decoded: np.ndarray) -> tuple[str, str]:
    """The added noise as the demo prints it and its report shows it: the growth of the noise standard deviation
    measured on the data and expected from ``step**2 / 12`` (``CameraModel.added_noise_measured`` and
    ``added_noise_expected``), each labelled.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.array([100, 102, 110, 140], np.uint16)
    >>> added_noise_figures(CameraModel(offset=100, gain=2.0), x, x)
    ('0.0 % (measured)', '4.1 % (expected, step^2/12)')
    """
    return (f"{100 * camera.added_noise_measured(original, decoded):.1f} % (measured)",
            f"{100 * camera.added_noise_expected():.1f} % (expected, step^2/12)")


def write_report(path: str | os.PathLike, original: np.ndarray, decoded: np.ndarray, camera: CameraModel,
                 ratios: Sequence[float], title: str = "", frame: int = 0) -> str:
    """Write the PNG report and return its path.

    Parameters
    ----------
    path : path
        Where to write the PNG.
    original, decoded : ndarray
        Stacks ``(planes, Y, X)`` (or one plane) before and after compression.
    camera : CameraModel
        The model the codec used (it defines the noise).
    ratios : sequence of float
        Compression ratio of each plane.
    title : str
        Figure title.
    frame : int
        Which plane to show.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    original = np.asarray(original).reshape(-1, *np.shape(original)[-2:])
    decoded = np.asarray(decoded).reshape(original.shape)
    res = residual_sigmas(camera, original, decoded)
    fig, axes = plt.subplots(2, 3, figsize=(13, 8), layout="constrained")
    lo, hi = np.percentile(original[frame], [0.5, 99.8])
    for ax, img, name in ((axes[0, 0], original[frame], "original"), (axes[0, 1], decoded[frame], "decoded")):
        im = ax.imshow(img, cmap="gray", vmin=lo, vmax=hi, interpolation="nearest")
        ax.set_title(f"{name} (plane {frame}, ADU)")
        ax.set_axis_off()
        fig.colorbar(im, ax=ax, shrink=0.8)
    im = axes[0, 2].imshow(res[frame], cmap="RdBu_r", vmin=-camera.step, vmax=camera.step, interpolation="nearest")
    axes[0, 2].set_title(f"residual / expected noise (bound +-{camera.step:g})")
    axes[0, 2].set_axis_off()
    fig.colorbar(im, ax=axes[0, 2], shrink=0.8, label="noise sigmas")

    ax = axes[1, 0]
    lim = max(4.0, camera.step * 1.2)
    bins = np.linspace(-lim, lim, 81)
    ax.hist(res.ravel(), bins=bins, density=True, color="tab:blue", alpha=0.7,
            label=f"residual (sd {res.std():.2f})")
    g = np.linspace(-lim, lim, 400)
    ax.plot(g, np.exp(-g * g / 2) / math.sqrt(2 * math.pi), color="k", lw=1.5, label="photon noise (unit Gaussian)")
    ax.set_xlabel("noise sigmas")
    ax.set_ylabel("density")
    ax.set_title("residual vs the noise already in the data")
    ax.legend(fontsize=8)

    ax = axes[1, 1]
    ax.plot(np.arange(len(ratios)), ratios, "o-", color="tab:green")
    ax.set_xlabel("plane")
    ax.set_ylabel("compression ratio")
    ax.set_ylim(0, max(ratios) * 1.15 if len(ratios) else 1)
    ax.set_title(f"ratio per plane (overall {original.nbytes / (original.nbytes / np.mean(ratios)):.2f}x)"
                 if len(ratios) else "ratio per plane")

    ax = axes[1, 2]
    ax.axis("off")
    err = np.abs(res)
    text = [f"camera: offset {camera.offset:g} ADU, gain {camera.gain:g} ADU/e-,",
            f"read noise {camera.read_noise:g} e-, step {camera.step:g} sigma", "",
            f"max |residual|  {err.max():.3f} sigma (bound {camera.step:g})",
            f"mean |residual| {err.mean():.3f} sigma",
            *(f"{label:<16}{figure}" for label, figure in zip(("added noise", ""),
                                                               added_noise_figures(camera, original, decoded),
                                                               strict=True)),
            f"mean bias       {float(np.mean(decoded.astype(np.float64) - original)) / camera.gain:+.4f} e-/pixel"]
    ax.text(0, 1, "\n".join(text), va="top", family="monospace", fontsize=10)
    if title:
        fig.suptitle(title)
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return os.fspath(path)
