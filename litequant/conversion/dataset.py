"""Representative datasets: every accepted form -> a checked stream of samples for one model.

A sample is one set of model inputs, as a list of arrays in model-input order. Accepted sources
(calibration/README.md has the user-facing description):

- a path to a .npz file: one array per input, keyed by input tensor name (or by signature input
  name), or a single array under any key for a single-input model; the first axis counts samples
- a path to a .npy file: a single-input model's samples along the first axis
- a path to a directory: every .npy / .npz file in it (sorted by name) is one sample
- "module:function": a function (importable from the current directory) returning an iterable
  of samples
- in the Python API also: an array or a mapping {name: array} (first axis = samples), a
  zero-argument callable returning an iterable of samples, or any iterable of samples.

Each sample is an array (single-input models), a list/tuple of arrays in input order, or a
mapping {input name: array}. A sample array has the input's shape, with or without its leading
batch dimension of 1 (dynamic dimensions take the size the model was saved with). Float inputs take any float dtype (cast to float32) and refuse NaN and
infinities; integer inputs take integer arrays whose values fit.

Reading streams: .npy files are memory-mapped and .npz members are read one sample at a time,
so memory does not grow with the number of samples.
"""
import importlib
import os
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Optional, Tuple

import numpy as np

from litequant import arrayfiles
from litequant.errors import DatasetError

API_SOURCE = "<dataset>"
_FUNCTION_REFERENCE = re.compile(r"^[A-Za-z_][\w.]*:[A-Za-z_][\w.]*$")


@dataclass(frozen=True)
class InputSpec:
    """One model input as the dataset must provide it."""
    name: str                       # tensor name
    alias: Optional[str]            # signature input name, if the model has a signature def
    shape: Tuple[int, ...]
    dtype: str

    @property
    def label(self):
        return f"input {self.name!r}"


def input_specs(model):
    """The inputs of a model's first subgraph, in order."""
    graph = model.subgraphs[0]
    return [InputSpec(name, alias, tuple(graph.tensors[t].shape), graph.tensors[t].dtype)
            for (name, alias), t in zip(model.interface_names("inputs"), graph.inputs)]


class Samples:
    """A checked, re-iterable stream of samples: iterating yields lists of arrays in input order.

    `total` is the number of samples when it is known in advance (else None); `count` is how
    many the last iteration yielded. Iterating again reads the source again (a path is
    reopened, a callable called again); a one-shot iterator can be read once only.
    """

    def __init__(self, source, model, limit=None):
        if limit is not None and limit < 1:
            raise DatasetError(f"the number of samples must be at least 1, got {limit}",
                               source=_name(source))
        self.inputs = input_specs(model)
        self.limit = limit
        self.name = _name(source)
        self._open, known, self._label = _opener(source, self.inputs, self.name)
        self.total = known if limit is None or known is None else min(known, limit)
        self._one_shot = _is_one_shot(source)
        self._read = False
        self.count = 0

    def __iter__(self):
        if self._one_shot and self._read:
            raise DatasetError("this dataset is a one-shot iterator and was already read; "
                               "give a list, a callable or a path to read it again",
                               source=self.name)
        self._read = True
        self.count = 0
        for index, raw in enumerate(self._open()):
            if self.limit is not None and index >= self.limit:
                break
            yield self._check(index, raw)
            self.count += 1
        if self.count == 0:
            raise DatasetError("the dataset holds no samples", source=self.name)

    def _check(self, index, raw):
        try:
            arrays = _by_input(raw, self.inputs)
            return [_checked_array(spec, array) for spec, array in zip(self.inputs, arrays)]
        except DatasetError as e:
            raise DatasetError(f"{self._label(index)}: {e}", source=self.name) from None


def _name(source):
    return os.fspath(source) if isinstance(source, (str, os.PathLike)) else API_SOURCE


def _is_one_shot(source):
    if isinstance(source, (str, os.PathLike, np.ndarray, Mapping)) or callable(source):
        return False
    try:
        return iter(source) is source
    except TypeError:
        return False


def _sample_label(index):
    return f"sample {index}"


def _opener(source, inputs, name):
    """(function returning a fresh iterator of raw samples, number of samples or None,
    function naming sample i in messages)."""
    if isinstance(source, (str, os.PathLike)):
        return _path_opener(os.fspath(source), inputs)
    if isinstance(source, np.ndarray):
        return _rows_opener({"array": _single_input_array(source, inputs, name)}, inputs, name)
    if isinstance(source, Mapping):
        return _rows_opener(source, inputs, name)
    if callable(source):
        return _guarded(lambda: _call(source, name), name), None, _sample_label
    try:
        iter(source)
    except TypeError:
        raise DatasetError(f"expected a path, an array, a mapping, a callable or an iterable of "
                           f"samples, got {type(source).__name__}", source=name) from None
    return _guarded(lambda: iter(source), name), _length(source), _sample_label


def _guarded(open_samples, name):
    """open_samples as a generator whose failures are one DatasetError line: the user's code
    behind a callable or an iterable may raise anything."""
    def samples():
        try:
            yield from open_samples()
        except DatasetError:
            raise
        except Exception as e:
            raise DatasetError(f"reading the dataset raised {type(e).__name__}: {e}",
                               source=name) from None
    return samples


def _single_input_array(array, inputs, source):
    if len(inputs) != 1:
        raise DatasetError(f"a single array holds the samples of one input; the model has "
                           f"{len(inputs)} inputs (use a .npz or a mapping keyed by input name)",
                           source=source)
    return array


def _length(source):
    try:
        return len(source)
    except TypeError:
        return None


def _call(function, name):
    samples = function()
    try:
        return iter(samples)
    except TypeError:
        raise DatasetError(f"the dataset function returned {type(samples).__name__}, "
                           "not an iterable of samples", source=name) from None


# paths ---------------------------------------------------------------------------------------
def _path_opener(path, inputs):
    if os.path.isdir(path):
        return _directory_opener(path, inputs)
    if os.path.isfile(path):
        if path.endswith(".npz"):
            return _npz_opener(path, inputs)
        if path.endswith(".npy"):
            array = _single_input_array(arrayfiles.load_npy(path, mmap=True), inputs, path)
            return _rows_opener({"array": array}, inputs, path)
        raise DatasetError("expected a .npz or .npy file, a directory or module:function",
                           source=path)
    if _FUNCTION_REFERENCE.match(path):
        function = _import_function(path)
        return (lambda: _call(function, path)), None, _sample_label
    raise DatasetError("no such file or directory", source=path)


def _directory_opener(path, inputs):
    files = sorted(f for f in os.listdir(path) if f.endswith((".npy", ".npz")))
    if not files:
        raise DatasetError("the directory holds no .npy or .npz files", source=path)

    def samples():
        for file in files:
            full = os.path.join(path, file)
            yield arrayfiles.load_npy(full) if file.endswith(".npy") else arrayfiles.read_arrays(full)
    return samples, len(files), lambda index: files[index]


def _import_function(reference):
    module_name, _, attribute = reference.partition(":")
    entry = os.getcwd()
    sys.path.insert(0, entry)       # a console script's sys.path lacks the current directory
    try:
        target = importlib.import_module(module_name)
    except ImportError as e:
        raise DatasetError(f"cannot import {module_name!r}: {e}", source=reference) from None
    except Exception as e:      # the module's own code failed: a syntax error, a raise
        raise DatasetError(f"importing {module_name!r} raised {type(e).__name__}: {e}",
                           source=reference) from None
    finally:
        sys.path.remove(entry)      # the module may have changed directory
    try:
        for part in attribute.split("."):
            target = getattr(target, part)
    except AttributeError:
        raise DatasetError(f"module {module_name!r} has no {attribute!r}", source=reference) from None
    if not callable(target):
        raise DatasetError(f"{attribute!r} is not callable", source=reference)
    return target


# arrays with samples along the first axis ----------------------------------------------------
def _rows_opener(arrays, inputs, source):
    """Mapping of name -> array with samples along axis 0 (every array the same length)."""
    arrays = _keyed_by_input(dict(arrays), inputs, source)
    lengths = {name: np.shape(a)[0] if np.ndim(a) else None for name, a in arrays.items()}
    _require_same_length(lengths, source)
    count = next(iter(lengths.values()))

    def samples():
        for i in range(count):
            yield {name: a[i] for name, a in arrays.items()}
    return samples, count, _sample_label


def _require_same_length(lengths, source):
    if any(n is None for n in lengths.values()):
        scalar = next(k for k, n in lengths.items() if n is None)
        raise DatasetError(f"array {scalar!r} is a scalar; its first axis should count samples",
                           source=source)
    if len(set(lengths.values())) > 1:
        listed = ", ".join(f"{k!r}: {n}" for k, n in lengths.items())
        raise DatasetError(f"arrays hold different numbers of samples ({listed})", source=source)


def _npz_opener(path, inputs):
    with arrayfiles.open_zip(path) as archive:
        keys = arrayfiles.npz_keys(archive)
        headers = {key: arrayfiles.member_header(archive, key, path) for key in keys}
    names = _match_keys(keys, inputs, path)
    lengths = {key: shape[0] if shape else None for key, (shape, _, _) in headers.items()}
    _require_same_length({k: lengths[k] for k in names}, path)
    count = lengths[names[0]]

    def samples():
        with arrayfiles.open_zip(path) as archive:
            streams = {key: arrayfiles.member_rows(archive, key, headers[key], path)
                       for key in names}
            for _ in range(count):
                yield {spec.name: next(streams[key]) for spec, key in zip(inputs, names)}
    return samples, count, _sample_label


# matching names ------------------------------------------------------------------------------
def _match_keys(keys, inputs, source):
    """For each input, the key that holds its data (tensor name, signature name, or the only
    key of a single-input dataset)."""
    if len(inputs) == 1 and len(keys) == 1:
        return keys
    chosen = []
    for spec in inputs:
        key = spec.name if spec.name in keys else spec.alias if spec.alias in keys else None
        if key is None:
            raise DatasetError(f"no array for {spec.label} (keys: {sorted(keys)}; "
                               f"expected {_expected_names(inputs)})", source=source)
        chosen.append(key)
    unknown = set(keys) - set(chosen)
    if unknown:
        raise DatasetError(f"unknown input name(s) {sorted(unknown)}; expected "
                           f"{_expected_names(inputs)}", source=source)
    return chosen


def _keyed_by_input(arrays, inputs, source):
    keys = _match_keys(list(arrays), inputs, source)
    return {spec.name: arrays[key] for spec, key in zip(inputs, keys)}


def _expected_names(inputs):
    return [spec.name if spec.alias is None else f"{spec.name} or {spec.alias}" for spec in inputs]


def _by_input(raw, inputs):
    """A raw sample -> one array per input, in input order."""
    if isinstance(raw, Mapping):
        return list(_keyed_by_input(raw, inputs, API_SOURCE).values())
    if isinstance(raw, (list, tuple)):
        if len(raw) != len(inputs):
            raise DatasetError(f"{len(raw)} arrays given, the model has {len(inputs)} inputs")
        return list(raw)
    if len(inputs) != 1:
        raise DatasetError(f"a single array given, the model has {len(inputs)} inputs; "
                           "give a list in input order or a dict keyed by input name")
    return [raw]


# checking one array --------------------------------------------------------------------------
def _checked_array(spec, value):
    array = np.asarray(value)
    array = _with_batch(spec, array)
    if spec.dtype.startswith("float"):
        if array.dtype.kind != "f":
            raise DatasetError(f"{spec.label}: dtype {array.dtype}, expected a float dtype "
                               f"(the input is {spec.dtype})")
        arrayfiles.require_finite(spec.label, array)
        return array.astype(spec.dtype, copy=False)
    if spec.dtype == "bool":
        if array.dtype != np.bool_:
            raise DatasetError(f"{spec.label}: dtype {array.dtype}, expected bool")
        return array
    return _checked_integers(spec, array)


def _checked_integers(spec, array):
    target = np.dtype(spec.dtype)
    if array.dtype.kind not in "iu":
        raise DatasetError(f"{spec.label}: dtype {array.dtype}, expected integers ({spec.dtype})")
    info = np.iinfo(target)
    if array.size and (array.min() < info.min or array.max() > info.max):
        raise DatasetError(f"{spec.label}: values outside the range of {spec.dtype}")
    return array.astype(target, copy=False)


def _with_batch(spec, array):
    """The array with the input's shape; a leading batch dimension of 1 may be left out.
    Dynamic dimensions (-1 in the signature) take the size the model was saved with: the
    interpreter runs the model as prepared, one sample at a time."""
    if array.shape == spec.shape:
        return array
    if spec.shape[:1] == (1,) and array.shape == spec.shape[1:]:
        return array[np.newaxis]
    raise DatasetError(f"{spec.label}: shape {list(array.shape)} does not match "
                       f"{list(spec.shape)} (with or without the batch dimension)")
