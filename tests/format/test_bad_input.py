"""Damaged or hostile files: `litequant analyze`, `check` and `run` print one line
`litequant: error: FILE: ...` and exit 2, never a traceback, never a hang."""
import contextlib
import io
import signal
import struct

import numpy as np
import pytest
import tflite
from hypothesis import given, settings, strategies as st

from litequant import cli, spec
from litequant.errors import LitequantError
from litequant.format import read, write

SMALL_MODELS = ("breast_mlp_tf_int8", "digits_cnn_tf_int8", "residual_mix_tf_int8")
SECONDS_PER_CASE = 10


def run_cli(path, command="analyze", *options):
    """(exit status, stdout, stderr) of `litequant COMMAND PATH OPTIONS`, in this process."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = cli.main([command, str(path), *map(str, options)])
    return status, out.getvalue(), err.getvalue()


def assert_one_error_line(path, *words, command=("analyze",)):
    status, out, err = run_cli(path, *command)
    assert status == 2 and out == ""
    lines = err.splitlines()
    assert len(lines) == 1 and err.endswith("\n"), err
    assert lines[0].startswith(f"litequant: error: {path}: "), lines[0]
    for word in words:
        assert word in lines[0], lines[0]


def _written(tmp_path, data, name="bad.tflite"):
    path = tmp_path / name
    path.write_bytes(bytes(data))
    return path


def _edited(data_dir, tmp_path, edit, name="digits_cnn_float"):
    """A real model with one IR field changed, written back (the writer does not validate)."""
    model = read(data_dir / f"{name}.tflite")
    edit(model)
    return _written(tmp_path, write(model))


def _patch_scalar(data, table, table_name, field, fmt, value):
    """Overwrite one scalar field in place, found through the generated bindings."""
    slot = next(f[1] for f in spec.tables()[table_name] if f[0] == field)
    offset = table._tab.Offset(4 + 2 * slot)
    assert offset, f"{table_name}.{field} is not stored in this file"
    struct.pack_into(fmt, data, table._tab.Pos + offset, value)


def test_empty_file(tmp_path):
    assert_one_error_line(_written(tmp_path, b""), "empty")


def test_shorter_than_a_header(tmp_path):
    assert_one_error_line(_written(tmp_path, b"\x10\x00\x00"), "truncated")


@pytest.mark.parametrize("keep", [8, 100, 0.5, 0.99])
def test_truncated_model(tmp_path, data_dir, keep):
    data = (data_dir / "digits_cnn_tf_int8.tflite").read_bytes()
    size = keep if isinstance(keep, int) else int(len(data) * keep)
    assert_one_error_line(_written(tmp_path, data[:size]), "outside")


def test_not_a_flatbuffer(tmp_path):
    assert_one_error_line(_written(tmp_path, b"name,value\nalpha,1\nbeta,2\n" * 20), "not a TFLite")


def test_wrong_identifier(tmp_path, data_dir):
    data = bytearray((data_dir / "breast_mlp_float.tflite").read_bytes())
    data[4:8] = b"TFL2"
    assert_one_error_line(_written(tmp_path, data), "identifier", "TFL2")


def test_root_offset_outside_the_file(tmp_path, data_dir):
    data = bytearray((data_dir / "breast_mlp_float.tflite").read_bytes())
    struct.pack_into("<I", data, 0, 0xFFFFFF00)
    assert_one_error_line(_written(tmp_path, data), "outside")


def test_vtable_offset_outside_the_file(tmp_path, data_dir):
    data = bytearray((data_dir / "breast_mlp_float.tflite").read_bytes())
    root = struct.unpack_from("<I", data, 0)[0]
    struct.pack_into("<i", data, root, -(1 << 30))
    assert_one_error_line(_written(tmp_path, data), "outside")


def test_buffer_index_out_of_range(tmp_path, data_dir):
    def edit(model):
        model.subgraphs[0].tensors[5].buffer = 10_000
    assert_one_error_line(_edited(data_dir, tmp_path, edit), "tensor 5", "buffer", "out of range")


def test_operator_input_out_of_range(tmp_path, data_dir):
    def edit(model):
        model.subgraphs[0].operators[2].inputs[0] = 500
    assert_one_error_line(_edited(data_dir, tmp_path, edit), "op 2", "500", "out of range")


def test_graph_output_out_of_range(tmp_path, data_dir):
    def edit(model):
        model.subgraphs[0].outputs = [77]
    assert_one_error_line(_edited(data_dir, tmp_path, edit), "output", "out of range")


def test_signature_tensor_out_of_range(tmp_path, data_dir):
    def edit(model):
        model.signature_defs[0].inputs = {"x": 1234}
    assert_one_error_line(_edited(data_dir, tmp_path, edit), "signature", "out of range")


@pytest.mark.parametrize("shape", [(1 << 20, 1 << 20, 1 << 20), (2, 1 << 31 - 1, 1 << 31 - 1)])
def test_absurd_tensor_shape(tmp_path, data_dir, shape):
    def edit(model):
        model.subgraphs[0].tensors[12].shape = shape
    assert_one_error_line(_edited(data_dir, tmp_path, edit), "shape")


def test_negative_dimension(tmp_path, data_dir):
    def edit(model):
        model.subgraphs[0].tensors[12].shape = (1, -8, 8, 16)
    assert_one_error_line(_edited(data_dir, tmp_path, edit), "negative dimension")


def test_no_subgraphs(tmp_path, data_dir):
    def edit(model):
        model.subgraphs, model.signature_defs = [], []
    assert_one_error_line(_edited(data_dir, tmp_path, edit), "no subgraphs")


@pytest.fixture
def digits_input(tmp_path):
    path = tmp_path / "x.npy"
    np.save(path, np.zeros((1, 8, 8, 1), np.float32))
    return path


@pytest.mark.parametrize("command", ["analyze", "check", "run"])
@pytest.mark.parametrize("name, tensor, shape, nbytes, words", [
    ("digits_cnn_float", 8, (10, 33), None, "buffer 9 holds 1280 bytes, float32 [10, 33] needs"),
    ("digits_cnn_float", 4, None, 37, "buffer 5 holds 37 bytes, float32 [10] needs 40"),
    ("digits_cnn_tf_int8", 3, None, 7, "holds 7 bytes, int8 [10, 32] needs 320"),
])
def test_constant_bytes_do_not_match_the_shape(tmp_path, data_dir, digits_input, command,
                                               name, tensor, shape, nbytes, words):
    def edit(model):
        target = model.subgraphs[0].tensors[tensor]
        if shape is not None:
            target.shape = shape
        if nbytes is not None:
            model.buffers[target.buffer].data = np.zeros(nbytes, np.uint8)
    options = ("--input", digits_input) if command == "run" else ()
    assert_one_error_line(_edited(data_dir, tmp_path, edit, name), f"tensor {tensor}", words,
                          command=(command, *options))


def _omit(position):
    return lambda op: op.inputs.__setitem__(position, -1)


@pytest.mark.parametrize("op, edit, words", [
    (0, _omit(1), "op 0 (CONV_2D): input 1 (filter) is required but omitted"),
    (1, _omit(0), "op 1 (DEPTHWISE_CONV_2D): input 0 (input) is required but omitted"),
    (0, _omit(2), None),                        # the bias is optional
    (0, lambda op: op.inputs.pop(), None),
    (0, lambda op: op.inputs.__delitem__(slice(1, None)),
     "op 0 (CONV_2D): takes 2 to 3 inputs (input, filter, optional bias), got 1"),
    (7, lambda op: op.inputs.append(5), "op 7 (SOFTMAX): takes 1 input, got 2"),
    (7, lambda op: op.outputs.clear(), "op 7 (SOFTMAX): takes 1 output, got 0"),
])
def test_operands_that_do_not_fit_the_op(tmp_path, data_dir, digits_input, op, edit, words):
    path = _edited(data_dir, tmp_path, lambda model: edit(model.subgraphs[0].operators[op]))
    if words is None:
        assert run_cli(path, "run", "--input", digits_input)[0] == 0
    else:
        assert_one_error_line(path, words, command=("run", "--input", digits_input))


@pytest.mark.parametrize("edit, words", [
    (lambda graph: setattr(graph, "inputs", []), "op 0 (CONV_2D): input 0 ("),
    (lambda graph: graph.operators[2].inputs.__setitem__(0, 15), "op 2 (CONV_2D): input 0 ("),
    (lambda graph: graph.operators.pop(), "model output 0 (StatefulPartitionedCall_1:0)"),
])
def test_tensors_read_before_anything_writes_them(tmp_path, data_dir, digits_input, edit, words):
    path = _edited(data_dir, tmp_path, lambda model: edit(model.subgraphs[0]))
    assert_one_error_line(path, words, "has no value", command=("run", "--input", digits_input))


@pytest.mark.parametrize("name", ["digits_cnn_float", "digits_cnn_tf_int8"])
@pytest.mark.parametrize("first, stride, shapes", [
    (True, 2, "has shape [1, 8, 4, 16], the model gives [1, 8, 8, 16]"),
    (False, 3, "has shape [1, 2, 1, 32], the model gives [1, 2, 2, 32]"),
])
def test_op_writes_another_shape_than_the_model_gives(tmp_path, data_dir, digits_input, name,
                                                      first, stride, shapes):
    def edit(model):
        convs = [o for o in model.subgraphs[0].operators if o.opcode == "CONV_2D"]
        convs[0 if first else -1].options["stride_w"] = stride
    path = _edited(data_dir, tmp_path, edit, name)
    assert_one_error_line(path, "(CONV_2D): output 0 (", shapes,
                          command=("run", "--input", digits_input))


@pytest.mark.parametrize("name", ["digits_cnn_float", "digits_cnn_tf_int8"])
def test_op_writes_another_shape_in_a_batch_of_another_size(tmp_path, data_dir, name):
    # run() takes any first dimension; the rest of each fixed output shape is still checked
    def edit(model):
        pool = next(o for o in model.subgraphs[0].operators if o.opcode == "MAX_POOL_2D")
        pool.options["stride_h"] = 25
    path = _edited(data_dir, tmp_path, edit, name)
    batch = tmp_path / "batch.npy"
    np.save(batch, np.zeros((2, 8, 8, 1), np.float32))
    assert_one_error_line(path, "(MAX_POOL_2D): output 0 (", "has shape [2, 1, 4, 32], "
                          "the model gives [1, 4, 4, 32]", command=("run", "--input", batch))


@pytest.mark.filterwarnings("error")       # numpy's RuntimeWarning would be lines on stderr
def test_signaling_nan_weights_run_without_a_warning(tmp_path, data_dir, digits_input):
    def edit(model):
        weights = model.buffers[model.subgraphs[0].tensors[8].buffer]
        weights.data = weights.data.copy()
        weights.data[:4] = np.frombuffer(struct.pack("<I", 0x7F800001), np.uint8)   # sNaN
    status, out, err = run_cli(_edited(data_dir, tmp_path, edit), "run", "--input", digits_input)
    assert (status, err) == (0, "") and "nan" in out


@pytest.mark.parametrize("tensor, scale, zero_point, where, what", [
    (12, None, -4129, "op 0 (QUANTIZE): output 0 (", "zero point -4129 is outside the int8 range"),
    (12, np.inf, None, "op 0 (QUANTIZE): output 0 (", "scale inf is not finite and positive"),
    (12, 0.0, None, "op 0 (QUANTIZE): output 0 (", "scale 0.0 is not finite and positive"),
    (7, np.nan, None, "op 3 (CONV_2D): input 1 (", "scale nan is not finite"),
])
def test_quantization_the_interpreter_cannot_use(tmp_path, data_dir, digits_input, tensor,
                                                 scale, zero_point, where, what):
    def edit(model):
        q = model.subgraphs[0].tensors[tensor].quantization
        if scale is not None:
            q.scale = np.broadcast_to(np.float32(scale), q.scale.shape).copy()
        if zero_point is not None:
            q.zero_point = np.full_like(q.zero_point, zero_point)
    path = _edited(data_dir, tmp_path, edit, "digits_cnn_tf_int8")
    assert_one_error_line(path, where, what, command=("run", "--input", digits_input))


def test_zero_points_do_not_match_scales(tmp_path, data_dir):
    def edit(model):
        model.subgraphs[0].tensors[3].quantization.zero_point = np.zeros(3, np.int64)
    path = _edited(data_dir, tmp_path, edit, name="digits_cnn_tf_int8")
    assert_one_error_line(path, "tensor 3", "10 quantization scales but 3 zero points")


def test_unknown_builtin_operator(tmp_path, data_dir):
    data = bytearray((data_dir / "digits_cnn_tf_int8.tflite").read_bytes())
    code = tflite.Model.GetRootAsModel(data, 0).OperatorCodes(0)
    _patch_scalar(data, code, "OperatorCode", "deprecated_builtin_code", "<b", 127)
    _patch_scalar(data, code, "OperatorCode", "builtin_code", "<i", 9999)
    assert_one_error_line(_written(tmp_path, data), "unknown builtin operator 9999")


def test_unknown_tensor_type(tmp_path, data_dir):
    data = bytearray((data_dir / "digits_cnn_tf_int8.tflite").read_bytes())
    tensor = tflite.Model.GetRootAsModel(data, 0).Subgraphs(0).Tensors(3)   # INT8 weights
    _patch_scalar(data, tensor, "Tensor", "type", "<b", 99)
    assert_one_error_line(_written(tmp_path, data), "tensor 3", "unknown tensor type 99")


def test_missing_file(tmp_path):
    assert_one_error_line(tmp_path / "absent.tflite", "cannot open")


def test_directory(tmp_path):
    assert_one_error_line(tmp_path, "cannot open")


def test_line_breaks_in_names_stay_on_one_line(tmp_path, data_dir):
    def edit(model):
        model.subgraphs[0].tensors[12].name = "two\nlines\r\u2028"
        model.subgraphs[0].tensors[12].shape = (1, -1)
    assert_one_error_line(_edited(data_dir, tmp_path, edit), "two\\nlines\\r\\u2028")


# --- random damage --------------------------------------------------------------------------

@contextlib.contextmanager
def time_limit(seconds):
    """Turn a hang into a failure instead of a stuck test run."""
    def expire(signum, frame):
        raise TimeoutError(f"no answer within {seconds} s")
    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


@pytest.fixture(scope="module")
def originals(data_dir):
    return [(data_dir / f"{name}.tflite").read_bytes() for name in SMALL_MODELS]


@pytest.fixture(scope="module")
def scratch(tmp_path_factory):
    return tmp_path_factory.mktemp("damaged") / "model.tflite"


@pytest.fixture(scope="module")
def inputs(data_dir, scratch):
    """One sample of each small model's data, for `litequant run`."""
    paths = []
    for name in SMALL_MODELS:
        path = scratch.parent / f"{name}.npy"
        with np.load(data_dir / f"{name.split('_tf_')[0]}_eval.npz") as data:
            np.save(path, data["x"][:1])
        paths.append(path)
    return paths


@st.composite
def damage(draw, size):
    """Edits to a file of `size` bytes: bit flips and spans of random bytes, then maybe a cut."""
    edits = draw(st.lists(st.one_of(
        st.tuples(st.just("flip"), st.integers(0, size - 1), st.integers(0, 7)),
        st.tuples(st.just("write"), st.integers(0, size - 1), st.binary(min_size=1, max_size=48))),
        min_size=1, max_size=6))
    cut = draw(st.one_of(st.none(), st.integers(0, size)))
    return edits, cut


def apply(data, edits, cut):
    data = bytearray(data)
    for kind, at, what in edits:
        if kind == "flip":
            data[at] ^= 1 << what
        else:
            span = what[:len(data) - at]
            data[at:at + len(span)] = span
    return bytes(data[:cut] if cut is not None else data)


def check_damaged(data, path, inputs):
    """analyze, check and run on the bytes: each succeeds or exits 2, never a traceback."""
    with time_limit(SECONDS_PER_CASE):
        try:
            read(data)
        except LitequantError:
            pass
        path.write_bytes(data)
        analyzed = run_cli(path)
        checked = run_cli(path, "check")
        ran = run_cli(path, "run", "--input", inputs)
    status, out, err = analyzed
    if status == 0:
        assert out.startswith(f"=== {path.name} ===") and err == ""
    else:
        assert status == 2 and out == ""
        assert_error_line(err, path)
    status, out, err = checked
    assert status in (0, 2)
    if err:
        assert out == ""
        assert_error_line(err, path)
    else:       # violations, or none
        assert out and all(line.startswith(f"{path}: ") for line in out.splitlines()), out
    status, out, err = ran
    if status == 0:
        assert err == ""
    else:
        assert status == 2 and out == ""
        assert_error_line(err, path, inputs)


def assert_error_line(err, *sources):
    assert len(err.splitlines()) == 1 and err.endswith("\n"), err
    assert any(err.startswith(f"litequant: error: {source}: ") for source in sources), err


@settings(max_examples=300, deadline=None)
@given(which=st.integers(0, len(SMALL_MODELS) - 1), seed=st.data())
def test_random_damage(originals, scratch, inputs, which, seed):
    original = originals[which]
    edits, cut = seed.draw(damage(len(original)))
    check_damaged(apply(original, edits, cut), scratch, inputs[which])


@settings(max_examples=150, deadline=None)
@given(which=st.integers(0, len(SMALL_MODELS) - 1), fraction=st.floats(0, 1))
def test_random_truncation(originals, scratch, inputs, which, fraction):
    original = originals[which]
    check_damaged(original[:int(len(original) * fraction)], scratch, inputs[which])
