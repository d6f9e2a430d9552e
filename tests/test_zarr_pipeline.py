"""The opt-in codec pipeline (pymecompress.zarr_pipeline): the same values as zarr's own, chunks decoded in place."""

from __future__ import annotations

import numpy as np
import pytest

zarr = pytest.importorskip("zarr")

from pymecompress import DecodeError, HuffmanLossless, HuffmanQuant16  # noqa: E402
from pymecompress import zarr_pipeline as zp  # noqa: E402

SHAPE = (6, 100, 130)


@pytest.fixture(scope="module")
def data() -> np.ndarray:
    rng = np.random.default_rng(7)
    return (rng.poisson(60, SHAPE) * 2 + 100).astype(np.uint16)


def _stores(tmp_path, data):
    """(label, path) of arrays written with zarr's own pipeline: v3 plain and sharded, v2, both PMCS codecs."""
    layouts = [(3, {"chunks": (1, 100, 130)}), (3, {"chunks": (2, 40, 50)}),
               (3, {"chunks": (1, 50, 130), "shards": (2, 100, 130)}), (2, {"chunks": (1, 100, 130)}),
               (2, {"chunks": (4, 30, 64)})]
    for codec in (HuffmanQuant16(offset=100, gain=2.0), HuffmanLossless()):
        for fmt, layout in layouts:
            sharded = "-sharded" if "shards" in layout else ""
            label = f"v{fmt}-{codec.codec_id}-{'x'.join(map(str, layout['chunks']))}{sharded}"
            path = tmp_path / f"{label}.zarr"
            arr = zarr.create_array(path, shape=SHAPE, dtype="uint16", compressors=[codec], zarr_format=fmt,
                                    **layout)
            arr[:] = data
            yield label, path


SELECTIONS = [np.s_[:], np.s_[2], np.s_[1:4, 10:90, 5:], np.s_[:, 3, :], np.s_[::2], np.s_[5, 99, 129],
              np.s_[[0, 3], :, 7]]


def test_same_values_as_zarrs_pipeline(tmp_path, data) -> None:
    for label, path in _stores(tmp_path, data):
        ref = zarr.open_array(path)
        with zp.direct_decode():
            fast = zarr.open_array(path)
        assert type(fast._async_array.codec_pipeline) is zp.DirectDecodePipeline
        for sel in SELECTIONS:
            np.testing.assert_array_equal(fast[sel], ref[sel], err_msg=f"{label} {sel}")


def test_whole_chunks_are_decoded_in_place(tmp_path, data, monkeypatch) -> None:
    """A full read of plain arrays never falls back to zarr's pipeline; a partial one does, for the partial chunks."""
    left_over = []
    original = zp.DirectDecodePipeline._decode_in_place

    def spy(batch, chunk_bytes, out, drop_axes):
        rest = original(batch, chunk_bytes, out, drop_axes)
        left_over.extend(rest)
        return rest

    monkeypatch.setattr(zp.DirectDecodePipeline, "_decode_in_place", staticmethod(spy))
    path = tmp_path / "plain.zarr"
    zarr.create_array(path, data=data, chunks=(1, 100, 130), compressors=[HuffmanLossless()])
    with zp.direct_decode():
        arr = zarr.open_array(path)
    np.testing.assert_array_equal(arr[:], data)
    np.testing.assert_array_equal(arr[2:4], data[2:4])
    assert left_over == []
    np.testing.assert_array_equal(arr[:, 10:20], data[:, 10:20])
    assert len(left_over) == SHAPE[0]


def test_other_codecs_and_missing_chunks_go_through_zarr(tmp_path, data) -> None:
    path = tmp_path / "zstd.zarr"
    zarr.create_array(path, data=data, chunks=(1, 50, 65))  # zarr's default compressor
    sparse = tmp_path / "sparse.zarr"
    arr = zarr.create_array(sparse, shape=SHAPE, dtype="uint16", chunks=(1, 100, 130), fill_value=7,
                            compressors=[HuffmanLossless()])
    arr[3] = data[3]
    with zp.direct_decode():
        np.testing.assert_array_equal(zarr.open_array(path)[:], data)
        got = zarr.open_array(sparse)[:]
    assert (got[[0, 1, 2, 4, 5]] == 7).all()
    np.testing.assert_array_equal(got[3], data[3])


def test_corrupt_chunk_raises(tmp_path, data) -> None:
    path = tmp_path / "corrupt.zarr"
    zarr.create_array(path, data=data, chunks=(1, 100, 130), compressors=[HuffmanQuant16(offset=100, gain=2.0)])
    chunk = path / "c" / "2" / "0" / "0"
    raw = bytearray(chunk.read_bytes())
    raw[len(raw) // 2] ^= 0x40
    chunk.write_bytes(bytes(raw))
    with zp.direct_decode():
        arr = zarr.open_array(path)
    with pytest.raises(DecodeError, match="checksum"):
        arr[:]


def test_dask_and_xarray_read_through_it(tmp_path, data) -> None:
    da = pytest.importorskip("dask.array")
    xr = pytest.importorskip("xarray")
    path = tmp_path / "movie.zarr"
    arr = zarr.create_array(path, data=data, chunks=(1, 100, 130), compressors=[HuffmanLossless()],
                            dimension_names=["t", "y", "x"])
    del arr
    with zp.direct_decode():
        np.testing.assert_array_equal(da.from_zarr(str(path)).compute(scheduler="threads"), data)
        group = zarr.open_group(tmp_path / "group.zarr", mode="w")
        group.create_array("movie", data=data, chunks=(1, 100, 130), compressors=[HuffmanLossless()],
                           dimension_names=["t", "y", "x"])
        ds = xr.open_zarr(tmp_path / "group.zarr", consolidated=False)
        np.testing.assert_array_equal(ds["movie"].values, data)


def test_the_setting_is_scoped() -> None:
    before = zarr.config.get("codec_pipeline.path")
    with zp.direct_decode():
        assert zarr.config.get("codec_pipeline.path") == zp.PIPELINE_PATH
    assert zarr.config.get("codec_pipeline.path") == before
