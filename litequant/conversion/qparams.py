"""Offline float math of the converter: ranges -> (scale, zero point), weights and biases -> integers.

Everything is affine, r = S * (q - Z). Runtime integer arithmetic lives in litequant/fixedpoint.py;
nothing here runs at inference time. Scales are computed in float64 and stored as float32, as
TensorFlow's converter does.

Rounding is half away from zero throughout (C's round/std::round, as
fixedpoint.round_half_away_from_zero does it), never numpy's half-to-even.
"""
import numpy as np

from litequant.fixedpoint import round_half_away_from_zero

INT8_MIN, INT8_MAX = -128, 127
# The scale given to an all-zero range (a tensor that was always 0, a weight channel of zeros).
# Any positive value represents 0 exactly; 1.0 is what TensorFlow picks and keeps every derived
# multiplier (S_in * S_w / S_out) an ordinary number.
DEGENERATE_SCALE = 1.0


def activation_params(lo, hi, qmin=INT8_MIN, qmax=INT8_MAX):
    """(scale, zero_point) for values in [lo, hi] on the integer grid [qmin, qmax].

    The range is first widened to contain 0, so that real 0 (padding, ReLU's floor) is exact.
    S = (hi - lo) / (qmax - qmin). Z solves qmin = Z + lo / S or qmax = Z + hi / S, whichever
    adds less float error, and is then rounded ("nudged") to an integer in [qmin, qmax]: the
    represented range shifts by less than S/2 so that 0 lands on a grid point.
    """
    lo, hi = min(float(lo), 0.0), max(float(hi), 0.0)
    if not (np.isfinite(lo) and np.isfinite(hi)):
        raise ValueError(f"range [{lo}, {hi}] is not finite")
    if hi - lo < np.finfo(np.float64).eps:
        return np.float32(DEGENERATE_SCALE), qmin
    scale = (hi - lo) / (qmax - qmin)
    from_min, from_min_error = qmin - lo / scale, abs(qmin) + abs(lo / scale)
    from_max, from_max_error = qmax - hi / scale, abs(qmax) + abs(hi / scale)
    zero_point = from_min if from_min_error < from_max_error else from_max
    zero_point = int(np.clip(round_half_away_from_zero(zero_point), qmin, qmax))
    return np.float32(scale), zero_point


def quantize(values, scale, zero_point, qmin=INT8_MIN, qmax=INT8_MAX, dtype=np.int8):
    """q = clamp(round(r / S) + Z) with r / S in float64: how TensorFlow's converter quantizes a
    constant (its UniformQuantizedValueConverter divides in double). A QUANTIZE op divides in
    float32 (fixedpoint.quantize), which can land one step away when r / S is near a tie."""
    q = round_half_away_from_zero(np.asarray(values, np.float64) / np.float64(scale)) + zero_point
    return np.clip(q, qmin, qmax).astype(dtype)


def dequantize(q, scale, zero_point):
    """r = S * (q - Z), in float32 as a DEQUANTIZE op computes it."""
    return (np.float32(scale) * (np.asarray(q, np.int32) - np.int32(zero_point))).astype(np.float32)


def _channel_shape(ndim, axis):
    shape = [1] * ndim
    shape[axis] = -1
    return shape


def weight_scales(weights, axis, limits):
    """Per-channel symmetric scales: S[c] = max|w[c]| / limits.qmax (float32; the spec's weight
    range is [-127, 127]). A channel of zeros gets DEGENERATE_SCALE, so that its bias still has
    a usable scale S_in * S[c]."""
    w = np.asarray(weights, np.float64)
    others = tuple(d for d in range(w.ndim) if d != axis)
    max_abs = np.abs(w).max(axis=others) if w.size else np.zeros(w.shape[axis])
    scales = np.where(max_abs > 0, max_abs / limits.qmax, DEGENERATE_SCALE)
    return scales.astype(np.float32)


def quantize_weights(weights, scales, axis, limits):
    """Weights as limits.dtype: round(w / S[c]) clamped to [limits.qmin, limits.qmax]."""
    w = np.asarray(weights, np.float64)
    s = np.asarray(scales, np.float64).reshape(_channel_shape(w.ndim, axis))
    return np.clip(round_half_away_from_zero(w / s), limits.qmin, limits.qmax).astype(limits.dtype)


def bias_scales(input_scale, weight_scales_):
    """S_bias[c] = S_in * S_w[c], multiplied in float64 and stored as float32: the accumulator of
    channel c counts in units of S_in * S_w[c], so the bias must be added in those units."""
    return (np.float64(input_scale) * np.asarray(weight_scales_, np.float64)).astype(np.float32)


def quantize_bias(bias, scales, limits):
    """Biases as limits.dtype (int32): round(b * (1 / S[c])) in float32 arithmetic (TensorFlow
    multiplies by the float32 reciprocal, and its int8 models match this to the last bit),
    clamped to [limits.qmin, limits.qmax]."""
    b = np.asarray(bias, np.float32)
    inverse = np.float32(1) / np.asarray(scales, np.float32)
    q = round_half_away_from_zero((b * inverse).astype(np.float64))
    return np.clip(q, limits.qmin, limits.qmax).astype(limits.dtype)


def widen_weight_scales_for_bias(weight_scales_, bias, input_scale, bias_limits):
    """Weight scales raised where a bias would not fit its range (int32) with S_in * S_w[c].

    |b[c]| / (S_in * S_w[c]) must stay within bias_limits.qmax; tiny weights next to a large
    bias can break that. Such a channel's weight scale grows to |b[c]| / (S_in * qmax) (a coarser
    grid for those weights, the only way to represent that bias); other channels keep theirs.
    """
    s_w = np.asarray(weight_scales_, np.float64)
    needed = np.abs(np.asarray(bias, np.float64)) / (np.float64(input_scale) * bias_limits.qmax)
    # float32 storage may round the needed scale down by half an ulp; step one ulp up
    widened = np.nextafter(needed.astype(np.float32), np.float32(np.inf)).astype(np.float64)
    return np.where(needed > s_w, widened, s_w).astype(np.float32)
