"""Whatever nothing uses goes: dead operators, orphan tensors, unused buffers.

    a -> [OP1] -> b -> [OP2] -> c (read by no op, not a graph output)
becomes
    a                                  (OP1, OP2, b and c gone; then their buffers)

An operator is dead when none of its outputs is read by a live operator or is a graph output;
walking the operators backwards finds whole dead chains in one sweep. Kept regardless: operators
with no outputs or that touch a variable tensor (their effect is a side effect) and CUSTOM
operators (their effects are unknown). Then tensors no operator, subgraph interface or signature
names are dropped, and every index renumbered; then buffers no tensor or metadata entry uses.
Returns the number of operators, tensors and buffers removed, together.
"""
from litequant import ir


def run(model):
    removed = 0
    for subgraph_index, graph in enumerate(model.subgraphs):
        removed += ir.remove_operators(graph, _dead_operators(graph))
        unused = set(range(len(graph.tensors))) - ir.referenced_tensors(model, subgraph_index)
        removed += ir.remove_tensors(model, subgraph_index, unused)
    return removed + ir.prune_buffers(model)


def _dead_operators(graph):
    needed = set(graph.outputs)
    dead = []
    for op_index in reversed(range(len(graph.operators))):
        op = graph.operators[op_index]
        if _has_effect(graph, op) or needed.intersection(op.outputs):
            needed.update(op.inputs)
        else:
            dead.append(op_index)
    return dead


def _has_effect(graph, op):
    touched = [graph.tensors[t] for t in op.inputs + op.outputs if t >= 0]
    return not op.outputs or op.opcode == "CUSTOM" or any(t.is_variable for t in touched)
