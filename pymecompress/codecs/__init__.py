"""numcodecs codec classes of pymecompress, one module per codec (plain chunk functions and the class).

The list of codecs is :mod:`pymecompress.registry`; ``numcodecs.get_codec`` finds the classes through the
``numcodecs.codecs`` entry points, and ``pymecompress.<Class>`` names them (see :mod:`pymecompress`).
"""
