"""RELU: max(x, 0).

int8: the input is requantized to the output's (S, Z) and clamped at the output's zero point
(fixedpoint.relu_int8): clamp(Z_out + MultiplyByQuantizedMultiplier(q - Z_in, S_in / S_out),
max(-128, Z_out), 127).
"""
import numpy as np

from litequant import fixedpoint
from litequant.interpreter.kernels import _common

OP = "RELU"


def prepare(ctx):
    x, out = ctx.inputs[0], ctx.outputs[0]
    dtype = _common.require_dtypes(ctx, ("float32", "int8"), "in0", "out0")
    if dtype == "float32":
        return lambda data: np.maximum(data, np.float32(0))
    _common.require_quantized(ctx, x, out)
    params = _common.fixed_point_params(ctx, fixedpoint.relu_params, *_common.scale_and_zero_point(x),
                                        *_common.scale_and_zero_point(out), 0.0)
    return lambda data: fixedpoint.relu_int8(data, params)
