"""Constants with byte-identical data share one buffer.

    int32 bias b1 = [0, 0, 0, 0] -> buffer 7        int32 bias b1 -> buffer 7
    int32 bias b2 = [0, 0, 0, 0] -> buffer 9   ->   int32 bias b2 -> buffer 7   (buffer 9 dropped)

Quantization makes duplicates that were not there in float: zero biases of different layers
become identical int32 zeros (TensorFlow stores them once as well). Tensors keep their own
quantization parameters; only the bytes are shared. Returns the number of buffers merged.
"""
from litequant import ir


def run(model):
    merged = ir.dedupe_buffers(model)
    ir.prune_buffers(model)
    return merged
