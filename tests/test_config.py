"""Configuration, registration through entry points, pickling, capability listing."""

from __future__ import annotations

import json
import pickle
import subprocess
import sys

import numcodecs
import pytest

import pymecompress
from pymecompress import HuffmanLossless, HuffmanQuant16, NBitPack, VSTQuant16, list_codecs

CODECS = [HuffmanQuant16(offset=100.5, gain=2.2, read_noise=1.5, step=1.5, checksum=False),
          HuffmanLossless(), VSTQuant16(offset=90, gain=1.8), NBitPack(12)]


@pytest.mark.parametrize("codec", CODECS, ids=lambda c: c.codec_id)
def test_json_config_roundtrip(codec):
    config = json.loads(json.dumps(codec.get_config()))
    again = numcodecs.get_codec(config)
    assert isinstance(codec, type(again))  # the numcodecs class, or its zarr-3 subclass
    assert again.get_config() == codec.get_config()
    assert again == codec
    assert pickle.loads(pickle.dumps(codec)) == codec
    assert repr(codec).startswith(type(codec).__name__)


def test_entry_points_resolve_in_fresh_interpreter(tmp_path):
    code = (
        "import sys, numcodecs\n"
        "ids = ['huffquant16', 'hufflossless', 'vstquant16', 'nbitpack']\n"
        "codecs = [numcodecs.get_codec({'id': i}) for i in ids]\n"
        "c = numcodecs.get_codec({'id': 'huffquant16', 'offset': 100, 'gain': 2.2})\n"
        "assert 'pymecompress' in type(c).__module__\n"
        "print(','.join(type(x).__name__ for x in codecs))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=tmp_path)
    assert out.stdout.strip() == "HuffmanQuant16,HuffmanLossless,VSTQuant16,NBitPack"


def test_entry_point_names_equal_codec_ids():
    from importlib.metadata import entry_points

    eps = {ep.name: ep for ep in entry_points(group="numcodecs.codecs") if ep.value.startswith("pymecompress")}
    assert set(eps) == {c["id"] for c in list_codecs()}
    for name, ep in eps.items():
        assert ep.load().codec_id == name


def test_list_codecs_describes_everything():
    listing = list_codecs()
    for entry in listing:
        cls = getattr(pymecompress, entry["class"])
        assert cls.codec_id == entry["id"]
        assert {"lossless", "dtypes", "purpose", "kind", "parameters"} <= set(entry)
        for name in entry["parameters"]:
            assert name in cls.__init__.__code__.co_varnames


def test_defaults():
    assert HuffmanQuant16().get_config() == {"id": "huffquant16", "offset": 0.0, "gain": 1.0,
                                             "read_noise": 0.0, "step": 1.0, "checksum": True}
