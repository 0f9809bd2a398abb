"""The converter's offline float math, on hand-worked cases."""
import numpy as np
import pytest

from litequant.conversion import qparams, rules

WEIGHT, BIAS = rules.tensor_range("weight"), rules.tensor_range("bias")


def _represents_zero(scale, zero_point):
    return qparams.dequantize(zero_point, scale, zero_point) == 0


@pytest.mark.parametrize("lo, hi", [(-1.0, 1.0), (0.0, 6.0), (-0.3, 0.7), (-5.0, -1.0),
                                    (2.0, 5.0), (-1e-3, 250.0), (-17.25, 0.01)])
def test_zero_is_exactly_representable(lo, hi):
    scale, zero_point = qparams.activation_params(lo, hi)
    assert -128 <= zero_point <= 127
    assert _represents_zero(scale, zero_point)
    assert qparams.quantize(0.0, scale, zero_point) == zero_point


def test_range_is_widened_to_contain_zero():
    # [2, 5] is represented as [0, 5]: scale 5/255, and 0 on the lowest grid point
    scale, zero_point = qparams.activation_params(2.0, 5.0)
    assert scale == np.float32(5.0 / 255) and zero_point == -128
    scale, zero_point = qparams.activation_params(-5.0, -1.0)
    assert scale == np.float32(5.0 / 255) and zero_point == 127


def test_zero_point_is_nudged_to_the_nearest_integer():
    # [-1, 1]: Z = -128 + 1 / (2/255) = -0.5 exactly, a tie: rounded away from zero to -1
    scale, zero_point = qparams.activation_params(-1.0, 1.0)
    assert scale == np.float32(2.0 / 255) and zero_point == -1
    # [-0.3, 0.7]: Z = -128 + 0.3 * 255 = -51.5 + tiny float error: -51 or -52, never off by more
    scale, zero_point = qparams.activation_params(-0.3, 0.7)
    assert scale == np.float32(1.0 / 255) and zero_point in (-51, -52)
    # the range actually represented moved by less than half a step
    assert abs(scale * (-128 - zero_point) - -0.3) <= scale / 2


def test_matches_tensorflow_parameters():
    # ranges calibrated on residual_mix (rounded here to 6 digits) and what TF 2.21 wrote
    scale, zero_point = qparams.activation_params(-1.31672, 2.72837)
    assert zero_point == -45 and scale == pytest.approx(0.0158631, rel=1e-5)
    scale, zero_point = qparams.activation_params(-1.31672, 1.31672)
    assert zero_point == -1 and scale == pytest.approx(0.0103272, rel=1e-5)


def test_degenerate_range_gets_a_safe_scale():
    scale, zero_point = qparams.activation_params(0.0, 0.0)
    assert scale == 1.0 and zero_point == -128
    assert _represents_zero(scale, zero_point)


def test_nonfinite_range_is_refused():
    with pytest.raises(ValueError):
        qparams.activation_params(-np.inf, 1.0)


def test_quantize_clamps_and_rounds_half_away():
    scale, zero_point = np.float32(0.5), 3
    q = qparams.quantize(np.array([0.25, -0.25, 0.75, 1000.0, -1000.0]), scale, zero_point)
    assert q.tolist() == [4, 2, 5, 127, -128]


def test_weight_scales_per_channel():
    w = np.zeros((3, 2, 2, 1), np.float32)
    w[0] = 1.27
    w[1, 0, 0, 0] = -2.54
    scales = qparams.weight_scales(w, 0, WEIGHT)
    np.testing.assert_array_equal(scales, np.float32([0.01, 0.02, qparams.DEGENERATE_SCALE]))
    q = qparams.quantize_weights(w, scales, 0, WEIGHT)
    assert q.dtype == np.int8
    assert q[0].min() == q[0].max() == 127 and q[1, 0, 0, 0] == -127 and not q[2].any()


def test_depthwise_weight_scales_on_the_last_axis():
    w = np.arange(1, 13, dtype=np.float32).reshape(1, 2, 2, 3)
    scales = qparams.weight_scales(w, 3, WEIGHT)
    np.testing.assert_array_equal(scales, np.float32([10, 11, 12]) / np.float32(127))


def test_all_zero_channel_gets_a_nonzero_scale():
    scales = qparams.weight_scales(np.zeros((4, 3), np.float32), 0, WEIGHT)
    assert (scales > 0).all()
    bias = qparams.bias_scales(0.02, scales)
    assert (bias > 0).all()


def test_weights_round_half_away_from_zero():
    # max|w| = 127 gives scale 1: 0.5 -> 1 and -2.5 -> -3 (half to even would give 0 and -2)
    w = np.array([[127.0, 0.5, -2.5, 1.5]], np.float32)
    q = qparams.quantize_weights(w, qparams.weight_scales(w, 0, WEIGHT), 0, WEIGHT)
    assert q.tolist() == [[127, 1, -3, 2]]


def test_bias_scale_is_input_times_weight_scale():
    s_in, s_w = np.float32(0.05), np.float32([0.01, 0.002])
    scales = qparams.bias_scales(s_in, s_w)
    # the product of the stored float32 scales, taken in float64, rounded once to float32
    np.testing.assert_array_equal(scales, (np.float64(s_in) * s_w.astype(np.float64)).astype(np.float32))
    assert scales.dtype == np.float32


def test_bias_quantization():
    scales = np.float32([0.5, 0.25])
    q = qparams.quantize_bias(np.float32([1.25, -1.0]), scales, BIAS)
    assert q.dtype == np.int32 and q.tolist() == [3, -4]


def test_bias_that_would_overflow_widens_its_weight_scale():
    weight_scales = np.float32([1e-9, 0.01])
    bias = np.float32([1000.0, 1000.0])
    widened = qparams.widen_weight_scales_for_bias(weight_scales, bias, 1e-3, BIAS)
    assert widened[0] > weight_scales[0] and widened[1] == weight_scales[1]
    q = qparams.quantize_bias(bias, qparams.bias_scales(1e-3, widened), BIAS)
    assert abs(int(q[0])) <= BIAS.qmax
    np.testing.assert_allclose(qparams.dequantize(q, qparams.bias_scales(1e-3, widened), 0),
                               bias, rtol=1e-6)
