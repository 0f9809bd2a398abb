"""Reading .npy and .npz arrays for litequant's commands: never unpickling, and a damaged file
(bad header, bad CRC, broken deflate stream, a file cut short) reported as one DatasetError
line. An .npz member can also be read one row at a time, so a large dataset streams."""
import os
import zipfile
import zlib

import numpy as np

from litequant.errors import DatasetError

# What numpy and zipfile raise on a damaged .npy/.npz.
_READ_ERRORS = (OSError, ValueError, EOFError, zipfile.BadZipFile, zlib.error)


def load_npy(path, mmap=False):
    try:
        return np.load(path, mmap_mode="r" if mmap else None, allow_pickle=False)
    except _READ_ERRORS as e:
        raise DatasetError(f"cannot read: {e}", source=path) from None


def read_arrays(path):
    """Every array of a .npz file by key, or a .npy file's array keyed by the file's name,
    loaded whole."""
    if path.endswith(".npz") or _starts_like_a_zip(path):
        with open_zip(path) as archive:
            return {key: read_member(archive, key, path) for key in npz_keys(archive)}
    return {os.path.basename(path): load_npy(path)}


def _starts_like_a_zip(path):
    try:
        with open(path, "rb") as f:
            return f.read(4) == b"PK\x03\x04"
    except OSError as e:
        raise DatasetError(f"cannot read: {e.strerror}", source=path) from None


def open_zip(path):
    try:
        return zipfile.ZipFile(path)
    except _READ_ERRORS as e:
        raise DatasetError(f"cannot read: {e}", source=path) from None


def npz_keys(archive):
    return [n[:-4] for n in archive.namelist() if n.endswith(".npy")]


def member_header(archive, key, path):
    """(shape, fortran_order, dtype) of one .npz member, read without loading its data."""
    try:
        with archive.open(key + ".npy") as f:
            return _npy_header(f)
    except _READ_ERRORS as e:
        raise DatasetError(f"array {key!r}: cannot read: {e}", source=path) from None


def _npy_header(f):
    version = np.lib.format.read_magic(f)
    if version == (1, 0):
        return np.lib.format.read_array_header_1_0(f)
    return np.lib.format.read_array_header_2_0(f)


def member_rows(archive, key, header, path):
    """Yield one row (axis-0 slice) of an .npz member at a time."""
    shape, fortran_order, dtype = header
    if fortran_order or dtype.hasobject:
        yield from read_member(archive, key, path)     # rows are not contiguous: load it
        return
    row_shape = shape[1:]
    row_bytes = int(np.prod(row_shape, dtype=np.int64)) * dtype.itemsize
    try:
        with archive.open(key + ".npy") as f:
            _npy_header(f)
            for _ in range(shape[0]):
                data = f.read(row_bytes)
                if len(data) != row_bytes:
                    raise DatasetError(f"array {key!r} is truncated", source=path)
                yield np.frombuffer(data, dtype).reshape(row_shape)
    except _READ_ERRORS as e:
        raise DatasetError(f"array {key!r}: cannot read: {e}", source=path) from None


def read_member(archive, key, path):
    try:
        with archive.open(key + ".npy") as f:
            return np.lib.format.read_array(f, allow_pickle=False)
    except _READ_ERRORS as e:
        raise DatasetError(f"array {key!r}: cannot read: {e}", source=path) from None


def require_finite(label, array, source=None):
    """Refuse NaN and infinities in float input data: a model's ranges and outputs would carry
    them, and they have no place on an integer grid."""
    if not np.isfinite(array).all():
        bad = "NaN" if np.isnan(array).any() else "an infinity"
        raise DatasetError(f"{label}: contains {bad}", source=source)
