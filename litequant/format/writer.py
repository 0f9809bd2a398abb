"""ir.Model -> .tflite bytes (identifier TFL3), and an atomic save to disk.

Buffer data is aligned to 16 bytes so that runtimes may map weights in place. Operator codes are
rebuilt from the operators, in order of first use. A model whose constants would push the
flatbuffer past its 2 GiB offset limit keeps them after the flatbuffer (Buffer.offset/size),
as TFLite's own converter does.
"""
import os
import stat
import tempfile

import numpy as np

from litequant import ir, spec
from litequant.errors import LitequantError
from litequant.format.flatbuf import Encoder
from litequant.format.reader import FILE_IDENTIFIER

BUFFER_ALIGNMENT = 16
_FLATBUFFER_LIMIT = (1 << 31) - (1 << 24)   # headroom for the tables beside the data
_PLACEHOLDER_GREATER_OP_CODES = 127         # deprecated_builtin_code for codes above int8


def write(model, dedupe=False, external_buffers=None):
    """Serialize; `dedupe` stores byte-identical buffers once; `external_buffers` forces (True)
    or forbids (False) the offset/size form, which is otherwise chosen by size."""
    if dedupe:
        model = model.clone()
        ir.dedupe_buffers(model)
        ir.prune_buffers(model)
    data_bytes = sum(b.nbytes for b in model.buffers)
    if external_buffers is None:
        external_buffers = data_bytes > _FLATBUFFER_LIMIT
    if not external_buffers:
        return _encode(model, None, data_bytes)
    # Offsets depend on the flatbuffer's length, which does not depend on their values
    # (uint64 fields are always written): encode once to measure, then again for real.
    head = _encode(model, [(1, b.nbytes) for b in model.buffers], 0)
    offsets, position = [], _aligned(len(head))
    for buffer in model.buffers:
        offsets.append((position if buffer.nbytes else 0, buffer.nbytes))
        position = _aligned(position + buffer.nbytes)
    head = _encode(model, offsets, 0)
    out = bytearray(position)
    out[:len(head)] = head
    for (offset, size), buffer in zip(offsets, model.buffers):
        if size:
            out[offset:offset + size] = memoryview(buffer.data)
    return bytes(out)


def save(model, path, **kwargs):
    """Write the model atomically (see write_atomically)."""
    write_atomically(path, write(model, **kwargs))


def write_atomically(path, data):
    """A temporary file beside `path`, renamed over it when complete: readers never see half a
    file, and a failed write leaves whatever was at `path` untouched. The data reaches the disk
    (fsync) before the rename, so a crash cannot leave an empty file under the name. A file
    replaced keeps its mode; a new one gets the mode open() would give it (0o666 less the
    umask), not mkstemp's private 0o600."""
    directory = os.path.dirname(os.path.abspath(path))
    try:
        mode = stat.S_IMODE(os.stat(path).st_mode)
    except OSError:
        mode = 0o666 & ~_umask()
    try:
        fd, tmp = tempfile.mkstemp(prefix=".litequant-", dir=directory)
    except OSError as e:
        raise LitequantError(f"cannot write: {e.strerror}", source=path) from None
    try:
        with os.fdopen(fd, "wb") as f:
            os.chmod(tmp, mode)
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except OSError as e:
        os.unlink(tmp)
        raise LitequantError(f"cannot write: {e.strerror}", source=path) from None
    except BaseException:
        os.unlink(tmp)
        raise


def _umask():
    """The process umask. It can only be read by setting it, so it is set back at once; another
    thread creating a file in between would get umask 0, which a CLI and a save call can accept."""
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _aligned(n):
    return -(-n // BUFFER_ALIGNMENT) * BUFFER_ALIGNMENT


def _encode(model, external, data_bytes):
    codes, index = [], {}
    for graph in model.subgraphs:
        for op in graph.operators:
            key = (op.opcode, op.version, op.custom_code)
            if key not in index:
                index[key] = len(codes)
                codes.append(key)
    values = {
        "version": model.version,
        "description": model.description or None,
        "operator_codes": [_opcode(*key) for key in codes],
        "subgraphs": [_subgraph(g, index) for g in model.subgraphs],
        "buffers": [_buffer(b, external[i] if external else None) for i, b in enumerate(model.buffers)],
        "metadata": [{"name": name, "buffer": b} for name, b in model.metadata] or None,
        "signature_defs": [_signature(s) for s in model.signature_defs] or None,
    }
    encoder = Encoder(data_bytes + (1 << 16), {("Buffer", "data"): BUFFER_ALIGNMENT})
    return bytes(encoder.finish("Model", values, FILE_IDENTIFIER))


def _opcode(name, version, custom_code):
    code = spec.enum("BuiltinOperator")[name]
    return {"deprecated_builtin_code": min(code, _PLACEHOLDER_GREATER_OP_CODES),
            "builtin_code": code, "version": version, "custom_code": custom_code}


def _buffer(buffer, external):
    if external is not None:
        return {"offset": external[0], "size": external[1]} if external[1] else {}
    return {"data": buffer.data} if buffer.nbytes else {}


def _subgraph(graph, opcode_index):
    return {
        "tensors": [_tensor(t) for t in graph.tensors],
        "inputs": np.asarray(graph.inputs, np.int32),
        "outputs": np.asarray(graph.outputs, np.int32),
        "operators": [_operator(op, opcode_index) for op in graph.operators],
        "name": graph.name or None,
    }


def _tensor(tensor):
    q = tensor.quantization
    return {
        "shape": np.asarray(tensor.shape, np.int32),
        "type": spec.enum("TensorType")[tensor.dtype.upper()],
        "buffer": tensor.buffer,
        "name": tensor.name,
        "quantization": None if q is None else {
            "scale": q.scale, "zero_point": q.zero_point, "quantized_dimension": q.quantized_dimension,
            "min": q.min, "max": q.max},
        "is_variable": tensor.is_variable,
        "sparsity": tensor.sparsity,
        "shape_signature": None if tensor.shape_signature is None
        else np.asarray(tensor.shape_signature, np.int32),
        "has_rank": tensor.has_rank,
    }


def _operator(op, opcode_index):
    values = dict(op.extra)
    values.update({
        "opcode_index": opcode_index[(op.opcode, op.version, op.custom_code)],
        "inputs": np.asarray(op.inputs, np.int32),
        "outputs": np.asarray(op.outputs, np.int32),
        "builtin_options": (op.options_type, {k: _number(k, v) for k, v in op.options.items()})
        if op.options_type else None,
        "custom_options": None if op.custom_options is None
        else np.frombuffer(op.custom_options, np.uint8),
        "intermediates": np.asarray(op.intermediates, np.int32) if op.intermediates else None,
    })
    return values


def _number(field, value):
    """Enum member names in options back to their values."""
    enum = spec.enum_field(field)
    return spec.enum(enum)[value] if enum is not None and isinstance(value, str) else value


def _signature(sig):
    def maps(names):
        return [{"name": name, "tensor_index": t} for name, t in names.items()]
    return {"inputs": maps(sig.inputs), "outputs": maps(sig.outputs),
            "signature_key": sig.key, "subgraph_index": sig.subgraph_index}
