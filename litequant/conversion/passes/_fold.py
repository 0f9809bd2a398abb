"""What the folding passes share: an operator whose outputs are known before the model runs is
replaced by constants holding those outputs."""
import numpy as np

from litequant import ir


def replace_with_constants(model, subgraph_index, folded):
    """folded: {operator index: [one array per output]}. Each output tensor keeps its index and
    name and gets a new buffer with its array; the operators are removed, and the inputs nothing
    reads any more are dropped with their buffers. Returns how many operators were removed."""
    graph = model.subgraphs[subgraph_index]
    inputs = set()
    for op_index, arrays in folded.items():
        op = graph.operators[op_index]
        for t, array in zip(op.outputs, arrays):
            tensor = graph.tensors[t]
            tensor.buffer = model.add_buffer(np.asarray(array, tensor.dtype).reshape(tensor.shape))
        inputs.update(t for t in op.inputs if t >= 0)
    ir.remove_operators(graph, folded)
    ir.remove_tensors(model, subgraph_index, inputs - ir.referenced_tensors(model, subgraph_index))
    ir.prune_buffers(model)
    return len(folded)
