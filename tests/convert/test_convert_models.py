"""End to end: every float model in tests/data with a calibration set is converted and must
load and run in LiteRT, equal LiteRT's reference kernels bit for bit, follow the int8 spec,
and do at least as well as TensorFlow's own converter on the held-out eval set.

Each model is scored once per invoke with the whole eval set as the batch.
"""
import pathlib

import numpy as np
import pytest

from litequant import format as tflite_format
from litequant.conversion import check, convert, qparams
from tests import oracle
from tests.convert import production_models

ROOT = pathlib.Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data"
CALIBRATION = ROOT / "calibration"
NAMES = sorted(p.name[:-len("_float.tflite")] for p in DATA.glob("*_float.tflite")
               if (CALIBRATION / p.name.replace("_float.tflite", "_calib.npz")).exists())

# What TensorFlow 2.21's converter reaches on each model's eval set: top-1 accuracy (against y
# for trained models, agreement with the float model's top-1 otherwise), SQNR in dB of its int8
# output against the float output, and the size of its int8 file. From the table "What
# TensorFlow's converter reaches" in /work/shared/models/README.md (LiteRT 2.3.0, one sample
# per invoke).
TENSORFLOW = {
    "breast_mlp": {"accuracy": 0.976, "sqnr_db": 35.8, "bytes": 9816},
    "digits_cnn": {"accuracy": 0.992, "sqnr_db": 45.2, "bytes": 19040},
    "mobilenet_v2_035_96": {"accuracy": 1.000, "sqnr_db": 38.0, "bytes": 646272},
    "residual_mix": {"accuracy": 1.000, "sqnr_db": 37.0, "bytes": 10176},
}
SQNR_SLACK_DB = 0.5
ACCURACY_SLACK = 0.005          # half a percentage point
SIZE_SLACK = 0.02


def test_every_model_has_tensorflows_numbers():
    assert NAMES == sorted(TENSORFLOW)


_converted = {}


def converted(name, io="float"):
    """The int8 model's bytes, converted once per (model, io) for the whole module."""
    if (name, io) not in _converted:
        model = convert(DATA / f"{name}_float.tflite", CALIBRATION / f"{name}_calib.npz", io=io)
        _converted[name, io] = tflite_format.write(model)
    return _converted[name, io]


def eval_set(name):
    data = np.load(DATA / f"{name}_eval.npz")
    return data["x"], (data["y"] if "y" in data else None)


def litert(data, x, resolver="BUILTIN_REF"):
    """Outputs of one LiteRT invoke with x as the batch: integer interfaces get x quantized,
    and their outputs come back dequantized."""
    from ai_edge_litert.interpreter import Interpreter, OpResolverType
    it = Interpreter(model_content=bytes(data),
                     experimental_op_resolver_type=getattr(OpResolverType, resolver))
    (inp,), (out,) = it.get_input_details(), it.get_output_details()
    it.resize_tensor_input(inp["index"], x.shape)
    it.allocate_tensors()
    it.set_tensor(inp["index"], to_input(x, inp))
    it.invoke()
    return from_output(it.get_tensor(out["index"]), out)


def to_input(x, detail):
    if detail["dtype"] == np.float32:
        return x
    scale, zero_point = detail["quantization"]
    info = np.iinfo(detail["dtype"])
    return qparams.quantize(x, scale, zero_point, info.min, info.max, detail["dtype"])


def from_output(y, detail):
    if detail["dtype"] == np.float32:
        return y.astype(np.float64)
    scale, zero_point = detail["quantization"]
    return qparams.dequantize(y, scale, zero_point).astype(np.float64)


def sqnr_db(f, q):
    return 10 * np.log10(np.sum(f ** 2) / np.sum((f - q) ** 2))


def score(name, data):
    """(accuracy, SQNR) of a converted model on the eval set."""
    x, y = eval_set(name)
    f = litert((DATA / f"{name}_float.tflite").read_bytes(), x)
    q = litert(data, x)
    truth = y if y is not None else f.argmax(axis=1)
    return float(np.mean(q.argmax(axis=1) == truth)), sqnr_db(f, q)


def quantized_eval_inputs(name, data):
    x, _ = eval_set(name)
    graph = tflite_format.read(data).subgraphs[0]
    tensor = graph.tensors[graph.inputs[0]]
    if tensor.dtype == "float32":
        return [x]
    q = tensor.quantization
    info = np.iinfo(tensor.dtype)
    return [qparams.quantize(x, q.scale[0], q.zero_point[0], info.min, info.max, tensor.dtype)]


@pytest.mark.parametrize("name", NAMES)
class TestConvertedModel:
    @pytest.mark.parametrize("resolver", ["BUILTIN", "BUILTIN_REF"])
    def test_runs_in_litert(self, name, resolver):
        x, _ = eval_set(name)
        out = litert(converted(name), x, resolver)
        assert out.shape[0] == len(x) and np.isfinite(out).all()

    def test_equals_reference_kernels_bit_for_bit(self, name):
        data = converted(name)
        oracle.check_model(data, quantized_eval_inputs(name, data))

    def test_at_least_as_accurate_as_tensorflow(self, name):
        accuracy, sqnr = score(name, converted(name))
        bar = TENSORFLOW[name]
        assert sqnr >= bar["sqnr_db"] - SQNR_SLACK_DB
        assert accuracy >= bar["accuracy"] - ACCURACY_SLACK

    def test_no_larger_than_tensorflows(self, name):
        assert len(converted(name)) <= TENSORFLOW[name]["bytes"] * (1 + SIZE_SLACK)

    def test_follows_the_int8_spec(self, name):
        assert check(converted(name)) == []


@pytest.mark.parametrize("io", ["int8", "uint8"])
def test_integer_interfaces(io):
    name = "digits_cnn"
    data = converted(name, io)
    graph = tflite_format.read(data).subgraphs[0]
    assert {graph.tensors[t].dtype for t in graph.inputs + graph.outputs} == {io}
    assert check(data) == []
    x, _ = eval_set(name)
    assert np.isfinite(litert(data, x, "BUILTIN")).all()
    oracle.check_model(data, quantized_eval_inputs(name, data))
    accuracy, sqnr = score(name, data)
    assert sqnr >= TENSORFLOW[name]["sqnr_db"] - SQNR_SLACK_DB
    assert accuracy >= TENSORFLOW[name]["accuracy"] - ACCURACY_SLACK


def test_integer_interface_keeps_names_and_signatures():
    name = "digits_cnn"
    float_model = tflite_format.read(DATA / f"{name}_float.tflite")
    int8_model = tflite_format.read(converted(name, "int8"))

    def interface(model):
        graph = model.subgraphs[0]
        return ([graph.tensors[t].name for t in graph.inputs + graph.outputs],
                [(s.key, {k: graph.tensors[t].name for k, t in {**s.inputs, **s.outputs}.items()})
                 for s in model.signature_defs])
    assert interface(int8_model) == interface(float_model)
    assert int8_model.metadata and [n for n, _ in int8_model.metadata] == \
        [n for n, _ in float_model.metadata]


@pytest.mark.parametrize("build", production_models.BUILDERS, ids=lambda b: b.__name__)
def test_production_shaped_models(build):
    """Float16 weights, sparse weights, shape chains, no signature defs, and the glue ops
    (HARD_SWISH, PRELU, LEAKY_RELU, RESIZE_*, DEPTH_TO_SPACE, PAD, MAX_POOL_2D): converted on
    random representative data, checked against the reference kernels and the spec."""
    model, sample = build()
    rng = np.random.default_rng(0)
    calibration = [sample(rng) for _ in range(24)]
    data = tflite_format.write(convert(model, calibration))
    assert check(data) == []
    test = sample(np.random.default_rng(1))
    mine, theirs = oracle.check_model(data, test)
    reference = oracle.reference(model, test)
    graph = model.subgraphs[0]
    f = np.concatenate([reference[t].astype(np.float64).ravel() for t in graph.outputs])
    q = np.concatenate([theirs[t].astype(np.float64).ravel()
                        for t in tflite_format.read(data).subgraphs[0].outputs])
    assert sqnr_db(f, q) > 25
