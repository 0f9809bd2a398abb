"""Representative datasets: every accepted form, and every way data can fail to fit the model."""
import sys
import tracemalloc

import numpy as np
import pytest

from litequant.builder import ModelBuilder
from litequant.conversion.dataset import Samples
from litequant.errors import DatasetError

SHAPE = (1, 3, 4)       # one model input; samples may leave out the leading 1


def single_input_model():
    b = ModelBuilder()
    x = b.input(SHAPE, name="x")
    b.output(b.unary("RELU", x))
    model = b.build()
    model.signature_defs[0].inputs = {"pixels": x}      # a signature name besides the tensor's
    return model


def two_input_model():
    b = ModelBuilder()
    a, c = b.input((1, 2), name="a"), b.input((1, 2), name="c")
    b.output(b.add(a, c))
    return b.build()


def rows(n, seed=0):
    return np.random.default_rng(seed).uniform(-1, 1, (n,) + SHAPE[1:]).astype(np.float32)


def read(source, model=None, **kwargs):
    return list(Samples(source, model or single_input_model(), **kwargs))


def fails(source, message, model=None, **kwargs):
    with pytest.raises(DatasetError, match=message) as caught:
        read(source, model, **kwargs)
    assert "\n" not in str(caught.value)
    return caught.value


class TestForms:
    def test_npz_keyed_by_tensor_name(self, tmp_path):
        np.savez(tmp_path / "d.npz", x=rows(5))
        samples = read(str(tmp_path / "d.npz"))
        assert len(samples) == 5
        assert samples[0][0].shape == SHAPE and samples[0][0].dtype == np.float32
        np.testing.assert_array_equal(samples[3][0][0], rows(5)[3])

    def test_npz_keyed_by_signature_name(self, tmp_path):
        np.savez(tmp_path / "d.npz", pixels=rows(2))
        assert len(read(tmp_path / "d.npz")) == 2

    def test_npz_single_array_under_any_key(self, tmp_path):
        np.savez(tmp_path / "d.npz", rows(3))     # saved as arr_0
        assert len(read(tmp_path / "d.npz")) == 3

    def test_compressed_npz_with_batch_dimension_kept(self, tmp_path):
        np.savez_compressed(tmp_path / "d.npz", x=rows(4)[:, None])
        samples = read(tmp_path / "d.npz")
        assert [s[0].shape for s in samples] == [SHAPE] * 4

    def test_npz_for_several_inputs(self, tmp_path):
        np.savez(tmp_path / "d.npz", c=np.ones((3, 2)), a=np.zeros((3, 1, 2)))
        samples = read(tmp_path / "d.npz", two_input_model())
        assert len(samples) == 3
        assert [s.tolist() for s in samples[0]] == [[[0, 0]], [[1, 1]]]   # model-input order

    def test_npy(self, tmp_path):
        np.save(tmp_path / "d.npy", rows(6).astype(np.float64))
        samples = read(tmp_path / "d.npy")
        assert len(samples) == 6 and samples[0][0].dtype == np.float32

    def test_directory_one_sample_per_file(self, tmp_path):
        for i in range(3):
            np.save(tmp_path / f"{i}.npy", rows(1, seed=i)[0])
        np.savez(tmp_path / "3.npz", x=rows(1, seed=3))
        (tmp_path / "README.txt").write_text("not data")
        samples = Samples(tmp_path, single_input_model())
        assert samples.total == 4
        got = list(samples)
        np.testing.assert_array_equal(got[1][0][0], rows(1, seed=1)[0])
        np.testing.assert_array_equal(got[3][0], rows(1, seed=3))

    def test_directory_of_npz_for_several_inputs(self, tmp_path):
        np.savez(tmp_path / "s.npz", a=np.zeros(2), c=np.ones((1, 2)))
        assert len(read(tmp_path, two_input_model())) == 1

    def test_module_function(self, tmp_path, monkeypatch):
        (tmp_path / "my_calibration.py").write_text(
            "import numpy as np\n"
            "def samples():\n"
            "    for i in range(4):\n"
            "        yield [np.full((3, 4), i, np.float32)]\n")
        monkeypatch.chdir(tmp_path)
        got = read("my_calibration:samples")
        assert [float(s[0].max()) for s in got] == [0, 1, 2, 3]

    def test_array_and_mapping(self):
        assert len(read(rows(5))) == 5
        assert len(read({"x": rows(2)})) == 2
        assert len(read({"a": np.zeros((2, 2)), "c": np.ones((2, 2))}, two_input_model())) == 2

    def test_callable_is_called_for_each_reading(self):
        calls = []

        def generate():
            calls.append(1)
            return (rows(1, seed=i) for i in range(3))
        samples = Samples(generate, single_input_model())
        assert samples.total is None
        assert len(list(samples)) == 3 and len(list(samples)) == 3 and len(calls) == 2

    def test_iterables_of_every_sample_kind(self):
        model = two_input_model()
        pair = [np.zeros((1, 2)), np.ones(2)]
        assert len(read([pair, tuple(pair), {"a": pair[0], "c": pair[1]}], model)) == 3

    def test_single_array_sample_for_a_single_input(self):
        samples = read([rows(1)[0], rows(1)])
        assert [s[0].shape for s in samples] == [SHAPE, SHAPE]

    def test_limit(self, tmp_path):
        np.savez(tmp_path / "d.npz", x=rows(10))
        samples = Samples(tmp_path / "d.npz", single_input_model(), limit=4)
        assert samples.total == 4 and len(list(samples)) == 4 and samples.count == 4

    def test_integer_inputs(self):
        b = ModelBuilder()
        x = b.input((1, 2), dtype="int32", name="ids")
        b.output(b.unary("RELU", x))
        got = read([np.array([3, 4], np.int64)], b.build())
        assert got[0][0].dtype == np.int32


class TestStreaming:
    def test_npz_rows_are_read_one_at_a_time(self, tmp_path):
        big = np.random.default_rng(0).uniform(-1, 1, (2000, 64, 64)).astype(np.float32)   # 32 MB
        np.savez(tmp_path / "big.npz", x=big)
        b = ModelBuilder()
        b.output(b.unary("RELU", b.input((1, 64, 64), name="x")))
        samples = Samples(tmp_path / "big.npz", b.build())
        del big
        tracemalloc.start()
        try:
            count = sum(1 for _ in samples)
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        assert count == 2000
        assert peak < 2 << 20      # a few rows, never the 32 MB array


class TestBadInput:
    def test_unknown_input_name(self, tmp_path):
        np.savez(tmp_path / "d.npz", a=np.zeros((2, 2)), q=np.zeros((2, 2)))
        error = fails(tmp_path / "d.npz", "no array for input 'c'", two_input_model())
        assert error.source == str(tmp_path / "d.npz")

    def test_extra_input_name(self, tmp_path):
        np.savez(tmp_path / "d.npz", a=np.zeros((2, 2)), c=np.zeros((2, 2)), z=np.zeros((2, 2)))
        fails(tmp_path / "d.npz", r"unknown input name\(s\) \['z'\]", two_input_model())

    def test_unknown_name_in_a_sample(self):
        fails([{"a": np.zeros(2), "cc": np.zeros(2)}], "sample 0: no array for input 'c'",
              two_input_model())

    def test_wrong_rank(self, tmp_path):
        np.save(tmp_path / "d.npy", np.zeros((5, 12), np.float32))
        fails(tmp_path / "d.npy", r"sample 0: input 'x': shape \[12\] does not match \[1, 3, 4\]")

    def test_wrong_shape(self):
        fails([np.zeros((3, 5), np.float32)], r"shape \[3, 5\] does not match")

    def test_wrong_batch(self):
        fails([np.zeros((2, 3, 4), np.float32)], r"shape \[2, 3, 4\]")

    def test_integers_for_a_float_input(self):
        fails([np.zeros((3, 4), np.uint8)], "dtype uint8, expected a float dtype")

    def test_integer_values_that_do_not_fit(self):
        b = ModelBuilder()
        b.output(b.unary("RELU", b.input((1, 2), dtype="int8", name="q")))
        fails([np.array([1, 300])], "outside the range of int8", b.build())

    @pytest.mark.parametrize("bad, word", [(np.nan, "NaN"), (np.inf, "an infinity"),
                                           (-np.inf, "an infinity")])
    def test_nonfinite_values(self, tmp_path, bad, word):
        data = rows(4)
        data[2, 1, 1] = bad
        np.savez(tmp_path / "d.npz", x=data)
        fails(tmp_path / "d.npz", f"sample 2: input 'x': contains {word}")

    def test_wrong_number_of_arrays(self):
        fails([[np.zeros(2)]], "1 arrays given, the model has 2 inputs", two_input_model())

    def test_single_array_for_several_inputs(self):
        fails(np.zeros((4, 2)), "a single array holds the samples of one input", two_input_model())

    def test_arrays_of_different_lengths(self, tmp_path):
        np.savez(tmp_path / "d.npz", a=np.zeros((3, 2)), c=np.zeros((4, 2)))
        fails(tmp_path / "d.npz", "different numbers of samples", two_input_model())

    def test_scalar_array(self, tmp_path):
        np.savez(tmp_path / "d.npz", x=np.float32(1))
        fails(tmp_path / "d.npz", "scalar")

    @pytest.mark.parametrize("empty", [[], (x for x in ()), np.zeros((0, 3, 4), np.float32)])
    def test_empty(self, empty):
        fails(empty, "holds no samples")

    def test_empty_file(self, tmp_path):
        np.savez(tmp_path / "d.npz", x=np.zeros((0, 3, 4), np.float32))
        fails(tmp_path / "d.npz", "holds no samples")

    def test_empty_directory(self, tmp_path):
        fails(tmp_path, "no .npy or .npz files")

    def test_missing_path(self, tmp_path):
        fails(tmp_path / "missing.npz", "no such file or directory")

    def test_other_file_type(self, tmp_path):
        (tmp_path / "d.csv").write_text("1,2,3")
        fails(tmp_path / "d.csv", "expected a .npz or .npy file")

    def test_corrupt_npz(self, tmp_path):
        (tmp_path / "d.npz").write_bytes(b"PK\x03\x04 not really a zip")
        fails(tmp_path / "d.npz", "cannot read")

    @pytest.mark.parametrize("save, fill", [(np.savez, b"\0"),                # a bad CRC
                                            (np.savez_compressed, b"\xff")])  # bad deflate
    def test_npz_member_damaged_after_its_header(self, tmp_path, save, fill):
        save(tmp_path / "d.npz", x=rows(2000))
        data = bytearray((tmp_path / "d.npz").read_bytes())
        middle = len(data) // 2
        data[middle:middle + 64] = fill * 64
        (tmp_path / "d.npz").write_bytes(data)
        fails(tmp_path / "d.npz", "array 'x': cannot read")

    def test_corrupt_npy(self, tmp_path):
        (tmp_path / "d.npy").write_bytes(b"\x93NUMPY garbage")
        fails(tmp_path / "d.npy", "cannot read")

    def test_missing_module(self):
        fails("no_such_module_here:samples", "cannot import 'no_such_module_here'")

    def test_missing_function(self, tmp_path, monkeypatch):
        (tmp_path / "calib_mod.py").write_text("x = 1\n")
        monkeypatch.chdir(tmp_path)
        fails("calib_mod:samples", "has no 'samples'")
        fails("calib_mod:x", "'x' is not callable")

    @pytest.mark.parametrize("source, words", [
        ("def samples(:\n", "importing 'calib_broken' raised SyntaxError: "),
        ("raise RuntimeError('no camera attached')\n",
         "importing 'calib_broken' raised RuntimeError: no camera attached"),
    ])
    def test_module_that_fails_to_import(self, tmp_path, monkeypatch, source, words):
        (tmp_path / "calib_broken.py").write_text(source)
        monkeypatch.chdir(tmp_path)
        fails("calib_broken:samples", words)
        assert str(tmp_path) not in sys.path

    def test_module_that_changes_directory(self, tmp_path, monkeypatch):
        (tmp_path / "elsewhere").mkdir()
        (tmp_path / "calib_wanders.py").write_text(
            "import os\nimport numpy as np\nos.chdir('elsewhere')\n"
            "def samples():\n    yield [np.zeros((3, 4), np.float32)]\n")
        monkeypatch.chdir(tmp_path)
        path = list(sys.path)
        assert len(read("calib_wanders:samples")) == 1
        assert sys.path == path

    def test_function_or_generator_that_raises(self):
        def broken():
            raise OSError("camera unplugged")

        def stops_midway():
            yield rows(1)
            raise ValueError("frame 2 is corrupt")
        fails(broken, "reading the dataset raised OSError: camera unplugged")
        fails(stops_midway, "reading the dataset raised ValueError: frame 2 is corrupt")
        fails(iter([rows(1), None]), "sample 1: ")          # our own checks keep their words

    def test_function_returning_a_non_iterable(self):
        fails(lambda: 3, "returned int, not an iterable")

    def test_not_a_dataset(self):
        fails(3.5, "expected a path, an array, a mapping, a callable or an iterable")

    def test_one_shot_iterator_read_twice(self):
        samples = Samples(iter([rows(1)]), single_input_model())
        assert len(list(samples)) == 1
        with pytest.raises(DatasetError, match="one-shot iterator"):
            list(samples)

    def test_sample_count_must_be_positive(self):
        fails(rows(3), "at least 1", limit=0)

    def test_directory_errors_name_the_file(self, tmp_path):
        np.save(tmp_path / "a.npy", rows(1)[0])
        np.save(tmp_path / "b.npy", np.zeros((7,), np.float32))
        fails(tmp_path, r"b\.npy: input 'x': shape \[7\]")
