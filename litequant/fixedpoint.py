"""All integer arithmetic of the int8 interpreter, bit-exact with LiteRT's BUILTIN_REF kernels.

Built bottom-up in the manner of gemmlowp's fixedpoint.h; every function states its domain, its
rounding and its saturation. Values are numpy arrays (or scalars) holding int32 quantities;
they are widened to int64 inside a function and handed back as int32 (int8 for final kernel
outputs). Arrays broadcast, so a per-channel multiplier or shift array lines up with the last
axis of an accumulator.

  Part 1  Choosing multipliers (prepare time, float64 math as TFLite's quantization_util does).
  Part 2  int32 primitives: SaturatingRoundingDoublingHighMul, RoundingDivideByPOT, and
          MultiplyByQuantizedMultiplier in its *double-rounding* form, the one LiteRT's
          BUILTIN_REF kernels use (tests/test_fixedpoint_oracle.py settles this).
  Part 3  gemmlowp fixed-point math on raw int32 values (exp, 1/(1+x)), for int8 SOFTMAX.
  Part 4  Float helpers that mirror C++ float32 code exactly (QUANTIZE, the 256-entry tables of
          int8 LOGISTIC and TANH).
  Part 5  Kernel pipelines: the requantize epilogues (fixed point for CONV_2D, DEPTHWISE_CONV_2D
          and QUANTIZE; float64 for FULLY_CONNECTED, whose reference kernel rescales in double),
          ADD/SUB, MUL, SOFTMAX, the RELU family, HARD_SWISH, LEAKY_RELU, PRELU, MEAN, average
          pooling.
          A `*_params` function is the op's prepare, the matching `*_int8` function its eval.

A fixed-point value with `integer_bits` = m is a raw int32 r standing for r / 2^(31 - m)
(gemmlowp's FixedPoint<int32_t, m>, format Qm.(31-m)); the functions of Part 3 take raw values
and name the format in their arguments.
"""
import math
from typing import NamedTuple

import numpy as np

INT32_MIN = -(1 << 31)
INT32_MAX = (1 << 31) - 1
INT16_MIN = -(1 << 15)
INT16_MAX = (1 << 15) - 1
INT8_MIN = -128
INT8_MAX = 127


def _i64(x):
    return np.asarray(x, dtype=np.int64)


def wrap_int32(x):
    """x modulo 2^32 as a signed int32: what a C++ int32 add or multiply does when it overflows
    (undefined behaviour in the language, two's complement wrap-around on every target)."""
    return _i64(x).astype(np.int32)


def _i32(x):
    """int64 values already known to fit, as int32."""
    return np.asarray(x).astype(np.int32)


# ---------------------------------------------------------------------------------------------
# Part 1: choosing multipliers. These run once per op (prepare), in float64 like the C++.
# ---------------------------------------------------------------------------------------------

def _round_half_away_scalar(v):
    """C's round() for one double: nearest integer, ties away from zero, exact."""
    whole = math.trunc(v)
    if abs(v - whole) >= 0.5:          # v - trunc(v) is exact in binary floating point
        whole += 1 if v > 0 else -1
    return whole


def quantize_multiplier(real):
    """TFLite's QuantizeMultiplier: a real multiplier as (M, shift) with real ~= M * 2^(shift-31).

    `real` is taken as a double (a float32 scale converts exactly). frexp writes
    real = f * 2^shift with |f| in [0.5, 1); M = round(f * 2^31), ties away from zero. When the
    rounding reaches 2^31 the pair becomes (2^30, shift + 1). A shift below -31 (|real| below
    about 2^-32) flushes to (0, 0), as does real == 0. Negative reals give negative M. Returns Python ints.
    """
    real = float(real)
    if not math.isfinite(real):
        raise ValueError(f"multiplier {real!r} is not finite")
    if real == 0.0:
        return 0, 0
    fraction, shift = math.frexp(real)
    q = _round_half_away_scalar(fraction * (1 << 31))
    if q == (1 << 31):
        q //= 2
        shift += 1
    if shift < -31:
        return 0, 0
    return int(q), int(shift)


def quantize_multipliers(reals):
    """quantize_multiplier for every element: (M int32 array, shift int32 array), same shape."""
    reals = np.asarray(reals, dtype=np.float64)
    if not np.all(np.isfinite(reals)):
        raise ValueError("multipliers must be finite")
    fraction, shift = np.frexp(reals)
    q = round_half_away_from_zero(fraction * float(1 << 31)).astype(np.int64)
    carry = q == (1 << 31)
    q = np.where(carry, q // 2, q)
    shift = np.where(carry, shift + 1, shift)
    flush = shift < -31
    q = np.where(flush, 0, q)
    shift = np.where(flush, 0, shift)
    return q.astype(np.int32), shift.astype(np.int32)


def quantize_multiplier_smaller_than_one_exp(real):
    """QuantizeMultiplierSmallerThanOneExp: quantize_multiplier for 0 < real < 1; shift <= 0.

    TFLite aborts outside that domain; here it is a ValueError."""
    if not 0.0 < float(real) < 1.0:
        raise ValueError(f"multiplier {real!r} is not in (0, 1)")
    return quantize_multiplier(real)


def quantize_multiplier_greater_than_one(real):
    """QuantizeMultiplierGreaterThanOne: quantize_multiplier for real > 1; shift >= 0."""
    if not float(real) > 1.0:
        raise ValueError(f"multiplier {real!r} is not greater than 1")
    return quantize_multiplier(real)


def effective_output_scale(input_scale, weight_scales, output_scale):
    """(double)S_in * (double)S_w[c] / (double)S_out, evaluated left to right in float64 from the
    float32 scales, as CONV_2D, DEPTHWISE_CONV_2D and FULLY_CONNECTED prepare it."""
    s_in = np.float64(np.float32(input_scale))
    s_w = np.asarray(weight_scales, dtype=np.float32).astype(np.float64)
    s_out = np.float64(np.float32(output_scale))
    return s_in * s_w / s_out


def float32_multiplier(*scales):
    """float32_multiplier(a, b, ..., d) = (a · b · ...) / d with every step rounded to float32,
    returned as the double it widens to: how the C++ evaluates `double m = s1 * s2 / s_out` when
    the operands are float (MUL, LEAKY_RELU, PRELU, the RELU family)."""
    *numerator, denominator = [np.float32(s) for s in scales]
    value = numerator[0]
    for s in numerator[1:]:
        value = np.float32(value * s)
    return float(np.float32(value / denominator))


def calculate_input_radius(input_integer_bits, input_left_shift, total_signed_bits=31):
    """CalculateInputRadius: floor((2^ib - 1) * 2^(tsb - ib) / 2^left_shift), the largest input
    difference that still fits the Q(ib) format after the left shift (exact in integers)."""
    numerator = ((1 << input_integer_bits) - 1) << (total_signed_bits - input_integer_bits)
    return numerator >> input_left_shift


def preprocess_softmax_scaling(beta, input_scale, input_integer_bits):
    """PreprocessSoftmaxScaling (double-rounding build): the multiplier that takes an int8 input
    difference to Q(input_integer_bits) fixed point, beta * S_in * 2^(31 - ib) in float64 from
    the float32 beta and scale, capped at 2^31 - 1, quantized as greater than one.
    Returns (multiplier, left_shift)."""
    real = float(np.float32(beta)) * float(np.float32(input_scale)) * float(1 << (31 - input_integer_bits))
    real = min(real, float((1 << 31) - 1))
    return quantize_multiplier_greater_than_one(real)


def downscale_int32_to_int16_multiplier(multiplier):
    """DownScaleInt32ToInt16Multiplier: a Q0.31 multiplier (>= 0) to Q0.15, rounding half up;
    values within 2^15 of INT32_MAX saturate to INT16_MAX."""
    multiplier = int(multiplier)
    if multiplier < 0:
        raise ValueError(f"multiplier {multiplier} is negative")
    if multiplier >= INT32_MAX - (1 << 15):
        return INT16_MAX
    return (multiplier + (1 << 15)) >> 16


# ---------------------------------------------------------------------------------------------
# Part 2: int32 primitives.
# ---------------------------------------------------------------------------------------------

def saturating_rounding_doubling_high_mul(a, b):
    """SaturatingRoundingDoublingHighMul (ARM VQRDMULH) on int32: a * b / 2^31, i.e. the product
    of a/2^31 and b/2^31 in Q0.31, rounded to nearest with ties toward +infinity. The one
    overflow, INT32_MIN * INT32_MIN, saturates to INT32_MAX.

    The C++ adds 2^30 (or 1 - 2^30 for negative products) and divides with truncation; that is
    floor((a*b + 2^30) / 2^31), an arithmetic shift on int64 here.
    """
    product = _i64(a) * _i64(b)
    return _i32(np.minimum((product + (1 << 30)) >> 31, INT32_MAX))


def rounding_divide_by_pot(x, exponent):
    """RoundingDivideByPOT: x / 2^exponent rounded to nearest, ties away from zero.

    Domain: x int32, 0 <= exponent <= 31 (scalar or array broadcasting with x). Exponent 0
    returns x. gemmlowp compares the remainder with a threshold; the closed form here is
    floor((x + 2^(e-1) - [x < 0]) / 2^e), which never overflows in int64.
    """
    x, e = _i64(x), _i64(exponent)
    if np.any((e < 0) | (e > 31)):
        raise ValueError(f"exponent out of [0, 31]: {exponent}")
    nudge = (np.left_shift(1, e) >> 1) - ((x < 0) & (e > 0))
    return _i32((x + nudge) >> e)


def saturating_rounding_multiply_by_pot(x, exponent):
    """SaturatingRoundingMultiplyByPOT: x * 2^exponent for a scalar exponent of either sign.

    exponent > 0: a left shift that saturates to INT32_MAX / INT32_MIN once |x| exceeds
    2^(31-exponent) - 1 (gemmlowp's threshold, symmetric). exponent < 0: rounding_divide_by_pot.
    exponent 0: x unchanged.
    """
    exponent = int(exponent)
    x = _i64(x)
    if exponent == 0:
        return _i32(x)
    if exponent < 0:
        return rounding_divide_by_pot(x, -exponent)
    # |x| < 2^31 and exponent <= 31 keep x << exponent inside int64; past gemmlowp's threshold
    # 2^(31-exponent) - 1 the shifted value is at least 2^31 (or at most -2^31), so clipping it
    # saturates exactly where gemmlowp does.
    return _i32(np.minimum(np.maximum(x << exponent, INT32_MIN), INT32_MAX))


def rounding_half_sum(a, b):
    """RoundingHalfSum (ARM VRHADD): (a + b) / 2 rounded to nearest, ties away from zero, with the
    sum taken in int64 so it cannot overflow."""
    total = _i64(a) + _i64(b)
    return _i32((total + (total >= 0)) >> 1)      # floor((t + 1) / 2), or floor(t / 2) if t < 0


def _trunc_div(a, b):
    """C++ integer division: quotient truncated toward zero."""
    q = np.abs(a) // np.abs(b)
    return np.where((a < 0) != (b < 0), -q, q)


def multiply_by_quantized_multiplier(x, multiplier, shift):
    """MultiplyByQuantizedMultiplier, double-rounding form (TFLite built without
    TFLITE_SINGLE_ROUNDING, which is how the LiteRT wheel is built): x * M * 2^(shift - 31).

    x is first multiplied by 2^max(shift, 0) in int32 (wrapping if the product leaves int32,
    as the C++ does), then saturating_rounding_doubling_high_mul by M (round half up), then
    rounding_divide_by_pot by max(-shift, 0) (round half away from zero): two roundings.
    Domain: x int32; M int32 (M >= 0 from quantize_multiplier); shift in [-31, 31].
    multiplier and shift may be arrays (per channel) broadcasting with x.
    """
    shift = _i64(shift)
    left = np.maximum(shift, 0)
    right = np.maximum(-shift, 0)
    scaled = wrap_int32(_i64(x) * np.left_shift(1, left))
    return rounding_divide_by_pot(saturating_rounding_doubling_high_mul(scaled, multiplier), right)


def multiply_by_quantized_multiplier_smaller_than_one_exp(x, multiplier, left_shift):
    """MultiplyByQuantizedMultiplierSmallerThanOneExp: the same as
    multiply_by_quantized_multiplier for left_shift <= 0 (ADD/SUB use it)."""
    if np.any(_i64(left_shift) > 0):
        raise ValueError(f"left_shift must be <= 0, got {left_shift}")
    return multiply_by_quantized_multiplier(x, multiplier, left_shift)


def multiply_by_quantized_multiplier_greater_than_one(x, multiplier, left_shift):
    """MultiplyByQuantizedMultiplierGreaterThanOne: x * 2^left_shift (int32, wrapping) then
    saturating_rounding_doubling_high_mul by the multiplier; left_shift >= 0 (SOFTMAX uses it)."""
    if np.any(_i64(left_shift) < 0):
        raise ValueError(f"left_shift must be >= 0, got {left_shift}")
    return multiply_by_quantized_multiplier(x, multiplier, left_shift)


def count_leading_zeros32(x):
    """Leading zero bits of x read as uint32 (32 for 0)."""
    x = _i64(x) & 0xFFFFFFFF
    _, exponent = np.frexp(x.astype(np.float64))   # exact: x < 2^53; exponent = bit length
    return (32 - exponent).astype(np.int32)


# int16 variants, used by HARD_SWISH (values in int16, products in int32).

def saturating_rounding_doubling_high_mul_int16(a, b):
    """SaturatingRoundingDoublingHighMul on int16: a * b / 2^15 rounded to nearest, ties toward
    +infinity; INT16_MIN * INT16_MIN saturates to INT16_MAX."""
    product = _i64(a) * _i64(b)
    return np.minimum((product + (1 << 14)) >> 15, INT16_MAX).astype(np.int16)


def saturating_doubling_high_mul_int16(a, b):
    """SaturatingDoublingHighMul on int16 (ARM SQDMULH): a * b / 2^15 truncated toward zero;
    INT16_MIN * INT16_MIN saturates to INT16_MAX."""
    product = _i64(a) * _i64(b)
    return np.minimum(_trunc_div(product, 1 << 15), INT16_MAX).astype(np.int16)


def saturating_left_shift_int16(x, amount):
    """x * 2^amount clamped to the int16 range (amount >= 0)."""
    return np.clip(_i64(x) * (1 << int(amount)), INT16_MIN, INT16_MAX).astype(np.int16)


def rounding_divide_by_pot_int16(x, exponent):
    """rounding_divide_by_pot for int16 values, 0 <= exponent <= 31.

    From 16 on, gemmlowp's int16 mask (2^e - 1 narrowed to int16) is all ones and the result
    degenerates to +1 for x >= 0 and -1 for x < 0; reproduced as such (HARD_SWISH reaches it when
    S_out > 2^9 · S_in)."""
    exponent = int(exponent)
    if not 0 <= exponent <= 31:
        raise ValueError(f"exponent out of [0, 31]: {exponent}")
    if exponent >= 16:
        return np.where(_i64(x) >= 0, 1, -1).astype(np.int16)
    return rounding_divide_by_pot(x, exponent).astype(np.int16)


# ---------------------------------------------------------------------------------------------
# Part 3: gemmlowp fixed-point math on raw int32 values.
# Sums inside these functions are plain int32 additions in gemmlowp (no saturation); they
# cannot overflow in the stated domains, and wrap like the C++ if they ever do.
# ---------------------------------------------------------------------------------------------

def _add(a, b):
    return wrap_int32(_i64(a) + _i64(b))


def _sub(a, b):
    return wrap_int32(_i64(a) - _i64(b))


def rescale(x, src_integer_bits, dst_integer_bits):
    """gemmlowp Rescale: the same real value moved from Q(src) to Q(dst) format:
    saturating_rounding_multiply_by_pot by src - dst."""
    return saturating_rounding_multiply_by_pot(x, src_integer_bits - dst_integer_bits)


_EXP_MINUS_ONE_EIGHTH = 1895147668          # exp(-1/8) in Q0.31
_ONE_THIRD = 715827883                      # 1/3 in Q0.31
# exp(-2^k) in Q0.31 for k = -2 .. 4: the barrel shifter of exp_on_negative_values.
_EXP_OF_MINUS_POWERS_OF_TWO = {-2: 1672461947, -1: 1302514674, 0: 790015084, 1: 290630308,
                               2: 39332535, 3: 720401, 4: 242}
_48_OVER_17 = 1515870810                    # 48/17 in Q2.29
_MINUS_32_OVER_17 = -1010580540             # -32/17 in Q2.29


def exp_on_interval_between_negative_one_quarter_and_0_excl(a):
    """exp(a) for a in [-1/4, 0), input and output in Q0.31: a Taylor expansion to degree 4
    around -1/8, every product a saturating_rounding_doubling_high_mul."""
    x = _add(a, 1 << 28)                     # x = a + 1/8
    x2 = saturating_rounding_doubling_high_mul(x, x)
    x3 = saturating_rounding_doubling_high_mul(x2, x)
    x4 = saturating_rounding_doubling_high_mul(x2, x2)
    x4_over_4 = rounding_divide_by_pot(x4, 2)
    poly = rounding_divide_by_pot(
        _add(saturating_rounding_doubling_high_mul(_add(x4_over_4, x3), _ONE_THIRD), x2), 1)
    return _add(_EXP_MINUS_ONE_EIGHTH,
                saturating_rounding_doubling_high_mul(_EXP_MINUS_ONE_EIGHTH, _add(x, poly)))


def exp_on_negative_values(a, integer_bits):
    """exp(a) for a <= 0 given in Q(integer_bits); the result in Q0.31 (exp(0) is INT32_MAX).

    a is split into a remainder in [-1/4, 0), evaluated by the Taylor step, and a multiple of
    1/4 whose bits select factors exp(-1/4), exp(-1/2), ..., exp(-16). With more than 5 integer
    bits, inputs below -32 give 0.
    """
    a = _i64(a)
    fractional_bits = 31 - integer_bits
    one_quarter = 1 << (fractional_bits - 2)
    a_mod_quarter_minus_one_quarter = _sub(a & (one_quarter - 1), one_quarter)
    result = exp_on_interval_between_negative_one_quarter_and_0_excl(
        rescale(a_mod_quarter_minus_one_quarter, integer_bits, 0))
    remainder = _sub(a_mod_quarter_minus_one_quarter, a)
    for exponent, factor in _EXP_OF_MINUS_POWERS_OF_TWO.items():
        if integer_bits > exponent:
            bit = _i64(remainder) & (1 << (fractional_bits + exponent))
            result = np.where(bit != 0, saturating_rounding_doubling_high_mul(result, factor), result)
    if integer_bits > 5:
        result = np.where(a < -(1 << (36 - integer_bits)), 0, result)
    return _i32(np.where(a == 0, INT32_MAX, result))


def one_over_one_plus_x_for_x_in_0_1(a):
    """1 / (1 + a) for a in [0, 1), input and output in Q0.31: three Newton-Raphson steps on
    the half denominator (1 + a) / 2, starting from 48/17 - 32/17 * d, in Q2.29."""
    half_denominator = rounding_half_sum(a, INT32_MAX)
    x = _add(_48_OVER_17, saturating_rounding_doubling_high_mul(half_denominator, _MINUS_32_OVER_17))
    one_q2 = 1 << 29
    for _ in range(3):
        half_denominator_times_x = saturating_rounding_doubling_high_mul(half_denominator, x)
        one_minus = _sub(one_q2, half_denominator_times_x)
        x = _add(x, rescale(saturating_rounding_doubling_high_mul(x, one_minus), 4, 2))
    return rescale(x, 1, 0)                  # x / 2, read in Q1.30, moved to Q0.31


def get_reciprocal(x, x_integer_bits):
    """GetReciprocal: for x > 0 in Q(x_integer_bits), returns (r, num_bits_over_unit) with r in
    Q0.31 such that 1/x = r / 2^num_bits_over_unit. x is normalized to [1, 2) by its leading
    zeros and one_over_one_plus_x_for_x_in_0_1 is applied to the part above 1."""
    x = _i64(x)
    headroom_plus_one = _i64(count_leading_zeros32(x))
    num_bits_over_unit = x_integer_bits - headroom_plus_one
    normalized = (np.left_shift(x, headroom_plus_one) & 0xFFFFFFFF) - (1 << 31)
    return one_over_one_plus_x_for_x_in_0_1(normalized), _i32(num_bits_over_unit)


# ---------------------------------------------------------------------------------------------
# Part 4: float helpers that reproduce C++ float32 arithmetic.
# ---------------------------------------------------------------------------------------------

def round_half_away_from_zero(x):
    """C/C++ round() / roundf(): nearest integer, ties away from zero, exactly, keeping the
    float dtype (numpy's np.round rounds ties to even)."""
    x = np.asarray(x)
    whole = np.trunc(x)
    fraction = x - whole                    # exact for binary floating point
    return whole + np.where(np.abs(fraction) >= 0.5, np.sign(x), 0).astype(x.dtype)


def quantize(x, scale, zero_point, qmin=INT8_MIN, qmax=INT8_MAX):
    """Float32 -> integers as QUANTIZE's reference kernel (AffineQuantize): roundf(x / S) in
    float32, + Z, clamped to [qmin, qmax], stored in the narrowest of int8, uint8, int16 and
    int32 that holds that range (uint8 for [0, 255]). Values too large for int32 saturate (the
    C++ cast is undefined there)."""
    x = np.asarray(x, dtype=np.float32)
    with np.errstate(over="ignore", invalid="ignore"):    # x / S beyond float32 is inf: saturates
        q = round_half_away_from_zero(x / np.float32(scale))
    q = np.clip(q.astype(np.float64), INT32_MIN, INT32_MAX).astype(np.int64) + int(zero_point)
    return np.clip(q, qmin, qmax).astype(_storage_dtype(qmin, qmax))


def _storage_dtype(qmin, qmax):
    for dtype in (np.int8, np.uint8, np.int16, np.int32):
        if np.iinfo(dtype).min <= qmin and qmax <= np.iinfo(dtype).max:
            return dtype
    raise ValueError(f"range [{qmin}, {qmax}] does not fit int32")


def _expf(x):
    """std::exp on float32, emulated as the float64 exp rounded once to float32 (correctly
    rounded but for double-rounding cases far rarer than glibc's own 0.502 ulp error)."""
    with np.errstate(over="ignore"):            # expf overflows to +inf too
        return np.exp(np.asarray(x, dtype=np.float64)).astype(np.float32)


def _tanhf(x):
    """std::tanh on float32, emulated like _expf."""
    return np.tanh(np.asarray(x, dtype=np.float64)).astype(np.float32)


def logistic_f32(x):
    """1.0f / (1.0f + std::exp(-x)) in float32, the transform behind int8 LOGISTIC."""
    x = np.asarray(x, dtype=np.float32)
    one = np.float32(1.0)
    return one / (one + _expf(-x))


def tanh_f32(x):
    """std::tanh(x) in float32, the transform behind int8 TANH."""
    return _tanhf(x)


INT8_VALUES = np.arange(INT8_MIN, INT8_MAX + 1, dtype=np.int8)


def lookup_table_int8(transform, input_scale, input_zero_point, output_scale, output_zero_point):
    """LUTPopulate<int8_t>: the 256 outputs of a float32 function on int8 inputs, index q + 128.

    For each q: x = S_in * (q - Z_in) in float32; y = transform(x) (float32 -> float32);
    out = roundf(y * (1.0f / S_out)) + Z_out in float32, clamped to [-128, 127].
    """
    s_in = np.float32(input_scale)
    x = s_in * (INT8_VALUES.astype(np.int32) - int(input_zero_point)).astype(np.float32)
    y = np.asarray(transform(x.astype(np.float32)), dtype=np.float32)
    inverse_scale = np.float32(1.0) / np.float32(output_scale)
    rescaled = round_half_away_from_zero(y * inverse_scale) + np.float32(output_zero_point)
    return np.clip(rescaled, INT8_MIN, INT8_MAX).astype(np.int8)


def lookup_int8(table, x):
    """table[x + 128] for int8 x: applying a lookup_table_int8 result."""
    return np.asarray(table)[np.asarray(x, dtype=np.int16) + 128]


INT8_IN_BYTE_ORDER = np.arange(256, dtype=np.uint8).view(np.int8)    # 0 .. 127, -128 .. -1


def pair_table_int8(combine):
    """Every result of an elementwise int8 function of two int8 inputs, as 65,536 entries in
    byte order: entry 256 · byte(q1) + byte(q2) is combine(q1, q2). Exact by construction,
    since each entry is combine itself at that pair; lookup_pairs_int8 applies the table in
    a few byte operations where combine takes dozens of int64 ones."""
    return np.ascontiguousarray(combine(INT8_IN_BYTE_ORDER[:, None], INT8_IN_BYTE_ORDER[None, :]),
                                dtype=np.int8).reshape(-1)


def lookup_pairs_int8(table, x1, x2):
    """combine(x1, x2) for int8 arrays (numpy broadcasting), from its pair_table_int8."""
    index = np.left_shift(np.asarray(x1).view(np.uint8), 8, dtype=np.uint16)
    return table.take(index | np.asarray(x2).view(np.uint8))


def logistic_int8_table(input_scale, input_zero_point, output_scale=1 / 256, output_zero_point=-128):
    """The 256-entry table that int8 LOGISTIC looks its inputs up in (BUILTIN_REF and the
    generic-optimized kernel alike): lookup_table_int8 of logistic_f32. The kernel requires
    S_out == 1/256; Z_out is used as given (the converter writes -128)."""
    return lookup_table_int8(logistic_f32, input_scale, input_zero_point, output_scale, output_zero_point)


def tanh_int8_table(input_scale, input_zero_point, output_scale=1 / 128, output_zero_point=0):
    """The 256-entry table of int8 TANH: lookup_table_int8 of tanh_f32 (converter writes
    S_out = 1/128, Z_out = 0)."""
    return lookup_table_int8(tanh_f32, input_scale, input_zero_point, output_scale, output_zero_point)


# ---------------------------------------------------------------------------------------------
# Part 5: kernel pipelines.
# ---------------------------------------------------------------------------------------------

def _clamp_int8(x, act_min, act_max):
    return np.clip(_i64(x), int(act_min), int(act_max)).astype(np.int8)


def requantize(acc, bias, multiplier, shift, output_zero_point, act_min=INT8_MIN, act_max=INT8_MAX):
    """The output stage of int8 CONV_2D and DEPTHWISE_CONV_2D (and int8 -> int8 QUANTIZE, with
    no bias): acc + bias (int32, wrapping), multiply_by_quantized_multiplier with the channel's
    (M, shift) (arrays along the last axis), + Z_out, clamp to [act_min, act_max], int8.

    FULLY_CONNECTED's reference kernel does *not* use this; see requantize_double.
    """
    acc = _i64(acc)
    if bias is not None:
        acc = wrap_int32(acc + _i64(bias))
    scaled = _i64(multiply_by_quantized_multiplier(acc, multiplier, shift))
    return _clamp_int8(scaled + int(output_zero_point), act_min, act_max)


def requantize_double(acc, bias, scale, output_zero_point, act_min=INT8_MIN, act_max=INT8_MAX):
    """The output stage of int8 FULLY_CONNECTED in LiteRT's reference kernel, which rescales in
    float64 instead of fixed point: round(double(acc + bias) * scale), ties away from zero,
    + Z_out, clamp, int8. `scale` is effective_output_scale(...) (array along the last axis for
    per-channel weights). A product beyond int32 (undefined in the C++) saturates here.
    """
    acc = _i64(acc)
    if bias is not None:
        acc = wrap_int32(acc + _i64(bias))
    scaled = round_half_away_from_zero(_i64(acc).astype(np.float64) * np.asarray(scale, np.float64))
    scaled = np.clip(scaled, INT32_MIN, INT32_MAX).astype(np.int64)
    return _clamp_int8(scaled + int(output_zero_point), act_min, act_max)


_REQUANTIZE_BLOCK = 1 << 14      # elements per block of requantizer's loop
_REQUANTIZE_ROW = 256            # shortest row it works along


def requantizer(multiplier, shift, bias, output_zero_point, act_min, act_max, acc_bound):
    """`requantize` prepared once for accumulators of known size, as one floor division.

    Returns fn(acc) -> int8 equal to requantize(acc, bias, multiplier, shift, output_zero_point,
    act_min, act_max) for every acc with |acc| <= acc_bound (per channel, last axis; acc may
    hold its integers in a float array). When the bound rules out int32 wrap-around
    ((acc_bound + |bias|) · 2^left < 2^31) and the right shift r is at most 23, the two
    roundings of multiply_by_quantized_multiplier are one: with p = (acc + bias) · M · 2^left,
        SRDHM:   h = floor((p + 2^30) / 2^31)
        RDBPOT:  y = floor((h + 2^(r-1) - [h < 0]) / 2^r)                       (r >= 1)
                   = floor((p + 2^30 + 2^(30+r) - 2^31 · [p + 2^30 < 0]) / 2^(31+r))
    because floor((floor(u) + k) / n) = floor((u + k) / n) for integers k and n > 0, and
    h < 0 exactly when p + 2^30 < 0. The [h < 0] term only moves results that are <= 0 before
    Z_out, and act_min >= Z_out (RELU, RELU6) sends all of those to act_min anyway, so it is
    skipped then. The division runs in float64 where that is exact (_float64_division), else
    in int64 (_int64_division); beyond those bounds the returned function is plain `requantize`.
    """
    single = _single_division(multiplier, shift, bias, output_zero_point, act_min, act_max,
                              acc_bound)
    if single is None:
        return lambda acc: requantize(acc, bias, multiplier, shift, output_zero_point,
                                      act_min, act_max)
    exact = _float64_division(single)
    if exact is None:
        return _by_blocks(*_int64_division(single), channels=multiplier.size)
    scale, constants, finish = exact

    def floor_division(acc, out, per_channel):
        v = acc.astype(np.float64)      # then an in-place product: faster than a casting one
        v *= per_channel[0]
        finish(v, out, *per_channel[1:])
    return _by_blocks(floor_division, (scale,) + constants, channels=scale.size)


def scaled_requantizer(multiplier, shift, bias, output_zero_point, act_min, act_max, acc_bound):
    """requantizer for callers that form acc · scale themselves, e.g. by a float64 GEMM against
    weights times scale: returns (scale, fn) with fn(acc · scale) == requantizer(...)(acc) for
    |acc| <= acc_bound, or None where requantizer's float64 path does not apply. fn may
    overwrite its argument.

    The caller's acc · scale must be exact. A float64 sum of products x · (w · scale) with
    integers x, w and Σ|x · w| <= acc_bound is: w · scale and x · w · scale carry at most
    8 + 8 + 31 significant bits, and each is, like every partial sum, an integer multiple of
    2^-S below 2^53 · 2^-S in magnitude (the bound _float64_division checks), so no addition
    in any order rounds.
    """
    single = _single_division(multiplier, shift, bias, output_zero_point, act_min, act_max,
                              acc_bound)
    exact = None if single is None else _float64_division(single)
    if exact is None:
        return None
    scale, constants, finish = exact
    return scale, _by_blocks(lambda v, out, per_channel: finish(v, out, *per_channel),
                             constants, channels=scale.size)


class _SingleDivision(NamedTuple):
    """What requantizer's single division needs, per channel where an array."""
    scaled_multiplier: np.ndarray   # M · 2^left
    right: np.ndarray               # r
    bias: np.ndarray
    reach: np.ndarray               # (acc_bound + |bias|) · 2^left
    acc_bound: object
    output_zero_point: int
    act_min: int
    act_max: int
    has_ties: bool                  # the [h < 0] term can change a result (see requantizer)


def _single_division(multiplier, shift, bias, output_zero_point, act_min, act_max, acc_bound):
    """requantizer's constants when its single division holds for |acc| <= acc_bound, else None."""
    multiplier, shift = _i64(multiplier), _i64(shift)
    bias = np.zeros_like(multiplier) if bias is None else _i64(bias)
    left, right = np.maximum(shift, 0), np.maximum(-shift, 0)
    reach = (np.asarray(acc_bound, np.float64) + np.abs(bias)) * np.exp2(left)    # exact below 2^53
    if (np.any(reach > INT32_MAX) or np.any(left > 31) or np.any(right > 23)
            or abs(int(output_zero_point)) > 128):
        return None
    has_ties = bool(np.any(right > 0)) and int(act_min) < int(output_zero_point)
    return _SingleDivision(multiplier << left, right, bias, reach, acc_bound,
                           int(output_zero_point), int(act_min), int(act_max), has_ties)


def _float64_division(single):
    """requantizer's division in float64: (scale, constants, finish) with
    finish(acc · scale, out, *constants) writing the int8 results into out (overwriting its
    first argument), or None where some value might round.

    Per channel, with S = 31 + r and Mw = M · 2^left, the result minus act_min is
        floor((acc · Mw + C - tie · [p + 2^30 < 0]) / 2^S),   tie = 2^31 · [r > 0],
        C = bias · Mw + 2^30 + 2^(30+r) · [r > 0] - (act_min - Z_out) · 2^S,
    and [p + 2^30 < 0] is [acc · Mw + C < T] with T = C - bias · Mw - 2^30. All of these are
    integers; when |acc| · Mw + |C| + 2^31 and |T| stay below 2^53 for every |acc| <= acc_bound,
    each is a float64 and so is every sum formed, and scaling by the power of two 2^-S changes
    no digit. So v = acc · (Mw · 2^-S) + C · 2^-S is exact, the clamp to [0, act_max - act_min]
    commutes with floor (integer bounds), and the cast of a value >= 0 to uint8 is its floor.
    Adding act_min in int8 wraps the byte back into [act_min, act_max].
    """
    (scaled_multiplier, right, bias, reach, acc_bound, output_zero_point, act_min, act_max,
     has_ties) = single
    total_shift = 31 + right
    low = int(act_min) - int(output_zero_point)
    tie = np.where(right > 0, 1 << 31, 0)
    rounding = (1 << 30) + (np.where(right > 0, 1 << 30, 0) << right)
    constant = [int(b) * int(m) + int(r) - low * (1 << int(s))
                for b, m, r, s in zip(bias, scaled_multiplier, rounding, total_shift)]
    threshold = [c - int(b) * int(m) - (1 << 30)
                 for c, b, m in zip(constant, bias, scaled_multiplier)]
    largest = [int(acc_bound_c) * int(m) + abs(c) + (1 << 31)
               for acc_bound_c, m, c in zip(np.broadcast_to(acc_bound, bias.shape),
                                            scaled_multiplier, constant)]
    if max(largest + [abs(t) for t in threshold]) >= 1 << 53:
        return None
    unit = np.exp2(-total_shift.astype(np.float64))
    constants = (np.array(constant, np.float64) * unit, np.array(threshold, np.float64) * unit,
                 tie * unit)
    span, act_min = float(int(act_max) - int(act_min)), np.int8(act_min)

    def finish(v, out, offset, below, tie_step):
        v += offset
        if has_ties:
            v -= (v < below) * tie_step
        np.clip(v, 0.0, span, out=out.view(np.uint8), casting="unsafe")
        np.add(out, act_min, out=out)
    return scaled_multiplier * unit, constants, finish


def _int64_division(single):
    """requantizer's division in int64: every term stays below 2^63 (|p| < 2^62,
    |Z_out| · 2^(31+r) <= 2^61); Z_out enters as Z_out · 2^(31+r)."""
    (scaled_multiplier, right, bias, reach, acc_bound, output_zero_point, act_min, act_max,
     has_ties) = single
    # One shift for all channels when the bound leaves room: numerator and divisor of channel c
    # both scaled by 2^(r_max - r_c), which leaves the floor unchanged.
    widen = right.max() - right
    if np.all(reach * np.exp2(widen) <= INT32_MAX):
        total_shift = 31 + int(right.max())
    else:
        widen, total_shift = np.zeros_like(right), 31 + right
    scaled_multiplier = scaled_multiplier << widen
    tie_shift = np.where(right > 0, 1 << 31, 0) << widen      # the -2^31 · [p + 2^30 < 0] term
    negative_below = (-(1 << 30) << widen) - bias * scaled_multiplier
    rounding = ((1 << 30) + (np.where(right > 0, 1 << 30, 0) << right)) << widen   # 2^30 + 2^(30+r)
    offset = (bias * scaled_multiplier + rounding
              + (int(output_zero_point) << np.asarray(total_shift)))
    per_channel = (scaled_multiplier, offset, negative_below, tie_shift, total_shift)

    def floor_division(acc, out, constants):
        scaled_multiplier, offset, negative_below, tie_shift, total_shift = constants
        p = np.multiply(acc, scaled_multiplier, dtype=np.int64, casting="unsafe")
        negative = p < negative_below if has_ties else None
        p += offset
        if has_ties:
            p -= negative * tie_shift
        p >>= total_shift
        np.maximum(p, int(act_min), out=p)
        np.minimum(p, int(act_max), out=out, casting="unsafe")
    return floor_division, per_channel


def _by_blocks(floor_division, per_channel, channels):
    """fn(acc) -> int8 running floor_division(acc_block, out_block, constants) over cache-sized
    blocks. Several pixels' channels sit side by side along each row (a divisor of the pixel
    count, at most enough for _REQUANTIZE_ROW values), so few channels still give long inner
    loops; the per-channel constants are tiled to match, once per pixel count."""
    ideal_repeat = max(1, -(-_REQUANTIZE_ROW // max(channels, 1)))
    tiled = {}

    def constants_for(pixels):
        if pixels not in tiled:
            repeat = next(r for r in range(min(ideal_repeat, pixels), 0, -1) if pixels % r == 0)
            tiled[pixels] = (channels * repeat, tuple(
                c if np.isscalar(c) else np.tile(c, repeat) for c in per_channel))
        return tiled[pixels]

    def requantize_prepared(acc):
        acc = np.asarray(acc)
        out = np.empty(acc.shape, np.int8)
        if acc.size:
            width, constants = constants_for(acc.size // channels)
            rows, out_rows = acc.reshape(-1, width), out.reshape(-1, width)
            step = max(1, _REQUANTIZE_BLOCK // width)
            for start in range(0, rows.shape[0], step):
                floor_division(rows[start:start + step], out_rows[start:start + step], constants)
        return out
    return requantize_prepared


_BELOW_HALF = float(np.nextafter(0.5, 0.0))


def double_requantizer(scale, bias, output_zero_point, act_min, act_max, acc_bound):
    """`requantize_double` prepared once for accumulators with |acc| <= acc_bound (per channel,
    last axis; acc may hold its integers in a float array).

    When (acc_bound + |bias|) < 2^31 nothing wraps, and acc + bias is an exact float64, so the
    product with `scale` is the reference's own double multiply. Rounding half away from zero
    is trunc(v + copysign(0.5 - 2^-54, v)), exact for every double: the sum rounds up to the
    next integer exactly when |frac(v)| >= 0.5. Clamping to [act_min - Z, act_max - Z] before
    trunc commutes with it (integer bounds). Otherwise the returned function is plain
    `requantize_double`.
    """
    scale = np.asarray(scale, np.float64)
    bias = np.zeros(np.shape(scale), np.int64) if bias is None else _i64(bias)
    if np.any(np.asarray(acc_bound, np.float64) + np.abs(bias) > INT32_MAX):
        return lambda acc: requantize_double(acc, bias, scale, output_zero_point,
                                             act_min, act_max)
    exact_bias = bias.astype(np.float64)
    zero_point = int(output_zero_point)
    low, high = float(int(act_min) - zero_point), float(int(act_max) - zero_point)

    def requantize_double_prepared(acc):
        v = np.add(acc, exact_bias, dtype=np.float64)
        v *= scale
        v += np.copysign(_BELOW_HALF, v)
        np.maximum(v, low, out=v)
        np.minimum(v, high, out=v)
        np.trunc(v, out=v)
        return np.add(v, zero_point, out=np.empty(v.shape, np.int8), casting="unsafe")
    return requantize_double_prepared


def requantize_int8(x, input_zero_point, multiplier, shift, output_zero_point):
    """int8 -> int8 QUANTIZE (Requantize): multiply_by_quantized_multiplier(x - Z_in, M, shift)
    + Z_out, clamped to int8, with (M, shift) = quantize_multiplier(double(S_in) / double(S_out))."""
    centered = _i64(x) - int(input_zero_point)
    return _clamp_int8(_i64(multiply_by_quantized_multiplier(centered, multiplier, shift))
                       + int(output_zero_point), INT8_MIN, INT8_MAX)


class AddParams(NamedTuple):
    """Prepared constants of int8 ADD / SUB (TFLite's general 8-bit path)."""
    left_shift: int
    input1_offset: int
    input1_multiplier: int
    input1_shift: int
    input2_offset: int
    input2_multiplier: int
    input2_shift: int
    output_offset: int
    output_multiplier: int
    output_shift: int
    subtract: bool                  # SUB: the scaled input 2 is subtracted


def add_params(input1_scale, input1_zero_point, input2_scale, input2_zero_point,
               output_scale, output_zero_point, subtract=False):
    """ADD / SUB prepare for int8: both inputs are brought to a common scale 2·max(S1, S2) / 2^20
    (left_shift 20), each by a multiplier S_i / (2·max) < 1; the output multiplier is
    2·max / (2^20 · S_out). All in float64 from the float32 scales. With subtract=True,
    add_int8 computes x1 - x2 (SUB's reference kernel subtracts the two scaled inputs; newer
    TFLite sources negate input 2's multiplier instead, which rounds ties differently and is
    not what the LiteRT wheel does)."""
    s1, s2, s_out = (float(np.float32(s)) for s in (input1_scale, input2_scale, output_scale))
    left_shift = 20
    twice_max = 2 * max(s1, s2)
    m1, sh1 = quantize_multiplier_smaller_than_one_exp(s1 / twice_max)
    m2, sh2 = quantize_multiplier_smaller_than_one_exp(s2 / twice_max)
    mo, sho = quantize_multiplier_smaller_than_one_exp(twice_max / (float(1 << left_shift) * s_out))
    return AddParams(left_shift, -int(input1_zero_point), m1, sh1, -int(input2_zero_point), m2, sh2,
                     int(output_zero_point), mo, sho, bool(subtract))


def add_int8(x1, x2, params, act_min=INT8_MIN, act_max=INT8_MAX):
    """int8 ADD (or SUB, with subtract=True params), numpy broadcasting: each (q + offset) · 2^20
    is scaled by its multiplier (smaller-than-one form), the two are added (subtracted) in int32,
    the result is scaled by the output multiplier, + Z_out, clamped."""
    p = params
    v1 = wrap_int32((_i64(x1) + p.input1_offset) << p.left_shift)
    v2 = wrap_int32((_i64(x2) + p.input2_offset) << p.left_shift)
    s1 = multiply_by_quantized_multiplier_smaller_than_one_exp(v1, p.input1_multiplier, p.input1_shift)
    s2 = multiply_by_quantized_multiplier_smaller_than_one_exp(v2, p.input2_multiplier, p.input2_shift)
    total = _sub(s1, s2) if p.subtract else _add(s1, s2)
    out = multiply_by_quantized_multiplier_smaller_than_one_exp(total, p.output_multiplier, p.output_shift)
    return _clamp_int8(_i64(out) + p.output_offset, act_min, act_max)


def mul_multiplier(input1_scale, input2_scale, output_scale):
    """MUL prepare: quantize_multiplier(S1 · S2 / S_out), the product and quotient taken in
    float32 as the C++ does (`double m = s1 * s2 / s_out` on float operands)."""
    return quantize_multiplier(float32_multiplier(input1_scale, input2_scale, output_scale))


def mul_int8(x1, x2, input1_zero_point, input2_zero_point, multiplier, shift, output_zero_point,
             act_min=INT8_MIN, act_max=INT8_MAX):
    """int8 MUL, numpy broadcasting: (q1 - Z1)(q2 - Z2) in int32, multiply_by_quantized_multiplier,
    + Z_out, clamped."""
    product = (_i64(x1) - int(input1_zero_point)) * (_i64(x2) - int(input2_zero_point))
    out = multiply_by_quantized_multiplier(product, multiplier, shift)
    return _clamp_int8(_i64(out) + int(output_zero_point), act_min, act_max)


SOFTMAX_SCALED_DIFF_INTEGER_BITS = 5
SOFTMAX_ACCUMULATION_INTEGER_BITS = 12


class SoftmaxParams(NamedTuple):
    input_multiplier: int
    input_left_shift: int
    diff_min: int
    exps: np.ndarray    # exp term in Q0.31 per distance below the row maximum (0 .. 255)
    terms: np.ndarray   # the same rescaled to Q12.19, as summed into the row total


def softmax_params(input_scale, beta):
    """int8 SOFTMAX prepare (reference kernel): preprocess_softmax_scaling with 5 integer bits,
    and diff_min = -calculate_input_radius(5, left_shift): differences below it contribute 0.

    An int8 difference from the row maximum takes one of 256 values, so the exp pipeline runs
    here once per value; softmax_int8 only looks the terms up. Below diff_min both tables hold
    0, which makes the output -128 (a zero term rounds to zero in the final scaling).
    """
    multiplier, left_shift = preprocess_softmax_scaling(beta, input_scale, SOFTMAX_SCALED_DIFF_INTEGER_BITS)
    diff_min = -calculate_input_radius(SOFTMAX_SCALED_DIFF_INTEGER_BITS, left_shift)
    diffs = -np.arange(256, dtype=np.int64)
    live = diffs >= diff_min
    scaled = multiply_by_quantized_multiplier_greater_than_one(np.where(live, diffs, 0), multiplier, left_shift)
    exps = np.where(live, _i64(exp_on_negative_values(scaled, SOFTMAX_SCALED_DIFF_INTEGER_BITS)), 0)
    terms = _i64(rescale(exps, 0, SOFTMAX_ACCUMULATION_INTEGER_BITS))
    return SoftmaxParams(multiplier, left_shift, diff_min, exps, terms)


def softmax_int8(x, params):
    """int8 SOFTMAX over the last axis, as LiteRT's reference kernel (output S = 1/256, Z = -128):

    d = max(row) - q; where -d >= diff_min, -d is scaled to Q5.26 by
    multiply_by_quantized_multiplier_greater_than_one and exp_on_negative_values gives e in Q0.31
    (both looked up in params, see softmax_params). The row sum of e rescaled to Q12.19 is
    inverted by get_reciprocal; each output is
    rounding_divide_by_pot(srdhm(reciprocal, e), bits_over_unit + 23) - 128, clamped.
    """
    x = np.asarray(x, dtype=np.int16)
    distance = x.max(axis=-1, keepdims=True) - x
    sum_of_exps = wrap_int32(params.terms[distance].sum(axis=-1, keepdims=True))
    reciprocal, bits_over_unit = get_reciprocal(sum_of_exps, SOFTMAX_ACCUMULATION_INTEGER_BITS)
    exponent = _i64(bits_over_unit) + 31 - 8
    unsaturated = rounding_divide_by_pot(
        saturating_rounding_doubling_high_mul(reciprocal, params.exps[distance]), exponent)
    return np.clip(_i64(unsaturated) + INT8_MIN, INT8_MIN, INT8_MAX).astype(np.int8)


class HardSwishParams(NamedTuple):
    input_zero_point: int
    output_zero_point: int
    output_multiplier_int16: int
    output_multiplier_exponent: int
    reluish_multiplier_int16: int
    reluish_multiplier_exponent: int


def hard_swish_params(input_scale, input_zero_point, output_scale, output_zero_point):
    """HARD_SWISH prepare for int8, in float32 as the C++: hires input scale S_in / 128;
    output multiplier (S_in/128) / S_out and "reluish" multiplier (S_in/128) / (3/32768), each
    quantized and rounded down to Q0.15. The output exponent must be <= 0."""
    hires = np.float32(np.float32(1.0 / 128.0) * np.float32(input_scale))
    out_m, out_e = quantize_multiplier(float(np.float32(hires / np.float32(output_scale))))
    rel_m, rel_e = quantize_multiplier(float(np.float32(hires / np.float32(3.0 / 32768.0))))
    if out_e > 0:
        raise ValueError("HARD_SWISH output multiplier exponent must be <= 0 "
                         f"(S_in={input_scale}, S_out={output_scale})")
    return HardSwishParams(int(input_zero_point), int(output_zero_point),
                           downscale_int32_to_int16_multiplier(out_m), out_e,
                           downscale_int32_to_int16_multiplier(rel_m), rel_e)


def hard_swish_int8(x, params):
    """int8 HARD_SWISH, x · relu6(x + 3) / 6, in TFLite's int16 fixed-point scheme: the input
    (minus Z_in, times 2^7) is scaled to the output scale and, separately, to a "reluish" value in
    [-1, 1] (saturating), mapped to [0, 1]; their truncating doubling high product is rounded
    down by the output exponent, + Z_out, clamped to int8."""
    p = params
    hires = (_i64(x) - p.input_zero_point) * (1 << 7)
    preshift_output = saturating_rounding_doubling_high_mul_int16(hires, p.output_multiplier_int16)
    reluish = hires
    if p.reluish_multiplier_exponent > 0:
        reluish = saturating_left_shift_int16(reluish, p.reluish_multiplier_exponent - 1)
    reluish = saturating_rounding_doubling_high_mul_int16(reluish, p.reluish_multiplier_int16)
    if p.reluish_multiplier_exponent > 0:
        reluish = saturating_left_shift_int16(reluish, 1)
    if p.reluish_multiplier_exponent < 0:
        reluish = rounding_divide_by_pot_int16(reluish, -p.reluish_multiplier_exponent)
    reluish = (_i64(reluish) + (1 << 15)) >> 1
    preshift = saturating_doubling_high_mul_int16(reluish, preshift_output)
    out = _i64(rounding_divide_by_pot_int16(preshift, -p.output_multiplier_exponent)) + p.output_zero_point
    return _clamp_int8(out, INT8_MIN, INT8_MAX)


class ReluParams(NamedTuple):
    input_zero_point: int
    output_zero_point: int
    multiplier: int
    shift: int
    act_min: int
    act_max: int


def relu_params(input_scale, input_zero_point, output_scale, output_zero_point, low, high=None):
    """RELU / RELU6 / RELU_N1_TO_1 / RELU_0_TO_1 prepare for int8 (standalone ops): multiplier
    S_in / S_out in float32, quantized; the clamp [max(-128, Z_out + roundf(low / S_out)),
    min(127, Z_out + roundf(high / S_out))] in float32, no upper bound when high is None (RELU)."""
    m, s = quantize_multiplier(float32_multiplier(input_scale, output_scale))
    s_out = np.float32(output_scale)

    def bound(real):
        return int(output_zero_point) + int(round_half_away_from_zero(np.float32(real) / s_out))
    act_min = max(INT8_MIN, bound(low))
    act_max = INT8_MAX if high is None else min(INT8_MAX, bound(high))
    return ReluParams(int(input_zero_point), int(output_zero_point), m, s, act_min, act_max)


def relu_int8(x, params):
    """int8 RELU-family op: multiply_by_quantized_multiplier(q - Z_in) + Z_out, clamped to the
    prepared [act_min, act_max]."""
    p = params
    out = _i64(multiply_by_quantized_multiplier(_i64(x) - p.input_zero_point, p.multiplier, p.shift))
    return _clamp_int8(out + p.output_zero_point, p.act_min, p.act_max)


class LeakyReluParams(NamedTuple):
    input_zero_point: int
    output_zero_point: int
    alpha_multiplier: int
    alpha_shift: int
    identity_multiplier: int
    identity_shift: int


def leaky_relu_params(input_scale, input_zero_point, output_scale, output_zero_point, alpha):
    """LEAKY_RELU prepare for int8: multipliers S_in · alpha / S_out and S_in / S_out, computed in
    float32 (float operands in the C++) and quantized."""
    m_a, s_a = quantize_multiplier(float32_multiplier(input_scale, alpha, output_scale))
    m_i, s_i = quantize_multiplier(float32_multiplier(input_scale, output_scale))
    return LeakyReluParams(int(input_zero_point), int(output_zero_point), m_a, s_a, m_i, s_i)


def leaky_relu_int8(x, params):
    """int8 LEAKY_RELU: d = q - Z_in; d >= 0 scales by the identity multiplier, d < 0 by the alpha
    multiplier (a negative alpha multiplier is applied as -(d · |M|)); + Z_out, clamped."""
    p = params
    d = _i64(x) - p.input_zero_point
    identity = _i64(multiply_by_quantized_multiplier(d, p.identity_multiplier, p.identity_shift))
    alpha = _i64(multiply_by_quantized_multiplier(d, abs(p.alpha_multiplier), p.alpha_shift))
    if p.alpha_multiplier < 0:
        alpha = -alpha
    return _clamp_int8(np.where(d >= 0, identity, alpha) + p.output_zero_point, INT8_MIN, INT8_MAX)


class PreluParams(NamedTuple):
    input_zero_point: int
    alpha_zero_point: int
    output_zero_point: int
    identity_multiplier: int
    identity_shift: int
    alpha_multiplier: int
    alpha_shift: int


def prelu_params(input_scale, input_zero_point, alpha_scale, alpha_zero_point,
                 output_scale, output_zero_point):
    """PRELU prepare for int8: S_in / S_out and S_in · S_alpha / S_out, in float32, quantized."""
    m1, s1 = quantize_multiplier(float32_multiplier(input_scale, output_scale))
    m2, s2 = quantize_multiplier(float32_multiplier(input_scale, alpha_scale, output_scale))
    return PreluParams(int(input_zero_point), int(alpha_zero_point), int(output_zero_point),
                       m1, s1, m2, s2)


def prelu_int8(x, alpha, params):
    """int8 PRELU, numpy broadcasting of alpha: d = q - Z_in; d >= 0 scales d by the identity
    multiplier, d < 0 scales d · (alpha - Z_alpha) by the alpha multiplier; + Z_out, clamped."""
    p = params
    d = _i64(x) - p.input_zero_point
    a = _i64(alpha) - p.alpha_zero_point
    positive = _i64(multiply_by_quantized_multiplier(d, p.identity_multiplier, p.identity_shift))
    negative = _i64(multiply_by_quantized_multiplier(d * a, p.alpha_multiplier, p.alpha_shift))
    return _clamp_int8(np.where(d >= 0, positive, negative) + p.output_zero_point, INT8_MIN, INT8_MAX)


def mean_multiplier(multiplier, shift, count):
    """MEAN's reference kernel (QuantizedMeanOrSum) folds 1/count into the S_in / S_out
    multiplier: with k = min(floor(log2(count)), 32, 31 + shift), the pair becomes
    ((M · 2^k) // count, shift - k), the division truncating (M >= 0)."""
    multiplier, shift, count = int(multiplier), int(shift), int(count)
    if count <= 0 or multiplier < 0:
        raise ValueError(f"need count > 0 and multiplier >= 0, got {count}, {multiplier}")
    k = min(count.bit_length() - 1, 32, 31 + shift)
    return (multiplier << k) // count, shift - k


def mean_int8(sums, count, input_zero_point, multiplier, shift, output_zero_point):
    """int8 MEAN from the int32 sums of `count` inputs each: (sum - Z_in · count), wrapped to
    int32, times mean_multiplier(M, shift, count) by multiply_by_quantized_multiplier, + Z_out,
    clamped; (M, shift) = quantize_multiplier(double(S_in) / double(S_out))."""
    m, s = mean_multiplier(multiplier, shift, count)
    centered = wrap_int32(_i64(sums) - int(input_zero_point) * int(count))
    out = _i64(multiply_by_quantized_multiplier(centered, m, s)) + int(output_zero_point)
    return _clamp_int8(out, INT8_MIN, INT8_MAX)


def mean_requantizer(input_zero_point, multiplier, shift, output_zero_point, count):
    """mean_int8 prepared for the int32 sums of `count` int8 inputs: requantize's steps with
    mean_multiplier's pair and -Z_in · count as the bias (acc + bias wraps to int32 there as
    the centering does here), so the prepared requantizer applies (|sum| <= 128 · count)."""
    m, s = mean_multiplier(multiplier, shift, count)
    return requantizer(np.array([m]), np.array([s]), np.array([-int(input_zero_point) * int(count)]),
                       output_zero_point, INT8_MIN, INT8_MAX, acc_bound=128 * int(count))


def divide_rounding_half_away(total, count):
    """AVERAGE_POOL_2D's rounded division: (total ± count//2) / count with C++ truncation, the
    nudge taking total's sign; that is total / count rounded to nearest, ties away from zero.
    count > 0. Returns int32."""
    total, count = _i64(total), _i64(count)
    if np.any(count <= 0):
        raise ValueError("count must be positive")
    half = count // 2
    return _i32(_trunc_div(np.where(total > 0, total + half, total - half), count))
