"""The oracle's own comparison: assert_same on floats that are infinite or near the float32 limit."""
import numpy as np
import pytest

from tests.oracle import assert_same


def test_infinities_must_match_in_place_and_finite_values_within_tolerance():
    assert_same(np.array([np.inf, 1.0], np.float32), np.array([np.inf, 1.0], np.float32))
    with pytest.raises(AssertionError):
        assert_same(np.array([np.inf, 2.0], np.float32), np.array([np.inf, 1.0], np.float32))
    with pytest.raises(AssertionError):
        assert_same(np.array([3e38, 1.0], np.float32), np.array([np.inf, 1.0], np.float32))
