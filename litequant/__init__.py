"""litequant: post-training int8 quantization and an integer interpreter for .tflite models.

Attributes are imported on first use (PEP 562), so `import litequant` stays cheap and the
analyzer never loads the interpreter or the converter.
"""
import importlib

__version__ = "0.1.0"

_LAZY = {
    "load_model": ("litequant.format", "read"),
    "save_model": ("litequant.format", "save"),
    "Interpreter": ("litequant.interpreter", "Interpreter"),
    "convert": ("litequant.conversion", "convert"),
    "analyze": ("litequant.analysis", "analyze"),
    "LitequantError": ("litequant.errors", "LitequantError"),
}

__all__ = sorted(_LAZY)


def __getattr__(name):
    if name not in _LAZY:
        raise AttributeError(f"module 'litequant' has no attribute {name!r}")
    module, attr = _LAZY[name]
    value = getattr(importlib.import_module(module), attr)
    globals()[name] = value
    return value
