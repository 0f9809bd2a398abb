"""DEPTHWISE_CONV_2D against BUILTIN_REF: int8 with per-channel (and per-tensor) weight scales,
depth multipliers 1-3, drawn zero points, strides, dilations, SAME/VALID and fused
activations; float32 likewise; hand-picked edges."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from litequant.interpreter.kernels import _conv, depthwise_conv_2d
from tests import oracle
from tests.kernels.conv_cases import (ACTIVATIONS, float_array, float_weights, image_shape,
                                      int8_bias, int8_input, int8_quantization, int8_weights,
                                      window_model, windows)
from tests.oracle import check_model


@st.composite
def int8_cases(draw):
    window = draw(windows())
    depth, multiplier = draw(st.integers(1, 5)), draw(st.integers(1, 3))
    shape = draw(image_shape(window, depth))
    channels = depth * multiplier
    kh, kw = window["kernel"]
    weights = draw(int8_weights((1, kh, kw, channels), channel_axis=3))
    quants = draw(int8_quantization(channels, kh * kw))
    if draw(st.integers(0, 4)) == 0:
        quants = (quants[0], quants[1][:1], quants[2])          # one scale for every channel
    bias = draw(int8_bias(quants[0][0], np.broadcast_to(quants[1], (channels,)), absent_ok=False))
    model = window_model("DEPTHWISE_CONV_2D", shape, weights, bias, window,
                         draw(st.sampled_from(ACTIVATIONS)), quants, depth_multiplier=multiplier)
    return model, [int8_input(draw, shape)]


@st.composite
def float_cases(draw):
    window = draw(windows())
    depth, multiplier = draw(st.integers(1, 5)), draw(st.integers(1, 3))
    shape = draw(image_shape(window, depth))
    kh, kw = window["kernel"]
    weights = float_weights(draw, (1, kh, kw, depth * multiplier), kh * kw)
    model = window_model("DEPTHWISE_CONV_2D", shape, weights,
                         float_array(draw, (depth * multiplier,), spread=0.5),
                         window, draw(st.sampled_from(ACTIVATIONS)), depth_multiplier=multiplier)
    return model, [float_array(draw, shape)]


@settings(max_examples=80, deadline=None)
@given(case=int8_cases())
def test_depthwise_conv_2d_int8(case):
    check_model(*case)


@settings(max_examples=40, deadline=None)
@given(case=float_cases())
def test_depthwise_conv_2d_float(case):
    check_model(*case)


@settings(max_examples=15, deadline=None)
@given(dilation=st.tuples(st.integers(1, 3), st.integers(1, 3)), stride_h=st.integers(1, 3),
       padding=st.sampled_from(["SAME", "VALID"]), data=st.data())
def test_large_images_sum_along_rows(dilation, stride_h, padding, data):
    # Stride 1 across the width with at least ROW_SUM_MIN_POSITIONS outputs: the tap sums run
    # along whole rows (both dtypes; the float sums stay in LiteRT's order).
    window = dict(kernel=(3, 3), stride=(stride_h, 1), dilation=dilation, padding=padding)
    shape = (2, 62, 31, 3)
    place = _conv.placement(_conv.Window(**window), shape[1], shape[2])
    assert place.out_h * place.out_w >= depthwise_conv_2d.ROW_SUM_MIN_POSITIONS
    weights = data.draw(int8_weights((1, 3, 3, 3), channel_axis=3))
    quants = data.draw(int8_quantization(3, 9))
    bias = data.draw(int8_bias(quants[0][0], quants[1], absent_ok=False))
    model = window_model("DEPTHWISE_CONV_2D", shape, weights, bias, window, "RELU6", quants)
    check_model(model, [int8_input(data.draw, shape)])
    model = window_model("DEPTHWISE_CONV_2D", shape, float_weights(data.draw, (1, 3, 3, 3), 9),
                         float_array(data.draw, (3,), spread=0.5), window, "NONE")
    check_model(model, [float_array(data.draw, shape)])


def _int8_model(x_shape, weights, bias, quants, activation="NONE", multiplier=1, **window):
    window = dict(dict(stride=(1, 1), dilation=(1, 1), padding="SAME"), **window)
    return window_model("DEPTHWISE_CONV_2D", x_shape, weights, bias, window, activation, quants,
                        depth_multiplier=multiplier)


def test_padding_heavy_same_window():
    rng = np.random.default_rng(4)
    weights = rng.integers(-127, 128, (1, 4, 5, 6)).astype(np.int8)
    quants = ((0.03, -128), np.linspace(0.001, 0.01, 6).astype(np.float32), (0.1, 17))
    model = _int8_model((3, 2, 1, 3), weights, np.arange(-3, 3, dtype=np.int32) * 1000, quants,
                        "RELU6", multiplier=2, dilation=(2, 3), stride=(1, 2))
    check_model(model, [rng.integers(-128, 128, (3, 2, 1, 3)).astype(np.int8)])


def test_multiplier_comes_from_the_shapes():
    # LiteRT derives the depth multiplier from weight channels / input channels and ignores
    # the option; a model whose option disagrees still runs the same way.
    rng = np.random.default_rng(5)
    weights = rng.integers(-127, 128, (1, 3, 3, 4)).astype(np.int8)
    quants = ((0.05, 3), np.full(4, 0.004, np.float32), (0.3, 0))
    model = _int8_model((1, 5, 6, 2), weights, np.zeros(4, np.int32), quants, multiplier=2)
    model.subgraphs[0].operators[0].options["depth_multiplier"] = 1
    check_model(model, [rng.integers(-128, 128, (1, 5, 6, 2)).astype(np.int8)])


def test_missing_bias_counts_as_zero():
    rng = np.random.default_rng(6)
    weights = rng.integers(-127, 128, (1, 2, 2, 3)).astype(np.int8)
    quants = ((0.02, -9), np.array([0.01, 0.02, 0.03], np.float32), (0.5, 2))
    x = rng.integers(-128, 128, (2, 4, 5, 3)).astype(np.int8)
    without = _int8_model(x.shape, weights, None, quants)
    with_zeros = _int8_model(x.shape, weights, np.zeros(3, np.int32), quants)
    out_without, out_with = without.subgraphs[0].outputs[0], with_zeros.subgraphs[0].outputs[0]
    np.testing.assert_array_equal(oracle.ours(without, [x])[out_without],
                                  oracle.reference(with_zeros, [x])[out_with])


@pytest.mark.parametrize("s_in, s_w, s_out", [(1.0, 1.0, 1e-6), (1e-6, 1e-6, 1.0)])
def test_extreme_scales(s_in, s_w, s_out):
    rng = np.random.default_rng(7)
    weights = rng.integers(-127, 128, (1, 3, 2, 4)).astype(np.int8)
    quants = ((s_in, 100), np.full(4, s_w, np.float32), (s_out, -100))
    bias = np.array([1, -1, 7, 0], np.int32)
    model = _int8_model((2, 3, 4, 4), weights, bias, quants, "RELU_N1_TO_1")
    check_model(model, [rng.integers(-128, 128, (2, 3, 4, 4)).astype(np.int8)])


@pytest.mark.parametrize("extreme_weight", [127, -127, -128])
def test_row_sums_at_the_extremes_of_int16(extreme_weight):
    # Stride-1 rows add taps in int16 pairs when every weight is within [-127, 127]: products
    # of -128 inputs with +-127 weights bring each pair to +-32,512. A weight of -128 would take
    # a pair to 32,768, past int16, so such a layer sums in float32 instead.
    shape = (1, 40, 30, 2)
    weights = np.full((1, 3, 3, 2), extreme_weight, np.int8)
    weights[0, 1, 1, 1] = -weights[0, 1, 1, 1] if extreme_weight != -128 else 127
    quants = ((0.5, -128), np.array([1e-4, 2e-4], np.float32), (0.05, 3))
    model = _int8_model(shape, weights, np.array([7, -9], np.int32), quants)
    x = np.full(shape, -128, np.int8)
    x[0, ::3, ::4, 1] = 127
    check_model(model, [x])
