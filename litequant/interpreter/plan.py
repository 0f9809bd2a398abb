"""IR -> execution plan: every operator resolved to a kernel and prepared once, at load.

A kernel module's `prepare(ctx)` checks the operator (dtypes, shapes, options), computes what
does not depend on the input values (fixed-point multipliers, clamps, weight layouts) and
returns the function that runs the op: `fn(*input_arrays) -> output array` (a tuple for ops
with several outputs). Omitted optional inputs arrive as None; an operator whose operands do
not fit its op's list in schema/ops.json (a required input omitted, too many or too few), that
reads a tensor nothing has written by then, or a sparse tensor (DENSIFY alone expands those),
is refused before its kernel sees it; so is quantization the fixed-point set-up cannot use
(a scale that is not finite, a zero point outside its type).
"""
import numpy as np

from litequant import ir, spec
from litequant.errors import ModelFormatError, UnsupportedOpError
from litequant.interpreter import kernels


_NO_VALUE = "has no value: it is not a constant or a model input"
_INTEGER_TYPES = tuple(t for t in ir.NUMPY_TYPES if np.dtype(t).kind in "iu")


class OpContext:
    """What a kernel's prepare() may look at: the operator, its tensors and constant data."""

    def __init__(self, model, graph, index, op):
        self.model, self.graph, self.index, self.op = model, graph, index, op
        self.options = op.options
        self.inputs = [graph.tensors[t] if t >= 0 else None for t in op.inputs]
        self.outputs = [graph.tensors[t] for t in op.outputs]

    def constant(self, position):
        """The data of input `position` if it is a constant, else None."""
        tensor = self.inputs[position] if position < len(self.inputs) else None
        return None if tensor is None else self.model.tensor_data(tensor)

    def fail(self, message, error=ModelFormatError):
        """An error naming this operator: `op 3 (CONV_2D): message`."""
        return error(f"op {self.index} ({self.op.opcode}): {message}")

    def unsupported(self, what):
        return self.fail(f"{what} is not supported", UnsupportedOpError)

    def require(self, condition, message):
        if not condition:
            raise self.fail(message)


class Step:
    __slots__ = ("index", "opcode", "run", "inputs", "outputs", "release", "fixed_shapes")

    def __init__(self, index, opcode, run, inputs, outputs):
        self.index, self.opcode, self.run = index, opcode, run
        self.inputs, self.outputs = inputs, outputs
        self.release = ()   # tensors whose last reader is this step
        self.fixed_shapes = False   # outputs have the model's shapes when the model inputs do


def build(model, subgraph_index=0):
    """Resolve and prepare every operator; all unsupported ops are reported together."""
    graph = model.subgraphs[subgraph_index]
    missing = sorted({op.opcode for op in graph.operators if op.opcode not in kernels.KERNELS})
    if missing:
        first = next(i for i, op in enumerate(graph.operators) if op.opcode in missing)
        raise UnsupportedOpError(
            f"op {first} ({graph.operators[first].opcode}): no kernel for {', '.join(missing)}")
    steps = []
    # An empty constant has no data to store: its zero elements need no writer either.
    written = set(graph.inputs) | {t for t, tensor in enumerate(graph.tensors)
                                   if model.is_constant(tensor) or 0 in tensor.shape}
    for index, op in enumerate(graph.operators):
        ctx = OpContext(model, graph, index, op)
        _require_operands(ctx, written)
        _require_usable_quantization(ctx)
        with np.errstate(all="ignore"):     # see Interpreter._execute
            run = kernels.load(op.opcode).prepare(ctx)
        steps.append(Step(index, op.opcode, run, tuple(op.inputs), tuple(op.outputs)))
        written.update(op.outputs)
    unset = [p for p, t in enumerate(graph.outputs) if t not in written]
    if unset:
        name = graph.tensors[graph.outputs[unset[0]]].name
        raise ModelFormatError(f"model output {unset[0]} ({name}) {_NO_VALUE}, and no op writes it")
    _mark_releases(steps, graph)
    _mark_fixed_shapes(steps, model, graph)
    return steps


def _require_operands(ctx, written):
    """The operands the op takes (schema/ops.json), each input written before it is read, and
    sparse tensors read by DENSIFY alone."""
    op = ctx.op
    problem = spec.operand_problem(op.opcode, op.inputs, op.outputs)
    if problem:
        raise ctx.fail(problem)
    unset = [p for p, t in enumerate(op.inputs) if t >= 0 and t not in written]
    if unset:
        raise ctx.fail(f"input {unset[0]} ({ctx.inputs[unset[0]].name}) {_NO_VALUE}, "
                       "and no earlier op writes it")
    sparse = [p for p, tensor in enumerate(ctx.inputs)
              if tensor is not None and tensor.sparsity is not None]
    if sparse and op.opcode != "DENSIFY":
        raise ctx.fail(f"input {sparse[0]} ({ctx.inputs[sparse[0]].name}) is sparse; only "
                       "DENSIFY reads sparse tensors", UnsupportedOpError)


def _require_usable_quantization(ctx):
    """Scales finite, and positive but for constants (an all-zero weight channel may have scale
    0); zero points within the integer type. The kernels' fixed-point set-up assumes both."""
    for kind, tensors in (("input", ctx.inputs), ("output", ctx.outputs)):
        for position, tensor in enumerate(tensors):
            q = None if tensor is None else tensor.quantization
            if q is None or q.scale.size == 0 or tensor.dtype not in _INTEGER_TYPES:
                continue
            where = f"{kind} {position} ({tensor.name})"
            constant = ctx.model.is_constant(tensor)
            bad = ~np.isfinite(q.scale) | (q.scale < 0 if constant else q.scale <= 0)
            if bad.any():
                raise ctx.fail(f"{where}: scale {float(q.scale[bad][0])!r} is not finite and "
                               f"{'non-negative' if constant else 'positive'}")
            info = np.iinfo(tensor.dtype)
            outside = (q.zero_point < info.min) | (q.zero_point > info.max)
            if outside.any():
                raise ctx.fail(f"{where}: zero point {int(q.zero_point[outside][0])} is outside "
                               f"the {tensor.dtype} range [{info.min}, {info.max}]")


def _mark_fixed_shapes(steps, model, graph):
    """Mark the steps whose outputs take the shapes the model gives whenever the model inputs
    do: each input's shape is fixed, and no input after the first is an integer tensor computed
    at run time (a MEAN's axes, a RESHAPE's shape, a PAD's paddings) whose values choose the
    output shape."""
    constants = {t for t, tensor in enumerate(graph.tensors) if model.is_constant(tensor)}
    fixed = set(graph.inputs) | constants
    for step in steps:
        computed_sizes = any(position > 0 and t >= 0 and t not in constants
                             and graph.tensors[t].dtype in ("int32", "int64")
                             for position, t in enumerate(step.inputs))
        step.fixed_shapes = not computed_sizes and all(t in fixed for t in step.inputs if t >= 0)
        if step.fixed_shapes:
            fixed.update(step.outputs)


def _mark_releases(steps, graph):
    """Attach to each step the activations nothing later reads, so a run can drop them."""
    last = {}
    for position, step in enumerate(steps):
        for t in step.inputs:
            last[t] = position
    keep = set(graph.outputs) | set(graph.inputs) | {-1}
    releases = {}
    for t, position in last.items():
        if t not in keep:
            releases.setdefault(position, []).append(t)
    for position, tensors in releases.items():
        steps[position].release = tuple(tensors)
