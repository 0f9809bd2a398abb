"""FULLY_CONNECTED: y = x @ w.T + b, then the fused activation; weights [units, depth].

The input is read as [rows, depth] (rows = its size / depth); the output is [rows, units], or
keeps the input's leading dimensions with keep_num_dims.

int8 (int32 bias):
    acc[o] = Σ_i (x[i] - Z_in) · (w[o, i] - Z_w) + bias[o]      (int32)
    y = clamp(Z_out + round(double(acc) · s[o]))
with s[o] = (double)S_in · (double)S_w[o] / (double)S_out and round half away from zero:
LiteRT's reference FULLY_CONNECTED rescales in float64, not with a fixed-point multiplier
(fixedpoint.requantize_double). Per-tensor weights may have a zero point (the filter offset
-Z_w); per-channel weights are symmetric and LiteRT ignores their zero points.

The plain integer path (FAST_PATH = False) is the definition: int64 (x - Z_in) @ (w - Z_w).T.
The fast path is one float GEMM of the raw input with (w - Z_w) prepared once, Z_in · Σ (w - Z_w)
folded into the bias; exact because every partial sum is an integer within the float's exact
range (float32 when 128 · Σ_i |w[o, i] - Z_w| <= 2^24, else float64).
"""
import numpy as np

from litequant import fixedpoint
from litequant.interpreter.kernels import _common, _conv

OP = "FULLY_CONNECTED"

FAST_PATH = True    # read by prepare(); False selects the plain integer definition

# LiteRT refuses a per-tensor int8 FULLY_CONNECTED whose bias scale strays from S_in · S_w by
# more than this fraction of S_out (the bias would then be rescaled by the wrong amount).
BIAS_SCALE_TOLERANCE = 0.02


def prepare(ctx):
    x, w = ctx.inputs[:2]
    bias = ctx.inputs[2] if len(ctx.inputs) > 2 else None
    dtype = _common.require_dtypes(ctx, ("float32", "int8"), "in0", "out0")
    if ctx.options.get("weights_format", 0) not in (0, "DEFAULT"):
        raise ctx.unsupported(f"weights_format {ctx.options['weights_format']}")
    ctx.require(len(w.shape) == 2, f"weights must be 2-D [units, depth], got {list(w.shape)}")
    units, depth = w.shape
    ctx.require(depth > 0 and int(np.prod(x.shape)) % depth == 0,
                f"input {list(x.shape)} does not split into rows of depth {depth}")
    keep_dims = bool(ctx.options.get("keep_num_dims", False))
    ctx.require(not keep_dims or (len(x.shape) > 0 and x.shape[-1] == depth),
                f"keep_num_dims needs the input's last dimension to be {depth}, "
                f"got {list(x.shape)}")
    if bias is not None:
        ctx.require(int(np.prod(bias.shape)) == units,
                    f"bias has shape {list(bias.shape)}, expected {units} values")
    shape_of = _output_shape(depth, units, keep_dims)
    activation = ctx.options.get("fused_activation_function", "NONE")
    if dtype == "float32":
        if w.dtype != "float32":
            raise ctx.unsupported(f"{w.dtype} weights with float32 activations (hybrid)")
        lo, hi = _common.float_activation_clamp(ctx, activation)
        return _with_operands(ctx, _float_operands, _float_fc(shape_of, lo, hi))
    return _prepare_int8(ctx, units, shape_of, activation)


def _prepare_int8(ctx, units, shape_of, activation):
    """The int8 checks LiteRT makes, then the float64 rescale and clamp prepared once."""
    x, w = ctx.inputs[:2]
    bias = ctx.inputs[2] if len(ctx.inputs) > 2 else None
    _common.require_quantized(ctx, x, w, ctx.outputs[0])
    if w.dtype != "int8":
        raise ctx.unsupported(f"{w.dtype} weights with int8 activations")
    if bias is not None and bias.dtype != "int32":
        raise ctx.fail(f"int8 FULLY_CONNECTED needs an int32 bias, got {bias.dtype}")
    s_in, z_in = _common.scale_and_zero_point(x)
    y_scale, z_out = _common.scale_and_zero_point(ctx.outputs[0])
    scales, zero_points = w.quantization.scale, w.quantization.zero_point
    per_channel = scales.size > 1
    if per_channel:
        ctx.require(scales.size == units and w.quantization.quantized_dimension == 0,
                    f"per-channel weights need {units} scales along axis 0, got {scales.size} "
                    f"along axis {w.quantization.quantized_dimension}")
        z_w = 0
    else:
        z_w = int(zero_points[0]) if zero_points.size else 0
        if bias is not None:
            _require_bias_scale(ctx, s_in * float(scales[0]), bias, y_scale)
    rescale = fixedpoint.effective_output_scale(s_in, scales, y_scale)
    lo, hi = _common.quantized_activation_bounds(ctx, activation, ctx.outputs[0])
    if FAST_PATH:
        return _with_operands(ctx, _int8_operands(z_in, z_w, rescale, z_out, lo, hi),
                              _int8_fc_gemm(shape_of))
    return _with_operands(ctx, _plain_operands(z_w),
                          _int8_fc_plain(shape_of, z_in, rescale, z_out, lo, hi))


def _require_bias_scale(ctx, product_scale, bias, output_scale):
    """LiteRT's check on per-tensor weights; its bias scale is 0 unless the bias carries
    exactly one scale (per-axis parameters do not fill the tensor's single scale)."""
    q = bias.quantization
    bias_scale = float(q.scale[0]) if q is not None and q.scale.size == 1 else 0.0
    mismatch = abs(product_scale - bias_scale) / output_scale
    ctx.require(mismatch <= BIAS_SCALE_TOLERANCE,
                f"bias scale {bias_scale:g} is not S_in · S_w = {product_scale:g} "
                f"(off by {mismatch:.3g} output steps, LiteRT allows {BIAS_SCALE_TOLERANCE})")


def _output_shape(depth, units, keep_dims):
    def shape_of(x):
        if keep_dims:
            return x.shape[:-1] + (units,)
        return (x.size // depth, units)
    return shape_of


def _with_operands(ctx, make_operands, make_eval):
    """Weights and bias turned into GEMM operands once when they are constants, else on every
    invoke (weights that another op computes)."""
    w_data = ctx.constant(1)
    b_tensor = ctx.inputs[2] if len(ctx.inputs) > 2 else None
    b_data = ctx.constant(2) if b_tensor is not None else None
    if w_data is not None and (b_tensor is None or b_data is not None):
        operands = make_operands(w_data, b_data)
        return lambda x, *_: make_eval(x, *operands)
    return lambda x, w, b=None: make_eval(x, *make_operands(w, b))


def _float_operands(w, b):
    bias = None if b is None else np.asarray(b, np.float32).reshape(-1)
    return np.ascontiguousarray(w.T, dtype=np.float64), bias


def _float_fc(shape_of, lo, hi):
    """The dot products in float64, rounded once to float32, then the float32 bias: within a
    rounding of the exact sum, so as close to LiteRT's sequential float32 sum as any order gets."""
    @_conv.float_eval
    def fully_connected(x, matrix, bias):
        rows = x.reshape(-1, matrix.shape[0]).astype(np.float64)
        out = _conv.matmul(rows, matrix).astype(np.float32)
        if bias is not None:
            out += bias
        return _conv.clamp_float(out, lo, hi).reshape(shape_of(x))
    return fully_connected


def _int8_operands(z_in, z_w, rescale, z_out, lo, hi):
    """(w - Z_w).T in the narrowest exact float, and the float64 rescale prepared with
    -Z_in · Σ_i (w - Z_w) folded into the bias:
    Σ (x - Z_in)(w - Z_w) = Σ x (w - Z_w) - Z_in Σ (w - Z_w)."""
    def operands(w, b):
        centered = (w.astype(np.int64) - z_w).T
        folded = -z_in * centered.sum(axis=0)
        if b is not None:
            folded = folded + np.asarray(b, np.int64).reshape(-1)
        matrix = np.ascontiguousarray(centered, dtype=_conv.exact_accumulator_dtype(centered))
        requantize = fixedpoint.double_requantizer(rescale, folded, z_out, lo, hi,
                                                   _conv.raw_accumulator_bound(centered))
        return matrix, requantize
    return operands


def _int8_fc_gemm(shape_of):
    def fully_connected(x, matrix, requantize):
        acc = _conv.matmul(x.reshape(-1, matrix.shape[0]).astype(matrix.dtype), matrix)
        return requantize(acc).reshape(shape_of(x))
    return fully_connected


def _plain_operands(z_w):
    def operands(w, b):
        bias = None if b is None else np.asarray(b, np.int64).reshape(-1)
        return w.astype(np.int64) - z_w, bias
    return operands


def _int8_fc_plain(shape_of, z_in, rescale, z_out, lo, hi):
    """The definition: int64 Σ (x - Z_in) · (w - Z_w), rescaled by requantize_double."""
    def fully_connected(x, centered, bias):
        rows = x.reshape(-1, centered.shape[1]).astype(np.int64) - z_in
        out = fixedpoint.requantize_double(rows @ centered.T, bias, rescale, z_out, lo, hi)
        return out.reshape(shape_of(x))
    return fully_connected
