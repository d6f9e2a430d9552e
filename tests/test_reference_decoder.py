"""Self-contained tests of the independent reference decoder (``tests/reference_decoder.py``).

They need neither the pymecompress package nor its C extension: every stream here is assembled by hand from
``docs/FORMAT.md``, either byte by byte or with the small spec-following encoder below.
"""

from __future__ import annotations

import importlib.util
import math
import random
import struct
import sys
from pathlib import Path

import numpy as np
import pytest


def _load_reference_decoder():
    path = Path(__file__).with_name("reference_decoder.py")
    spec = importlib.util.spec_from_file_location("pymecompress_reference_decoder", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


ref = _load_reference_decoder()


# --------------------------------------------------------------------------------------------------
# Stream-building helpers, written from FORMAT.md


def u16(value: int) -> bytes:
    return struct.pack("<H", value)


def u32(value: int) -> bytes:
    return struct.pack("<I", value)


def pmcs_header(
    *,
    mode: int = 0,
    itemsize: int = 1,
    flags: int = 1,
    n: int,
    nx: int,
    ny: int,
    tw: int = 32,
    th: int = 32,
    seg: int = 262144,
    params: tuple[float, float, float, float] | None = None,
    version: int = 1,
    magic: bytes = b"PMCS",
) -> bytes:
    header = magic + bytes([version, mode, itemsize, flags]) + struct.pack("<QIIHHI", n, nx, ny, tw, th, seg)
    if params is not None:
        header += struct.pack("<4d", *params)
    return header


def nibbles(values: list[int]) -> bytes:
    """Pack 4-bit numbers, element 2i in the low nibble of byte i."""
    padded = list(values) + [0] * (len(values) & 1)
    return bytes(padded[i] | (padded[i + 1] << 4) for i in range(0, len(padded), 2))


def with_crc(body: bytes) -> bytes:
    return body + u32(ref.crc32c(body))


def segment_entry(segment: bytes) -> bytes:
    return u32(len(segment)) + segment


class BitWriter:
    """LSB-first bit stream; Huffman codes go most-significant bit first, numbers least-significant first."""

    def __init__(self) -> None:
        self.bits: list[int] = []

    def code(self, code: int, length: int) -> None:
        self.bits.extend((code >> i) & 1 for i in reversed(range(length)))

    def number(self, value: int, count: int) -> None:
        self.bits.extend((value >> i) & 1 for i in range(count))

    def getvalue(self) -> bytes:
        bits = self.bits + [0] * (-len(self.bits) % 8)
        return bytes(sum(bit << j for j, bit in enumerate(bits[i : i + 8])) for i in range(0, len(bits), 8))


def zigzag(residual: int) -> int:
    r = residual % 65536
    r = r - 65536 if r >= 32768 else r
    return 2 * r if r >= 0 else -2 * r - 1


def symbol_of(z: int, k: int) -> tuple[int, int, int]:
    """(symbol, nextra, extra) of value ``z``."""
    hi = z >> k
    if hi < 64:
        return hi, 0, 0
    nb = hi.bit_length()
    return 64 + nb - 7, nb - 1, hi - (1 << (nb - 1))


def is_possible(symbol: int, k: int) -> bool:
    if symbol < 64:
        return symbol < 1 << (16 - k)
    return symbol - 64 + 7 <= 16 - k


def canonical_codes(lengths: list[int]) -> dict[int, tuple[int, int]]:
    """symbol -> (code, length), with the DEFLATE-style first-code-per-length construction."""
    max_len = max(lengths)
    count = [0] * (max_len + 1)
    for length in lengths:
        if length:
            count[length] += 1
    next_code = [0] * (max_len + 2)
    code = 0
    for length in range(1, max_len + 1):
        code = (code + count[length - 1]) << 1 if length > 1 else 0
        next_code[length] = code
    codes = {}
    for symbol, length in enumerate(lengths):
        if length:
            codes[symbol] = (next_code[length], length)
            next_code[length] += 1
    return codes


def flat_lengths(symbols: list[int]) -> dict[int, int]:
    """A complete code for ``len(symbols) >= 2`` symbols: lengths L-1 and L with L = ceil(log2(m))."""
    m = len(symbols)
    big = max(1, math.ceil(math.log2(m)))
    short = (1 << big) - m
    return {s: (big - 1 if i < short else big) for i, s in enumerate(symbols)}


def huffman_segment(
    z: list[int], k: int, rng: random.Random, nlen: int | None = None, lengths: dict[int, int] | None = None
) -> bytes:
    """A Huffman segment for the z values ``z`` (any complete code on the used symbols)."""
    used = sorted({symbol_of(v, k)[0] for v in z})
    if lengths is None:
        if len(used) < 2:
            used.append(next(s for s in range(74) if is_possible(s, k) and s not in used))
        rng.shuffle(used)
        lengths = flat_lengths(used)
    table = [0] * 74
    for symbol, length in lengths.items():
        table[symbol] = length
    if nlen is None:
        nlen = max(s for s in range(74) if table[s]) + 1
    codes = canonical_codes(table)
    n = len(z)
    q = -(-n // 4)
    streams = []
    for i in range(4):
        writer = BitWriter()
        for v in z[i * q : min(n, (i + 1) * q)]:
            symbol, nextra, extra = symbol_of(v, k)
            writer.code(*codes[symbol])
            writer.number((extra << k) | (v & ((1 << k) - 1)), nextra + k)
        streams.append(writer.getvalue())
    return (
        bytes([0, k, nlen])
        + nibbles(table[:nlen])
        + b"".join(u32(len(s)) for s in streams[:3])
        + b"".join(streams)
    )


def predict(
    values: list[int],
    planes: int,
    nx: int,
    ny: int,
    tw: int,
    th: int,
    predictors: list[int],
    bases: dict[int, int],
) -> list[int]:
    """Forward prediction: residuals Z (zigzagged) of ``values`` in memory order."""
    tcols, trows = -(-nx // tw), -(-ny // th)
    z = []
    for p in range(planes):
        plane = [values[(p * ny + y) * nx : (p * ny + y + 1) * nx] for y in range(ny)]
        for y in range(ny):
            for x in range(nx):
                tile = (p * trows + y // th) * tcols + x // tw
                pr = predictors[tile]
                if pr == 0:
                    pred = bases[tile]
                elif y == 0:
                    pred = plane[0][x - 1] if x else 0
                else:
                    b = plane[y - 1][x]
                    a = plane[y][x - 1] if x else b
                    c = plane[y - 1][x - 1] if x else b
                    d = plane[y - 1][x + 1] if x < nx - 1 else b
                    if pr == 1:
                        pred = a
                    elif pr == 2:
                        pred = b
                    elif pr == 3:
                        pred = (a + b + 1) >> 1
                    elif pr == 4:
                        pred = (a + b + c + d + 2) >> 2
                    elif c >= max(a, b):
                        pred = min(a, b)
                    elif c <= min(a, b):
                        pred = max(a, b)
                    else:
                        pred = a + b - c
                z.append(zigzag(plane[y][x] - pred))
    return z


def encode_chunk(
    codes: list[int],
    *,
    nx: int,
    ny: int,
    tw: int,
    th: int,
    seg: int,
    rng: random.Random,
    mode: int = 0,
    itemsize: int = 2,
    params: tuple[float, float, float, float] | None = None,
    crc: bool = True,
) -> bytes:
    """Spec-following PMCS encoder with random predictors, bases, segment modes and k."""
    n = len(codes)
    planes = n // (nx * ny)
    ntiles = planes * -(-ny // th) * -(-nx // tw)
    predictors = [rng.randrange(6) for _ in range(ntiles)]
    bases = {t: rng.randrange(65536 if itemsize == 2 else 256) for t in range(ntiles) if predictors[t] == 0}
    z = predict(codes, planes, nx, ny, tw, th, predictors, bases)
    body = pmcs_header(
        mode=mode, itemsize=itemsize, flags=int(crc), n=n, nx=nx, ny=ny, tw=tw, th=th, seg=seg, params=params
    )
    body += nibbles(predictors) + b"".join(u16(bases[t]) for t in sorted(bases))
    for start in range(0, n, seg):
        values = z[start : start + seg]
        choice = rng.random()
        if len(set(values)) == 1 and choice < 0.5:
            segment = bytes([1]) + u16(values[0])
        elif choice < 0.2:
            segment = bytes([2]) + b"".join(u16(v) for v in values)
        else:
            segment = huffman_segment(values, rng.randrange(16), rng)
        body += segment_entry(segment)
    return with_crc(body) if crc else body


# --------------------------------------------------------------------------------------------------
# CRC-32C


def test_crc32c_check_value() -> None:
    assert ref.crc32c(b"123456789") == 0xE3069283
    assert ref.crc32c(b"") == 0


# --------------------------------------------------------------------------------------------------
# Hand-built PMCS streams


def test_constant_segment_with_none_predictor() -> None:
    # 2x2 uint8, all 7, one tile with predictor NONE and base 5: every residual is 2, zigzag 4.
    body = pmcs_header(n=4, nx=2, ny=2) + bytes([0x00]) + u16(5) + segment_entry(bytes([1, 4, 0]))
    values, header = ref.decode_pmcs(with_crc(body))
    assert values.dtype == np.uint8
    assert values.tolist() == [7, 7, 7, 7]
    assert header == {
        "version": 1, "mode": 0, "itemsize": 1, "flags": 1,
        "n": 4, "nx": 2, "ny": 2, "tw": 32, "th": 32, "seg": 262144,
    }  # fmt: skip


def test_raw_segment_with_up_predictor() -> None:
    # [[5, 2], [3, 9]] with UP: row 0 predicts left (0 at x=0), row 1 predicts the pixel above.
    # Residuals 5, -3, -2, 7 -> zigzag 10, 5, 3, 14.
    segment = bytes([2]) + u16(10) + u16(5) + u16(3) + u16(14)
    body = pmcs_header(n=4, nx=2, ny=2, flags=0) + bytes([0x02]) + segment_entry(segment)
    values, header = ref.decode_pmcs(body)
    assert values.tolist() == [5, 2, 3, 9]
    assert header["flags"] == 0


def test_huffman_segment_assembled_bit_by_bit() -> None:
    # [[10, 12], [11, 13]] with LEFT: residuals 10, 2, 1, 2 -> z = 20, 4, 2, 4; one value per stream.
    # k = 0; lengths: symbol 4 -> 1, symbols 2 and 20 -> 2 (complete: 1/2 + 1/4 + 1/4).
    # Canonical codes: 4 -> "0", 2 -> "10", 20 -> "11".
    lengths = bytes([0x00, 0x02, 0x01, 0, 0, 0, 0, 0, 0, 0, 0x02])  # nlen = 21 symbols, 11 bytes
    streams = []
    for code in ("11", "0", "10", "0"):  # z = 20, 4, 2, 4
        writer = BitWriter()
        for bit in code:
            writer.number(int(bit), 1)
        streams.append(writer.getvalue())
    assert streams == [b"\x03", b"\x00", b"\x01", b"\x00"]
    segment = bytes([0, 0, 21]) + lengths + u32(1) + u32(1) + u32(1) + b"\x03\x00\x01\x00"
    assert segment == huffman_segment([20, 4, 2, 4], 0, random.Random(0), lengths={4: 1, 2: 2, 20: 2})
    body = pmcs_header(n=4, nx=2, ny=2) + bytes([0x01]) + segment_entry(segment)
    values, _ = ref.decode_pmcs(with_crc(body))
    assert values.tolist() == [10, 12, 11, 13]


def test_huffman_escape_with_k_and_wraparound() -> None:
    # 1-D uint16 [65535, 149] with LEFT: residuals -1 and 150 -> z = 1, 300.
    # k = 1: z=1 is literal 0 with low bit 1; z=300 has hi=150 (8 bits): escape symbol 65, extra 22,
    # w = (22 << 1) | 0 = 44 over nextra + k = 8 bits.
    lengths = bytes([0x01] + [0] * 31 + [0x10])  # symbol 0 -> 1, symbol 65 -> 1; nlen = 66
    stream0 = bytes([0b10])  # code "0", then w = 1
    stream1 = bytes([1 | (44 << 1), 0])  # code "1", then w = 44 over 8 bits: 9 bits in all
    segment = bytes([0, 1, 66]) + lengths + u32(1) + u32(2) + u32(0) + stream0 + stream1
    assert segment == huffman_segment([1, 300], 1, random.Random(0), lengths={0: 1, 65: 1})
    body = pmcs_header(itemsize=2, n=2, nx=2, ny=1, tw=1024, th=1) + bytes([0x01]) + segment_entry(segment)
    values, _ = ref.decode_pmcs(with_crc(body))
    assert values.dtype == np.uint16
    assert values.tolist() == [65535, 149]


def test_largest_escape() -> None:
    # z = 65535 at k = 0: escape of bit length 16 (symbol 73), 15 extra bits.
    segment = huffman_segment([65535, 0, 65535, 0, 7], 0, random.Random(1))
    assert ref.decode_segment(segment, 5) == [65535, 0, 65535, 0, 7]


def test_mode1_quantized_chunk() -> None:
    # gain and step at their maxima: one bin for 0..65534, so ncodes = 2: code 0 -> v = [31889, 31889, 31889,
    # 31890] (see test_quant_tables_hand_example_above_offset), code 1 -> 65535. Two planes of 3x1 with LEFT and all
    # residuals 0 (a constant segment), so every element holds code 0: the phase i mod 4 runs over the whole
    # chunk, across the plane boundary.
    params = (0.0, 1e6, 0.0, 1e3)
    head = pmcs_header(mode=1, itemsize=2, n=6, nx=3, ny=1, params=params)
    values, header = ref.decode_pmcs(with_crc(head + bytes([0x11]) + segment_entry(bytes([1, 0, 0]))))
    assert values.dtype == np.uint16
    assert values.tolist() == [31889, 31889, 31889, 31890, 31889, 31889]
    assert (header["offset"], header["gain"], header["read_noise"], header["step"]) == params
    # Codes 0, 1, 1, 1, 1, 1 (residuals 0, 1 then 0 in plane 0; 1, 0, 0 in plane 1).
    raw = bytes([2]) + u16(0) + u16(2) + u16(0) + u16(2) + u16(0) + u16(0)
    values, _ = ref.decode_pmcs(with_crc(head + bytes([0x11]) + segment_entry(raw)))
    assert values.tolist() == [31889, 65535, 65535, 65535, 65535, 65535]
    # Code 2 >= ncodes.
    raw = bytes([2]) + u16(0) + u16(4) + u16(0) * 4
    with pytest.raises(ValueError, match="ncodes"):
        ref.decode_pmcs(with_crc(head + bytes([0x11]) + segment_entry(raw)))


def test_mode1_uint8_chunk() -> None:
    """Mode 1 with itemsize 1 (huffquant8): codes up to enc[255], values clamped to 255, the rest refused."""
    params = (16.0, 0.5, 0.0, 2.0)  # the code of 255 covers 247..268 and decodes to 257/258: clamped
    enc, dec, _ = ref.quant_tables(*params)
    top = int(enc[255])
    head = pmcs_header(mode=1, itemsize=1, n=4, nx=4, ny=1, params=params)
    raw = bytes([2]) + u16(0) + u16(2 * top) + u16(0) + u16(0)  # one LEFT tile: codes 0, top, top, top
    values, header = ref.decode_pmcs(with_crc(head + bytes([0x01]) + segment_entry(raw)))
    assert values.dtype == np.uint8 and header["itemsize"] == 1
    assert values.tolist() == [int(dec[0, 0]), 255, 255, 255] and int(dec[1, top]) > 255
    raw = bytes([2]) + u16(0) + u16(2 * (top + 1)) + u16(0) + u16(0)
    with pytest.raises(ValueError, match="above enc\\[255\\]"):
        ref.decode_pmcs(with_crc(head + bytes([0x01]) + segment_entry(raw)))


def test_empty_chunk() -> None:
    values, header = ref.decode_pmcs(with_crc(pmcs_header(n=0, nx=1, ny=1)))
    assert values.size == 0 and values.dtype == np.uint8
    assert header["n"] == 0


def test_itemsize1_rejects_values_above_255() -> None:
    # LEFT: 255 then +1 -> 256.
    body = pmcs_header(n=2, nx=2, ny=1) + bytes([0x01]) + segment_entry(bytes([2]) + u16(510) + u16(2))
    with pytest.raises(ValueError, match="uint8"):
        ref.decode_pmcs(with_crc(body))


@pytest.mark.parametrize("seed", range(16))
def test_round_trip_random_chunks(seed: int) -> None:
    rng = random.Random(seed)
    itemsize = rng.choice([1, 2])
    nx, ny, planes = rng.randrange(1, 40), rng.randrange(1, 20), rng.randrange(1, 3)
    n = nx * ny * planes
    top = 256 if itemsize == 1 else 65536
    style = seed % 4
    if style == 0:  # smooth data with noise
        values = [min(top - 1, max(0, int(top / 2 + top / 4 * math.sin(i / 7)) + rng.randrange(-9, 10)))
                  for i in range(n)]  # fmt: skip
    elif style == 1:  # extremes, to exercise big residuals and escapes
        values = [rng.choice([0, top - 1, rng.randrange(top)]) for _ in range(n)]
    elif style == 2:  # uniform noise
        values = [rng.randrange(top) for _ in range(n)]
    else:  # flat data: long runs of equal residuals, so constant segments
        values = [rng.randrange(top)] * n
    stream = encode_chunk(
        values,
        nx=nx,
        ny=ny,
        tw=rng.randrange(1, 12),
        th=rng.randrange(1, 8),
        seg=rng.choice([rng.randrange(1, 9), rng.randrange(1, 2 * n + 2)]),
        rng=rng,
        itemsize=itemsize,
        crc=rng.random() < 0.5,
    )
    decoded, header = ref.decode_pmcs(stream)
    assert decoded.dtype == (np.uint8 if itemsize == 1 else np.uint16)
    assert decoded.tolist() == values
    assert header["n"] == n


def test_round_trip_mode1() -> None:
    rng = random.Random(42)
    params = (100.0, 2.0, 1.5, 0.7)
    enc, dec, _ = ref.quant_tables(*params)
    values = [rng.choice([0, 65535, rng.randrange(90, 600)]) for _ in range(24 * 10)]
    codes = [int(enc[v]) for v in values]
    stream = encode_chunk(codes, nx=24, ny=10, tw=8, th=4, seg=100, rng=rng, mode=1, params=params)
    decoded, _ = ref.decode_pmcs(stream)
    assert decoded.tolist() == [int(dec[i % 4, c]) for i, c in enumerate(codes)]


# --------------------------------------------------------------------------------------------------
# Quantizer tables


def numpy_tables(offset: float, gain: float, read_noise: float, step: float) -> tuple[np.ndarray, np.ndarray]:
    """Vectorised rebuild of the tables (numpy's arithmetic and sqrt are correctly rounded binary64).

    Returns the codes of 0..65535 and the (4, ncodes) reconstruction values.
    """
    x = np.arange(65536, dtype=np.float64)
    v0 = 0.375 + read_noise * read_noise
    e = (x - offset) / gain
    t = np.where(e >= 0, 2.0 * np.sqrt(np.maximum(e + v0, 0.0)), 2.0 * np.sqrt(v0) + e / np.sqrt(v0))
    bins = np.floor(t / step + 0.5)
    new = np.concatenate([[False], bins[1:] != bins[:-1]])
    new[-1] = True
    code = np.cumsum(new)
    lo = np.flatnonzero(np.concatenate([[True], new[1:]])).astype(np.float64)
    hi = np.concatenate([lo[1:] - 1, [65535.0]])
    mid = (lo + hi) / 2.0
    w = (hi - lo) + 1.0
    x0 = offset - gain * v0
    with np.errstate(divide="ignore"):
        r = np.where(mid >= offset, mid - w * w / (12.0 * (mid - x0)), mid)
    v = np.stack([np.clip(np.floor(r + (2.0 * k + 1.0) / 8.0), lo, hi) for k in range(4)])
    return code, v.astype(np.int64)


QUANT_PARAMS = [
    (100.0, 2.0, 1.5, 0.5),
    (0.0, 1.0, 0.0, 1.0),
    (1000.5, 0.37, 3.2, 2.0),
    (-50.0, 10.0, 0.0, 0.1),
    (60000.0, 1.0, 0.0, 0.25),
    (100.0, 1e-6, 0.0, 1e-3),  # the smallest gain and step: one code per ADU value
    (-1e6, 1e6, 1e4, 1e3),  # the other extremes
]


@pytest.mark.parametrize("params", QUANT_PARAMS)
def test_quant_tables_properties(params: tuple[float, float, float, float]) -> None:
    offset, gain, read_noise, _ = params
    enc, dec, ncodes = ref.quant_tables(*params)
    assert enc.dtype == np.uint16 and dec.dtype == np.uint16
    assert enc.shape == (65536,) and dec.shape == (4, 65536)
    codes = enc.astype(np.int64)
    # Dense and monotone, starting at 0.
    assert codes[0] == 0
    assert set(np.diff(codes).tolist()) <= {0, 1}
    assert codes[-1] == ncodes - 1
    # 65535 has its own code and decodes to 65535 at every phase.
    assert codes[65535] != codes[65534]
    assert dec[:, ncodes - 1].tolist() == [65535] * 4
    # Every v[k] lies inside its code's interval, so it re-encodes to the same code.
    lo = np.searchsorted(codes, np.arange(ncodes), side="left")
    hi = np.searchsorted(codes, np.arange(ncodes), side="right") - 1
    decoded = dec[:, :ncodes].astype(np.int64)
    assert np.all((lo <= decoded) & (decoded <= hi))
    for k in range(4):
        assert np.array_equal(codes[decoded[k]], np.arange(ncodes))
    # The dither: v[0] <= v[1] <= v[2] <= v[3] <= v[0] + 1.
    assert np.all(np.diff(decoded, axis=0) >= 0)
    assert np.all(decoded[3] - decoded[0] <= 1)
    # Below the offset r is the midpoint: integer midpoints decode to themselves, half-integers dither 2 + 2.
    mid2 = lo + hi
    below = (mid2 / 2.0 < offset) & (np.arange(ncodes) < ncodes - 1)
    even = below & (mid2 % 2 == 0)
    odd = below & (mid2 % 2 == 1)
    assert np.all(decoded[:, even] == mid2[even] // 2)
    assert np.all(decoded[:2, odd] == mid2[odd] // 2) and np.all(decoded[2:, odd] == mid2[odd] // 2 + 1)
    # Independent vectorised rebuild.
    np_enc, np_dec = numpy_tables(*params)
    assert np.array_equal(codes, np_enc)
    assert np.array_equal(decoded, np_dec)
    # The mean of the four phases is r to 1/8 ADU (where nothing was clamped).
    v0 = 0.375 + read_noise * read_noise
    x0 = offset - gain * v0
    for c in range(0, ncodes - 1, max(1, ncodes // 200)):
        mid = (int(lo[c]) + int(hi[c])) / 2.0
        w = float(hi[c] - lo[c]) + 1.0
        if mid >= offset and mid - x0 > 0:
            r = mid - w * w / (12.0 * (mid - x0))
        elif mid >= offset:
            continue
        else:
            r = mid
        if lo[c] <= math.floor(r + 0.125) and math.floor(r + 0.875) <= hi[c]:
            assert abs(decoded[:, c].mean() - r) <= 0.125


def test_quant_tables_error_bound() -> None:
    offset, gain, read_noise, step = 100.0, 2.0, 1.5, 0.5
    enc, dec, _ = ref.quant_tables(offset, gain, read_noise, step)
    v0 = 0.375 + read_noise**2

    def t(x: float) -> float:
        e = (x - offset) / gain
        return 2.0 * math.sqrt(e + v0) if e >= 0 else 2.0 * math.sqrt(v0) + e / math.sqrt(v0)

    for x in range(0, 65536, 7):
        for k in range(4):
            assert abs(t(int(dec[k, enc[x]])) - t(x)) <= step


def test_quant_tables_hand_example_above_offset() -> None:
    # gain 1e6 and step 1e3: one bin for 0..65534, so codes 0 and 1. Code 0: lo = 0, hi = 65534,
    # mid = 32767 >= offset = 0, w = 65535, x0 = -375000: r = 32767 - 65535^2 / (12 * 407767) = 31889.285...;
    # v = floor(r + 1/8, 3/8, 5/8, 7/8) = [31889, 31889, 31889, 31890].
    enc, dec, ncodes = ref.quant_tables(0.0, 1e6, 0.0, 1e3)
    assert ncodes == 2
    assert enc[:65535].max() == 0 and enc[65535] == 1
    assert dec[:, 0].tolist() == [31889, 31889, 31889, 31890]
    assert dec[:, 1].tolist() == [65535] * 4


def test_quant_tables_hand_example_below_offset() -> None:
    # Everything below the offset, one bin for 0..65534: r = mid = 32767, no dither.
    enc, dec, ncodes = ref.quant_tables(1e6, 1e6, 0.0, 1e3)
    assert ncodes == 2
    assert dec[:, 0].tolist() == [32767] * 4
    # Each value its own code below the offset: every code decodes to its value.
    enc, dec, ncodes = ref.quant_tables(70000.0, 1.0, 0.0, 1e-3)
    assert ncodes == 65536
    assert np.array_equal(enc, np.arange(65536))
    assert all(np.array_equal(dec[k], np.arange(65536)) for k in range(4))


@pytest.mark.parametrize(
    "params",
    [
        (0.0, 0.0, 1.0, 1.0),
        (0.0, -1.0, 1.0, 1.0),
        (0.0, 1.0, -0.1, 1.0),
        (0.0, 1.0, 1.0, 0.0),
        (math.nan, 1.0, 1.0, 1.0),
        (math.inf, 1.0, 1.0, 1.0),
        (0.0, math.inf, 1.0, 1.0),
        (0.0, 1.0, math.nan, 1.0),
        (0.0, 1.0, 1.0, math.inf),
        (100.0, 1e-20, 0.0, 1.0),
        (0.0, 1.0, 0.0, 1e9),
        (2e6, 1.0, 0.0, 1.0),
        (0.0, 1.0, 2e4, 1.0),
    ],
)
def test_quant_tables_reject_bad_parameters(params: tuple[float, float, float, float]) -> None:
    with pytest.raises(ValueError):
        ref.quant_tables(*params)
    body = pmcs_header(mode=1, itemsize=2, n=0, nx=1, ny=1, params=params)
    with pytest.raises(ValueError):
        ref.decode_pmcs(with_crc(body))


# --------------------------------------------------------------------------------------------------
# Malformed PMCS streams


VALID_VALUES = [1, 5, 9, 2, 6, 10, 3, 7, 11, 4, 8, 12]


def valid_body(crc: bool = False) -> bytes:
    """A small valid chunk (2 planes of 3x2, seg 5, random predictors and segment modes)."""
    return encode_chunk(VALID_VALUES, nx=3, ny=2, tw=2, th=1, seg=5, rng=random.Random(3), crc=crc)


def test_valid_body_decodes() -> None:
    assert ref.decode_pmcs(valid_body())[0].tolist() == VALID_VALUES
    assert ref.decode_pmcs(valid_body(crc=True))[0].tolist() == VALID_VALUES


def test_every_truncation_is_rejected() -> None:
    for body in (valid_body(), valid_body(crc=True)):
        for size in range(len(body)):
            with pytest.raises(ValueError):
                ref.decode_pmcs(body[:size])


def test_bad_crc_and_trailing_bytes() -> None:
    for index in range(len(valid_body(crc=True))):
        stream = bytearray(valid_body(crc=True))
        stream[index] ^= 0x10
        with pytest.raises(ValueError):
            ref.decode_pmcs(bytes(stream))
    stream = bytearray(valid_body(crc=True))
    stream[40] ^= 0x10
    with pytest.raises(ValueError, match="CRC"):
        ref.decode_pmcs(bytes(stream))
    with pytest.raises(ValueError, match="CRC"):
        ref.decode_pmcs(valid_body(crc=True) + b"\x00")
    stream = valid_body(crc=True)
    with pytest.raises(ValueError, match="after the last segment"):
        ref.decode_pmcs(with_crc(stream[:-4] + b"\x00"))
    with pytest.raises(ValueError, match="after the last segment"):
        ref.decode_pmcs(valid_body() + b"\x00")


SEG_RAW4 = segment_entry(bytes([2]) + u16(2) * 4)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (pmcs_header(n=4, nx=2, ny=2, magic=b"PMCN") + b"\x01" + SEG_RAW4, "magic"),
        (pmcs_header(n=4, nx=2, ny=2, version=2) + b"\x01" + SEG_RAW4, "version"),
        (pmcs_header(n=4, nx=2, ny=2, mode=2) + b"\x01" + SEG_RAW4, "mode"),
        (pmcs_header(n=4, nx=2, ny=2, itemsize=4) + b"\x01" + SEG_RAW4, "itemsize"),
        (pmcs_header(n=4, nx=2, ny=2, flags=3) + b"\x01" + SEG_RAW4, "flag"),
        (pmcs_header(n=4, nx=0, ny=2) + b"\x01" + SEG_RAW4, ">= 1"),
        (pmcs_header(n=4, nx=2, ny=2, tw=0) + b"\x01" + SEG_RAW4, ">= 1"),
        (pmcs_header(n=4, nx=2, ny=2, th=0) + b"\x01" + SEG_RAW4, ">= 1"),
        (pmcs_header(n=4, nx=2, ny=2, seg=0) + b"\x01" + SEG_RAW4, "seg"),
        (pmcs_header(n=4, nx=2, ny=2, seg=1048577) + b"\x01" + SEG_RAW4, "seg"),
        (pmcs_header(n=4, nx=3, ny=1) + b"\x01" + SEG_RAW4, "multiple"),
        (pmcs_header(n=4, nx=2, ny=2) + b"\x06" + SEG_RAW4, "predictor"),
        # 3 tiles (odd): the high nibble of the second byte must be 0.
        (pmcs_header(n=3, nx=3, ny=1, tw=1, th=1) + b"\x11\x11" + segment_entry(bytes([1, 0, 0])), "nibble"),
        (pmcs_header(n=4, nx=2, ny=2) + b"\x01" + segment_entry(bytes([1, 0])), "constant"),
        (pmcs_header(n=4, nx=2, ny=2) + b"\x01" + segment_entry(bytes([1, 0, 0, 0])), "constant"),
        (pmcs_header(n=4, nx=2, ny=2) + b"\x01" + segment_entry(bytes([2]) + u16(0) * 3), "raw"),
        (pmcs_header(n=4, nx=2, ny=2) + b"\x01" + segment_entry(bytes([3, 0, 0])), "mode"),
        (pmcs_header(n=4, nx=2, ny=2) + b"\x01" + segment_entry(b""), "length 0"),
    ],
)
def test_malformed_headers_and_segments(body: bytes, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        ref.decode_pmcs(with_crc(body))


# Huffman segments for the 4 values z = 20, 4, 2, 4 (see test_huffman_segment_assembled_bit_by_bit).
HUFF_LENGTHS = bytes([0x00, 0x02, 0x01, 0, 0, 0, 0, 0, 0, 0, 0x02])
HUFF_STREAMS = b"\x03\x00\x01\x00"


def huff(
    k: int = 0,
    nlen: int = 21,
    lengths: bytes = HUFF_LENGTHS,
    sizes: tuple[int, int, int] = (1, 1, 1),
    streams: bytes = HUFF_STREAMS,
) -> bytes:
    return bytes([0, k, nlen]) + lengths + b"".join(u32(s) for s in sizes) + streams


@pytest.mark.parametrize(
    ("segment", "message"),
    [
        (huff(k=16), "k 16"),
        (huff(nlen=0, lengths=b""), "nlen"),
        (huff(nlen=75, lengths=bytes(38)), "nlen"),
        (huff(lengths=HUFF_LENGTHS[:-1] + b"\x12"), "high nibble"),  # nlen 21 odd: nibble of symbol 21 set
        (huff(lengths=bytes([0x00, 0x02, 0x0C, 0, 0, 0, 0, 0, 0, 0, 0x02])), "length 12"),
        (huff(lengths=bytes([0x00, 0x02, 0x02, 0, 0, 0, 0, 0, 0, 0, 0x02])), "not complete"),  # 3 x 1/4
        (huff(lengths=bytes([0x00, 0x01, 0x01, 0, 0, 0, 0, 0, 0, 0, 0x02])), "not complete"),  # over-full
        (huff(lengths=bytes([0x00, 0x00, 0x01, 0, 0, 0, 0, 0, 0, 0, 0x00])), "two symbols"),
        # k = 12: only literals 0..15 are possible, so symbol 20 must have length 0.
        (huff(k=12), "impossible"),
        (huff(sizes=(1, 1, 3)), "exceed"),
        (huff(streams=b"\x03\x00\x01"), "more bits"),  # stream 3 is left empty
        (huff(sizes=(2, 1, 1), streams=b"\x03\x00\x00\x01\x00"), "unused byte"),
        (huff(streams=b"\x07\x00\x01\x00"), "padding"),
        (huff(streams=b"\x03\x00\x01\x00\x00"), "unused byte"),  # stream 3 has 2 bytes
        (huff(sizes=(1, 1, 0), streams=b"\x03\x00\x01"), "more bits"),  # stream 2 empty, stream 3 = b"\x01"
    ],
)
def test_malformed_huffman_segments(segment: bytes, message: str) -> None:
    assert ref.decode_segment(huff(), 4) == [20, 4, 2, 4]
    with pytest.raises(ValueError, match=message):
        ref.decode_segment(segment, 4)
    body = pmcs_header(n=4, nx=2, ny=2) + b"\x01" + segment_entry(segment)
    with pytest.raises(ValueError, match=message):
        ref.decode_pmcs(with_crc(body))


def test_huffman_empty_streams_must_have_size_zero() -> None:
    # One value: streams 1..3 carry nothing; a byte in stream 3 is a whole unused byte.
    segment = huffman_segment([5], 0, random.Random(0))
    assert ref.decode_segment(segment, 1) == [5]
    with pytest.raises(ValueError, match="unused byte"):
        ref.decode_segment(segment + b"\x00", 1)


# --------------------------------------------------------------------------------------------------
# PMCN


def pmcn(itemsize: int, nbits: int, n: int, payload: bytes, flags: int = 0, magic: bytes = b"PMCN") -> bytes:
    return magic + bytes([1, itemsize, nbits, flags]) + struct.pack("<Q", n) + payload


def test_pmcn_hand_example() -> None:
    # 3-bit values 1, 2, 3, 4, 5: bits 0, 4, 6, 7 | 11, 12, 14 -> 0xD1, 0x58 (15 bits, 1 zero padding bit).
    values = ref.decode_pmcn(pmcn(1, 3, 5, b"\xd1\x58"))
    assert values.dtype == np.uint8
    assert values.tolist() == [1, 2, 3, 4, 5]
    values16 = ref.decode_pmcn(pmcn(2, 16, 2, b"\x34\x12\xff\xff"))
    assert values16.dtype == np.uint16
    assert values16.tolist() == [0x1234, 0xFFFF]
    assert ref.decode_pmcn(pmcn(2, 12, 0, b"")).tolist() == []


@pytest.mark.parametrize("seed", range(6))
def test_pmcn_round_trip(seed: int) -> None:
    rng = random.Random(seed)
    itemsize = rng.choice([1, 2])
    nbits = rng.randrange(1, 8 * itemsize + 1)
    values = [rng.randrange(1 << nbits) for _ in range(rng.randrange(0, 50))]
    writer = BitWriter()
    for v in values:
        writer.number(v, nbits)
    decoded = ref.decode_pmcn(pmcn(itemsize, nbits, len(values), writer.getvalue()))
    assert decoded.tolist() == values


@pytest.mark.parametrize(
    ("stream", "message"),
    [
        (pmcn(1, 3, 5, b"\xd1\x58", magic=b"PMCS"), "magic"),
        (pmcn(1, 3, 5, b"\xd1\xd8"), "padding"),
        (pmcn(1, 3, 5, b"\xd1"), "payload"),
        (pmcn(1, 3, 5, b"\xd1\x58\x00"), "payload"),
        (pmcn(1, 0, 5, b""), "nbits"),
        (pmcn(1, 9, 5, b"\x00" * 6), "nbits"),
        (pmcn(2, 17, 1, b"\x00" * 3), "nbits"),
        (pmcn(3, 3, 5, b"\xd1\x58"), "itemsize"),
        (pmcn(1, 3, 5, b"\xd1\x58", flags=1), "flags"),
        (b"PMCN\x02\x01\x03\x00" + struct.pack("<Q", 5) + b"\xd1\x58", "version"),
        (b"PMCN\x01\x01\x03\x00\x05", "truncated"),
    ],
)
def test_pmcn_malformed(stream: bytes, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        ref.decode_pmcn(stream)
