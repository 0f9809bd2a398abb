"""The errors litequant raises. Each message is one line a user can act on; the CLI prints it
as `litequant: error: SOURCE: message` and exits with status 2."""


class LitequantError(Exception):
    """Base class. `source` names the file (or dataset) the problem was found in, if known."""

    def __init__(self, message, source=None):
        super().__init__(message)
        self.source = source


class ModelFormatError(LitequantError):
    """The bytes are not a valid .tflite model, or a tensor/op in it is inconsistent."""


class UnsupportedOpError(LitequantError):
    """An operator has no kernel (interpreter) or no quantization rule (converter)."""


class DatasetError(LitequantError):
    """A representative dataset or input file does not fit the model."""


class TensorError(LitequantError, ValueError):
    """A value given to the interpreter does not fit the tensor (dtype, shape, index)."""


class ResourceError(LitequantError, MemoryError):
    """Running the model would need more memory than the machine gives."""


class StateError(LitequantError, RuntimeError):
    """An interpreter call made out of order, e.g. invoke() before allocate_tensors()."""
