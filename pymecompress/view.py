"""``pymecompress view``: look at a zarr store in the browser, its chunks decoded there by WebAssembly.

Serves, on 127.0.0.1, the store under ``/store/`` and the viewer (``pymecompress/viewer/``: a page, a JavaScript
bundle of zarrita.js and the pymecompress codecs, and the C decoders compiled to WebAssembly, built from ``js/``)
under ``/``. The server answers HTTP range requests (``206 Partial Content``), which sharded arrays need. The
viewer also works from any static web server or object store: ``viewer.html?store=URL``.

Examples
--------
>>> server = make_server(VIEWER, port=0)  # any folder serves; a real call passes a zarr store
>>> server.server_address[0]
'127.0.0.1'
>>> server.server_close()
"""

from __future__ import annotations

import email.utils
import io
import os
import re
import sys
import threading
import urllib.parse
import webbrowser
from http import HTTPStatus
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

VIEWER = Path(__file__).resolve().parent / "viewer"
"""The built viewer: ``viewer.html``, ``viewer.js`` (+ chunks) and ``pymecompress.wasm``."""

STORE_PREFIX = "/store"
_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


def parse_range(header: str, size: int) -> tuple[int, int] | None | bool:
    """The byte span ``(start, end)`` (inclusive) that a ``Range`` header asks of a ``size``-byte file.

    Returns ``None`` when the header is to be ignored (not a single ``bytes`` range: the whole file is sent) and
    ``False`` when the range cannot be satisfied (``416``).

    Examples
    --------
    >>> parse_range("bytes=0-9", 100), parse_range("bytes=90-", 100), parse_range("bytes=-16", 100)
    ((0, 9), (90, 99), (84, 99))
    >>> parse_range("bytes=100-", 100), parse_range("bytes=0-1,5-6", 100)
    (False, None)
    """
    found = _RANGE.match(header.strip())
    if not found or found[1] == found[2] == "":
        return None
    first, last = found[1], found[2]
    if first == "":  # suffix: the last N bytes
        n = int(last)
        return (max(0, size - n), size - 1) if n > 0 and size > 0 else False
    start = int(first)
    end = size - 1 if last == "" else min(int(last), size - 1)
    if start >= size or end < start:
        return False
    return start, end


class ViewHandler(SimpleHTTPRequestHandler):
    """Static files of the viewer under ``/`` and of the store under ``/store/``, with single byte ranges."""

    store_dir: Path = VIEWER  # set per server by make_server
    quiet = True
    extensions_map = {**SimpleHTTPRequestHandler.extensions_map, ".wasm": "application/wasm",
                      ".js": "text/javascript", ".json": "application/json", "": "application/octet-stream"}

    def translate_path(self, path: str) -> str:
        route = urllib.parse.urlsplit(path).path
        if route == STORE_PREFIX or route.startswith(STORE_PREFIX + "/"):
            self.directory = str(self.store_dir)
            path = route[len(STORE_PREFIX):] or "/"
        else:
            self.directory = str(VIEWER)
        return super().translate_path(path)

    def do_GET(self) -> None:
        if urllib.parse.urlsplit(self.path).path == "/":
            self.send_response(HTTPStatus.FOUND)
            self.send_header("Location", f"/viewer.html?store={STORE_PREFIX}/")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        super().do_GET()

    def send_head(self):
        header = self.headers.get("Range")
        path = self.translate_path(self.path)
        if header is None or not os.path.isfile(path):
            return super().send_head()
        size = os.path.getsize(path)
        span = parse_range(header, size)
        if span is None:
            return super().send_head()
        if span is False:
            self.send_response(HTTPStatus.REQUESTED_RANGE_NOT_SATISFIABLE)
            self.send_header("Content-Range", f"bytes */{size}")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return None
        start, end = span
        with open(path, "rb") as f:
            f.seek(start)
            body = f.read(end - start + 1)
        self.send_response(HTTPStatus.PARTIAL_CONTENT)
        self.send_header("Content-Type", self.guess_type(path))
        self.send_header("Content-Range", f"bytes {start}-{end}/{size}")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Last-Modified", email.utils.formatdate(os.path.getmtime(path), usegmt=True))
        self.end_headers()
        return io.BytesIO(body)

    def end_headers(self) -> None:
        self.send_header("Accept-Ranges", "bytes")
        self.send_header("Access-Control-Allow-Origin", "*")
        self.send_header("Access-Control-Expose-Headers", "Content-Range, Content-Length")
        self.send_header("Cache-Control", "no-cache")
        super().end_headers()

    def log_message(self, format: str, *args) -> None:  # noqa: A002 (the base class's name)
        if not self.quiet:
            super().log_message(format, *args)


def is_zarr_store(path: Path) -> bool:
    """Whether ``path`` is the root of a zarr v3 or v2 array or group."""
    return any((path / name).is_file() for name in ("zarr.json", ".zarray", ".zgroup"))


def make_server(store: str | os.PathLike, port: int = 0, quiet: bool = True) -> ThreadingHTTPServer:
    """An HTTP server (not yet serving) on 127.0.0.1:``port`` (0: any free port) for ``store`` and the viewer.

    Parameters
    ----------
    store : path
        The zarr store's folder, served under ``/store/``.
    port : int
        TCP port; 0 picks a free one (read it from ``server.server_address``).
    quiet : bool
        Leave out the per-request log lines.
    """
    handler = type("Handler", (ViewHandler,), {"store_dir": Path(store).resolve(), "quiet": quiet})
    return ThreadingHTTPServer(("127.0.0.1", port), handler)


def viewer_url(server: ThreadingHTTPServer) -> str:
    """The address of the viewer page showing the served store."""
    host, port = server.server_address[:2]
    return f"http://{host}:{port}/viewer.html?store={STORE_PREFIX}/"


def serve(store: str | os.PathLike, port: int = 0, open_browser: bool = True, quiet: bool = True) -> int:
    """Serve ``store`` and the viewer until interrupted (Ctrl-C); print the viewer's address first.

    Parameters
    ----------
    store : path
        A zarr array or group (an OME-Zarr image), zarr v2 or v3.
    port : int
        TCP port on 127.0.0.1 (0: any free port).
    open_browser : bool
        Open the page in the default web browser.
    quiet : bool
        Leave out the per-request log lines.

    Returns
    -------
    int
        The exit status (0).
    """
    path = Path(store)
    if not path.is_dir() or not is_zarr_store(path):
        raise ValueError(f"{store} is not a zarr store (no zarr.json, .zarray or .zgroup in it)")
    if not (VIEWER / "viewer.js").is_file():
        raise OSError(f"the viewer is missing from {VIEWER}: rebuild it with `cd js && npm ci && npm run build`")
    server = make_server(path, port, quiet)
    url = viewer_url(server)
    print(f"serving {path} at {url}  (Ctrl-C stops)", flush=True)
    if open_browser:
        threading.Timer(0.3, webbrowser.open, args=(url,)).start()
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        print("stopped", file=sys.stderr)
    finally:
        server.server_close()
    return 0
