"""tflite-micro loads what litequant converts and computes the same integers, up to the first
FULLY_CONNECTED.

digits_cnn and residual_mix are converted on their calibration sets, with a float and with an
int8 interface. tflite-micro's Python interpreter must load each and run it, and on a few eval
inputs every tensor an op writes must equal litequant.Interpreter's bit for bit.

FULLY_CONNECTED and every tensor computed from it are left out, because there the two disagree
by design. litequant's FULLY_CONNECTED rescales its accumulator in float64, as LiteRT's
BUILTIN_REF kernel does (README, Limits). tflite-micro's uses the fixed-point pipeline with two
roundings: a rounding doubling high multiply by the Q31 multiplier, then a rounding right
shift. When the first rounding lands exactly on a half, the second rounds it away from zero,
although the exact product is not a tie. Example: residual_mix with an int8 interface, eval
input 16, output channel 4, accumulator 2955, multiplier 2139401797 / 2^31 with a right shift
of 8: 2955 * 2139401797 / 2^31 = 2943.88 rounds to 2944, and 2944 / 2^8 = 11.5 becomes 12,
where the exact product 11.4995 gives litequant's and LiteRT's 11 (before the zero point is
added). On the eval sets, 2 of residual_mix's 100 inputs and 2 of digits_cnn's 397 differ in
this way, each by 1 LSB in one channel of the FULLY_CONNECTED output. Both models compute
their output from a FULLY_CONNECTED, so the outputs are left out too. Every other op must
agree exactly: CONV_2D and DEPTHWISE_CONV_2D requantize with the same two-rounding pipeline in
both.
"""
import functools
import pathlib

import numpy as np
import pytest

from litequant import Interpreter
from litequant import format as tflite_format
from litequant.conversion import convert, qparams
from tests import oracle

ROOT = pathlib.Path(__file__).resolve().parents[2]
SAMPLES = 4
# Preserving every tensor rules out arena reuse; the default arena (10x the model) is too small.
ARENA_BYTES = 1 << 20


@functools.lru_cache(maxsize=None)
def converted(name, io):
    model = convert(ROOT / "tests" / "data" / f"{name}_float.tflite",
                    ROOT / "calibration" / f"{name}_calib.npz", io=io)
    return tflite_format.write(model)


def tflite_micro(data, preserve_all_tensors=False):
    from tflite_micro.python.tflite_micro import runtime
    if not preserve_all_tensors:
        return runtime.Interpreter.from_bytes(data)
    return runtime.Interpreter.from_bytes(
        data, arena_size=ARENA_BYTES,
        intrepreter_config=runtime.InterpreterConfig.kPreserveAllTensors)   # sic


def eval_inputs(name, detail):
    """The first SAMPLES eval inputs, one sample each, quantized for an int8 interface."""
    x = np.load(ROOT / "tests" / "data" / f"{name}_eval.npz")["x"][:SAMPLES]
    if detail["dtype"] != np.float32:
        x = qparams.quantize(x, *detail["quantization"])
    return [x[i:i + 1] for i in range(len(x))]


def before_fully_connected(graph):
    """Every tensor an op writes, except FULLY_CONNECTED outputs and tensors computed from them
    (the ops are stored in execution order)."""
    after, before = set(), []
    for op in graph.operators:
        if op.opcode == "FULLY_CONNECTED" or after.intersection(op.inputs):
            after.update(op.outputs)
        else:
            before.extend(op.outputs)
    return before


@pytest.mark.parametrize("io", ["float", "int8"])
@pytest.mark.parametrize("name", ["digits_cnn", "residual_mix"])
def test_tflite_micro_equals_litequant_up_to_fully_connected(name, io):
    data = converted(name, io)
    mine = Interpreter(model_content=data)
    mine.allocate_tensors()
    (given,), (output,) = mine.get_input_details(), mine.get_output_details()
    plain, preserving = tflite_micro(data), tflite_micro(data, preserve_all_tensors=True)
    graph = tflite_format.read(data).subgraphs[0]
    compared = before_fully_connected(graph)
    fully_connected = next(op for op in graph.operators if op.opcode == "FULLY_CONNECTED")
    assert fully_connected.inputs[0] in compared
    for x in eval_inputs(name, given):
        mine.set_tensor(given["index"], x)
        mine.invoke()
        plain.set_input(x, 0)
        plain.invoke()
        theirs = plain.get_output(0)
        assert (theirs.dtype, theirs.shape) == (output["dtype"], tuple(output["shape"]))
        preserving.set_input(x, 0)
        preserving.invoke()
        for index in compared:
            oracle.assert_same(mine.get_tensor(index),
                               preserving.GetTensor(index, 0)["tensor_data"],
                               f"tensor {index} ({graph.tensors[index].name})")
