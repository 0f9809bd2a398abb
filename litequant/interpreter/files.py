"""Model inputs from .npy/.npz files and outputs to .npz: what `litequant run` does.

An .npz holds one array per model input, keyed by input tensor name (or by signature input
name); a single array (.npy, or an .npz with one entry) feeds a single-input model. An array
whose leading dimension differs from the input's batch runs as one batch of that size. Float
data given to an int8/uint8/int16 input is quantized with the input's own scale and zero point,
as a QUANTIZE op would; NaN and infinities are refused.
"""
import io

import numpy as np

from litequant import arrayfiles, fixedpoint
from litequant.errors import DatasetError
from litequant.format.writer import write_atomically

_QUANTIZED = ("int8", "uint8", "int16")     # the types QUANTIZE writes from float32


def read_inputs(path, interpreter):
    """The arrays for the interpreter's inputs, in input order."""
    details = interpreter.get_input_details()
    arrays = arrayfiles.read_arrays(path)
    if len(arrays) == 1 and len(details) == 1:
        return [_fit(path, details[0], next(iter(arrays.values())))]
    found = []
    for d, key in zip(details, interpreter._input_keys(arrays)):
        if key is None:
            raise DatasetError(f"no array for input {d['name']!r} (file has {sorted(arrays)})",
                               source=path)
        found.append(_fit(path, d, arrays[key]))
    return found


def _fit(path, detail, array):
    name, dtype = detail["name"], np.dtype(detail["dtype"])
    shape = tuple(int(d) for d in detail["shape"])
    if array.ndim != len(shape) or array.shape[1:] != shape[1:]:
        raise DatasetError(f"input {name!r}: array of shape {list(array.shape)} does not fit "
                           f"{list(shape)} (the first dimension may differ)", source=path)
    if array.ndim and array.shape[0] == 0:
        raise DatasetError(f"input {name!r}: array of shape {list(array.shape)} has no rows",
                           source=path)
    if array.dtype.kind == "f":
        arrayfiles.require_finite(f"input {name!r}", array, source=path)
    if array.dtype == dtype:
        return array
    if dtype.name in _QUANTIZED and array.dtype.kind == "f":
        scale, zero_point = detail["quantization"]
        if scale == 0:
            raise DatasetError(f"input {name!r} is {dtype.name} without quantization; "
                               f"got {array.dtype.name}", source=path)
        info = np.iinfo(dtype)      # QUANTIZE's arithmetic: roundf(x / S) + Z in float32
        return fixedpoint.quantize(array, scale, zero_point, info.min, info.max)
    if dtype.kind == "f" and array.dtype.kind == "f":
        return array.astype(dtype)
    raise DatasetError(f"input {name!r} is {dtype.name}; got {array.dtype.name}", source=path)


def run(interpreter, inputs):
    """One pass over the arrays (another batch size runs as one batch of that size, without
    resizing the interpreter's tensors); outputs by tensor name."""
    outputs = interpreter.run(inputs)
    return {d["name"]: value for d, value in zip(interpreter.get_output_details(), outputs)}


def save_outputs(path, outputs):
    buffer = io.BytesIO()
    np.savez(buffer, **outputs)
    write_atomically(path, buffer.getvalue())
