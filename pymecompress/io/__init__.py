"""The files layer: image stacks read plane by plane, and pictures and movies written.

- :mod:`~pymecompress.io.sources`: :func:`~pymecompress.io.sources.open_source`, the one place that maps a path
  to a reader; the readers by format: :mod:`~pymecompress.io.tiff` (TIFF / OME-TIFF / BigTIFF),
  :mod:`~pymecompress.io.npy` (``.npy`` arrays), :mod:`~pymecompress.io.frames` (folders, patterns and lists of
  TIFF or PZF frames), :mod:`pymecompress.io.readers` (``.seq``, video, HDF5, FITS); their shared types in
  :mod:`~pymecompress.io.base`.
- :mod:`~pymecompress.io.pzf`: PYME's PZF frame format.
- :mod:`~pymecompress.io.transforms`: crops, binning and frame steps applied to a source.
- :mod:`~pymecompress.io.writers`: the video, PNG and TIFF writers of ``pymecompress export``.

This layer sits on the codec library (the package root) only: it imports nothing from :mod:`pymecompress.zarr`
or :mod:`pymecompress.tools` (``tests/test_py_layout.py``).
"""
