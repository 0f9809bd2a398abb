""".tflite bytes -> ir.Model, validating as it goes.

A path is memory-mapped, so constant tensors are views over the file, never copies. Large models
keep buffer data after the flatbuffer (Buffer.offset/size, offsets from the start of the file);
both forms read the same way.
"""
import mmap
import os

import numpy as np

from litequant import ir, spec
from litequant.errors import LitequantError, ModelFormatError
from litequant.format.flatbuf import Decoder

FILE_IDENTIFIER = b"TFL3"
# Far beyond any model this tool is for; a shape asking for more is damage, not a model.
MAX_TENSOR_BYTES = 1 << 34
_OPERATOR_FIELDS = {"opcode_index", "inputs", "outputs", "builtin_options_type",
                    "builtin_options", "custom_options", "intermediates"}
_ITEMSIZE = {name: np.dtype(name).itemsize for name in ir.NUMPY_TYPES}


def read(source):
    """Read a model from a path or from bytes. Raises ModelFormatError naming the file."""
    if isinstance(source, (bytes, bytearray, memoryview)):
        return _read_bytes(source, "<bytes>")
    path = os.fspath(source)
    try:
        with open(path, "rb") as f:
            size = os.fstat(f.fileno()).st_size
            data = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) if size else b""
    except OSError as e:
        raise ModelFormatError(f"cannot open: {e.strerror}", source=path) from None
    return _read_bytes(data, path)


def _read_bytes(data, name):
    try:
        return _decode(data)
    except LitequantError as e:
        e.source = e.source or name
        raise


def _decode(data):
    if len(data) == 0:
        raise ModelFormatError("file is empty")
    if len(data) < 8:
        raise ModelFormatError(f"file is truncated ({len(data)} bytes)")
    ident = bytes(data[4:8])
    if ident != FILE_IDENTIFIER:
        raise ModelFormatError(f"not a TFLite flatbuffer (identifier {ident!r}, expected b'TFL3')")
    decoder = Decoder(data)
    raw = decoder.root("Model")
    buffers = [_buffer(decoder, i, b) for i, b in enumerate(raw["buffers"] or [])] or [ir.Buffer()]
    opcodes = [_opcode(i, c) for i, c in enumerate(raw["operator_codes"] or [])]
    subgraphs = [_subgraph(i, g, opcodes, buffers) for i, g in enumerate(raw["subgraphs"] or [])]
    if not subgraphs:
        raise ModelFormatError("model has no subgraphs")
    model = ir.Model(
        subgraphs=subgraphs, buffers=buffers,
        signature_defs=[_signature(s, subgraphs) for s in raw["signature_defs"] or []],
        metadata=[(m["name"] or "", _index(m["buffer"], len(buffers), f"metadata {m['name']!r} buffer"))
                  for m in raw["metadata"] or []],
        description=raw["description"] or "", version=raw["version"])
    return model


def _index(value, bound, what, optional=False):
    value = int(value)
    if optional and value == -1:
        return value
    if not 0 <= value < bound:
        raise ModelFormatError(f"{what}: index {value} out of range (0..{bound - 1})")
    return value


def _buffer(decoder, index, raw):
    if raw["data"] is not None:
        return ir.Buffer(raw["data"])
    offset, size = raw["offset"], raw["size"]
    if offset > 1:   # 0 and 1 both mean "no external data" in files written by TFLite
        decoder.need(offset, size, f"buffer {index}")
        return ir.Buffer(np.frombuffer(decoder.buf, np.uint8, size, offset))
    return ir.Buffer()


def _opcode(index, raw):
    code = max(raw["deprecated_builtin_code"], raw["builtin_code"])
    name = spec.enum_names("BuiltinOperator").get(code)
    if name is None:
        raise ModelFormatError(f"operator code {index}: unknown builtin operator {code}")
    return name, raw["version"], raw["custom_code"]


def _subgraph(index, raw, opcodes, buffers):
    where = f"subgraph {index}"
    tensors = [_tensor(f"{where} tensor {i}", t, buffers) for i, t in enumerate(raw["tensors"] or [])]
    n = len(tensors)
    operators = [_operator(f"{where} op {i}", o, opcodes, n) for i, o in enumerate(raw["operators"] or [])]
    return ir.Subgraph(
        tensors=tensors, operators=operators,
        inputs=[_index(t, n, f"{where} input") for t in _ints(raw["inputs"])],
        outputs=[_index(t, n, f"{where} output") for t in _ints(raw["outputs"])],
        name=raw["name"] or "")


def _ints(vector):
    return [] if vector is None else [int(v) for v in vector]


def _tensor(where, raw, buffers):
    dtype = spec.enum_names("TensorType").get(raw["type"])
    if dtype is None:
        raise ModelFormatError(f"{where}: unknown tensor type {raw['type']}")
    name = raw["name"] or ""
    where = f"{where} ({name})"
    shape = tuple(_ints(raw["shape"]))
    if any(d < 0 for d in shape):
        raise ModelFormatError(f"{where}: negative dimension in shape {list(shape)}")
    dtype = dtype.lower()
    nbytes = int(np.prod(shape, dtype=np.float64)) * _ITEMSIZE.get(dtype, 1)
    if nbytes > MAX_TENSOR_BYTES:
        raise ModelFormatError(f"{where}: shape {list(shape)} would need {nbytes} bytes")
    signature = raw["shape_signature"]
    buffer = _index(raw["buffer"], len(buffers), f"{where} buffer")
    sparsity = _plain(raw["sparsity"])
    if sparsity is None and dtype in _ITEMSIZE:
        _require_constant_size(where, buffer, buffers[buffer], shape, dtype, nbytes)
    return ir.Tensor(
        name=name, dtype=dtype, shape=shape, buffer=buffer,
        shape_signature=None if signature is None else tuple(_ints(signature)),
        quantization=_quantization(where, raw["quantization"]),
        is_variable=bool(raw["is_variable"]),
        sparsity=sparsity,
        has_rank=bool(raw["has_rank"]))


def _require_constant_size(where, index, buffer, shape, dtype, nbytes):
    """A dense constant holds exactly its shape's bytes (TFLite refuses any other count); an
    empty buffer marks an activation. A sparse constant holds only its stored values."""
    if buffer.nbytes and buffer.nbytes != nbytes:
        raise ModelFormatError(f"{where}: buffer {index} holds {buffer.nbytes} bytes, "
                               f"{dtype} {list(shape)} needs {nbytes}")


def _quantization(where, raw):
    if raw is None or raw["scale"] is None or raw["scale"].size == 0:
        return None
    scale, zero_point = raw["scale"], raw["zero_point"]
    if zero_point is None:
        zero_point = np.zeros(scale.size, np.int64)
    if zero_point.size != scale.size:
        # TFLite refuses such a tensor too: each scale needs its zero point
        raise ModelFormatError(f"{where}: {scale.size} quantization scales but {zero_point.size} zero points")
    return ir.QuantParams(
        scale=scale, zero_point=zero_point,
        quantized_dimension=raw["quantized_dimension"], min=raw["min"], max=raw["max"])


def _operator(where, raw, opcodes, n_tensors):
    opcode, version, custom_code = opcodes[_index(raw["opcode_index"], len(opcodes), f"{where} opcode")]
    where = f"{where} ({opcode})"
    options_type, options = raw["builtin_options"] or (None, {})
    custom = raw["custom_options"]
    return ir.Operator(
        opcode=opcode, version=version, custom_code=custom_code,
        inputs=[_index(t, n_tensors, f"{where} input", optional=True) for t in _ints(raw["inputs"])],
        outputs=[_index(t, n_tensors, f"{where} output") for t in _ints(raw["outputs"])],
        options={k: _named(k, v) for k, v in options.items()}, options_type=options_type,
        custom_options=None if custom is None else bytes(custom),
        intermediates=_ints(raw["intermediates"]),
        extra=_extra(raw))


def _extra(raw):
    """Operator fields litequant does not interpret, kept when they are set to something."""
    defaults = {f: d for f, _s, _k, _t, d in spec.tables()["Operator"]}
    return {k: _plain(v) for k, v in raw.items()
            if k not in _OPERATOR_FIELDS and v is not None and not (np.isscalar(v) and v == defaults[k])}


def _named(field, value):
    """Enum-valued option fields become their member names ("SAME", "RELU6")."""
    enum = spec.enum_field(field)
    if enum is not None and isinstance(value, int):
        return spec.enum_names(enum).get(value, value)
    return _plain(value)


def _plain(value):
    """Options and sparsity as plain Python values (lists, not numpy views)."""
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, tuple):
        return value[0], _plain(value[1])
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _signature(raw, subgraphs):
    key = raw["signature_key"] or ""
    graph = _index(raw["subgraph_index"], len(subgraphs), f"signature {key!r} subgraph")
    n = len(subgraphs[graph].tensors)

    def names(maps):
        return {m["name"] or "": _index(m["tensor_index"], n, f"signature {key!r} tensor")
                for m in maps or []}
    return ir.SignatureDef(key=key, inputs=names(raw["inputs"]), outputs=names(raw["outputs"]),
                           subgraph_index=graph)
