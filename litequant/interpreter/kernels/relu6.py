"""RELU6: min(max(x, 0), 6).

int8: the input is requantized to the output's (S, Z) and clamped to the real [0, 6] on the
output grid (fixedpoint.relu_int8): [max(-128, Z_out), min(127, Z_out + round(6 / S_out))].
"""
import numpy as np

from litequant import fixedpoint
from litequant.interpreter.kernels import _common

OP = "RELU6"

LOW, HIGH = np.float32(0), np.float32(6)


def prepare(ctx):
    x, out = ctx.inputs[0], ctx.outputs[0]
    dtype = _common.require_dtypes(ctx, ("float32", "int8"), "in0", "out0")
    if dtype == "float32":
        return lambda data: np.minimum(np.maximum(data, LOW), HIGH)
    _common.require_quantized(ctx, x, out)
    params = _common.fixed_point_params(ctx, fixedpoint.relu_params, *_common.scale_and_zero_point(x),
                                        *_common.scale_and_zero_point(out), LOW, HIGH)
    return lambda data: fixedpoint.relu_int8(data, params)
