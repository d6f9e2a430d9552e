"""The zarr layer: pymecompress codecs in zarr arrays.

- :mod:`~pymecompress.zarr.codecs`: the zarr v3 faces of the codecs (the ``zarr.codecs`` entry points).
- Reading: :mod:`~pymecompress.zarr.open` (``pymecompress.open``), the opt-in codec pipeline
  :mod:`~pymecompress.zarr.pipeline` (the ``zarr.codec_pipeline`` entry point), its implementation
  :mod:`~pymecompress.zarr.read` and the zarr internals it needs, :mod:`~pymecompress.zarr.compat`.
- Writing: :mod:`~pymecompress.zarr.chunk_writer` (chunks and shards written straight to the store),
  :mod:`~pymecompress.zarr.chunk_shape`, :mod:`~pymecompress.zarr.zip_store` (``.zarr.zip``),
  :mod:`~pymecompress.zarr.scale_out` (object stores, Dask clusters), and the OME-Zarr metadata and pyramid levels
  (:mod:`~pymecompress.zarr.ome`, :mod:`~pymecompress.zarr.pyramid`).

This layer sits on the codec library (the package root) and on :mod:`pymecompress.io` (the pixel size a source
reads is what the OME-Zarr metadata store); it imports nothing from :mod:`pymecompress.tools`
(``tests/test_py_layout.py``). This file imports nothing: zarr imports :mod:`pymecompress.zarr.pipeline` through
an entry point whenever it opens an array.
"""
