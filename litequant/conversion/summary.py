"""What a conversion did: quantized ops by type, size before -> after, SQNR of each output.

SQNR compares the int8 model with the float model on the same samples, both run by litequant's
interpreter: 10 * log10(sum f^2 / sum (f - q)^2) over all samples, f the float output and q
the int8 output dequantized. Each 6 dB is about one bit of agreement; a well-quantized model
lands around 30-45 dB, and a broken one near or below 0.
"""
import os
from dataclasses import dataclass, field
from typing import Dict

import numpy as np

from litequant import fixedpoint
from litequant import format as tflite_format
from litequant import ir
from litequant.conversion import pipeline, qparams
from litequant.conversion.dataset import Samples
from litequant.interpreter import Interpreter

SAMPLES = 16            # enough for a stable SQNR, few enough to cost a fraction of calibration
_INTERFACE = ("QUANTIZE", "DEQUANTIZE")
_QUANTIZED = ("int8", "uint8")


@dataclass
class Summary:
    ops: Dict[str, int]                 # quantized op type -> count
    interface_ops: Dict[str, int]       # QUANTIZE / DEQUANTIZE added at the edges
    bytes_before: int
    bytes_after: int
    sqnr_db: Dict[str, float] = field(default_factory=dict)    # output name -> dB
    samples: int = 0                    # how many samples the SQNR is measured on

    def __str__(self):
        ops = ", ".join(f"{name} {count}" for name, count in self.ops.items())
        lines = [f"quantized {sum(self.ops.values())} ops: {ops}"]
        if self.interface_ops:
            edges = ", ".join(f"{name} {count}" for name, count in self.interface_ops.items())
            lines[0] += f" (+ {edges} at the interface)"
        ratio = self.bytes_after / self.bytes_before if self.bytes_before else float("nan")
        lines.append(f"size: {self.bytes_before:,} -> {self.bytes_after:,} bytes ({ratio:.1%})")
        if self.sqnr_db:
            values = ", ".join(f"{name} {db:.1f} dB" for name, db in self.sqnr_db.items())
            lines.append(f"SQNR against the float model on {self.samples} samples: {values}")
        return "\n".join(lines)


def summarize(float_model, int8_model, dataset=None, samples=SAMPLES):
    """float_model, int8_model: paths, bytes or ir.Models. dataset: any form convert() takes;
    the SQNR uses its first `samples` samples (no SQNR without a dataset)."""
    before, after = _load(float_model), _load(int8_model)
    ops, edges = _op_counts(after)
    summary = Summary(ops, edges, _size(float_model, before), _size(int8_model, after))
    if dataset is not None:
        data = Samples(dataset, before, limit=samples)
        summary.sqnr_db = sqnr(before, after, data)
        summary.samples = data.count
    return summary


def _load(model):
    return model if isinstance(model, ir.Model) else tflite_format.read(model)


def _size(source, model):
    if isinstance(source, (str, os.PathLike)):
        return os.path.getsize(source)
    if isinstance(source, (bytes, bytearray, memoryview)):
        return len(source)
    return len(tflite_format.write(model))


def _op_counts(model):
    graph = model.subgraphs[0]
    ops, edges = {}, {}
    for op in graph.operators:
        tensors = [graph.tensors[t] for t in op.inputs[:1] + op.outputs[:1] if t >= 0]
        if any(t.dtype in _QUANTIZED for t in tensors):
            counts = edges if op.opcode in _INTERFACE else ops
            counts[op.opcode] = counts.get(op.opcode, 0) + 1
    return dict(sorted(ops.items(), key=lambda kv: -kv[1])), edges


def sqnr(float_model, int8_model, samples):
    """Output name -> SQNR in dB of int8_model against float_model over `samples` (float input
    lists, as dataset.Samples yields them). Integer model inputs are fed quantized samples."""
    reference = Interpreter.from_model(pipeline.cleaned(float_model))
    quantized = Interpreter.from_model(int8_model)
    graph = int8_model.subgraphs[0]
    inputs = [graph.tensors[t] for t in graph.inputs]
    outputs = [graph.tensors[t] for t in graph.outputs]
    signal = np.zeros(len(outputs))
    noise = np.zeros(len(outputs))
    for sample in samples:
        expected = reference.run(sample)
        got = quantized.run([_to_input(x, t) for x, t in zip(sample, inputs)])
        for k, (f, q, tensor) in enumerate(zip(expected, got, outputs)):
            f = f.astype(np.float64)
            signal[k] += np.sum(f * f)
            noise[k] += np.sum((f - _to_real(q, tensor)) ** 2)
    names = [alias or name for name, alias in int8_model.interface_names("outputs")]
    return {name: _decibels(s, n) for name, s, n in zip(names, signal, noise)}


def _to_input(values, tensor):
    if tensor.dtype not in _QUANTIZED:
        return values
    q = tensor.quantization
    info = np.iinfo(tensor.dtype)
    return fixedpoint.quantize(values, q.scale[0], q.zero_point[0], info.min, info.max)


def _to_real(values, tensor):
    if tensor.dtype not in _QUANTIZED:
        return values.astype(np.float64)
    q = tensor.quantization
    return qparams.dequantize(values, q.scale[0], q.zero_point[0]).astype(np.float64)


def _decibels(signal, noise):
    if noise == 0:
        return float("inf")
    if signal == 0:
        return float("-inf")
    return float(10 * np.log10(signal / noise))
