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
    """schema/ops.json's entry for a builtin op: its options table and the versions written."""
    return load("ops")["ops"][name]


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
