"""Float16 weights become float32 constants again, so calibration and quantization see plain
float weights (TF's float16 export stores every weight as float16 behind a DEQUANTIZE).

    float16 const w16 -> [DEQUANTIZE] -> t -> [CONV_2D]
becomes
    float32 const t -> [CONV_2D]

The output tensor t keeps its index and name and becomes the constant, so every reader of t
(one or several ops) is served without rewiring. When several DEQUANTIZE ops read one float16
constant, each gets its own float32 copy; the float16 tensor and buffer go once nothing reads
them. Left alone: a DEQUANTIZE whose output is a graph output (the model would return a
constant), of a sparse float16 constant (densify_weights runs first and makes it dense), and of
int8 constants (hybrid weights, not float16).
"""
import numpy as np

from litequant.conversion.passes._fold import replace_with_constants


def run(model):
    folded = 0
    for subgraph_index, graph in enumerate(model.subgraphs):
        foldable = {}
        for op_index, op in enumerate(graph.operators):
            values = _float16_source(model, graph, op)
            if values is not None:
                foldable[op_index] = [values.astype(np.float32)]
        folded += replace_with_constants(model, subgraph_index, foldable)
    return folded


def _float16_source(model, graph, op):
    """The float16 constant a foldable DEQUANTIZE reads, or None."""
    if op.opcode != "DEQUANTIZE" or op.outputs[0] in graph.outputs:
        return None
    source, result = graph.tensors[op.inputs[0]], graph.tensors[op.outputs[0]]
    if source.dtype != "float16" or result.dtype != "float32" or source.sparsity is not None:
        return None
    return model.tensor_data(source)
