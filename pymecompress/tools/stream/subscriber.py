"""The receiving side of a live stream: decoded frames, in order, in any Python process."""

from __future__ import annotations

import asyncio
import queue
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

import numpy as np

from . import protocol

_END = object()


@dataclass(frozen=True)
class LiveFrame:
    """A received frame: its index (as the publisher counted; a gap means frames were skipped), the time the
    publisher stamped it (seconds since 1970), when it arrived here, and the decoded values."""

    index: int
    time: float
    received: float
    data: np.ndarray


def ws_url_of(url: str) -> str:
    """The WebSocket of a publisher from its page's URL (``http://HOST:PORT/live.html``) or the WebSocket's.

    Examples
    --------
    >>> ws_url_of("http://127.0.0.1:8765/live.html"), ws_url_of("ws://127.0.0.1:8765/ws")
    ('ws://127.0.0.1:8765/ws', 'ws://127.0.0.1:8765/ws')
    """
    parts = urlsplit(url)
    scheme = {"http": "ws", "https": "wss", "ws": "ws", "wss": "wss"}.get(parts.scheme)
    if scheme is None or not parts.netloc:
        raise ValueError(f"{url!r} is not a live stream's address (http://HOST:PORT/live.html or ws://HOST:PORT/ws)")
    path = parts.path if parts.scheme in ("ws", "wss") else "/ws"
    return urlunsplit((scheme, parts.netloc, path or "/ws", "", ""))


class Subscriber:
    """Receive a publisher's frames: iterate for decoded 2-D arrays (:meth:`frames` for their index and times).

    A background thread receives and decodes while the caller works; at most ``buffer`` decoded frames wait for
    the caller (then the thread stops reading, and the publisher skips this client to the newest frames).
    Iteration ends when the publisher closes the stream.

    Parameters
    ----------
    url : str
        The publisher's :attr:`~pymecompress.tools.stream.Publisher.url` or
        :attr:`~pymecompress.tools.stream.Publisher.ws_url`.
    timeout : float
        Seconds to wait for the connection, and for each frame while iterating.
    buffer : int
        Decoded frames kept for the caller.
    """

    def __init__(self, url: str, timeout: float = 10.0, buffer: int = 64) -> None:
        try:
            import aiohttp
        except ImportError:
            raise ImportError('a live stream needs aiohttp: pip install "pymecompress[stream]"') from None
        self.url = ws_url_of(url)
        self.timeout = timeout
        self._aiohttp = aiohttp
        self._frames: queue.Queue = queue.Queue(maxsize=buffer)
        self._loop = asyncio.new_event_loop()
        self._stop: asyncio.Event | None = None
        connected = threading.Event()
        self._failure: BaseException | None = None
        self._thread = threading.Thread(target=self._run, args=(connected,), name="pymecompress-subscriber",
                                        daemon=True)
        self._thread.start()
        if not connected.wait(timeout):
            self.close()
            raise TimeoutError(f"no connection to {self.url} within {timeout:g} s")
        if self._failure is not None:
            self.close()
            raise ConnectionError(f"cannot subscribe to {self.url}: {self._failure}") from self._failure

    def _run(self, connected: threading.Event) -> None:
        asyncio.set_event_loop(self._loop)
        try:
            self._loop.run_until_complete(self._receive(connected))
        finally:
            self._put(_END)
            self._loop.close()

    async def _receive(self, connected: threading.Event) -> None:
        import time

        self._stop = asyncio.Event()
        try:
            session = self._aiohttp.ClientSession()
        except BaseException as err:  # noqa: BLE001 (reported to the constructor)
            self._failure = err
            connected.set()
            return
        async with session:
            try:
                ws = await session.ws_connect(self.url, max_msg_size=0, compress=0)  # frames of any size, as sent
            except (TimeoutError, self._aiohttp.ClientError, OSError) as err:
                self._failure = err
                connected.set()
                return
            connected.set()
            stopper = asyncio.ensure_future(self._stop.wait())
            try:
                while True:
                    getter = asyncio.ensure_future(ws.receive())
                    await asyncio.wait({getter, stopper}, return_when=asyncio.FIRST_COMPLETED)
                    if stopper.done():
                        getter.cancel()
                        break
                    msg = getter.result()
                    if msg.type != self._aiohttp.WSMsgType.BINARY:
                        break  # closed (or a text message, which a publisher never sends)
                    header, payload = protocol.parse(msg.data)
                    frame = LiveFrame(header.index, header.time, time.time(), protocol.decode(header, payload))
                    await asyncio.to_thread(self._put, frame)
            finally:
                stopper.cancel()
                await ws.close()

    def _put(self, item) -> None:
        """Hand ``item`` to the caller, waiting while the buffer is full (unless closing)."""
        while True:
            try:
                self._frames.put(item, timeout=0.1)
                return
            except queue.Full:
                if self._stop is not None and self._stop.is_set():
                    return

    def frames(self) -> Iterator[LiveFrame]:
        """The received frames with their index and times, until the publisher closes the stream."""
        while True:
            try:
                item = self._frames.get(timeout=self.timeout)
            except queue.Empty:
                raise TimeoutError(f"no frame from {self.url} within {self.timeout:g} s") from None
            if item is _END:
                self._frames.put(_END)  # iterating again ends at once
                return
            yield item

    def __iter__(self) -> Iterator[np.ndarray]:
        return (f.data for f in self.frames())

    def close(self) -> None:
        """Disconnect."""
        if self._stop is not None and self._loop.is_running():
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(10)

    def __enter__(self) -> Subscriber:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
