"""What AVERAGE_POOL_2D and MAX_POOL_2D share: the window geometry and a walk over its taps.

Output position (y, x) reads input rows y*s_h - pad_h + i (i < filter_h) and columns
x*s_w - pad_w + j; positions outside the input are skipped (TFLite clips the window to the
input rather than reading padding). Here the input is padded once with a neutral value and each
of the filter_h * filter_w taps is one strided view, so the work is vectorized over the output.
"""
import functools
from typing import NamedTuple

import numpy as np

from litequant import geometry
from litequant.interpreter.kernels import _common


class Window(NamedTuple):
    filter_h: int
    filter_w: int
    stride_h: int
    stride_w: int
    padding: str


def prepare_window(ctx):
    """Check a pool's tensors and options; returns (dtype, Window, activation)."""
    dtype = _common.require_dtypes(ctx, ("float32", "int8"), "in0", "out0")
    x, out = ctx.inputs[0], ctx.outputs[0]
    if len(x.shape) != 4:
        raise ctx.fail(f"input {x.name!r} has shape {list(x.shape)}; pooling needs NHWC (rank 4)")
    o = ctx.options
    window = Window(o.get("filter_height", 0), o.get("filter_width", 0), o.get("stride_h", 0),
                    o.get("stride_w", 0), o.get("padding", "SAME"))
    if min(window[:4]) < 1:
        raise ctx.fail(f"filter {window.filter_h}x{window.filter_w} and stride "
                       f"{window.stride_h}x{window.stride_w} must be positive")
    if window.padding not in ("SAME", "VALID"):
        raise ctx.unsupported(f"padding {window.padding}")
    _, height, width, _ = x.shape
    if _extent(height, window.filter_h, window.stride_h, window.padding)[0] < 1 or \
            _extent(width, window.filter_w, window.stride_w, window.padding)[0] < 1:
        raise ctx.fail(f"a {window.filter_h}x{window.filter_w} VALID window does not fit the "
                       f"{height}x{width} input")
    if dtype == "int8":
        _common.require_quantized(ctx, x, out)
        _common.require_same_quantization(ctx, x, out)   # int8 pools never rescale
    return dtype, window, o.get("fused_activation_function", "NONE")


def taps(x, window, fill):
    """The input padded with `fill`, then one strided [n, out_h, out_w, c] view per filter tap,
    in TFLite's order (filter rows outer, columns inner)."""
    _, height, width, _ = x.shape
    out_h, top, bottom = _extent(height, window.filter_h, window.stride_h, window.padding)
    out_w, left, right = _extent(width, window.filter_w, window.stride_w, window.padding)
    padded = x
    if top or bottom or left or right:
        padded = np.pad(x, ((0, 0), (top, bottom), (left, right), (0, 0)), constant_values=fill)
    rows = (out_h - 1) * window.stride_h + 1
    cols = (out_w - 1) * window.stride_w + 1
    for i in range(window.filter_h):
        for j in range(window.filter_w):
            yield padded[:, i:i + rows:window.stride_h, j:j + cols:window.stride_w, :]


@functools.lru_cache(maxsize=64)   # a function of sizes and options only: once per shape, not per invoke
def in_bounds_counts(height, width, window):
    """How many taps of each output position's window fall inside the input: [out_h, out_w, 1]."""
    rows = _in_bounds(height, window.filter_h, window.stride_h, window.padding)
    cols = _in_bounds(width, window.filter_w, window.stride_w, window.padding)
    return (rows[:, None] * cols[None, :])[:, :, None]


def _extent(size, kernel, stride, padding):
    """Output size and the padding before and after that makes every window lie inside."""
    out = geometry.output_size(size, kernel, stride, 1, padding)
    before = geometry.padding_before(size, kernel, stride, 1, padding)
    after = max((out - 1) * stride + kernel - size - before, 0)
    return out, before, after


def _in_bounds(size, kernel, stride, padding):
    out, before, _ = _extent(size, kernel, stride, padding)
    start = np.arange(out) * stride - before
    return np.minimum(start + kernel, size) - np.maximum(start, 0)
