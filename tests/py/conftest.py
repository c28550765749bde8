"""Shared pytest fixtures: where the built programs and the test data are.

BROWNOUT_BUILD names the build directory (e.g. build/asan, relative to the
current directory); it defaults to <repo>/build.
"""
import os
import pathlib

import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def repo_root():
    return REPO


@pytest.fixture(scope="session")
def build_dir():
    env = os.environ.get("BROWNOUT_BUILD")
    return pathlib.Path(env).resolve() if env else REPO / "build"


@pytest.fixture(scope="session")
def images_dir():
    return REPO / "tests" / "data" / "images"
