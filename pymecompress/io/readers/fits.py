"""FITS files, read with ``astropy.io.fits``: the image HDUs with integer data, plane by plane.

Planes are read through astropy's ``section`` with ordinary file reads (``memmap=False``), which fetch only the
bytes of the plane asked for: a memory map would keep every page it touched resident, so converting a file would
grow the process to the file's size.

``BZERO`` / ``BSCALE`` are honoured as astropy applies them: 16-bit data with ``BZERO = 32768`` (how FITS stores
unsigned 16-bit counts, e.g. HST raw images and most astronomy cameras) read as uint16; scalings that give other
types (int16 without ``BZERO``, floats) are refused like any dtype other than uint8 and uint16. Tile-compressed
images (``CompImageHDU``, ``.fits.fz``) are read tile by tile.

Which HDUs: by default every image HDU with integer data (``BITPIX`` 8, 16, 32 or 64; the primary HDU too when it
holds an image). One is read as it is; several of the same shape and dtype are stacked along a new first axis, in
file order (an extension per exposure); several that differ are refused with the list, and one is chosen with
``FILE:HDU``: its index (``image.fits:1``, the primary HDU is 0), its ``EXTNAME`` (``image.fits:SCI``) or
``EXTNAME,EXTVER`` (``image.fits:SCI,2``).

A truncated file is refused when an HDU's data run past its end, or when the primary header's ``NEXTEND`` counts
more extensions than the file holds; a file cut exactly between two HDUs and without ``NEXTEND`` is a valid, shorter
FITS file, and reads as one.

Examples
--------
>>> import numpy as np, os, tempfile
>>> from astropy.io import fits
>>> path = os.path.join(tempfile.mkdtemp(), "two.fits")
>>> data = np.arange(3 * 4, dtype=np.uint16).reshape(3, 4) + 40000
>>> fits.HDUList([fits.PrimaryHDU(), fits.ImageHDU(data, name="SCI"), fits.ImageHDU(data + 1, name="SCI", ver=2)
...               ]).writeto(path)
>>> with FitsSource(path) as src:
...     print(src.shape, src.dtype, src.read_planes([1])[0, 0].tolist(), [h["name"] for h in src.hdus])
(2, 3, 4) uint16 [40001, 40002, 40003, 40004] ['SCI', 'SCI']
>>> with FitsSource(path, hdu="SCI,2") as src:
...     print(src.shape, src.attributes["fits"][1]["header"]["BZERO"])
(3, 4) 32768
"""

from __future__ import annotations

import math
import os
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np

from ..base import ImageSource, InputError, Saturation, _check_dtype, _check_shape, _one_line, _reason
from . import require

_DAMAGE_WORDS = ("truncat", "corrupt", "not multiple of 2880", "unexpected end")


@contextmanager
def _quiet(path: str) -> Iterator[None]:
    """Silence astropy's warnings in the block; those that tell of a damaged file become an :class:`InputError`."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        yield
    for w in caught:
        text = str(w.message)
        if any(word in text.lower() for word in _DAMAGE_WORDS):
            raise InputError(f"{path}: a damaged FITS file ({_one_line(text)}); it is truncated or corrupt, copy it "
                             "again")


def header_dict(header: Any) -> dict[str, Any]:
    """A FITS header as a JSON-serializable dict: keyword -> value (the last one of repeated keywords);
    ``COMMENT`` and ``HISTORY`` as lists of lines; undefined values as None.

    Examples
    --------
    >>> from astropy.io import fits
    >>> h = fits.Header([("EXPTIME", 0.5), ("OBJECT", "M31"), ("HISTORY", "bias subtracted")])
    >>> header_dict(h)
    {'EXPTIME': 0.5, 'OBJECT': 'M31', 'HISTORY': ['bias subtracted']}
    """
    out: dict[str, Any] = {}
    for card in header.cards:
        key, value = card.keyword, card.value
        if not key:
            continue
        if key in ("COMMENT", "HISTORY"):
            out.setdefault(key, []).append(str(value))
            continue
        if isinstance(value, (bool, int, float, str)):
            out[key] = value
        elif isinstance(value, np.generic):
            out[key] = value.item()
        else:  # astropy's Undefined, complex numbers
            out[key] = None if type(value).__name__ == "Undefined" else str(value)
    return out


class FitsSource(ImageSource):
    """The integer image HDUs of a FITS file (see the module description for which).

    Parameters
    ----------
    path : str
        The file.
    hdu : str, optional
        Read only this HDU: an index (``"1"``), an ``EXTNAME`` (``"SCI"``) or ``"EXTNAME,EXTVER"``.

    Attributes
    ----------
    hdus : list of dict
        The HDUs read: ``index``, ``name``, ``ver``, ``shape``.
    attributes : dict
        ``{"fits": [{"index", "name", "ver", "header"}, ...]}``: the primary header (where the observation's
        keywords usually are) and the header of every HDU read, as :func:`header_dict` gives them.

    Raises
    ------
    InputError
        Not a FITS file, a truncated or corrupt one, no integer image HDU, HDUs that cannot be stacked, an HDU that
        does not exist, or data that do not scale to uint8 or uint16.
    """

    kind = "fits"

    def __init__(self, path: str, hdu: str | None = None) -> None:
        fits = require("astropy.io.fits", path, "a FITS file")
        try:
            with _quiet(path):
                self._hdul = fits.open(path, memmap=False, lazy_load_hdus=False)
        except InputError:
            raise
        except Exception as err:
            raise InputError(f"{path}: not a readable FITS file ({_reason(err)}); is it truncated or of another "
                             "format?") from None
        try:
            self._setup(path, hdu)
        except InputError:
            self._hdul.close()
            raise
        except Exception as err:
            self._hdul.close()
            raise InputError(f"{path}: a damaged FITS file ({_reason(err)}); it is truncated or corrupt") from None

    def _setup(self, path: str, hdu: str | None) -> None:
        size = os.path.getsize(path)
        announced = self._hdul[0].header.get("NEXTEND")
        if isinstance(announced, int) and len(self._hdul) - 1 < announced:
            raise InputError(f"{path}: the primary header announces {announced} extensions (NEXTEND) but the file "
                             f"holds {len(self._hdul) - 1}; it is truncated, copy it again")
        with _quiet(path):
            candidates = [i for i, h in enumerate(self._hdul) if self._is_integer_image(h)]
            chosen = [self._select(path, hdu)] if hdu is not None else candidates
            if not chosen:
                raise InputError(f"{path}: no image HDU with integer data (BITPIX 8, 16, 32 or 64) in the file")
            kinds = []
            for i in chosen:
                h = self._hdul[i]
                where = f"{path}:{i}"
                if not h.is_image or not h.header.get("NAXIS", 0):
                    raise InputError(f"{where}: HDU {i} ({h.name}) holds no image; {self._listing(candidates)}")
                self._check_size(where, i, size)
                shape = _check_shape(tuple(h.shape), where)
                first = h.section[(0,) * (len(shape) - 1) + (slice(0, 1),)]  # the dtype astropy scales to
                kinds.append((shape, np.asarray(first).dtype.newbyteorder("=")))
        if len(set(kinds)) > 1:
            raise InputError(f"{path}: holds {len(chosen)} image HDUs of different shapes or dtypes "
                             f"({self._listing(chosen)}); choose one as {path}:N or {path}:EXTNAME")
        shape, dtype = kinds[0]
        h = self._hdul[chosen[0]]
        _check_dtype(dtype, f"{path}:{chosen[0]} ({h.name}{', after BZERO/BSCALE' if 'BZERO' in h.header else ''})")
        super().__init__(path, shape if len(chosen) == 1 else (len(chosen), *shape), dtype.newbyteorder("="))
        self._chosen = chosen
        self._hdu_shape = shape
        self._per_hdu = math.prod(shape[:-2])
        self.hdus = [{"index": i, "name": self._hdul[i].name, "ver": self._hdul[i].ver, "shape": list(shape)}
                     for i in chosen]
        keep = ([0] if 0 not in chosen else []) + chosen
        self.saturation = self._saturation(chosen, dtype)
        self.attributes = {"fits": [{"index": i, "name": self._hdul[i].name, "ver": self._hdul[i].ver,
                                     "header": header_dict(self._hdul[i].header)} for i in keep]}

    def _saturation(self, chosen: list[int], dtype: np.dtype) -> Saturation | None:
        """SATURATE (else DATAMAX) of each chosen HDU, or of the primary header when the HDU has neither; with
        several HDUs the largest (a smaller value would clip the others' pixels), and none unless all state one."""
        found = []
        for i in chosen:
            for where in (self._hdul[i].header, self._hdul[0].header):
                key = next((k for k in ("SATURATE", "DATAMAX") if where.get(k) is not None), None)
                if key is not None:
                    found.append(Saturation.stated(where[key], dtype, f"the FITS keyword {key} ({where[key]})"))
                    break
            else:
                return None
        if not found or None in found:
            return None
        return max(found, key=lambda s: s.value)

    @staticmethod
    def _is_integer_image(h: Any) -> bool:
        return bool(h.is_image and h.header.get("NAXIS", 0) >= 2 and int(h.header.get("BITPIX", 0)) > 0)

    def _listing(self, indices: list[int]) -> str:
        parts = []
        for i in indices[:8]:
            h = self._hdul[i]
            parts.append(f"{i}: {h.name}{',' + str(h.ver) if h.ver != 1 else ''} "
                         f"{'x'.join(map(str, h.shape))} BITPIX {h.header.get('BITPIX')}")
        more = f", ... ({len(indices)} in all)" if len(indices) > 8 else ""
        return ("integer image HDUs " + ", ".join(parts) + more) if parts else "the file holds no integer image HDU"

    def _select(self, path: str, hdu: str) -> int:
        text = hdu.strip()
        n = len(self._hdul)
        if text.isdigit():
            if int(text) >= n:
                raise InputError(f"{path}: there is no HDU {text}: the file holds {n} (0..{n - 1})")
            return int(text)
        name, _, ver = text.partition(",")
        if ver and not ver.strip().isdigit():
            raise InputError(f"{path}:{hdu}: expected an HDU index, EXTNAME or EXTNAME,EXTVER (e.g. SCI,2)")
        try:
            return self._hdul.index_of((name.strip(), int(ver)) if ver else name.strip())
        except KeyError:
            names = ", ".join(f"{i}: {h.name},{h.ver}" for i, h in enumerate(self._hdul))
            raise InputError(f"{path}: no HDU named {text} (the file holds {names})") from None

    def _check_size(self, where: str, i: int, size: int) -> None:
        """The data an HDU announces must lie inside the file (astropy would map a shorter file and fail later)."""
        h = self._hdul[i]
        start = self._hdul.fileinfo(i)["datLoc"]
        table = getattr(h, "_bintable", None)  # a tile-compressed image: its binary table and heap
        if table is not None:
            th = table.header
            need = int(th.get("NAXIS1", 0)) * int(th.get("NAXIS2", 0)) + int(th.get("PCOUNT", 0))
        else:
            need = int(h.size)
        if start + need > size:
            raise InputError(f"{where}: HDU {i} ({h.name}) announces {need} bytes of data from byte {start}, but the "
                             f"file has {size}; it is truncated, copy it again")

    def _read(self, indices: list[int]) -> np.ndarray:
        out = np.empty((len(indices), *self.plane_shape), self.dtype)
        lead = self._hdu_shape[:-2]
        with _quiet(self.path):
            for k, i in enumerate(indices):
                h = self._hdul[self._chosen[i // self._per_hdu]]
                local = tuple(int(v) for v in np.unravel_index(i % self._per_hdu, lead)) if lead else ()
                try:
                    out[k] = h.section[local] if local else h.section[...]
                except Exception as err:
                    raise InputError(f"{self.path}: cannot read plane {i} of HDU {h.name} ({_reason(err)}); the "
                                     "file is truncated or corrupt") from None
        return out

    def close(self) -> None:
        self._hdul.close()
