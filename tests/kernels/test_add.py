"""ADD against BUILTIN_REF: int8 with drawn scales, zero points, broadcasting and activations
(the 2^20 common-scale scheme), float32 likewise; edges on all 65,536 int8 pairs."""
import numpy as np
import pytest
from hypothesis import given, settings

from litequant.errors import UnsupportedOpError
from litequant.interpreter import Interpreter
from tests import oracle
from tests.kernels.binary_cases import (ALL_INT8_PAIRS, binary_model, float_cases, int8_cases,
                                        sum_output_scale)
from tests.oracle import check_model


@settings(max_examples=60, deadline=None)
@given(case=int8_cases(sum_output_scale))
def test_add_int8(case):
    inputs, quants, activation = case
    check_model(binary_model("ADD", inputs, quants, activation), inputs)


@settings(max_examples=30, deadline=None)
@given(case=float_cases())
def test_add_float(case):
    inputs, quants, activation = case
    check_model(binary_model("ADD", inputs, quants, activation), inputs)


@pytest.mark.parametrize("quants, activation", [
    ([(0.05, -3), (0.05, -3), (0.1, 7)], "NONE"),            # equal input scales
    ([(1.0, 0), (1e-6, 127), (0.5, -128)], "RELU6"),         # one input vanishes
    ([(1.0, 0), (1.0, 0), (1.01 * 2.0 ** -19, 0)], "NONE"),  # output multiplier just below 1
    ([(0.02, -128), (0.3, 127), (0.3, 0)], "RELU_N1_TO_1"),
])
def test_add_int8_all_pairs(quants, activation):
    check_model(binary_model("ADD", ALL_INT8_PAIRS, quants, activation), ALL_INT8_PAIRS)


# RELU6's upper clamp is Z + roundf(6 / S_out) in float32 (CalculateActivationRangeQuantized).
# At S_out = nextafter(12, inf), 6 / S_out is 0.49999997f and rounds to 0, so every output is
# Z = 0; a round that adds 0.5 in float32 gets 1. At S_out = 12, 6 / S_out is 0.5: 1.
@pytest.mark.parametrize("output_scale, act_max", [
    (float(np.nextafter(np.float32(12), np.float32(np.inf))), 0),
    (12.0, 1),
])
def test_add_int8_relu6_bound_at_a_rounding_tie(output_scale, act_max):
    model = binary_model("ADD", ALL_INT8_PAIRS, [(1.0, 0), (1.0, 0), (output_scale, 0)], "RELU6")
    mine, _ = check_model(model, ALL_INT8_PAIRS)
    assert mine[2].max() == act_max and mine[2].min() == 0


def test_add_float_overflow_clamps_to_largest_float():
    big = np.array([3e38, -3e38, np.inf, 1.0], np.float32)
    model, inputs = binary_model("ADD", [big, big], [None] * 3), [big, big]
    mine, theirs = oracle.ours(model, inputs)[2], oracle.reference(model, inputs)[2]
    np.testing.assert_array_equal(mine, theirs)   # inf would make the float tolerance infinite
    assert mine[0] == np.finfo(np.float32).max


def test_add_output_scale_too_fine_is_refused():
    # 2 * max(S1, S2) / (2^20 * S_out) >= 1: TFLite aborts in prepare, litequant refuses.
    model = binary_model("ADD", ALL_INT8_PAIRS, [(1.0, 0), (1.0, 0), (1e-7, 0)])
    with pytest.raises(UnsupportedOpError, match=r"op 0 \(ADD\).*output scale"):
        Interpreter.from_model(model)
