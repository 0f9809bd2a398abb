"""MACs, bytes by type and the arena plan, checked against counts worked out by hand."""
from litequant import ir
from litequant.analysis import arena, stats
from litequant.format import read


def test_conv_depthwise_and_dense_macs_of_digits_cnn(data_dir):
    graph = read(data_dir / "digits_cnn_float.tflite").subgraphs[0]
    macs = [stats.op_macs(graph, op) for op in graph.operators]
    # CONV_2D 3x3, 1 -> 16 channels, SAME on 8x8: every output pixel of every channel is a
    # 3*3*1 dot product
    assert macs[0] == (8 * 8 * 16) * (3 * 3 * 1)
    # DEPTHWISE_CONV_2D 3x3 on 16 channels: one 3*3 window per output element
    assert macs[1] == (8 * 8 * 16) * (3 * 3)
    # CONV_2D 1x1, 16 -> 32 channels
    assert macs[2] == (8 * 8 * 32) * 16
    # MAX_POOL_2D 2x2 stride 2 -> 4x4x32
    assert macs[3] == (4 * 4 * 32) * (2 * 2)
    # CONV_2D 3x3 stride 2, 32 -> 32 channels -> 2x2x32
    assert macs[4] == (2 * 2 * 32) * (3 * 3 * 32)
    # MEAN over 2x2x32 reads every input element once
    assert macs[5] == 2 * 2 * 32
    # FULLY_CONNECTED 32 -> 10
    assert macs[6] == 32 * 10
    # SOFTMAX over 10 logits
    assert macs[7] == 10


def test_data_movement_costs_nothing(data_dir):
    graph = read(data_dir / "residual_mix_float.tflite").subgraphs[0]
    for op in graph.operators:
        if op.opcode in ("PAD", "CONCATENATION"):
            assert stats.op_macs(graph, op) == 0


def test_quantized_model_does_the_same_multiply_accumulates(data_dir):
    def core(name):
        graph = read(data_dir / name).subgraphs[0]
        return [stats.op_macs(graph, op) for op in graph.operators
                if op.opcode in ("CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED")]
    assert core("mobilenet_v2_035_96_float.tflite") == core("mobilenet_v2_035_96_tf_int8.tflite")


def test_bytes_and_tensors_by_type(data_dir):
    model = read(data_dir / "digits_cnn_tf_int8.tflite")
    assert stats.tensors_by_dtype(model) == {"FLOAT32": 2, "INT32": 6, "INT8": 14}
    # weights 16*9 + 16*9 + 32*16 + 32*9*32 + 10*32 int8; biases 16+16+32+32+10 int32 + 2 axes
    int8 = 16 * 9 + 16 * 9 + 32 * 16 + 32 * 9 * 32 + 10 * 32
    int32 = 4 * (16 + 16 + 32 + 32 + 10 + 2)
    assert stats.weight_bytes_by_dtype(model) == {"INT32": int32, "INT8": int8}
    total = stats.summary(model, None, 1)["totals"]
    assert total["int8_weight_share"] == int8 / (int8 + int32)


def test_shared_buffers_count_once(data_dir):
    model = read(data_dir / "residual_mix_tf_int8.tflite")
    # T#9..T#12 are four int32[8] biases stored in one buffer
    counted = stats.weight_bytes_by_dtype(model)["INT32"]
    assert counted == 32 + 8 + 64 + 32


def _chain(*sizes, skip=False):
    """float32 tensors t0 -> op0 -> t1 -> op1 -> t2 ...; with `skip`, the last op also reads t0."""
    tensors = [ir.Tensor(f"t{i}", "float32", (n // 4,)) for i, n in enumerate(sizes)]
    ops = [ir.Operator("RELU", [i], [i + 1]) for i in range(len(sizes) - 1)]
    if skip:
        ops[-1] = ir.Operator("ADD", [len(sizes) - 2, 0], [len(sizes) - 1])
    graph = ir.Subgraph(tensors=tensors, operators=ops, inputs=[0], outputs=[len(sizes) - 1])
    return ir.Model(subgraphs=[graph]), graph


def test_arena_reuses_memory_of_dead_tensors():
    model, graph = _chain(96, 192, 96)
    blocks = stats.activation_blocks(model, graph)
    assert blocks == {0: (96, 0, 0), 1: (192, 0, 1), 2: (96, 1, 2)}
    offsets, peak = arena.plan(blocks)
    # t1 (largest) at 0; t0 and t2 are never alive together, so they share the next slot
    assert offsets == {1: 0, 0: 192, 2: 192}
    assert peak == 192 + 96


def test_arena_keeps_a_tensor_alive_until_its_last_reader():
    model, graph = _chain(96, 192, 96, 96, skip=True)
    _offsets, peak = arena.plan(stats.activation_blocks(model, graph))
    assert peak == 192 + 96 + 96


def test_first_fit_fills_a_gap_and_aligns():
    blocks = {"a": (100, 0, 1), "b": (60, 1, 2), "c": (40, 2, 3), "d": (10, 0, 3)}
    offsets, peak = arena.plan(blocks)
    assert offsets["a"] == 0 and offsets["b"] == 112      # after a, rounded up to 16
    assert offsets["c"] == 0                               # a is dead by then
    assert offsets["d"] == 176                             # overlaps all of them in time
    assert peak == 186


def test_constants_are_not_in_the_arena(data_dir):
    model = read(data_dir / "digits_cnn_float.tflite")
    graph = model.subgraphs[0]
    planned = stats.activation_blocks(model, graph)
    assert all(graph.tensors[t].buffer == 0 or model.buffers[graph.tensors[t].buffer].nbytes == 0
               for t in planned)
    # the 8x8x16 and 8x8x32 float activations around the 1x1 conv are alive together
    assert stats.summary(model, None, 1)["totals"]["arena_peak_bytes"] == 4 * 8 * 8 * (16 + 32)
