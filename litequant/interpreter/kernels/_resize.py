"""What RESIZE_BILINEAR and RESIZE_NEAREST_NEIGHBOR share: the checks on the NHWC input, the
int32 `size` input and the corner options; the output size read at run time; and the float32
ratio that maps output indices onto input indices along one axis."""
import numpy as np

from litequant.interpreter.kernels import _common


def check(ctx, dtypes):
    """Validate a resize op; returns (dtype, align_corners, half_pixel_centers)."""
    x, size, out = ctx.inputs[0], ctx.inputs[1], ctx.outputs[0]
    dtype = _common.require_dtypes(ctx, dtypes, "in0", "out0")
    _common.require_same_quantization(ctx, x, out)
    ctx.require(len(x.shape) == 4, f"input rank is {len(x.shape)}, not 4")
    ctx.require(size.dtype == "int32" and tuple(size.shape) == (2,),
                f"size is {size.dtype} {list(size.shape)}, not int32 [2]")
    align_corners = bool(ctx.options.get("align_corners", False))
    half_pixel_centers = bool(ctx.options.get("half_pixel_centers", False))
    return dtype, align_corners, half_pixel_centers


def output_size(ctx, new_size):
    out_h, out_w = (int(v) for v in new_size)
    if out_h <= 0 or out_w <= 0:
        raise ctx.fail(f"output size {[out_h, out_w]} is not positive")
    return out_h, out_w


def float_scale(in_size, out_size, align_corners):
    """in / out, or (in - 1) / (out - 1) with align_corners and out > 1, in float32."""
    f32 = np.float32
    if align_corners and out_size > 1:
        return f32(in_size - 1) / f32(out_size - 1)
    return f32(in_size) / f32(out_size)
