"""schema/int8_spec.json as frozen dataclasses: what the converter writes and check.py enforces.

An OpRule says, for one builtin op, the role of every input and output position ("activation",
"weight", "bias", "int"; outputs also "same_as_input" and "fixed") and the operator version to
write. The converter and the checker read the same rules, so they cannot drift apart.
"""
import functools
from dataclasses import dataclass
from typing import Optional, Tuple

from litequant import spec
from litequant.errors import LitequantError, UnsupportedOpError

FLOAT = "float32"


@dataclass(frozen=True)
class TensorRange:
    """Storage type and integer range of one role ("activation", "weight", "bias")."""
    dtype: str
    qmin: int
    qmax: int


@dataclass(frozen=True)
class OpRule:
    opcode: str
    inputs: Tuple[str, ...]
    outputs: Tuple[str, ...]
    version: int
    version_rules: Tuple[Tuple[str, int], ...] = ()
    also_valid: Tuple[int, ...] = ()      # versions check accepts besides the one written
    variadic: bool = False                 # every input has the role of input 0
    inputs_share_output: bool = False      # activation inputs carry the output's parameters
    weight_axis: Optional[int] = None
    fixed_output: Optional[Tuple[float, int]] = None

    def input_role(self, position):
        if self.variadic:
            return self.inputs[0]
        return self.inputs[position] if position < len(self.inputs) else None

    def output_role(self, position):
        return self.outputs[position] if position < len(self.outputs) else None


@functools.lru_cache(maxsize=None)
def _table():
    return spec.load("int8_spec")


@functools.lru_cache(maxsize=None)
def tensor_range(role):
    entry = _table()[role]
    return TensorRange(entry["dtype"], entry["qmin"], entry["qmax"])


@functools.lru_cache(maxsize=None)
def rules():
    """Builtin op name -> OpRule, for every op the converter quantizes."""
    return {name: _rule(name, entry) for name, entry in _table()["ops"].items()}


@functools.lru_cache(maxsize=None)
def interface_rules():
    """QUANTIZE and DEQUANTIZE: the ops the converter adds at the model's edges.
    Their inputs/outputs list the dtypes allowed at each position."""
    return {name: _rule(name, entry) for name, entry in _table()["interface_ops"].items()}


def _rule(name, entry):
    fixed = entry.get("fixed_output")
    return OpRule(
        opcode=name,
        inputs=tuple(_hashable(r) for r in entry["inputs"]),
        outputs=tuple(_hashable(r) for r in entry["outputs"]),
        version=entry["version"],
        version_rules=tuple((c, v) for c, v in entry.get("version_rules", ())),
        also_valid=tuple(entry.get("also_valid", ())),
        variadic=entry.get("variadic", False),
        inputs_share_output=entry.get("inputs_share_output", False),
        weight_axis=entry.get("weight_axis"),
        fixed_output=None if fixed is None else (float(fixed[0]), int(fixed[1])))


def _hashable(role):
    return tuple(role) if isinstance(role, list) else role


def min_runtime(opcode, version):
    """The oldest TFLite runtime that has this op at this version, or None if unknown."""
    return _table()["min_runtime"].get(opcode, {}).get(str(version))


def is_float_op(graph, op):
    """Whether the op reads or writes a float32 tensor: such ops need an int8 rule.
    Integer-only ops (shape arithmetic left by the cleanup passes) stay as they are."""
    return any(graph.tensors[t].dtype == FLOAT for t in op.inputs + op.outputs if t >= 0)


_QUANTIZED_TYPES = ("int8", "uint8", "int16")


def _quantized_tensor(model, graph):
    """(op index, op, tensor) for the first quantized tensor that shows the model is already
    quantized, or None: a constant of a quantized type (weights), or one an op other than
    QUANTIZE/DEQUANTIZE reads or writes (integer compute). Those two ops alone, converting at
    the interface, are not a sign: a float model may take uint8 through DEQUANTIZE."""
    for index, op in enumerate(graph.operators):
        interface = op.opcode in ("QUANTIZE", "DEQUANTIZE")
        for t in op.inputs + op.outputs:
            tensor = graph.tensors[t] if t >= 0 else None
            if tensor is not None and tensor.dtype in _QUANTIZED_TYPES and (
                    not interface or model.tensor_data(tensor) is not None):
                return index, op, tensor
    return None


def require_supported(model):
    """Raise UnsupportedOpError naming every float op type without an int8 rule, with counts,
    or the first op whose weights or bias are not constants (int8 needs them fixed); a
    LitequantError if the model is already quantized (int8 ops or weights, whatever float ops
    remain at its interface) or has no float op at all (nothing to quantize)."""
    graph = model.subgraphs[0]
    found = _quantized_tensor(model, graph)
    if found is not None:
        index, op, tensor = found
        raise LitequantError(f"op {index} ({op.opcode}) has {tensor.dtype} tensor "
                             f"{tensor.name!r}: is the model already quantized?")
    if not any(is_float_op(graph, op) for op in graph.operators):
        raise LitequantError("no float32 operator to quantize (is the model already quantized?)")
    missing = {}
    for op in graph.operators:
        if op.opcode not in rules() and is_float_op(graph, op):
            missing[op.opcode] = missing.get(op.opcode, 0) + 1
    if missing:
        listed = ", ".join(f"{name} ({count})" for name, count in sorted(missing.items()))
        raise UnsupportedOpError(f"no int8 quantization for {listed}")
    for index, op in enumerate(graph.operators):
        rule = rules().get(op.opcode)
        for position, t in enumerate(op.inputs):
            role = rule.input_role(position) if rule else None
            if role in ("weight", "bias") and t >= 0 and model.tensor_data(graph.tensors[t]) is None:
                raise UnsupportedOpError(
                    f"op {index} ({op.opcode}): {role} {graph.tensors[t].name!r} is computed at "
                    "run time; int8 quantization needs it constant")
