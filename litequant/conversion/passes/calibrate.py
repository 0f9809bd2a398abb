"""Run the float model on the representative samples and record each activation's range.

    float x -> [CONV_2D] -> float y          (no quantization data)
becomes
    float x -> [CONV_2D] -> float y          y.quantization = {min: [lo], max: [hi]}, no scale yet

Every float32 tensor an operator writes, and every float32 model input, gets the smallest and
largest value it took over all samples (observers.MinMaxObserver), stored where TFLite keeps
calibration results: the min/max fields of the tensor's quantization table. The samples stream
through the interpreter one at a time, which drops each intermediate after its last reader, so
memory does not grow with the number of samples. Returns the number of tensors calibrated.
"""
import numpy as np

from litequant import ir
from litequant.conversion.observers import MinMaxObserver
from litequant.errors import DatasetError
from litequant.interpreter import Interpreter


def run(model, samples, progress=None):
    """samples: a dataset.Samples (or any iterable of input lists); progress(done, total)."""
    graph = model.subgraphs[0]
    observers = {t: MinMaxObserver() for t in _activations(graph)}
    interpreter = Interpreter.from_model(model)

    def observe(tensor_index, values):
        observer = observers.get(tensor_index)
        if observer is not None:
            observer.observe(values)

    total = getattr(samples, "total", None)
    for done, sample in enumerate(samples, start=1):
        interpreter.run(sample, observe=observe)
        if progress is not None:
            progress(done, total)
    for index, observer in observers.items():
        _record(graph, index, observer, getattr(samples, "name", None))
    return len(observers)


def _activations(graph):
    written = {t for op in graph.operators for t in op.outputs if t >= 0}
    return sorted(t for t in written | set(graph.inputs) if graph.tensors[t].dtype == "float32")


def _record(graph, index, observer, source):
    tensor = graph.tensors[index]
    if observer.nonfinite:
        raise DatasetError(f"tensor {index} ({tensor.name}) held NaN or infinite values on "
                           f"{observer.nonfinite} of {observer.samples} samples", source=source)
    lo, hi = observer.range()
    if not observer.samples or lo > hi:
        return
    tensor.quantization = ir.QuantParams(
        scale=np.zeros(0, np.float32), zero_point=np.zeros(0, np.int64),
        min=np.array([lo], np.float32), max=np.array([hi], np.float32))


def calibrated_range(tensor):
    """The (lo, hi) calibrate recorded on a tensor, or None."""
    q = tensor.quantization
    if q is None or q.min is None or q.max is None or np.size(q.min) != 1:
        return None
    return float(np.ravel(q.min)[0]), float(np.ravel(q.max)[0])
