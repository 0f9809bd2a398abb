"""The layout is the architecture: the kernel table of contents, the kernel files and the
schema tables must agree, and the generated tflite bindings stay out of the package."""
import importlib
import pathlib
import re

from litequant import spec
from litequant.interpreter import kernels

PACKAGE = pathlib.Path(__file__).resolve().parent.parent / "litequant"
KERNEL_DIR = PACKAGE / "interpreter" / "kernels"


def kernel_files():
    return {p.stem for p in KERNEL_DIR.glob("*.py") if not p.stem.startswith("_")}


def test_every_kernel_file_is_in_the_table_of_contents_and_back():
    assert kernel_files() == set(kernels.KERNELS.values())


def test_each_kernel_module_names_its_op_after_its_file():
    for opcode, module in kernels.KERNELS.items():
        loaded = importlib.import_module(f"litequant.interpreter.kernels.{module}")
        assert loaded.OP == opcode == module.upper()
        assert callable(loaded.prepare)


def test_op_table_and_kernels_cover_the_same_ops():
    assert set(spec.load("ops")["ops"]) == set(kernels.KERNELS)


def test_every_options_table_in_the_op_table_exists_in_the_format_schema():
    for name, info in spec.load("ops")["ops"].items():
        assert info["options"] is None or info["options"] in spec.tables(), name


def test_operand_lists_are_well_formed():
    """Optional operands ("bias?") come last; a repeated one ("values...") is the only one."""
    for name, info in spec.load("ops")["ops"].items():
        for names in (info["inputs"], info["outputs"]):
            optional = [n.endswith("?") for n in names]
            assert names and optional == sorted(optional), name
            assert all(not n.endswith("...") for n in names) or len(names) == 1, name


def test_fused_activation_bounds_name_activation_function_types():
    assert set(spec.load("ops")["fused_activations"]) <= set(spec.enum("ActivationFunctionType"))
    assert spec.fused_activation_bounds("RELU") == (0.0, float("inf"))
    assert spec.fused_activation_bounds("TANH") is None


def test_litequant_never_imports_the_generated_bindings():
    pattern = re.compile(r"^\s*(import tflite\b|from tflite\b)", re.M)
    offenders = [str(p) for p in PACKAGE.rglob("*.py") if pattern.search(p.read_text())]
    assert offenders == []


def test_no_litequant_module_imports_the_oracle_or_tensorflow():
    pattern = re.compile(r"^\s*(import|from) (ai_edge_litert|tensorflow|tflite_micro)\b", re.M)
    offenders = [str(p) for p in PACKAGE.rglob("*.py") if pattern.search(p.read_text())]
    assert offenders == []
