"""pytest fixtures shared by the tests."""

from __future__ import annotations

import numpy as np
import pytest

from helpers import CAMERAS, load_real


@pytest.fixture(params=sorted(CAMERAS))
def real_data(request) -> tuple[str, np.ndarray, dict]:
    """(file name, uint16 array, camera parameters) for every real file in tests/data/camera."""
    return request.param, load_real(request.param), CAMERAS[request.param]
