"""ChunkWriter stores exactly what zarr-python itself stores for the same blocks: same keys, same bytes."""

from __future__ import annotations

import numpy as np
import pytest

zarr = pytest.importorskip("zarr")

from pymecompress import HuffmanLossless, HuffmanQuant16, NBitPack  # noqa: E402
from pymecompress.zarr.chunk_writer import ChunkWriter  # noqa: E402


def _files(root) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


CASES = [
    ("huffquant16", lambda: {"compressors": [HuffmanQuant16(offset=100, gain=2.0)]}, True),
    ("hufflossless", lambda: {"compressors": [HuffmanLossless()]}, True),
    ("hufflossless-nocrc", lambda: {"compressors": [HuffmanLossless(checksum=False)]}, True),
    ("zstd", lambda: {}, False),
    ("nbitpack", lambda: {"serializer": NBitPack(nbits=12), "compressors": None}, False),
]


@pytest.mark.parametrize(("label", "codecs", "direct"), CASES, ids=[c[0] for c in CASES])
@pytest.mark.parametrize(("shape", "chunks"), [((4, 70, 90), (1, 64, 64)), ((5, 32, 48), (2, 32, 48)),
                                               ((3, 2, 40, 33), (1, 2, 16, 16))])
def test_same_store_as_zarr(tmp_path, label, codecs, direct, shape, chunks) -> None:
    rng = np.random.default_rng(3)
    data = (rng.poisson(40, shape) * 2 + 100).astype(np.uint16) & 0x0FFF
    data[1] = 0  # chunks holding only the fill value: zarr does not write them
    ours = zarr.create_array(tmp_path / "ours.zarr", shape=shape, chunks=chunks, dtype="uint16", fill_value=0,
                             **codecs())
    theirs = zarr.create_array(tmp_path / "theirs.zarr", shape=shape, chunks=chunks, dtype="uint16", fill_value=0,
                               **codecs())
    writer = ChunkWriter(ours)
    assert writer.direct is direct
    lead = chunks[0]
    for start in range(0, shape[0], lead):
        sel = (slice(start, min(start + lead, shape[0])),)
        block = data[sel]
        stored = writer.write(sel, block)
        theirs[sel] = block
        assert (stored is not None) is direct
    writer.flush()
    assert _files(tmp_path / "ours.zarr") == _files(tmp_path / "theirs.zarr")
    np.testing.assert_array_equal(zarr.open_array(tmp_path / "ours.zarr")[:], theirs[:])


def test_blocks_not_on_chunk_boundaries_go_through_zarr(tmp_path) -> None:
    arr = zarr.create_array(tmp_path / "a.zarr", shape=(4, 64, 64), chunks=(2, 32, 32), dtype="uint16",
                            fill_value=0, compressors=[HuffmanLossless()])
    writer = ChunkWriter(arr)
    block = np.full((1, 64, 64), 5, np.uint16)
    assert writer.write((slice(1, 2),), block) is None  # starts inside a chunk
    assert (arr[1] == 5).all() and (arr[0] == 0).all()


@pytest.mark.parametrize("ome", [False, True], ids=["plain", "ome-pyramid"])
def test_convert_writes_the_store_zarr_would(tmp_path, monkeypatch, ome) -> None:
    """convert with the chunk writer (every pyramid level) and convert through arr[sel] = block: the same files."""
    import tifffile

    from pymecompress.tools.convert import convert
    from pymecompress.zarr import chunk_writer

    rng = np.random.default_rng(5)
    stack = (rng.poisson(30, (6, 300, 260)) * 2 + 100).astype(np.uint16)
    stack[2] = 0  # an empty plane: its chunks are not stored either way
    tifffile.imwrite(tmp_path / "in.tif", stack, photometric="minisblack")
    kwargs = {"camera": {"offset": 100.0, "gain": 2.0}, "chunks": "2,128,128", "threads": 2, "progress": False,
              "force": True, "ome_zarr": ome}
    (tmp_path / "ours").mkdir()
    (tmp_path / "theirs").mkdir()
    convert(str(tmp_path / "in.tif"), str(tmp_path / "ours" / "movie.zarr"), **kwargs)
    monkeypatch.setattr(chunk_writer, "_pmcs_codec", lambda arr: None)  # every block through arr[sel] = block
    convert(str(tmp_path / "in.tif"), str(tmp_path / "theirs" / "movie.zarr"), **kwargs)
    ours, theirs = _files(tmp_path / "ours" / "movie.zarr"), _files(tmp_path / "theirs" / "movie.zarr")
    assert sorted(ours) == sorted(theirs)
    metadata = (".zarray", ".zattrs", ".zgroup", "zarr.json")
    assert len([k for k in ours if not k.endswith(metadata)]) > 6
    assert ours == theirs


def test_huffquant8_chunks_are_written_directly(tmp_path) -> None:
    from pymecompress import HuffmanQuant8

    data = (np.random.default_rng(4).poisson(20, (3, 40, 50)) + 10).astype(np.uint8)
    kwargs = {"shape": data.shape, "chunks": (1, 32, 32), "dtype": "uint8", "fill_value": 0,
              "compressors": [HuffmanQuant8(offset=10, gain=1.0)]}
    ours = zarr.create_array(tmp_path / "ours.zarr", **kwargs)
    theirs = zarr.create_array(tmp_path / "theirs.zarr", **kwargs)
    with ChunkWriter(ours) as writer:
        assert writer.direct and writer.write((slice(0, 3),), data) == 12  # 3 planes of 2 x 2 chunks
    theirs[:] = data
    assert _files(tmp_path / "ours.zarr") == _files(tmp_path / "theirs.zarr")


@pytest.mark.parametrize("zarr_format", [2, 3])
def test_no_warnings_from_zarr(tmp_path, zarr_format) -> None:
    """The writer uses zarr's public API where there is one (zarr 3.4 deprecated the metadata's chunk grid that an
    earlier version of it read), so writing warns of nothing."""
    import warnings

    arr = zarr.create_array(tmp_path / "a.zarr", shape=(2, 64, 64), chunks=(1, 64, 64), dtype="uint16",
                            zarr_format=zarr_format, compressors=[HuffmanLossless()])
    block = np.arange(2 * 64 * 64, dtype=np.uint16).reshape(2, 64, 64)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with ChunkWriter(arr) as writer:
            assert writer.direct and writer.write((slice(0, 2),), block) == 2
    np.testing.assert_array_equal(arr[:], block)


def _shard_chunks(data: bytes, per_shard: int, at_end: bool) -> list[bytes | None]:
    """The inner chunks of a shard by their place in its C-order index (None where missing), read with the
    sharding specification alone (index of little-endian uint64 offset/length pairs plus a 4-byte CRC-32C)."""
    size = per_shard * 16 + 4
    table = data[-size:] if at_end else data[:size]
    index = np.frombuffer(table[:-4], "<u8").reshape(-1, 2)  # the CRC is checked by zarr's own read
    return [None if off == 2**64 - 1 else data[int(off):int(off + n)] for off, n in index]


@pytest.mark.parametrize("location", ["end", "start"])
@pytest.mark.parametrize(("shape", "chunks", "shards"), [((5, 100, 130), (1, 64, 64), (2, 128, 128)),
                                                         ((4, 70, 90), (1, 35, 45), (4, 70, 90)),
                                                         ((3, 2, 40, 33), (1, 1, 16, 16), (1, 2, 32, 48))])
def test_shards_hold_what_zarr_would(tmp_path, location, shape, chunks, shards) -> None:
    """Sharded arrays: the same shard keys, and in every shard the same chunk bytes at each place of the index
    (zarr may order the chunks differently inside a shard), read back by zarr, which checks the index CRC."""
    rng = np.random.default_rng(4)
    data = (rng.poisson(40, shape) * 2 + 100).astype(np.uint16)
    data[-1] = 0  # shards holding only the fill value are not written
    data[0, ..., :chunks[-2], :chunks[-1]] = 0  # nor are chunks holding only the fill value, inside a shard
    kwargs = {"shape": shape, "chunks": chunks, "shards": {"shape": shards, "index_location": location},
              "dtype": "uint16", "fill_value": 0, "compressors": [HuffmanQuant16(offset=100, gain=2.0)]}
    ours = zarr.create_array(tmp_path / "ours.zarr", **kwargs)
    theirs = zarr.create_array(tmp_path / "theirs.zarr", **kwargs)
    writer = ChunkWriter(ours)
    assert writer.direct and writer._layout.at_end is (location == "end")
    assert writer.write((slice(0, 1),), data[:1]) is None or shards[0] == 1  # not a whole shard: zarr writes it
    for start in range(0, shape[0], shards[0]):
        sel = (slice(start, min(start + shards[0], shape[0])),)
        assert writer.write(sel, data[sel]) is not None
        theirs[sel] = data[sel]
    writer.flush()
    mine, zarrs = _files(tmp_path / "ours.zarr"), _files(tmp_path / "theirs.zarr")
    assert mine.keys() == zarrs.keys()
    per_shard = int(np.prod([s // c for s, c in zip(shards, chunks, strict=True)]))
    for key in mine:
        if key != "zarr.json":
            assert _shard_chunks(mine[key], per_shard, location == "end") == _shard_chunks(zarrs[key], per_shard,
                                                                                            location == "end"), key
    np.testing.assert_array_equal(zarr.open_array(tmp_path / "ours.zarr")[:], theirs[:])


def test_store_chunk_stores_encoded_chunks_and_refuses_what_it_cannot(tmp_path) -> None:
    """store_chunk puts an already-encoded chunk where zarr would, and refuses coordinates outside the chunk grid,
    sharded arrays and arrays whose chunks zarr must encode."""
    import numcodecs

    frame = np.arange(24 * 40, dtype=np.uint16).reshape(1, 24, 40)
    codec = numcodecs.get_codec({"id": "hufflossless"})
    arr = zarr.create_array(tmp_path / "a.zarr", shape=(3, 24, 40), chunks=(1, 24, 40), dtype="uint16",
                            fill_value=0, compressors=[HuffmanLossless()])
    writer = ChunkWriter(arr)
    writer.store_chunk((2, 0, 0), codec.encode(frame))
    np.testing.assert_array_equal(arr[2:], frame)
    assert not arr[:2].any()
    with pytest.raises(ValueError, match="outside the array's chunk grid"):
        writer.store_chunk((3, 0, 0), codec.encode(frame))
    sharded = zarr.create_array(tmp_path / "s.zarr", shape=(4, 24, 40), chunks=(1, 24, 40), shards=(2, 24, 40),
                                dtype="uint16", compressors=[HuffmanLossless()])
    other = zarr.create_array(tmp_path / "n.zarr", shape=(4, 24, 40), chunks=(1, 24, 40), dtype="uint16",
                              serializer=NBitPack())
    for target in (sharded, other):
        with pytest.raises(ValueError, match="write the values with write"):
            ChunkWriter(target).store_chunk((0, 0, 0), codec.encode(frame))
