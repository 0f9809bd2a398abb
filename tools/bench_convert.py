"""Whole-process time and peak memory of `litequant convert --full-int` on MobileNetV2.

    python tools/bench_convert.py [--runs N]

Converts tests/data/mobilenet_v2_035_96_float.tflite with its 64 calibration samples, as a user
would from the shell: once quiet (-q: the conversion alone) and once with the summary (which
runs the float and the int8 model on 16 samples for the SQNR). Then the same with the
calibration set repeated four times, to show that memory does not grow with the sample count.
Each figure is printed beside an anchor process that only imports numpy, as ratios. Targets:
under 2 s and under 300 MB for the conversion.
"""
import argparse
import pathlib
import sys
import tempfile

import numpy as np

import peak_rss

ROOT = pathlib.Path(__file__).resolve().parent.parent
MODEL = ROOT / "tests" / "data" / "mobilenet_v2_035_96_float.tflite"
DATASET = ROOT / "calibration" / "mobilenet_v2_035_96_calib.npz"
TARGET_SECONDS, TARGET_MB = 2.0, 300


def measure(command, runs):
    """(best wall-clock seconds, peak RSS in MB of that run) over `runs` runs of `command`."""
    results = []
    for _ in range(runs):
        seconds, kib, _ = peak_rss.measure(command)
        results.append((seconds, kib / 1024))
    return min(results)


def convert_command(dataset, output, *extra):
    return [sys.executable, "-m", "litequant", "convert", "--full-int", MODEL,
            "--dataset", dataset, "-o", output, *extra]


def repeated_dataset(directory, times):
    """The calibration set repeated `times` times, as a new .npz."""
    with np.load(DATASET) as data:
        arrays = {key: np.concatenate([data[key]] * times) for key in data.files}
    path = pathlib.Path(directory) / f"calib_x{times}.npz"
    np.savez(path, **arrays)
    return path


def report(label, result, anchor):
    seconds, mb = result
    print(f"{label:34} {seconds:6.2f} s {mb:7.1f} MB   {seconds / anchor[0]:5.1f}x "
          f"{mb / anchor[1]:5.2f}x")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="best of N runs (default 3)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        output = pathlib.Path(directory) / "out.tflite"
        anchor = measure([sys.executable, "-c", "import numpy"], args.runs)
        quiet = measure(convert_command(DATASET, output, "-q"), args.runs)
        full = measure(convert_command(DATASET, output), args.runs)
        many = measure(convert_command(repeated_dataset(directory, 4), output, "-q"), 1)
    print(f"MobileNetV2 0.35/96, {MODEL.stat().st_size / 1e6:.2f} MB float model; "
          f"best of {args.runs}; ratios against the anchor")
    print(f"{'':34} {'time':>8} {'peak RSS':>10}   {'time':>6} {'RSS':>6}")
    report("anchor: python -c 'import numpy'", anchor, anchor)
    report("convert, 64 samples, -q", quiet, anchor)
    report("convert, 64 samples, with summary", full, anchor)
    report("convert, 256 samples, -q", many, anchor)
    verdict = "meets" if quiet[0] < TARGET_SECONDS and quiet[1] < TARGET_MB else "misses"
    print(f"\nconversion {verdict} the target (< {TARGET_SECONDS:.0f} s, < {TARGET_MB} MB); "
          f"memory with 4x the samples: {many[1] - quiet[1]:+.1f} MB")


if __name__ == "__main__":
    main()
