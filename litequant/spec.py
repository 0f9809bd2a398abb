"""The format contract and the int8 spec, loaded once from the JSON tables in `schema/`."""
import functools
import json
import math
from importlib import resources


@functools.lru_cache(maxsize=None)
def load(name):
    """The parsed contents of schema/NAME.json."""
    return json.loads(resources.files("litequant.schema").joinpath(f"{name}.json").read_text())


def tables():
    """Table name -> [[field, slot, kind, type, default], ...] (see tools/gen_schema.py)."""
    return load("format")["tables"]


@functools.lru_cache(maxsize=None)
def enum(name):
    """Enum member name -> value."""
    return load("format")["enums"][name]


@functools.lru_cache(maxsize=None)
def enum_names(name):
    """Enum value -> member name."""
    return {v: k for k, v in enum(name).items()}


def enum_field(field):
    """The enum a scalar field's value belongs to, or None for a plain number."""
    return load("format")["enum_fields"].get(field)


def op(name):
    """schema/ops.json's entry for a builtin op: its options table, the versions written and
    its operands."""
    return load("ops")["ops"][name]


def operand_problem(opcode, inputs, outputs):
    """Why an operator's inputs and outputs (tensor indices, -1 for an omitted input) do not
    fit the operands schema/ops.json lists for its op, e.g. 'input 1 (filter) is required but
    omitted'; None if they fit or the op is not listed."""
    entry = load("ops")["ops"].get(opcode)
    if entry is None:
        return None
    for kind, names, indices in (("input", entry["inputs"], inputs),
                                 ("output", entry["outputs"], outputs)):
        least = sum(1 for n in names if not n.endswith("?"))
        most = None if names[-1].endswith("...") else len(names)
        if len(indices) < least or (most is not None and len(indices) > most):
            return f"takes {_operand_count(kind, names, least, most)}, got {len(indices)}"
        for position, t in enumerate(indices):
            name = names[min(position, len(names) - 1)]
            if t < 0 and not name.endswith("?"):
                return f"{kind} {position} ({name.rstrip('.')}) is required but omitted"
    return None


def _operand_count(kind, names, least, most):
    """'1 output', '2 to 3 inputs (input, filter, optional bias)', '1 or more inputs (values)'."""
    if most is None:
        count = f"{least} or more"
    elif most == least:
        count = str(least)
    else:
        count = f"{least} to {most}"
    plural = "" if count == "1" else "s"
    if len(names) == 1 and most is not None:
        return f"{count} {kind}{plural}"
    listed = ", ".join(f"optional {n[:-1]}" if n.endswith("?") else n.rstrip(".") for n in names)
    return f"{count} {kind}{plural} ({listed})"


def fused_activation_bounds(name):
    """(low, high): the real interval a fused activation clamps an op's output to, -inf or inf
    where schema/ops.json says null; None for one that is not a clamp (TANH, SIGN_BIT)."""
    bounds = load("ops")["fused_activations"].get(name)
    if bounds is None:
        return None
    low, high = bounds
    return (-math.inf if low is None else float(low), math.inf if high is None else float(high))


def default_options(table):
    """Every field of an options table at its schema default, enums by member name."""
    options = {}
    for field, _slot, kind, _typ, default in tables()[table]:
        if kind != "scalar":
            options[field] = None
            continue
        enum_name = enum_field(field)
        options[field] = enum_names(enum_name).get(default, default) if enum_name else default
    return options
