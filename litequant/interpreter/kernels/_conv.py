"""What CONV_2D and DEPTHWISE_CONV_2D share: the window read from the options, the padded input,
the views of it that each kernel tap sees, and the int8 constants of the requantize epilogue.

Padding never enters the sums. The float paths pad with 0.0. The int8 paths accumulate
Σ (x - Z_in) · w over the taps that fall inside the image; they pad the raw input with Z_in,
which makes a padded tap contribute (Z_in - Z_in) · w = 0, and either subtract Z_in from
everything (the plain integer path) or move the constant Z_in · Σ w into the bias (the fast
path). The two are equal as integers.
"""
import functools
from typing import NamedTuple

import numpy as np

from litequant import fixedpoint, geometry
from litequant.interpreter.kernels import _common

# A float32 sum of integers is exact while every partial sum stays within 2^24 (all integers
# up to 2^24 are float32 numbers, so no addition rounds). With |x| <= 128 the partial sums
# of Σ x · w for output channel c are bounded by 128 · Σ |w_c|.
FLOAT32_EXACT_LIMIT = 1 << 24
INT8_MAGNITUDE = 128
# The padded input is scratch the size of the input plus its border, at most float64; a damaged
# stride or dilation can ask for a border of terabytes.
MAX_PADDED_BYTES = 1 << 34


class Window(NamedTuple):
    kernel: tuple       # (kh, kw)
    stride: tuple       # (sh, sw)
    dilation: tuple     # (dh, dw)
    padding: str        # "SAME" or "VALID"


class Placement(NamedTuple):
    """Where the output grid sits on the padded input."""
    out_h: int
    out_w: int
    top: int
    left: int
    bottom: int
    right: int


def window(ctx, kernel_hw):
    o = ctx.options
    stride = (int(o.get("stride_h", 1)), int(o.get("stride_w", 1)))
    dilation = (int(o.get("dilation_h_factor", 1)), int(o.get("dilation_w_factor", 1)))
    padding = o.get("padding", "SAME")
    ctx.require(min(stride) > 0, f"strides must be positive, got {stride}")
    ctx.require(min(dilation) > 0, f"dilation factors must be positive, got {dilation}")
    if padding not in ("SAME", "VALID"):
        raise ctx.unsupported(f"padding {padding}")
    return Window(tuple(int(k) for k in kernel_hw), stride, dilation, padding)


@functools.lru_cache(maxsize=1024)
def placement(win, height, width):
    """Output size and the implicit padding on each side, from the actual input size. Only the
    rows and columns the taps reach are padded (VALID may leave input rows unread)."""
    (kh, kw), (sh, sw), (dh, dw) = win.kernel, win.stride, win.dilation
    out_h = geometry.output_size(height, kh, sh, dh, win.padding)
    out_w = geometry.output_size(width, kw, sw, dw, win.padding)
    top = geometry.padding_before(height, kh, sh, dh, win.padding)
    left = geometry.padding_before(width, kw, sw, dw, win.padding)
    reach_h = (out_h - 1) * sh + geometry.effective_size(kh, dh)
    reach_w = (out_w - 1) * sw + geometry.effective_size(kw, dw)
    return Placement(out_h, out_w, top, left,
                     max(reach_h - top - height, 0), max(reach_w - left - width, 0))


def require_output_grid(ctx, win, input_shape):
    place = placement(win, input_shape[1], input_shape[2])
    ctx.require(place.out_h > 0 and place.out_w > 0,
                f"a {win.kernel} window dilated by {win.dilation} does not fit the input "
                f"{list(input_shape)} with padding {win.padding}")
    n, height, width, depth = input_shape
    padded_bytes = 8 * n * depth * (place.top + height + place.bottom) * (
        place.left + width + place.right)
    ctx.require(padded_bytes <= MAX_PADDED_BYTES,
                f"strides {win.stride} and dilation {win.dilation} need a padded input of "
                f"{padded_bytes} bytes")


def padded(x, place, fill, dtype):
    """x [N, H, W, C] as a C-contiguous `dtype` array inside a border of `fill`."""
    if not any(place[2:]):
        return np.ascontiguousarray(x, dtype=dtype)
    n, h, w, c = x.shape
    out = np.empty((n, place.top + h + place.bottom, place.left + w + place.right, c), dtype)
    out[:, :place.top] = fill
    out[:, place.top + h:] = fill
    out[:, place.top:place.top + h, :place.left] = fill
    out[:, place.top:place.top + h, place.left + w:] = fill
    out[:, place.top:place.top + h, place.left:place.left + w] = x
    return out


class Padder:
    """padded() into a buffer kept from one invoke to the next: the border of `fill` is written
    when the input's shape changes, each call copies only the interior. The result is scratch
    for the caller's arithmetic, overwritten by the next call."""

    def __init__(self, fill, dtype):
        self.fill, self.dtype = fill, dtype
        self.key = self.buffer = None

    def __call__(self, x, place):
        if not any(place[2:]):
            return np.ascontiguousarray(x, dtype=self.dtype)
        if self.key != (x.shape, place):
            self.key, self.buffer = (x.shape, place), padded(x, place, self.fill, self.dtype)
            return self.buffer
        _, h, w, _ = x.shape
        self.buffer[:, place.top:place.top + h, place.left:place.left + w] = x
        return self.buffer


def tap_views(xp, win, place):
    """((ky, kx), view) for each kernel tap: view [N, out_h, out_w, ...] holds the input
    element that tap multiplies at every output position."""
    (kh, kw), (sh, sw), (dh, dw) = win.kernel, win.stride, win.dilation
    rows = (place.out_h - 1) * sh + 1
    cols = (place.out_w - 1) * sw + 1
    for ky in range(kh):
        for kx in range(kw):
            y0, x0 = ky * dh, kx * dw
            yield (ky, kx), xp[:, y0:y0 + rows:sh, x0:x0 + cols:sw]


def windows(xp, win, place):
    """The read-only view [N, out_h, out_w, kh, kw, C] of a C-contiguous padded input: element
    [n, i, j, ky, kx, c] is the input under tap (ky, kx) of the window at output (i, j)."""
    n, _, _, c = xp.shape
    (kh, kw), (sh, sw), (dh, dw) = win.kernel, win.stride, win.dilation
    s_n, s_h, s_w, s_c = xp.strides
    view = np.ndarray((n, place.out_h, place.out_w, kh, kw, c), xp.dtype, xp, 0,
                      (s_n, s_h * sh, s_w * sw, s_h * dh, s_w * dw, s_c))
    view.flags.writeable = False
    return view


def patches(x, win, place, pad):
    """im2col: [N·out_h·out_w, kh·kw·C] in the Padder's dtype, each row the window of one output
    position in (ky, kx, c) order, matching CONV_2D weights [out, kh, kw, in] flattened. A 1x1
    stride-1 window is the input itself, converted."""
    if win.kernel == (1, 1) and win.stride == (1, 1):
        return x.reshape(-1, x.shape[3]).astype(pad.dtype)
    (kh, kw), c = win.kernel, x.shape[3]
    return windows(pad(x, place), win, place).reshape(-1, kh * kw * c)


# OpenBLAS keeps a GEMM of at most 2^18 multiply-adds on the calling thread (its
# SMP_THRESHOLD_MIN · GEMM_MULTITHREAD_THRESHOLD); larger ones wake its thread pool, which for
# layers this small costs more than it saves, and much more when other processes hold the cores.
GEMM_BLOCK_MACS = 1 << 18


def matmul(a, b):
    """a @ b for 2-D operands, in pieces of at most GEMM_BLOCK_MACS multiply-adds: blocks of
    rows, or of columns when a has few rows."""
    m, k = a.shape
    n = b.shape[1]
    if m * k * n <= GEMM_BLOCK_MACS:
        return a @ b
    out = np.empty((m, n), np.result_type(a, b))
    rows = GEMM_BLOCK_MACS // max(k * n, 1)
    if rows >= 8:
        for start in range(0, m, rows):
            np.matmul(a[start:start + rows], b, out=out[start:start + rows])
        return out
    cols = max(1, GEMM_BLOCK_MACS // (m * k))
    for start in range(0, n, cols):
        np.matmul(a, b[:, start:start + cols], out=out[:, start:start + cols])
    return out


def raw_accumulator_bound(weight_columns):
    """Per channel, the largest |Σ x · w| over int8 x: 128 · Σ_k |w_kc|."""
    return INT8_MAGNITUDE * np.abs(weight_columns.astype(np.int64)).sum(axis=0)


def exact_accumulator_dtype(weight_columns):
    """float32 if Σ x · w over every column of `weight_columns` [K, channels] is provably exact
    in float32 for int8 x (128 · Σ_k |w_kc| <= 2^24), else float64 (exact while that bound is
    below 2^53, i.e. for any K below 2^38 / 127)."""
    bound = int(raw_accumulator_bound(weight_columns).max(initial=0))
    return np.float32 if bound <= FLOAT32_EXACT_LIMIT else np.float64


class Int8Epilogue(NamedTuple):
    """The per-channel constants of fixedpoint.requantize."""
    input_zero_point: int
    multiplier: np.ndarray
    shift: np.ndarray
    output_zero_point: int
    act_min: int
    act_max: int


def fast_requantizer(e, weight_columns, folded_bias):
    """fixedpoint.requantizer for raw sums Σ x · w over these weights (bias with Z_in folded in)."""
    return fixedpoint.requantizer(e.multiplier, e.shift, folded_bias, e.output_zero_point,
                                  e.act_min, e.act_max, raw_accumulator_bound(weight_columns))


def scaled_requantizer(e, weight_columns, folded_bias):
    """fixedpoint.scaled_requantizer for raw sums Σ x · w over these weights: (scale, fn) or None."""
    return fixedpoint.scaled_requantizer(e.multiplier, e.shift, folded_bias, e.output_zero_point,
                                         e.act_min, e.act_max, raw_accumulator_bound(weight_columns))


def int8_epilogue(ctx, channels, weight_axis):
    """Check the int8 tensors of a convolution and compute its requantize constants:
    per-channel multipliers from (double)S_in · (double)S_w[c] / (double)S_out (a single weight
    scale is broadcast to every channel), and the fused activation's clamp."""
    x, w = ctx.inputs[:2]
    bias = ctx.inputs[2] if len(ctx.inputs) > 2 else None
    y = ctx.outputs[0]
    _common.require_quantized(ctx, x, w, y)
    if w.dtype != "int8":
        raise ctx.unsupported(f"{w.dtype} weights with int8 activations")
    scales = w.quantization.scale
    ctx.require(scales.size in (1, channels),
                f"weights have {scales.size} scales for {channels} output channels")
    ctx.require(scales.size == 1 or w.quantization.quantized_dimension == weight_axis,
                f"weights are quantized along axis {w.quantization.quantized_dimension}, "
                f"expected {weight_axis}")
    if bias is not None and bias.dtype != "int32":
        raise ctx.fail(f"int8 convolution needs an int32 bias, got {bias.dtype}")
    s_in, z_in = _common.scale_and_zero_point(x)
    s_out, z_out = _common.scale_and_zero_point(y)
    real = fixedpoint.effective_output_scale(s_in, np.broadcast_to(scales, (channels,)), s_out)
    multiplier, shift = fixedpoint.quantize_multipliers(real)
    act_min, act_max = _common.quantized_activation_bounds(
        ctx, ctx.options.get("fused_activation_function", "NONE"), y)
    return Int8Epilogue(z_in, multiplier, shift, z_out, act_min, act_max)


def bias_vector(ctx, channels, dtype):
    """The bias as a flat array of `channels` values, or None when the input is omitted.
    (LiteRT insists on a bias for convolutions; tflite-micro and litequant take none as 0.)"""
    bias = ctx.inputs[2] if len(ctx.inputs) > 2 else None
    if bias is None:
        return None
    ctx.require(int(np.prod(bias.shape)) == channels,
                f"bias has shape {list(bias.shape)}, expected {channels} values")
    data = ctx.constant(2)
    if data is None:
        raise ctx.unsupported("a bias computed at run time")
    return data.reshape(channels).astype(dtype)


def float_eval(fn):
    """A float eval function that lets inf and nan through as results, silently, as TFLite's
    float kernels do (the clamp then turns an overflowing sum into the largest float)."""
    @functools.wraps(fn)
    def run(*args):
        with np.errstate(over="ignore", invalid="ignore"):
            return fn(*args)
    return run


def clamp_float(out, lo, hi):
    """The fused activation on a float result, in place; with _common.float_activation_clamp's
    bounds, which stop NONE and RELU at the largest finite float as TFLite does."""
    return np.clip(out, lo, hi, out=out)
