"""What a benchmark ran on: the CPU model (speed ratios between codecs depend on it) and the versions that matter.

Examples
--------
>>> isinstance(cpu_model(), str) and "CPUs" in describe()
True
"""

from __future__ import annotations

import os
import platform
from pathlib import Path


def cpu_model() -> str:
    """The CPU's model name (``/proc/cpuinfo`` on Linux, else what :mod:`platform` says)."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def describe() -> str:
    """One line: CPU model, CPU count, Python."""
    return f"{cpu_model()}, {os.cpu_count()} CPUs, Python {platform.python_version()}"
