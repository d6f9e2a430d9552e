"""Independent reference decoder for the pymecompress stream formats.

Written from ``docs/FORMAT.md`` alone (no look at the C sources or the ``pymecompress`` modules), to show
that the specification is complete enough for an independent implementer. It favours clarity over speed:
every value is handled with plain Python ints, and numpy is only used to hand the result back.

Public functions:

- :func:`decode_pmcs` decodes a ``PMCS`` chunk container (modes 0 and 1, versions 1 and 2);
- :func:`quant_tables` rebuilds the quantizer encode/decode tables;
- :func:`dither_tables` rebuilds the dithered quantizer's fine index and decode table (version 2), and
  :func:`dither_phases`, :func:`dither_encode` its phases and codes;
- :func:`decode_pmcn` decodes a ``PMCN`` n-bit packed stream;
- :func:`crc32c` computes the CRC-32C used by the ``PMCS`` trailer.

Every violation of a "must" rule of the specification raises :class:`ValueError`. Rules that the
specification states only in a table's "rule" column (magic, version, mode, itemsize, ``seg`` range, ``k``
and ``nlen`` ranges) are enforced as "must" rules too.
"""

from __future__ import annotations

import math
import struct

import numpy as np

__all__ = ["crc32c", "decode_pmcn", "decode_pmcs", "dither_encode", "dither_phases", "dither_tables", "quant_tables"]

PMCS_MAGIC = b"PMCS"
PMCN_MAGIC = b"PMCN"
FORMAT_VERSIONS = (1, 2)  # PMCS
PMCN_VERSION = 1

HEADER_SIZE_MODE0 = 32
HEADER_SIZE_MODE1 = 64
HEADER_SIZE_VERSION2 = 72
MAX_SEG = 1048576

NUM_PREDICTORS = 6  # 0 NONE, 1 LEFT, 2 UP, 3 AVG2, 4 AVG4, 5 MED
PRED_NONE, PRED_LEFT, PRED_UP, PRED_AVG2, PRED_AVG4, PRED_MED = range(NUM_PREDICTORS)

SEG_HUFFMAN, SEG_CONSTANT, SEG_RAW = 0, 1, 2
NUM_SYMBOLS = 74  # 64 literals + 10 escapes (bit lengths 7..16)
NUM_LITERALS = 64
MAX_CODE_LENGTH = 11
MAX_K = 15

# Every segment needs at least its u32 length: checked up front, so that a huge ``n`` in a short (truncated)
# stream is rejected before anything is allocated.
MIN_SEGMENT_BYTES = 4


# --------------------------------------------------------------------------------------------------
# CRC-32C


def _make_crc32c_table() -> list[int]:
    """Byte-wise lookup table of the reflected CRC-32C (Castagnoli) polynomial 0x82F63B78."""
    table = []
    for byte in range(256):
        crc = byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0x82F63B78 if crc & 1 else crc >> 1
        table.append(crc)
    return table


_CRC32C_TABLE = _make_crc32c_table()


def crc32c(data: bytes) -> int:
    """CRC-32C (reflected polynomial 0x82F63B78, initial value and final xor 0xFFFFFFFF) of ``data``."""
    crc = 0xFFFFFFFF
    for byte in bytes(data):
        crc = (crc >> 8) ^ _CRC32C_TABLE[(crc ^ byte) & 0xFF]
    return crc ^ 0xFFFFFFFF


# --------------------------------------------------------------------------------------------------
# Byte and bit readers


class _ByteReader:
    """Sequential little-endian reader over a byte string that rejects reads past its end."""

    def __init__(self, data: bytes, pos: int = 0) -> None:
        self.data = data
        self.pos = pos

    def remaining(self) -> int:
        return len(self.data) - self.pos

    def take(self, size: int, what: str) -> bytes:
        if size < 0 or size > self.remaining():
            raise ValueError(f"truncated stream: {what} needs {size} bytes, {self.remaining()} left")
        chunk = self.data[self.pos : self.pos + size]
        self.pos += size
        return chunk

    def u8(self, what: str) -> int:
        return self.take(1, what)[0]

    def u16(self, what: str) -> int:
        return int.from_bytes(self.take(2, what), "little")

    def u32(self, what: str) -> int:
        return int.from_bytes(self.take(4, what), "little")

    def u64(self, what: str) -> int:
        return int.from_bytes(self.take(8, what), "little")

    def f64(self, what: str) -> float:
        return struct.unpack("<d", self.take(8, what))[0]


class _BitReader:
    """LSB-first bit reader: bit ``j`` of the stream is bit ``j mod 8`` of byte ``j div 8``."""

    def __init__(self, data: bytes, stream_index: int) -> None:
        self.data = data
        self.nbits = 8 * len(data)
        self.pos = 0
        self.stream_index = stream_index

    def read(self, count: int) -> int:
        """Read a ``count``-bit number stored least-significant bit first."""
        if count == 0:
            return 0
        end = self.pos + count
        if end > self.nbits:
            raise ValueError(f"bit stream {self.stream_index}: values need more bits than the stream has")
        first_byte = self.pos >> 3
        last_byte = (end - 1) >> 3
        window = int.from_bytes(self.data[first_byte : last_byte + 1], "little")
        value = (window >> (self.pos & 7)) & ((1 << count) - 1)
        self.pos = end
        return value

    def check_end(self) -> None:
        """After the last value: no whole unused byte and zero padding bits."""
        used_bytes = (self.pos + 7) // 8
        if len(self.data) > used_bytes:
            unused = len(self.data) - used_bytes
            raise ValueError(f"bit stream {self.stream_index}: {unused} unused byte(s) after the last value")
        if self.pos & 7 and self.data[-1] >> (self.pos & 7):
            raise ValueError(f"bit stream {self.stream_index}: nonzero padding bits")


# --------------------------------------------------------------------------------------------------
# Entropy-coded segments


def _symbol_is_possible(symbol: int, k: int) -> bool:
    """Whether the largest value of ``symbol`` fits 16 bits for the given ``k``."""
    if symbol < NUM_LITERALS:
        return symbol < (1 << (16 - k))
    bit_length = symbol - NUM_LITERALS + 7
    return bit_length <= 16 - k


def _canonical_codes(lengths: list[int]) -> dict[tuple[int, int], int]:
    """Map ``(code length, code)`` to symbol for the canonical code of ``lengths``."""
    present = sorted((length, symbol) for symbol, length in enumerate(lengths) if length)
    codes: dict[tuple[int, int], int] = {}
    code = 0
    previous_length = present[0][0]
    for index, (length, symbol) in enumerate(present):
        if index > 0:
            code = (code + 1) << (length - previous_length)
        codes[(length, code)] = symbol
        previous_length = length
    return codes


def _read_code_lengths(reader: _ByteReader, k: int) -> list[int]:
    """Read and validate the nibble code-length table of a Huffman segment."""
    nlen = reader.u8("nlen")
    if not 1 <= nlen <= NUM_SYMBOLS:
        raise ValueError(f"Huffman segment: nlen {nlen} outside 1..{NUM_SYMBOLS}")
    table = reader.take((nlen + 1) // 2, "code-length table")
    lengths = [0] * NUM_SYMBOLS
    for symbol in range(nlen):
        lengths[symbol] = (table[symbol >> 1] >> (4 * (symbol & 1))) & 0xF
    if nlen & 1 and table[-1] >> 4:
        raise ValueError("Huffman segment: unused high nibble of the code-length table is not 0")
    for symbol, length in enumerate(lengths):
        if length > MAX_CODE_LENGTH:
            raise ValueError(f"Huffman segment: symbol {symbol} has code length {length} > {MAX_CODE_LENGTH}")
        if length and not _symbol_is_possible(symbol, k):
            raise ValueError(f"Huffman segment: symbol {symbol} is impossible for k={k} but has a code")
    if sum(1 for length in lengths if length) < 2:
        raise ValueError("Huffman segment: fewer than two symbols have a code")
    kraft = sum(1 << (MAX_CODE_LENGTH - length) for length in lengths if length)
    if kraft != 1 << MAX_CODE_LENGTH:
        raise ValueError(f"Huffman segment: code is not complete (Kraft sum {kraft}/{1 << MAX_CODE_LENGTH})")
    return lengths


def _decode_bit_stream(
    reader: _BitReader, count: int, k: int, codes: dict[tuple[int, int], int]
) -> list[int]:
    """Decode ``count`` z values from one bit stream."""
    values = []
    for _ in range(count):
        # Huffman code, most-significant code bit first.
        code = 0
        length = 0
        while True:
            code = (code << 1) | reader.read(1)
            length += 1
            symbol = codes.get((length, code))
            if symbol is not None:
                break
            if length >= MAX_CODE_LENGTH:  # cannot happen with a complete code, kept as a safety net
                raise ValueError(f"bit stream {reader.stream_index}: invalid Huffman code")
        if symbol < NUM_LITERALS:
            base, nextra = symbol, 0
        else:
            bit_length = symbol - NUM_LITERALS + 7
            base, nextra = 1 << (bit_length - 1), bit_length - 1
        w = reader.read(nextra + k)
        values.append((base << k) + w)
    reader.check_end()
    return values


def _decode_huffman_segment(segment: bytes, n: int) -> list[int]:
    """Decode a Huffman-mode segment (mode byte 0) holding ``n`` z values."""
    reader = _ByteReader(segment, 1)
    k = reader.u8("k")
    if k > MAX_K:
        raise ValueError(f"Huffman segment: k {k} outside 0..{MAX_K}")
    lengths = _read_code_lengths(reader, k)
    codes = _canonical_codes(lengths)
    sizes = [reader.u32("bit stream size") for _ in range(3)]
    size3 = reader.remaining() - sum(sizes)
    if size3 < 0:
        raise ValueError(f"Huffman segment: bit stream sizes {sizes} exceed the segment length")
    sizes.append(size3)

    q = (n + 3) // 4
    values: list[int] = []
    for index, size in enumerate(sizes):
        count = max(0, min(n, (index + 1) * q) - index * q)
        stream = reader.take(size, f"bit stream {index}")
        values.extend(_decode_bit_stream(_BitReader(stream, index), count, k, codes))
    return values


def decode_segment(segment: bytes, n: int) -> list[int]:
    """Decode one entropy-coded segment of known byte length holding ``n >= 1`` z values."""
    if not segment:
        raise ValueError("entropy segment of length 0 (no mode byte)")
    mode = segment[0]
    if mode == SEG_CONSTANT:
        if len(segment) != 3:
            raise ValueError(f"constant segment of {len(segment)} bytes instead of 3")
        return [int.from_bytes(segment[1:3], "little")] * n
    if mode == SEG_RAW:
        if len(segment) != 1 + 2 * n:
            raise ValueError(f"raw segment of {len(segment)} bytes instead of {1 + 2 * n}")
        return list(struct.unpack(f"<{n}H", segment[1:]))
    if mode == SEG_HUFFMAN:
        return _decode_huffman_segment(segment, n)
    raise ValueError(f"unknown entropy segment mode {mode}")


# --------------------------------------------------------------------------------------------------
# Prediction


def _unzigzag(z: int) -> int:
    """Inverse of zigzag: 0, 1, 2, 3, ... -> 0, -1, 1, -2, ..."""
    return z >> 1 if z & 1 == 0 else -((z + 1) >> 1)


def _predict(predictor: int, a: int, b: int, c: int, d: int) -> int:
    """Prediction of a pixel in rows ``y >= 1`` for the predictors other than NONE."""
    if predictor == PRED_LEFT:
        return a
    if predictor == PRED_UP:
        return b
    if predictor == PRED_AVG2:
        return (a + b + 1) >> 1
    if predictor == PRED_AVG4:
        return (a + b + c + d + 2) >> 2
    # PRED_MED
    if c >= max(a, b):
        return min(a, b)
    if c <= min(a, b):
        return max(a, b)
    return a + b - c


def _unpredict(
    z: list[int],
    planes: int,
    nx: int,
    ny: int,
    tw: int,
    th: int,
    predictors: list[int],
    bases: dict[int, int],
) -> list[int]:
    """Undo the prediction plane by plane, turning the residuals ``z`` (memory order) into codes."""
    tile_cols = -(-nx // tw)
    tile_rows = -(-ny // th)
    tile_col_of_x = [x // tw for x in range(nx)] if planes else []
    codes = [0] * len(z)
    for plane in range(planes):
        previous_row: list[int] = []
        for y in range(ny):
            first_tile = (plane * tile_rows + y // th) * tile_cols
            offset = (plane * ny + y) * nx
            row = [0] * nx
            for x in range(nx):
                tile = first_tile + tile_col_of_x[x]
                predictor = predictors[tile]
                if predictor == PRED_NONE:
                    prediction = bases[tile]
                elif y == 0:
                    prediction = row[x - 1] if x > 0 else 0
                else:
                    b = previous_row[x]
                    a = row[x - 1] if x > 0 else b
                    c = previous_row[x - 1] if x > 0 else b
                    d = previous_row[x + 1] if x < nx - 1 else b
                    prediction = _predict(predictor, a, b, c, d)
                row[x] = (prediction + _unzigzag(z[offset + x])) & 0xFFFF
            codes[offset : offset + nx] = row
            previous_row = row
    return codes


# --------------------------------------------------------------------------------------------------
# Quantizer tables


def _check_quant_params(offset: float, gain: float, read_noise: float, step: float) -> None:
    """The parameter ranges of FORMAT.md, "Quantizer tables" (NaN fails every comparison)."""
    limits = {"offset": (offset, -1e6, 1e6), "gain": (gain, 1e-6, 1e6), "read_noise": (read_noise, 0.0, 1e4),
              "step": (step, 1e-3, 1e3)}
    for name, (value, low, high) in limits.items():
        if not low <= value <= high:
            raise ValueError(f"quantizer parameter {name} = {value!r} is outside {low:g}..{high:g}")


def _floor_bin(value: float) -> float:
    """``floor`` kept in the float domain (bins are compared as binary64 values)."""
    return float(math.floor(value))


def _reconstruction_points(lo: int, hi: int, offset: float, x0: float) -> list[int]:
    """The four dithered reconstruction values ``v[0..3]`` of the code whose ADU interval is ``[lo, hi]``."""
    mid = (lo + hi) / 2.0
    if mid >= offset:
        w = (hi - lo) + 1.0
        r = mid - w * w / (12.0 * (mid - x0))  # the parameter ranges keep mid - x0 > 0
    else:
        r = mid
    values = []
    for k in range(4):
        floored = math.floor(r + (2.0 * k + 1.0) / 8.0)
        values.append(int(min(max(floored, lo), hi)))
    return values


def quant_tables(
    offset: float, gain: float, read_noise: float, step: float
) -> tuple[np.ndarray, np.ndarray, int]:
    """Rebuild the quantizer tables exactly as FORMAT.md specifies (binary64, correctly rounded sqrt).

    Returns ``(enc, dec, ncodes)``: ``enc`` is a uint16 array of 65536 entries, ``enc[x]`` the code of ADU
    value ``x``; ``dec`` is a uint16 array of shape ``(4, 65536)``, ``dec[k, c]`` (for ``c < ncodes``) the
    value ``v[k]`` that code ``c`` decodes to at an element whose index ``i`` has ``i mod 4 == k`` (entries
    beyond ``ncodes`` are 0).
    """
    offset, gain, read_noise, step = float(offset), float(gain), float(read_noise), float(step)
    _check_quant_params(offset, gain, read_noise, step)
    v0 = 0.375 + read_noise * read_noise
    sv0 = math.sqrt(v0)

    enc = [0] * 65536
    code = 0
    previous_bin = 0.0
    for x in range(65536):
        e = (float(x) - offset) / gain
        t = 2.0 * math.sqrt(e + v0) if e >= 0 else 2.0 * sv0 + e / sv0
        current_bin = _floor_bin(t / step + 0.5)
        if x > 0 and (current_bin != previous_bin or x == 65535):
            code += 1
        enc[x] = code
        previous_bin = current_bin
    ncodes = code + 1

    lo = [0] * ncodes
    hi = [0] * ncodes
    for x in range(65536):
        c = enc[x]
        if x == 0 or c != enc[x - 1]:
            lo[c] = x
        hi[c] = x
    x0 = offset - gain * v0
    dec = np.zeros((4, 65536), dtype=np.uint16)
    for c in range(ncodes):
        dec[:, c] = _reconstruction_points(lo[c], hi[c], offset, x0)
    return np.array(enc, dtype=np.uint16), dec, ncodes


# --------------------------------------------------------------------------------------------------
# Dithered quantizer (version 2)

PHASES = 32
ANCHORS = 1024
DITHER_SEED = 0x6A09E667
MASK32 = 0xFFFFFFFF


def _mix(v: int) -> int:
    """The 32-bit mixing function of "Phases"."""
    v ^= v >> 16
    v = (v * 0x21F0AAAD) & MASK32
    v ^= v >> 15
    v = (v * 0x735A2D97) & MASK32
    v ^= v >> 15
    return v


def dither_tables(offset: float, gain: float, read_noise: float, step: float,
                  saturation: int) -> tuple[list[int], list[int]]:
    """``(F, V)`` of "Dithered quantizer": the fine index of every value 0..65535 and the decode table, ``V[G + 31]``
    the value window ``G`` (``-31 .. F[S]``) decodes to."""
    offset, gain, read_noise, step = float(offset), float(gain), float(read_noise), float(step)
    _check_quant_params(offset, gain, read_noise, step)
    S = int(saturation)
    if not 1 <= S <= 65535:
        raise ValueError(f"saturation {S} outside 1..65535")
    v0 = 0.375 + read_noise * read_noise
    sv0 = math.sqrt(v0)
    R = []
    for x in range(S + 1):
        e = (float(x) - offset) / gain
        t = 2.0 * math.sqrt(e + v0) if e >= 0 else 2.0 * sv0 + e / sv0
        R.append(float(math.floor(32.0 * t / step + 0.5)))
    F = [0] * 65536
    for x in range(1, S + 1):
        c = R[x] - R[x - 1]
        F[x] = F[x - 1] + (32 if x == 1 or x == S or c > 32 else int(c))
    for x in range(S + 1, 65536):
        F[x] = F[S]

    nwin = F[S] + PHASES
    lo, hi, V = [0] * nwin, [0] * nwin, [0] * nwin
    tk = 2.0 * sv0
    a = b = 0
    for w in range(nwin):
        G = w - (PHASES - 1)
        while F[a] < G:
            a += 1
        while b < S and F[b + 1] <= G + PHASES - 1:
            b += 1
        lo[w], hi[w] = a, b
        if b - a < 2:
            V[w] = a  # rule 1 (and the starting value of rule 3's windows)
            continue
        # rule 2
        D = float(F[a]) - (R[a] - R[0])
        u = float(G) - D
        u = u + R[0]
        u = u + 15.5
        tc = u * step / 32.0
        if tc >= tk:
            h = tc / 2.0
            e = h * h - v0
        else:
            e = sv0 * (tc - tk)
        r = (tc - (tk - step / 2.0)) / step
        r = min(max(r, 0.0), 1.0)
        y = offset + gain * e - r * (gain * step * step / 48.0)
        V[w] = int(min(max(math.floor(y + 0.5), a), b))
    # rule 3
    w_prev = u_prev = 0
    for x in range(S + 1):
        E = 0
        pairs = []
        for w in range(F[x], F[x] + PHASES):  # the windows G = F[x] - 31 .. F[x] hold x
            if hi[w] - lo[w] >= 2:
                E += V[w] - x
            elif hi[w] - lo[w] == 1 and lo[w] == x:
                pairs.append(w)
        U = min(max(w_prev - u_prev - E, 0), len(pairs))
        for j, w in enumerate(pairs):
            V[w] = x + 1 if j >= len(pairs) - U else x
        w_prev, u_prev = len(pairs), U
    return F, V


def dither_phases(codes: list[int]) -> list[int]:
    """The phase of every element of a chunk whose codes are ``codes`` (memory order), as "Phases" specifies."""
    s = DITHER_SEED
    out = []
    for i, q in enumerate(codes):
        out.append(_mix(s ^ (i & MASK32)) >> 27)
        if i < ANCHORS:
            s = _mix(s ^ ((i << 16) | q))
    return out


def dither_encode(values, F: list[int]) -> list[int]:
    """The codes of a chunk of values (memory order) under fine index ``F`` ("Encoding and decoding")."""
    s = DITHER_SEED
    codes = []
    for i, x in enumerate(int(v) for v in values):
        k = _mix(s ^ (i & MASK32)) >> 27
        q = (F[x] + k) >> 5
        if i < ANCHORS:
            s = _mix(s ^ ((i << 16) | q))
        codes.append(q)
    return codes


# --------------------------------------------------------------------------------------------------
# PMCS chunk container


def decode_pmcs(data: bytes) -> tuple[np.ndarray, dict]:
    """Decode a ``PMCS`` chunk container.

    Returns the flat decoded array (uint8 or uint16, in memory order) and a dict of header fields:
    ``version``, ``mode``, ``itemsize``, ``flags``, ``n``, ``nx``, ``ny``, ``tw``, ``th``, ``seg``, in
    mode 1 ``offset``, ``gain``, ``read_noise``, ``step`` and in version 2 ``saturation``.
    """
    data = bytes(data)
    reader = _ByteReader(data)
    magic = reader.take(4, "magic")
    if magic != PMCS_MAGIC:
        raise ValueError(f"bad magic {magic!r}, expected {PMCS_MAGIC!r}")
    version = reader.u8("version")
    if version not in FORMAT_VERSIONS:
        raise ValueError(f"unsupported PMCS version {version}")
    mode = reader.u8("mode")
    if mode not in (0, 1):
        raise ValueError(f"unknown PMCS mode {mode}")
    if version == 2 and mode != 1:
        raise ValueError("version 2 is for mode 1 only")
    itemsize = reader.u8("itemsize")
    if itemsize not in (1, 2):
        raise ValueError(f"bad itemsize {itemsize}")
    flags = reader.u8("flags")
    if flags & ~1:
        raise ValueError(f"reserved flag bits set: 0x{flags:02x}")
    header_size = HEADER_SIZE_VERSION2 if version == 2 else HEADER_SIZE_MODE1 if mode == 1 else HEADER_SIZE_MODE0

    # The trailer is checked before anything else is decoded; then it is cut off the stream.
    if flags & 1:
        if len(data) < header_size + 4:
            raise ValueError("truncated stream: too short for the header and the CRC-32C trailer")
        stored = int.from_bytes(data[-4:], "little")
        computed = crc32c(data[:-4])
        if stored != computed:
            raise ValueError(f"CRC-32C mismatch: stored 0x{stored:08x}, computed 0x{computed:08x}")
        reader = _ByteReader(data[:-4], reader.pos)

    n = reader.u64("n")
    nx = reader.u32("nx")
    ny = reader.u32("ny")
    tw = reader.u16("tw")
    th = reader.u16("th")
    seg = reader.u32("seg")
    header = {
        "version": version, "mode": mode, "itemsize": itemsize, "flags": flags,
        "n": n, "nx": nx, "ny": ny, "tw": tw, "th": th, "seg": seg,
    }  # fmt: skip
    if min(nx, ny, tw, th) < 1:
        raise ValueError(f"nx, ny, tw, th must be >= 1, got {nx}, {ny}, {tw}, {th}")
    if not 1 <= seg <= MAX_SEG:
        raise ValueError(f"seg {seg} outside 1..{MAX_SEG}")
    if n % (nx * ny):
        raise ValueError(f"n = {n} is not a multiple of nx * ny = {nx * ny}")

    enc_table = np.zeros(0, dtype=np.uint16)
    dec_table = np.zeros((4, 0), dtype=np.uint16)
    ncodes = 0
    fine: list[int] = []
    windows: list[int] = []
    if mode == 1:
        params = [reader.f64(name) for name in ("offset", "gain", "read_noise", "step")]
        header.update(zip(("offset", "gain", "read_noise", "step"), params, strict=True))
        if version == 2:
            saturation = reader.u32("saturation")
            if not 1 <= saturation <= (255 if itemsize == 1 else 65535):
                raise ValueError(f"saturation {saturation} outside 1..{255 if itemsize == 1 else 65535}")
            if reader.u32("reserved") != 0:
                raise ValueError("reserved header field is not 0")
            header["saturation"] = saturation
            fine, windows = dither_tables(*params, saturation)  # validates the parameters
        else:
            enc_table, dec_table, ncodes = quant_tables(*params)  # validates the parameters
    planes = n // (nx * ny)

    # Predictor map.
    ntiles = planes * -(-ny // th) * -(-nx // tw)
    nibbles = reader.take((ntiles + 1) // 2, "predictor numbers")
    predictors = []
    for tile in range(ntiles):
        predictor = (nibbles[tile >> 1] >> (4 * (tile & 1))) & 0xF
        if predictor >= NUM_PREDICTORS:
            raise ValueError(f"tile {tile}: predictor number {predictor} outside 0..{NUM_PREDICTORS - 1}")
        predictors.append(predictor)
    if ntiles & 1 and nibbles[-1] >> 4:
        raise ValueError("predictor map: unused high nibble is not 0")
    bases = {tile: reader.u16("tile base") for tile in range(ntiles) if predictors[tile] == PRED_NONE}

    # Entropy segments.
    nsegments = -(-n // seg)
    if reader.remaining() < nsegments * MIN_SEGMENT_BYTES:
        raise ValueError(f"truncated stream: too short for {nsegments} entropy segments")
    z: list[int] = []
    for s in range(nsegments):
        length = reader.u32(f"length of segment {s}")
        segment = reader.take(length, f"segment {s}")
        count = min(n, (s + 1) * seg) - s * seg
        try:
            z.extend(decode_segment(segment, count))
        except ValueError as exc:
            raise ValueError(f"segment {s}: {exc}") from None
    if reader.remaining():
        raise ValueError(f"{reader.remaining()} unexpected byte(s) after the last segment")

    codes = _unpredict(z, planes, nx, ny, tw, th, predictors, bases)

    if version == 2:
        # each element's window from its code and phase; a window above F[S] is refused
        top = fine[header["saturation"]]
        values = []
        for index, (code, k) in enumerate(zip(codes, dither_phases(codes), strict=True)):
            G = 32 * code - k
            if G > top:
                raise ValueError(f"element {index}: code {code} with phase {k} is window {G} > F[S] = {top}")
            values.append(windows[G + PHASES - 1])
        return np.array(values, dtype=np.uint16 if itemsize == 2 else np.uint8), header
    if mode == 1:
        # uint8 data (itemsize 1) holds only the codes of 0..255 ("uint8 data (mode 1, itemsize 1)")
        limit = ncodes if itemsize == 2 else int(enc_table[255]) + 1
        for index, code in enumerate(codes):
            if code >= limit:
                raise ValueError(f"element {index}: code {code} >= ncodes {limit}" if itemsize == 2 else
                                 f"element {index}: code {code} is above enc[255] = {limit - 1} (uint8 data)")
        # Element i (memory order, over the whole chunk) decodes to v[i mod 4] of its code.
        phases = np.arange(len(codes)) % 4
        values = dec_table[phases, np.array(codes, dtype=np.intp)]
        return (values if itemsize == 2 else np.minimum(values, 255).astype(np.uint8)), header
    if itemsize == 1:
        for index, value in enumerate(codes):
            if value > 255:
                raise ValueError(f"element {index}: value {value} does not fit uint8")
        return np.array(codes, dtype=np.uint8), header
    return np.array(codes, dtype=np.uint16), header


# --------------------------------------------------------------------------------------------------
# PMCN n-bit packed stream


def decode_pmcn(data: bytes) -> np.ndarray:
    """Decode a ``PMCN`` n-bit packed stream into a flat uint8 or uint16 array."""
    data = bytes(data)
    reader = _ByteReader(data)
    magic = reader.take(4, "magic")
    if magic != PMCN_MAGIC:
        raise ValueError(f"bad magic {magic!r}, expected {PMCN_MAGIC!r}")
    version = reader.u8("version")
    if version != PMCN_VERSION:
        raise ValueError(f"unsupported PMCN version {version}")
    itemsize = reader.u8("itemsize")
    if itemsize not in (1, 2):
        raise ValueError(f"bad itemsize {itemsize}")
    nbits = reader.u8("nbits")
    if not 1 <= nbits <= 8 * itemsize:
        raise ValueError(f"nbits {nbits} outside 1..{8 * itemsize}")
    flags = reader.u8("flags")
    if flags:
        raise ValueError(f"flags must be 0, got 0x{flags:02x}")
    n = reader.u64("n")
    total_bits = n * nbits
    payload_size = (total_bits + 7) // 8
    if reader.remaining() != payload_size:
        raise ValueError(f"payload of {reader.remaining()} bytes, expected exactly {payload_size}")
    payload = reader.take(payload_size, "payload")
    if total_bits & 7 and payload[-1] >> (total_bits & 7):
        raise ValueError("nonzero padding bits after the last value")

    bits = _BitReader(payload, 0)
    values = [bits.read(nbits) for _ in range(n)]
    return np.array(values, dtype=np.uint8 if itemsize == 1 else np.uint16)
