"""Calibration statistics, kept while the representative data streams past.

MinMaxObserver is TensorFlow's calibration rule: the smallest and largest value a tensor took
over all samples (no moving average, so the result does not depend on sample order). It holds
a few numbers however many samples it sees, which keeps calibration memory flat.
"""
import numpy as np


class MinMaxObserver:
    __slots__ = ("lo", "hi", "samples", "nonfinite")

    def __init__(self):
        self.lo, self.hi = np.inf, -np.inf
        self.samples = 0        # how many values arrays were observed
        self.nonfinite = 0      # how many of them held a NaN or an infinity (left out of the range)

    def observe(self, values):
        self.samples += 1
        if values.size == 0:
            return
        lo, hi = values.min(), values.max()
        if not (np.isfinite(lo) and np.isfinite(hi)):
            self.nonfinite += 1
            return
        self.lo = min(self.lo, float(lo))
        self.hi = max(self.hi, float(hi))

    def range(self):
        """(lo, hi) over every finite array observed; (inf, -inf) if there was none."""
        return self.lo, self.hi
