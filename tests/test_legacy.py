"""Legacy formats: the codecs ``pymecompress-huffman`` / ``pymecompress-quant16`` of the original pymecompress.

Checked against the vectors the original wrote (tests/data/legacy), against a slow bit-by-bit reference parser
written here from docs/FORMAT.md ("Legacy formats"), with malformed input, and with zarr v2 stores.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys

import numcodecs
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from helpers import LEGACY, require_data
from pymecompress import DecodeError, LegacyHuffman, LegacyQuant16, _binding
from pymecompress.codecs.legacy_quant16 import quantize

MAXLEN = 24  # longest code our encoder writes


def manifest() -> list[dict]:
    return json.loads(require_data(LEGACY / "manifest.json").read_text())


def vector(name: str) -> dict[str, np.ndarray]:
    with np.load(require_data(LEGACY / f"{name}.npz")) as npz:
        return {k: npz[k] for k in npz.files}


def cases(kind: str, codec_id: str | None = None) -> list[dict]:
    if not (LEGACY / "manifest.json").exists():
        return [{"name": "missing-legacy-data", "kind": kind, "params": {"id": codec_id}}]
    return [c for c in manifest() if c["kind"] == kind and (codec_id is None or c["params"]["id"] == codec_id)]


# ---------------------------------------------------------------------------------------------------------------
# slow reference: bit-by-bit parser and writer of the BCL stream (MSB first, pre-order tree)


class Bits:
    def __init__(self, data: bytes):
        self.data = bytes(data)
        self.pos = 0

    def bit(self) -> int:
        if self.pos >= 8 * len(self.data):
            raise EOFError
        b = (self.data[self.pos >> 3] >> (7 - (self.pos & 7))) & 1
        self.pos += 1
        return b

    def bits(self, n: int) -> int:
        v = 0
        for _ in range(n):
            v = (v << 1) | self.bit()
        return v


def ref_parse_tree(reader: Bits) -> tuple:
    """Tree as nested tuples: (sym,) for a leaf, (first, second) for an internal node."""
    node_count = 0

    def node():
        nonlocal node_count
        node_count += 1
        if node_count > 511:
            raise ValueError("tree too large")
        if reader.bit():
            return (reader.bits(8),)
        first = node()
        return (first, node())

    return node()


def ref_codes(tree: tuple, prefix: str = "") -> dict[int, str]:
    if len(tree) == 1:
        return {tree[0]: prefix}
    codes = ref_codes(tree[0], prefix + "0")
    for sym, code in ref_codes(tree[1], prefix + "1").items():
        if sym in codes:
            raise ValueError("symbol appears twice")
        codes[sym] = code
    return codes


def ref_decode(data: bytes, nsym: int) -> tuple[np.ndarray, int, tuple]:
    """Decode nsym symbols; returns (symbols, bits used, tree).  Raises EOFError/ValueError."""
    reader = Bits(data)
    if nsym == 0:
        return np.zeros(0, np.uint8), 0, ()
    tree = ref_parse_tree(reader)
    ref_codes(tree)  # checks that no symbol appears twice
    if len(tree) == 1:
        if reader.pos + nsym > 8 * len(data):
            raise EOFError
        return np.full(nsym, tree[0], np.uint8), reader.pos + nsym, tree
    out = np.empty(nsym, np.uint8)
    for i in range(nsym):
        node = tree
        while len(node) == 2:
            node = node[reader.bit()]
        out[i] = node[0]
    return out, reader.pos, tree


def check_valid_stream(stream: bytes, data: np.ndarray) -> None:
    """A stream our encoder wrote obeys every rule: tree, codes, exact length, zero padding."""
    data = np.asarray(data, dtype=np.uint8).ravel()
    if data.size == 0:
        assert stream == b""
        return
    symbols, used, tree = ref_decode(stream, data.size)
    np.testing.assert_array_equal(symbols, data)
    assert len(stream) == (used + 7) // 8, "the stream must end at the byte holding its last bit"
    tail = Bits(stream)
    tail.pos = used
    assert all(tail.bit() == 0 for _ in range(8 * len(stream) - used)), "padding bits must be zero"
    codes = ref_codes(tree)
    assert set(codes) == set(np.unique(data).tolist()), "the tree holds exactly the symbols present"
    assert len(codes) <= 256 and 2 * len(codes) - 1 <= 511
    assert max(len(c) for c in codes.values()) <= MAXLEN


def ref_write(tree: tuple, symbols) -> bytes:
    """Write a stream for an arbitrary tree (used for trees our encoder never makes, and malformed ones)."""
    out: list[str] = []

    def walk(node):
        if len(node) == 1:
            out.append("1" + format(node[0], "08b"))
        else:
            out.append("0")
            walk(node[0])
            walk(node[1])

    walk(tree)
    if len(tree) == 1:
        out.append("0" * len(symbols))
    else:
        codes = ref_codes(tree)
        out.extend(codes[s] for s in symbols)
    bits = "".join(out)
    bits += "0" * (-len(bits) % 8)
    return bytes(int(bits[i:i + 8], 2) for i in range(0, len(bits), 8))


def chain_tree(leaves: list[int]) -> tuple:
    """Deepest possible tree: leaf i at depth i + 1 (the last two share the bottom)."""
    tree: tuple = (leaves[-1],)
    for sym in reversed(leaves[:-1]):
        tree = ((sym,), tree)
    return tree


def chunk_of(stream: bytes, count: int) -> bytes:
    return stream + count.to_bytes(4, "little")


# ---------------------------------------------------------------------------------------------------------------
# the original's vectors


def test_worked_example():
    stream = bytes([0x40, 0xA0, 0x35, 0x40])
    symbols, used = _binding.legacy_huffman_decode(stream, 8)
    assert symbols.tolist() == [1, 2] * 4 and used == 27
    assert LegacyHuffman().decode(chunk_of(stream, 8)).tolist() == [1, 2] * 4


def test_entry_points_resolve_old_ids_without_import():
    code = ("import numcodecs\n"
            "a = numcodecs.get_codec({'id': 'pymecompress-huffman'})\n"
            "b = numcodecs.get_codec({'id': 'pymecompress-quant16', 'offset': 100, 'scale': 1})\n"
            "print(type(a).__name__, type(b).__name__, b.offset, b.scale)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd="/")
    assert out.stdout.split() == ["LegacyHuffman", "LegacyQuant16", "100", "1"]


@pytest.mark.parametrize("case", cases("codec", "pymecompress-huffman"), ids=lambda c: c["name"])
def test_original_huffman_chunks(case):
    v = vector(case["name"])
    codec = numcodecs.get_codec(case["params"])
    assert isinstance(codec, LegacyHuffman)
    decoded = codec.decode(v["encoded"].tobytes())
    np.testing.assert_array_equal(decoded, v["decoded_legacy"].ravel())
    np.testing.assert_array_equal(decoded, v["input"].ravel())  # the original round-trips bytes exactly
    out = np.zeros(v["input"].shape, v["input"].dtype)
    assert codec.decode(v["encoded"], out=out) is out
    np.testing.assert_array_equal(out, v["input"])


@pytest.mark.parametrize("case", cases("codec", "pymecompress-quant16"), ids=lambda c: c["name"])
def test_original_quant16_chunks(case):
    v = vector(case["name"])
    params = case["params"]
    offset, scale = params["offset"], params["scale"]
    encoded = v["encoded"].tobytes()
    count = int.from_bytes(encoded[-4:], "little")
    assert count == v["input"].size
    # the original wrote twice as many symbols as pixels; only the first count are real
    ref_q, used, _ = ref_decode(encoded[:-4], 2 * count)
    assert (used + 7) // 8 == len(encoded) - 4
    q = ref_q[:count].astype(np.float64)

    legacy = numcodecs.get_codec({**params, "legacy_decode": True})
    np.testing.assert_array_equal(legacy.decode(encoded), v["decoded_legacy"].ravel())

    default = numcodecs.get_codec(params)
    decoded = default.decode(encoded)
    expected = np.clip(np.trunc((scale * q) ** 2 + offset), 0, 65535).astype(np.uint16)
    np.testing.assert_array_equal(decoded, expected)
    if scale == 1:
        np.testing.assert_array_equal(decoded, v["decoded_legacy"].ravel())
    else:
        assert (decoded != v["decoded_legacy"].ravel()).any()

    out = np.empty(v["input"].shape, np.uint16)
    assert default.decode(encoded, out=out) is out
    np.testing.assert_array_equal(out.ravel(), decoded)


@pytest.mark.parametrize("case", cases("codec", "pymecompress-quant16"), ids=lambda c: c["name"])
def test_our_quantizer_vs_the_original(case):
    """Our codes are exact; the original's approximate square root (relative error up to about 4e-4) moves a
    code only next to a rounding boundary."""
    v = vector(case["name"])
    offset, scale = case["params"]["offset"], case["params"]["scale"]
    encoded = v["encoded"].tobytes()
    count = v["input"].size
    theirs = ref_decode(encoded[:-4], count)[0].astype(int)
    x = v["input"].ravel().astype(np.float64)
    exact = np.sqrt(np.maximum(x - offset, 0)) / scale
    ours = quantize(v["input"].ravel(), offset, scale).astype(int)
    np.testing.assert_array_equal(ours, np.minimum(np.floor(exact + 0.5), 255))
    differ = ours != theirs
    near_half = np.abs(exact - np.floor(exact) - 0.5) < 4e-4 * exact + 0.01
    assert np.all(near_half[differ])
    assert np.all(np.abs(ours - theirs) <= 1)


@pytest.mark.parametrize("case", cases("bcl_stream"), ids=lambda c: c["name"])
def test_original_bare_streams(case):
    v = vector(case["name"])
    n = case["params"]["outsize"]
    symbols, used = _binding.legacy_huffman_decode(v["encoded"], n)
    np.testing.assert_array_equal(symbols, v["decoded_legacy"].view(np.uint8).ravel())
    assert (used + 7) // 8 == v["encoded"].size
    if "offset" in case["params"]:
        ref_q = quantize(v["input"], case["params"]["offset"], case["params"]["scale"]).ravel()
        assert np.mean(ref_q == symbols) > 0.99
    else:
        np.testing.assert_array_equal(symbols, v["input"].view(np.uint8).ravel())


# ---------------------------------------------------------------------------------------------------------------
# what we write


@pytest.mark.parametrize("case", cases("codec"), ids=lambda c: c["name"])
def test_our_encoding_of_the_vectors(case):
    v = vector(case["name"])
    codec = numcodecs.get_codec(case["params"])
    chunk = codec.encode(v["input"])
    count = int.from_bytes(chunk[-4:], "little")
    assert count == v["input"].size
    if isinstance(codec, LegacyQuant16):
        q = quantize(v["input"].ravel(), codec.offset, codec.scale)
        check_valid_stream(chunk[:-4], q)  # N symbols (the old decoders read N and ignore the rest)
        decoded = codec.decode(chunk)
        np.testing.assert_array_equal(decoded, ((codec.scale * q.astype(float)) ** 2 + codec.offset).astype(int)
                                      .clip(0, 65535))
    else:
        check_valid_stream(chunk[:-4], v["input"])
        np.testing.assert_array_equal(codec.decode(chunk), v["input"].ravel())
        assert len(chunk) <= len(v["encoded"]) + 1  # no worse than the original (it writes its own Huffman tree)


def test_empty_and_tiny():
    huff = LegacyHuffman()
    assert huff.encode(np.zeros(0, np.uint8)) == bytes(4)
    assert huff.decode(bytes(4)).size == 0
    quant = LegacyQuant16(offset=100)
    assert quant.decode(quant.encode(np.zeros(0, np.uint16))).size == 0
    one = huff.encode(np.array([7], np.uint8))
    assert one == vector("huf_one_byte")["encoded"].tobytes()  # a lone leaf and one 0 bit, as the original
    const = np.full(3000, 42, np.uint8)
    assert huff.encode(const) == vector("huf_const_u8")["encoded"].tobytes()


def test_code_length_limit_and_deep_trees():
    # Fibonacci counts make Huffman codes 31 bits long: the encoder limits them to 24
    fib = [1, 1]
    while len(fib) < 32:
        fib.append(fib[-1] + fib[-2])
    data = np.repeat(np.arange(32, dtype=np.uint8), fib)
    np.random.default_rng(1).shuffle(data)
    stream = _binding.legacy_huffman_encode(data)
    _, _, tree = ref_decode(stream, 1)
    assert 11 < max(len(c) for c in ref_codes(tree).values()) <= MAXLEN  # past the lookup table, within the limit
    np.testing.assert_array_equal(_binding.legacy_huffman_decode(stream, data.size)[0], data)


@pytest.mark.parametrize("nleaves", [2, 3, 12, 13, 40, 256])
def test_decoder_reads_trees_of_any_depth(nleaves):
    # the original's trees can be up to 255 levels deep: codes far longer than the decoder's lookup table
    rng = np.random.default_rng(nleaves)
    leaves = rng.permutation(256)[:nleaves].tolist()
    tree = chain_tree(leaves)
    symbols = rng.choice(leaves, 3000).astype(np.uint8)
    stream = ref_write(tree, symbols.tolist())
    decoded, used = _binding.legacy_huffman_decode(stream, symbols.size)
    np.testing.assert_array_equal(decoded, symbols)
    assert used == ref_decode(stream, symbols.size)[1]
    # and a random full tree shape
    order = rng.permutation(leaves).tolist()
    nodes: list[tuple] = [(s,) for s in order]
    while len(nodes) > 1:
        i = int(rng.integers(0, len(nodes) - 1))
        nodes[i:i + 2] = [(nodes[i], nodes[i + 1])]
    stream = ref_write(nodes[0], symbols.tolist())
    np.testing.assert_array_equal(_binding.legacy_huffman_decode(stream, symbols.size)[0], symbols)


def test_chunk_written_from_wider_data_reads_whole():
    # the original accepted uint16 data for pymecompress-huffman, writing all bytes but the element count
    data = (np.arange(5000, dtype=np.uint16) * 7919) % 1000
    chunk = chunk_of(_binding.legacy_huffman_encode(data.view(np.uint8)), data.size)
    codec = LegacyHuffman()
    np.testing.assert_array_equal(codec.decode(chunk).view(np.uint16), data)
    out = np.empty_like(data)
    codec.decode(chunk, out=out)
    np.testing.assert_array_equal(out, data)
    with pytest.raises(ValueError):
        codec.decode(chunk, out=np.empty(3, np.uint16))
    with pytest.raises(TypeError):
        codec.encode(data)


def test_config_and_option():
    codec = LegacyQuant16(offset=100, scale=2)
    assert codec.get_config() == {"id": "pymecompress-quant16", "offset": 100, "scale": 2}  # old readers parse it
    legacy = numcodecs.get_codec(json.loads(json.dumps(LegacyQuant16(100.5, 0.5, legacy_decode=True).get_config())))
    assert legacy == LegacyQuant16(100.5, 0.5, legacy_decode=True) and legacy.legacy_decode
    assert numcodecs.get_codec({"id": "pymecompress-quant16"}).get_config() == \
        {"id": "pymecompress-quant16", "offset": 0, "scale": 1}
    assert LegacyHuffman().get_config() == {"id": "pymecompress-huffman"}
    for bad in [{"scale": 0}, {"scale": -1}, {"scale": float("nan")}, {"offset": float("inf")},
                {"legacy_decode": "yes"}, {"offset": "100"}]:
        with pytest.raises(ValueError):
            LegacyQuant16(**bad)
    with pytest.raises(TypeError):
        codec.encode(np.zeros(4, np.int16))
    big_endian = np.array([100, 200, 65535], dtype=">u2")
    assert codec.decode(codec.encode(big_endian)).tolist() == codec.decode(codec.encode(big_endian.astype("<u2"))) \
        .tolist()
    assert repr(LegacyQuant16(1, 2, True)) == "LegacyQuant16(offset=1, scale=2, legacy_decode=True)"


def test_quantizer_rules():
    x = np.array([0, 99, 100, 101, 102, 106, 107, 65535], np.uint16)
    # below the offset -> 0; sqrt(2) = 1.41 -> 1; sqrt(6) = 2.45 -> 2; sqrt(7) = 2.65 -> 3; saturates at 255
    assert quantize(x, 100, 1).tolist() == [0, 0, 0, 1, 1, 2, 3, 255]
    # exact halves round up: sqrt(9) / 2 = 1.5 -> 2, sqrt(25) / 2 = 2.5 -> 3
    assert quantize(np.array([109, 125], np.uint16), 100, 2).tolist() == [2, 3]
    assert quantize(np.array([109.0, 125.0], np.float32), 100, 2).tolist() == [2, 3]
    codec = LegacyQuant16(offset=0, scale=1)
    assert codec.decode(codec.encode(np.array([65535], np.uint16))).tolist() == [65025]


# ---------------------------------------------------------------------------------------------------------------
# malformed input


def _all_chunks() -> list[tuple[dict, bytes]]:
    return [(c["params"], vector(c["name"])["encoded"].tobytes()) for c in cases("codec")]


def test_truncated_chunks_refused():
    for params, encoded in _all_chunks():
        codec = numcodecs.get_codec(params)
        count = int.from_bytes(encoded[-4:], "little")
        # bits the tree and the first count codes take (for quant16 the original's stream holds 2 * count
        # symbols, so cuts into the second half still hold count symbols)
        used = ref_decode(encoded[:-4], count)[1]
        for cut in range(len(encoded) - 4):
            chunk = encoded[:cut] + encoded[-4:]  # cut the stream, keep the count
            if 8 * cut < used:
                with pytest.raises(DecodeError):
                    codec.decode(chunk)
            else:
                assert codec.decode(chunk).size == count
        for cut in range(4):
            with pytest.raises(DecodeError):
                codec.decode(encoded[:cut])


def test_corrupted_chunks_never_crash():
    rng = np.random.default_rng(0)
    for params, encoded in _all_chunks():
        codec = numcodecs.get_codec(params)
        count = int.from_bytes(encoded[-4:], "little")
        for _ in range(100):
            bad = bytearray(encoded)
            for pos in rng.integers(0, len(bad) - 4, int(rng.integers(1, 4))):
                bad[pos] ^= 1 << int(rng.integers(0, 8))
            if count > 2000:  # too slow for the reference: only check that it is refused or of the right size
                try:
                    assert codec.decode(bytes(bad)).size in (count, 2 * count, 4 * count, 8 * count)
                except DecodeError:
                    pass
                continue
            try:
                expected = ref_decode(bytes(bad[:-4]), count)[0]
            except (EOFError, ValueError, RecursionError):
                expected = None
            try:
                got = codec.decode(bytes(bad))
            except DecodeError:
                assert expected is None
            else:
                assert expected is not None and got.size in (count, 2 * count, 4 * count, 8 * count)
                if isinstance(codec, LegacyHuffman):
                    np.testing.assert_array_equal(got[:count], expected)


def test_huge_counts_refused_before_allocating():
    stream = vector("huf_text")["encoded"].tobytes()[:-4]
    for codec in (LegacyHuffman(), LegacyQuant16()):
        for count in (8 * len(stream), 2**32 - 1):
            with pytest.raises(DecodeError, match="cannot hold"):
                codec.decode(chunk_of(stream, count))
    with pytest.raises(DecodeError, match="cannot hold"):
        _binding.legacy_huffman_decode(stream, 10**12)
    with pytest.raises(DecodeError):
        LegacyHuffman().decode(chunk_of(b"", 1))


def test_malformed_trees_refused():
    leaf = "1" + format(65, "08b")
    cases_ = {
        "too many nodes": "0" * 600,
        "repeated symbol": "0" + leaf + leaf + "0" * 40,
        "257 leaves": "0" * 256 + "".join("1" + format(i % 256, "08b") for i in range(257)),
        "ends in the tree": "0" + leaf,
        "ends in a symbol": "01000",
    }
    for bits in cases_.values():
        bits += "0" * (-len(bits) % 8)
        stream = bytes(int(bits[i:i + 8], 2) for i in range(0, len(bits), 8))
        with pytest.raises(DecodeError):
            _binding.legacy_huffman_decode(stream, 5)
        with pytest.raises(DecodeError):
            LegacyHuffman().decode(chunk_of(stream, 5))
    # a lone leaf still needs one bit per symbol
    assert LegacyHuffman().decode(chunk_of(bytes([0x95, 0]), 7)).tolist() == [42] * 7
    with pytest.raises(DecodeError):
        LegacyHuffman().decode(chunk_of(bytes([0x95, 0]), 8))


def test_random_garbage_never_crashes():
    rng = np.random.default_rng(5)
    for _ in range(3000):
        data = rng.integers(0, 256, int(rng.integers(0, 300)), dtype=np.uint8).tobytes()
        count = int(rng.integers(0, 2000))
        for codec in (LegacyHuffman(), LegacyQuant16(offset=100)):
            try:
                out = codec.decode(chunk_of(data, count))
            except DecodeError:
                continue
            assert out.size in (count, 2 * count, 4 * count, 8 * count)


# ---------------------------------------------------------------------------------------------------------------
# property tests


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=3000))
def test_huffman_roundtrip_property(data):
    arr = np.frombuffer(data, np.uint8)
    chunk = LegacyHuffman().encode(arr)
    check_valid_stream(chunk[:-4], arr)
    np.testing.assert_array_equal(LegacyHuffman().decode(chunk), arr)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.integers(0, 255), min_size=1, max_size=40), st.integers(1, 4000), st.integers(0, 2**32 - 1))
def test_huffman_skewed_roundtrip_property(alphabet, n, seed):
    rng = np.random.default_rng(seed)
    weights = rng.pareto(0.7, len(alphabet)) + 1e-3
    arr = rng.choice(np.array(alphabet, np.uint8), n, p=weights / weights.sum())
    chunk = LegacyHuffman().encode(arr)
    check_valid_stream(chunk[:-4], arr)
    np.testing.assert_array_equal(LegacyHuffman().decode(chunk), arr)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.integers(0, 65535), max_size=500), st.integers(0, 2000) | st.floats(-100, 2000),
       st.sampled_from([1, 0.5, 2, 0.37, 3.3, 16]))
def test_quant16_roundtrip_property(values, offset, scale):
    x = np.array(values, np.uint16)
    codec = LegacyQuant16(offset=offset, scale=scale)
    chunk = codec.encode(x)
    def ref_q(v):
        exact = math.sqrt(max(float(v) - offset, 0.0)) / scale
        return min(255, math.floor(exact) + (exact - math.floor(exact) >= 0.5))

    q = np.array([ref_q(v) for v in values], np.uint8)
    check_valid_stream(chunk[:-4], q)
    expected = [min(65535, max(0, math.trunc((scale * int(c)) ** 2 + offset))) for c in q]
    assert codec.decode(chunk).tolist() == expected
    legacy = LegacyQuant16(offset=offset, scale=scale, legacy_decode=True)
    assert legacy.decode(chunk).tolist() == [math.trunc(int(c) * int(c) / scale + offset) % 65536 for c in q]
    # the noise bound: the code is within half a step of sqrt(x - offset) / scale unless saturated
    exact = np.sqrt(np.maximum(x.astype(float) - offset, 0)) / scale
    assert np.all((np.abs(q - exact) <= 0.5 + 1e-9) | (q == 255))


# ---------------------------------------------------------------------------------------------------------------
# zarr v2 stores written by the original


def test_zarr_v2_stores_written_by_the_original():
    zarr = pytest.importorskip("zarr")
    root = LEGACY / "zarr_v2"
    huff = zarr.open_array(str(require_data(root / "z2_huff8.zarr")), mode="r")
    np.testing.assert_array_equal(huff[:], np.load(root / "z2_huff8_input.npy"))

    quant = zarr.open_array(str(require_data(root / "z2_quant.zarr")), mode="r")
    written = np.load(root / "z2_quant_input.npy").astype(np.float64)
    read = quant[:].astype(np.float64)
    assert quant.dtype == np.uint16 and read.shape == written.shape
    # scale 1: decoded = q**2 + offset with q = round(sqrt(x - offset)); the original's approximate square
    # root moves a code only next to a rounding boundary, so half a step plus a little
    err = np.abs(np.sqrt(np.maximum(read - 100, 0)) - np.sqrt(np.maximum(written - 100, 0)))
    assert err.max() <= 0.5 + 0.02


def test_zarr_v2_roundtrip_with_our_codecs(tmp_path):
    zarr = pytest.importorskip("zarr")
    data = np.random.default_rng(3).poisson(300, (100, 70)).astype(np.uint16) + 100
    z = zarr.create_array(str(tmp_path / "q.zarr"), shape=data.shape, chunks=(64, 32), dtype="uint16",
                          zarr_format=2, compressors=LegacyQuant16(offset=100, scale=1))
    z[:] = data
    meta = json.loads((tmp_path / "q.zarr" / ".zarray").read_text())
    assert meta["compressor"] == {"id": "pymecompress-quant16", "offset": 100, "scale": 1}
    back = zarr.open_array(str(tmp_path / "q.zarr"), mode="r")[:]
    err = np.abs(np.sqrt(back.astype(float) - 100) - np.sqrt(data.astype(float) - 100))
    assert err.max() <= 0.5

    # a uint16 store written with pymecompress-huffman by the original (count = elements) reads back whole
    root = tmp_path / "h16.zarr"
    root.mkdir()
    (root / ".zarray").write_text(json.dumps({
        "chunks": [50, 70], "compressor": {"id": "pymecompress-huffman"}, "dtype": "<u2", "fill_value": 0,
        "filters": None, "order": "C", "shape": [100, 70], "zarr_format": 2}))
    for i in range(2):
        block = np.ascontiguousarray(data[50 * i:50 * (i + 1)])
        (root / f"{i}.0").write_bytes(chunk_of(_binding.legacy_huffman_encode(block.view(np.uint8)), block.size))
    np.testing.assert_array_equal(zarr.open_array(str(root), mode="r")[:], data)


# ---------------------------------------------------------------------------------------------------------------
# the original pymecompress itself, when available


def test_original_decodes_our_output():
    """Set PYMECOMPRESS_LEGACY_PYTHON to a Python with the original pymecompress 0.3.x (and numcodecs) installed."""
    python = os.environ.get("PYMECOMPRESS_LEGACY_PYTHON")
    if not python:
        pytest.skip("the original pymecompress shares our package name, so it lives in a virtualenv of its own: "
                    "set PYMECOMPRESS_LEGACY_PYTHON to a Python that has it (README.md, Benchmark, builds one)")
    data = np.random.default_rng(9).poisson(200, (64, 64)).astype(np.uint16) + 100
    chunks = {
        "quant": (LegacyQuant16(offset=100, scale=1).encode(data), {"id": "pymecompress-quant16", "offset": 100,
                                                                    "scale": 1}),
        "huff": (LegacyHuffman().encode(data.astype(np.uint8)), {"id": "pymecompress-huffman"}),
    }
    script = (
        "import json, sys, numcodecs, numpy as np\n"
        "try:\n    import pymecompress.codecs\nexcept ImportError:\n    pass\n"
        "job = json.loads(sys.stdin.read())\n"
        "res = {k: np.asarray(numcodecs.get_codec(c).decode(bytes.fromhex(h))).tolist() for k, (h, c) in job.items()}\n"
        "print(json.dumps(res))\n"
    )
    job = json.dumps({k: (chunk.hex(), config) for k, (chunk, config) in chunks.items()})
    out = subprocess.run([python, "-c", script], input=job, capture_output=True, text=True, check=True, cwd="/")
    res = json.loads(out.stdout)
    np.testing.assert_array_equal(np.array(res["huff"], np.uint8), data.astype(np.uint8).ravel())
    np.testing.assert_array_equal(np.array(res["quant"], np.uint16),
                                  LegacyQuant16(offset=100, scale=1).decode(chunks["quant"][0]))
