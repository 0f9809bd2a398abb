"""The full-integer conversion, pass by pass: reading PASSES is reading the algorithm.

Each pass edits the ir.Model in place and returns how many rewrites it made; run() returns
those counts by pass name. Cleanup first (a plain float graph to calibrate), then the
statistics, then the rewrite to int8, then tidying, then the version stamps.
"""
from litequant.conversion import rules
from litequant.conversion.passes import (calibrate, dedupe_buffers, densify_weights,
                                      fold_fp16_dequantize, fold_shape_chains, prune_unused,
                                      quantize_activations, quantize_weights, remove_qdq_pairs,
                                      set_io_types, set_op_versions)

CLEANUP = (
    densify_weights,        # sparse weights behind DENSIFY -> dense constants (float16 too)
    fold_fp16_dequantize,   # float16 weights behind DEQUANTIZE -> float32 constants
    fold_shape_chains,      # shape arithmetic known before the model runs -> constants
)

PASSES = CLEANUP + (
    calibrate,              # every activation's min/max over the representative samples
    quantize_activations,   # int8 activations; QUANTIZE/DEQUANTIZE at the float interface
    quantize_weights,       # per-channel symmetric int8 weights, int32 biases
    set_io_types,           # float, int8 or uint8 model interface
    remove_qdq_pairs,       # QUANTIZE/DEQUANTIZE pairs that undo each other
    prune_unused,           # the float weights, tensors and buffers nothing reads any more
    dedupe_buffers,         # identical constants (zero biases, often) stored once
    set_op_versions,        # int8 operator versions, min_runtime_version metadata
)


def run(model, samples, io="float", progress=None):
    """Convert `model` in place. samples: a dataset.Samples; progress(done, total) is called
    after each calibration sample. Returns {pass name: rewrites}."""
    arguments = {calibrate: {"samples": samples, "progress": progress}, set_io_types: {"io": io}}
    counts = {}
    for step in PASSES:
        if step is calibrate:
            rules.require_supported(model)      # before the long part, not after it
        counts[step.__name__.rsplit(".", 1)[-1]] = step.run(model, **arguments.get(step, {}))
    return counts


def cleaned(model):
    """A copy of a float model after CLEANUP: the same function as a plain float graph (the
    float reference the summary compares against, runnable by the interpreter)."""
    model = model.clone()
    for step in CLEANUP:
        step.run(model)
    return model
