"""Each quantized operator gets the version an int8 runtime expects; the model its minimum runtime.

    [CONV_2D v1] (float)  ->  [CONV_2D v3] (int8)        metadata min_runtime_version "1.14.0"

Versions come from schema/int8_spec.json: an op's base version, or the first of its
version_rules whose condition holds (a FULLY_CONNECTED with keep_num_dims is version 5). The
versions are TensorFlow's (op_version.cc), so LiteRT and tflite-micro pick the kernels that
handle these tensor types. Integer-only ops left as they were keep their version.

The "min_runtime_version" metadata buffer holds, NUL-padded to 16 bytes as TensorFlow writes it,
the newest runtime any (op, version) needs (runtime_version.cc); it is added if missing.
Returns the number of operators whose version changed.
"""
import numpy as np

from litequant import ir
from litequant.conversion import rules

METADATA_NAME = "min_runtime_version"
METADATA_BYTES = 16
_QUANTIZED = ("int8", "uint8")


def run(model):
    changed = 0
    for graph in model.subgraphs:
        for op in graph.operators:
            version = expected_version(graph, op)
            if version is not None and version != op.version:
                op.version = version
                changed += 1
    _set_min_runtime(model)
    return changed


def expected_version(graph, op):
    """The version schema/int8_spec.json gives this op, or None if it is not a quantized op."""
    rule = rules.rules().get(op.opcode) or rules.interface_rules().get(op.opcode)
    if rule is None or not _touches_quantized(graph, op):
        return None
    for condition, version in rule.version_rules:
        if CONDITIONS[condition](graph, op):
            return version
    return rule.version


def _touches_quantized(graph, op):
    return any(graph.tensors[t].dtype in _QUANTIZED for t in op.inputs[:1] + op.outputs[:1] if t >= 0)


def _tensor(graph, op, position, outputs=False):
    indices = op.outputs if outputs else op.inputs
    return graph.tensors[indices[position]] if position < len(indices) and indices[position] >= 0 else None


def _scale(tensor):
    return np.float32(tensor.quantization.scale[0])


def _rescale_at_least_one(graph, op):
    a, b, out = _tensor(graph, op, 0), _tensor(graph, op, 1), _tensor(graph, op, 0, outputs=True)
    if not all(t is not None and t.quantization is not None for t in (a, b, out)):
        return False
    with np.errstate(over="ignore"):        # a product or quotient beyond float32 is inf: >= 1
        return _scale(a) * _scale(b) / _scale(out) >= 1   # float32 arithmetic, as TFLite's check


def _broadcast_rank_above_4(graph, op):
    shapes = [t.shape for t in (_tensor(graph, op, 0), _tensor(graph, op, 1)) if t is not None]
    return len(set(shapes)) > 1 and max(len(s) for s in shapes) > 4


CONDITIONS = {
    "no_bias_input": lambda graph, op: len(op.inputs) == 2,
    "keep_num_dims": lambda graph, op: bool(op.options.get("keep_num_dims")),
    "rescale_at_least_one": _rescale_at_least_one,
    "rank_above_4": lambda graph, op: len(_tensor(graph, op, 0).shape) > 4,
    "broadcast_rank_above_4": _broadcast_rank_above_4,
    "half_pixel_centers": lambda graph, op: bool(op.options.get("half_pixel_centers")),
    "half_pixel_or_align_corners": lambda graph, op: bool(op.options.get("half_pixel_centers")
                                                          or op.options.get("align_corners")),
    "slice_offset": lambda graph, op: bool(op.options.get("offset")),
    "ellipsis_or_new_axis": lambda graph, op: bool(op.options.get("ellipsis_mask")
                                                   or op.options.get("new_axis_mask")),
    "per_axis_input": lambda graph, op: bool(_tensor(graph, op, 0).quantization is not None
                                             and _tensor(graph, op, 0).quantization.per_axis),
}


def min_runtime_version(model):
    """The newest runtime version any operator needs ("" if none is known)."""
    newest = ""
    for graph in model.subgraphs:
        for op in graph.operators:
            needed = rules.min_runtime(op.opcode, op.version)
            if needed and version_key(needed) > version_key(newest):
                newest = needed
    return newest


def version_key(text):
    return tuple(int(part) for part in text.split(".")) if text else ()


def metadata_text(model):
    """The min_runtime_version string stored in the model, or None."""
    for name, buffer in model.metadata:
        if name == METADATA_NAME:
            data = model.buffers[buffer].data
            return "" if data is None else bytes(data).rstrip(b"\0").decode("ascii", "replace")
    return None


def _set_min_runtime(model):
    version = min_runtime_version(model)
    if not version or len(version) >= METADATA_BYTES:
        return
    data = np.zeros(METADATA_BYTES, np.uint8)
    data[:len(version)] = np.frombuffer(version.encode("ascii"), np.uint8)
    for name, buffer in model.metadata:
        if name == METADATA_NAME:
            model.buffers[buffer] = ir.Buffer(data)
            return
    model.buffers.append(ir.Buffer(data))
    model.metadata.append((METADATA_NAME, len(model.buffers) - 1))
