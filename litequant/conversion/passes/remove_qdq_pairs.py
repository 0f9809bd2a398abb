"""QUANTIZE/DEQUANTIZE pairs that undo each other are removed.

    int8 a -> [DEQUANTIZE] -> float b -> [QUANTIZE, same scale/zero point as a] -> int8 c -> [OP]
becomes
    int8 a -> [OP]
(exact: dequantizing and requantizing onto the same grid gives back every value), and

    float a -> [QUANTIZE] -> int8 b -> [DEQUANTIZE] -> float c -> [OP]
becomes
    float a -> [OP]
(drops one rounding to the int8 grid: c differs from a by at most half a step inside b's range.
The converter re-quantizes a from calibration anyway, so the pair carries nothing it needs).

Only the pair's end tensor c changes hands; if the middle tensor b has other readers, or is a
graph output, the first op stays. Pairs whose end c is a graph output are left: removing them
would change the model's interface. A QUANTIZE from int8 to int8 (a requantization) is not half
of a pair. Chains (Q, DQ, Q, DQ) collapse pair by pair.
"""
import numpy as np

from litequant import ir

_PAIRS = {("DEQUANTIZE", "QUANTIZE"), ("QUANTIZE", "DEQUANTIZE")}


def run(model):
    removed = 0
    for subgraph_index in range(len(model.subgraphs)):
        while _remove_one_pair(model, subgraph_index):
            removed += 1
    return removed


def _remove_one_pair(model, subgraph_index):
    graph = model.subgraphs[subgraph_index]
    writer = ir.producers(graph)
    for second_index, second in enumerate(graph.operators):
        first_index = writer.get(second.inputs[0]) if second.inputs else None
        if first_index is None:
            continue
        first = graph.operators[first_index]
        if (first.opcode, second.opcode) not in _PAIRS or not _cancels(graph, first, second):
            continue
        start, middle, end = first.inputs[0], first.outputs[0], second.outputs[0]
        ir.replace_input(graph, end, start)
        doomed = [second_index]
        if middle not in graph.outputs and len(ir.consumers(graph).get(middle, [])) == 1:
            doomed.append(first_index)
        ir.remove_operators(graph, doomed)
        orphans = {middle, end} - ir.referenced_tensors(model, subgraph_index)
        ir.remove_tensors(model, subgraph_index, orphans)
        return True
    return False


def _cancels(graph, first, second):
    start, end = graph.tensors[first.inputs[0]], graph.tensors[second.outputs[0]]
    if second.outputs[0] in graph.outputs or start.dtype != end.dtype:
        return False
    if first.opcode == "QUANTIZE":
        return start.dtype == "float32"
    return _same_grid(start.quantization, end.quantization)


def _same_grid(a, b):
    """Same real value for every integer: scale, zero point and axis agree (min/max may not)."""
    if a is None or b is None:
        return False
    return (np.array_equal(a.scale, b.scale) and np.array_equal(a.zero_point, b.zero_point)
            and (not a.per_axis or a.quantized_dimension == b.quantized_dimension))
