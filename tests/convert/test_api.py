"""litequant.conversion as a Python user meets it."""
import pathlib
import subprocess
import sys

import numpy as np
import pytest

import litequant
from litequant import format as tflite_format
from litequant.conversion import Summary, check, convert, summarize

ROOT = pathlib.Path(__file__).resolve().parents[2]
MODEL = ROOT / "tests" / "data" / "breast_mlp_float.tflite"
DATASET = ROOT / "calibration" / "breast_mlp_calib.npz"


@pytest.mark.parametrize("first_import", ["import litequant",
                                          "import litequant, litequant.conversion.dataset"])
def test_litequant_convert_stays_the_function_whatever_was_imported_first(first_import):
    code = (f"{first_import}\n"
            f"m = litequant.convert({str(MODEL)!r}, {str(DATASET)!r}, samples=4)\n"
            "from litequant.conversion import summarize, check\n"
            f"print(summarize({str(MODEL)!r}, m).ops['FULLY_CONNECTED'], check(m))\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["3", "[]"]


def test_the_given_model_is_left_unchanged():
    model = tflite_format.read(MODEL)
    before = tflite_format.write(model)
    convert(model, DATASET, io="int8", samples=8)
    assert tflite_format.write(model) == before


def test_bytes_in_and_progress_reported():
    calls = []
    convert(MODEL.read_bytes(), DATASET, samples=5, progress=lambda *a: calls.append(a))
    assert calls == [(1, 5), (2, 5), (3, 5), (4, 5), (5, 5)]


def test_unknown_interface_type():
    with pytest.raises(ValueError, match="io must be one of"):
        convert(MODEL, DATASET, io="int16")


def test_summary():
    data = np.load(DATASET)["serving_default_keras_tensor_10:0"]
    int8_model = convert(MODEL, data[:50])
    summary = summarize(MODEL, int8_model, data, samples=8)
    assert isinstance(summary, Summary)
    assert summary.ops == {"FULLY_CONNECTED": 3, "TANH": 1, "SOFTMAX": 1}
    assert summary.interface_ops == {"QUANTIZE": 1, "DEQUANTIZE": 1}
    assert summary.bytes_before == MODEL.stat().st_size
    assert summary.bytes_after == len(tflite_format.write(int8_model))
    assert summary.samples == 8 and list(summary.sqnr_db) == ["output_0"]
    assert summary.sqnr_db["output_0"] > 30
    assert str(summary).splitlines()[2].startswith("SQNR against the float model on 8 samples")
    assert check(int8_model) == []


def test_summary_without_data_has_no_sqnr():
    summary = summarize(MODEL, convert(MODEL, DATASET, samples=4))
    assert summary.sqnr_db == {} and len(str(summary).splitlines()) == 2


def test_saved_model_loads_back():
    path = ROOT / "tests" / "data" / "digits_cnn_float.tflite"
    int8_model = convert(path, ROOT / "calibration" / "digits_cnn_calib.npz", samples=16)
    data = tflite_format.write(int8_model)
    interpreter = litequant.Interpreter(model_content=data)
    interpreter.allocate_tensors()
    assert interpreter.get_input_details()[0]["dtype"] == np.float32
