"""Pieces several kernels share that are not integer arithmetic: fused-activation bounds,
quantization parameters read off tensors, and the dtype checks prepare() makes."""
import numpy as np

from litequant import spec
from litequant.fixedpoint import round_half_away_from_zero

INT8_MIN, INT8_MAX = -128, 127


def float_activation_bounds(ctx, activation):
    """The real interval the fused activation clamps to (schema/ops.json's fused_activations)."""
    bounds = spec.fused_activation_bounds(activation)
    if bounds is None:
        raise ctx.unsupported(f"fused activation {activation}")
    return bounds


def float_activation_clamp(ctx, activation):
    """The float32 clamp TFLite's kernels apply for a fused activation: its real bounds, with
    NONE and RELU stopping at the largest finite float (numeric_limits<float>::lowest()/max()),
    so an infinite sum or product comes out as -+3.4028235e38, not inf."""
    lo, hi = float_activation_bounds(ctx, activation)
    largest = np.finfo(np.float32).max
    return np.float32(max(lo, -largest)), np.float32(min(hi, largest))


def quantized_activation_bounds(ctx, activation, output, qmin=INT8_MIN, qmax=INT8_MAX):
    """The clamp a fused activation becomes on the output's integer grid: each real bound b
    maps to Z + round(b / S) (rounded on float32, as the reference computes it)."""
    lo, hi = float_activation_bounds(ctx, activation)
    scale, zero_point = scale_and_zero_point(output)

    def on_grid(bound):
        with np.errstate(over="ignore", invalid="ignore"):     # inf steps are refused below
            steps = round_half_away_from_zero(np.float32(bound) / np.float32(scale))
        if not -2.0 ** 31 <= steps < 2.0 ** 31:   # TFLite refuses these (kernel_util's Quantize)
            raise ctx.fail(f"fused activation {activation}: bound {bound} is {float(steps):.4g} "
                           f"steps of output scale {scale}, beyond int32")
        return zero_point + int(steps)
    return (max(qmin, on_grid(lo)) if np.isfinite(lo) else qmin,
            min(qmax, on_grid(hi)) if np.isfinite(hi) else qmax)


def fixed_point_params(ctx, make, *scales_and_zero_points):
    """make(...): a fixedpoint set-up (multipliers, shifts, clamps) from the op's scales. Scales
    whose ratio leaves float32 (an output scale of 1e-45, say) give a multiplier or bound that
    is not finite, which the C++ would turn into garbage; such an op is refused, naming it."""
    with np.errstate(over="ignore", invalid="ignore"):
        try:
            return make(*scales_and_zero_points)
        except (ValueError, OverflowError) as error:
            raise ctx.fail(f"its scales give no usable fixed-point multiplier ({error})") from None


def scale_and_zero_point(tensor):
    """Per-tensor (scale, zero point) as Python numbers (scale as float32 -> float)."""
    q = tensor.quantization
    return float(q.scale[0]), int(q.zero_point[0])


def require_dtypes(ctx, allowed, *positions):
    """All tensors at `positions` ("in0", "out0", ...) share one dtype from `allowed`; returns it."""
    tensors = [ctx.inputs[int(p[2:])] if p.startswith("in") else ctx.outputs[int(p[3:])]
               for p in positions]
    dtypes = {t.dtype for t in tensors if t is not None}
    if len(dtypes) != 1 or not dtypes <= set(allowed):
        raise ctx.unsupported(f"tensor types {sorted(dtypes)}")
    return dtypes.pop()


def require_same_quantization(ctx, source, *others):
    """Ops that only move int8 values (RESHAPE, PACK, RESIZE_*, ...) give the output the input's
    integers unchanged, which means the same reals only if (S, Z) are equal: TFLite's converter
    writes them equal, and a model that does not is refused here rather than misread."""
    def params(tensor):
        q = tensor.quantization
        return (None, None) if q is None else (q.scale.tolist(), q.zero_point.tolist())
    for other in others:
        if params(other) != params(source):
            raise ctx.fail(f"tensor {other.name!r} has quantization (scale, zero point) "
                           f"{params(other)}, {source.name!r} has {params(source)}; they must match")


def require_quantized(ctx, *tensors):
    for tensor in tensors:
        q = tensor.quantization
        if q is None or q.scale.size == 0:
            raise ctx.fail(f"tensor {tensor.name!r} is {tensor.dtype} but has no quantization")
