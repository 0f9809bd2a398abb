"""ir.Model helpers that several parts of litequant share."""
from litequant import ir
from litequant.builder import ModelBuilder


def two_input_model():
    b = ModelBuilder()
    a, c = b.input((1, 2), name="a"), b.input((1, 2), name="c")
    b.output(b.add(a, c))
    model = b.build()
    graph = model.subgraphs[0]
    model.signature_defs[0].inputs = {"second": graph.inputs[1]}     # input a has no alias
    model.signature_defs[0].outputs = {"total": graph.outputs[0]}
    model.signature_defs.append(ir.SignatureDef("other", {"elsewhere": graph.inputs[0]}, {},
                                                subgraph_index=1))
    return model


def test_interface_names_pair_each_tensor_with_its_signature_name():
    """Only signature defs of the subgraph asked for count; a tensor without one has None."""
    model = two_input_model()
    graph = model.subgraphs[0]
    assert model.interface_names("inputs") == [("a", None), ("c", "second")]
    assert model.interface_names("outputs") == [(graph.tensors[graph.outputs[0]].name, "total")]
