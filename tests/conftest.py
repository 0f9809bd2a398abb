"""Fixtures shared by the test packages: the reference models in tests/data."""
import pathlib

import pytest
from hypothesis import settings

# A slow or busy CI machine is no bug: property tests have no per-example time limit.
settings.register_profile("litequant", deadline=None)
settings.load_profile("litequant")

DATA = pathlib.Path(__file__).resolve().parent / "data"
MODELS = sorted(DATA.glob("*.tflite"))


@pytest.fixture(scope="session")
def data_dir():
    return DATA


@pytest.fixture(params=MODELS, ids=lambda path: path.stem)
def model_path(request):
    """Each .tflite file in tests/data in turn."""
    return request.param
