"""Live: frames from an acquisition loop to any browser and any Python process, compressed on the way.

>>> from pymecompress.tools.stream import Publisher, Subscriber     # doctest: +SKIP
>>> with Publisher(codec=HuffmanQuant16(offset=100, gain=2.2)) as pub:  # doctest: +SKIP
...     print(pub.url)          # the live viewer page
...     pub.send(frame)         # from the acquisition loop: never waits
>>> with Subscriber(url) as sub:                              # doctest: +SKIP
...     for frame in sub: ...   # decoded numpy arrays, in order

A :class:`Publisher` serves the messages (:mod:`.protocol`, docs/STREAM.md: a 32-byte header and one
self-describing chunk per frame) over a WebSocket, and the viewer page that decodes them with the WebAssembly
build of the same C core; a :class:`Subscriber` receives and decodes them in Python. It needs the ``stream``
extra (aiohttp): ``pip install "pymecompress[stream]"``.
"""

from .protocol import FrameHeader, StreamError
from .publisher import Publisher
from .subscriber import LiveFrame, Subscriber

__all__ = ["Publisher", "Subscriber", "LiveFrame", "FrameHeader", "StreamError"]
