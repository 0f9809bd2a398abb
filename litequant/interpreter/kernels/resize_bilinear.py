"""RESIZE_BILINEAR: NHWC input to the (height, width) of the int32 `size` input, each output
pixel a weighted sum of the 2 x 2 input pixels around its source position.

Per axis, output index i maps to a source position p (align_corners: the corner pixels map to
the corner pixels; half_pixel_centers: pixel centers at i + 0.5), with lo = max(floor(p), 0),
hi = min(ceil(p), in - 1) and weights (1 - (p - lo)) for lo and (p - lo) for hi:
    out = in[lo_y, lo_x]·wy_lo·wx_lo + in[hi_y, lo_x]·wy_hi·wx_lo
        + in[lo_y, hi_x]·wy_lo·wx_hi + in[hi_y, hi_x]·wy_hi·wx_hi

float32 follows TFLite's reference_ops::ResizeBilinear: p = i·scale, or (i + 0.5)·scale - 0.5,
scale = in / out (align_corners: (in - 1) / (out - 1)), all in float32.

int8 follows reference_ops::ResizeBilinearInteger, which BUILTIN_REF uses for int8: positions
in 1/1024 units, scale_10 = round(1024 · in / out) (a rounded integer division), p_10 = i·scale_10
(half_pixel_centers: + scale_10 / 2 - 512), weights 1024 - (p_10 - 1024·lo) and p_10 - 1024·lo;
the int64 sum carries 2^20 times the result and is divided by 2^20 rounding half away from
zero. No requantization happens, so the output must carry the input's (S, Z).
"""
import functools

import numpy as np

from litequant import fixedpoint
from litequant.interpreter.kernels import _resize

OP = "RESIZE_BILINEAR"

FRACTION_BITS = 10          # the integer kernel's positions are in units of 1/1024


def prepare(ctx):
    dtype, align_corners, half_pixel_centers = _resize.check(ctx, ("float32", "int8"))
    ctx.require(not (align_corners and half_pixel_centers),
                "align_corners and half_pixel_centers cannot both be set")
    axis_weights = _float_axis if dtype == "float32" else _integer_axis
    blend = _blend_float if dtype == "float32" else _blend_int8

    def resize(data, new_size):
        out_h, out_w = _resize.output_size(ctx, new_size)
        rows = axis_weights(data.shape[1], out_h, align_corners, half_pixel_centers)
        cols = axis_weights(data.shape[2], out_w, align_corners, half_pixel_centers)
        return blend(data, rows, cols)
    return resize


@functools.lru_cache(maxsize=64)   # a function of sizes and options only: once per shape, not per invoke
def _float_axis(in_size, out_size, align_corners, half_pixel_centers):
    """(lo, hi, weight of lo, weight of hi) along one axis, in float32 as the reference."""
    f32 = np.float32
    scale = _resize.float_scale(in_size, out_size, align_corners)
    index = np.arange(out_size, dtype=f32)
    position = (index + f32(0.5)) * scale - f32(0.5) if half_pixel_centers else index * scale
    lo = np.maximum(np.floor(position).astype(np.int64), 0)
    hi = np.minimum(np.ceil(position).astype(np.int64), in_size - 1)
    fraction = position - lo.astype(f32)
    return lo, hi, f32(1) - fraction, fraction


@functools.lru_cache(maxsize=64)   # a function of sizes and options only: once per shape, not per invoke
def _integer_axis(in_size, out_size, align_corners, half_pixel_centers):
    """(lo, hi, weight of lo, weight of hi) along one axis, weights in 1/1024 units (int64)."""
    one = 1 << FRACTION_BITS
    numerator, denominator = in_size, out_size
    if align_corners and out_size > 1:
        numerator, denominator = in_size - 1, out_size - 1
    # round(1024 · numerator / denominator) for positive integers, as the reference computes it.
    scale_10 = (one * numerator + denominator // 2) // denominator
    position = np.arange(out_size, dtype=np.int64) * scale_10
    if half_pixel_centers:
        position += scale_10 // 2 - one // 2
    # position >= -512, so floor division agrees with the C++ truncation after the clamps.
    lo = np.maximum(position // one, 0)
    hi = np.minimum((position + one - 1) // one, in_size - 1)
    fraction = position - one * lo
    return lo, hi, one - fraction, fraction


def _corners(data, rows, cols):
    (y_lo, y_hi, wy_lo, wy_hi), (x_lo, x_hi, wx_lo, wx_hi) = rows, cols
    top, bottom = data[:, y_lo], data[:, y_hi]
    wy_lo, wy_hi = wy_lo[:, None, None], wy_hi[:, None, None]
    wx_lo, wx_hi = wx_lo[None, :, None], wx_hi[None, :, None]
    return ((top[:, :, x_lo], wy_lo, wx_lo), (bottom[:, :, x_lo], wy_hi, wx_lo),
            (top[:, :, x_hi], wy_lo, wx_hi), (bottom[:, :, x_hi], wy_hi, wx_hi))


def _blend_float(data, rows, cols):
    # Summed in the reference's order, each term (value · wy) · wx in float32.
    terms = [value * wy * wx for value, wy, wx in _corners(data, rows, cols)]
    return terms[0] + terms[1] + terms[2] + terms[3]


def _blend_int8(data, rows, cols):
    # Along each axis the two weights sum to 1024, so |total| <= 128 · 2^20: inside int32.
    total = sum(value.astype(np.int64) * wy * wx for value, wy, wx in _corners(data, rows, cols))
    return fixedpoint.rounding_divide_by_pot(total, 2 * FRACTION_BITS).astype(np.int8)
