"""The live stream (pymecompress.tools.stream) against raw frames: bandwidth, end-to-end latency, and how long send()
takes while a client has stopped reading.

Run (after ``pip install ".[stream]"``)::

    python bench/stream.py                    # 2048 x 2048 and 512 x 512 frames, 100 of each at 20 fps
    python bench/stream.py --frames 40 --fps 10

For each frame size, on simulated sCMOS frames (offset 100 ADU, gain 2.2 ADU/e-, read noise 1.5 e-, a static
smooth scene of 5-500 photons with fresh shot noise in every frame) sent with ``huffquant16`` at step 1 over 127.0.0.1:

- **a subscriber that keeps up**: a :class:`~pymecompress.tools.stream.Subscriber` in another process; bytes per frame
  on the wire against the raw frame, and the latency from ``send()`` to the decoded frame in the subscriber's
  hands (median and 95th percentile; both processes share this machine's clock);
- **a client that stopped reading**: a WebSocket client that connects and never reads; ``send()``'s duration
  (median, maximum) while another subscriber keeps up, and how many frames that one received.

Figures come from one run; the VM's speed varies between runs. This is not a test: it asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import platform
import subprocess
import sys
import textwrap
import threading
import time

import numpy as np
from machine import cpu_model

from pymecompress.codecs.huffquant16 import HuffmanQuant16
from pymecompress.tools.stream import Publisher

CAMERA = {"offset": 100.0, "gain": 2.2, "read_noise": 1.5}

SUBSCRIBER = textwrap.dedent("""
    import json, sys, time
    from pymecompress.tools.stream import Subscriber
    with Subscriber(sys.argv[1], timeout=60) as sub:
        print("connected", flush=True)
        out = [[f.index, f.received - f.time] for f in sub.frames()]
    print(json.dumps(out), flush=True)
""")


def frames(n: int, shape: tuple[int, int], seed: int = 0) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    y, x = np.ogrid[:shape[0], :shape[1]]
    scene = 5 + 495 * (0.5 + 0.5 * np.sin(x / 37.0) * np.cos(y / 53.0)) ** 2  # smooth: cells, background
    return [np.clip(np.rint(100 + 2.2 * (rng.poisson(scene) + rng.normal(0, 1.5, shape))), 0, 65535)
            .astype(np.uint16) for _ in range(n)]


def start_subscriber(url: str) -> subprocess.Popen:
    child = subprocess.Popen([sys.executable, "-c", SUBSCRIBER, url], stdout=subprocess.PIPE, text=True)
    line = child.stdout.readline().strip()
    if line != "connected":
        raise RuntimeError(f"the subscriber did not connect: {line!r}")
    return child


class Stalled:
    """A WebSocket client that connects and then never reads."""

    def __init__(self, url: str) -> None:
        self._stop = threading.Event()
        self._connected = threading.Event()
        self._thread = threading.Thread(target=lambda: asyncio.run(self._run(url)), daemon=True)
        self._thread.start()
        self._connected.wait(10)

    async def _run(self, url: str) -> None:
        import aiohttp

        async with aiohttp.ClientSession() as session, session.ws_connect(url, max_msg_size=0, compress=0):
            self._connected.set()
            while not self._stop.is_set():
                await asyncio.sleep(0.05)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(10)


def run(shape: tuple[int, int], n: int, fps: float) -> dict:
    movie = frames(n, shape)
    codec = HuffmanQuant16(**CAMERA)
    raw = movie[0].nbytes
    out: dict = {"shape": list(shape), "frames": n, "fps": fps, "raw_bytes": raw}
    with Publisher(codec, client_queue=8) as pub:  # a subscriber that keeps up
        child = start_subscriber(pub.url)
        pub.wait_for_clients(1)
        for f in movie:
            pub.send(f)
            time.sleep(1 / fps)
        sent, nbytes = pub.sent, pub.message_bytes
    received = json.loads(child.communicate(timeout=120)[0].strip().splitlines()[-1])
    latency = np.array([r[1] for r in received]) * 1000
    order = [r[0] for r in received]
    out["keeps_up"] = {"received": len(received), "in_order": order == sorted(order),
                       "bytes_per_frame": nbytes / max(sent, 1), "ratio": raw * sent / max(nbytes, 1),
                       "latency_ms_median": float(np.median(latency)),
                       "latency_ms_p95": float(np.percentile(latency, 95))}
    with Publisher(codec, client_queue=8) as pub:  # one client stalled, one keeping up
        stalled = Stalled(pub.ws_url)
        child = start_subscriber(pub.url)
        pub.wait_for_clients(2)
        durations = []
        for f in movie:
            t0 = time.perf_counter()
            pub.send(f)
            durations.append(time.perf_counter() - t0)
            time.sleep(1 / fps)
        stalled.close()
    received = json.loads(child.communicate(timeout=120)[0].strip().splitlines()[-1])
    d = np.array(durations) * 1000
    out["stalled_client"] = {"send_ms_median": float(np.median(d)), "send_ms_max": float(d.max()),
                             "other_client_received": len(received)}
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--frames", type=int, default=100)
    parser.add_argument("--fps", type=float, default=20.0)
    args = parser.parse_args(argv)
    print(f"CPU: {cpu_model()}; Python {platform.python_version()}; huffquant16 step 1 over 127.0.0.1\n")
    print("| frame | raw MB | bytes per frame on the wire | ratio | latency median / p95, ms | received | "
          "send() median / max with a stalled client, ms | other client received |")
    print("|---|---|---|---|---|---|---|---|")
    for shape in ((2048, 2048), (512, 512)):
        r = run(shape, args.frames, args.fps)
        k, s = r["keeps_up"], r["stalled_client"]
        print(f"| {shape[0]} x {shape[1]} | {r['raw_bytes'] / 1e6:.2f} | {k['bytes_per_frame'] / 1e6:.3f} MB | "
              f"{k['ratio']:.2f}x | {k['latency_ms_median']:.1f} / {k['latency_ms_p95']:.1f} | "
              f"{k['received']} of {r['frames']}{'' if k['in_order'] else ' (out of order!)'} | "
              f"{s['send_ms_median']:.2f} / {s['send_ms_max']:.2f} | {s['other_client_received']} of {r['frames']} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
