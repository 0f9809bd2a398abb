"""DEPTHWISE_CONV_2D: each input channel convolved with its own `multiplier` filters; weights
[1, kh, kw, in · multiplier], output channel o = c · multiplier + m reads input channel c.

    y[n,i,j,o] = b[o] + Σ_{ky,kx} x[n, i·sh + ky·dh - top, j·sw + kx·dw - left, c] · w[0,ky,kx,o]

over the taps inside the image. As in LiteRT, the multiplier is taken from the shapes
(weight channels / input channels), not from the depth_multiplier option.

int8 (per-channel weights along axis 3, int32 bias; LiteRT ignores the weights' zero points):
    acc[o] = Σ (x - Z_in) · w[o] + bias[o]
    y = clamp(Z_out + MultiplyByQuantizedMultiplier(acc, M[o], shift[o]))
with (M, shift) from (double)S_in · (double)S_w[o] / (double)S_out (fixedpoint.requantize).

The plain int8 path (FAST_PATH = False, the definition) sums (x - Z_in) · w in int64, tap by
tap over strided views. The fast path multiplies the raw input, padded with Z_in, in float32
(exact: |x · w| <= 2^14 and 128 · Σ|w| <= 2^24 keeps every partial sum an exact integer;
larger windows use float64) and folds -Z_in · Σ w into the bias; it adds the taps along
whole stride-1 rows on large images (there in int16 pairs and int32 when no weight is -128,
exact by the same bounds) and by one einsum over the windows otherwise. The float
path adds the taps in LiteRT's order, so its float32 sums are LiteRT's.
"""
import numpy as np

from litequant import fixedpoint
from litequant.interpreter.kernels import _common, _conv

OP = "DEPTHWISE_CONV_2D"

FAST_PATH = True    # read by prepare(); False selects the plain integer definition


def prepare(ctx):
    x, w = ctx.inputs[:2]
    dtype = _common.require_dtypes(ctx, ("float32", "int8"), "in0", "out0")
    ctx.require(len(x.shape) == 4 and len(w.shape) == 4,
                f"input and weights must be 4-D, got {list(x.shape)} and {list(w.shape)}")
    one, kh, kw, channels = w.shape
    ctx.require(one == 1, f"weights must have shape [1, kh, kw, channels], got {list(w.shape)}")
    depth = x.shape[3]
    ctx.require(depth > 0 and channels % depth == 0,
                f"{channels} weight channels are not a multiple of the input depth {depth}")
    weights = ctx.constant(1)
    if weights is None:
        raise ctx.unsupported("weights computed at run time")
    win = _conv.window(ctx, (kh, kw))
    _conv.require_output_grid(ctx, win, x.shape)
    # taps[ky, kx] is [depth, multiplier]: broadcast against the input's channel axis.
    taps = weights.reshape(kh, kw, depth, channels // depth)
    if dtype == "float32":
        if w.dtype != "float32":
            raise ctx.unsupported(f"{w.dtype} weights with float32 activations (hybrid)")
        activation = ctx.options.get("fused_activation_function", "NONE")
        lo, hi = _common.float_activation_clamp(ctx, activation)
        return _float_depthwise(win, taps.astype(np.float32),
                                _conv.bias_vector(ctx, channels, np.float32), lo, hi)
    epilogue = _conv.int8_epilogue(ctx, channels, weight_axis=3)
    bias = _conv.bias_vector(ctx, channels, np.int64)
    if FAST_PATH:
        return _int8_depthwise_fast(win, taps, bias, epilogue)
    return _int8_depthwise_plain(win, taps, bias, epilogue)


# With this many output positions or more, multiply-adds along whole stride-1 rows beat one
# einsum over the windows (which wins on small images with many channels).
ROW_SUM_MIN_POSITIONS = 400
PAIRED_WEIGHT_MAX = 127     # see _row_sum_in_pairs


def _window_sum(xp, taps, win, place, row_taps, any_order):
    """Σ over the kh·kw taps of input · taps[ky, kx], [N, out_h, out_w, channels], in the
    padded input's dtype. The row and tap loops add the taps in LiteRT's order (ky, then kx);
    einsum may not, so it serves only sums of integers (any_order), which are exact anyway."""
    if _along_rows(taps, win, place):
        return _row_sum(xp, row_taps(place.out_w), win, place)
    if any_order:
        out = np.einsum("nhwijc,ijcm->nhwcm", _conv.windows(xp, win, place), taps)
    else:
        out = _tap_sum(xp, taps, win, place)
    return out.reshape(out.shape[:3] + (-1,))


def _tap_sum(xp, taps, win, place):
    """Tap by tap, views [N, out_h, out_w, depth, 1] times taps[ky, kx] [depth, multiplier]."""
    acc = scratch = None
    for (ky, kx), view in _conv.tap_views(xp[..., np.newaxis], win, place):
        if acc is None:
            acc = view * taps[ky, kx]
            scratch = np.empty_like(acc)
        else:
            np.multiply(view, taps[ky, kx], out=scratch)
            acc += scratch
    return acc


def _along_rows(taps, win, place):
    return (taps.shape[3] == 1 and win.stride[1] == 1
            and place.out_h * place.out_w >= ROW_SUM_MIN_POSITIONS)


def _row_views(xp, tiled, win, place):
    """Stride 1 along the width: a tap's view is out_w · C contiguous values per output row, so
    each multiply-add runs along the whole row instead of C values at a time. Yields
    (view [N, out_h, out_w · C], the tap's weights tiled along the row), taps in LiteRT's order."""
    n, height, width, depth = xp.shape
    rows = xp.reshape(n, height, width * depth)
    (kh, kw), (sh, _), (dh, dw) = win.kernel, win.stride, win.dilation
    span, reach = place.out_w * depth, (place.out_h - 1) * sh + 1
    for ky in range(kh):
        for kx in range(kw):
            yield (rows[:, ky * dh:ky * dh + reach:sh, kx * dw * depth:kx * dw * depth + span],
                   tiled[ky, kx])


def _row_sum(xp, tiled, win, place):
    acc = scratch = None
    for view, tap in _row_views(xp, tiled, win, place):
        if acc is None:
            acc = view * tap
            scratch = np.empty_like(acc)
        else:
            np.multiply(view, tap, out=scratch)
            acc += scratch
    return acc.reshape(xp.shape[0], place.out_h, place.out_w, xp.shape[3])


def _row_sum_in_pairs(xp, tiled, win, place):
    """_row_sum of raw int8 inputs (|x| <= 128) and weights in [-127, 127], held as int16: a
    product is at most 16,256 in magnitude and the sum of two at most 32,512, so taps are
    added in pairs in int16, exactly, and the pair sums in int32."""
    acc = pending = None
    for view, tap in _row_views(xp, tiled, win, place):
        if pending is None:
            pending = view * tap
            continue
        pending += view * tap
        acc = pending.astype(np.int32) if acc is None else np.add(acc, pending, out=acc)
        pending = None
    if pending is not None:
        acc = pending.astype(np.int32) if acc is None else np.add(acc, pending, out=acc)
    return acc.reshape(xp.shape[0], place.out_h, place.out_w, xp.shape[3])


def _row_tiler(taps):
    """out_w -> taps [kh, kw, out_w · depth] (multiplier 1) repeated along a row, kept per width."""
    tiled = {}

    def row_taps(out_w):
        if out_w not in tiled:
            tiled[out_w] = np.tile(taps[..., 0], (1, 1, out_w))
        return tiled[out_w]
    return row_taps


def _float_depthwise(win, taps, bias, lo, hi):
    row_taps = _row_tiler(taps)
    pad = _conv.Padder(0.0, np.float32)

    @_conv.float_eval
    def depthwise_conv_2d(x, *_):
        place = _conv.placement(win, x.shape[1], x.shape[2])
        xp = pad(x, place)
        out = _window_sum(xp, taps, win, place, row_taps, any_order=False)
        if bias is not None:
            out += bias
        return _conv.clamp_float(out, lo, hi)
    return depthwise_conv_2d


def _int8_depthwise_fast(win, taps, bias, e):
    """Σ x · w over the Z_in-padded input; Σ (x - Z_in) · w = Σ x · w - Z_in · Σ w, so the bias
    absorbs -Z_in · Σ w."""
    kh, kw, depth, multiplier = taps.shape
    columns = taps.reshape(kh * kw, depth * multiplier)
    accumulator = _conv.exact_accumulator_dtype(columns)
    exact_taps = taps.astype(accumulator)
    row_taps = _row_tiler(exact_taps)
    folded = -e.input_zero_point * columns.astype(np.int64).sum(axis=0)
    if bias is not None:
        folded = folded + bias
    requantize = _conv.fast_requantizer(e, columns, folded)
    pad = _conv.Padder(e.input_zero_point, accumulator)
    # Along rows, int16 pairs (_row_sum_in_pairs) beat float32: when no weight is -128, and
    # while the int32 sums cannot wrap.
    in_pairs = (np.abs(columns.astype(np.int64)).max(initial=0) <= PAIRED_WEIGHT_MAX
                and _conv.raw_accumulator_bound(columns).max(initial=0) <= fixedpoint.INT32_MAX)
    pairs_pad = _conv.Padder(e.input_zero_point, np.int16)
    pairs_taps = _row_tiler(taps.astype(np.int16))

    def depthwise_conv_2d(x, *_):
        place = _conv.placement(win, x.shape[1], x.shape[2])
        if in_pairs and _along_rows(taps, win, place):
            xp = pairs_pad(x, place)
            return requantize(_row_sum_in_pairs(xp, pairs_taps(place.out_w), win, place))
        xp = pad(x, place)
        return requantize(_window_sum(xp, exact_taps, win, place, row_taps, any_order=True))
    return depthwise_conv_2d


def _int8_depthwise_plain(win, taps, bias, e):
    """The definition: int64 Σ (x - Z_in) · w tap by tap, padding contributing nothing."""
    wide_taps = taps.astype(np.int64)

    def depthwise_conv_2d(x, *_):
        place = _conv.placement(win, x.shape[1], x.shape[2])
        xp = _conv.padded(x.astype(np.int64) - e.input_zero_point, place, 0, np.int64)
        acc = _tap_sum(xp, wide_taps, win, place)
        return fixedpoint.requantize(acc.reshape(acc.shape[:3] + (-1,)), bias, e.multiplier,
                                     e.shift, e.output_zero_point, e.act_min, e.act_max)
    return depthwise_conv_2d
