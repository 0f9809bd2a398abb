"""Hypothesis strategy and model maker shared by the AVERAGE_POOL_2D and MAX_POOL_2D tests:
NHWC inputs with distinct extents and batch 1..3, filters and strides 1..5 / 1..3 per axis
(filters larger than strides, smaller, and larger than the input under SAME), both paddings,
every fused activation, int8 with a drawn (S, Z) that the output shares."""
from hypothesis import strategies as st

from litequant.builder import ModelBuilder
from tests.kernels.binary_cases import ACTIVATIONS, values
from tests.kernels.unary_cases import quant, shapes


@st.composite
def pool_cases(draw, dtype):
    n, h, w, c = draw(shapes(4, 4, max_extent=11))
    fh, fw = draw(st.integers(1, 5)), draw(st.integers(1, 5))
    padding = draw(st.sampled_from(["SAME", "VALID"]))
    if fh > h or fw > w:
        padding = "SAME"                    # VALID needs the window inside the input
    options = dict(filter_size=(fh, fw), stride=(draw(st.integers(1, 3)), draw(st.integers(1, 3))),
                   padding=padding, activation=draw(st.sampled_from(ACTIVATIONS)))
    q = draw(quant(1e-6, 1.0)) if dtype == "int8" else None
    return draw(values((n, h, w, c), dtype)), q, options


def pool_model(opcode, x, q, **options):
    b = ModelBuilder()
    inp = b.input(x.shape, x.dtype.name, quant=q)
    b.output(b.pool_2d(opcode, inp, **options))
    return b.build()
