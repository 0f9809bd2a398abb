"""Interpreter speed and cold start, as ratios against anchors measured in the same run.

    pip install -e '.[bench]' && python tools/bench_interpreter.py [--runs N]

For each tests/data/*_tf_int8io.tflite: ms per invoke of litequant, of tflite-micro's Python
interpreter (its C++ reference kernels) and of LiteRT on one thread (default XNNPACK path and
BUILTIN_REF). Then the cold start of litequant (import + load + first invoke of MobileNetV2) and
its peak memory beside a process that only imports numpy.
"""
import argparse
import pathlib
import statistics
import sys
import time

import numpy as np

import peak_rss

DATA = pathlib.Path(__file__).resolve().parent.parent / "tests" / "data"
MODELS = ("breast_mlp", "digits_cnn", "residual_mix", "mobilenet_v2_035_96")


def per_invoke_ms(set_input, invoke, runs):
    """Median of `runs` timings, after one warm-up."""
    set_input()
    invoke()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        set_input()
        invoke()
        times.append(time.perf_counter() - start)
    return 1000 * statistics.median(times)


def sample(shape, dtype):
    info = np.iinfo(dtype)
    return np.random.default_rng(0).integers(info.min, info.max + 1, shape).astype(dtype)


def time_litequant(path, runs):
    from litequant import Interpreter
    it = Interpreter(model_path=str(path))
    it.allocate_tensors()
    d = it.get_input_details()[0]
    x = sample(d["shape"], d["dtype"])
    return per_invoke_ms(lambda: it.set_tensor(d["index"], x), it.invoke, runs)


def time_litert(path, runs, reference):
    from ai_edge_litert.interpreter import Interpreter, OpResolverType
    kind = OpResolverType.BUILTIN_REF if reference else OpResolverType.AUTO
    it = Interpreter(model_path=str(path), num_threads=1, experimental_op_resolver_type=kind)
    it.allocate_tensors()
    d = it.get_input_details()[0]
    x = sample(d["shape"], d["dtype"])
    return per_invoke_ms(lambda: it.set_tensor(d["index"], x), it.invoke, runs)


def time_tflite_micro(path, runs):
    from tflite_micro.python.tflite_micro import runtime
    it = runtime.Interpreter.from_file(str(path))
    d = it.get_input_details(0)
    x = sample(d["shape"], d["dtype"])
    return per_invoke_ms(lambda: it.set_input(x, 0), it.invoke, runs)


COLD_START = """
import time
t0 = time.perf_counter()
import numpy as np
t1 = time.perf_counter()
{body}
t2 = time.perf_counter()
print(t1 - t0, t2 - t1)
"""

LITEQUANT_FIRST_INVOKE = """
import litequant
it = litequant.Interpreter(model_path={path!r})
it.allocate_tensors()
d = it.get_input_details()[0]
it.set_tensor(d["index"], np.zeros(d["shape"], d["dtype"]))
it.invoke()
"""


def cold_start(path):
    """(seconds to import numpy, seconds for litequant import+load+first invoke, peak KiB of
    that process, peak KiB of a process that only imports numpy): best of three runs. Each
    process runs under peak_rss's wrapper, as this one has loaded LiteRT and tflite-micro."""
    def run(body):
        _, kib, out = peak_rss.measure([sys.executable, "-c", COLD_START.format(body=body)])
        numpy_s, body_s = out.split()
        return float(numpy_s), float(body_s), kib
    runs = [run(LITEQUANT_FIRST_INVOKE.format(path=str(path))) for _ in range(3)]
    anchor = min(run("pass")[2] for _ in range(3))
    best = min(runs, key=lambda r: r[1])
    return best[0], best[1], best[2], anchor


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    header = (f"{'model':22} {'litequant':>10} {'tflm':>9} {'litert':>9} {'lrt-ref':>9}"
              f" {'lq/tflm':>8} {'lq/litert':>9}")
    print("ms per invoke (median), int8 models with int8 interface")
    print(header)
    for name in MODELS:
        path = DATA / f"{name}_tf_int8io.tflite"
        lq = time_litequant(path, args.runs)
        tflm = time_tflite_micro(path, args.runs)
        litert = time_litert(path, args.runs, reference=False)
        ref = time_litert(path, args.runs, reference=True)
        print(f"{name:22} {lq:10.3f} {tflm:9.3f} {litert:9.3f} {ref:9.3f}"
              f" {lq / tflm:8.2f}x {lq / litert:8.2f}x")
    numpy_s, first_s, peak, anchor = cold_start(DATA / "mobilenet_v2_035_96_tf_int8io.tflite")
    model_kib = (DATA / "mobilenet_v2_035_96_tf_int8io.tflite").stat().st_size / 1024
    print(f"\ncold start, MobileNetV2 int8: import numpy {numpy_s * 1000:.0f} ms, then "
          f"import litequant + load + first invoke {first_s * 1000:.0f} ms")
    print(f"peak RSS {peak / 1024:.1f} MiB vs {anchor / 1024:.1f} MiB for numpy alone "
          f"(+{(peak - anchor) / 1024:.1f} MiB; model file {model_kib / 1024:.2f} MiB)")


if __name__ == "__main__":
    main()
