"""litequant.Interpreter against tf.lite's Interpreter (LiteRT, BUILTIN_REF) on the same models:
the details dicts, errors, resize_tensor_input and the signature runner behave alike.

Two models: one made with the builder (two inputs with names out of sorted order, an int8
shape chain SHAPE -> STRIDED_SLICE -> PACK -> RESHAPE, no shape signature) and the shipped
digits_cnn_tf_int8io.tflite (int8 in and out, batch -1 in its signature).
"""
import re

import numpy as np
import pytest

from litequant import format as tflite_format
from litequant.builder import ModelBuilder
from litequant.errors import (ModelFormatError, ResourceError, StateError, TensorError,
                              UnsupportedOpError)
from litequant.interpreter import Interpreter
from tests import oracle, single_op

DIGITS = "digits_cnn_tf_int8io.tflite"


def builder_model():
    b = ModelBuilder()
    q = (0.05, -3)
    x = b.input((1, 4, 6, 8), "int8", name="zeta", quant=q)
    y = b.input((1, 5, 1), "float32", name="alpha")
    spread = b.op("DEPTH_TO_SPACE", [x], (1, 8, 12, 2), out_quant=q, version=1, block_size=2)
    shape = b.op("SHAPE", [spread], (4,), "int32", out_type="INT32")
    index = [b.constant(np.array([v], np.int32)) for v in (0, 1, 1)]
    batch = b.op("STRIDED_SLICE", [shape, *index], (), shrink_axis_mask=1)
    new_shape = b.op("PACK", [batch, b.constant(np.array(-1, np.int32))], (2,), values_count=2, axis=0)
    flat = b.op("RESHAPE", [spread, new_shape], (1, 192), out_quant=q)
    squeezed = b.op("SQUEEZE", [y], (1, 5), squeeze_dims=[2])
    b.output(flat, squeezed)
    return tflite_format.write(b.build())


@pytest.fixture(params=["builder", "digits"])
def model(request, data_dir):
    return builder_model() if request.param == "builder" else (data_dir / DIGITS).read_bytes()


def litert(data):
    from ai_edge_litert.interpreter import Interpreter as LiteRT, OpResolverType
    return LiteRT(model_content=bytes(data), experimental_op_resolver_type=OpResolverType.BUILTIN_REF)


def random_inputs(details, batch=None, seed=0):
    rng = np.random.default_rng(seed)
    arrays = []
    for d in details:
        shape = tuple(d["shape"]) if batch is None else (batch, *d["shape"][1:])
        if d["dtype"] == np.float32:
            arrays.append(rng.standard_normal(shape).astype(np.float32))
        else:
            arrays.append(rng.integers(-128, 128, shape).astype(d["dtype"]))
    return arrays


def run(interpreter, inputs, resize=False):
    details = interpreter.get_input_details()
    if resize:
        for d, x in zip(details, inputs):
            interpreter.resize_tensor_input(d["index"], x.shape)
    interpreter.allocate_tensors()
    for d, x in zip(details, inputs):
        interpreter.set_tensor(d["index"], x)
    interpreter.invoke()
    return [interpreter.get_tensor(d["index"]) for d in interpreter.get_output_details()]


def assert_same_details(mine, theirs):
    assert len(mine) == len(theirs)
    for m, t in zip(mine, theirs):
        assert m.keys() == t.keys(), (m.keys(), t.keys())
        where = f"tensor {t['index']} ({t['name']})"
        for key in ("name", "index", "dtype", "quantization", "sparsity_parameters"):
            assert m[key] == t[key], f"{where}: {key} {m[key]!r} != {t[key]!r}"
        for key in ("shape", "shape_signature"):
            assert_same_array(m[key], t[key], f"{where}: {key}")
        mq, tq = m["quantization_parameters"], t["quantization_parameters"]
        assert mq.keys() == tq.keys(), (mq.keys(), tq.keys())
        for key in ("scales", "zero_points"):
            assert_same_array(mq[key], tq[key], f"{where}: {key}")
        for key in ("quantized_dimension", "block_size"):
            assert mq[key] == tq[key], f"{where}: {key} {mq[key]} != {tq[key]}"


def assert_same_array(got, want, where):
    assert got.dtype == want.dtype and np.array_equal(got, want), f"{where}: {got!r} != {want!r}"


def assert_same_model_details(mine, theirs):
    for name in ("get_input_details", "get_output_details"):
        assert_same_details(getattr(mine, name)(), getattr(theirs, name)())
    # After allocation LiteRT also lists its kernels' unnamed scratch tensors, after the model's.
    ours = mine.get_tensor_details()
    scratch = theirs.get_tensor_details()[len(ours):]
    assert all(d["name"] == "" for d in scratch), [d["name"] for d in scratch]
    assert_same_details(ours, theirs.get_tensor_details()[:len(ours)])


def test_details_match_tf_lite(model):
    assert_same_model_details(Interpreter(model_content=model), litert(model))


def test_details_match_after_resize_and_invoke(model):
    mine, theirs = Interpreter(model_content=model), litert(model)
    inputs = random_inputs(mine.get_input_details(), batch=3)
    run(mine, inputs, resize=True)
    run(theirs, inputs, resize=True)
    assert_same_model_details(mine, theirs)


def test_resized_batch_of_3_equals_3_single_invokes_and_tf_lite(model):
    it = Interpreter(model_content=model)
    inputs = random_inputs(it.get_input_details(), batch=3, seed=1)
    batched = run(it, inputs, resize=True)
    single = Interpreter(model_content=model)
    rows = [run(single, [x[i:i + 1] for x in inputs]) for i in range(3)]
    for position, out in enumerate(batched):
        np.testing.assert_array_equal(out, np.concatenate([r[position] for r in rows]))
    for got, want in zip(batched, run(litert(model), inputs, resize=True)):
        oracle.assert_same(got, want, "batch of 3")


def test_set_tensor_errors_name_the_tensor(model):
    mine, theirs = Interpreter(model_content=model), litert(model)
    mine.allocate_tensors()
    theirs.allocate_tensors()
    detail = mine.get_input_details()[0]
    index, name, shape = detail["index"], detail["name"], tuple(detail["shape"])
    wrong_dtype = np.zeros(shape, np.float64)
    wrong_shape = np.zeros((*shape, 2), detail["dtype"])
    expected = np.dtype(detail["dtype"]).name
    for value, what in ((wrong_dtype, f"got float64, expected {expected}"),
                        (wrong_shape, f"got shape {list(wrong_shape.shape)}")):
        with pytest.raises(TensorError, match=re.escape(f"tensor {index} ({name}): {what}")) as error:
            mine.set_tensor(index, value)
        assert isinstance(error.value, ValueError)
        with pytest.raises(ValueError):
            theirs.set_tensor(index, value)
    # Far out of range: LiteRT appends scratch tensors of its own after the model's.
    for bad in (1000, -1):
        with pytest.raises(TensorError, match=f"tensor index {bad} out of range"):
            mine.set_tensor(bad, wrong_dtype)
        with pytest.raises(ValueError):
            theirs.set_tensor(bad, wrong_dtype)


def test_invoke_before_allocate_tensors_is_a_state_error(model):
    with pytest.raises(StateError, match=r"invoke\(\) before allocate_tensors\(\)") as error:
        Interpreter(model_content=model).invoke()
    assert isinstance(error.value, RuntimeError)
    with pytest.raises(RuntimeError):
        litert(model).invoke()


def test_tensor_function_before_a_value_is_a_state_error(model):
    it = Interpreter(model_content=model)
    index = it.get_input_details()[0]["index"]
    current = it.tensor(index)
    with pytest.raises(StateError, match=rf"tensor {index} \(.*\) has no value"):
        current()
    it.allocate_tensors()
    with pytest.raises(StateError, match=rf"tensor {index} \(.*\) has no value"):
        current()
    x = random_inputs(it.get_input_details()[:1])[0]
    it.set_tensor(index, x)
    np.testing.assert_array_equal(current(), x)


def test_run_takes_tensor_names_or_signature_names_as_litequant_run_does(model):
    """The builder model's signature renamed, so each input has two names; mixed keys work."""
    ir_model = tflite_format.read(model)
    signature = ir_model.signature_defs[0]
    signature.inputs = {f"sig_{i}": t for i, t in enumerate(ir_model.subgraphs[0].inputs)}
    it = Interpreter.from_model(ir_model)
    details = it.get_input_details()
    arrays = random_inputs(details)
    expected = it.run(arrays)
    by_tensor = {d["name"]: x for d, x in zip(details, arrays)}
    by_signature = {f"sig_{i}": x for i, x in enumerate(arrays)}
    mixed = {**dict(list(by_tensor.items())[:1]), **dict(list(by_signature.items())[1:])}
    for keyed in (by_tensor, by_signature, mixed):
        for got, want in zip(it.run(keyed), expected):
            np.testing.assert_array_equal(got, want)
    expected_names = re.escape(f"; expected ['{details[0]['name']} or sig_0'")
    with pytest.raises(TensorError, match=r"inputs \['extra', 'sig_0'.*" + expected_names):
        it.run({**by_signature, "extra": arrays[0]})
    with pytest.raises(TensorError, match=r"inputs \[\] given" + expected_names):
        it.run({})


def test_run_checks_each_input_as_set_tensor_does(data_dir):
    it = Interpreter(model_path=str(data_dir / DIGITS))     # int8 [1, 8, 8, 1] in
    name = it.get_input_details()[0]["name"]
    with pytest.raises(TensorError, match=re.escape(f"input 0 ({name}): got float64, expected int8")):
        it.run([np.full((1, 8, 8, 1), 3.7)])
    with pytest.raises(TensorError, match=re.escape(f"input 0 ({name}): got shape [1, 8, 1], "
                                                    "expected [1, 8, 8, 1]")):
        it.run([np.zeros((1, 8, 1), np.int8)])
    with pytest.raises(TensorError, match=re.escape("got shape [2, 8, 8, 2]")):
        it.run([np.zeros((2, 8, 8, 2), np.int8)])
    with pytest.raises(TensorError, match=re.escape("got shape [0, 8, 8, 1], a batch of no rows")):
        it.run([np.zeros((0, 8, 8, 1), np.int8)])
    batch = np.random.default_rng(0).integers(-128, 128, (3, 8, 8, 1)).astype(np.int8)
    (out,) = it.run([batch])        # another batch size is one batch of that size
    for k in range(3):
        np.testing.assert_array_equal(out[k:k + 1], it.run([batch[k:k + 1]])[0])


def test_signature_list_and_runner_match_tf_lite(model):
    mine, theirs = Interpreter(model_content=model), litert(model)
    assert mine.get_signature_list() == theirs.get_signature_list()
    my_runner, their_runner = mine.get_signature_runner(), theirs.get_signature_runner()
    for name in ("get_input_details", "get_output_details"):
        m, t = getattr(my_runner, name)(), getattr(their_runner, name)()
        assert list(m) == list(t)
        assert_same_details(list(m.values()), list(t.values()))
    for batch in (1, 2):
        details = list(my_runner.get_input_details().items())
        arrays = random_inputs([d for _, d in details], batch=batch, seed=batch)
        kwargs = {key: x for (key, _), x in zip(details, arrays)}
        got, want = my_runner(**kwargs), their_runner(**kwargs)
        assert list(got) == list(want)
        for key in want:
            oracle.assert_same(got[key], want[key], f"signature output {key}")


def test_signature_runner_errors_are_value_errors(model):
    mine, theirs = Interpreter(model_content=model), litert(model)
    for it in (mine, theirs):
        with pytest.raises(ValueError):
            it.get_signature_runner("no_such_signature")
        with pytest.raises(ValueError):
            it.get_signature_runner()(no_such_input=np.zeros(1, np.float32))
    with pytest.raises(TensorError, match="no signature 'no_such_signature'"):
        mine.get_signature_runner("no_such_signature")


def test_unsupported_op_fails_at_construction_naming_index_and_op(tmp_path):
    b = ModelBuilder()
    x = b.input((2, 3))
    flat = b.op("RESHAPE", [x], (6,), new_shape=[6])
    b.output(b.op("FLOOR", [flat], (6,)))
    path = tmp_path / "floor.tflite"
    path.write_bytes(tflite_format.write(b.build()))
    with pytest.raises(UnsupportedOpError, match=r"op 1 \(FLOOR\)") as caught:
        Interpreter(model_path=str(path))
    assert caught.value.source == str(path)     # `litequant run` names the file


def test_sparse_constant_outside_densify_is_refused(data_dir):
    """Only DENSIFY reads a sparse constant's stored values; any other kernel expects it dense."""
    model = tflite_format.read(data_dir / "digits_cnn_float.tflite")
    model.subgraphs[0].tensors[10].sparsity = {"traversal_order": [0, 1, 2, 3]}
    with pytest.raises(UnsupportedOpError, match=r"op 0 \(CONV_2D\): input 1 \(.*\) is sparse"):
        Interpreter.from_model(model)


@pytest.mark.parametrize("make", ["dilation", "padding"])
def test_damaged_windows_and_paddings_are_refused_at_load(make):
    # What damaged options look like: a dilation or padding of 2^30, which would ask for
    # terabytes of scratch or output.
    b = ModelBuilder()
    x = b.input((1, 8, 8, 4))
    if make == "padding":
        paddings = b.constant(np.array([[0, 1 << 30], [0, 0], [0, 0], [0, 0]], np.int32))
        y = b.op("PAD", [x, paddings], (1, 8, 8, 4))
    else:
        y = b.depthwise_conv_2d(x, np.ones((1, 3, 3, 4), np.float32), **{make: 1 << 30})
    b.output(y)
    expected = r"paddings .* give shape \[1073741825, 8, 8, 4\]" if make == "padding" else \
        r"strides \(1, 1\) and dilation \(1073741824, 1073741824\) need a padded input of"
    with pytest.raises(ModelFormatError, match=r"^op 0 \(\w+\): " + expected):
        Interpreter(model_content=tflite_format.write(b.build()))


def test_running_out_of_memory_is_one_resource_error(data_dir):
    interpreter = Interpreter(model_path=str(data_dir / DIGITS))
    interpreter.allocate_tensors()
    detail = interpreter.get_input_details()[0]
    interpreter.set_tensor(detail["index"], np.zeros(detail["shape"], detail["dtype"]))
    step = interpreter._steps[2]

    def exhausted(*_):
        raise MemoryError
    step.run = exhausted
    with pytest.raises(ResourceError, match=rf"^op 2 \({step.opcode}\): out of memory$"):
        interpreter.invoke()


def test_a_convolution_over_an_empty_depth_is_refused():
    b = ModelBuilder()
    x = b.input((1, 4, 4, 0))
    b.output(b.op("CONV_2D", [x, b.constant(np.zeros((2, 3, 3, 0), np.float32)), -1], (1, 4, 4, 2)))
    with pytest.raises(ModelFormatError, match=r"^op 0 \(CONV_2D\): input depth is 0$"):
        Interpreter(model_content=tflite_format.write(b.build()))


def _int8(scale, **more):
    return single_op.Spec("int8", (1, 4), [scale], [0], **more)


@pytest.mark.filterwarnings("error")        # no numpy overflow warning on the way either
@pytest.mark.parametrize("opcode, inputs, options, words", [
    ("MUL", [_int8(0.5), _int8(0.5)], None, "its scales give no usable fixed-point multiplier"),
    ("RELU", [_int8(0.5)], None, "its scales give no usable fixed-point multiplier"),
    ("RELU6", [_int8(0.5)], None, "its scales give no usable fixed-point multiplier"),
    ("LEAKY_RELU", [_int8(0.5)], {"alpha": 0.2}, "its scales give no usable fixed-point multiplier"),
    ("PRELU", [_int8(0.5), single_op.Spec("int8", (4,), [0.5], [0], data=np.int8([1, 2, 3, 4]))],
     None, "its scales give no usable fixed-point multiplier"),
    ("HARD_SWISH", [_int8(0.5)], None, "is not below 1"),
    ("ADD", [_int8(0.5), _int8(0.5)], {"fused_activation_function": "RELU6"}, "beyond int32"),
])
def test_an_output_scale_whose_multiplier_leaves_float32_is_refused(opcode, inputs, options, words):
    # S_in / S_out = 0.5 / 1e-45 is inf in float32, as the C++ computes these multipliers
    options_type = {"LEAKY_RELU": "LeakyReluOptions", "ADD": "AddOptions"}.get(opcode)
    data = single_op.model(opcode, inputs, [_int8(1e-45)], options=options, options_type=options_type)
    with pytest.raises(ModelFormatError, match=rf"^op 0 \({opcode}\): .*{re.escape(words)}"):
        Interpreter(model_content=data)
