"""Readers of camera file formats beyond TIFF, PZF and ``.npy``: each module holds one
:class:`~pymecompress.io.sources.ImageSource` subclass, and :func:`pymecompress.io.sources.open_source` is the one place
that maps a path to one of them.

=========================  ==========================================  =====================================
module                     format                                      library
=========================  ==========================================  =====================================
:mod:`.seq`                Norpix StreamPix ``.seq`` (mono 8/16 bit)   none (the header is parsed here)
:mod:`.video`              AVI, MP4, MOV, MKV, ... (grey or a channel) PyAV (``av``, FFmpeg bundled)
:mod:`.hdf5`               HDF5 / NeXus datasets                       h5py (+ hdf5plugin filters if present)
:mod:`.fits`               FITS image HDUs                             astropy.io.fits
=========================  ==========================================  =====================================

The optional libraries come with ``pip install "pymecompress[formats]"``; without them, opening such a file raises
:class:`~pymecompress.io.sources.InputError` saying so.
"""

from __future__ import annotations

import importlib
from types import ModuleType

from ..base import InputError

FORMATS_EXTRA = 'pip install "pymecompress[formats]"'


def require(module: str, path: str, what: str) -> ModuleType:
    """Import ``module`` (one of the ``formats`` extra), or raise :class:`InputError` naming the extra.

    Parameters
    ----------
    module : str
        The module to import, e.g. ``"h5py"``.
    path : str
        The input, for the message.
    what : str
        The format, for the message (e.g. ``"an HDF5 file"``).

    Returns
    -------
    module

    Examples
    --------
    >>> require("json", "x.h5", "an HDF5 file").__name__
    'json'
    >>> try:
    ...     require("no_such_module_here", "x.h5", "an HDF5 file")
    ... except InputError as err:
    ...     print(err)
    x.h5: reading an HDF5 file needs no_such_module_here, which is not installed: pip install "pymecompress[formats]"
    """
    try:
        return importlib.import_module(module)
    except ImportError:
        raise InputError(f"{path}: reading {what} needs {module}, which is not installed: {FORMATS_EXTRA}") from None
