"""The model's interface type: float (as quantize_activations leaves it), int8 or uint8.

io="int8":
    float x -> [QUANTIZE] -> int8 x' -> ...  -> int8 y' -> [DEQUANTIZE] -> float y
becomes
    int8 x -> ... -> int8 y
The int8 tensors become the model's inputs and outputs, under the original names and
signature entries (the float ones are left for prune_unused).

io="uint8" (as TensorFlow writes it):
    uint8 x (S, Z + 128) -> [QUANTIZE] -> int8 x' (S, Z) -> ... -> int8 y' (S, Z)
            -> [QUANTIZE] -> uint8 y (S, Z + 128)
The same real values on a grid shifted by 128; LiteRT's QUANTIZE requantizes between the two.

Only the QUANTIZE/DEQUANTIZE pairs quantize_activations put at the edges change. Returns the
number of inputs and outputs retyped.
"""
from litequant import ir

IO_TYPES = ("float", "int8", "uint8")
UINT8_SHIFT = 128


def run(model, io="float"):
    if io not in IO_TYPES:
        raise ValueError(f"io must be one of {IO_TYPES}, got {io!r}")
    if io == "float":
        return 0
    graph = model.subgraphs[0]
    edges = _edges(graph)
    for op_index, outer, inner in edges:
        if io == "int8":
            _adopt(model, graph, outer, inner)
        else:
            _retype_uint8(graph, graph.operators[op_index], outer, inner)
    if io == "int8":
        ir.remove_operators(graph, [op_index for op_index, _, _ in edges])
    return len(edges)


def _edges(graph):
    """(op index, interface tensor, int8 twin) for each QUANTIZE after a float input and each
    DEQUANTIZE before a float output."""
    edges = []
    for index, op in enumerate(graph.operators):
        if op.opcode == "QUANTIZE" and op.inputs[0] in graph.inputs:
            outer, inner = op.inputs[0], op.outputs[0]
        elif op.opcode == "DEQUANTIZE" and op.outputs[0] in graph.outputs:
            outer, inner = op.outputs[0], op.inputs[0]
        else:
            continue
        if graph.tensors[outer].dtype == "float32" and graph.tensors[inner].dtype == "int8":
            edges.append((index, outer, inner))
    return edges


def _adopt(model, graph, outer, inner):
    """The int8 twin takes the interface tensor's place: slot, name and signature entries."""
    graph.inputs = [inner if t == outer else t for t in graph.inputs]
    graph.outputs = [inner if t == outer else t for t in graph.outputs]
    for signature in model.signature_defs:
        for names in (signature.inputs, signature.outputs):
            for name, t in names.items():
                if t == outer:
                    names[name] = inner
    graph.tensors[outer].name, graph.tensors[inner].name = (graph.tensors[inner].name,
                                                            graph.tensors[outer].name)


def _retype_uint8(graph, op, outer, inner):
    q = graph.tensors[inner].quantization
    tensor = graph.tensors[outer]
    tensor.dtype = "uint8"
    tensor.quantization = ir.QuantParams(scale=q.scale.copy(), zero_point=q.zero_point + UINT8_SHIFT)
    op.opcode, op.options, op.options_type = "QUANTIZE", {}, None
