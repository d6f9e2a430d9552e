"""``pymecompress view``: look at a zarr store in the browser, its chunks decoded there by WebAssembly.

Serves, on 127.0.0.1, the store (a folder, or the ``.zarr.zip`` file that ``convert`` writes) under ``/store/``
and the viewer (``pymecompress/viewer/``: a page, a JavaScript
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
import struct
import sys
import threading
import urllib.parse
import webbrowser
import zipfile
from collections.abc import Callable
from http import HTTPStatus
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from ..zarr.zip_store import ZARR_MARKERS, is_zarr_zip

VIEWER = Path(__file__).resolve().parent.parent / "viewer"  # pymecompress/viewer: package data, built from js/
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


class StoreFiles:
    """The files of a zarr store in a folder: each file's size and modification time, and byte spans of it."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, key: str) -> Path | None:
        path = (self.root / key).resolve()
        return path if path.is_relative_to(self.root) and path.is_file() else None

    def stat(self, key: str) -> tuple[int, float] | None:
        """(size in bytes, modification time) of the file at ``key`` (``/``-separated), None if there is none."""
        path = self._path(key)
        if path is None:
            return None
        st = path.stat()
        return st.st_size, st.st_mtime

    def read(self, key: str, start: int, end: int) -> bytes:
        """Bytes ``start`` to ``end`` (inclusive) of the file at ``key``."""
        with open(self._path(key), "rb") as f:
            f.seek(start)
            return f.read(end - start + 1)

    def close(self) -> None:
        pass


class ZipStoreFiles(StoreFiles):
    """The entries of a zarr store packed in a zip file (``convert ... OUT.zarr.zip``).  Entries stored without
    compression, as ``convert`` writes them, are read in place (a span is one positioned read); compressed ones
    through :mod:`zipfile`."""

    def __init__(self, root: Path) -> None:
        super().__init__(root)
        self._zip = zipfile.ZipFile(root)
        self._entries = {info.filename: info for info in self._zip.infolist() if not info.is_dir()}
        self._fd = os.open(root, os.O_RDONLY | getattr(os, "O_BINARY", 0))
        self._lock = threading.Lock()  # for compressed entries: one reader of the ZipFile at a time
        self._mtime = root.stat().st_mtime

    def stat(self, key: str) -> tuple[int, float] | None:
        info = self._entries.get(key)
        return None if info is None else (info.file_size, self._mtime)

    def read(self, key: str, start: int, end: int) -> bytes:
        info = self._entries[key]
        if info.compress_type != zipfile.ZIP_STORED:
            with self._lock, self._zip.open(info) as entry:
                return entry.read()[start:end + 1]
        # the local file header: 30 bytes, then the name and the extra field, whose lengths are at bytes 26-29
        name_length, extra_length = struct.unpack("<HH", _pread(self._fd, 4, info.header_offset + 26))
        return _pread(self._fd, end - start + 1, info.header_offset + 30 + name_length + extra_length + start)

    def close(self) -> None:
        self._zip.close()
        os.close(self._fd)


def _pread(fd: int, size: int, offset: int) -> bytes:
    """``size`` bytes at ``offset`` of an open file, from any thread (os.pread where the OS has it)."""
    if hasattr(os, "pread"):
        return os.pread(fd, size, offset)
    with open(os.dup(fd), "rb") as f:  # Windows: a file object of its own
        f.seek(offset)
        return f.read(size)


class ViewHandler(SimpleHTTPRequestHandler):
    """Static files of the viewer under ``/`` and of the store under ``/store/``, with single byte ranges."""

    server: ViewServer
    quiet = True
    extensions_map = {**SimpleHTTPRequestHandler.extensions_map, ".wasm": "application/wasm",
                      ".js": "text/javascript", ".json": "application/json", "": "application/octet-stream"}

    def translate_path(self, path: str) -> str:  # the viewer's own files (the store's go through store_files)
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
        route = urllib.parse.unquote(urllib.parse.urlsplit(self.path).path)
        if route == STORE_PREFIX or route.startswith(STORE_PREFIX + "/"):
            return self._send_store_file(route[len(STORE_PREFIX):].lstrip("/"))
        header = self.headers.get("Range")
        path = self.translate_path(self.path)
        if header is None or not os.path.isfile(path):
            return super().send_head()
        size = os.path.getsize(path)
        span = parse_range(header, size)
        if span is None:
            return super().send_head()
        with open(path, "rb") as f:
            return self._send_span(span, size, os.path.getmtime(path), self.guess_type(path),
                                   lambda start, end: (f.seek(start), f.read(end - start + 1))[1])

    def _send_store_file(self, key: str):
        """A file of the store, whole or the single byte range asked for; 404 where the store has none (a chunk
        never written reads as the fill value)."""
        found = self.server.store_files.stat(key) if key else None
        if found is None:
            self.send_error(HTTPStatus.NOT_FOUND, "not in the store")
            return None
        size, mtime = found
        header = self.headers.get("Range")
        span = parse_range(header, size) if header is not None else None
        if span is None:  # the whole file
            self.send_response(HTTPStatus.OK)
            self.send_header("Content-Type", self.guess_type(key))
            self.send_header("Content-Length", str(size))
            self.send_header("Last-Modified", email.utils.formatdate(mtime, usegmt=True))
            self.end_headers()
            return io.BytesIO(self.server.store_files.read(key, 0, size - 1) if size else b"")
        return self._send_span(span, size, mtime, self.guess_type(key),
                               lambda start, end: self.server.store_files.read(key, start, end))

    def _send_span(self, span: tuple[int, int] | bool, size: int, mtime: float, content_type: str,
                   read: Callable[[int, int], bytes]):
        """``206 Partial Content`` with the bytes of ``span``, or ``416`` when it cannot be satisfied."""
        if span is False:
            self.send_response(HTTPStatus.REQUESTED_RANGE_NOT_SATISFIABLE)
            self.send_header("Content-Range", f"bytes */{size}")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return None
        start, end = span
        body = read(start, end)
        self.send_response(HTTPStatus.PARTIAL_CONTENT)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Range", f"bytes {start}-{end}/{size}")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Last-Modified", email.utils.formatdate(mtime, usegmt=True))
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
    """Whether ``path`` is the root of a zarr v3 or v2 array or group: a folder, or a zip file holding one."""
    if path.is_file():
        return is_zarr_zip(path)
    return any((path / name).is_file() for name in ZARR_MARKERS)


def make_server(store: str | os.PathLike, port: int = 0, quiet: bool = True) -> ViewServer:
    """An HTTP server (not yet serving) on 127.0.0.1:``port`` (0: any free port) for ``store`` and the viewer.

    Parameters
    ----------
    store : path
        The zarr store, served under ``/store/``: a folder, or a zip file holding one (``.zarr.zip``).
    port : int
        TCP port; 0 picks a free one (read it from ``server.server_address``).
    quiet : bool
        Leave out the per-request log lines.
    """
    root = Path(store).resolve()
    files = ZipStoreFiles(root) if root.is_file() else StoreFiles(root)
    handler = type("Handler", (ViewHandler,), {"quiet": quiet})
    return ViewServer(("127.0.0.1", port), handler, files)


class ViewServer(ThreadingHTTPServer):
    """The HTTP server of :func:`make_server`: it holds the store's files and closes them with itself."""

    def __init__(self, address: tuple[str, int], handler: type[ViewHandler], store_files: StoreFiles) -> None:
        super().__init__(address, handler)
        self.store_files = store_files

    def server_close(self) -> None:
        super().server_close()
        self.store_files.close()


def viewer_url(server: ThreadingHTTPServer) -> str:
    """The address of the viewer page showing the served store."""
    host, port = server.server_address[:2]
    return f"http://{host}:{port}/viewer.html?store={STORE_PREFIX}/"


def serve(store: str | os.PathLike, port: int = 0, open_browser: bool = True, quiet: bool = True) -> int:
    """Serve ``store`` and the viewer until interrupted (Ctrl-C); print the viewer's address first.

    Parameters
    ----------
    store : path
        A zarr array or group (an OME-Zarr image), zarr v2 or v3: a folder, or a ``.zarr.zip`` file.
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
    if not path.exists():
        raise FileNotFoundError(f"{store}: no such file or folder")
    if not is_zarr_store(path):
        raise ValueError(f"{store} is not a zarr store (no zarr.json, .zarray or .zgroup at its top level; "
                         "view takes a zarr folder or the .zarr.zip file that convert writes)")
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
