"""CONV_2D: 2-D convolution of an NHWC input with weights [out, kh, kw, in], plus bias, then
the fused activation.

    y[n,i,j,o] = b[o] + Σ_{ky,kx,c} x[n, i·sh + ky·dh - top, j·sw + kx·dw - left, c] · w[o,ky,kx,c]

over the taps inside the image (SAME padding adds implicit zeros, VALID none). A grouped
convolution (input channels = groups · weight channels) sums each output over its group's
input channels only; prepare spreads such weights over all input channels with zeros.

int8 (per-channel weights with zero point 0, int32 bias):
    acc[o] = Σ (x - Z_in) · w[o] + bias[o]      (int32)
    y = clamp(Z_out + MultiplyByQuantizedMultiplier(acc, M[o], shift[o]))
with (M, shift) from (double)S_in · (double)S_w[o] / (double)S_out (fixedpoint.requantize).

The plain integer path (FAST_PATH = False) is the definition: int64 sums of (x - Z_in) · w
tap by tap. The fast path is one float GEMM over im2col patches of the raw input padded with
Z_in, with Z_in · Σ w folded into the bias; it is exact because every partial sum is an integer
within the float's exact range (see _conv.exact_accumulator_dtype). The float32 path sums in
float64 and rounds once; LiteRT sums in float32, so the two agree within float rounding.
"""
import numpy as np

from litequant import fixedpoint
from litequant.interpreter.kernels import _common, _conv

OP = "CONV_2D"

FAST_PATH = True    # read by prepare(); False selects the plain integer definition


def prepare(ctx):
    x, w = ctx.inputs[:2]
    dtype = _common.require_dtypes(ctx, ("float32", "int8"), "in0", "out0")
    ctx.require(len(x.shape) == 4 and len(w.shape) == 4,
                f"input and weights must be 4-D, got {list(x.shape)} and {list(w.shape)}")
    channels, kh, kw, group_depth = w.shape
    ctx.require(x.shape[3] > 0, "input depth is 0")
    ctx.require(group_depth > 0 and x.shape[3] % group_depth == 0,
                f"input depth {x.shape[3]} is not a multiple of the weights' depth {group_depth}")
    groups = x.shape[3] // group_depth
    ctx.require(channels % groups == 0,
                f"{channels} output channels do not split into {groups} groups")
    weights = ctx.constant(1)
    if weights is None:
        raise ctx.unsupported("weights computed at run time")
    win = _conv.window(ctx, (kh, kw))
    _conv.require_output_grid(ctx, win, x.shape)
    dense = _ungrouped(weights, groups)
    if dtype == "float32":
        if w.dtype != "float32":
            raise ctx.unsupported(f"{w.dtype} weights with float32 activations (hybrid)")
        activation = ctx.options.get("fused_activation_function", "NONE")
        lo, hi = _common.float_activation_clamp(ctx, activation)
        return _float_conv(win, dense, _conv.bias_vector(ctx, channels, np.float32), lo, hi)
    epilogue = _conv.int8_epilogue(ctx, channels, weight_axis=0)
    ctx.require(not np.any(w.quantization.zero_point),
                "int8 weights must have zero point 0")
    bias = _conv.bias_vector(ctx, channels, np.int64)
    if FAST_PATH:
        return _int8_conv_gemm(win, dense, bias, epilogue)
    return _int8_conv_plain(win, dense, bias, epilogue)


def _ungrouped(weights, groups):
    """Weights [out, kh, kw, in/groups] as [out, kh, kw, in]: output channel o of group g keeps
    its weights on input channels g·depth .. (g+1)·depth - 1 and gets zeros elsewhere."""
    if groups == 1:
        return weights
    channels, kh, kw, depth = weights.shape
    per_group = channels // groups
    dense = np.zeros((channels, kh, kw, depth * groups), weights.dtype)
    for g in range(groups):
        dense[g * per_group:(g + 1) * per_group, ..., g * depth:(g + 1) * depth] = \
            weights[g * per_group:(g + 1) * per_group]
    return dense


def _gemm_matrix(weights, dtype):
    """[out, kh, kw, in] -> [kh·kw·in, out], the right-hand side of patches @ matrix."""
    return np.ascontiguousarray(weights.reshape(weights.shape[0], -1).T, dtype=dtype)


def _float_conv(win, weights, bias, lo, hi):
    """The window sums in float64, rounded once to float32, then the float32 bias: within a
    rounding of the exact sum, so as close to LiteRT's sequential float32 sum as any order gets."""
    matrix = _gemm_matrix(weights, np.float64)
    pad = _conv.Padder(0.0, np.float64)

    @_conv.float_eval
    def conv_2d(x, *_):
        place = _conv.placement(win, x.shape[1], x.shape[2])
        out = _conv.matmul(_conv.patches(x, win, place, pad), matrix).astype(np.float32)
        if bias is not None:
            out += bias
        return _conv.clamp_float(out, lo, hi).reshape(x.shape[0], place.out_h, place.out_w, -1)
    return conv_2d


# Up to this window depth (kh · kw · in) the requantize epilogue, not the GEMM, dominates; there
# the GEMM runs in float64 against weights already times the output scale, which leaves the
# epilogue two passes fewer (fixedpoint.scaled_requantizer).
SCALED_GEMM_MAX_DEPTH = 32


def _int8_conv_gemm(win, weights, bias, e):
    """Σ x · w over the Z_in-padded input by one GEMM; Σ (x - Z_in) · w = Σ x · w - Z_in · Σ w,
    so the bias absorbs -Z_in · Σ w. The GEMM runs in float32 when provably exact, else float64;
    shallow windows take the scaled float64 GEMM when fixedpoint.scaled_requantizer allows."""
    columns = weights.reshape(weights.shape[0], -1).T
    folded = -e.input_zero_point * columns.astype(np.int64).sum(axis=0)
    if bias is not None:
        folded = folded + bias
    scaled = None
    if columns.shape[0] <= SCALED_GEMM_MAX_DEPTH:
        scaled = _conv.scaled_requantizer(e, columns, folded)
    if scaled is not None:
        scale, requantize = scaled
        matrix = np.ascontiguousarray(columns * scale)   # w · scale: exact, see the requantizer
        accumulator = np.float64
    else:
        accumulator = _conv.exact_accumulator_dtype(columns)
        matrix = _gemm_matrix(weights, accumulator)
        requantize = _conv.fast_requantizer(e, columns, folded)
    pad = _conv.Padder(e.input_zero_point, accumulator)

    def conv_2d(x, *_):
        place = _conv.placement(win, x.shape[1], x.shape[2])
        out = requantize(_conv.matmul(_conv.patches(x, win, place, pad), matrix))
        return out.reshape(x.shape[0], place.out_h, place.out_w, -1)
    return conv_2d


def _int8_conv_plain(win, weights, bias, e):
    """The definition: int64 Σ (x - Z_in) · w, tap by tap, padding contributing nothing."""
    taps = weights.astype(np.int64)

    def conv_2d(x, *_):
        place = _conv.placement(win, x.shape[1], x.shape[2])
        xp = _conv.padded(x.astype(np.int64) - e.input_zero_point, place, 0, np.int64)
        acc = 0
        for (ky, kx), view in _conv.tap_views(xp, win, place):
            acc = acc + np.tensordot(view, taps[:, ky, kx, :], axes=([3], [1]))
        return fixedpoint.requantize(acc, bias, e.multiplier, e.shift, e.output_zero_point,
                                     e.act_min, e.act_max)
    return conv_2d
