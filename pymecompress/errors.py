"""Exception classes of pymecompress."""


class DecodeError(ValueError):
    """A stream could not be decoded: it is truncated, corrupt or not ours.

    Examples
    --------
    >>> from pymecompress import HuffmanQuant16, DecodeError
    >>> try:
    ...     HuffmanQuant16(offset=100, gain=2.0).decode(b"not a stream")
    ... except DecodeError as err:
    ...     print("refused")
    refused
    """
