"""Every float activation becomes int8, with parameters from its calibrated range and the op rules.

    float x -> [CONV_2D] -> float y -> [MAX_POOL_2D] -> float z -> [SOFTMAX] -> float out
becomes
    float x -> [QUANTIZE] -> int8 x' -> [CONV_2D] -> int8 y -> [MAX_POOL_2D] -> int8 z
            -> [SOFTMAX] -> int8 out' -> [DEQUANTIZE] -> float out

The model's float inputs and outputs keep their tensors, names and signature entries; a
QUANTIZE after each input and a DEQUANTIZE before each output carry the values across
(set_io_types may then make the interface integer). Inside, every tensor in an activation
position of schema/int8_spec.json gets an int8 scale and zero point:

- its own range (calibrated, or a constant's values) -> qparams.activation_params, after a fused
  activation has narrowed it (a RELU6 output lies in [0, 6]);
- a "fixed" output (SOFTMAX, LOGISTIC, TANH) takes the parameters the kernel requires;
- a "same_as_input" output (pools, PAD, RESHAPE, ...) shares input 0's parameters, and the inputs
  of CONCATENATION and PACK share the output's (the int8 kernels copy values without rescaling):
  tensors that must share are grouped, and a group covers the union of its members' ranges.
  A member whose parameters are fixed elsewhere and cannot hold the group's range (a SOFTMAX
  output concatenated with a wider tensor) is not merged; a QUANTIZE op requantizes it onto the
  group's grid right before the op that needs it.

Constants in activation positions (the second operand of an ADD, a PRELU alpha) are quantized
the same way, from their values. Weights and biases are quantize_weights' business. Models this
pass cannot finish (float ops without a rule, already quantized) are refused by
rules.require_supported, which pipeline.run calls before calibrating.
Returns the number of tensors given int8 parameters.
"""
import numpy as np

from litequant import ir, spec
from litequant.conversion import qparams, rules
from litequant.conversion.passes.calibrate import calibrated_range
from litequant.errors import LitequantError

INTERFACE_SUFFIX = "_int8"


def run(model):
    graph = model.subgraphs[0]
    _split_interface(graph)
    ranges = _ranges(model, graph)
    groups = _Groups(ranges)
    requantize = _constrain(quantized_ops(graph), groups)
    params = {t: groups.params(t) for t in ranges}
    for t, (scale, zero_point) in params.items():
        _set_int8(model, graph.tensors[t], scale, zero_point)
    _insert_requantize(graph, requantize, params)
    return len(params) + len(requantize)


# the float interface -------------------------------------------------------------------------
def _split_interface(graph):
    """Give each float input and output an int8 twin the ops use; QUANTIZE/DEQUANTIZE link them."""
    first, last = [], []
    for index in dict.fromkeys(graph.inputs):
        if graph.tensors[index].dtype == "float32" and index not in graph.outputs:
            twin = _twin(graph, index)
            ir.replace_input(graph, index, twin)
            first.append(_op("QUANTIZE", index, twin))
    writers = ir.producers(graph)
    for index in dict.fromkeys(graph.outputs):
        if graph.tensors[index].dtype == "float32" and index in writers:
            twin = _twin(graph, index)
            ir.replace_input(graph, index, twin)
            op = graph.operators[writers[index]]
            op.outputs = [twin if t == index else t for t in op.outputs]
            last.append(_op("DEQUANTIZE", twin, index))
    graph.operators = first + graph.operators + last


def _twin(graph, index):
    tensor = graph.tensors[index]
    graph.tensors.append(ir.Tensor(name=tensor.name + INTERFACE_SUFFIX, dtype=tensor.dtype,
                                   shape=tensor.shape, shape_signature=tensor.shape_signature,
                                   quantization=tensor.quantization))
    tensor.quantization = None      # the float interface tensor carries no parameters
    return len(graph.tensors) - 1


def _op(opcode, source, target):
    return ir.Operator(opcode=opcode, inputs=[source], outputs=[target], options={},
                       options_type=None, version=rules.interface_rules()[opcode].version)


# which tensors, over which ranges ------------------------------------------------------------
def quantized_ops(graph):
    """(index, op, rule) of every float op the spec covers, in graph order."""
    table = rules.rules()
    return [(i, op, table[op.opcode]) for i, op in enumerate(graph.operators)
            if op.opcode in table and rules.is_float_op(graph, op)]


def _ranges(model, graph):
    """Tensor index -> (lo, hi) for every float tensor in an activation position."""
    ranges = {}
    for index, op, rule in quantized_ops(graph):
        for position, t in enumerate(op.inputs):
            if t >= 0 and rule.input_role(position) == "activation":
                ranges.setdefault(t, _range_of(model, graph, t, index, op))
        activation = op.options.get("fused_activation_function", "NONE")
        for position, t in enumerate(op.outputs):
            if rule.output_role(position) in ("activation", "same_as_input", "fixed"):
                ranges[t] = _narrowed(_range_of(model, graph, t, index, op), activation)
    return {t: r for t, r in ranges.items() if graph.tensors[t].dtype == "float32"}


def _range_of(model, graph, t, op_index, op):
    tensor = graph.tensors[t]
    data = model.tensor_data(tensor)
    if data is not None:
        return (float(data.min()), float(data.max())) if data.size else (0.0, 0.0)
    found = calibrated_range(tensor)
    if found is None:
        raise LitequantError(f"op {op_index} ({op.opcode}): tensor {t} ({tensor.name}) has no "
                             "calibrated range (run the calibrate pass first)")
    return found


def _narrowed(span, activation):
    lo, hi = spec.fused_activation_bounds(activation) or (-np.inf, np.inf)   # TANH: no clamp
    return min(max(span[0], lo), hi), max(min(span[1], hi), lo)


# tensors that must share parameters ----------------------------------------------------------
class _Groups:
    """Union-find over tensors that must share (scale, zero point); a group may be pinned to
    fixed parameters, and spans the union of its members' ranges."""

    def __init__(self, ranges):
        self.parent = {t: t for t in ranges}
        self.span = dict(ranges)
        self.pin = {}

    def find(self, t):
        while self.parent[t] != t:
            self.parent[t] = self.parent[self.parent[t]]
            t = self.parent[t]
        return t

    def pin_to(self, t, fixed):
        self.pin[self.find(t)] = fixed

    def join(self, a, b):
        """Merge the groups of a and b unless one is pinned to parameters that cannot hold the
        other's range (or both are pinned differently). Returns whether they were merged."""
        a, b = self.find(a), self.find(b)
        if a == b:
            return True
        pins = [self.pin[g] for g in (a, b) if g in self.pin]
        if len(pins) == 2 and pins[0] != pins[1]:
            return False
        if len(pins) == 1:
            pinned, free = (a, b) if a in self.pin else (b, a)
            if not _holds(self.pin[pinned], self.span[free]):
                return False
        self.parent[b] = a
        self.span[a] = (min(self.span[a][0], self.span[b][0]), max(self.span[a][1], self.span[b][1]))
        if b in self.pin:
            self.pin[a] = self.pin.pop(b)
        return True

    def params(self, t):
        root = self.find(t)
        if root in self.pin:
            return np.float32(self.pin[root][0]), self.pin[root][1]
        limits = rules.tensor_range("activation")
        return qparams.activation_params(*self.span[root], limits.qmin, limits.qmax)


def _holds(fixed, span):
    """Whether int8 parameters `fixed` represent the range `span` without clipping it."""
    scale, zero_point = fixed
    limits = rules.tensor_range("activation")
    return scale * (limits.qmin - zero_point) <= span[0] and span[1] <= scale * (limits.qmax - zero_point)


def _constrain(ops, groups):
    """Apply fixed, same-as-input and shared-with-output rules to (index, op, rule) triples.
    Returns the (op index, input position) pairs that need a requantizing QUANTIZE because
    their tensor could not join the group the op requires."""
    for _, op, rule in ops:
        for position, t in enumerate(op.outputs):
            if rule.output_role(position) == "fixed" and t in groups.parent:
                groups.pin_to(t, rule.fixed_output)
    requantize = []
    for index, op, rule in ops:
        for position, t in enumerate(op.outputs):
            if rule.output_role(position) == "same_as_input" and _joins(groups, op.inputs[0], t):
                if not groups.join(op.inputs[0], t):
                    requantize.append((index, 0))
    for index, op, rule in ops:
        if rule.inputs_share_output and op.outputs[0] in groups.parent:
            for position, t in enumerate(op.inputs):
                if _joins(groups, t, op.outputs[0]) and not groups.join(op.outputs[0], t):
                    requantize.append((index, position))
    return requantize


def _joins(groups, a, b):
    return a >= 0 and a in groups.parent and b in groups.parent


# rewriting -----------------------------------------------------------------------------------
def _set_int8(model, tensor, scale, zero_point):
    limits = rules.tensor_range("activation")
    data = model.tensor_data(tensor)
    if data is not None:
        values = qparams.quantize(data, scale, zero_point, limits.qmin, limits.qmax)
        tensor.buffer = model.add_buffer(values)
    tensor.dtype = limits.dtype
    tensor.quantization = ir.QuantParams(scale=[scale], zero_point=[zero_point])


def _insert_requantize(graph, requantize, params):
    """Before each op listed, a QUANTIZE from the input's grid onto the grid of the tensor the op
    needs it to share (its output's)."""
    before = {}
    for op_index, position in requantize:
        op = graph.operators[op_index]
        source = op.inputs[position]
        target_params = params[op.outputs[0]]
        tensor = graph.tensors[source]
        graph.tensors.append(ir.Tensor(
            name=f"{tensor.name}_requantized", dtype=tensor.dtype, shape=tensor.shape,
            shape_signature=tensor.shape_signature,
            quantization=ir.QuantParams(scale=[target_params[0]], zero_point=[target_params[1]])))
        target = len(graph.tensors) - 1
        op.inputs[position] = target
        before.setdefault(op_index, []).append(_op("QUANTIZE", source, target))
    graph.operators = [new for i, op in enumerate(graph.operators)
                       for new in before.get(i, []) + [op]]
