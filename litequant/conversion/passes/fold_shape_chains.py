"""Shape arithmetic whose answer is known before the model runs becomes constants.

    x -> [SHAPE] -> [STRIDED_SLICE 0:1] -> batch -> [PACK with const 128] -> s -> [RESHAPE x, s]
becomes
    x -> [RESHAPE x, const s]

Foldable: SHAPE of any tensor (its shape is in the model), and any operator whose inputs are all
constants (or foldable) and whose outputs are all int32/int64, evaluated by the interpreter's own
kernel for that op (STRIDED_SLICE, PACK, CONCATENATION, RESHAPE, SQUEEZE; ops whose kernel has
no int32 path, or no kernel, stay). Float computations on constants are not this pass's business.

Dynamic dimensions (-1 in a shape_signature): the model was drawn with some size there (batch 1
for Keras models), and baking that size into a RESHAPE would break the model for any other
batch. So the chain is evaluated twice: once with the drawn shapes and once with every dynamic
dimension enlarged. Entries that agree do not depend on dynamic sizes and are folded as they are.
An entry that changes is only folded where the answer is a RESHAPE's new shape with exactly one
such entry: it becomes -1, which RESHAPE resolves from the element count, for every batch (a -1
the model already had there, as in reshape(x, [batch, -1]), becomes its static size). Any
other use of a dynamic size keeps the ops that compute it (they are int32 ops, which the int8
converter leaves as they are), so the model stays correct for every input size.
A value that is a graph output is never folded (the model would return a constant).
"""
import dataclasses

import numpy as np

from litequant import ir
from litequant.conversion.passes._fold import replace_with_constants
from litequant.errors import LitequantError
from litequant.interpreter import kernels
from litequant.interpreter.plan import OpContext

SHAPE_DTYPES = ("int32", "int64")
# How much a dynamic dimension grows in the second evaluation; any change would do.
PROBE_GROWTH = 7


def run(model):
    folded = 0
    for subgraph_index, graph in enumerate(model.subgraphs):
        values = _evaluate_foldable(model, graph)
        folded += replace_with_constants(model, subgraph_index, _settle(graph, values))
    return folded


def _evaluate_foldable(model, graph):
    """{op index: [(drawn value, probe value or None) per output]} for every foldable op."""
    known = {i: (data, data) for i, data in _constants(model, graph).items()}
    evaluated = {}
    for op_index, op in enumerate(graph.operators):
        pairs = _evaluate_op(graph, op, known)
        if pairs is not None:
            evaluated[op_index] = pairs
            known.update(zip(op.outputs, pairs))
    return evaluated


def _constants(model, graph):
    """Tensor index -> data of every dense constant (a sparse one's buffer is not its value)."""
    data = {i: model.tensor_data(t) for i, t in enumerate(graph.tensors) if t.sparsity is None}
    return {i: d for i, d in data.items() if d is not None}


def _evaluate_op(graph, op, known):
    if op.opcode not in kernels.KERNELS or not op.outputs:
        return None
    if any(graph.tensors[t].dtype not in SHAPE_DTYPES for t in op.outputs):
        return None
    if op.opcode == "SHAPE":
        x = graph.tensors[op.inputs[0]]
        if len(x.signature) != len(x.shape) or x.dtype not in ir.NUMPY_TYPES:
            return None
        drawn = _run_kernel(graph, op, [_shape_only(x, x.shape)], constant=False)
        probe = _run_kernel(graph, op, [_shape_only(x, _probe_shape(x))], constant=False)
    else:
        if not all(t < 0 or t in known for t in op.inputs):
            return None
        drawn = _run_kernel(graph, op, [known[t][0] if t >= 0 else None for t in op.inputs])
        probes = [known[t][1] if t >= 0 else None for t in op.inputs]
        dependent = any(t >= 0 and known[t][1] is None for t in op.inputs)
        probe = None if dependent else _run_kernel(graph, op, probes)
    if drawn is None:
        return None
    return list(zip(drawn, probe or [None] * len(drawn)))


def _shape_only(tensor, shape):
    """An array of the given shape that allocates nothing: SHAPE reads only the shape."""
    return np.broadcast_to(np.zeros((), tensor.dtype), shape)


def _run_kernel(graph, op, arrays, constant=True):
    """The op's outputs on `arrays` (None for omitted inputs), computed by its interpreter kernel
    on a one-op copy where the inputs are constants, so prepare() sees what run() gets.
    None if the kernel refuses or the values do not fit (a probe may not)."""
    scratch = ir.Model(subgraphs=[ir.Subgraph()])
    tensors = scratch.subgraphs[0].tensors
    inputs = []
    for t, array in zip(op.inputs, arrays):
        if t < 0:
            inputs.append(-1)
            continue
        buffer = scratch.add_buffer(array) if constant else 0
        tensors.append(dataclasses.replace(graph.tensors[t], shape=array.shape, buffer=buffer))
        inputs.append(len(tensors) - 1)
    outputs = list(range(len(tensors), len(tensors) + len(op.outputs)))
    tensors.extend(dataclasses.replace(graph.tensors[t]) for t in op.outputs)
    single = dataclasses.replace(op, inputs=inputs, outputs=outputs)
    scratch.subgraphs[0].operators.append(single)
    try:
        fn = kernels.load(op.opcode).prepare(OpContext(scratch, scratch.subgraphs[0], 0, single))
        result = fn(*arrays)
    except (LitequantError, ValueError, IndexError):
        return None
    return list(result) if len(outputs) > 1 else [result]


def _settle(graph, evaluated):
    """Which evaluated ops can go, with the constants their outputs become: {op index: arrays}.
    An op stays if one of its outputs cannot be made constant for the readers that stay; then
    its inputs have a reader that stays, so this repeats until nothing changes."""
    readers = ir.consumers(graph)
    removable = set(evaluated)
    while True:
        constants = {}
        for op_index in removable:
            outputs = graph.operators[op_index].outputs
            constants[op_index] = [
                _as_constant(graph, t, pair, [r for r in readers.get(t, []) if r not in removable])
                for t, pair in zip(outputs, evaluated[op_index])]
        stuck = {i for i, arrays in constants.items() if any(a is None for a in arrays)}
        if not stuck:
            return constants
        removable -= stuck


def _as_constant(graph, tensor_index, pair, staying_readers):
    """The constant that may replace this value for its staying readers, or None."""
    drawn, probe = pair
    if tensor_index in graph.outputs:
        return None
    if probe is not None and np.array_equal(drawn, probe):
        return drawn
    if not staying_readers:
        return drawn     # read only by ops that are folded away too
    if probe is None or drawn.ndim != 1 or probe.shape != drawn.shape:
        return None
    shapes = {_reshape_target(graph, r, tensor_index, drawn, probe) for r in staying_readers}
    if len(shapes) != 1 or None in shapes:
        return None
    return np.array(shapes.pop(), drawn.dtype)


def _reshape_target(graph, op_index, tensor_index, drawn, probe):
    """The new shape a RESHAPE reading this value as its shape may have as a constant: its drawn
    output shape, with -1 at the one entry that changes with the dynamic sizes. The probe's own
    -1 (as in reshape(x, [batch, -1])) is resolved from the input's probe size first; a probe
    that does not fit that size means the dynamic sizes are related in a way this pass cannot
    see. None if the reader is no such RESHAPE, or more than one entry changes."""
    op = graph.operators[op_index]
    if op.opcode != "RESHAPE" or op.inputs[1:2] != [tensor_index] or op.inputs[0] == tensor_index:
        return None
    x, out = graph.tensors[op.inputs[0]], graph.tensors[op.outputs[0]]
    drawn_shape = tuple(out.shape)
    if len(drawn_shape) != drawn.size or any(d not in (-1, o) for d, o in zip(drawn, drawn_shape)):
        return None
    probe_shape = _stretch(probe.tolist(), _element_count(_probe_shape(x)))
    if probe_shape is None:
        return None
    changed = [i for i, (d, p) in enumerate(zip(drawn_shape, probe_shape)) if d != p]
    if len(changed) > 1:
        return None
    return tuple(-1 if i in changed else d for i, d in enumerate(drawn_shape))


def _probe_shape(tensor):
    """The tensor's shape with every dynamic dimension grown by PROBE_GROWTH."""
    return tuple(d + PROBE_GROWTH if s < 0 else d for d, s in zip(tensor.shape, tensor.signature))


def _stretch(shape, count):
    """`shape` with its -1 resolved so it holds `count` elements; None if it cannot."""
    known = _element_count(d for d in shape if d != -1)
    stretch = [i for i, d in enumerate(shape) if d == -1]
    if len(stretch) > 1 or known <= 0 or count % known:
        return None
    if not stretch:
        return shape if known == count else None
    return [count // known if d == -1 else d for d in shape]


def _element_count(shape):
    count = 1
    for d in shape:
        count *= int(d)
    return count
