"""The report of ``pymecompress validate --report FILE.html``: one self-contained page (plots embedded as PNG data
URLs, no script, no external file) with the figures of the terminal summary as tables and four plots: the biases
per signal level, the error's power spectrum, what the analysis changed, and one plane before and after.

matplotlib draws the plots (its object-oriented API: no pyplot state, no backend switched); it comes with the
``validate`` extra.
"""

from __future__ import annotations

import base64
import html
import io
import os

import numpy as np

from . import ValidationReport

STYLE = """body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;color:#222}
table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}
th{background:#f2f2f2}td:first-child,th:first-child{text-align:left}img{max-width:100%}.note{color:#555}"""


def _png(fig) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90, bbox_inches="tight")
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def _table(head: list[str], rows: list[list[str]]) -> str:
    cells = "".join(f"<th>{html.escape(h)}</th>" for h in head)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><tr>{cells}</tr>{body}</table>"


def _summary_rows(report: ValidationReport) -> tuple[list[str], list[list[str]]]:
    head = ["", *(f"step {s.measures.step:g}" for s in report.steps)]
    ms = [s.measures for s in report.steps]
    rows = [
        ["ratio", *(f"{m.ratio:.2f}x" for m in ms)],
        ["max error (sigma)", *(f"{m.max_error:.3f}" for m in ms)],
        ["rms error (sigma)", *(f"{m.rms_error:.3f}" for m in ms)],
        ["mean bias (sigma)", *(f"{m.mean_bias:+.4f}" for m in ms)],
        ["block medians, mean |shift| (sigma)", *(f"{m.median_shift:.3f}" for m in ms)],
        ["block medians, mean shift (sigma)", *(f"{m.median_shift_signed:+.3f}" for m in ms)],
        ["block medians with plain noise of the same variance, mean |shift|, mean shift (sigma)",
         *(f"{s.reference_median_shift:.3f}, {s.reference_median_shift_signed:+.3f}" for s in report.steps)],
        ["added noise, measured", *(f"{100 * m.added_noise:.1f} %" for m in ms)],
        ["added noise, theory (step²/12)", *(f"{100 * m.added_noise_expected:.1f} %" for m in ms)],
        ["error spectrum peak (flat: 1)", *(f"{m.spectrum.peak:.2f}" for m in ms)],
    ]
    results = [s.analysis for s in report.steps]
    if all(r is not None for r in results):
        def both(value: str, ref: str | None) -> str:
            return value if ref is None else f"{value} (noise: {ref})"

        rows.append([f"{report.analysis}: found, lost, gained",
                     *(both(f"{r.found}, {r.lost}, {r.gained}", None if r.reference is None else
                            f"{r.reference.lost}, {r.reference.gained}") for r in results)])
        for k, f in enumerate(results[0].figures):
            cells = []
            for r in results:
                fig = r.figures[k] if k < len(r.figures) else None
                ref = r.reference_of(fig) if fig is not None else None
                cells.append("-" if fig is None else both(f"{fig.value:+.3f}", None if ref is None else
                                                          f"{ref.value:+.3f}"))
            rows.append([f"{report.analysis}: {f.name} ({f.unit})" if f.unit else f"{report.analysis}: {f.name}",
                         *cells])
    return head, rows


def _level_rows(report: ValidationReport) -> tuple[list[str], list[list[str]]]:
    ms = [s.measures for s in report.steps]
    head = ["level (e-)", "pixels", *(f"mean bias, step {m.step:g}" for m in ms),
            *(f"block median shift, step {m.step:g}" for m in ms)]
    rows = [[label, str(pixels), *(f"{v:+.4f}" if v is not None else "-" for v in means),
             *(f"{v:+.3f}" if v is not None else "-" for v in medians)]
            for label, pixels, means, medians in report.levels()]
    return head, rows


def _bias_plot(report: ValidationReport):
    from matplotlib.figure import Figure
    from matplotlib.ticker import NullFormatter

    fig = Figure(figsize=(10, 3.6), layout="constrained")
    ax_mean, ax_median = fig.subplots(1, 2)
    for s in report.steps:
        m = s.measures
        for ax, key in ((ax_mean, "mean_bias"), (ax_median, "median_shift")):
            pts = [(max(r.low, 0.3) if not np.isfinite(r.high) else np.sqrt(max(r.low, 0.3) * r.high),
                    getattr(r, key)) for r in m.levels if getattr(r, key) is not None]
            if pts:
                ax.plot(*zip(*pts, strict=True), "o-", label=f"step {m.step:g}")
    for ax, title in ((ax_mean, "mean bias of the pixels per level"),
                      (ax_median, "block-median shift per level")):
        ax.axhline(0, color="k", lw=0.8)
        for bound in (-0.03, 0.03):
            ax.axhline(bound, color="0.6", lw=0.8, ls="--")
        ax.set_xscale("log")
        ax.xaxis.set_minor_formatter(NullFormatter())  # decade labels only: minor ones overlap on short ranges
        ax.set_xlabel("signal, photo-electrons")
        ax.set_ylabel("sigma")
        ax.set_title(title)
        ax.legend(fontsize=8)
    return fig


def _spectrum_plot(report: ValidationReport):
    from matplotlib.figure import Figure

    fig = Figure(figsize=(10, 3.4), layout="constrained")
    ax_x, ax_y = fig.subplots(1, 2)
    for s in report.steps:
        sp = s.measures.spectrum
        ax_x.plot(sp.frequency_x[1:], sp.power_x[1:], lw=1, label=f"step {s.measures.step:g}")
        ax_y.plot(sp.frequency_y[1:], sp.power_y[1:], lw=1, label=f"step {s.measures.step:g}")
    for ax, axis in ((ax_x, "x"), (ax_y, "y")):
        ax.axhline(1, color="k", lw=0.8)
        for edge in (1 / 32, 2 / 32, 3 / 32):  # the predictor's 32 x 32 tiles
            ax.axvline(edge, color="0.7", lw=0.6, ls=":")
        ax.set_xlabel(f"frequency along {axis}, cycles per pixel (dotted: 32-pixel tiles)")
        ax.set_ylabel("power / its mean")
        ax.legend(fontsize=8)
    return fig


def _analysis_plot(report: ValidationReport):
    from matplotlib.figure import Figure

    results = [(s.measures.step, s.analysis) for s in report.steps if s.analysis is not None]
    if not results or not any(r.plot for _, r in results):
        return None
    fig = Figure(figsize=(10, 3.6), layout="constrained")
    ax, ax2 = fig.subplots(1, 2)
    if report.analysis == "photometry":
        for step, r in results:
            if r.plot.get("flux_change", np.zeros(0)).size:
                ax.semilogx(np.maximum(r.plot["flux"], 1e-3), r.plot["flux_change"], ".", label=f"step {step:g}")
                ax2.hist(r.plot["flux_change"], bins=30, histtype="step", label=f"step {step:g}")
        ax.set_xlabel("aperture flux (ADU)")
        ax.set_ylabel("decoded - original, flux errors")
        ax2.set_xlabel("flux change, flux errors")
    elif report.analysis == "localization":
        for k, (step, r) in enumerate(results):
            if "shift" in r.plot:
                color = f"C{k}"  # a step and its plain-noise reference in one colour
                ax.hist(r.plot["shift"], bins=40, histtype="step", color=color, label=f"step {step:g}")
                if r.reference is not None and "shift" in r.reference.plot:
                    ax.hist(r.reference.plot["shift"], bins=40, histtype="step", ls=":", color=color,
                            label=f"step {step:g}, plain noise")
                ax2.plot(r.plot["dx"], r.plot["dy"], ".", ms=3, color=color, label=f"step {step:g}")
        ax.set_xlabel("position shift, localization precisions")
        ax2.set_xlabel("x shift, precisions")
        ax2.set_ylabel("y shift, precisions")
    else:  # traces
        step, r = results[-1]
        if "original" in r.plot:
            for k, (a, b) in enumerate(zip(r.plot["original"][:4], r.plot["decoded"][:4], strict=True)):
                ax.plot(a + k, color=f"C{k}", lw=1)
                ax.plot(b + k, color=f"C{k}", lw=1, ls="--")
            ax.set_title(f"dF/F of 4 ROIs, original (solid) and decoded at step {step:g} (dashed), offset by 1")
            ax.set_xlabel("frame")
            ax2.imshow(r.plot["labels"], cmap="nipy_spectral", interpolation="nearest")
            ax2.set_title("ROIs")
    for a in (ax, ax2):
        if a.get_legend_handles_labels()[0]:
            a.legend(fontsize=8)
    return fig


def _images_plot(report: ValidationReport):
    from matplotlib.figure import Figure

    middle = report.steps[len(report.steps) // 2].measures
    original = report.original.reshape(-1, *report.original.shape[-2:])[0]
    decoded = middle.decoded.reshape(-1, *original.shape)[0]
    cam = report.camera
    error = cam.vst(decoded) - cam.vst(original)
    fig = Figure(figsize=(10, 3.4), layout="constrained")
    axes = fig.subplots(1, 3)
    lo, hi = np.percentile(original, [1, 99.5])
    for ax, image, title in ((axes[0], original, "original"), (axes[1], decoded, f"decoded, step {middle.step:g}")):
        ax.imshow(image, cmap="gray", vmin=lo, vmax=hi, interpolation="nearest")
        ax.set_title(title)
    shown = axes[2].imshow(error, cmap="RdBu_r", vmin=-middle.step, vmax=middle.step, interpolation="nearest")
    axes[2].set_title("error, noise sigmas")
    fig.colorbar(shown, ax=axes[2], fraction=0.046)
    for ax in axes:
        ax.set_axis_off()
    return fig


def write_html(report: ValidationReport, path: str | os.PathLike) -> str:
    """Write the report page to ``path`` and return it; ImportError naming the extra without matplotlib."""
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        from . import VALIDATE_EXTRA

        raise ImportError(f"the HTML report draws its plots with matplotlib, which is not installed: "
                          f"{VALIDATE_EXTRA}") from None
    cam = report.camera
    parts = [
        "<!DOCTYPE html><html><head><meta charset='utf-8'>",
        f"<title>pymecompress validate: {html.escape(os.path.basename(report.input))}</title>",
        f"<style>{STYLE}</style></head><body>",
        f"<h1>pymecompress validate: {html.escape(os.path.basename(report.input))}</h1>",
        f"<p>{html.escape(report.input)}: {'x'.join(map(str, report.shape))} {html.escape(report.dtype)}; camera "
        f"offset {cam.offset:g} ADU, gain {cam.gain:g} ADU/e-, read noise {cam.read_noise:g} e-; saturation "
        f"{report.saturation} ADU ({html.escape(report.saturation_origin)}).</p>",
        f"<p>Analysis: <b>{html.escape(report.analysis)}</b>"
        + (f" ({html.escape(report.reason)})" if report.reason else "") + ". Errors and biases are in noise "
        "sigmas of the camera model; the analysis ran on the original and on the decoded data alike, and again "
        "with plain Gaussian noise of the quantizer's variance added instead (\"noise\"): a change the size of "
        "that one is what any noise of that size does.</p>",
        "<h2>Figures per step</h2>", _table(*_summary_rows(report)),
    ]
    notes = {n for s in report.steps if s.analysis is not None for n in s.analysis.notes}
    parts += [f"<p class='note'>{html.escape(n)}</p>" for n in sorted(notes)]
    parts += ["<h2>Bias per signal level</h2>",
              "<p class='note'>Mean bias: the pixels of that level. Block median: the 64 x 64 blocks whose original "
              "median is at that level, grouped medians (integers counted, interpolated within the median's bin). "
              "-: fewer than 1000 pixels or no block.</p>",
              _table(*_level_rows(report)), f"<img alt='biases per level' src='{_png(_bias_plot(report))}'>",
              "<h2>Power spectrum of the error</h2>",
              "<p class='note'>Flat (about 1 at every frequency) means the error has no structure at tile or chunk "
              "edges.</p>",
              f"<img alt='error spectrum' src='{_png(_spectrum_plot(report))}'>"]
    figure = _analysis_plot(report)
    if figure is not None:
        parts += [f"<h2>The {html.escape(report.analysis)} analysis</h2>",
                  f"<img alt='analysis' src='{_png(figure)}'>"]
    parts += ["<h2>One plane</h2>", f"<img alt='one plane' src='{_png(_images_plot(report))}'>", "</body></html>"]
    with open(path, "w", encoding="utf-8") as fh:
        fh.write("\n".join(parts))
    return str(path)
