"""Full-integer post-training quantization of float .tflite models.

    import litequant
    from litequant.conversion import summarize
    int8_model = litequant.convert("model_float.tflite", "calib.npz")          # an ir.Model
    litequant.save_model(int8_model, "model_int8.tflite")
    print(summarize("model_float.tflite", int8_model, "calib.npz"))

`convert` follows pipeline.PASSES; the dataset forms are described in dataset.py and
calibration/README.md; `summarize` measures what the conversion did (summary.py); `check`
validates any model against schema/int8_spec.json (check.py).
"""
import os

from litequant import format as tflite_format
from litequant import ir
from litequant.conversion import pipeline
from litequant.conversion.check import Violation, check
from litequant.conversion.dataset import Samples
from litequant.conversion.passes.set_io_types import IO_TYPES
from litequant.conversion.summary import Summary, summarize
from litequant.errors import LitequantError

__all__ = ["convert", "summarize", "check", "Summary", "Violation", "IO_TYPES"]


def convert(model, dataset, *, io="float", samples=None, progress=None):
    """Quantize a float model to full integer (int8 activations, int8 per-channel weights,
    int32 biases); returns the new ir.Model. The model given is not modified.

    model: path, bytes or ir.Model of a float .tflite.
    dataset: representative inputs (see dataset.py): a path (.npz, .npy, directory,
        "module:function"), an array or {input name: array} with samples along the first axis,
        a zero-argument callable returning an iterable of samples, or an iterable of samples.
        A sample is a list of arrays in input order or a dict keyed by input name.
    io: "float" (QUANTIZE/DEQUANTIZE at the edges), "int8" or "uint8" model inputs/outputs.
    samples: calibrate on the first N samples only.
    progress: called as progress(done, total) after each sample (total None when unknown).

    Raises UnsupportedOpError (ops without an int8 rule, all named at once, before
    calibration), DatasetError (data that does not fit the model), ModelFormatError.
    """
    if io not in IO_TYPES:
        raise ValueError(f"io must be one of {IO_TYPES}, got {io!r}")
    source = os.fspath(model) if isinstance(model, (str, os.PathLike)) else None
    work = (model if isinstance(model, ir.Model) else tflite_format.read(model)).clone()
    data = Samples(dataset, work, limit=samples)
    try:
        pipeline.run(work, data, io=io, progress=progress)
    except LitequantError as e:
        e.source = e.source or source
        raise
    return work
