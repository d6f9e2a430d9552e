"""The progress bar of the long-running commands (``convert`` counts bytes, ``export`` frames): tqdm on standard
error, or a bar that does nothing.

Examples
--------
>>> bar = progress_bar(10, enabled=False, unit="frame", desc="exporting")
>>> bar.update(3); bar.close()
"""

from __future__ import annotations

from typing import Any, Protocol


class Bar(Protocol):
    """What the commands call on a progress bar (tqdm's ``update`` and ``close``)."""

    def update(self, n: int) -> Any: ...

    def close(self) -> Any: ...


class NoBar:
    """A progress bar that shows nothing."""

    def update(self, n: int) -> None:
        pass

    def close(self) -> None:
        pass


def progress_bar(total: int, *, enabled: bool, unit: str, desc: str, **options: Any) -> Bar:
    """A tqdm bar of ``total`` ``unit`` on standard error (cleared when closed), or :class:`NoBar` when not
    ``enabled``.

    Parameters
    ----------
    total : int
        The count the bar goes up to.
    enabled : bool
        Whether to show it (the callers decide: asked for, or a terminal and a long job).
    unit, desc : str
        tqdm's unit and description, e.g. ``"frame"`` and ``"exporting"``.
    **options
        More tqdm options, e.g. ``unit_scale=True`` for byte counts.

    Examples
    --------
    >>> type(progress_bar(100, enabled=False, unit="B", desc="compressing")).__name__
    'NoBar'
    """
    if not enabled:
        return NoBar()
    from tqdm import tqdm

    return tqdm(total=total, unit=unit, desc=desc, leave=False, dynamic_ncols=True, **options)
