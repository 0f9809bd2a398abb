"""The in-memory model: what a .tflite file says, as plain Python objects passes can edit.

Model -> subgraphs -> operators and tensors; tensors name buffers by index (buffer 0 is the
empty sentinel every TFLite file starts with). Constant data stays a numpy view over the file.
Operators carry their op name and version directly; the writer rebuilds the operator-code table.
"""
import dataclasses
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Tuple

import numpy as np

from litequant.errors import ModelFormatError

# TensorType member names lowercased are numpy dtype names for every numeric type.
NUMPY_TYPES = ("float32", "float16", "float64", "int8", "uint8", "int16", "uint16",
               "int32", "uint32", "int64", "uint64", "bool", "complex64", "complex128")


def _arrays_equal(a, b):
    if a is None or b is None:
        return a is None and b is None
    return a.dtype == b.dtype and np.array_equal(a, b)


@dataclass(eq=False)
class Buffer:
    """Raw bytes of a constant (uint8 array, usually a read-only view over the file) or None."""
    data: Optional[np.ndarray] = None

    def __eq__(self, other):
        return isinstance(other, Buffer) and _arrays_equal(self.data, other.data)

    @property
    def nbytes(self):
        return 0 if self.data is None else self.data.size


@dataclass(eq=False)
class QuantParams:
    """r = scale * (q - zero_point); one entry per tensor, or per slice along quantized_dimension."""
    scale: np.ndarray
    zero_point: np.ndarray
    quantized_dimension: int = 0
    min: Optional[np.ndarray] = None
    max: Optional[np.ndarray] = None

    def __post_init__(self):
        self.scale = np.asarray(self.scale, np.float32).reshape(-1)
        self.zero_point = np.asarray(self.zero_point, np.int64).reshape(-1)

    @property
    def per_axis(self):
        return self.scale.size > 1

    def __eq__(self, other):
        return (isinstance(other, QuantParams)
                and self.quantized_dimension == other.quantized_dimension
                and all(_arrays_equal(getattr(self, f), getattr(other, f))
                        for f in ("scale", "zero_point", "min", "max")))


@dataclass
class Tensor:
    name: str
    dtype: str                      # "float32", "int8", ... (TensorType name lowercased)
    shape: Tuple[int, ...]
    buffer: int = 0                 # index into Model.buffers; 0 = no constant data
    shape_signature: Optional[Tuple[int, ...]] = None   # with -1 for dynamic dims
    quantization: Optional[QuantParams] = None
    is_variable: bool = False
    sparsity: Optional[dict] = None
    has_rank: bool = False

    @property
    def signature(self):
        """The shape with -1 where a dimension is dynamic."""
        return self.shape_signature if self.shape_signature is not None else self.shape


@dataclass
class Operator:
    opcode: str                     # builtin name ("CONV_2D") or "CUSTOM"
    inputs: List[int]               # tensor indices; -1 marks an omitted optional input
    outputs: List[int]
    options: dict = field(default_factory=dict)   # builtin options as plain fields
    options_type: Optional[str] = None            # the options table, e.g. "Conv2DOptions"
    version: int = 1
    custom_code: Optional[str] = None
    custom_options: Optional[bytes] = None
    intermediates: List[int] = field(default_factory=list)
    extra: dict = field(default_factory=dict)     # rarely used fields, kept for the writer


@dataclass
class Subgraph:
    tensors: List[Tensor] = field(default_factory=list)
    operators: List[Operator] = field(default_factory=list)
    inputs: List[int] = field(default_factory=list)
    outputs: List[int] = field(default_factory=list)
    name: str = ""


@dataclass
class SignatureDef:
    key: str
    inputs: Dict[str, int]          # signature name -> tensor index, in file order
    outputs: Dict[str, int]
    subgraph_index: int = 0


@dataclass
class Model:
    subgraphs: List[Subgraph] = field(default_factory=list)
    buffers: List[Buffer] = field(default_factory=lambda: [Buffer()])
    signature_defs: List[SignatureDef] = field(default_factory=list)
    metadata: List[Tuple[str, int]] = field(default_factory=list)   # (name, buffer index)
    description: str = ""
    version: int = 3

    def tensor_data(self, tensor):
        """A constant tensor's values as a numpy view of its buffer, or None for activations.
        A sparse tensor's buffer holds only its stored values, so they come back flat (1-D);
        interpreter.kernels.densify expands them to `tensor.shape`."""
        if not self.is_constant(tensor):
            return None
        values = self.buffers[tensor.buffer].data.view(np.dtype(tensor.dtype))
        return values if tensor.sparsity is not None else values.reshape(tensor.shape)

    def is_constant(self, tensor):
        """Whether tensor_data gives values: the tensor's buffer holds data of a numeric type."""
        data = self.buffers[tensor.buffer].data if tensor.buffer < len(self.buffers) else None
        return data is not None and data.size > 0 and tensor.dtype in NUMPY_TYPES

    def interface_names(self, kind, subgraph_index=0):
        """(tensor name, signature name or None) of each of a subgraph's "inputs" or "outputs",
        in order: the names a caller may give that tensor by."""
        graph = self.subgraphs[subgraph_index]
        aliases = {t: name for s in self.signature_defs if s.subgraph_index == subgraph_index
                   for name, t in getattr(s, kind).items()}
        return [(graph.tensors[t].name, aliases.get(t)) for t in getattr(graph, kind)]

    def interface_keys(self, kind, keys, subgraph_index=0):
        """For each of a subgraph's "inputs" or "outputs" in order, which of `keys` names it:
        its tensor name, else its signature name, else None."""
        return [name if name in keys else alias if alias in keys else None
                for name, alias in self.interface_names(kind, subgraph_index)]

    def add_buffer(self, array):
        """Append a buffer holding `array`'s bytes; returns its index."""
        data = np.frombuffer(np.ascontiguousarray(array).tobytes(), np.uint8)
        self.buffers.append(Buffer(data))
        return len(self.buffers) - 1

    def clone(self):
        """A deep copy of the structure that still shares the (read-only) buffer data."""
        copy = dataclasses.replace(self, buffers=[Buffer(b.data) for b in self.buffers])
        copy.subgraphs = [dataclasses.replace(
            g, tensors=[dataclasses.replace(t) for t in g.tensors],
            operators=[dataclasses.replace(o, inputs=list(o.inputs), outputs=list(o.outputs),
                                           options=dict(o.options)) for o in g.operators],
            inputs=list(g.inputs), outputs=list(g.outputs)) for g in self.subgraphs]
        copy.signature_defs = [dataclasses.replace(s, inputs=dict(s.inputs), outputs=dict(s.outputs))
                               for s in self.signature_defs]
        copy.metadata = list(self.metadata)
        return copy


def dedupe_buffers(model):
    """Point tensors with byte-identical constant data at one buffer. Returns how many merged."""
    first = {}
    remap = {}
    for index, buffer in enumerate(model.buffers):
        if index == 0 or buffer.data is None or buffer.data.size == 0:
            continue
        key = (buffer.data.size, buffer.data.tobytes())
        remap[index] = first.setdefault(key, index)
    for graph in model.subgraphs:
        for tensor in graph.tensors:
            tensor.buffer = remap.get(tensor.buffer, tensor.buffer)
    return sum(1 for old, new in remap.items() if old != new)


def prune_buffers(model):
    """Drop buffers no tensor or metadata entry uses, renumbering the rest. Returns how many."""
    used = {0} | {b for _, b in model.metadata}
    used |= {t.buffer for g in model.subgraphs for t in g.tensors}
    keep = [i for i in range(len(model.buffers)) if i in used]
    renumber = {old: new for new, old in enumerate(keep)}
    dropped = len(model.buffers) - len(keep)
    model.buffers = [model.buffers[i] for i in keep]
    for graph in model.subgraphs:
        for tensor in graph.tensors:
            tensor.buffer = renumber[tensor.buffer]
    model.metadata = [(name, renumber[b]) for name, b in model.metadata]
    return dropped


def consumers(graph):
    """Tensor index -> indices of the operators that read it."""
    readers = {}
    for op_index, op in enumerate(graph.operators):
        for t in op.inputs:
            if t >= 0:
                readers.setdefault(t, []).append(op_index)
    return readers


def producers(graph):
    """Tensor index -> index of the operator that writes it."""
    return {t: i for i, op in enumerate(graph.operators) for t in op.outputs if t >= 0}


def replace_input(graph, old, new):
    """Make every operator that reads tensor `old` read `new` instead. Returns how many reads moved.
    Graph outputs and signatures are left alone: they are the model's interface."""
    moved = 0
    for op in graph.operators:
        for position, t in enumerate(op.inputs):
            if t == old:
                op.inputs[position] = new
                moved += 1
    return moved


def remove_operators(graph, indices):
    """Delete the operators at `indices`; their tensors stay until remove_tensors drops them."""
    doomed = set(indices)
    graph.operators = [op for i, op in enumerate(graph.operators) if i not in doomed]
    return len(doomed)


def referenced_tensors(model, subgraph_index):
    """Indices of the tensors an operator, the subgraph's interface or a signature names."""
    graph = model.subgraphs[subgraph_index]
    used = set(graph.inputs) | set(graph.outputs)
    for op in graph.operators:
        used.update(op.inputs, op.outputs, op.intermediates)
    for signature in model.signature_defs:
        if signature.subgraph_index == subgraph_index:
            used.update(signature.inputs.values(), signature.outputs.values())
    used.discard(-1)
    return used


def remove_tensors(model, subgraph_index, indices):
    """Delete unreferenced tensors of one subgraph, renumbering every reference to the rest
    (operator inputs, outputs and intermediates, subgraph inputs/outputs, signature defs).
    Buffers stay; prune_buffers drops the ones left unused. Returns how many were removed."""
    graph = model.subgraphs[subgraph_index]
    doomed = set(indices)
    still_used = doomed & referenced_tensors(model, subgraph_index)
    if still_used:
        first = graph.tensors[min(still_used)]
        raise ModelFormatError(f"subgraph {subgraph_index}: cannot remove tensor {min(still_used)} "
                               f"({first.name}): still referenced")
    keep = [i for i in range(len(graph.tensors)) if i not in doomed]
    renumber = {old: new for new, old in enumerate(keep)}
    renumber[-1] = -1
    graph.tensors = [graph.tensors[i] for i in keep]
    for op in graph.operators:
        op.inputs = [renumber[t] for t in op.inputs]
        op.outputs = [renumber[t] for t in op.outputs]
        op.intermediates = [renumber[t] for t in op.intermediates]
    graph.inputs = [renumber[t] for t in graph.inputs]
    graph.outputs = [renumber[t] for t in graph.outputs]
    for signature in model.signature_defs:
        if signature.subgraph_index == subgraph_index:
            signature.inputs = {name: renumber[t] for name, t in signature.inputs.items()}
            signature.outputs = {name: renumber[t] for name, t in signature.outputs.items()}
    return len(doomed)
