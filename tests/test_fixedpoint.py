"""litequant.fixedpoint, primitive by primitive, in the manner of gemmlowp's test_fixedpoint.

Each primitive is compared with a reference written here from its definition in exact Python
arithmetic (ints and Fractions), with tolerance 0 unless stated: first on hand-computed edge
cases (ties at +-0.5, negative values, INT32_MIN * INT32_MIN, shifts 0 and 31), then on
hypothesis-drawn values. Agreement with LiteRT itself is tests/test_fixedpoint_oracle.py's job.
"""
import math
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from litequant import fixedpoint as fp

INT32_MIN, INT32_MAX = -(1 << 31), (1 << 31) - 1
int32s = st.integers(INT32_MIN, INT32_MAX)
int8s = st.integers(-128, 127)
shifts = st.integers(0, 31)


# --- references from the definitions -----------------------------------------------------------

def round_half_up(q):
    """Nearest integer to the Fraction q, ties toward +infinity."""
    return math.floor(q + Fraction(1, 2))


def round_half_away(q):
    """Nearest integer to the Fraction q, ties away from zero."""
    q = Fraction(q)
    magnitude = math.floor(abs(q) + Fraction(1, 2))
    return magnitude if q >= 0 else -magnitude


def wrap32(v):
    return (v + (1 << 31)) % (1 << 32) - (1 << 31)


def srdhm_ref(a, b):
    if a == b == INT32_MIN:
        return INT32_MAX
    return round_half_up(Fraction(a * b, 1 << 31))


def rdbpot_ref(x, exponent):
    return round_half_away(Fraction(x, 1 << exponent))


def mbqm_ref(x, multiplier, shift):
    """Double rounding: round half up at the high multiply, then half away at the right shift."""
    left, right = max(shift, 0), max(-shift, 0)
    return rdbpot_ref(srdhm_ref(wrap32(x << left), multiplier), right)


def quantize_multiplier_ref(real):
    if real == 0:
        return 0, 0
    exact = Fraction(real)
    shift = 0
    while abs(exact) >= 1:                        # normalize |exact| into [1/2, 1)
        exact /= 2
        shift += 1
    while abs(exact) < Fraction(1, 2):
        exact *= 2
        shift -= 1
    q = round_half_away(exact * (1 << 31))
    if q == 1 << 31:
        q, shift = 1 << 30, shift + 1
    if shift < -31:
        return 0, 0
    return q, shift


def as_ints(array):
    return [int(v) for v in np.ravel(array)]


# --- Part 1: multipliers -------------------------------------------------------------------------

@pytest.mark.parametrize("real, expected", [
    (0.0, (0, 0)),
    (0.5, (1 << 30, 0)),
    (0.25, (1 << 30, -1)),
    (1.0, (1 << 30, 1)),
    (0.75, (3 << 29, 0)),
    (3.0, (3 << 29, 2)),
    (1 - 2.0 ** -40, (1 << 30, 1)),                 # rounds up to 2^31: becomes 2^30, shift + 1
    (2.0 ** -31, (1 << 30, -30)),
    (2.0 ** -32, (1 << 30, -31)),
    (2.0 ** -33, (0, 0)),                           # shift -32 flushes to zero
    (-0.25, (-(1 << 30), -1)),
    (0.5 + 2.0 ** -32, ((1 << 30) + 1, 0)),        # tie at the 31st bit: away from zero
])
def test_quantize_multiplier_edge_cases(real, expected):
    assert fp.quantize_multiplier(real) == expected
    assert quantize_multiplier_ref(real) == expected


@given(st.floats(min_value=2.0 ** -40, max_value=2.0 ** 20))
def test_quantize_multiplier_matches_reference(real):
    assert fp.quantize_multiplier(real) == quantize_multiplier_ref(real)
    m, s = fp.quantize_multipliers([real, -real])
    assert (int(m[0]), int(s[0])) == quantize_multiplier_ref(real)
    assert (int(m[1]), int(s[1])) == quantize_multiplier_ref(-real)


@given(st.floats(min_value=2.0 ** -30, max_value=2.0 ** 20))
def test_quantize_multiplier_is_accurate(real):
    m, s = fp.quantize_multiplier(real)
    assert 1 << 30 <= m <= INT32_MAX
    error = Fraction(m) * Fraction(2) ** (s - 31) - Fraction(real)
    assert abs(error) <= Fraction(real) / (1 << 30)


def test_quantize_multipliers_shape_and_dtype():
    m, s = fp.quantize_multipliers(np.full((2, 3), 0.3))
    assert m.shape == s.shape == (2, 3) and m.dtype == s.dtype == np.int32


def test_multiplier_domains_are_checked():
    for bad in (float("inf"), float("nan")):
        with pytest.raises(ValueError):
            fp.quantize_multiplier(bad)
        with pytest.raises(ValueError):
            fp.quantize_multipliers([0.5, bad])
    with pytest.raises(ValueError):
        fp.quantize_multiplier_smaller_than_one_exp(1.0)
    with pytest.raises(ValueError):
        fp.quantize_multiplier_greater_than_one(0.5)
    assert fp.quantize_multiplier_smaller_than_one_exp(0.375) == (3 << 29, -1)
    assert fp.quantize_multiplier_greater_than_one(1.5) == (3 << 29, 1)


def test_effective_output_scale_is_float64_of_float32_scales():
    got = fp.effective_output_scale(0.1, [0.2, 0.3], 0.7)
    s = [float(np.float32(v)) for v in (0.1, 0.2, 0.3, 0.7)]
    assert got.dtype == np.float64
    assert list(got) == [s[0] * s[1] / s[3], s[0] * s[2] / s[3]]


def test_float32_multiplier_rounds_each_step_to_float32():
    a, b, c = np.float32(0.9582734), np.float32(0.03383687), np.float32(0.45855194)
    assert fp.float32_multiplier(a, b, c) == float(np.float32(np.float32(a * b) / c))
    assert fp.float32_multiplier(a, c) == float(np.float32(a / c))


def test_softmax_scaling_constants():
    m, left = fp.preprocess_softmax_scaling(1.0, 1 / 16, 5)   # 2^-4 * 2^26 = 2^22
    assert (m, left) == (1 << 30, 23)
    assert fp.calculate_input_radius(5, 23) == (31 << 26) >> 23 == 248
    m, left = fp.preprocess_softmax_scaling(1.0, 1000.0, 5)   # capped at 2^31 - 1
    assert (m, left) == fp.quantize_multiplier(float(INT32_MAX))
    with pytest.raises(ValueError):
        fp.preprocess_softmax_scaling(1.0, 1e-9, 5)         # below one: TFLite aborts


def test_downscale_int32_to_int16_multiplier():
    assert fp.downscale_int32_to_int16_multiplier(1 << 30) == 1 << 14
    assert fp.downscale_int32_to_int16_multiplier((1 << 30) + (1 << 15)) == (1 << 14) + 1   # half: up
    assert fp.downscale_int32_to_int16_multiplier((1 << 30) + (1 << 15) - 1) == 1 << 14
    assert fp.downscale_int32_to_int16_multiplier(INT32_MAX) == 32767
    assert fp.downscale_int32_to_int16_multiplier(INT32_MAX - (1 << 15)) == 32767


# --- Part 2: int32 primitives ----------------------------------------------------------------------

@pytest.mark.parametrize("a, b, expected", [
    (INT32_MIN, INT32_MIN, INT32_MAX),              # the one overflow saturates
    (INT32_MIN, INT32_MAX, -INT32_MAX),
    (INT32_MAX, INT32_MAX, INT32_MAX - 1),
    (1 << 30, 1, 1),                                # +0.5: up
    (-(1 << 30), 1, 0),                             # -0.5: up, toward +infinity
    (3 << 29, 2, 2),                                # 1.5 -> 2
    (-(3 << 29), 2, -1),                            # -1.5 -> -1
    ((1 << 30) - 1, 1, 0),                          # just under a half
    (0, INT32_MIN, 0),
])
def test_srdhm_edge_cases(a, b, expected):
    assert srdhm_ref(a, b) == expected
    assert int(fp.saturating_rounding_doubling_high_mul(a, b)) == expected


@given(int32s, int32s)
def test_srdhm_matches_reference(a, b):
    assert int(fp.saturating_rounding_doubling_high_mul(a, b)) == srdhm_ref(a, b)
    assert int(fp.saturating_rounding_doubling_high_mul(b, a)) == srdhm_ref(a, b)


@pytest.mark.parametrize("x, exponent, expected", [
    (5, 0, 5), (-5, 0, -5),
    (1, 1, 1), (-1, 1, -1),                         # +-0.5: away from zero
    (3, 1, 2), (-3, 1, -2),                         # +-1.5
    (5, 2, 1), (-5, 2, -1),                         # +-1.25
    (6, 2, 2), (-6, 2, -2),                         # +-1.5
    (7, 2, 2), (-7, 2, -2),                         # +-1.75
    (INT32_MAX, 31, 1), (INT32_MIN, 31, -1),        # -2^31 / 2^31 = -1 exactly
    (INT32_MAX, 30, 2), (INT32_MIN, 30, -2),
    (-(1 << 30), 31, -1),                           # -0.5 -> -1
    ((1 << 30), 31, 1),
])
def test_rounding_divide_by_pot_edge_cases(x, exponent, expected):
    assert rdbpot_ref(x, exponent) == expected
    assert int(fp.rounding_divide_by_pot(x, exponent)) == expected


@given(int32s, shifts)
def test_rounding_divide_by_pot_matches_reference(x, exponent):
    assert int(fp.rounding_divide_by_pot(x, exponent)) == rdbpot_ref(x, exponent)


def test_rounding_divide_by_pot_array_exponents_and_domain():
    x = np.array([[7, -7, 1 << 20, -(1 << 20)]])
    e = np.array([0, 2, 21, 31])
    assert as_ints(fp.rounding_divide_by_pot(x, e)) == [rdbpot_ref(int(a), int(b)) for a, b in zip(x[0], e)]
    with pytest.raises(ValueError):
        fp.rounding_divide_by_pot(1, 32)
    with pytest.raises(ValueError):
        fp.rounding_divide_by_pot(1, -1)


@given(int32s, st.integers(-31, 30))
def test_saturating_rounding_multiply_by_pot(x, exponent):
    if exponent >= 0:
        expected = min(max(x << exponent, INT32_MIN), INT32_MAX)
        threshold = (1 << (31 - exponent)) - 1
        if exponent > 0 and x < -threshold:          # gemmlowp's threshold is symmetric
            expected = INT32_MIN
    else:
        expected = rdbpot_ref(x, -exponent)
    assert int(fp.saturating_rounding_multiply_by_pot(x, exponent)) == expected


@given(int32s, int32s)
def test_rounding_half_sum(a, b):
    assert int(fp.rounding_half_sum(a, b)) == round_half_away(Fraction(a + b, 2))


@pytest.mark.parametrize("x, multiplier, shift, expected", [
    (1, 1 << 30, -1, 1),          # 1 * 0.25: the high multiply rounds 0.5 up to 1, the shift 0.5 to 1
    (-2, 1 << 30, -1, -1),        # -0.5 then ties away: -1 (a single rounding would give 0)
    (2, 1 << 30, -1, 1),
    (-1, 1 << 30, -1, 0),
    (-3, 1 << 30, -1, -1),
    (3, 3 << 29, 2, 9),           # left shift: 3 * 3
    (1 << 28, 1 << 30, 2, 1 << 29),
    (1 << 29, 1 << 30, 2, -(1 << 30)),  # 2^29 * 2^2 wraps to INT32_MIN before the multiply, as in C++
    (100, 0, 0, 0),
    (INT32_MIN, INT32_MIN, 0, INT32_MAX),
])
def test_multiply_by_quantized_multiplier_edge_cases(x, multiplier, shift, expected):
    assert mbqm_ref(x, multiplier, shift) == expected
    assert int(fp.multiply_by_quantized_multiplier(x, multiplier, shift)) == expected


@given(int32s, st.integers(0, INT32_MAX), st.integers(-31, 0))
def test_multiply_by_quantized_multiplier_right_shifts(x, multiplier, shift):
    assert int(fp.multiply_by_quantized_multiplier(x, multiplier, shift)) == mbqm_ref(x, multiplier, shift)


@given(st.integers(-(1 << 20), 1 << 20), st.integers(0, INT32_MAX), st.integers(0, 10))
def test_multiply_by_quantized_multiplier_left_shifts(x, multiplier, shift):
    assert int(fp.multiply_by_quantized_multiplier(x, multiplier, shift)) == mbqm_ref(x, multiplier, shift)


@settings(max_examples=50)
@given(st.lists(st.tuples(st.integers(1 << 30, INT32_MAX), st.integers(-20, 5)), min_size=1, max_size=6),
       st.lists(st.integers(-(1 << 24), 1 << 24), min_size=1, max_size=5))
def test_multiply_by_quantized_multiplier_per_channel_broadcast(channels, rows):
    m = np.array([c[0] for c in channels])
    s = np.array([c[1] for c in channels])
    x = np.array(rows)[:, None] + np.zeros(len(channels), np.int64)
    got = fp.multiply_by_quantized_multiplier(x, m, s)
    assert got.shape == x.shape and got.dtype == np.int32
    for r in range(x.shape[0]):
        assert as_ints(got[r]) == [mbqm_ref(int(x[r, c]), int(m[c]), int(s[c])) for c in range(len(channels))]


def test_smaller_than_one_and_greater_than_one_domains():
    assert int(fp.multiply_by_quantized_multiplier_smaller_than_one_exp(-2, 1 << 30, -1)) == -1
    assert int(fp.multiply_by_quantized_multiplier_greater_than_one(3, 3 << 29, 2)) == 9
    with pytest.raises(ValueError):
        fp.multiply_by_quantized_multiplier_smaller_than_one_exp(1, 1 << 30, 1)
    with pytest.raises(ValueError):
        fp.multiply_by_quantized_multiplier_greater_than_one(1, 1 << 30, -1)


@given(st.integers(0, (1 << 32) - 1))
def test_count_leading_zeros32(x):
    as_int32 = x - (1 << 32) if x >= 1 << 31 else x
    assert int(fp.count_leading_zeros32(as_int32)) == 32 - x.bit_length()


def test_int16_primitives():
    assert int(fp.saturating_rounding_doubling_high_mul_int16(-32768, -32768)) == 32767
    assert int(fp.saturating_rounding_doubling_high_mul_int16(-(1 << 14), 1)) == 0     # -0.5 -> up
    assert int(fp.saturating_doubling_high_mul_int16(-32768, -32768)) == 32767
    assert int(fp.saturating_doubling_high_mul_int16(-(3 << 14), 1)) == -1             # -1.5 -> toward 0
    assert int(fp.saturating_doubling_high_mul_int16(3 << 14, 1)) == 1
    assert as_ints(fp.saturating_left_shift_int16([20000, -20000, 3], 1)) == [32767, -32768, 6]
    assert as_ints(fp.rounding_divide_by_pot_int16([3, -3, 0, -7], 1)) == [2, -2, 0, -4]
    # gemmlowp's degenerate int16 case: from exponent 16 on, only the sign survives.
    assert as_ints(fp.rounding_divide_by_pot_int16([5, 0, -5], 16)) == [1, 1, -1]


@given(st.integers(-32768, 32767), st.integers(-32768, 32767))
def test_int16_high_muls_match_reference(a, b):
    rounding = 32767 if a == b == -32768 else round_half_up(Fraction(a * b, 1 << 15))
    truncating = 32767 if a == b == -32768 else int(Fraction(a * b, 1 << 15))   # int() truncates
    assert int(fp.saturating_rounding_doubling_high_mul_int16(a, b)) == rounding
    assert int(fp.saturating_doubling_high_mul_int16(a, b)) == truncating


# --- Part 3: fixed-point math ----------------------------------------------------------------------

# Degree-4 Taylor truncation of exp on [-1/4, 0) costs up to ~2.3e-7 (about 490 units of 2^-31);
# gemmlowp accepts this. Newton-Raphson 1/(1+x) stays within 7 units.
EXP_TOLERANCE = 600
RECIPROCAL_TOLERANCE = 16


def test_exp_on_negative_values_edge_cases():
    assert int(fp.exp_on_negative_values(0, 5)) == INT32_MAX
    assert abs(int(fp.exp_on_negative_values(-(1 << 26), 5)) - math.exp(-1) * 2 ** 31) < EXP_TOLERANCE
    assert int(fp.exp_on_negative_values(INT32_MIN, 5)) == 0                 # exp(-32) < 2^-31
    assert int(fp.exp_on_negative_values(-(1 << 30) - 1, 6)) == 0            # below -32: clamped
    assert int(fp.exp_on_interval_between_negative_one_quarter_and_0_excl(-(1 << 29))) == \
        pytest.approx(math.exp(-0.25) * 2 ** 31, abs=EXP_TOLERANCE)


@given(st.integers(INT32_MIN, 0), st.integers(0, 8))
def test_exp_on_negative_values_accuracy(raw, integer_bits):
    got = int(fp.exp_on_negative_values(raw, integer_bits))
    assert abs(got - math.exp(raw / 2 ** (31 - integer_bits)) * 2 ** 31) <= EXP_TOLERANCE


@given(st.integers(0, INT32_MAX))
def test_one_over_one_plus_x_accuracy(raw):
    got = int(fp.one_over_one_plus_x_for_x_in_0_1(raw))
    assert abs(got - 2 ** 31 / (1 + raw / 2 ** 31)) <= RECIPROCAL_TOLERANCE


@given(st.integers(1, INT32_MAX), st.integers(0, 20))
def test_get_reciprocal(raw, integer_bits):
    r, bits_over_unit = fp.get_reciprocal(raw, integer_bits)
    x = raw / 2 ** (31 - integer_bits)
    assert abs(int(r) / 2 ** 31 / 2 ** int(bits_over_unit) - 1 / x) <= (1 / x) * 2 ** -26


def test_rescale_moves_between_formats():
    assert int(fp.rescale(1 << 26, 5, 0)) == INT32_MAX            # 1.0 does not fit Q0.31: saturates
    assert int(fp.rescale(1 << 20, 5, 0)) == 1 << 25
    assert int(fp.rescale(INT32_MAX, 0, 12)) == 1 << 19           # rounds to 1.0 in Q12.19


def fixed_point_constant(real, integer_bits=0):
    """gemmlowp's FromDouble, which checks its hard-coded constants: round(real · 2^(31 - ib))
    clamped to int32 (none of the constants below is near a tie)."""
    raw = real * 2.0 ** (31 - integer_bits)
    return max(INT32_MIN, min(INT32_MAX, int(math.copysign(math.floor(abs(raw) + 0.5), raw))))


def test_hard_coded_constants():
    assert fixed_point_constant(math.exp(-1 / 8)) == 1895147668
    assert fixed_point_constant(48 / 17, 2) == 1515870810
    assert fixed_point_constant(-32 / 17, 2) == -1010580540
    assert fixed_point_constant(1 / 3) == 715827883


@pytest.mark.parametrize("k, raw", [(-2, 1672461947), (-1, 1302514674), (0, 790015084), (1, 290630308),
                                    (2, 39332535), (3, 720401), (4, 242)])
def test_barrel_shifter_constants(k, raw):
    assert fixed_point_constant(math.exp(-(2.0 ** k))) == raw


# --- Part 4: float helpers -----------------------------------------------------------------------

def test_round_half_away_from_zero_edge_cases():
    x = np.array([0.5, -0.5, 1.5, -1.5, 2.5, -2.5, 0.49999999999999994, -0.49999999999999994,
                  2.0 ** 52 + 1, -(2.0 ** 52) - 1, 0.0, -0.0, 1e300])
    expected = [1, -1, 2, -2, 3, -3, 0, 0, 2.0 ** 52 + 1, -(2.0 ** 52) - 1, 0, 0, 1e300]
    assert list(fp.round_half_away_from_zero(x)) == expected
    f = fp.round_half_away_from_zero(np.array([2.5, -0.5, 0.49999997, 8388609.0], np.float32))
    assert f.dtype == np.float32 and list(f) == [3.0, -1.0, 0.0, 8388609.0]


@given(st.floats(-1e6, 1e6))
def test_round_half_away_from_zero_matches_fraction(v):
    assert fp.round_half_away_from_zero(np.float64(v)) == round_half_away(Fraction(v))


def test_quantize_float_to_int8():
    x = np.array([0.25, -0.25, 0.75, -0.75, 1000.0, -1000.0, 0.0, 1e30], np.float32)
    assert as_ints(fp.quantize(x, 0.5, 3)) == [4, 2, 5, 1, 127, -128, 3, 127]
    assert fp.quantize(x, 0.5, 3).dtype == np.int8


@pytest.mark.filterwarnings("error")       # `litequant run` quantizes input files with it
def test_quantize_saturates_beyond_float32_without_a_warning():
    x = np.array([1.0, -1.0, 0.0], np.float32)
    assert as_ints(fp.quantize(x, 1e-40, 0)) == [127, -128, 0]


def test_quantize_float_to_uint8_range_returns_uint8():
    x = np.array([0.0, 50.0, 100.0, -1.0, 1e30], np.float32)
    q = fp.quantize(x, 0.5, 128, qmin=0, qmax=255)
    assert q.dtype == np.uint8 and q.tolist() == [128, 228, 255, 126, 255]


def test_lookup_tables():
    table = fp.logistic_int8_table(1 / 16, 0)
    assert table.dtype == np.int8 and table.shape == (256,)
    assert table[128] == 0                                       # logistic(0) = 0.5 -> 128 - 128
    assert np.all(np.diff(table.astype(int)) >= 0)               # non-decreasing
    assert table[0] == round(256 / (1 + math.exp(8))) - 128
    tanh = fp.tanh_int8_table(1 / 16, 0)
    assert tanh[128] == 0 and tanh[255] == min(round(128 * math.tanh(127 / 16)), 127)
    k = np.arange(1, 41)                                          # unsaturated: |tanh(2.5)| * 128 < 127
    assert np.array_equal(tanh[128 + k], -tanh[128 - k])         # odd around q = 0
    x = np.array([[-128, 0], [5, 127]], np.int8)
    assert np.array_equal(fp.lookup_int8(table, x), table[x.astype(int) + 128])


def test_lookup_table_is_built_in_float32():
    # The input is dequantized in float32: 0.1f * 3 differs from the double 0.3.
    identity = fp.lookup_table_int8(lambda v: v, 0.1, 0, 0.1, 0)
    assert np.array_equal(identity, fp.INT8_VALUES)


# --- Part 5: kernel pipelines --------------------------------------------------------------------

def test_requantize_per_channel_epilogue():
    acc = np.array([[100, -100, 7], [-3, 3, 0]], np.int32)
    bias = np.array([10, 0, -7], np.int32)
    m, s = fp.quantize_multipliers([0.25, 0.5, 3.0])
    out = fp.requantize(acc, bias, m, s, output_zero_point=-5, act_min=-128, act_max=20)
    assert out.dtype == np.int8
    expected = [[min(round_half_away(Fraction(110, 4)) - 5, 20), -50 - 5, 0 - 5],
                [mbqm_ref(7, int(m[0]), int(s[0])) - 5, mbqm_ref(3, int(m[1]), int(s[1])) - 5, -26]]
    assert out.tolist() == expected


def test_requantize_clamps_to_activation_range():
    m, s = fp.quantize_multiplier(1.0)
    out = fp.requantize(np.arange(-300, 300), None, m, s, 0, act_min=-10, act_max=6)
    assert out.min() == -10 and out.max() == 6


def test_requantize_double_rounds_half_away():
    acc = np.array([1, 2, -2, 3, -3, 6, -6])
    assert as_ints(fp.requantize_double(acc, None, 0.25, 0)) == [0, 1, -1, 1, -1, 2, -2]
    assert as_ints(fp.requantize_double([10, 10], [0, 2], [0.5, 0.25], 1)) == [6, 4]


@settings(max_examples=300)
@given(st.lists(st.tuples(st.floats(-30.0, 4.0), st.booleans()), min_size=1, max_size=6),
       st.integers(0, 31), st.booleans(), int8s, st.booleans(), st.integers(0, 2 ** 32 - 1))
def test_requantizer_equals_requantize(channels, bound_bits, with_bias, z_out, relu, seed):
    # Reals 2^k (M = 2^30) make every odd product a tie of the first rounding; small right
    # shifts make ties of the second one common. RELU's clamp (act_min = Z_out) lets the
    # requantizer drop its negative-tie term. scaled_requantizer is the same division, given
    # acc · scale.
    reals = [2.0 ** round(e) if exact else 2.0 ** e for e, exact in channels]
    m, s = fp.quantize_multipliers(reals)
    rng = np.random.default_rng(seed)
    bound = (1 << bound_bits) - 1
    bias = rng.integers(-bound, bound + 1, len(reals)) if with_bias else None
    acc = rng.integers(-bound, bound + 1, (64, len(reals)))
    acc[:32] = rng.integers(-min(bound, 300), min(bound, 300) + 1, (32, len(reals)))
    act_min = z_out if relu else -128
    prepared = fp.requantizer(m, s, bias, z_out, act_min, 127, bound)
    expected = fp.requantize(acc, bias, m, s, z_out, act_min, 127)
    assert np.array_equal(prepared(acc), expected)
    assert np.array_equal(prepared(acc.astype(np.float64)), expected)
    scaled = fp.scaled_requantizer(m, s, bias, z_out, act_min, 127, bound)
    if bound_bits <= 16 and 2.0 ** -12 <= min(reals) and max(reals) <= 1:
        assert scaled is not None       # every term is below 2^51: the float64 path applies
    if scaled is not None:
        scale, finish = scaled
        assert np.array_equal(finish(acc * scale), expected)     # one product: exact


@settings(max_examples=200)
@given(st.lists(st.tuples(st.floats(-30.0, 4.0), st.booleans()), min_size=1, max_size=6),
       st.integers(0, 31), st.booleans(), int8s, st.booleans(), st.integers(0, 2 ** 32 - 1))
def test_double_requantizer_equals_requantize_double(channels, bound_bits, with_bias, z_out,
                                                     relu, seed):
    # Scales 2^k put many products exactly on .5, where only ties-away-from-zero is right.
    scales = [2.0 ** round(e) if exact else 2.0 ** e for e, exact in channels]
    rng = np.random.default_rng(seed)
    bound = (1 << bound_bits) - 1
    bias = rng.integers(-bound, bound + 1, len(scales)) if with_bias else None
    acc = rng.integers(-bound, bound + 1, (64, len(scales)))
    acc[:32] = rng.integers(-min(bound, 300), min(bound, 300) + 1, (32, len(scales)))
    act_min = z_out if relu else -128
    prepared = fp.double_requantizer(scales, bias, z_out, act_min, 127, bound)
    expected = fp.requantize_double(acc, bias, scales, z_out, act_min, 127)
    assert np.array_equal(prepared(acc), expected)
    exact_float = np.float32 if bound < 1 << 24 else np.float64
    assert np.array_equal(prepared(acc.astype(exact_float)), expected)


def test_requantizer_takes_the_single_division_only_when_bounded():
    m, s = fp.quantize_multipliers([0.3, 0.001])
    assert fp.requantizer(m, s, None, 0, -128, 127, 1 << 24).__name__ == "requantize_prepared"
    assert fp.requantizer(m, s, None, 0, -128, 127, 1 << 31).__name__ != "requantize_prepared"


@given(st.lists(int8s, min_size=1, max_size=30), st.integers(-128, 127),
       st.floats(0.01, 10.0), st.integers(-128, 127))
def test_requantize_int8_matches_reference(xs, z_in, real, z_out):
    m, s = fp.quantize_multiplier(real)
    got = fp.requantize_int8(np.array(xs, np.int8), z_in, m, s, z_out)
    assert as_ints(got) == [min(max(mbqm_ref(x - z_in, m, s) + z_out, -128), 127) for x in xs]


scales = st.floats(0.001, 1.0).map(lambda v: float(np.float32(v)))


@settings(max_examples=30)
@given(scales, int8s, scales, int8s, scales, int8s, st.booleans())
def test_add_matches_reference_and_commutes(s1, z1, s2, z2, so, zo, subtract):
    p = fp.add_params(s1, z1, s2, z2, so, zo, subtract=subtract)
    x1, x2 = np.meshgrid(np.arange(-128, 128, 15), np.arange(-128, 128, 17))
    got = fp.add_int8(x1, x2, p)

    def one(a, b):
        v1 = mbqm_ref((a - z1) << 20, p.input1_multiplier, p.input1_shift)
        v2 = mbqm_ref((b - z2) << 20, p.input2_multiplier, p.input2_shift)
        total = v1 - v2 if subtract else v1 + v2
        return min(max(mbqm_ref(total, p.output_multiplier, p.output_shift) + zo, -128), 127)
    assert got.tolist() == [[one(int(a), int(b)) for a, b in zip(r1, r2)] for r1, r2 in zip(x1, x2)]
    if not subtract:
        swapped = fp.add_params(s2, z2, s1, z1, so, zo)
        assert np.array_equal(fp.add_int8(x2, x1, swapped), got)


def test_add_params_scheme():
    p = fp.add_params(0.5, 1, 0.25, -2, 0.1, 3)
    assert (p.left_shift, p.input1_offset, p.input2_offset, p.output_offset) == (20, -1, 2, 3)
    assert (p.input1_multiplier, p.input1_shift) == (1 << 30, 0)         # 0.5 / (2 * 0.5)
    assert (p.input2_multiplier, p.input2_shift) == (1 << 30, -1)        # 0.25 / 1.0
    expected = fp.quantize_multiplier(1.0 / (2 ** 20 * float(np.float32(0.1))))
    assert (p.output_multiplier, p.output_shift) == expected


@settings(max_examples=30)
@given(scales, int8s, scales, int8s, scales, int8s)
def test_mul_matches_reference_and_commutes(s1, z1, s2, z2, so, zo):
    m, s = fp.mul_multiplier(s1, s2, so)
    x1, x2 = np.meshgrid(np.arange(-128, 128, 15), np.arange(-128, 128, 17))
    got = fp.mul_int8(x1, x2, z1, z2, m, s, zo)
    expected = [[min(max(mbqm_ref((int(a) - z1) * (int(b) - z2), m, s) + zo, -128), 127)
                 for a, b in zip(r1, r2)] for r1, r2 in zip(x1, x2)]
    assert got.tolist() == expected
    m2, s2_ = fp.mul_multiplier(s2, s1, so)
    assert np.array_equal(fp.mul_int8(x2, x1, z2, z1, m2, s2_, zo), got)


@settings(max_examples=30)
@given(scales, int8s, scales, int8s, scales, int8s, st.sampled_from(["ADD", "SUB", "MUL"]),
       st.sampled_from([((3, 1, 4), (1, 5, 4)), ((2, 6), ()), ((), (7,)), ((4, 4), (4, 4))]))
def test_pair_table_lookup_equals_the_computed_path(s1, z1, s2, z2, so, zo, op, shapes):
    if op == "MUL":
        m, s = fp.mul_multiplier(s1, s2, so)
        combine = lambda a, b: fp.mul_int8(a, b, z1, z2, m, s, zo, -100, 90)   # noqa: E731
    else:
        p = fp.add_params(s1, z1, s2, z2, so, zo, subtract=op == "SUB")
        combine = lambda a, b: fp.add_int8(a, b, p)                             # noqa: E731
    table = fp.pair_table_int8(combine)
    rng = np.random.default_rng([z1 + 128, z2 + 128])
    x1, x2 = (rng.integers(-128, 128, shape).astype(np.int8) for shape in shapes)
    assert np.array_equal(fp.lookup_pairs_int8(table, x1, x2), combine(x1, x2))
    every = fp.INT8_VALUES
    assert np.array_equal(fp.lookup_pairs_int8(table, every[:, None], every[None, :]),
                          combine(every[:, None], every[None, :]))


@settings(max_examples=40)
@given(st.lists(st.lists(int8s, min_size=5, max_size=5), min_size=1, max_size=4),
       scales, st.floats(0.1, 4.0), st.integers(-20, 20))
def test_softmax_depends_only_on_differences(rows, scale, beta, offset):
    x = np.array(rows)
    shifted = x + offset
    if shifted.min() < -128 or shifted.max() > 127:
        shifted = x - x.min(axis=-1, keepdims=True) - 128
    params = fp.softmax_params(scale, beta)
    out = fp.softmax_int8(x.astype(np.int8), params)
    assert np.array_equal(out, fp.softmax_int8(shifted.astype(np.int8), params))
    assert out.dtype == np.int8
    order = np.argsort(x, axis=-1, kind="stable")
    assert np.all(np.diff(np.take_along_axis(out.astype(int), order, axis=-1), axis=-1) >= 0)


def test_softmax_hand_cases():
    params = fp.softmax_params(1 / 16, 1.0)
    assert fp.softmax_int8(np.array([[5, 5]], np.int8), params).tolist() == [[0, 0]]        # 1/2 each
    assert fp.softmax_int8(np.array([[7]], np.int8), params).tolist() == [[127]]           # 256/256 clamps
    out = fp.softmax_int8(np.array([[127, -128]], np.int8), params)
    assert out.tolist() == [[127, -128]]            # the small one is below diff_min


def test_hard_swish_shape_of_the_curve():
    params = fp.hard_swish_params(0.05, 0, 0.05, 0)
    x = fp.INT8_VALUES
    out = fp.hard_swish_int8(x, params).astype(int)
    real = x * 0.05
    expected = real * np.clip(real + 3, 0, 6) / 6 / 0.05
    assert np.max(np.abs(out - expected)) <= 1
    assert np.all(out[real <= -3] == 0)
    with pytest.raises(ValueError):
        fp.hard_swish_params(1.0, 0, 1 / 1024, 0)     # output exponent > 0


def test_leaky_relu_and_prelu_hand_cases():
    p = fp.leaky_relu_params(1.0, 0, 1.0, 0, 0.25)
    assert as_ints(fp.leaky_relu_int8(np.array([-8, -2, -1, 0, 5], np.int8), p)) == [-2, -1, 0, 0, 5]
    p = fp.leaky_relu_params(1.0, 0, 1.0, 0, -0.25)
    assert as_ints(fp.leaky_relu_int8(np.array([-8, -2, -1], np.int8), p)) == [2, 1, 0]
    p = fp.prelu_params(1.0, 0, 0.125, 0, 1.0, 0)
    got = fp.prelu_int8(np.array([-8, -8, 3], np.int8), np.array([2, -4, 7], np.int8), p)
    assert as_ints(got) == [-2, 4, 3]


@given(st.integers(-(1 << 20), 1 << 20), st.integers(1, 1000))
def test_divide_rounding_half_away(total, count):
    assert int(fp.divide_rounding_half_away(total, count)) == round_half_away(Fraction(total, count))


@pytest.mark.parametrize("count", [1, 2, 3, 7, 49, 1000, 1 << 20])
def test_mean_multiplier(count):
    m, s = fp.quantize_multiplier(0.8)
    m2, s2 = fp.mean_multiplier(m, s, count)
    k = min(count.bit_length() - 1, 32, 31 + s)
    assert (m2, s2) == ((m << k) // count, s - k)
    assert abs(m2 * 2.0 ** (s2 - 31) - 0.8 / count) <= 0.8 / count * 2 ** -29
    assert 1 << 29 < m2 <= INT32_MAX


@settings(max_examples=200)
@given(st.integers(1, 5000), int8s, int8s, st.floats(0.01, 100.0), st.integers(0, 2 ** 32 - 1))
def test_mean_requantizer_equals_mean_int8(count, z_in, z_out, real, seed):
    m, s = fp.quantize_multiplier(real)
    rng = np.random.default_rng(seed)
    sums = rng.integers(-128 * count, 127 * count + 1, 200)
    sums[:4] = [-128 * count, 127 * count, z_in * count, 0]
    prepared = fp.mean_requantizer(z_in, m, s, z_out, count)
    assert np.array_equal(prepared(sums.astype(np.int32)), fp.mean_int8(sums, count, z_in, m, s, z_out))


def test_mean_int8_hand_case():
    m, s = fp.quantize_multiplier(1.0)
    # 2.5 -> 3, -2.5 -> -3, 1.5 -> 2; and 1.25 -> 2: the high multiply rounds 2.5 up to 3, the
    # shift then rounds 1.5 away from zero (double rounding).
    assert as_ints(fp.mean_int8([10, -10, 6, 5], 4, 0, m, s, 0)) == [3, -3, 2, 2]
    assert as_ints(fp.mean_int8([10], 4, -1, m, s, 2)) == [6]                       # (10 + 4) / 4 + 2
