"""Does a model follow the full-integer int8 spec? The rules are schema/int8_spec.json's.

check(model) returns one Violation per broken rule (an empty list means the model passes):
activations int8 per-tensor with a zero point in range; weights constant int8, per-axis on the
op's weight dimension, symmetric, within [-127, 127]; biases int32 with zero point 0 and scale
S_in * S_w[c]; fixed and shared output parameters; every quantized op at the version the spec
gives; QUANTIZE / DEQUANTIZE only between the types the spec allows; no float op left inside;
the min_runtime_version metadata, when present, no older than the ops need; and first, that
each operator has the operands its op takes (schema/ops.json).
Used by `litequant check` and by the converter's tests.
"""
import os
import re
from dataclasses import dataclass
from typing import Optional

import numpy as np

from litequant import format as tflite_format
from litequant import ir, spec
from litequant.conversion import rules
from litequant.conversion.passes import set_op_versions

# TFLite's own tolerance when it compares a bias scale with S_in * S_w (kernel_util.cc)
BIAS_SCALE_RTOL = 1e-6
_UINT8_RANGE = (0, 255)
_VERSION = re.compile(r"\d+(\.\d+)*")


@dataclass(frozen=True)
class Violation:
    message: str
    op_index: Optional[int] = None
    opcode: Optional[str] = None

    def __str__(self):
        return self.message if self.op_index is None else f"op {self.op_index} ({self.opcode}): {self.message}"


def check(model):
    """model: path, bytes or ir.Model. Returns the list of violations (empty: the model passes)."""
    if isinstance(model, (str, os.PathLike, bytes, bytearray, memoryview)):
        model = tflite_format.read(model)
    found = []
    for graph in model.subgraphs:
        for index, op in enumerate(graph.operators):
            found += [Violation(m, index, op.opcode) for m in _op_violations(model, graph, op)]
    found += _runtime_violations(model)
    return found


def _op_violations(model, graph, op):
    problem = spec.operand_problem(op.opcode, op.inputs, op.outputs)
    if problem:
        return [problem]    # the checks below read the operands by position
    if op.opcode in rules.interface_rules():
        return _interface_violations(graph, op, rules.interface_rules()[op.opcode])
    rule = rules.rules().get(op.opcode)
    if rule is None:
        if rules.is_float_op(graph, op):
            return ["float op without an int8 rule in a full-integer model"]
        return []
    if not _is_quantized_op(graph, op):
        return []
    problems = []
    for position, t in enumerate(op.inputs):
        role = rule.input_role(position)
        if t >= 0 and role is not None:
            problems += [f"input {position} ({graph.tensors[t].name}): {m}"
                         for m in _role_violations(model, graph, op, rule, role, t)]
    for position, t in enumerate(op.outputs):
        role = rule.output_role(position)
        if role is not None:
            problems += [f"output {position} ({graph.tensors[t].name}): {m}"
                         for m in _output_violations(graph, op, rule, role, t)]
    if rule.inputs_share_output:
        problems += _shared_violations(graph, op, rule)
    problems += _version_violations(graph, op, rule)
    return problems


def _version_violations(graph, op, rule):
    expected = set_op_versions.expected_version(graph, op)
    if expected is None or op.version == expected or op.version in rule.also_valid:
        return []
    return [f"version {op.version}, the spec gives {expected}"]


def _is_quantized_op(graph, op):
    """Ops the spec covers, unless they only move integers (shape arithmetic stays int32)."""
    touched = [graph.tensors[t].dtype for t in op.inputs + op.outputs if t >= 0]
    return any(d in ("float32", "int8", "uint8") for d in touched)


def _role_violations(model, graph, op, rule, role, t):
    tensor = graph.tensors[t]
    if role == "activation":
        return _activation_violations(tensor)
    if role == "weight":
        return _weight_violations(model, tensor, rule.weight_axis)
    if role == "bias":
        return _bias_violations(model, graph, op, rule, tensor)
    return _integer_violations(tensor)


def _output_violations(graph, op, rule, role, t):
    tensor = graph.tensors[t]
    if role == "int":
        return _integer_violations(tensor)
    problems = _activation_violations(tensor)
    if problems:
        return problems
    params = _params(tensor)
    if role == "fixed" and params != rule.fixed_output:
        return [f"scale {params[0]!r} and zero point {params[1]}, the kernel needs "
                f"{rule.fixed_output[0]!r} and {rule.fixed_output[1]}"]
    if role == "same_as_input":
        source = graph.tensors[op.inputs[0]]
        if source.quantization is not None and params != _params(source):
            return [f"scale/zero point {params} differ from input 0's {_params(source)} "
                    "(the kernel does not rescale)"]
    return []


def _shared_violations(graph, op, rule):
    wanted = _params(graph.tensors[op.outputs[0]]) if graph.tensors[op.outputs[0]].quantization else None
    problems = []
    for position, t in enumerate(op.inputs):
        tensor = graph.tensors[t] if t >= 0 else None
        if tensor is not None and tensor.quantization is not None and wanted is not None \
                and _params(tensor) != wanted:
            problems.append(f"input {position} ({tensor.name}): scale/zero point {_params(tensor)} "
                            f"differ from the output's {wanted} (the int8 kernel does not rescale)")
    return problems


def _params(tensor):
    q = tensor.quantization
    return float(q.scale[0]), int(q.zero_point[0])


def _activation_violations(tensor, dtype=None, limits=None):
    limits = limits or rules.tensor_range("activation")
    dtype = dtype or limits.dtype
    if tensor.dtype != dtype:
        return [f"{tensor.dtype}, expected {dtype}"]
    q = tensor.quantization
    if q is None or q.scale.size == 0:
        return ["no quantization parameters"]
    if q.per_axis:
        return [f"quantized per axis ({q.scale.size} scales), activations are per-tensor"]
    problems = _scale_violations(q.scale)
    if not limits.qmin <= q.zero_point[0] <= limits.qmax:
        problems.append(f"zero point {q.zero_point[0]} outside [{limits.qmin}, {limits.qmax}]")
    return problems


def _scale_violations(scale):
    if not (np.isfinite(scale).all() and (scale > 0).all()):
        return [f"scale {scale.tolist()[:4]} not all finite and positive"]
    return []


def _constant_violations(model, tensor, role, noun):
    """What stops a weight or bias from being read as one: not constant, wrong type, no scales."""
    limits = rules.tensor_range(role)
    if model.tensor_data(tensor) is None:
        return [f"{noun} not a constant"]
    if tensor.dtype != limits.dtype:
        return [f"{tensor.dtype}, expected {limits.dtype}"]
    if tensor.quantization is None or tensor.quantization.scale.size == 0:
        return ["no quantization parameters"]
    return []


def _weight_violations(model, tensor, axis):
    unreadable = _constant_violations(model, tensor, "weight", "weights are")
    if unreadable:
        return unreadable
    limits, data, q = rules.tensor_range("weight"), model.tensor_data(tensor), tensor.quantization
    if axis >= len(tensor.shape):
        return [f"shape {list(tensor.shape)} has no dim {axis}, the op's channel dimension"]
    problems = []
    channels = tensor.shape[axis]
    if q.quantized_dimension != axis or q.scale.size != channels:
        problems.append(f"{q.scale.size} scale(s) along dim {q.quantized_dimension}, expected "
                        f"{channels} along dim {axis}")
    problems += _scale_violations(q.scale)
    if (q.zero_point != 0).any():
        problems.append("zero points not all 0 (weights are symmetric)")
    if data.size and (data.min() < limits.qmin or data.max() > limits.qmax):
        problems.append(f"values outside [{limits.qmin}, {limits.qmax}]")
    return problems


def _bias_violations(model, graph, op, rule, tensor):
    unreadable = _constant_violations(model, tensor, "bias", "bias is")
    if unreadable:
        return unreadable
    q = tensor.quantization
    problems = []
    if (q.zero_point != 0).any():
        problems.append("zero points not all 0")
    source = graph.tensors[op.inputs[0]].quantization
    weights = graph.tensors[op.inputs[rule.inputs.index("weight")]].quantization
    if source is None or weights is None or source.scale.size != 1:
        return problems
    with np.errstate(all="ignore"):     # a nan or zero scale compares unequal, no warning
        expected = np.float64(source.scale[0]) * weights.scale.astype(np.float64)
        if q.scale.size != expected.size:
            return problems + [f"{q.scale.size} scale(s), the weights have {expected.size}"]
        close = np.allclose(q.scale, expected, rtol=BIAS_SCALE_RTOL, atol=0)
        worst = int(np.argmax(np.abs(q.scale - expected) / expected)) if not close else 0
    if not close:
        problems.append(f"scale[{worst}] {float(q.scale[worst])!r} is not input scale * weight "
                        f"scale = {float(expected[worst])!r}")
    return problems


def _integer_violations(tensor):
    if tensor.dtype in ir.NUMPY_TYPES and np.dtype(tensor.dtype).kind in "iu":
        return []
    return [f"{tensor.dtype}, expected integers (this input is not a real value)"]


def _interface_violations(graph, op, rule):
    problems = []
    for kind, positions, allowed_per_position in (("input", op.inputs, rule.inputs),
                                                  ("output", op.outputs, rule.outputs)):
        for position, (t, allowed) in enumerate(zip(positions, allowed_per_position)):
            tensor = graph.tensors[t]
            if tensor.dtype not in allowed:
                problems.append(f"{kind} {position} ({tensor.name}): {tensor.dtype}, expected one "
                                f"of {list(allowed)}")
            elif tensor.dtype == "uint8":
                problems += [f"{kind} {position} ({tensor.name}): {m}" for m in _activation_violations(
                    tensor, "uint8", rules.TensorRange("uint8", *_UINT8_RANGE))]
            elif tensor.dtype == "int8":
                problems += [f"{kind} {position} ({tensor.name}): {m}"
                             for m in _activation_violations(tensor)]
    return problems + _version_violations(graph, op, rule)


def _runtime_violations(model):
    stored = set_op_versions.metadata_text(model)
    needed = set_op_versions.min_runtime_version(model)
    if stored is None or not needed:
        return []
    if not _VERSION.fullmatch(stored):
        return [Violation(f"metadata min_runtime_version {stored!r} is not a version number")]
    if set_op_versions.version_key(stored) < set_op_versions.version_key(needed):
        return [Violation(f"metadata min_runtime_version {stored!r} is older than {needed!r}, "
                          "which the operators' versions need")]
    return []
