"""HARD_SWISH: x · relu6(x + 3) / 6.

int8: TFLite's int16 fixed-point scheme (fixedpoint.hard_swish_int8): the input on a 2^7-finer
grid is scaled once to the output scale and once to a "reluish" factor in [0, 1] (x + 3 over 6,
saturated); their product, rounded down to the output grid, + Z_out, clamped. The output
multiplier S_in / (128 · S_out) must be below 1 (the reference refuses the model otherwise).
"""
import numpy as np

from litequant import fixedpoint
from litequant.interpreter.kernels import _common

OP = "HARD_SWISH"

SIX, THREE, ZERO = np.float32(6), np.float32(3), np.float32(0)


def prepare(ctx):
    x, out = ctx.inputs[0], ctx.outputs[0]
    dtype = _common.require_dtypes(ctx, ("float32", "int8"), "in0", "out0")
    if dtype == "float32":
        return _hard_swish_float
    _common.require_quantized(ctx, x, out)
    (in_scale, in_zero_point), (out_scale, out_zero_point) = map(_common.scale_and_zero_point, (x, out))
    try:
        with np.errstate(over="ignore"):        # an infinite multiplier is refused below
            params = fixedpoint.hard_swish_params(in_scale, in_zero_point, out_scale, out_zero_point)
    except ValueError:
        raise ctx.fail(f"output multiplier S_in / (128 · S_out) = {in_scale} / (128 · {out_scale}) "
                       "is not below 1") from None
    return lambda data: fixedpoint.hard_swish_int8(data, params)


def _hard_swish_float(data):
    # float32 throughout, in the reference's order: x * min(6, max(0, x + 3)) / 6.
    return data * np.minimum(SIX, np.maximum(ZERO, data + THREE)) / SIX
