"""The JavaScript package (js/): the C core compiled to WebAssembly reads what Python writes, byte for byte.

Builds js/ (``npm ci`` when its dependencies are missing, then the wasm module from the same C sources), writes
the test inputs with tests/js_cases.py (the committed fixtures and zarr stores written by zarr-python) and runs
the Node tests (``node --test``) on them; checks that the committed viewer bundle (pymecompress/viewer) is what
js/ builds; drives ``pymecompress view`` in headless Chromium on real movies (a screenshot goes to
``ci-artifacts/``).

Skipped, with the reason, when node, npm, clang or wasm-ld is missing; with ``PYMECOMPRESS_REQUIRE_JS=1`` (set
by .ci/run, which installs them) a missing tool fails instead. That js/ has a codec for every codec of the registry
with a zarr v3 face is checked without any tool.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from helpers import ROOT
from pymecompress import registry

JS = ROOT / "js"
TOOLS = ("node", "npm", "clang", "wasm-ld")


def require_js_tools() -> None:
    """Skip (or fail, under ``PYMECOMPRESS_REQUIRE_JS=1``) when a tool the JS build needs is missing."""
    if "asan" in os.environ.get("LD_PRELOAD", ""):
        pytest.skip("sanitizer run (tests/sanitize.sh): the wasm build does not use the native one, and Node and "
                    "clang must not run with the sanitizer runtimes preloaded; the plain test run covers it")
    missing = [tool for tool in TOOLS if shutil.which(tool) is None]
    if not missing:
        return
    reason = (f"the JavaScript tests need {', '.join(missing)} "
              "(bash js/scripts/install-toolchain.sh installs them; .ci/run does)")
    if os.environ.get("PYMECOMPRESS_REQUIRE_JS") == "1":
        pytest.fail(reason + ", and PYMECOMPRESS_REQUIRE_JS=1 forbids skipping")
    pytest.skip(reason)


def run(cmd: list[str], cwd: Path, timeout: float = 600, env: dict[str, str] | None = None) -> str:
    """Run ``cmd`` and return its output; fail the test with the output when it exits non-zero."""
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, **(env or {})})
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, f"{' '.join(cmd)} exited {proc.returncode}:\n{output[-6000:]}"
    return output


@pytest.fixture(scope="session")
def js_build() -> Path:
    """js/ with its dependencies installed and its wasm module built from the current C sources."""
    require_js_tools()
    lock = JS / "package-lock.json"
    stamp = JS / "node_modules" / ".package-lock.json"
    if not stamp.exists() or stamp.stat().st_mtime < lock.stat().st_mtime:
        run(["npm", "ci", "--no-audit", "--no-fund"], JS, env={"PUPPETEER_SKIP_DOWNLOAD": "1"})
    run(["node", "scripts/build-wasm.mjs"], JS)  # not `npm run build`: that also rewrites the committed viewer
    return JS


@pytest.fixture(scope="session")
def js_cases(tmp_path_factory) -> Path:
    """The inputs of the Node tests, written by tests/js_cases.py."""
    out = tmp_path_factory.mktemp("js-cases")
    # run outside the repository, so that its subprocesses import the pymecompress pytest imports (the installed
    # one in CI), not the source tree
    run([sys.executable, str(ROOT / "tests" / "js_cases.py"), str(out)], out)
    return out


def js_codec_names() -> list[str]:
    """The names of ``CODECS`` in js/src/codecs.js: the codecs the JavaScript package registers with zarrita."""
    found = re.search(r"^export const CODECS = \{(?P<body>.*?)^\};", (JS / "src" / "codecs.js").read_text(),
                      re.M | re.S)
    assert found, "js/src/codecs.js has no `export const CODECS = {...};`: update this test"
    return re.findall(r"[\"']?([\w-]+)[\"']?\s*:", found["body"])


def test_js_package_reads_every_zarr_v3_codec():
    """The JavaScript package has a codec for every codec with a zarr v3 face (no toolchain needed to check)."""
    names = js_codec_names()
    for codec_id in registry.codec_ids(zarr_v3=True):
        assert codec_id in names, (
            f"js/src/codecs.js registers no zarrita codec for {codec_id}: write its class there (through the wasm "
            "build of the C core, js/src/wasm.js) and add it to CODECS, and teach decode() in js/src/streams.js its "
            "stream if it is a new one; tests/js_cases.py then hands its fixtures and committed store to the Node "
            "tests")
    assert sorted(names) == sorted(registry.codec_ids(zarr_v3=True)), "js/ registers codecs the registry lacks"


def test_node_tests_pass(js_build, js_cases):
    """Every committed fixture and every zarr store decodes byte-identically through the wasm build."""
    tests = sorted(str(p.relative_to(js_build)) for p in (js_build / "test").glob("*.test.mjs"))
    assert tests, "no Node tests found in js/test"
    output = run(["node", "--test", *tests], js_build, env={"PYMECOMPRESS_JS_CASES": str(js_cases)})
    assert "# fail 0" in output and "# pass 0" not in output, output[-3000:]


def test_committed_viewer_is_up_to_date(js_build, tmp_path):
    """pymecompress/viewer is what ``npm run build`` makes of js/ and of the C sources (rebuild and commit it)."""
    committed = ROOT / "pymecompress" / "viewer"
    fresh = tmp_path / "viewer"
    run(["node", "scripts/build-viewer.mjs", str(fresh)], js_build)
    hint = "the committed viewer is stale: run `cd js && npm run build` and commit pymecompress/viewer"
    names = sorted(p.name for p in fresh.iterdir())
    assert sorted(p.name for p in committed.iterdir() if p.name != "__pycache__") == names, hint
    built, stored = (json.loads((d / "build.json").read_text()) for d in (fresh, committed))
    assert stored["c_sources_sha256"] == built["c_sources_sha256"], hint + " (the C sources changed)"
    wasm = (committed / "pymecompress.wasm").read_bytes()
    assert hashlib.sha256(wasm).hexdigest() == stored["wasm_sha256"], hint
    for name in names:
        if name == "build.json" or (name == "pymecompress.wasm" and stored["clang"] != built["clang"]):
            continue  # another clang compiles the same sources to other bytes: the source hash covers it
        assert (fresh / name).read_bytes() == (committed / name).read_bytes(), f"{name}: {hint}"


def _fnv(values) -> str:
    """The viewer's FNV-1a hash of a frame's values (row-major, low 16 bits of each)."""
    h = 0x811C9DC5
    for v in values.reshape(-1).tolist():
        h = ((h ^ (v & 0xFFFF)) * 0x01000193) & 0xFFFFFFFF
    return f"{h:08x}"


def _stores(tmp_path: Path) -> list[tuple[str, Path, object]]:
    """(name, store, full-resolution array) of real movies: an OME-Zarr from ``convert --ome`` and a sharded array."""
    import numpy as np
    import tifffile
    import zarr

    from pymecompress.zarr.codecs import HuffmanLossless

    data = ROOT / "tests" / "data" / "camera"
    ome = tmp_path / "widefield.zarr"
    run([sys.executable, "-m", "pymecompress", "convert", "--ome", "--offset", "400", "--gain", "4.2", "--force",
         "--quiet", "--chunks", "1,32,32", str(data / "widefield_timelapse_ecoli_gfp_53x64x64.tif"), str(ome)],
        tmp_path)
    sharded = tmp_path / "smlm_sharded.zarr"
    movie = tifffile.imread(data / "smlm_sdt_pMHC_AF647_10x128x128.tif").astype(np.uint16)
    arr = zarr.create_array(str(sharded), shape=movie.shape, chunks=(1, 64, 64), shards=(2, 128, 128),
                            dtype="uint16", compressors=HuffmanLossless(), dimension_names=("t", "y", "x"))
    arr[...] = movie
    return [("viewer", ome, zarr.open_group(str(ome), mode="r")["0"][...]), ("viewer-sharded", sharded, movie)]


def require_chromium(what: str) -> str:
    """The system's Chromium; skip (or fail, under ``PYMECOMPRESS_REQUIRE_JS=1``) without one."""
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        reason = f"{what} needs Chromium (apt-get install chromium; .ci/run installs it)"
        if os.environ.get("PYMECOMPRESS_REQUIRE_JS") == "1":
            pytest.fail(reason + ", and PYMECOMPRESS_REQUIRE_JS=1 forbids skipping")
        pytest.skip(reason)
    return chromium


def test_viewer_in_chromium(js_build, tmp_path):
    """``pymecompress view`` in headless Chromium: the page decodes frames to the values Python reads."""
    import numpy as np

    chromium = require_chromium("the viewer test")
    from matplotlib.image import imread

    artifacts = ROOT / "ci-artifacts"
    artifacts.mkdir(exist_ok=True)
    for name, store, movie in _stores(tmp_path):
        server = subprocess.Popen([sys.executable, "-m", "pymecompress", "view", str(store), "--no-browser"],
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=tmp_path)
        try:
            line = server.stdout.readline()
            assert "http://127.0.0.1:" in line, line + server.stderr.read()
            url = line.split(" at ")[1].split()[0]
            shot = artifacts / f"{name}.png"
            target = min(5, movie.shape[0] - 1)
            out = run(["node", "browser/viewer-check.mjs", url, str(target), str(shot)], js_build,
                      env={"CHROME": chromium})
        finally:
            server.terminate()
            server.wait(timeout=10)
        states = json.loads(out.strip().splitlines()[-1])
        ny, nx = movie.shape[-2:]
        for key, frame in (("first", 0), ("moved", target)):
            s = states[key]
            assert s["error"] is None and s["index"] == [frame] and s["level"] == 0, s
            assert s["region"] == {"y0": 0, "y1": ny, "x0": 0, "x1": nx}, s["region"]
            values = movie[frame].astype(np.int64)
            assert s["sum"] == int(values.sum()) and s["hash"] == _fnv(values), f"{name}, frame {frame}: {s}"
        assert states["moved"]["renders"] >= 2
        pixel = states["hovered"]["pixel"]
        assert pixel["value"] == int(movie[target, pixel["y"], pixel["x"]]), pixel
        picture = imread(shot)[..., :3].mean(axis=2)
        canvas = picture[120:, :]  # below the header and controls
        assert canvas.std() > 0.02 and len(np.unique(np.round(canvas * 255))) > 32, f"{shot} looks blank"


def test_live_page_in_chromium(js_build):
    """pymecompress.tools.stream's live page in headless Chromium: frames published from Python arrive in order and
    decode to the values the codec gives in Python."""
    import numpy as np

    from pymecompress.codecs.huffquant16 import HuffmanQuant16
    from pymecompress.tools.stream import Publisher

    chromium = require_chromium("the live page test")
    codec = HuffmanQuant16(offset=100, gain=2.2, read_noise=1.5)
    rng = np.random.default_rng(8)
    scene = rng.uniform(5, 300, (96, 128))
    frames = [(100 + 2.2 * rng.poisson(scene)).astype(np.uint16) for _ in range(25)]
    artifacts = ROOT / "ci-artifacts"
    artifacts.mkdir(exist_ok=True)
    with Publisher(codec) as pub:
        page = subprocess.Popen(["node", "browser/live-check.mjs", pub.url, str(artifacts / "live.png")], cwd=js_build,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                env={**os.environ, "CHROME": chromium})
        line = page.stdout.readline()
        assert line.strip() == "connected", line + page.stderr.read()
        assert pub.wait_for_clients(1)
        for f in frames:
            pub.send(f)
            time.sleep(0.02)
    out, err = page.communicate(timeout=120)
    assert page.returncode == 0, err
    state = json.loads(out.strip().splitlines()[-1])
    assert state["error"] is None and state["indices"] == list(range(25)), state
    last = codec.decode(codec.encode(frames[-1])).reshape(frames[-1].shape).astype(np.int64)
    assert state["last"]["index"] == 24 and state["last"]["shape"] == [96, 128]
    assert state["last"]["sum"] == int(last.sum()) and state["last"]["hash"] == _fnv(last), state["last"]
    assert state["renders"] >= 1


def test_viewer_follows_a_recording(js_build, tmp_path):
    """``pymecompress view`` of a store that a Publisher is still recording: new frames appear as they arrive, the
    page moves on to the newest, and ends on the last frame as stored."""
    import numpy as np
    import zarr

    from pymecompress.codecs.huffquant16 import HuffmanQuant16
    from pymecompress.tools.stream import Publisher

    chromium = require_chromium("the recording viewer test")
    codec = HuffmanQuant16(offset=100, gain=2.2, read_noise=1.5)
    rng = np.random.default_rng(9)
    scene = rng.uniform(5, 300, (64, 96))
    frames = [(100 + 2.2 * rng.poisson(scene)).astype(np.uint16) for _ in range(10)]
    store = tmp_path / "run.zarr"
    with Publisher(codec, record=store) as pub:
        for f in frames[:3]:
            pub.send(f)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:  # until the recording holds its first frames
            if (store / "zarr.json").exists() and \
                    zarr.open_array(store, mode="r").attrs["pymecompress"]["recording"]["frames"] >= 3:
                break
            time.sleep(0.05)
        server = subprocess.Popen([sys.executable, "-m", "pymecompress", "view", str(store), "--no-browser"],
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=tmp_path)
        try:
            line = server.stdout.readline()
            assert "http://127.0.0.1:" in line, line + server.stderr.read()
            url = line.split(" at ")[1].split()[0]
            page = subprocess.Popen(["node", "browser/follow-check.mjs", url], cwd=js_build, stdout=subprocess.PIPE,
                                    stderr=subprocess.PIPE, text=True, env={**os.environ, "CHROME": chromium})
            assert page.stdout.readline().strip() == "opened", page.stderr.read()
            for f in frames[3:]:
                pub.send(f)
                time.sleep(0.3)
        except BaseException:
            server.terminate()
            raise
    try:
        out, err = page.communicate(timeout=120)
    finally:
        server.terminate()
        server.wait(timeout=10)
    assert page.returncode == 0, err
    result = json.loads(out.strip().splitlines()[-1])
    opened, state = result["opened"], result["state"]
    assert opened["following"] and opened["frames"] >= 3 and opened["index"] == [opened["frames"] - 1], opened
    assert state["error"] is None and not state["following"] and state["frames"] == 10 and state["index"] == [9]
    stored = zarr.open_array(store, mode="r")[9].astype(np.int64)
    assert state["sum"] == int(stored.sum()) and state["hash"] == _fnv(stored), state
