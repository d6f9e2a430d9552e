"""``.npy`` files: a stack stored as one numpy array, read plane by plane through a memory map."""

from __future__ import annotations

import numpy as np

from .base import ImageSource, InputError, _check_dtype, _check_shape, _reason


class NpySource(ImageSource):
    """A ``.npy`` file, validated with ``np.load(mmap_mode="r")`` and then read plane by plane with ordinary
    file reads (a memory map would keep every page it touched resident, so RSS would grow to the file size)."""

    kind = "npy"

    def __init__(self, path: str):
        try:
            mapped = np.load(path, mmap_mode="r", allow_pickle=False)
        except ValueError as err:
            if "mmap length" in str(err):
                raise InputError(f"{path}: the .npy file is truncated (its header announces more data than the "
                                 "file holds); copy it again") from None
            raise InputError(f"{path}: not a readable .npy array ({_reason(err)})") from None
        except OSError as err:
            raise InputError(f"{path}: cannot read it as a .npy file ({err})") from None
        except Exception as err:  # a damaged header: numpy's parser raises SyntaxError, TokenError, ...
            raise InputError(f"{path}: not a readable .npy array ({_reason(err)}); is it truncated or "
                             "corrupt?") from None
        if not isinstance(mapped, np.memmap):
            raise InputError(f"{path}: expected one array in a .npy file")
        super().__init__(path, _check_shape(mapped.shape, path), _check_dtype(mapped.dtype, path))
        self._lead = self.shape[:-2]
        self._offset = int(mapped.offset)
        self._fortran = bool(mapped.flags.f_contiguous and not mapped.flags.c_contiguous)
        self._mapped = mapped if self._fortran else None  # Fortran order: planes are strided, keep the map
        del mapped
        self._file = open(path, "rb")  # noqa: SIM115 - closed by close()

    def _read(self, indices: list[int]) -> np.ndarray:
        ny, nx = self.plane_shape
        if self._mapped is not None:  # Fortran order: copy each strided plane out of the map
            lead = self._lead
            return np.stack([np.array(self._mapped[np.unravel_index(i, lead) if lead else ()]) for i in indices])
        plane_bytes = ny * nx * self.dtype.itemsize
        out = np.empty((len(indices), ny, nx), dtype=self.dtype)
        buf = out.reshape(len(indices), -1).view(np.uint8)
        for k, i in enumerate(indices):
            self._file.seek(self._offset + i * plane_bytes)
            n = self._file.readinto(buf[k])
            if n != plane_bytes:
                raise InputError(f"{self.path}: plane {i} is truncated; the file is shorter than its header says")
        return out

    def close(self) -> None:
        self._file.close()
        self._mapped = None
