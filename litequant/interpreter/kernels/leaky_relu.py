"""LEAKY_RELU: x if x > 0 else alpha · x (alpha may be negative or above 1).

int8: d = q - Z_in is rescaled to the output by one of two multipliers, S_in / S_out for
d >= 0 and alpha · S_in / S_out for d < 0 (fixedpoint.leaky_relu_int8), + Z_out, clamped.
"""
import numpy as np

from litequant import fixedpoint
from litequant.interpreter.kernels import _common

OP = "LEAKY_RELU"


def prepare(ctx):
    x, out = ctx.inputs[0], ctx.outputs[0]
    dtype = _common.require_dtypes(ctx, ("float32", "int8"), "in0", "out0")
    alpha = np.float32(ctx.options.get("alpha", 0.0))
    if dtype == "float32":
        return lambda data: np.where(data > 0, data, data * alpha)
    _common.require_quantized(ctx, x, out)
    params = _common.fixed_point_params(ctx, fixedpoint.leaky_relu_params,
                                        *_common.scale_and_zero_point(x),
                                        *_common.scale_and_zero_point(out), alpha)
    return lambda data: fixedpoint.leaky_relu_int8(data, params)
