"""PRELU: x if x >= 0 else alpha · x, with alpha a second input (usually a constant, one value
per channel) broadcast against x; the output has x's shape.

int8: d = q - Z_in; d >= 0 is rescaled by S_in / S_out, d < 0 as d · (alpha_q - Z_alpha) by
S_in · S_alpha / S_out (fixedpoint.prelu_int8), + Z_out, clamped. alpha is quantized per tensor.
"""
import numpy as np

from litequant import fixedpoint
from litequant.interpreter.kernels import _common

OP = "PRELU"


def prepare(ctx):
    x, alpha, out = ctx.inputs[0], ctx.inputs[1], ctx.outputs[0]
    dtype = _common.require_dtypes(ctx, ("float32", "int8"), "in0", "in1", "out0")
    try:
        broadcast = np.broadcast_shapes(tuple(x.shape), tuple(alpha.shape))
    except ValueError:
        raise ctx.fail(f"alpha shape {list(alpha.shape)} does not broadcast against input shape "
                       f"{list(x.shape)}") from None
    ctx.require(broadcast == tuple(x.shape), f"alpha shape {list(alpha.shape)} would broadcast "
                f"the input {list(x.shape)} to {list(broadcast)}; the output must keep the input's shape")
    if dtype == "float32":
        return lambda data, alpha_data: np.where(data >= 0, data, data * alpha_data)
    _common.require_quantized(ctx, x, alpha, out)
    if alpha.quantization.scale.size != 1:
        raise ctx.unsupported("per-channel quantized alpha")
    params = _common.fixed_point_params(ctx, fixedpoint.prelu_params,
                                        *_common.scale_and_zero_point(x),
                                        *_common.scale_and_zero_point(alpha),
                                        *_common.scale_and_zero_point(out))
    return lambda data, alpha_data: fixedpoint.prelu_int8(data, alpha_data, params)
