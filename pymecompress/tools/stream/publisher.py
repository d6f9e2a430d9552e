"""The sending side of a live stream: frames from an acquisition loop, compressed and served over a WebSocket.

Three parts run apart from the caller, so that :meth:`Publisher.send` never waits for the network or a client:

- ``send`` copies the frame into a short queue and returns; when the encoder falls behind, the oldest waiting
  frame is dropped (its index is then missing downstream);
- an encoder thread compresses each frame with the codec (the C core releases the GIL), packs it into a message
  (:mod:`.protocol`), writes it to the recording if any, and hands it to the server;
- the server (aiohttp, on its own event loop and thread) gives each client a queue of at most ``client_queue``
  messages: a client that keeps up receives every frame in order; when a client's queue is full, it is emptied and
  the client gets the newest frame next (it skips to the present). It also serves the live viewer page.
"""

from __future__ import annotations

import asyncio
import collections
import os
import threading
import time as _time
from pathlib import Path

import numpy as np

from . import protocol

SELF_DESCRIBING = {"huffquant16": ("uint16",), "huffquant8": ("uint8",), "hufflossless": ("uint8", "uint16")}
"""The codecs whose chunks decode without their configuration (PMCS streams), and the frames they take."""
VIEWER = Path(__file__).resolve().parents[2] / "viewer"  # pymecompress/viewer (package data)
PAGE = "live.html"
WS_PATH = "/ws"


def _numcodec(codec):
    """The numcodecs codec behind ``codec`` (a zarr v3 face holds one as ``.codec``), checked to be one whose
    chunks describe themselves."""
    inner = getattr(codec, "codec", codec)
    name = getattr(inner, "codec_id", None)
    if name not in SELF_DESCRIBING:
        raise ValueError(f"a live stream needs a codec whose chunks describe themselves ({', '.join(SELF_DESCRIBING)})"
                         f"; got {name or type(codec).__name__}")
    return inner


class Publisher:
    """Serve frames live: the viewer page at :attr:`url`, the messages at :attr:`ws_url`.

    Parameters
    ----------
    codec
        ``HuffmanQuant16(offset=..., gain=...)``, ``HuffmanQuant8(...)`` or ``HuffmanLossless()`` (numcodecs class
        or zarr v3 face).
    host : str
        The address to listen on: ``127.0.0.1`` (this machine only) by default. ``0.0.0.0`` serves every network
        the machine is on, to anyone who can reach the port, without authentication or encryption.
    port : int
        TCP port; 0 picks a free one.
    record : path, optional
        Also write every frame to this zarr store: a new array of shape (frames, rows, columns) that grows as
        frames come, which ``pymecompress view`` follows while it is written. Its attributes say how many frames
        are complete (``pymecompress.recording``) and, once closed, when each was sent (``pymecompress.timestamps``).
    queue_frames : int
        Frames waiting for the encoder before the oldest is dropped.
    client_queue : int
        Messages waiting for a slow client before it skips to the newest.

    Examples
    --------
    >>> from pymecompress.codecs.hufflossless import HuffmanLossless
    >>> from pymecompress.tools.stream import Publisher, Subscriber
    >>> with Publisher(HuffmanLossless()) as pub:
    ...     with Subscriber(pub.ws_url) as sub:
    ...         connected = pub.wait_for_clients(1)
    ...         index = pub.send(np.arange(12, dtype=np.uint16).reshape(3, 4))
    ...         frame = next(iter(sub))
    >>> connected, index, frame.tolist()
    (True, 0, [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9, 10, 11]])
    """

    def __init__(self, codec, host: str = "127.0.0.1", port: int = 0, record: str | os.PathLike | None = None,
                 queue_frames: int = 8, client_queue: int = 8) -> None:
        try:
            from aiohttp import web
        except ImportError:
            raise ImportError('a live stream needs aiohttp: pip install "pymecompress[stream]"') from None
        self._codec = _numcodec(codec)
        self._dtypes = SELF_DESCRIBING[self._codec.codec_id]
        if queue_frames < 1 or client_queue < 1:
            raise ValueError(f"queue_frames and client_queue must be >= 1, got {queue_frames} and {client_queue}")
        self._record_path = None if record is None else os.fspath(record)
        self._record = None
        self._client_queue = client_queue
        self._pending: collections.deque = collections.deque(maxlen=queue_frames)
        self._wake = threading.Condition()
        self._closing = False
        self._next_index = 0
        self.dropped = 0
        """Frames dropped before encoding because the encoder fell behind."""
        self.sent = 0
        """Frames encoded and handed to the server."""
        self.message_bytes = 0
        """Bytes of those frames' messages (each client receives them once)."""
        self._clients: set[asyncio.Queue] = set()
        self._senders: set[asyncio.Future] = set()
        self._error: BaseException | None = None
        self._clients_changed = threading.Condition()
        self._loop = asyncio.new_event_loop()
        self._web = web
        self._runner = None
        ready = threading.Event()
        failure: list[BaseException] = []
        self._server_thread = threading.Thread(target=self._serve, args=(host, port, ready, failure),
                                               name="pymecompress-publisher-server", daemon=True)
        self._server_thread.start()
        ready.wait()
        if failure:
            raise failure[0]
        self._encoder = threading.Thread(target=self._encode_loop, name="pymecompress-publisher-encoder",
                                         daemon=True)
        self._encoder.start()

    # --- the server (its own thread and event loop) ---

    def _serve(self, host: str, port: int, ready: threading.Event, failure: list) -> None:
        asyncio.set_event_loop(self._loop)
        try:
            app = self._web.Application()
            app.router.add_get(WS_PATH, self._ws_handler)
            app.router.add_get("/", self._index)
            app.router.add_static("/", VIEWER, show_index=False)
            self._runner = self._web.AppRunner(app, access_log=None, handle_signals=False)
            self._loop.run_until_complete(self._runner.setup())
            site = self._web.TCPSite(self._runner, host, port)
            self._loop.run_until_complete(site.start())
            self.host, self.port = self._runner.addresses[0][:2]
        except BaseException as err:  # noqa: BLE001 (reported to the constructor)
            failure.append(err)
            ready.set()
            return
        ready.set()
        self._loop.run_forever()
        self._loop.run_until_complete(self._runner.cleanup())
        left = [task for task in asyncio.all_tasks(self._loop) if not task.done()]  # senders of stalled clients
        for task in left:
            task.cancel()
        self._loop.run_until_complete(asyncio.gather(*left, return_exceptions=True))
        self._loop.close()

    async def _index(self, request):
        raise self._web.HTTPFound(f"/{PAGE}")

    async def _ws_handler(self, request):
        ws = self._web.WebSocketResponse(heartbeat=30, compress=False)  # chunks are compressed already
        await ws.prepare(request)
        queue: asyncio.Queue = asyncio.Queue(maxsize=self._client_queue)
        self._clients.add(queue)
        with self._clients_changed:
            self._clients_changed.notify_all()
        sender = asyncio.ensure_future(self._send_to(ws, queue))
        self._senders.add(sender)
        try:
            async for _ in ws:  # clients send nothing that matters; this ends when they go
                pass
        finally:
            if not self._closing:
                sender.cancel()
            self._senders.discard(sender)
            self._clients.discard(queue)
            with self._clients_changed:
                self._clients_changed.notify_all()
        return ws

    @staticmethod
    async def _send_to(ws, queue: asyncio.Queue) -> None:
        while True:
            message = await queue.get()
            if message is None:
                await ws.close()
                return
            await ws.send_bytes(message)

    def _broadcast(self, message: bytes | None) -> None:
        """On the loop: queue ``message`` for every client; a full queue skips to it. None closes the clients
        after what they have queued (less the oldest message when full)."""
        for queue in self._clients:
            if queue.full():
                if message is None:
                    queue.get_nowait()
                while message is not None and not queue.empty():
                    queue.get_nowait()
            queue.put_nowait(message)

    # --- the encoder thread ---

    def _encode_loop(self) -> None:
        while True:
            with self._wake:
                while not self._pending and not self._closing:
                    self._wake.wait()
                if not self._pending:
                    return
                index, stamp, frame = self._pending.popleft()
            try:
                chunk = bytes(self._codec.encode(frame))
                message = protocol.pack(index, stamp, frame.dtype, frame.shape, chunk)
                if self._record_path is not None:
                    self._write_record(frame, stamp, chunk)
            except Exception as err:  # noqa: BLE001 (raised again by the next send or close)
                self._error = err
                return
            self._loop.call_soon_threadsafe(self._broadcast, message)
            self.sent += 1
            self.message_bytes += len(message)

    def _write_record(self, frame: np.ndarray, stamp: float, chunk: bytes) -> None:
        """Append ``frame`` to the recording: the array grows by one frame, its chunk is written, and only then
        ``attrs["pymecompress"]["recording"]["frames"]`` counts it (what ``pymecompress view`` follows).  The
        array's codec is the stream's, so the chunk sent (``chunk``, the frame encoded) is stored as it is, without
        encoding the frame again, wherever the chunk writer stores chunks directly."""
        import zarr

        from ...zarr.chunk_writer import ChunkWriter
        from ...zarr.codecs import PUBLIC

        if self._record is None:
            face = PUBLIC[self._codec.codec_id].from_dict(
                {"name": self._codec.codec_id, "configuration": {k: v for k, v in self._codec.get_config().items()
                                                                 if k != "id"}})
            self._record = zarr.create_array(self._record_path, shape=(0, *frame.shape), dtype=frame.dtype,
                                             chunks=(1, *frame.shape), compressors=[face],
                                             dimension_names=("t", "y", "x"))
            self._record_times: list[float] = []
            self._record_writer = ChunkWriter(self._record)
            self._record.attrs["pymecompress"] = {"recording": {"active": True, "frames": 0}}
        if frame.shape != tuple(self._record.shape[1:]) or frame.dtype != self._record.dtype:
            raise ValueError(f"a recording holds frames of one shape and dtype: {self._record.shape[1:]} "
                             f"{self._record.dtype}, then {frame.shape} {frame.dtype}")
        n = self._record.shape[0]
        self._record.resize((n + 1, *frame.shape))
        if self._record_writer.direct:
            self._record_writer.store_chunk((n, 0, 0), chunk)
        else:
            self._record[n] = frame
        self._record_times.append(stamp)
        self._record.attrs["pymecompress"] = {"recording": {"active": True, "frames": n + 1}}

    def _end_record(self) -> None:
        """Mark the recording finished and keep the frames' times (as ``convert`` keeps a file's)."""
        if self._record is not None:
            self._record.attrs["pymecompress"] = {
                "recording": {"active": False, "frames": int(self._record.shape[0])},
                "timestamps": {"axis": 0, "unit": "s", "values": self._record_times}}

    # --- the caller's side ---

    @property
    def url(self) -> str:
        """The live viewer page."""
        return f"http://{self._url_host()}:{self.port}/{PAGE}"

    @property
    def ws_url(self) -> str:
        """The WebSocket of the messages (docs/STREAM.md)."""
        return f"ws://{self._url_host()}:{self.port}{WS_PATH}"

    def _url_host(self) -> str:
        host = "127.0.0.1" if self.host in ("0.0.0.0", "") else self.host
        return f"[{host}]" if ":" in host else host

    @property
    def clients(self) -> int:
        """Clients connected now."""
        return len(self._clients)

    def wait_for_clients(self, n: int, timeout: float = 10.0) -> bool:
        """Wait until at least ``n`` clients are connected (or ``timeout`` seconds); whether they are."""
        with self._clients_changed:
            return self._clients_changed.wait_for(lambda: len(self._clients) >= n, timeout)

    def send(self, frame: np.ndarray, time: float | None = None) -> int:
        """Queue ``frame`` (a 2-D array, copied) for every client and return its index. Never waits: when the
        encoder is behind, the oldest waiting frame is dropped."""
        frame = np.asarray(frame)
        if frame.ndim != 2 or frame.dtype.name not in self._dtypes:
            raise ValueError(f"{self._codec.codec_id} streams 2-D {' or '.join(self._dtypes)} frames, got "
                             f"{frame.dtype} of shape {frame.shape}")
        self._raise_error()
        if self._closing:
            raise RuntimeError("this Publisher is closed")
        stamp = _time.time() if time is None else float(time)
        with self._wake:
            index = self._next_index
            self._next_index += 1
            if len(self._pending) == self._pending.maxlen:
                self.dropped += 1  # the deque drops the oldest
            self._pending.append((index, stamp, np.array(frame, copy=True, order="C")))
            self._wake.notify()
        return index

    def _raise_error(self) -> None:
        if self._error is not None:
            raise RuntimeError(f"the live stream's encoder stopped: {self._error}") from self._error

    def close(self, timeout: float = 10.0) -> None:
        """Encode what is queued, send it to the clients (waiting at most ``timeout`` seconds for slow ones),
        close them and stop serving."""
        if self._closing and not self._server_thread.is_alive():
            return
        with self._wake:
            self._closing = True
            self._wake.notify_all()
        self._encoder.join()
        try:
            self._end_record()
        except Exception as err:  # noqa: BLE001 (reported below, after the clients are closed)
            self._error = self._error or err

        async def finish() -> None:
            self._broadcast(None)  # each sender sends what its client has queued, then closes it
            if self._senders:
                await asyncio.wait(set(self._senders), timeout=timeout)
            self._loop.stop()

        asyncio.run_coroutine_threadsafe(finish(), self._loop)
        self._server_thread.join(timeout + 5)
        self._raise_error()

    def __enter__(self) -> Publisher:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
