"""RESIZE_NEAREST_NEIGHBOR: out[n, y, x, c] = in[n, src(y), src(x), c] for an NHWC input, the
new (height, width) given by the int32 `size` input.

Per axis, with scale = in / out (align_corners: (in - 1) / (out - 1) when out > 1) in float32
and offset 0.5 with half_pixel_centers (else 0):
    src(i) = min(round(( i + offset) · scale), in - 1)   align_corners (round half away from 0)
    src(i) = min(floor((i + offset) · scale), in - 1)    otherwise
and with half_pixel_centers src(i) is also raised to at least 0. The arithmetic is float32, as
in TFLite's reference kernel, so the picks agree at every boundary. Values are only copied, so
int8 keeps the input's (S, Z).
"""
import functools

import numpy as np

from litequant import fixedpoint
from litequant.interpreter.kernels import _resize

OP = "RESIZE_NEAREST_NEIGHBOR"

DTYPES = ("float32", "int8", "int32")


def prepare(ctx):
    _, align_corners, half_pixel_centers = _resize.check(ctx, DTYPES)

    def resize(data, new_size):
        out_h, out_w = _resize.output_size(ctx, new_size)
        rows = nearest_sources(data.shape[1], out_h, align_corners, half_pixel_centers)
        cols = nearest_sources(data.shape[2], out_w, align_corners, half_pixel_centers)
        return data[:, rows][:, :, cols]
    return resize


@functools.lru_cache(maxsize=64)   # a function of sizes and options only: once per shape, not per invoke
def nearest_sources(in_size, out_size, align_corners, half_pixel_centers):
    """The input index each output index copies along one axis (int array of out_size)."""
    f32 = np.float32
    scale = _resize.float_scale(in_size, out_size, align_corners)
    offset = f32(0.5) if half_pixel_centers else f32(0.0)
    position = (np.arange(out_size, dtype=f32) + offset) * scale
    if align_corners:
        source = fixedpoint.round_half_away_from_zero(position)
    else:
        source = np.floor(position)
    source = np.minimum(source.astype(np.int64), in_size - 1)
    if half_pixel_centers:
        source = np.maximum(source, 0)
    return source
