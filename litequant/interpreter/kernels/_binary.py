"""What ADD, SUB and MUL share: two inputs of one dtype combined elementwise with numpy
broadcasting, then the fused activation; the float32 or int8 path is chosen once in prepare.

float32: out = clamp(a op b, lo, hi), lo/hi from the fused activation (finite, as TFLite's).
int8:    ADD/SUB bring both inputs to a common scale 2*max(S1, S2) / 2^20 before adding
         (fixedpoint.add_params / add_int8); MUL scales (q1 - Z1)(q2 - Z2) by S1*S2/S_out
         (fixedpoint.mul_multiplier / mul_int8). The activation becomes a clamp on the output grid.
         Either result depends only on the pair (q1, q2), so prepare tabulates all 65,536 pairs
         once (fixedpoint.pair_table_int8) and a run is a table lookup.
"""
import numpy as np

from litequant import fixedpoint
from litequant.interpreter.kernels import _common

_FLOAT_OPS = {"ADD": np.add, "SUB": np.subtract, "MUL": np.multiply}


def prepare(ctx):
    """Validate the operands of ADD, SUB or MUL and return the eval function for their dtype."""
    dtype = _common.require_dtypes(ctx, ("float32", "int8"), "in0", "in1", "out0")
    a, b = ctx.inputs[0], ctx.inputs[1]
    _require_broadcastable(ctx, a, b, ctx.outputs[0])
    activation = ctx.options.get("fused_activation_function", "NONE")
    if dtype == "float32":
        lo, hi = _common.float_activation_clamp(ctx, activation)
        return _float_eval(_FLOAT_OPS[ctx.op.opcode], lo, hi)
    out = ctx.outputs[0]
    _common.require_quantized(ctx, a, b, out)
    lo, hi = _common.quantized_activation_bounds(ctx, activation, out)
    (s1, z1), (s2, z2), (s_out, z_out) = (_common.scale_and_zero_point(t) for t in (a, b, out))
    if ctx.op.opcode == "MUL":
        multiplier, shift = _common.fixed_point_params(ctx, fixedpoint.mul_multiplier, s1, s2, s_out)
        table = fixedpoint.pair_table_int8(
            lambda q1, q2: fixedpoint.mul_int8(q1, q2, z1, z2, multiplier, shift, z_out, lo, hi))
    else:
        params = _add_params(ctx, s1, z1, s2, z2, s_out, z_out)
        table = fixedpoint.pair_table_int8(lambda q1, q2: fixedpoint.add_int8(q1, q2, params, lo, hi))
    return lambda x1, x2: fixedpoint.lookup_pairs_int8(table, x1, x2)


def _add_params(ctx, s1, z1, s2, z2, s_out, z_out):
    # The output multiplier 2*max(S1, S2) / (2^20 * S_out) must be below 1, i.e.
    # S_out > max(S1, S2) / 2^19. On a finer output grid TFLite's ADD aborts and its SUB shifts
    # right by a negative amount (undefined, garbage results), so such models are refused.
    try:
        return fixedpoint.add_params(s1, z1, s2, z2, s_out, z_out, subtract=ctx.op.opcode == "SUB")
    except ValueError as error:
        raise ctx.unsupported(f"output scale {s_out} for input scales {s1}, {s2} ({error})")


def _require_broadcastable(ctx, a, b, out):
    try:
        shape = np.broadcast_shapes(a.shape, b.shape)
    except ValueError:
        raise ctx.fail(f"input shapes {list(a.shape)} and {list(b.shape)} do not broadcast")
    if tuple(shape) != tuple(out.shape):
        raise ctx.fail(f"output shape {list(out.shape)}, inputs broadcast to {list(shape)}")


def _float_eval(op, lo, hi):
    def run(x1, x2):
        with np.errstate(over="ignore", invalid="ignore"):   # inf and nan are results here
            result = np.asarray(op(x1, x2))
        return np.clip(result, lo, hi, out=result)
    return run
