"""Build script: compiles the C core through cffi (metadata lives in pyproject.toml)."""

from setuptools import setup

setup(cffi_modules=["build_ffi.py:ffibuilder"])
