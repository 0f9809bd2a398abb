"""The text report reproduces tf.lite.experimental.Analyzer's output for every reference model
(tests/data/*.analyzer.txt), then adds its own sections after a heading."""
import pathlib
import re

import pytest

from litequant.analysis import analyze
from litequant.format import read, write

DATA = pathlib.Path(__file__).resolve().parent.parent / "data"
REPORTS = sorted(DATA.glob("*.analyzer.txt"))
EXTRAS_HEADING = "=" * 63 + "\n"


def analyzer_part(text):
    return text[:text.index(EXTRAS_HEADING)]


def one_line_per_tensor(reference):
    """The Analyzer streams preview bytes raw, so an INT8 weight equal to 10 breaks its tensor
    line in two; litequant prints '.' there, as for every other unprintable byte."""
    lines, in_tensors = [], False
    for line in reference.split("\n"):
        if in_tensors and line and not line.startswith("  T#"):
            lines[-1] += "." + line
            continue
        in_tensors = line.startswith("Tensors of Subgraph#") or (in_tensors and line != "")
        lines.append(line)
    return "\n".join(lines)


def structural(text):
    """Subgraph, op and tensor lines, with the data previews cut off."""
    lines = [line for line in text.splitlines()
             if line.startswith(("Subgraph#", "  Op#", "  T#"))]
    return [re.sub(r"(T#[\d_]+)\[[^\]]*\]", r"\1", re.sub(r", data:\[.*$", "", line))
            for line in lines]


@pytest.fixture(params=REPORTS, ids=lambda p: p.name.split(".")[0])
def pair(request):
    """(litequant's text, the Analyzer's text) for one reference model."""
    model = request.param.with_name(request.param.name.replace(".analyzer.txt", ".tflite"))
    return analyze(model), request.param.read_text()


def test_every_reference_model_has_a_report():
    assert len(REPORTS) == 8


def test_subgraph_op_and_tensor_lines_match(pair):
    ours, reference = pair
    expected = structural(one_line_per_tensor(reference))
    assert expected and structural(analyzer_part(ours)) == expected


def test_whole_analyzer_section_matches_including_previews(pair):
    ours, reference = pair
    assert analyzer_part(ours) == one_line_per_tensor(reference)


def test_raw_newline_quirk_is_really_in_the_references():
    # If a regenerated reference loses it, one_line_per_tensor can go.
    assert any("data:[., ., ., \n, ., ...]" in p.read_text() for p in REPORTS)


def test_extras_follow_the_analyzer_section(data_dir):
    text = analyze(data_dir / "digits_cnn_tf_int8.tflite")
    extras = text[text.index(EXTRAS_HEADING):]
    assert "not part of the TFLite Analyzer" in extras
    assert "  T#12 INT8 scale:0.00392157 zero_point:-128\n" in extras
    assert "  T#9 INT8 per-axis axis:3 channels:16 scale:" in extras
    assert "  Op#1 CONV_2D v3 MACs:9216\n" in extras
    for label in ("MACs", "Tensors by type", "Weight bytes by type", "Weight bytes in INT8",
                  "Peak activation memory"):
        assert re.search(rf"^ +{label}: ", extras, re.M), label


def test_model_in_memory_is_named_like_the_analyzer_does(data_dir):
    data = (data_dir / "breast_mlp_float.tflite").read_bytes()
    assert analyze(data).startswith("=== TFLite ModelAnalyzer ===\n\n")


def test_model_in_memory_counts_its_written_size(data_dir):
    model = read(data_dir / "breast_mlp_float.tflite")
    size = len(write(model))
    assert re.search(rf"^ +Model size: +{size} bytes$", analyze(model), re.M)


def test_later_subgraphs_name_tensors_with_their_index(data_dir):
    model = read(data_dir / "breast_mlp_float.tflite")
    model.subgraphs.append(model.clone().subgraphs[0])
    text = analyze(model)
    assert "Your TFLite model has '2' subgraph(s)." in text
    assert "Subgraph#1 main(T#1_0) -> [T#1_11]\n" in text
    assert "  Op#0 FULLY_CONNECTED(T#1_0, T#1_5, T#1_6) -> [T#1_7]\n" in text
    assert "  T#1_7(" in text
    # with several subgraphs the size section splits the data bytes per subgraph
    assert re.search(r"^          - Subgraph#1  : +\d+ bytes \(\d\d\.\d\d %\)$", text, re.M)


def test_int32_inputs_get_previews_and_others_do_not(data_dir):
    text = analyze(data_dir / "digits_cnn_tf_int8.tflite")
    assert "  Op#6 MEAN(T#17, T#1[1, 2]) -> [T#18]\n" in text
    assert "  Op#1 CONV_2D(T#12, T#11, T#10[6847, 6460, 7718, 4339, 3402, ...]) -> [T#13]\n" in text


def test_omitted_optional_input_prints_as_minus_one(data_dir):
    assert "FULLY_CONNECTED(T#27, T#3, T#-1) -> [T#28]" in analyze(data_dir / "residual_mix_tf_int8.tflite")
