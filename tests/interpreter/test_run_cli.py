"""`litequant run`: inputs from .npy/.npz, outputs to .npz, one error line on bad input."""
import subprocess
import sys

import numpy as np
import pytest

from litequant import Interpreter
from litequant import format as tflite_format
from litequant.builder import ModelBuilder
from litequant.interpreter import files


def litequant(*args):
    return subprocess.run([sys.executable, "-m", "litequant", *args], capture_output=True, text=True)


@pytest.fixture
def digits(data_dir, tmp_path):
    x = np.load(data_dir / "digits_cnn_eval.npz")["x"][:4]
    return data_dir / "digits_cnn_float.tflite", x, tmp_path


def test_npz_by_tensor_name_gives_the_interpreters_outputs(digits):
    model, x, tmp = digits
    it = Interpreter(model_path=str(model))
    name = it.get_input_details()[0]["name"]
    np.savez(tmp / "in.npz", **{name: x})
    result = litequant("run", str(model), "--input", str(tmp / "in.npz"), "-o", str(tmp / "out.npz"))
    assert result.returncode == 0, result.stderr
    expected = files.run(it, [x])
    with np.load(tmp / "out.npz") as saved:
        assert sorted(saved.files) == sorted(expected)
        for key, value in expected.items():
            np.testing.assert_array_equal(saved[key], value)


def test_another_batch_size_runs_the_model_once(digits, monkeypatch):
    model, x, tmp = digits      # 4 samples; the model's batch is 1
    it = Interpreter(model_path=str(model))
    passes = []
    execute = Interpreter._execute
    monkeypatch.setattr(Interpreter, "_execute",
                        lambda self, *args, **kwargs: passes.append(1) or execute(self, *args, **kwargs))
    (name, got), = files.run(it, [x]).items()
    assert len(passes) == 1
    monkeypatch.undo()
    for k in range(len(x)):
        np.testing.assert_array_equal(got[k:k + 1], files.run(it, [x[k:k + 1]])[name])


def test_signature_name_and_float_data_for_an_int8_input(data_dir, tmp_path):
    model = data_dir / "digits_cnn_tf_int8io.tflite"
    x = np.load(data_dir / "digits_cnn_eval.npz")["x"][:3]
    np.savez(tmp_path / "in.npz", keras_tensor=x)
    it = Interpreter(model_path=str(model))
    inputs = files.read_inputs(str(tmp_path / "in.npz"), it)
    assert inputs[0].dtype == np.int8 and inputs[0].shape == (3, 8, 8, 1)
    scale, zero_point = it.get_input_details()[0]["quantization"]
    np.testing.assert_allclose((inputs[0].astype(np.float32) - zero_point) * scale, x, atol=scale / 2 + 1e-7)


def near_halves(scale):
    """float32 values whose quotient by `scale` lies on or within a few ulps of a half step."""
    halves = np.float32(scale) * (np.arange(-300, 300, dtype=np.float32) + np.float32(0.5))
    steps = [halves]
    for direction in (np.inf, -np.inf):
        step = halves
        for _ in range(3):
            step = np.nextafter(step, np.float32(direction))
            steps.append(step)
    return np.concatenate(steps).reshape(1, -1)


@pytest.mark.parametrize("dtype, quant", [("int8", (0.05, -3)), ("uint8", (0.0039215689, 131))])
def test_float_data_for_an_integer_input_is_quantized_as_quantize_does(dtype, quant, tmp_path):
    x = near_halves(quant[0])
    b = ModelBuilder()
    b.output(b.unary("QUANTIZE", b.input(x.shape), out_quant=quant, out_dtype=dtype))
    expected = Interpreter.from_model(b.build()).run([x])[0]     # the kernel, exact as TFLite's
    b = ModelBuilder()
    b.output(b.unary("DEQUANTIZE", b.input(x.shape, dtype, quant=quant), out_dtype="float32"))
    np.save(tmp_path / "in.npy", x)
    (got,) = files.read_inputs(str(tmp_path / "in.npy"), Interpreter.from_model(b.build()))
    assert got.dtype == expected.dtype
    np.testing.assert_array_equal(got, expected)


@pytest.mark.parametrize("model_name", ["digits_cnn_float", "digits_cnn_tf_int8io"])
@pytest.mark.parametrize("bad, word", [(np.nan, "NaN"), (-np.inf, "an infinity")])
def test_nan_and_infinity_are_one_error_line(data_dir, tmp_path, model_name, bad, word):
    x = np.load(data_dir / "digits_cnn_eval.npz")["x"][:2].copy()
    x[1, 3, 4, 0] = bad
    np.save(tmp_path / "in.npy", x)
    model = data_dir / f"{model_name}.tflite"
    result = litequant("run", str(model), "--input", str(tmp_path / "in.npy"))
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr == (f"litequant: error: {tmp_path / 'in.npy'}: input "
                             f"'serving_default_keras_tensor:0': contains {word}\n")


def test_mismatched_shape_is_one_error_line_and_nothing_written(digits):
    model, x, tmp = digits
    np.save(tmp / "bad.npy", x[:, :4])
    result = litequant("run", str(model), "--input", str(tmp / "bad.npy"), "-o", str(tmp / "out.npz"))
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("litequant: error: ")
    assert "does not fit" in result.stderr
    assert not (tmp / "out.npz").exists()


def test_no_rows_is_one_error_line(digits):
    model, x, tmp = digits
    np.save(tmp / "empty.npy", x[:0])
    result = litequant("run", str(model), "--input", str(tmp / "empty.npy"))
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == (f"litequant: error: {tmp / 'empty.npy'}: input "
                             "'serving_default_keras_tensor:0': array of shape [0, 8, 8, 1] has no rows\n")


def test_model_errors_name_the_model(digits):
    model, x, tmp = digits
    edited = tflite_format.read(model)
    edited.subgraphs[0].operators[7].opcode = "FLOOR"
    path = tmp / "floor.tflite"
    tflite_format.save(edited, path)
    np.save(tmp / "in.npy", x)
    result = litequant("run", str(path), "--input", str(tmp / "in.npy"))
    assert result.returncode == 2
    assert result.stderr.startswith(f"litequant: error: {path}: op 7 (FLOOR): no kernel")


@pytest.mark.parametrize("target, role", [("model", "model"), ("input", "file")])
def test_output_would_overwrite_an_input(digits, target, role):
    model, x, tmp = digits
    copy = tmp / "model.tflite"
    copy.write_bytes(model.read_bytes())
    np.save(tmp / "in.npy", x)
    before = {p: p.read_bytes() for p in (copy, tmp / "in.npy")}
    out = copy if target == "model" else tmp / "in.npy"
    result = litequant("run", str(copy), "--input", str(tmp / "in.npy"), "-o", str(out))
    assert result.returncode == 2
    assert result.stderr == f"litequant: error: {out}: the output would overwrite the input {role}\n"
    assert {p: p.read_bytes() for p in before} == before


def _damaged_member(path):
    data = bytearray(path.read_bytes())
    middle = len(data) // 2
    data[middle:middle + 64] = bytes(64)    # the stored member's CRC no longer matches
    path.write_bytes(data)


@pytest.mark.parametrize("damage, words", [
    (lambda p: p.write_bytes(b"PK\x03\x04 not really a zip"), "cannot read"),
    (lambda p: np.savez(p, x=np.array([1, "a"], object)), "array 'x': cannot read"),
    (_damaged_member, "array 'x': cannot read"),
])
def test_damaged_npz_is_one_error_line(digits, damage, words):
    model, x, tmp = digits
    path = tmp / "in.npz"
    np.savez(path, x=x)
    damage(path)
    result = litequant("run", str(model), "--input", str(path))
    assert result.returncode == 2, result.stderr
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith(f"litequant: error: {path}: ") and words in result.stderr
