"""The converter's clean-up passes, one class per pass, on builder-made float models.

Every rewrite is checked three ways: the count the pass reports, the shape of the graph after
it, and the model's outputs, which LiteRT's reference kernels must compute exactly as before
(with the same input and output tensor names: the interface never changes).
"""
import numpy as np
import pytest

from litequant import format as tflite_format
from litequant.builder import ModelBuilder
from litequant.conversion.passes import (densify_weights, fold_fp16_dequantize, fold_shape_chains,
                                      prune_unused, remove_qdq_pairs)
from tests import oracle
from tests.convert import production_models

# The order the converter runs them in: densify before the float16 fold (sparse float16
# weights are densified to float16 first), prune last.
CLEANUP = (densify_weights, fold_fp16_dequantize, fold_shape_chains, remove_qdq_pairs,
           prune_unused)


def litert_outputs(model, inputs):
    tensors = oracle.reference(model, inputs)
    return [tensors[t] for t in model.subgraphs[0].outputs]


def interface(model):
    graph = model.subgraphs[0]
    names = [[graph.tensors[t].name for t in ts] for ts in (graph.inputs, graph.outputs)]
    signatures = [(s.key, {k: graph.tensors[t].name for k, t in {**s.inputs, **s.outputs}.items()})
                  for s in model.signature_defs]
    return names, signatures


def run_pass(rewrite, model, inputs):
    """Apply one pass; the outputs and the interface must not change. Returns its count."""
    before, names = litert_outputs(model, inputs), interface(model)
    count = rewrite.run(model)
    model = tflite_format.read(tflite_format.write(model))   # it must still serialize
    assert interface(model) == names
    for want, got in zip(before, litert_outputs(model, inputs)):
        np.testing.assert_array_equal(got, want)
    return count


def opcodes(model):
    return [op.opcode for op in model.subgraphs[0].operators]


def dtypes(model):
    return {t.dtype for t in model.subgraphs[0].tensors}


def float_input(rng, shape):
    return [rng.uniform(-1, 1, shape).astype(np.float32)]


def fp16(b, array):
    return b.unary("DEQUANTIZE", b.constant(np.asarray(array, np.float16)), out_dtype="float32")


class TestFoldFp16Dequantize:
    def test_mobilenet_v3_block_weights_become_float32(self):
        model, sample = production_models.mobilenet_v3_block()
        buffers = len(model.buffers)
        assert run_pass(fold_fp16_dequantize, model, sample(np.random.default_rng(1))) == 14
        assert "DEQUANTIZE" not in opcodes(model)
        assert "float16" not in dtypes(model)
        assert len(model.buffers) == buffers      # each float16 buffer replaced by a float32 one

    def test_one_float16_constant_read_by_several_ops(self):
        rng = np.random.default_rng(2)
        b = ModelBuilder()
        x = b.input((1, 5, 5, 3))
        w16 = b.constant(rng.standard_normal((3, 3, 3, 3)).astype(np.float16))
        shared = b.unary("DEQUANTIZE", w16, out_dtype="float32")
        again = b.unary("DEQUANTIZE", w16, out_dtype="float32")
        bias = b.constant(np.zeros(3, np.float32))
        y = b.add(b.conv_2d(x, shared, bias), b.conv_2d(x, shared, bias))
        b.output(b.add(y, b.conv_2d(x, again, bias)))
        model = b.build()
        assert run_pass(fold_fp16_dequantize, model, float_input(rng, (1, 5, 5, 3))) == 2
        assert opcodes(model) == ["CONV_2D", "CONV_2D", "ADD", "CONV_2D", "ADD"]
        assert "float16" not in dtypes(model)

    def test_leaves_graph_outputs_and_int8_weights(self):
        rng = np.random.default_rng(3)
        b = ModelBuilder()
        x = b.input((1, 4))
        hybrid = b.unary("DEQUANTIZE", b.constant(np.arange(4, dtype=np.int8), quant=(0.5, 0)),
                         out_dtype="float32")
        b.output(b.add(x, fp16(b, np.ones(4))), b.add(x, hybrid), fp16(b, np.full(4, 2.0)))
        model = b.build()
        assert run_pass(fold_fp16_dequantize, model, float_input(rng, (1, 4))) == 1
        assert opcodes(model) == ["DEQUANTIZE", "ADD", "ADD", "DEQUANTIZE"]


class TestDensifyWeights:
    def test_sparse_fully_connected_weights_become_dense(self):
        model, sample = production_models.shape_chain_sparse_fc()
        assert run_pass(densify_weights, model, sample(np.random.default_rng(1))) == 1
        graph = model.subgraphs[0]
        assert "DENSIFY" not in opcodes(model)
        assert all(t.sparsity is None for t in graph.tensors)
        fc = graph.operators[opcodes(model).index("FULLY_CONNECTED")]
        assert model.tensor_data(graph.tensors[fc.inputs[1]]).shape == (10, 128)

    def test_sparse_float16_weights_then_fold_to_float32(self):
        rng = np.random.default_rng(4)
        b = ModelBuilder()
        x = b.input((2, 16))
        w = rng.standard_normal((4, 16)).astype(np.float16)
        w[rng.random(w.shape) < 0.6] = 0
        dense16 = production_models.sparse_constant(b, w)
        b.output(b.fully_connected(x, b.unary("DEQUANTIZE", dense16, out_dtype="float32")))
        model = b.build()
        inputs = float_input(rng, (2, 16))
        assert run_pass(densify_weights, model, inputs) == 1
        assert opcodes(model) == ["DEQUANTIZE", "FULLY_CONNECTED"]
        assert run_pass(fold_fp16_dequantize, model, inputs) == 1
        assert opcodes(model) == ["FULLY_CONNECTED"]


def flatten_chain(b, x, batch_from, *rest):
    """Keras's dynamic flatten: RESHAPE(x, PACK(SHAPE(x)[batch_from], *rest)); one of rest may
    be -1."""
    shape = b.op("SHAPE", [x], (len(b.shape(x)),), out_dtype="int32", out_type="INT32")
    index = [b.constant(np.array([v], np.int32)) for v in (batch_from, batch_from + 1, 1)]
    picked = b.op("STRIDED_SLICE", [shape] + index, (), shrink_axis_mask=1)
    parts = [picked] + [b.constant(np.array(v, np.int32)) for v in rest]
    packed = b.op("PACK", parts, (len(parts),), values_count=len(parts), axis=0)
    batch = b.shape(x)[batch_from]
    leftover = int(np.prod(b.shape(x))) // (batch * int(np.prod([d for d in rest if d != -1])))
    return b.op("RESHAPE", [x, packed], (batch,) + tuple(leftover if d == -1 else d for d in rest))


def reshape_shape(model):
    graph = model.subgraphs[0]
    reshape = graph.operators[opcodes(model).index("RESHAPE")]
    return model.tensor_data(graph.tensors[reshape.inputs[1]]).tolist()


def dynamic(model, *tensors, dims=(0,)):
    for t in tensors:
        tensor = model.subgraphs[0].tensors[t]
        tensor.shape_signature = tuple(-1 if i in dims else d for i, d in enumerate(tensor.shape))


class TestFoldShapeChains:
    def test_static_shapes_fold_to_a_constant_shape(self):
        b = ModelBuilder()
        x = b.input((2, 3, 4))
        b.output(flatten_chain(b, x, 0, 12))
        model = b.build()
        assert run_pass(fold_shape_chains, model, float_input(np.random.default_rng(5), (2, 3, 4))) == 3
        assert opcodes(model) == ["RESHAPE"]
        assert reshape_shape(model) == [2, 12]

    def test_dynamic_batch_becomes_minus_one(self):
        model, sample = production_models.shape_chain_sparse_fc()
        assert run_pass(fold_shape_chains, model, sample(np.random.default_rng(1))) == 3
        assert opcodes(model) == ["CONV_2D", "RESHAPE", "DENSIFY", "FULLY_CONNECTED", "SOFTMAX"]
        assert reshape_shape(model) == [-1, 128]
        batch_of_three = sample(np.random.default_rng(2))[0].repeat(3, axis=0)
        assert litert_outputs(model, [batch_of_three])[0].shape == (3, 10)

    def test_batch_and_minus_one_become_minus_one_and_the_static_size(self):
        b = ModelBuilder()
        x = b.input((1, 3, 4))
        b.output(b.unary("RELU", flatten_chain(b, x, 0, -1)))
        model = b.build()
        out = model.subgraphs[0].outputs[0]
        dynamic(model, x, out - 1, out)   # the input, the RESHAPE's output and the output
        inputs = float_input(np.random.default_rng(6), (1, 3, 4))
        assert run_pass(fold_shape_chains, model, inputs) == 3
        assert reshape_shape(model) == [-1, 12]
        batch_of_two = [inputs[0].repeat(2, axis=0)]
        assert litert_outputs(model, batch_of_two)[0].shape == (2, 12)

    def test_two_dynamic_entries_keep_the_chain(self):
        b = ModelBuilder()
        x = b.input((1, 6, 4))
        shape = b.op("SHAPE", [x], (3,), out_dtype="int32", out_type="INT32")
        b.output(b.op("RESHAPE", [x, shape], (1, 6, 4)))
        model = b.build()
        dynamic(model, x, model.subgraphs[0].outputs[0], dims=(0, 1))
        assert run_pass(fold_shape_chains, model, float_input(np.random.default_rng(6), (1, 6, 4))) == 0
        assert opcodes(model) == ["SHAPE", "RESHAPE"]

    def test_a_shape_that_is_a_graph_output_stays(self):
        b = ModelBuilder()
        x = b.input((2, 3))
        b.output(b.op("SHAPE", [x], (2,), out_dtype="int32", out_type="INT32"), b.unary("RELU", x))
        model = b.build()
        assert run_pass(fold_shape_chains, model, float_input(np.random.default_rng(7), (2, 3))) == 0


# Inputs on the int8 grid of scale 1/64 inside its range: one QUANTIZE -> DEQUANTIZE round trip
# returns them unchanged, so removing the pair must not change any output.
GRID = (1 / 64, 0)


def on_grid(rng, shape):
    return [(rng.integers(-128, 128, shape) / 64).astype(np.float32)]


class TestRemoveQdqPairs:
    def test_dequantize_then_quantize_on_the_same_grid(self):
        b = ModelBuilder()
        x = b.input((1, 8), "int8", quant=(0.1, 3))
        real = b.unary("DEQUANTIZE", x, out_dtype="float32")
        back = b.unary("QUANTIZE", real, out_dtype="int8", out_quant=(0.1, 3))
        b.output(b.reshape(back, (2, 4)))
        model = b.build()
        inputs = [np.random.default_rng(8).integers(-128, 128, (1, 8)).astype(np.int8)]
        assert run_pass(remove_qdq_pairs, model, inputs) == 1
        assert opcodes(model) == ["RESHAPE"]

    def test_dequantize_then_quantize_onto_another_grid_stays(self):
        b = ModelBuilder()
        x = b.input((1, 8), "int8", quant=(0.1, 3))
        real = b.unary("DEQUANTIZE", x, out_dtype="float32")
        b.output(b.reshape(b.unary("QUANTIZE", real, out_dtype="int8", out_quant=(0.2, 3)), (2, 4)))
        assert remove_qdq_pairs.run(b.build()) == 0

    def test_quantize_then_dequantize_of_a_float(self):
        b = ModelBuilder()
        x = b.input((1, 8))
        q = b.unary("QUANTIZE", x, out_dtype="int8", out_quant=GRID)
        b.output(b.unary("RELU", b.unary("DEQUANTIZE", q, out_dtype="float32")))
        model = b.build()
        assert run_pass(remove_qdq_pairs, model, on_grid(np.random.default_rng(9), (1, 8))) == 1
        assert opcodes(model) == ["RELU"]
        assert dtypes(model) == {"float32"}

    def test_a_chain_collapses_pair_by_pair(self):
        b = ModelBuilder()
        x = b.input((1, 8))
        y = x
        for _ in range(2):
            q = b.unary("QUANTIZE", y, out_dtype="int8", out_quant=GRID)
            y = b.unary("DEQUANTIZE", q, out_dtype="float32")
        b.output(b.unary("RELU", y))
        model = b.build()
        assert run_pass(remove_qdq_pairs, model, on_grid(np.random.default_rng(10), (1, 8))) == 2
        assert opcodes(model) == ["RELU"]

    def test_the_interface_is_kept(self):
        b = ModelBuilder()
        x = b.input((1, 8))
        q = b.unary("QUANTIZE", x, out_dtype="int8", out_quant=GRID)
        ends_at_output = b.unary("DEQUANTIZE", q, out_dtype="float32")
        b.output(ends_at_output, b.unary("RELU", b.unary("DEQUANTIZE", q, out_dtype="float32")), q)
        model = b.build()
        assert run_pass(remove_qdq_pairs, model, on_grid(np.random.default_rng(11), (1, 8))) == 1
        assert opcodes(model) == ["QUANTIZE", "DEQUANTIZE", "RELU"]


class TestPruneUnused:
    def test_dead_ops_orphan_tensors_and_buffers_go(self):
        rng = np.random.default_rng(12)
        b = ModelBuilder()
        x = b.input((1, 4, 4, 2), name="x")
        b.unary("TANH", b.conv_2d(x, rng.standard_normal((3, 1, 1, 2)).astype(np.float32), np.ones(3, np.float32)))
        b.constant(np.ones(7, np.float32))            # an orphan tensor with its buffer
        b.output(b.unary("RELU", x))
        model = b.build()
        model.buffers.append(model.buffers[-1])       # a buffer no tensor uses
        tensors, buffers = len(model.subgraphs[0].tensors), len(model.buffers)
        # 2 ops; 5 tensors (weights, bias, both op outputs, the orphan); their 4 buffers and the extra
        assert run_pass(prune_unused, model, float_input(rng, (1, 4, 4, 2))) == 2 + 5 + 4
        assert opcodes(model) == ["RELU"]
        assert len(model.subgraphs[0].tensors) == tensors - 5
        assert len(model.buffers) == buffers - 4
        assert model.signature_defs[0].outputs == {"t6": 1}

    def test_ops_without_outputs_and_on_variables_stay(self):
        b = ModelBuilder()
        x = b.input((1, 4))
        state = b.tensor((1, 4), name="state")
        b.graph.tensors[state].is_variable = True
        b.operator("ASSIGN_VARIABLE", [x, x], [])
        b.op("ADD", [x, state], (1, 4))
        b.output(b.unary("RELU", x))
        model = b.build()
        assert prune_unused.run(model) == 0


@pytest.mark.parametrize("build", production_models.BUILDERS, ids=lambda f: f.__name__)
def test_production_models_run_and_survive_the_cleanup(build):
    model, sample = build()
    inputs = sample(np.random.default_rng(0))
    assert all(np.isfinite(out).all() for out in litert_outputs(model, inputs))
    counts = {p.__name__.rsplit(".", 1)[1]: run_pass(p, model, inputs) for p in CLEANUP}
    assert not {"DEQUANTIZE", "DENSIFY", "SHAPE"} & set(opcodes(model)), counts
    assert "float16" not in dtypes(model)
    oracle.check_model(model, inputs)    # what the converter calibrates on runs in litequant


@pytest.mark.parametrize("name", ["breast_mlp", "digits_cnn", "mobilenet_v2_035_96", "residual_mix"])
def test_real_float_models_need_no_cleanup(data_dir, name):
    model = tflite_format.read(data_dir / f"{name}_float.tflite")
    assert [p.run(model) for p in CLEANUP] == [0] * len(CLEANUP)
