"""Reading the calibration file that ``pymecompress calibrate --out`` writes (see :mod:`pymecompress.tools.calibrate`)
into the camera parameters that :class:`~pymecompress.camera.CameraModel` and ``convert`` take."""

from __future__ import annotations

import json
import os


def load_calibration(path: str | os.PathLike) -> dict[str, float]:
    """``offset``, ``gain`` and ``read_noise``, and ``saturation`` (an integer, ADU) where the file holds it, from a
    JSON file written by ``pymecompress calibrate``.

    Examples
    --------
    >>> import json, os, tempfile
    >>> p = os.path.join(tempfile.mkdtemp(), "calib.json")
    >>> _ = open(p, "w").write(json.dumps({"offset": 100, "gain": 2.2, "read_noise": 1.5, "fit": {}}))
    >>> load_calibration(p)
    {'offset': 100.0, 'gain': 2.2, 'read_noise': 1.5}
    >>> _ = open(p, "w").write(json.dumps({"offset": 100, "gain": 2.2, "saturation": 4095}))
    >>> load_calibration(p)
    {'offset': 100.0, 'gain': 2.2, 'saturation': 4095}
    """
    try:
        with open(path, encoding="utf-8") as fh:
            data = json.load(fh)
    except FileNotFoundError:
        raise ValueError(f"calibration file {path} not found; write one with the command "
                         "`pymecompress calibrate MOVIE --out FILE`") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise ValueError(f"calibration file {path} is not readable JSON ({err})") from None
    if not isinstance(data, dict) or not all(k in data for k in ("offset", "gain")):
        raise ValueError(f"calibration file {path} needs at least 'offset' and 'gain' keys (as written by "
                         "`pymecompress calibrate`)")
    out = {}
    for key in ("offset", "gain", "read_noise"):
        if key in data:
            try:
                out[key] = float(data[key])
            except (TypeError, ValueError):
                raise ValueError(f"calibration file {path}: {key} must be a number, got {data[key]!r}") from None
    saturation = data.get("saturation")
    if saturation is not None:
        number = isinstance(saturation, int | float) and not isinstance(saturation, bool)
        if not number or not float(saturation).is_integer() or saturation < 1:
            raise ValueError(f"calibration file {path}: saturation must be a positive integer (ADU), got "
                             f"{saturation!r}")
        out["saturation"] = int(saturation)
    return out
