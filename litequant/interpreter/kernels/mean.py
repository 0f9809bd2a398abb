"""MEAN: the average over the axes named by input 1, kept as size-1 dimensions if keep_dims.

float32: for each output, the float32 sum of its n inputs in row-major order, divided by n
(TFLite's reference Mean adds sequentially, so the sum here is sequential too, not pairwise).
int8: out = clamp(Z_out + (sum of q - n * Z_in) * (S_in / S_out) / n), with 1/n folded into the
fixed-point multiplier of S_in / S_out (fixedpoint.mean_int8, TFLite's QuantizedMeanOrSum,
prepared once per n as fixedpoint.mean_requantizer), for equal and different input and output
parameters alike.
With no axes at all TFLite copies the input unchanged (no rescaling), and so does this kernel.
"""
import numpy as np

from litequant import fixedpoint
from litequant.interpreter.kernels import _common

OP = "MEAN"


def prepare(ctx):
    x, axes, out = ctx.inputs[0], ctx.inputs[1], ctx.outputs[0]
    dtype = _common.require_dtypes(ctx, ("float32", "int8"), "in0", "out0")
    if axes is None or axes.dtype != "int32":
        raise ctx.fail("the axes (input 1) must be an int32 tensor")
    if dtype == "float32":
        reduce = _float_mean
    else:
        _common.require_quantized(ctx, x, out)
        reduce = _int8_mean(_common.scale_and_zero_point(x), _common.scale_and_zero_point(out))
    keep_dims = bool(ctx.options.get("keep_dims", False))
    constant = ctx.constant(1)
    if constant is not None:
        reduced = _resolve_axes(ctx, constant, len(x.shape))
        return lambda data, _: _mean(data, reduced, keep_dims, reduce)
    return lambda data, axes: _mean(data, _resolve_axes(ctx, axes, data.ndim), keep_dims, reduce)


def _resolve_axes(ctx, axes, rank):
    """Axes as sorted distinct dimensions (negative ones count from the end)."""
    resolved = set()
    for axis in np.asarray(axes).reshape(-1).tolist():
        if not -rank <= axis < rank:
            raise ctx.fail(f"axis {axis} is out of range for rank {rank}")
        resolved.add(axis % rank)
    return sorted(resolved)


def _mean(data, reduced, keep_dims, reduce):
    if not reduced:
        return data.copy()
    kept = [d for d in range(data.ndim) if d not in reduced]
    count = int(np.prod([data.shape[d] for d in reduced]))
    # Reduced axes last, in their order: each row holds one output's inputs in row-major order.
    rows = np.moveaxis(data, reduced, range(len(kept), data.ndim)).reshape(-1, count)
    if keep_dims:
        shape = [1 if d in reduced else n for d, n in enumerate(data.shape)]
    else:
        shape = [data.shape[d] for d in kept]
    return reduce(rows, count).reshape(shape)


def _float_mean(rows, count):
    sums = np.add.accumulate(rows, axis=1, dtype=np.float32)[:, -1]   # a running sum
    return sums / np.float32(count)


def _int8_mean(input_params, output_params):
    (s_in, z_in), (s_out, z_out) = input_params, output_params
    multiplier, shift = fixedpoint.quantize_multiplier(s_in / s_out)   # in double

    prepared = {}

    def mean(rows, count):
        if count not in prepared:
            prepared[count] = fixedpoint.mean_requantizer(z_in, multiplier, shift, z_out, count)
        return prepared[count](rows.sum(axis=1, dtype=np.int32))
    return mean
