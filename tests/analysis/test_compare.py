"""`litequant analyze A B ...`: one column per model, later ones marked against the first."""
import re

from litequant.analysis import compare


def table(paths):
    """Row label -> cells, from the printed table."""
    lines = compare(paths).splitlines()
    rows = {}
    for line in lines[1:]:
        label, *cells = re.split(r" {2,}", line.strip())   # columns are two spaces apart
        rows[label] = [(cells[0], None)] + [tuple(cell.split()) for cell in cells[1:]]
    return lines[0], rows


def test_digits_float_against_int8(data_dir):
    paths = [data_dir / "digits_cnn_float.tflite", data_dir / "digits_cnn_tf_int8.tflite"]
    header, rows = table(paths)
    assert header.split() == ["digits_cnn_float.tflite", "digits_cnn_tf_int8.tflite"]
    assert rows["tensors INT8"] == [("0", None), ("14", "↑")]
    assert rows["tensors FLOAT32"] == [("19", None), ("2", "↓")]
    assert rows["tensors INT16"] == [("0", None), ("0", "~")]
    assert rows["tensors total"] == [("20", None), ("22", "↑")]
    assert rows["ops"] == [("8", None), ("10", "↑")]
    assert rows["QUANTIZE"] == [("0", None), ("1", "↑")]
    assert rows["CONV_2D"] == [("3", None), ("3", "~")]
    assert rows["size (bytes)"] == [("46552", None), ("19040", "↓")]
    assert rows["weights in INT8"][1] == ("96.0%", "↑")
    assert rows["arena peak (bytes)"][1][1] == "↓"
    # QUANTIZE and DEQUANTIZE add one step per element of the input and output: under 1 %
    assert rows["MACs"][1][1] == "~"
    for label in ("tensors FLOAT16", "size (bytes)", "weight bytes"):
        assert label in rows


def test_three_models_each_marked_against_the_first(data_dir):
    names = ["digits_cnn_tf_int8", "digits_cnn_tf_int8io", "digits_cnn_float"]
    _header, rows = table([data_dir / f"{n}.tflite" for n in names])
    assert [mark for _value, mark in rows["size (bytes)"]] == [None, "↓", "↑"]
    assert [mark for _value, mark in rows["tensors total"]] == [None, "↓", "↓"]
