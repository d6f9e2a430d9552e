"""numcodecs codec classes of pymecompress, one module per codec (plain chunk functions and the class).

The list of codecs is :mod:`pymecompress.registry`; ``numcodecs.get_codec`` finds the classes through the
``numcodecs.codecs`` entry points, ``pymecompress.<Class>`` names them (see :mod:`pymecompress`), and
``pymecompress.codecs.<Class>`` is the numcodecs class itself, imported on first use.

Examples
--------
>>> from pymecompress.codecs import NBitPack
>>> NBitPack.__module__
'pymecompress.codecs.nbitpack'
"""

from ..registry import BY_CLASS


def __getattr__(name: str) -> type:
    spec = BY_CLASS.get(name)
    if spec is None:
        raise AttributeError(f"module 'pymecompress.codecs' has no attribute {name!r}")
    return spec.numcodecs_class()


__all__ = list(BY_CLASS)
