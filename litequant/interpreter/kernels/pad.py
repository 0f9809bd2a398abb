"""PAD: the input surrounded by constant values; paddings (input 1) is an int32/int64 [rank, 2]
array of (before, after) counts per dimension.

The fill is real zero: 0.0 for float32, the output's zero point Z for int8 (input values are
copied unchanged, as TFLite does).
"""
import numpy as np

from litequant.interpreter.kernels import _common

OP = "PAD"

MAX_RANK = 5   # TFLite's PadKernelMaxDimensionCount


def prepare(ctx):
    x, paddings, out = ctx.inputs[0], ctx.inputs[1], ctx.outputs[0]
    dtype = _common.require_dtypes(ctx, ("float32", "int8", "int32", "int64"), "in0", "out0")
    if paddings is None or paddings.dtype not in ("int32", "int64"):
        raise ctx.unsupported("paddings that are not int32 or int64")
    if len(x.shape) > MAX_RANK:
        raise ctx.unsupported(f"PAD of rank {len(x.shape)} (at most {MAX_RANK})")
    fill = 0
    if dtype == "int8":
        _common.require_quantized(ctx, out)
        fill = _common.scale_and_zero_point(out)[1]
    fill = np.dtype(dtype).type(fill)
    constant = ctx.constant(1)
    if constant is not None:
        widths = _pad_widths(ctx, constant, len(x.shape))
        padded = [before + n + after for n, (before, after) in zip(x.shape, widths)]
        ctx.require(padded == list(out.shape),
                    f"paddings {[list(w) for w in widths]} give shape {padded}, "
                    f"the output has {list(out.shape)}")
        return lambda data, _: _pad(data, widths, fill)
    return lambda data, paddings: _pad(data, _pad_widths(ctx, paddings, data.ndim), fill)


def _pad_widths(ctx, paddings, rank):
    paddings = np.asarray(paddings)
    if paddings.shape != (rank, 2):
        raise ctx.fail(f"paddings have shape {list(paddings.shape)}, expected [{rank}, 2]")
    if (paddings < 0).any():
        raise ctx.fail(f"paddings must be >= 0, got {paddings.tolist()}")
    return [(int(before), int(after)) for before, after in paddings]


def _pad(data, widths, fill):
    shape = [before + n + after for n, (before, after) in zip(data.shape, widths)]
    out = np.full(shape, fill, dtype=data.dtype)
    out[tuple(slice(before, before + n) for n, (before, _) in zip(data.shape, widths))] = data
    return out
