"""Sparse constants become dense ones, so quantization sees every weight in its place.

    sparse const w (nonzeros + sparsity) -> [DENSIFY] -> t -> [FULLY_CONNECTED]
becomes
    dense const t -> [FULLY_CONNECTED]

The expansion is the interpreter's DENSIFY kernel's `densify`, run once here. The output t
keeps its index and name and becomes the constant; the sparse tensor and its buffer go once
nothing reads them. A float16 result stays float16 behind its DEQUANTIZE, for
fold_fp16_dequantize (which runs after this pass). A DENSIFY whose output is a graph output is
left alone. Malformed sparsity is an error naming the tensor.
"""
import numpy as np

from litequant.conversion.passes._fold import replace_with_constants
from litequant.errors import ModelFormatError
from litequant.interpreter.kernels.densify import SparsityError, densify


def run(model):
    folded = 0
    for subgraph_index, graph in enumerate(model.subgraphs):
        foldable = {}
        for op_index, op in enumerate(graph.operators):
            source = graph.tensors[op.inputs[0]] if op.opcode == "DENSIFY" else None
            stored = None if source is None else _stored_values(model, source)
            if stored is not None and op.outputs[0] not in graph.outputs:
                foldable[op_index] = [_dense(stored, source, op_index)]
        folded += replace_with_constants(model, subgraph_index, foldable)
    return folded


def _stored_values(model, tensor):
    """The values a sparse constant stores, in storage order (its buffer is not shape-sized)."""
    data = model.buffers[tensor.buffer].data
    if tensor.sparsity is None or data is None or data.size == 0:
        return None
    return data.view(np.dtype(tensor.dtype))


def _dense(stored, tensor, op_index):
    try:
        return densify(stored, tensor.shape, tensor.sparsity)
    except SparsityError as e:
        raise ModelFormatError(f"op {op_index} (DENSIFY): tensor {tensor.name!r}: {e}") from None
