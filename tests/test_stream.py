"""pymecompress.tools.stream: frames published from Python arrive in order, decoded within the noise bound, in this and
in another process and at several clients at once; a client that stops reading never holds up send() or the
others, and skips to the newest frames; the messages are as docs/STREAM.md says; recording writes the frames."""

from __future__ import annotations

import asyncio
import json
import socket
import subprocess
import sys
import textwrap
import threading
import time

import numcodecs
import numpy as np
import pytest

aiohttp = pytest.importorskip("aiohttp")

from pymecompress.codecs.hufflossless import HuffmanLossless  # noqa: E402
from pymecompress.codecs.huffquant16 import HuffmanQuant16  # noqa: E402
from pymecompress.tools.stream import Publisher, StreamError, Subscriber, protocol  # noqa: E402
from pymecompress.tools.stream.subscriber import ws_url_of  # noqa: E402

CODEC = HuffmanQuant16(offset=100, gain=2.2, read_noise=1.5)


def movie(n: int, shape=(256, 320), seed: int = 0) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    scene = rng.uniform(5, 500, shape)
    return [np.clip(np.rint(100 + 2.2 * (rng.poisson(scene) + rng.normal(0, 1.5, shape))), 0, 65535)
            .astype(np.uint16) for _ in range(n)]


def paced(pub: Publisher, k: int, timeout: float = 30.0) -> None:
    """Wait until the publisher's encoder has taken frame ``k``: a camera no faster than the encoder (which is
    several times slower in the sanitizer run), so that no frame is dropped before the clients."""
    deadline = time.monotonic() + timeout
    while pub.sent + pub.dropped <= k and time.monotonic() < deadline:
        time.sleep(0.001)


def test_a_subscriber_that_keeps_up_gets_every_frame_in_order_within_the_bound():
    frames = movie(30)
    with Publisher(CODEC) as pub:
        with Subscriber(pub.url) as sub:
            assert pub.wait_for_clients(1)
            for k, f in enumerate(frames):
                pub.send(f)
                paced(pub, k)
            got = [next(it) for it in [sub.frames()] for _ in range(len(frames))]
    assert [g.index for g in got] == list(range(30))
    for original, g in zip(frames, got, strict=True):
        assert g.data.shape == original.shape and g.data.dtype == np.uint16
        assert CODEC.camera.error_sigmas(original, g.data).max() <= 0.55 * CODEC.camera.step + 0.5
        assert g.received >= g.time
    assert pub.dropped == 0 and pub.sent == 30


def test_iteration_ends_when_the_publisher_closes_and_lossless_is_exact():
    frames = [np.random.default_rng(k).integers(0, 4096, (64, 80), dtype=np.uint16) for k in range(5)]
    pub = Publisher(HuffmanLossless())
    sub = Subscriber(pub.ws_url)
    assert pub.wait_for_clients(1)
    for k, f in enumerate(frames):
        pub.send(f)
        paced(pub, k)
    pub.close()  # sends what is queued, then closes the clients
    assert pub.dropped == 0
    got = list(sub)
    sub.close()
    assert len(got) == 5
    for a, b in zip(frames, got, strict=True):
        np.testing.assert_array_equal(a, b)


def test_a_subscriber_in_another_process():
    frames = movie(12, shape=(128, 128), seed=3)
    script = textwrap.dedent("""
        import sys, json
        from pymecompress.tools.stream import Subscriber
        with Subscriber(sys.argv[1]) as sub:
            print("connected", flush=True)
            out = [[f.index, int(f.data.astype("int64").sum())] for f in sub.frames()]
        print(json.dumps(out), flush=True)
    """)
    with Publisher(CODEC) as pub:
        child = subprocess.Popen([sys.executable, "-c", script, pub.url], stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, text=True)
        assert child.stdout.readline().strip() == "connected", child.stderr.read()
        assert pub.wait_for_clients(1)
        for k, f in enumerate(frames):
            pub.send(f)
            paced(pub, k)
    out, err = child.communicate(timeout=60)
    assert child.returncode == 0, err
    received = json.loads(out.strip().splitlines()[-1])
    assert [r[0] for r in received] == list(range(12))
    decoded = [CODEC.decode(CODEC.encode(f)).reshape(f.shape) for f in frames]  # what the codec gives
    assert [r[1] for r in received] == [int(d.astype(np.int64).sum()) for d in decoded]


def test_several_clients_at_once():
    frames = movie(10, shape=(64, 64), seed=4)
    with Publisher(CODEC) as pub:
        subs = [Subscriber(pub.url) for _ in range(3)]
        assert pub.wait_for_clients(3) and pub.clients == 3
        for k, f in enumerate(frames):
            pub.send(f)
            paced(pub, k)
        for sub in subs:
            it = sub.frames()
            assert [next(it).index for _ in range(10)] == list(range(10))
            sub.close()


def test_a_client_that_stops_reading_holds_up_nobody():
    """A raw WebSocket client that reads two messages and then nothing: send() stays fast, the other client gets
    every frame, and once the stalled client reads again it receives the newest frames, not the backlog."""
    frames = movie(60, shape=(1024, 1024), seed=5)
    with Publisher(CODEC, client_queue=2) as pub:
        stalled = _StalledClient(pub.ws_url)
        with Subscriber(pub.url) as good:
            assert pub.wait_for_clients(2)
            durations, received = [], []
            it = good.frames()
            for k, f in enumerate(frames):
                t0 = time.perf_counter()
                pub.send(f)
                durations.append(time.perf_counter() - t0)
                if k == 1:
                    assert stalled.read_two.wait(10)
                received.append(next(it).index)  # this client keeps up: it has each frame before the next
            assert received == list(range(60))
        stalled.resume.set()
        deadline = time.monotonic() + 30
        while (not stalled.indices or stalled.indices[-1] != 59) and time.monotonic() < deadline:
            time.sleep(0.02)
    stalled.thread.join(20)
    got = stalled.indices
    assert got[:2] == [0, 1] and got[-1] == 59 and got == sorted(got)
    assert len(got) < 60  # it skipped to the newest frames
    assert np.median(durations) < 0.05  # the copy of a 1024 x 1024 frame; never a wait for the network


class _StalledClient:
    """A WebSocket client on its own thread that reads 2 messages, then nothing until ``resume`` is set, then
    everything until the publisher closes."""

    def __init__(self, url: str) -> None:
        self.indices: list[int] = []
        self.resume = threading.Event()
        self.read_two = threading.Event()
        self.thread = threading.Thread(target=lambda: asyncio.run(self._run(url)), daemon=True)
        self.thread.start()

    async def _run(self, url: str) -> None:
        async with aiohttp.ClientSession() as session, session.ws_connect(url, max_msg_size=0) as ws:
            while len(self.indices) < 2:
                msg = await ws.receive()
                if msg.type != aiohttp.WSMsgType.BINARY:
                    return
                self.indices.append(protocol.parse(msg.data)[0].index)
            self.read_two.set()
            while not self.resume.is_set():
                await asyncio.sleep(0.01)
            async for msg in ws:
                if msg.type != aiohttp.WSMsgType.BINARY:
                    break
                self.indices.append(protocol.parse(msg.data)[0].index)


def test_messages_are_as_documented():
    msg = protocol.pack(5, 1.5, np.dtype(np.uint8), (3, 4), b"xyz")
    assert msg[:4] == b"PMLF" and msg[4] == 1 and msg[5] == 1 and len(msg) == 32 + 3
    assert int.from_bytes(msg[8:16], "little") == 5
    assert np.frombuffer(msg[16:24], "<f8")[0] == 1.5
    assert int.from_bytes(msg[24:28], "little") == 3 and int.from_bytes(msg[28:32], "little") == 4
    for bad, match in ((b"PMLF", "shorter"), (b"XXXX" + msg[4:], "magic"), (msg[:4] + b"\x02" + msg[5:], "version")):
        with pytest.raises(StreamError, match=match):
            protocol.parse(bad)
    header, payload = protocol.parse(protocol.pack(0, 0.0, np.dtype(np.uint16), (2, 2), bytes(CODEC.encode(
        np.full((2, 3), 200, np.uint16)))))
    with pytest.raises(StreamError, match="holds 6 values"):
        protocol.decode(header, payload)


def test_refusals_and_defaults(tmp_path):
    with pytest.raises(ValueError, match="describe themselves"):
        Publisher(object())
    with Publisher(CODEC) as pub:
        assert pub.host == "127.0.0.1" and pub.url.startswith("http://127.0.0.1:")
        with pytest.raises(ValueError, match="2-D uint16"):
            pub.send(np.zeros((4, 4), np.uint8))
        with pytest.raises(ValueError, match="2-D uint16"):
            pub.send(np.zeros((2, 4, 4), np.uint16))
    with pytest.raises(RuntimeError, match="closed"):
        pub.send(np.zeros((4, 4), np.uint16))
    with pytest.raises(ValueError, match="not a live stream"):
        ws_url_of("ftp://host/x")
    with pytest.raises(ConnectionError, match="cannot subscribe"):
        Subscriber(f"ws://127.0.0.1:{_free_port()}/ws", timeout=5)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_record_writes_the_frames(tmp_path):
    import zarr

    frames = movie(6, shape=(64, 64), seed=7)
    with Publisher(CODEC, record=tmp_path / "run.zarr") as pub:
        for f in frames:
            pub.send(f)
    stored = zarr.open_array(tmp_path / "run.zarr", mode="r")
    assert stored.shape == (6, 64, 64)
    expected = np.stack([CODEC.decode(CODEC.encode(f)).reshape(f.shape) for f in frames])
    np.testing.assert_array_equal(stored[...], expected)
    # the chunks sent are stored as they are: the same bytes zarr writes for those frames through the array's codec
    again = zarr.create_array(tmp_path / "again.zarr", shape=stored.shape, dtype=stored.dtype, chunks=stored.chunks,
                              compressors=stored.compressors, dimension_names=("t", "y", "x"))
    again[...] = frames
    for i in range(len(frames)):
        key = f"c/{i}/0/0"
        assert (tmp_path / "run.zarr" / key).read_bytes() == (tmp_path / "again.zarr" / key).read_bytes(), key


def test_record_stores_the_chunks_it_sends(tmp_path, monkeypatch):
    """Recording does not encode a frame a second time: the chunk sent is the chunk stored."""
    frames = movie(4, shape=(32, 48), seed=3)
    calls = []
    codec = numcodecs.get_codec(CODEC.get_config())
    encode = codec.encode
    monkeypatch.setattr(codec, "encode", lambda buf: calls.append(1) or encode(buf))
    with Publisher(codec, record=tmp_path / "run.zarr") as pub:
        for f in frames:
            pub.send(f)
    assert len(calls) == len(frames)
