"""The tools: what the ``pymecompress`` command runs, on top of the codec library, :mod:`pymecompress.io` and
:mod:`pymecompress.zarr`.

:mod:`~pymecompress.tools.cli` (the command), :mod:`~pymecompress.tools.convert`,
:mod:`~pymecompress.tools.calibrate`, :mod:`pymecompress.tools.validation` (``validate``),
:mod:`pymecompress.tools.exporter` (``export``), :mod:`~pymecompress.tools.view`, :mod:`pymecompress.tools.stream`,
:mod:`~pymecompress.tools.info`, :mod:`~pymecompress.tools.demo` and :mod:`~pymecompress.tools.report`. Nothing
below this folder imports from it (``tests/test_py_layout.py``).
"""
