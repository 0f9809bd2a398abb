"""DENSIFY: the sparse-format walk (kernels.densify.densify) on encodings made by a small
sparsifier written here, round-tripped on its own and checked against BUILTIN_REF: any
traversal order, DENSE / SPARSE_CSR per level, blocks, int32 / uint16 / uint8 index vectors,
float32, float16 and int8 values."""
import numpy as np
import pytest
from hypothesis import assume, given, settings, strategies as st

from litequant.builder import ModelBuilder
from litequant.errors import ModelFormatError
from litequant.interpreter import Interpreter
from litequant.interpreter.kernels.densify import DENSE, SPARSE_CSR, SparsityError, densify
from tests import oracle

VECTOR_TYPES = {"Int32Vector": 2**31 - 1, "Uint16Vector": 2**16 - 1, "Uint8Vector": 2**8 - 1}


def sparsify(dense, traversal_order, formats, block_map=(), block_sizes=(), vector_type="Int32Vector"):
    """(stored values, sparsity dict) for `dense`: levels are the (blocked) dimensions then the
    block dimensions, visited in traversal_order; a SPARSE_CSR level keeps the entries whose
    subtree holds a non-zero."""
    split_shape, level_axes, block_axes = [], [], {}
    for dim, size in enumerate(dense.shape):
        level_axes.append(len(split_shape))
        if dim in block_map:
            block = block_map.index(dim)
            split_shape += [size // block_sizes[block], block_sizes[block]]
            block_axes[block] = len(split_shape) - 1
        else:
            split_shape.append(size)
    axes = level_axes + [block_axes[j] for j in range(len(block_map))]
    levels = dense.reshape(split_shape).transpose([axes[level] for level in traversal_order])

    segments = {level: [0] for level, f in enumerate(formats) if f == SPARSE_CSR}
    indices = {level: [] for level in segments}
    stored = []

    def visit(level, sub):
        if level == len(formats):
            stored.append(sub)
            return
        for i in range(sub.shape[0]):
            if formats[level] == DENSE:
                visit(level + 1, sub[i])
            elif np.any(sub[i] != 0):
                indices[level].append(i)
                visit(level + 1, sub[i])
        if formats[level] == SPARSE_CSR:
            segments[level].append(len(indices[level]))
    visit(0, levels)

    def vector(values):
        return vector_type, {"values": values}
    metadata = [dict(format=DENSE, dense_size=levels.shape[level]) if f == DENSE else
                dict(format=SPARSE_CSR, array_segments=vector(segments[level]),
                     array_indices=vector(indices[level]))
                for level, f in enumerate(formats)]
    sparsity = dict(traversal_order=list(traversal_order), block_map=list(block_map),
                    dim_metadata=metadata)
    return np.array(stored, dense.dtype), sparsity


@st.composite
def cases(draw):
    rank = draw(st.integers(1, 3))
    block_map = sorted(draw(st.sets(st.integers(0, rank - 1), max_size=2)))
    block_sizes = [draw(st.integers(1, 4)) for _ in block_map]
    shape = [draw(st.integers(1, 5)) for _ in range(rank)]
    for dim, size in zip(block_map, block_sizes):
        shape[dim] *= size
    # The block levels stay last and in order, as TFLite writes them.
    order = draw(st.permutations(range(rank))) + [rank + j for j in range(len(block_map))]
    formats = [draw(st.sampled_from([DENSE, SPARSE_CSR])) if level < rank else DENSE
               for level in range(len(order))]
    dtype = draw(st.sampled_from(["float32", "float16", "int8"]))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    dense = (rng.standard_normal(shape) * 40).astype(dtype)
    dense[rng.random(shape) < draw(st.floats(0, 1))] = 0
    vector_type = draw(st.sampled_from(sorted(VECTOR_TYPES)))
    if max(shape) * dense.size > VECTOR_TYPES[vector_type]:
        vector_type = "Int32Vector"
    return dense, (order, formats, block_map, block_sizes, vector_type)


def densify_model(values, shape, sparsity, dtype):
    b = ModelBuilder()
    sparse = b.tensor(shape, dtype, name="sparse", buffer=b.model.add_buffer(values))
    b.graph.tensors[sparse].sparsity = sparsity
    b.output(b.op("DENSIFY", [sparse], shape))
    return b.build()


@settings(max_examples=150, deadline=None)
@given(cases())
def test_densify_undoes_sparsify(case):
    dense, encoding = case
    values, sparsity = sparsify(dense, *encoding)
    got = densify(values, dense.shape, sparsity)
    assert got.dtype == dense.dtype
    np.testing.assert_array_equal(got, dense)


@settings(max_examples=40, deadline=None)
@given(cases())
def test_densify_matches_reference(case):
    dense, encoding = case
    values, sparsity = sparsify(dense, *encoding)
    # No stored values means an empty buffer, which TFLite does not count as a constant.
    assume(values.size > 0)
    model = densify_model(values, dense.shape, sparsity, dense.dtype.name)
    mine, _ = oracle.check_model(model, [])
    np.testing.assert_array_equal(mine[1], dense)


def test_block_sparse_weights_as_tensorflow_writes_them():
    """A [4, 8] weight in 1 x 4 blocks: dimension 0 dense, dimension 1 CSR over blocks."""
    dense = np.zeros((4, 8), np.int8)
    dense[0, 4:8] = [1, -2, 3, -4]
    dense[2, 0:4] = [5, 0, 6, 0]
    values, sparsity = sparsify(dense, [0, 1, 2], [DENSE, SPARSE_CSR, DENSE], [1], [4], "Uint8Vector")
    assert values.tolist() == [1, -2, 3, -4, 5, 0, 6, 0]
    mine, _ = oracle.check_model(densify_model(values, (4, 8), sparsity, "int8"), [])
    np.testing.assert_array_equal(mine[1], dense)


def test_more_values_than_the_parameters_reach_is_refused():
    dense = np.eye(3, dtype=np.float32)
    values, sparsity = sparsify(dense, [0, 1], [DENSE, SPARSE_CSR])
    with pytest.raises(SparsityError, match="reach 3 entries but 4 values"):
        densify(np.append(values, np.float32(1)), dense.shape, sparsity)


def test_index_outside_the_shape_fails_at_load():
    dense = np.eye(3, dtype=np.float32)
    values, sparsity = sparsify(dense, [0, 1], [DENSE, SPARSE_CSR])
    sparsity["dim_metadata"][1]["array_indices"] = ("Int32Vector", {"values": [0, 1, 3]})
    with pytest.raises(ModelFormatError, match=r"op 0 \(DENSIFY\): input 'sparse'.*outside shape"):
        Interpreter.from_model(densify_model(values, (3, 3), sparsity, "float32"))
