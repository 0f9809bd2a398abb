"""Weights become per-channel symmetric int8, biases int32 on the accumulator's scale.

    int8 x -> [CONV_2D  float32 w [O, kh, kw, I], float32 b [O]] -> int8 y
becomes
    int8 x -> [CONV_2D  int8 w (scale[O], axis 0, zero point 0), int32 b (scale S_x * S_w[O])] -> int8 y

Runs after quantize_activations, since a bias's scale is the product of the op's input scale and
the weight scales. Per schema/int8_spec.json: CONV_2D and FULLY_CONNECTED weights are quantized
along dim 0, DEPTHWISE_CONV_2D along dim 3, onto the spec's "weight" range [-127, 127], biases onto
its "bias" range (int32); S_w[c] = max|w[c]| / 127 (qparams.weight_scales), raised where a bias
would overflow int32 otherwise. A constant read once is rewritten in place;
one shared by several ops gets one int8 copy per distinct quantization. Returns the number of
weight and bias tensors written.
"""
import numpy as np

from litequant import ir
from litequant.conversion import qparams, rules
from litequant.conversion.passes.quantize_activations import quantized_ops
from litequant.errors import UnsupportedOpError


def run(model):
    graph = model.subgraphs[0]
    readers = _reader_counts(graph)
    made = {}
    weight_range, bias_range = rules.tensor_range("weight"), rules.tensor_range("bias")
    for index, op, rule in _weighted_ops(model, graph):
        weight_position, bias_position = rule.inputs.index("weight"), rule.inputs.index("bias")
        weights = _constant(model, graph, index, op, weight_position, "weights")
        bias_index = op.inputs[bias_position] if bias_position < len(op.inputs) else -1
        # the kernels take a bias of any shape holding one value per channel ([O] or [O, 1])
        bias = None if bias_index < 0 else _constant(
            model, graph, index, op, bias_position, "bias").reshape(-1)
        input_scale = graph.tensors[op.inputs[0]].quantization.scale[0]
        scales = qparams.weight_scales(weights, rule.weight_axis, weight_range)
        if bias is not None:
            scales = qparams.widen_weight_scales_for_bias(scales, bias, input_scale, bias_range)
        op.inputs[weight_position] = _write(
            model, graph, op.inputs[weight_position], readers, made,
            qparams.quantize_weights(weights, scales, rule.weight_axis, weight_range), scales,
            rule.weight_axis)
        if bias is not None:
            with np.errstate(over="ignore"):        # refused below
                bias_scales = qparams.bias_scales(input_scale, scales)
            if not np.isfinite(bias_scales).all():
                raise UnsupportedOpError(
                    f"op {index} ({op.opcode}): cannot be quantized, the bias scale S_in * S_w "
                    f"overflows float32 (largest |weight| {np.abs(weights).max():.4g}, "
                    f"|bias| {np.abs(bias).max():.4g}, S_in {input_scale:.4g})")
            op.inputs[bias_position] = _write(
                model, graph, bias_index, readers, made,
                qparams.quantize_bias(bias, bias_scales, bias_range), bias_scales, 0)
    return len(made)


def _weighted_ops(model, graph):
    return [(i, op, rule) for i, op, rule in quantized_ops(graph) if "weight" in rule.inputs]


def _reader_counts(graph):
    counts = {}
    for op in graph.operators:
        for t in op.inputs:
            counts[t] = counts.get(t, 0) + 1
    for t in graph.outputs:
        counts[t] = counts.get(t, 0) + 1
    return counts


def _constant(model, graph, op_index, op, position, what):
    tensor = graph.tensors[op.inputs[position]]
    data = model.tensor_data(tensor)
    if data is None or tensor.sparsity is not None or tensor.dtype not in ("float32", "float16"):
        raise UnsupportedOpError(f"op {op_index} ({op.opcode}): {what} {tensor.name!r} must be a "
                                 f"dense float constant (got {tensor.dtype}"
                                 f"{'' if data is not None else ', not constant'})")
    return data.astype(np.float32)


def _write(model, graph, index, readers, made, values, scales, axis):
    """The index of a tensor holding `values` with per-axis `scales`: the original tensor when
    only this op reads it, else a copy (shared per identical result)."""
    key = (index, values.dtype.str, values.tobytes(), scales.tobytes())
    if key in made:
        return made[key]
    quantization = ir.QuantParams(scale=scales, zero_point=np.zeros(scales.size, np.int64),
                                  quantized_dimension=axis)
    tensor = graph.tensors[index]
    buffer = model.add_buffer(values)
    if readers.get(index, 0) == 1:
        tensor.dtype, tensor.buffer, tensor.quantization = values.dtype.name, buffer, quantization
        target = index
    else:
        graph.tensors.append(ir.Tensor(name=tensor.name, dtype=values.dtype.name,
                                       shape=tensor.shape, buffer=buffer, quantization=quantization))
        target = len(graph.tensors) - 1
    made[key] = target
    return target
