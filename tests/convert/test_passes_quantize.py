"""The converter's quantizing passes, one class per pass, on builder-made float models, and the
refusals pipeline.run makes before them (rules.require_supported).

The rules they implement come from schema/int8_spec.json; each test builds the smallest graph
that exercises one rule and looks at the parameters written. Models that come out whole are
also run in LiteRT's reference kernels against litequant's interpreter, bit for bit.
"""
import numpy as np
import pytest

from litequant import format as tflite_format
from litequant import ir
from litequant.builder import ModelBuilder
from litequant.conversion import check, qparams, rules
from litequant.conversion.passes import (calibrate, quantize_activations, quantize_weights,
                                      set_io_types, set_op_versions)
from litequant.errors import DatasetError, LitequantError, UnsupportedOpError
from tests import oracle


def samples(shape, count=8, low=-1.0, high=1.0, seed=0):
    rng = np.random.default_rng(seed)
    return [[rng.uniform(low, high, shape).astype(np.float32)] for _ in range(count)]


def with_range(model, tensor, lo, hi):
    """Pretend calibration saw [lo, hi] on `tensor`."""
    model.subgraphs[0].tensors[tensor].quantization = ir.QuantParams(
        scale=np.zeros(0), zero_point=np.zeros(0), min=np.float32([lo]), max=np.float32([hi]))


def params(model, tensor):
    q = model.subgraphs[0].tensors[tensor].quantization
    return float(q.scale[0]), int(q.zero_point[0])


def quantize(model, data):
    calibrate.run(model, data)
    quantize_activations.run(model)
    quantize_weights.run(model)
    set_op_versions.run(model)
    return model


def opcodes(model):
    return [op.opcode for op in model.subgraphs[0].operators]


def conv_model(activation="NONE"):
    rng = np.random.default_rng(3)
    b = ModelBuilder()
    x = b.input((1, 6, 6, 2), name="x")
    y = b.conv_2d(x, rng.standard_normal((4, 3, 3, 2)).astype(np.float32),
                  rng.standard_normal(4).astype(np.float32), activation=activation)
    b.output(y)
    return b.build(), x, y


class TestCalibrate:
    def test_records_every_float_activation(self):
        model, x, y = conv_model()
        data = samples((1, 6, 6, 2))
        progress = []
        assert calibrate.run(model, data, progress=lambda done, total: progress.append(done)) == 2
        graph = model.subgraphs[0]
        lo = min(float(s[0].min()) for s in data)
        assert calibrate.calibrated_range(graph.tensors[x])[0] == np.float32(lo)
        assert calibrate.calibrated_range(graph.tensors[y]) is not None
        assert progress == list(range(1, 9))
        assert graph.tensors[1].quantization is None        # constants are not calibrated

    def test_ranges_are_global_min_and_max(self):
        b = ModelBuilder()
        x = b.input((1, 3), name="x")
        b.output(b.unary("RELU", x))
        model = b.build()
        data = [[np.float32([[0.5, -2.0, 1.0]])], [np.float32([[3.0, 0.0, 0.0]])]]
        calibrate.run(model, data)
        assert calibrate.calibrated_range(model.subgraphs[0].tensors[x]) == (-2.0, 3.0)

    def test_nonfinite_activation_is_an_error(self):
        b = ModelBuilder()
        x = b.input((1, 2), name="x")
        b.output(b.unary("RELU", x))
        # a dataset.Samples refuses such data before; calibrate must not trust it either
        with pytest.raises(DatasetError, match=r"tensor 0 \(x\) held NaN or infinite values on 1 "
                                               r"of 2 samples"):
            calibrate.run(b.build(), [[np.float32([[1, 2]])], [np.float32([[np.nan, 1]])]])


class TestQuantizeActivations:
    def test_float_interface_is_kept(self):
        model, x, y = conv_model()
        names = [t.name for t in model.subgraphs[0].tensors]
        quantize(model, samples((1, 6, 6, 2)))
        graph = model.subgraphs[0]
        assert opcodes(model) == ["QUANTIZE", "CONV_2D", "DEQUANTIZE"]
        assert graph.inputs == [x] and graph.outputs == [y]
        assert [graph.tensors[t].dtype for t in (x, y)] == ["float32", "float32"]
        assert [t.name for t in graph.tensors[:len(names)]] == names
        assert model.signature_defs[0].inputs == {"x": x}
        assert graph.tensors[graph.operators[0].outputs[0]].dtype == "int8"
        assert check(model) == []

    def test_fused_relu6_narrows_the_range(self):
        model, x, y = conv_model("RELU6")
        calibrate.run(model, samples((1, 6, 6, 2)))
        with_range(model, y, -1.0, 9.0)        # wider than RELU6 allows
        quantize_activations.run(model)
        conv = model.subgraphs[0].operators[1]
        assert params(model, conv.outputs[0]) == qparams.activation_params(0.0, 6.0)

    def test_fixed_output_parameters(self):
        b = ModelBuilder()
        x = b.input((1, 4), name="x")
        b.output(b.unary("LOGISTIC", b.unary("TANH", x)))
        model = quantize(b.build(), samples((1, 4), low=-3, high=3))
        graph = model.subgraphs[0]
        tanh, logistic = graph.operators[1], graph.operators[2]
        assert params(model, tanh.outputs[0]) == (1 / 128, 0)
        assert params(model, logistic.outputs[0]) == (1 / 256, -128)

    def test_same_as_input_shares_the_input_parameters(self):
        b = ModelBuilder()
        x = b.input((1, 4, 4, 2), name="x")
        b.output(b.max_pool_2d(b.average_pool_2d(x)))
        model = quantize(b.build(), samples((1, 4, 4, 2)))
        graph = model.subgraphs[0]
        pool_params = {params(model, t) for op in graph.operators[1:3] for t in op.inputs + op.outputs}
        assert len(pool_params) == 1
        assert check(model) == []

    def test_concatenated_tensors_share_one_grid_covering_all(self):
        b = ModelBuilder()
        x = b.input((1, 4), name="x")
        small, large = b.unary("RELU", x), b.mul(x, b.constant(np.float32([3.0])))
        b.output(b.op("CONCATENATION", [small, large], (1, 8), axis=1))
        model = quantize(b.build(), [[np.float32([[-1, 1, 0.5, 0]])]])
        concat = model.subgraphs[0].operators[-2]
        shared = {params(model, t) for t in concat.inputs + concat.outputs}
        assert shared == {qparams.activation_params(-3.0, 3.0)}     # the union of the ranges
        assert "QUANTIZE" not in opcodes(model)[1:-1]

    def test_fixed_input_that_cannot_hold_the_group_is_requantized(self):
        b = ModelBuilder()
        x = b.input((1, 4), name="x")
        gate = b.unary("LOGISTIC", x)                  # pinned to [0, 1)
        wide = b.mul(x, b.constant(np.float32([5.0])))  # [-5, 5]
        out = b.op("CONCATENATION", [gate, wide], (1, 8), axis=1)
        b.output(out)
        model = quantize(b.build(), samples((1, 4)))
        graph = model.subgraphs[0]
        assert opcodes(model) == ["QUANTIZE", "LOGISTIC", "MUL", "QUANTIZE", "CONCATENATION",
                                  "DEQUANTIZE"]
        requantize, concat = graph.operators[3], graph.operators[4]
        assert params(model, requantize.inputs[0]) == (1 / 256, -128)
        assert params(model, requantize.outputs[0]) == params(model, concat.outputs[0])
        assert check(model) == []
        oracle.check_model(tflite_format.write(model), samples((1, 4), seed=9)[0])

    def test_fixed_input_within_the_group_joins_it(self):
        b = ModelBuilder()
        x = b.input((1, 4), name="x")
        gate = b.unary("LOGISTIC", x)
        half = b.mul(b.unary("RELU", x), b.constant(np.float32([0.5])))    # [0, 0.5]
        b.output(b.op("CONCATENATION", [gate, half], (1, 8), axis=1))
        model = quantize(b.build(), samples((1, 4)))
        concat = model.subgraphs[0].operators[-2]
        assert {params(model, t) for t in concat.inputs + concat.outputs} == {(1 / 256, -128)}

    def test_constant_operand_is_quantized_from_its_values(self):
        b = ModelBuilder()
        x = b.input((1, 3), name="x")
        offset = b.constant(np.float32([[0.5, -1.5, 2.0]]))
        b.output(b.add(x, offset))
        model = quantize(b.build(), samples((1, 3)))
        tensor = model.subgraphs[0].tensors[offset]
        assert tensor.dtype == "int8"
        scale, zero_point = qparams.activation_params(-1.5, 2.0)
        assert params(model, offset) == (scale, zero_point)
        np.testing.assert_allclose(qparams.dequantize(model.tensor_data(tensor), scale, zero_point),
                                   [[0.5, -1.5, 2.0]], atol=scale / 2)

    def test_missing_calibration_is_an_error(self):
        model, _, _ = conv_model()
        with pytest.raises(LitequantError, match="has no calibrated range"):
            quantize_activations.run(model)

    def test_integer_only_ops_are_left_alone(self):
        b = ModelBuilder()
        x = b.input((1, 4), name="x")
        ids = b.input((2,), dtype="int32", name="ids")
        b.output(b.unary("RELU", x), b.reshape(ids, (1, 2)))
        model = quantize(b.build(), [[np.zeros((1, 4), np.float32), np.int32([1, 2])]])
        assert opcodes(model) == ["QUANTIZE", "RELU", "RESHAPE", "DEQUANTIZE"]
        assert model.subgraphs[0].operators[2].version == 1


class TestRequireSupported:
    """The refusals pipeline.run makes before calibrating."""

    def test_unsupported_ops_are_named_with_counts(self):
        b = ModelBuilder()
        x = b.input((1, 4), name="x")
        b.output(b.unary("EXP", b.unary("EXP", b.unary("RELU", b.unary("COS", x)))))
        with pytest.raises(UnsupportedOpError, match=r"^no int8 quantization for COS \(1\), EXP \(2\)$"):
            rules.require_supported(b.build())

    def test_int8_weights_mean_the_model_is_already_quantized(self):
        b = ModelBuilder()
        x = b.input((1, 4), name="x")
        b.output(b.fully_connected(x, np.ones((2, 4), np.int8), weight_quant=(0.1, 0)))
        with pytest.raises(LitequantError, match=r"^op 0 \(FULLY_CONNECTED\) has int8 tensor "
                                                 r"'t1': is the model already quantized\?$"):
            rules.require_supported(b.build())

    def test_uint8_input_behind_dequantize_is_only_unsupported(self):
        b = ModelBuilder()
        x = b.input((1, 4), dtype="uint8", quant=(0.1, 128), name="x")
        b.output(b.unary("RELU", b.unary("DEQUANTIZE", x, out_dtype="float32")))
        with pytest.raises(UnsupportedOpError, match=r"^no int8 quantization for DEQUANTIZE \(1\)$"):
            rules.require_supported(b.build())

    def test_weights_must_be_constant(self):
        b = ModelBuilder()
        x, w = b.input((1, 4), name="x"), b.input((3, 4), name="w")
        b.output(b.fully_connected(x, w))
        with pytest.raises(UnsupportedOpError, match=r"op 0 \(FULLY_CONNECTED\): weight 'w' is "
                                                     "computed at run time"):
            rules.require_supported(b.build())


class TestQuantizeWeights:
    def test_per_channel_weights_and_bias(self):
        model = quantize(conv_model()[0], samples((1, 6, 6, 2)))
        graph = model.subgraphs[0]
        conv = graph.operators[1]
        w, bias = graph.tensors[conv.inputs[1]], graph.tensors[conv.inputs[2]]
        assert (w.dtype, w.quantization.quantized_dimension, w.quantization.scale.size) == ("int8", 0, 4)
        assert bias.dtype == "int32"
        s_in = graph.tensors[conv.inputs[0]].quantization.scale[0]
        np.testing.assert_array_equal(bias.quantization.scale,
                                      qparams.bias_scales(s_in, w.quantization.scale))
        oracle.check_model(tflite_format.write(model), samples((1, 6, 6, 2), seed=4)[0])

    def test_depthwise_weights_on_dimension_3(self):
        rng = np.random.default_rng(0)
        b = ModelBuilder()
        x = b.input((1, 5, 5, 3), name="x")
        b.output(b.depthwise_conv_2d(x, rng.standard_normal((1, 3, 3, 6)).astype(np.float32),
                                     np.zeros(6, np.float32), depth_multiplier=2))
        model = quantize(b.build(), samples((1, 5, 5, 3)))
        w = model.subgraphs[0].tensors[model.subgraphs[0].operators[1].inputs[1]]
        assert (w.quantization.quantized_dimension, w.quantization.scale.size) == (3, 6)
        assert check(model) == []

    def test_bias_of_shape_channels_by_1(self):
        # the interpreter takes any bias holding one value per channel; so must the converter
        model, x, y = conv_model()
        graph = model.subgraphs[0]
        graph.tensors[graph.operators[0].inputs[2]].shape = (4, 1)
        model = quantize(model, samples((1, 6, 6, 2)))
        graph = model.subgraphs[0]
        bias = graph.tensors[graph.operators[1].inputs[2]]
        assert (bias.dtype, bias.shape, bias.quantization.scale.size) == ("int32", (4, 1), 4)

    @pytest.mark.filterwarnings("error")
    def test_bias_scale_beyond_float32_is_an_error(self):
        b = ModelBuilder()
        x = b.input((1, 4), name="x")
        y = b.fully_connected(x, np.full((2, 4), 1e34, np.float32), np.float32([0.0, 1.0]))
        b.output(y)
        model = b.build()
        with_range(model, x, -1e34, 1e34)       # S_in * S_w is about 1e64
        with_range(model, y, -1.0, 1.0)
        quantize_activations.run(model)
        with pytest.raises(UnsupportedOpError, match=r"op 1 \(FULLY_CONNECTED\): cannot be "
                                                     r"quantized, the bias scale S_in \* S_w overflows"):
            quantize_weights.run(model)

    def test_weights_shared_by_two_ops_with_different_inputs(self):
        rng = np.random.default_rng(1)
        b = ModelBuilder()
        x = b.input((1, 4), name="x")
        w = b.constant(rng.standard_normal((3, 4)).astype(np.float32))
        bias = b.constant(np.float32([0.1, 0.2, 0.3]))
        first = b.fully_connected(x, w, bias)
        second = b.fully_connected(b.mul(x, b.constant(np.float32([4.0]))), w, bias)
        b.output(first, second)
        model = quantize(b.build(), samples((1, 4)))
        graph = model.subgraphs[0]
        fcs = [op for op in graph.operators if op.opcode == "FULLY_CONNECTED"]
        assert fcs[0].inputs[1] == fcs[1].inputs[1]          # one int8 copy of the weights
        assert fcs[0].inputs[2] != fcs[1].inputs[2]          # a bias per input scale
        assert check(model) == []

    def test_weight_and_bias_ranges_come_from_the_spec(self, monkeypatch):
        spec_range = rules.tensor_range
        narrow = {"weight": rules.TensorRange("int8", -63, 63),
                  "bias": rules.TensorRange("int32", -1000, 1000)}
        monkeypatch.setattr(rules, "tensor_range", lambda role: narrow.get(role) or spec_range(role))
        b = ModelBuilder()
        x = b.input((1, 4), name="x")
        weights = np.float32([[1.0, -3.0, 0.5, 4.0], [1.0, 1.0, 1.0, 1.0]])
        b.output(b.fully_connected(x, weights, np.float32([0.0, 1e6])))
        model = quantize(b.build(), samples((1, 4)))
        graph = model.subgraphs[0]
        w, bias = (model.tensor_data(graph.tensors[t]) for t in graph.operators[1].inputs[1:3])
        assert w[0].tolist() == [16, -47, 8, 63]      # max|w| / 63 per step
        assert bias.tolist() == [0, 1000]             # weight scale widened to fit the bias


class TestSetIoTypes:
    def model(self):
        model, x, y = conv_model()
        return quantize(model, samples((1, 6, 6, 2))), x, y

    def test_int8_interface(self):
        model, x, y = self.model()
        names = (model.subgraphs[0].tensors[x].name, model.subgraphs[0].tensors[y].name)
        assert set_io_types.run(model, "int8") == 2
        graph = model.subgraphs[0]
        assert opcodes(model) == ["CONV_2D"]
        inputs, outputs = [graph.tensors[t] for t in graph.inputs], [graph.tensors[t] for t in graph.outputs]
        assert [t.dtype for t in inputs + outputs] == ["int8", "int8"]
        assert (inputs[0].name, outputs[0].name) == names
        signature = model.signature_defs[0]
        assert signature.inputs == {"x": graph.inputs[0]}
        assert list(signature.outputs.values()) == graph.outputs

    def test_uint8_interface(self):
        model, x, y = self.model()
        int8_in = params(model, model.subgraphs[0].operators[0].outputs[0])
        set_io_types.run(model, "uint8")
        set_op_versions.run(model)
        graph = model.subgraphs[0]
        assert opcodes(model) == ["QUANTIZE", "CONV_2D", "QUANTIZE"]
        assert graph.tensors[x].dtype == graph.tensors[y].dtype == "uint8"
        assert params(model, x) == (int8_in[0], int8_in[1] + 128)
        assert check(model) == []
        oracle.check_model(tflite_format.write(model),
                           [np.random.default_rng(2).integers(0, 256, (1, 6, 6, 2), np.uint8)])

    def test_float_interface_is_unchanged(self):
        model, _, _ = self.model()
        assert set_io_types.run(model, "float") == 0

    def test_unknown_type(self):
        model, _, _ = self.model()
        with pytest.raises(ValueError, match="io must be one of"):
            set_io_types.run(model, "int16")


class TestSetOpVersions:
    def test_versions_follow_the_spec(self):
        rng = np.random.default_rng(0)
        b = ModelBuilder()
        x = b.input((1, 2, 4), name="x")
        y = b.fully_connected(x, rng.standard_normal((3, 4)).astype(np.float32),
                              np.zeros(3, np.float32), keep_num_dims=True)
        b.output(b.mul(y, y))
        model = quantize(b.build(), samples((1, 2, 4), low=-10, high=10))
        versions = {op.opcode: op.version for op in model.subgraphs[0].operators}
        assert versions["FULLY_CONNECTED"] == 5
        mul = model.subgraphs[0].operators[2]
        s = [params(model, t)[0] for t in mul.inputs + mul.outputs]
        assert versions["MUL"] == (3 if np.float32(s[0]) * np.float32(s[1]) / np.float32(s[2]) >= 1 else 2)
        assert versions["QUANTIZE"] == 1 and versions["DEQUANTIZE"] == 2

    def test_min_runtime_version_is_added_when_missing(self):
        model, _, _ = conv_model()
        model.metadata = []
        quantize(model, samples((1, 6, 6, 2)))
        assert set_op_versions.metadata_text(model) == "1.14.0"
        name, buffer = model.metadata[0]
        assert model.buffers[buffer].nbytes == 16
