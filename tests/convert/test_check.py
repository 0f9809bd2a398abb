"""The int8 spec checker: TensorFlow's own int8 models pass, and each broken rule is reported.

Violations are made by editing TF's int8 models one field at a time, so each test shows one
rule and the message that names it.
"""
import pathlib

import numpy as np
import pytest

from litequant import format as tflite_format
from litequant import ir
from litequant.builder import ModelBuilder
from litequant.conversion.check import check

DATA = pathlib.Path(__file__).resolve().parent.parent / "data"


@pytest.mark.parametrize("path", sorted(DATA.glob("*_tf_int8*.tflite")), ids=lambda p: p.stem)
def test_tensorflow_int8_models_pass(path):
    assert check(path) == []


def test_float_model_fails_on_every_float_tensor():
    found = check(DATA / "breast_mlp_float.tflite")
    assert "op 0 (FULLY_CONNECTED): input 0 (serving_default_keras_tensor_10:0): float32, " \
           "expected int8" in [str(v) for v in found]
    assert any("input 2" in str(v) and "expected int32" in str(v) for v in found)


def model(name="residual_mix"):
    return tflite_format.read(DATA / f"{name}_tf_int8.tflite")


def find(m, opcode):
    graph = m.subgraphs[0]
    return graph, next(op for op in graph.operators if op.opcode == opcode)


def messages(m):
    return [str(v) for v in check(m)]


def only(m, *fragments):
    found = messages(m)
    assert len(found) == 1, found
    assert all(f in found[0] for f in fragments), found[0]
    return found[0]


def requantized(tensor, **changes):
    q = tensor.quantization
    values = dict(scale=q.scale, zero_point=q.zero_point, quantized_dimension=q.quantized_dimension)
    values.update(changes)
    tensor.quantization = ir.QuantParams(**values)


class TestWeights:
    def test_per_axis_on_the_wrong_dimension(self):
        m = model()
        graph, op = find(m, "DEPTHWISE_CONV_2D")
        requantized(graph.tensors[op.inputs[1]], quantized_dimension=0)
        only(m, "DEPTHWISE_CONV_2D", "input 1", "along dim 0, expected 8 along dim 3")

    def test_per_tensor(self):
        m = model()
        graph, op = find(m, "CONV_2D")
        w = graph.tensors[op.inputs[1]]
        requantized(w, scale=w.quantization.scale[:1], zero_point=[0])
        found = messages(m)
        assert any("1 scale(s) along dim 0, expected 8 along dim 0" in f for f in found)

    def test_asymmetric(self):
        m = model()
        graph, op = find(m, "FULLY_CONNECTED")
        w = graph.tensors[op.inputs[1]]
        requantized(w, zero_point=np.arange(w.quantization.scale.size))
        only(m, "FULLY_CONNECTED", "zero points not all 0 (weights are symmetric)")

    def test_value_minus_128(self):
        m = model()
        graph, op = find(m, "CONV_2D")
        w = graph.tensors[op.inputs[1]]
        values = m.tensor_data(w).copy()
        values.flat[0] = -128
        w.buffer = m.add_buffer(values)
        only(m, "input 1", "values outside [-127, 127]")

    def test_no_channel_dimension(self):
        m = model()
        graph, op = find(m, "DEPTHWISE_CONV_2D")
        w = graph.tensors[op.inputs[1]]
        w.shape = (int(np.prod(w.shape)),)
        assert any("input 1" in f and "has no dim 3, the op's channel dimension" in f
                   for f in messages(m))

    def test_not_a_constant(self):
        m = model()
        graph, op = find(m, "CONV_2D")
        graph.tensors[op.inputs[1]].buffer = 0
        assert any("weights are not a constant" in f for f in messages(m))


class TestBias:
    def test_scale_not_input_times_weight(self):
        m = model()
        graph, op = find(m, "CONV_2D")
        b = graph.tensors[op.inputs[2]]
        requantized(b, scale=b.quantization.scale * np.float32(1.01))
        only(m, "input 2", "is not input scale * weight scale")

    def test_scale_within_float32_rounding_passes(self):
        m = model()
        graph, op = find(m, "CONV_2D")
        b = graph.tensors[op.inputs[2]]
        requantized(b, scale=np.nextafter(b.quantization.scale, np.float32(1)))
        assert check(m) == []

    @pytest.mark.filterwarnings("error")
    def test_weight_scale_nan_or_zero(self):
        m = model()
        graph, op = find(m, "CONV_2D")
        w = graph.tensors[op.inputs[1]]
        scales = w.quantization.scale.copy()
        scales[:2] = [np.nan, 0.0]
        requantized(w, scale=scales)
        found = messages(m)
        assert any("input 1" in f and "not all finite and positive" in f for f in found), found
        assert any("input 2" in f and "is not input scale * weight scale" in f for f in found)

    def test_not_int32(self):
        m = model()
        graph, op = find(m, "DEPTHWISE_CONV_2D")
        b = graph.tensors[op.inputs[2]]
        b.dtype, b.shape = "int8", (b.shape[0] * 4,)
        only(m, "input 2", "int8, expected int32")

    def test_nonzero_zero_point(self):
        m = model()
        graph, op = find(m, "CONV_2D")
        b = graph.tensors[op.inputs[2]]
        requantized(b, zero_point=np.ones(b.quantization.scale.size))
        only(m, "input 2", "zero points not all 0")


class TestActivations:
    def test_zero_point_out_of_range(self):
        m = model()
        graph, op = find(m, "MEAN")
        requantized(graph.tensors[op.outputs[0]], zero_point=[200])
        found = messages(m)
        assert any("output 0" in f and "zero point 200 outside [-128, 127]" in f for f in found)

    def test_per_axis_activation(self):
        m = model()
        graph, op = find(m, "MEAN")
        out = graph.tensors[op.outputs[0]]
        requantized(out, scale=np.repeat(out.quantization.scale, 2), zero_point=[-7, -7])
        assert any("activations are per-tensor" in f for f in messages(m))

    def test_fixed_output(self):
        m = model("digits_cnn")
        graph, op = find(m, "SOFTMAX")
        requantized(graph.tensors[op.outputs[0]], scale=[1 / 255])
        found = messages(m)
        assert any("SOFTMAX" in f and "the kernel needs 0.00390625 and -128" in f for f in found)

    def test_same_as_input(self):
        m = model("digits_cnn")
        graph, op = find(m, "MAX_POOL_2D")
        out = graph.tensors[op.outputs[0]]
        requantized(out, zero_point=out.quantization.zero_point + 1)
        found = messages(m)
        assert any("MAX_POOL_2D" in f and "differ from input 0's" in f for f in found)

    def test_concatenated_inputs_share_the_output_parameters(self):
        m = model()
        graph, op = find(m, "CONCATENATION")
        split = graph.tensors[op.inputs[1]]
        graph.tensors.append(ir.Tensor(name="other", dtype="int8", shape=split.shape,
                                       quantization=ir.QuantParams(scale=[0.5], zero_point=[0])))
        op.inputs[1] = len(graph.tensors) - 1
        found = messages(m)
        assert any("CONCATENATION" in f and "input 1 (other)" in f
                   and "differ from the output's" in f for f in found)

    def test_float_activation_left_inside(self):
        m = model()
        graph, op = find(m, "TANH")
        graph.tensors[op.outputs[0]].dtype = "float32"
        assert any("TANH): output 0" in f and "float32, expected int8" in f for f in messages(m))

    def test_non_real_input_must_be_integers(self):
        m = model()
        graph, op = find(m, "MEAN")
        axis = graph.tensors[op.inputs[1]]
        axis.dtype, axis.buffer = "float32", m.add_buffer(np.float32([1, 2]))
        only(m, "MEAN", "input 1", "float32, expected integers")

    def test_non_real_input_of_a_non_numeric_type(self):
        m = model()
        graph, op = find(m, "MEAN")
        graph.tensors[op.inputs[1]].dtype = "string"
        only(m, "MEAN", "input 1", "string, expected integers")


class TestOps:
    def test_version(self):
        m = model()
        graph, op = find(m, "CONV_2D")
        op.version = 1
        only(m, "op 1 (CONV_2D): version 1, the spec gives 3")

    @pytest.mark.filterwarnings("error")
    def test_mul_rescale_beyond_float32_is_no_warning(self):
        m = model()
        graph, op = find(m, "MUL")
        requantized(graph.tensors[op.outputs[0]], scale=np.float32([1e-45]))
        found = messages(m)             # S1 * S2 / S_out is inf in float32: "at least one"
        assert "op 6 (MUL): version 2, the spec gives 3" in found

    def test_version_rule(self):
        m = model()
        graph, op = find(m, "FULLY_CONNECTED")
        op.options["keep_num_dims"] = True
        only(m, "FULLY_CONNECTED", "version 4, the spec gives 5")

    def test_float_op_without_an_int8_rule(self):
        b = ModelBuilder()
        b.output(b.unary("EXP", b.input((1, 4))))
        assert messages(b.build()) == ["op 0 (EXP): float op without an int8 rule in a "
                                       "full-integer model"]

    def test_integer_only_ops_are_left_alone(self):
        b = ModelBuilder()
        x = b.input((1, 4), dtype="int32")
        b.output(b.reshape(x, (4,)))
        assert check(b.build()) == []

    def test_interface_types(self):
        m = model()
        graph, op = find(m, "DEQUANTIZE")
        graph.tensors[op.outputs[0]].dtype = "int16"
        found = messages(m)
        assert any("DEQUANTIZE): output 0" in f and "int16, expected one of ['float32']" in f
                   for f in found)

    def test_uint8_interface_zero_point(self):
        m = model()
        graph, op = find(m, "QUANTIZE")
        x = graph.tensors[op.inputs[0]]
        x.dtype = "uint8"
        x.quantization = ir.QuantParams(scale=[0.5], zero_point=[-3])
        only(m, "QUANTIZE): input 0", "zero point -3 outside [0, 255]")

    def test_min_runtime_version_too_old(self):
        m = model()
        name, buffer = next(entry for entry in m.metadata if entry[0] == "min_runtime_version")
        m.buffers[buffer] = ir.Buffer(np.frombuffer(b"1.5.0".ljust(16, b"\0"), np.uint8))
        only(m, "metadata min_runtime_version '1.5.0' is older than '1.14.0'")

    @pytest.mark.parametrize("text", [b"v1.14", b"1..0", b"\xff\xfe", None])
    def test_min_runtime_version_that_is_not_a_version(self, text):
        m = model()
        name, buffer = next(entry for entry in m.metadata if entry[0] == "min_runtime_version")
        data = None if text is None else np.frombuffer(text.ljust(16, b"\0"), np.uint8)
        m.buffers[buffer] = ir.Buffer(data)
        only(m, "metadata min_runtime_version", "is not a version number")

    @pytest.mark.parametrize("opcode, position, words", [
        ("CONV_2D", 1, "input 1 (filter) is required but omitted"),
        ("QUANTIZE", 0, "input 0 (input) is required but omitted"),     # not the last tensor
    ])
    def test_omitted_required_input(self, opcode, position, words):
        m = model()
        graph, op = find(m, opcode)
        op.inputs[position] = -1
        only(m, f"({opcode}): {words}")

    def test_operator_without_output(self):
        m = model()
        graph, op = find(m, "CONCATENATION")
        op.outputs = []
        only(m, "(CONCATENATION): takes 1 output, got 0")

    def test_every_violation_is_one_line(self):
        m = model()
        for graph in m.subgraphs:
            for op in graph.operators:
                op.version = 9
        assert all("\n" not in f for f in messages(m))
