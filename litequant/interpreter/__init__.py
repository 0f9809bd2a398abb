"""litequant.Interpreter: runs float and int8 .tflite models with numpy, shaped like
tf.lite.Interpreter so device-side code swaps one import.

Every tensor's value stays readable after invoke() (as LiteRT's
experimental_preserve_all_tensors=True gives), and `run()` offers the converter a pass that
keeps nothing but what it is shown.
"""
import os

import numpy as np

from litequant import format as tflite_format
from litequant.errors import (LitequantError, ModelFormatError, ResourceError, StateError,
                              TensorError)
from litequant.interpreter import plan


class Interpreter:
    def __init__(self, model_path=None, model_content=None, num_threads=None,
                 experimental_preserve_all_tensors=True):
        """Load and prepare a model; unsupported ops fail here, not in invoke().
        num_threads and experimental_preserve_all_tensors are accepted for compatibility:
        kernels are numpy, and every tensor is always kept."""
        if (model_path is None) == (model_content is None):
            raise TypeError("give exactly one of model_path and model_content")
        model = tflite_format.read(model_path if model_path is not None else model_content)
        self._source = os.fspath(model_path) if model_path is not None else None
        try:
            self._load(model)
        except LitequantError as e:
            e.source = e.source or self._source
            raise

    @classmethod
    def from_model(cls, model):
        """An interpreter over an in-memory ir.Model (no serialization)."""
        self = cls.__new__(cls)
        self._source = None
        self._load(model)
        return self

    def _load(self, model):
        self._model = model
        self._graph = model.subgraphs[0]
        self._steps = plan.build(model)
        self._constants = [model.tensor_data(t) for t in self._graph.tensors]
        self._shapes = [tuple(t.shape) for t in self._graph.tensors]
        self._verified_input_shapes = None     # see _execute
        self._values = None
        self._resized = False

    # set-up ---------------------------------------------------------------------------
    def allocate_tensors(self):
        if self._resized:
            self._propagate_shapes()
        self._values = list(self._constants)

    def resize_tensor_input(self, input_index, tensor_size, strict=False):
        index = self._input_position(input_index)
        tensor = self._graph.tensors[input_index]
        size = tuple(int(d) for d in tensor_size)
        signature = tensor.signature
        if len(size) != len(signature):
            raise TensorError(f"input {index} ({tensor.name}): rank {len(size)} given, "
                              f"tensor has rank {len(signature)}")
        if strict and any(s != -1 and s != d for s, d in zip(signature, size)):
            raise TensorError(f"input {index} ({tensor.name}): only dimensions that are -1 in "
                              f"shape_signature {list(signature)} may change")
        if size != self._shapes[input_index]:
            self._shapes[input_index] = size
            self._resized = True
            self._values = None

    def _propagate_shapes(self):
        """Output and intermediate shapes follow from one pass over zeros of the new shapes."""
        inputs = [np.zeros(self._shapes[i], self._graph.tensors[i].dtype) for i in self._graph.inputs]
        values = self._execute(inputs, release=False, check_shapes=False)
        for i, value in enumerate(values):
            if value is not None:
                self._shapes[i] = value.shape
        self._resized = False

    # details ----------------------------------------------------------------------------
    def get_input_details(self):
        return [self._details(i) for i in self._graph.inputs]

    def get_output_details(self):
        return [self._details(i) for i in self._graph.outputs]

    def get_tensor_details(self):
        return [self._details(i) for i in range(len(self._graph.tensors))]

    def _details(self, index):
        tensor = self._graph.tensors[index]
        q = tensor.quantization
        scales = q.scale if q is not None else np.zeros(0, np.float32)
        zero_points = (q.zero_point if q is not None else np.zeros(0)).astype(np.int32)
        return {
            "name": tensor.name,
            "index": index,
            "shape": np.array(self._shapes[index], np.int32),
            # Without a signature in the file, tf.lite reports the current shape (resized too).
            "shape_signature": np.array(tensor.shape_signature if tensor.shape_signature is not None
                                        else self._shapes[index], np.int32),
            "dtype": np.dtype(tensor.dtype).type,
            "quantization": (float(scales[0]), int(zero_points[0])) if scales.size == 1 else (0.0, 0),
            "quantization_parameters": {
                "scales": scales.copy(), "zero_points": zero_points,
                "quantized_dimension": q.quantized_dimension if q is not None else 0,
                "block_size": 0},   # blockwise quantization: litequant reads none
            "sparsity_parameters": {},
        }

    # running ----------------------------------------------------------------------------
    def set_tensor(self, tensor_index, value):
        self._require_allocated("set_tensor")
        tensor = self._tensor(tensor_index)
        value = np.asarray(value)
        if value.dtype != np.dtype(tensor.dtype):
            raise TensorError(f"tensor {tensor_index} ({tensor.name}): got {value.dtype}, "
                              f"expected {tensor.dtype}")
        if value.shape != self._shapes[tensor_index]:
            raise TensorError(f"tensor {tensor_index} ({tensor.name}): got shape {list(value.shape)}, "
                              f"expected {list(self._shapes[tensor_index])}")
        self._values[tensor_index] = value.copy()

    def invoke(self):
        self._require_allocated("invoke")
        inputs = []
        for index in self._graph.inputs:
            if self._values[index] is None:
                raise StateError(f"input tensor {index} ({self._graph.tensors[index].name}) "
                                 "was not set")
            inputs.append(self._values[index])
        self._values = self._execute(inputs, release=False)

    def get_tensor(self, tensor_index):
        return np.array(self._current(tensor_index))

    def tensor(self, tensor_index):
        """A function returning the current value without a copy (as tf.lite offers)."""
        self._tensor(tensor_index)
        return lambda: self._current(tensor_index)

    def _current(self, tensor_index):
        tensor = self._tensor(tensor_index)
        values = self._values if self._values is not None else self._constants
        value = values[tensor_index]
        if value is None:
            raise StateError(f"tensor {tensor_index} ({tensor.name}) has no value: "
                             "set it or call invoke() first")
        return value

    def run(self, inputs, observe=None):
        """One pass that leaves the interpreter's own tensors alone.

        inputs: arrays in model-input order, or a dict keyed by input tensor name or by
        signature input name. Each has the input's dtype exactly and its shape, but for the
        first dimension: a batch of another size runs as one batch of that size.
        observe: called as observe(tensor_index, array) for every tensor an op writes, as soon
        as it is written; intermediates are dropped after their last reader, so memory holds
        only live activations. Returns the model outputs, in order.
        """
        if isinstance(inputs, dict):
            keys = self._input_keys(inputs)
            if None in keys or set(inputs) - set(keys):
                expected = [name if alias is None else f"{name} or {alias}"
                            for name, alias in self._model.interface_names("inputs")]
                raise TensorError(f"inputs {sorted(inputs)} given; expected {expected}")
            inputs = [inputs[key] for key in keys]
        if len(inputs) != len(self._graph.inputs):
            raise TensorError(f"{len(inputs)} inputs given, model has {len(self._graph.inputs)}")
        inputs = [self._checked_input(position, value) for position, value in enumerate(inputs)]
        values = self._execute(inputs, release=True, observe=observe)
        return [values[i] for i in self._graph.outputs]

    def _checked_input(self, position, value):
        index = self._graph.inputs[position]
        tensor, shape, value = self._graph.tensors[index], self._shapes[index], np.asarray(value)
        if value.dtype != np.dtype(tensor.dtype):
            raise TensorError(f"input {position} ({tensor.name}): got {value.dtype}, "
                              f"expected {tensor.dtype}")
        if value.ndim != len(shape) or value.shape[1:] != shape[1:]:
            raise TensorError(f"input {position} ({tensor.name}): got shape {list(value.shape)}, "
                              f"expected {list(shape)} (the first dimension may differ)")
        if value.ndim and value.shape[0] == 0:
            raise TensorError(f"input {position} ({tensor.name}): got shape {list(value.shape)}, "
                              "a batch of no rows")
        return value

    def _execute(self, inputs, release, observe=None, check_shapes=True):
        values = list(self._constants)
        for index, value in zip(self._graph.inputs, inputs):
            values[index] = value
            if observe is not None:
                observe(index, value)
        check_from = self._shape_check_start(inputs) if check_shapes else None
        # Float kernels compute IEEE results: an inf or nan (or a signaling nan in damaged
        # weights) is a value, as in the C++, and numpy's warnings would print on stderr.
        with np.errstate(all="ignore"):
            for step in self._steps:
                outputs = self._run_step(step, values)
                for position, (t, value) in enumerate(zip(step.outputs, outputs)):
                    if check_from is not None and step.fixed_shapes:
                        self._check_output_shape(step, position, t, value, check_from)
                    values[t] = value
                    if observe is not None:
                        observe(t, value)
                if release:
                    for t in step.release:
                        values[t] = None
        if check_from is not None:
            self._verified_input_shapes = tuple(np.shape(value) for value in inputs)
        return values

    def _shape_check_start(self, inputs):
        """The kernels were prepared for the shapes the model gives: fed inputs of those shapes,
        an op with fixed shapes that writes another contradicts the model, and the next op would
        misread it. Output shapes follow from input shapes, so one pass per input shapes checks
        them: None when these were checked already, else the first dimension to compare (1 when
        run() is fed another batch, 0 otherwise)."""
        input_shapes = tuple(np.shape(value) for value in inputs)
        if input_shapes == self._verified_input_shapes:
            return None
        same = all(shape == self._shapes[index]
                   for index, shape in zip(self._graph.inputs, input_shapes))
        return 0 if same else 1

    def _run_step(self, step, values):
        """The step's outputs, as a tuple."""
        try:
            result = step.run(*[values[t] if t >= 0 else None for t in step.inputs])
        except MemoryError:     # e.g. a damaged padding or dilation asking for gigabytes
            raise ResourceError(f"op {step.index} ({step.opcode}): out of memory",
                                source=self._source) from None
        return (result,) if len(step.outputs) == 1 else result

    def _check_output_shape(self, step, position, tensor, value, first):
        shape, expected = np.shape(value), self._shapes[tensor]
        if len(shape) != len(expected) or shape[first:] != expected[first:]:
            raise ModelFormatError(
                f"op {step.index} ({step.opcode}): output {position} "
                f"({self._graph.tensors[tensor].name}) has shape {list(shape)}, "
                f"the model gives {list(expected)}", source=self._source)

    def _input_keys(self, keys):
        """For each model input in order, which of `keys` names it: its tensor name, else its
        signature input name, else None. `litequant run` reads input files the same way."""
        return self._model.interface_keys("inputs", keys)

    # signatures -------------------------------------------------------------------------
    def get_signature_list(self):
        """Input and output names sorted, as tf.lite lists them (its SignatureDef is a map)."""
        return {s.key: {"inputs": sorted(s.inputs), "outputs": sorted(s.outputs)}
                for s in self._model.signature_defs}

    def get_signature_runner(self, signature_key=None):
        signatures = {s.key: s for s in self._model.signature_defs}
        if signature_key is None:
            if len(signatures) != 1:
                raise TensorError(f"signature_key is None and the model has {len(signatures)} "
                                  "signatures")
            signature_key = next(iter(signatures))
        if signature_key not in signatures:
            raise TensorError(f"no signature {signature_key!r}; the model has {sorted(signatures)}")
        return SignatureRunner(self, signatures[signature_key])

    # checks -----------------------------------------------------------------------------
    def _require_allocated(self, call):
        if self._values is None:
            raise StateError(f"{call}() before allocate_tensors()")

    def _tensor(self, index):
        if not 0 <= index < len(self._graph.tensors):
            raise TensorError(f"tensor index {index} out of range (0..{len(self._graph.tensors) - 1})")
        return self._graph.tensors[index]

    def _input_position(self, tensor_index):
        if tensor_index not in self._graph.inputs:
            raise TensorError(f"tensor {tensor_index} is not a model input "
                              f"(inputs are {self._graph.inputs})")
        return self._graph.inputs.index(tensor_index)


class SignatureRunner:
    """Calls a model by its signature's input and output names, as tf.lite's runner does."""

    def __init__(self, interpreter, signature):
        self._interpreter = interpreter
        self._signature = signature

    def get_input_details(self):
        return self._details(self._signature.inputs)

    def get_output_details(self):
        return self._details(self._signature.outputs)

    def _details(self, names):
        """Keyed by signature name in sorted order, as tf.lite's runner gives them."""
        return {name: self._interpreter._details(i) for name, i in sorted(names.items())}

    def __call__(self, **inputs):
        missing = set(self._signature.inputs) - set(inputs)
        unknown = set(inputs) - set(self._signature.inputs)
        if missing or unknown:
            raise TensorError(f"signature {self._signature.key!r} takes inputs "
                              f"{sorted(self._signature.inputs)}; got {sorted(inputs)}")
        it = self._interpreter
        for name, value in inputs.items():
            index = self._signature.inputs[name]
            shape = np.shape(value)
            if shape != it._shapes[index]:
                it.resize_tensor_input(index, shape)
        if it._values is None:
            it.allocate_tensors()
        for name, value in inputs.items():
            it.set_tensor(self._signature.inputs[name], np.asarray(value))
        it.invoke()
        return {name: it.get_tensor(i) for name, i in sorted(self._signature.outputs.items())}
