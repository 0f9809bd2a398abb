"""`litequant convert` and `litequant check` as a user runs them: the summary, the error line,
the exit status, and no output file when something is wrong."""
import io
import os
import pathlib
import shutil
import subprocess
import sys

import numpy as np
import pytest

from litequant import format as tflite_format
from litequant.builder import ModelBuilder
from litequant.cli import _ProgressBar

ROOT = pathlib.Path(__file__).resolve().parents[2]
MODEL = ROOT / "tests" / "data" / "breast_mlp_float.tflite"
DATASET = ROOT / "calibration" / "breast_mlp_calib.npz"
INPUT_NAME = "serving_default_keras_tensor_10:0"


def litequant(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "litequant", *map(str, args)], cwd=cwd,
                          capture_output=True, text=True, timeout=120)


def convert(*args, model=MODEL, dataset=DATASET, output):
    return litequant("convert", "--full-int", model, "--dataset", dataset, "-o", output, *args)


def fails(done, source, message):
    assert done.returncode == 2 and done.stdout == ""
    assert len(done.stderr.splitlines()) == 1, done.stderr
    assert done.stderr.startswith(f"litequant: error: {source}: "), done.stderr
    assert message in done.stderr, done.stderr


def test_convert_writes_the_model_and_prints_a_summary(tmp_path):
    out = tmp_path / "int8.tflite"
    done = convert(output=out)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""        # no terminal, no progress bar
    lines = done.stdout.splitlines()
    assert lines[0].startswith("quantized 5 ops: FULLY_CONNECTED 3, ")
    assert "(+ QUANTIZE 1, DEQUANTIZE 1 at the interface)" in lines[0]
    assert lines[1].startswith(f"size: {MODEL.stat().st_size:,} -> {out.stat().st_size:,} bytes")
    assert lines[2].startswith("SQNR against the float model on 16 samples: output_0 ")
    assert float(lines[2].split()[-2]) > 30
    assert litequant("check", out).returncode == 0


def test_quiet_integer_interface_and_sample_count(tmp_path):
    out = tmp_path / "int8.tflite"
    done = convert("--io", "uint8", "--samples", "20", "-q", output=out)
    assert done.returncode == 0 and done.stdout == "" and done.stderr == ""
    graph = tflite_format.read(out).subgraphs[0]
    assert graph.tensors[graph.inputs[0]].dtype == "uint8"


def test_generator_dataset(tmp_path):
    (tmp_path / "rows.py").write_text(
        "import numpy as np\n"
        "def samples():\n"
        f"    data = np.load({str(DATASET)!r})[{INPUT_NAME!r}]\n"
        "    for row in data[:10]:\n"
        "        yield [row]\n")
    done = litequant("convert", "--full-int", MODEL, "--dataset", "rows:samples",
                     "-o", tmp_path / "out.tflite", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "on 10 samples" in done.stdout


def test_check_lists_violations(tmp_path):
    done = litequant("check", MODEL)
    assert done.returncode == 2
    lines = done.stdout.splitlines()
    assert lines and all(line.startswith(f"{MODEL}: op ") for line in lines)
    assert f"{MODEL}: op 0 (FULLY_CONNECTED): input 0 ({INPUT_NAME}): float32, expected int8" in lines


class TestBadInput:
    def test_dataset_that_does_not_fit(self, tmp_path):
        other = ROOT / "calibration" / "digits_cnn_calib.npz"
        out = tmp_path / "out.tflite"
        fails(convert(dataset=other, output=out), other, "shape [8, 8, 1] does not match [1, 30]")
        assert not out.exists()

    def test_nan_in_the_data(self, tmp_path):
        data = np.load(DATASET)[INPUT_NAME].copy()
        data[7, 3] = np.nan
        np.savez(tmp_path / "nan.npz", **{INPUT_NAME: data})
        out = tmp_path / "out.tflite"
        fails(convert(dataset=tmp_path / "nan.npz", output=out), tmp_path / "nan.npz",
              f"sample 7: input '{INPUT_NAME}': contains NaN")
        assert not out.exists()

    def test_empty_dataset(self, tmp_path):
        np.savez(tmp_path / "empty.npz", **{INPUT_NAME: np.zeros((0, 30), np.float32)})
        out = tmp_path / "out.tflite"
        fails(convert(dataset=tmp_path / "empty.npz", output=out), tmp_path / "empty.npz",
              "the dataset holds no samples")
        assert not out.exists()

    def test_output_equal_to_input(self, tmp_path):
        model = tmp_path / "model.tflite"
        shutil.copy(MODEL, model)
        fails(convert(model=model, output=model), model, "would overwrite the input model")
        assert model.read_bytes() == MODEL.read_bytes()

    def test_output_equal_to_the_dataset(self, tmp_path):
        dataset = tmp_path / "calib.npz"
        shutil.copy(DATASET, dataset)
        fails(convert(dataset=dataset, output=dataset), dataset, "would overwrite the input dataset")
        assert dataset.read_bytes() == DATASET.read_bytes()

    def test_output_is_a_file_of_the_dataset_directory(self, tmp_path):
        sample = np.load(DATASET)[INPUT_NAME][0]
        np.save(tmp_path / "0.npy", sample)
        out = tmp_path / "sub" / ".." / "0.npy"
        fails(convert(dataset=tmp_path, output=out), out, "would overwrite the input dataset")
        np.testing.assert_array_equal(np.load(tmp_path / "0.npy"), sample)

    def test_output_is_another_name_of_the_model(self, tmp_path):
        model = tmp_path / "model.tflite"
        shutil.copy(MODEL, model)
        os.link(model, tmp_path / "alias.tflite")
        fails(convert(model=model, output=tmp_path / "alias.tflite"), tmp_path / "alias.tflite",
              "would overwrite the input model")
        assert model.read_bytes() == MODEL.read_bytes()

    def test_output_in_a_missing_directory(self, tmp_path):
        out = tmp_path / "nowhere" / "out.tflite"
        fails(convert(output=out), out, "the directory does not exist")

    def test_output_is_a_directory(self, tmp_path):
        fails(convert(output=tmp_path), tmp_path, "is a directory")

    def test_unsupported_ops_are_named_before_calibration(self, tmp_path):
        b = ModelBuilder()
        x = b.input((1, 30), name="x")
        b.output(b.unary("EXP", b.unary("COS", b.unary("EXP", x))))
        model = tmp_path / "exp.tflite"
        tflite_format.save(b.build(), model)
        out = tmp_path / "out.tflite"
        fails(convert(model=model, output=out), model, "no int8 quantization for COS (1), EXP (2)")
        assert not out.exists()

    @pytest.mark.parametrize("name, first_op", [("breast_mlp_tf_int8io", "FULLY_CONNECTED"),
                                                 ("digits_cnn_tf_int8io", "CONV_2D"),
                                                 ("digits_cnn_tf_int8", "CONV_2D")])
    def test_model_that_is_already_int8(self, tmp_path, name, first_op):
        """With an int8 or a float interface: the QUANTIZE/DEQUANTIZE at a float interface
        are not named as ops without an int8 rule."""
        model = ROOT / "tests" / "data" / f"{name}.tflite"
        dataset = ROOT / "calibration" / f"{name.split('_tf_')[0]}_calib.npz"
        done = convert(model=model, dataset=dataset, output=tmp_path / "out.tflite")
        fails(done, model, f"({first_op}) has int8 tensor ")
        assert done.stderr.rstrip().endswith("is the model already quantized?")

    def test_missing_model(self, tmp_path):
        missing = tmp_path / "missing.tflite"
        fails(convert(model=missing, output=tmp_path / "out.tflite"), missing, "cannot open")

    def test_missing_dataset(self, tmp_path):
        missing = tmp_path / "missing.npz"
        fails(convert(dataset=missing, output=tmp_path / "out.tflite"), missing,
              "no such file or directory")

    @pytest.mark.parametrize("samples", ["0", "-3", "many"])
    def test_sample_count_must_be_a_positive_integer(self, tmp_path, samples):
        done = convert("--samples", samples, output=tmp_path / "out.tflite")
        assert done.returncode == 2 and "--samples" in done.stderr
        assert not (tmp_path / "out.tflite").exists()

    def test_mode_is_required(self, tmp_path):
        done = litequant("convert", MODEL, "--dataset", DATASET, "-o", tmp_path / "out.tflite")
        assert done.returncode == 2 and "--full-int" in done.stderr


def test_progress_bar_redraws_one_line_and_clears_it():
    stream = io.StringIO()
    bar = _ProgressBar(stream, "calibrating")
    bar(1, 4)
    bar(4, 4)
    bar.close()
    text = stream.getvalue()
    assert "\n" not in text
    assert "calibrating [#######.......................] 1/4" in text
    assert "calibrating [##############################] 4/4" in text
    assert text.endswith("\r")


def test_progress_bar_without_a_total():
    stream = io.StringIO()
    bar = _ProgressBar(stream, "calibrating")
    bar(12, None)
    assert stream.getvalue() == "\rcalibrating 12"
