"""``pymecompress view``'s server: the store and the viewer over HTTP, with byte ranges (sharded arrays need them).

The page itself runs in Chromium in tests/test_js.py (test_viewer_in_chromium).
"""

from __future__ import annotations

import threading
import urllib.error
import urllib.request

import numpy as np
import pytest
import zarr

from helpers import run_cli
from pymecompress.tools.view import VIEWER, make_server, parse_range, viewer_url


@pytest.fixture
def served(tmp_path):
    """A sharded zarr v3 array served by ``make_server`` in a thread: (base URL, store path)."""
    from pymecompress.zarr.codecs import HuffmanLossless

    store = tmp_path / "a.zarr"
    arr = zarr.create_array(str(store), shape=(4, 64, 64), chunks=(1, 32, 32), shards=(2, 64, 64), dtype="uint16",
                            compressors=HuffmanLossless())
    arr[...] = np.arange(4 * 64 * 64, dtype=np.uint16).reshape(arr.shape)
    server = make_server(store)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    host, port = server.server_address[:2]
    try:
        yield f"http://{host}:{port}", store
    finally:
        server.shutdown()
        server.server_close()


def get(url: str, range_: str | None = None):
    request = urllib.request.Request(url, headers={"Range": range_} if range_ else {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as err:
        return err.code, err.headers, err.read()


def test_byte_ranges_of_a_shard(served):
    base, store = served
    shard = store / "c" / "0" / "0" / "0"
    whole = shard.read_bytes()
    status, headers, body = get(f"{base}/store/c/0/0/0")
    assert status == 200 and body == whole and headers["Accept-Ranges"] == "bytes"
    size = len(whole)
    for header, start, end in [("bytes=0-9", 0, 9), ("bytes=5-", 5, size - 1), ("bytes=-20", size - 20, size - 1),
                               (f"bytes=3-{10 * size}", 3, size - 1)]:
        status, headers, body = get(f"{base}/store/c/0/0/0", header)
        assert status == 206 and body == whole[start:end + 1], header
        assert headers["Content-Range"] == f"bytes {start}-{end}/{size}", header
        expected = body
        assert int(headers["Content-Length"]) == len(expected)
    status, headers, _ = get(f"{base}/store/c/0/0/0", f"bytes={len(whole)}-")
    assert status == 416 and headers["Content-Range"] == f"bytes */{len(whole)}"
    status, _, body = get(f"{base}/store/c/0/0/0", "bytes=0-1,4-5")  # several ranges: the whole file
    assert status == 200 and body == whole


def test_viewer_files_and_store_metadata(served):
    base, store = served
    status, headers, body = get(f"{base}/viewer.html")
    assert status == 200 and b"viewer.js" in body
    status, headers, body = get(f"{base}/pymecompress.wasm")
    assert status == 200 and headers["Content-Type"] == "application/wasm" and body[:4] == b"\0asm"
    assert headers["Access-Control-Allow-Origin"] == "*"
    status, _, body = get(f"{base}/store/zarr.json")
    assert status == 200 and body == (store / "zarr.json").read_bytes()
    assert get(f"{base}/store/c/9/9/9")[0] == 404  # a missing chunk reads as the fill value
    request = urllib.request.Request(f"{base}/")
    with urllib.request.urlopen(request, timeout=10) as response:  # / redirects to the page showing the store
        assert response.url.endswith("/viewer.html?store=/store/")


def test_parse_range_edges():
    assert parse_range("bytes=0-0", 1) == (0, 0)
    assert parse_range("bytes=-5", 3) == (0, 2)
    assert parse_range("bytes=-0", 3) is False
    assert parse_range("bytes=5-2", 10) is False
    assert parse_range("items=0-1", 10) is None and parse_range("bytes=-", 10) is None


def test_viewer_url_and_committed_bundle():
    server = make_server(VIEWER)
    try:
        assert viewer_url(server).startswith("http://127.0.0.1:") and viewer_url(server).endswith("?store=/store/")
    finally:
        server.server_close()
    assert {"viewer.html", "viewer.js", "pymecompress.wasm", "build.json"} <= {p.name for p in VIEWER.iterdir()}


def test_view_refuses_what_is_not_a_zarr_store(tmp_path):
    out = run_cli(tmp_path, "view", str(tmp_path), "--no-browser")
    assert out.returncode == 2 and "is not a zarr store" in out.stderr
    (tmp_path / "notes.zip").write_bytes(b"PK\x05\x06" + bytes(18))  # an empty zip: no store at its top
    out = run_cli(tmp_path, "view", str(tmp_path / "notes.zip"), "--no-browser")
    assert out.returncode == 2 and "is not a zarr store" in out.stderr
    out = run_cli(tmp_path, "view", str(tmp_path / "absent.zarr"), "--no-browser")
    assert out.returncode == 2 and "no such file or folder" in out.stderr


def test_zip_store_is_served_like_its_folder(tmp_path):
    """The ``.zarr.zip`` that ``convert`` writes is served entry by entry, whole and in byte ranges, with the
    folder's bytes; compressed entries (a zip made by another tool) too."""
    import zipfile

    from pymecompress.zarr.codecs import HuffmanLossless
    from pymecompress.zarr.zip_store import pack

    folder = tmp_path / "a.zarr"
    arr = zarr.create_array(str(folder), shape=(4, 64, 64), chunks=(1, 32, 32), shards=(2, 64, 64), dtype="uint16",
                            compressors=HuffmanLossless())
    arr[...] = np.arange(4 * 64 * 64, dtype=np.uint16).reshape(arr.shape)
    stored = tmp_path / "a.zarr.zip"
    pack(folder, stored)
    deflated = tmp_path / "b.zarr.zip"
    with zipfile.ZipFile(deflated, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            zf.write(path, path.relative_to(folder).as_posix())
    for packed in (stored, deflated):
        server = make_server(packed)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        base = "http://{}:{}".format(*server.server_address[:2])
        try:
            for key in ("zarr.json", "c/0/0/0", "c/1/0/0"):
                whole = (folder / key).read_bytes()
                status, headers, body = get(f"{base}/store/{key}")
                assert status == 200 and body == whole, (packed.name, key)
                status, headers, body = get(f"{base}/store/{key}", "bytes=-20")
                assert status == 206 and body == whole[-20:], (packed.name, key)
                assert headers["Content-Range"] == f"bytes {len(whole) - 20}-{len(whole) - 1}/{len(whole)}"
            assert get(f"{base}/store/c/9/9/9")[0] == 404
            assert get(f"{base}/store/../a.zarr.zip")[0] == 404
        finally:
            server.shutdown()
            server.server_close()


def test_view_command_takes_a_zarr_zip(tmp_path):
    """``pymecompress view OUT.zarr.zip`` serves it (it used to refuse the file that convert writes)."""
    import subprocess
    import sys

    from pymecompress.zarr.zip_store import pack

    zarr.create_array(str(tmp_path / "a.zarr"), data=np.ones((2, 8, 8), np.uint16))
    pack(tmp_path / "a.zarr", tmp_path / "a.zarr.zip")
    proc = subprocess.Popen([sys.executable, "-m", "pymecompress", "view", "a.zarr.zip", "--no-browser"],
                            cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()
        assert line.startswith("serving a.zarr.zip at http://127.0.0.1:"), (line, proc.stderr.read())
        url = line.split(" at ")[1].split()[0].replace("viewer.html?store=/store/", "store/zarr.json")
        status, _, body = get(url)
        assert status == 200 and body == (tmp_path / "a.zarr" / "zarr.json").read_bytes()
    finally:
        proc.terminate()
        proc.wait(timeout=10)
