"""`litequant analyze --json`: the documented keys, and totals that add up."""
import contextlib
import io
import json

from litequant import cli

TOP = {"file", "model_bytes", "buffers", "subgraphs", "signature_defs", "totals"}
TOTALS = {"operators", "operators_by_type", "macs", "tensors", "tensors_by_dtype", "weight_bytes",
          "weight_bytes_by_dtype", "int8_weight_share", "arena_peak_bytes"}
SUBGRAPH = {"index", "name", "inputs", "outputs", "operators", "tensors", "macs",
            "activation_bytes", "arena_peak_bytes"}
OPERATOR = {"index", "opcode", "custom_code", "version", "inputs", "outputs", "macs"}
TENSOR = {"index", "name", "dtype", "shape", "shape_signature", "buffer", "bytes",
          "constant_bytes", "arena_offset", "quantization"}


def run_json(*paths):
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert cli.main(["analyze", "--json", *map(str, paths)]) == 0
    return json.loads(out.getvalue())


def test_keys(data_dir):
    report = run_json(data_dir / "digits_cnn_tf_int8.tflite")
    assert set(report) == TOP and set(report["totals"]) == TOTALS
    graph = report["subgraphs"][0]
    assert set(graph) == SUBGRAPH
    assert all(set(op) == OPERATOR for op in graph["operators"])
    assert all(set(t) == TENSOR for t in graph["tensors"])
    assert set(report["buffers"]) == {"data_bytes", "non_data_bytes", "zero_value_bytes"}
    assert report["signature_defs"] == [{"key": "serving_default", "subgraph": 0,
                                         "inputs": {"keras_tensor": 0}, "outputs": {"output_0": 21}}]


def test_totals_add_up(model_path):
    report = run_json(model_path)
    graphs, totals = report["subgraphs"], report["totals"]
    assert report["file"] == model_path.name
    assert report["model_bytes"] == model_path.stat().st_size
    assert report["buffers"]["data_bytes"] + report["buffers"]["non_data_bytes"] == report["model_bytes"]
    assert totals["macs"] == sum(op["macs"] for g in graphs for op in g["operators"]) > 0
    assert totals["operators"] == sum(totals["operators_by_type"].values())
    assert totals["tensors"] == sum(totals["tensors_by_dtype"].values())
    assert totals["tensors"] == sum(len(g["tensors"]) for g in graphs)
    assert totals["weight_bytes"] == sum(totals["weight_bytes_by_dtype"].values())
    assert 0 < totals["arena_peak_bytes"] <= graphs[0]["activation_bytes"]
    if "int8" in model_path.name:
        assert totals["int8_weight_share"] > 0.8
    else:
        assert totals["int8_weight_share"] == 0


def test_tensor_entries(data_dir):
    tensors = run_json(data_dir / "digits_cnn_tf_int8.tflite")["subgraphs"][0]["tensors"]
    weights, activation = tensors[3], tensors[12]
    assert weights["dtype"] == "INT8" and weights["shape"] == [10, 32]
    assert weights["constant_bytes"] == 320 and weights["arena_offset"] is None
    assert weights["quantization"]["axis"] == 0 and len(weights["quantization"]["scale"]) == 10
    assert activation["shape"] == [1, 8, 8, 1] and activation["shape_signature"] == [-1, 8, 8, 1]
    assert activation["constant_bytes"] == 0 and activation["arena_offset"] is not None
    assert activation["quantization"] == {"scale": [activation["quantization"]["scale"][0]],
                                          "zero_point": [-128], "axis": None}


def test_several_models_give_a_list(data_dir):
    names = ["digits_cnn_float.tflite", "digits_cnn_tf_int8.tflite"]
    reports = run_json(*(data_dir / n for n in names))
    assert [r["file"] for r in reports] == names
