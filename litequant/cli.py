"""The `litequant` command: parse arguments, call the library, print.

Each subcommand is one function that registers its parser and sets `run`, listed in COMMANDS.
A run function returns the exit status. Library errors become one line on stderr,
`litequant: error: FILE: message`, and exit status 2; the library itself never prints.
"""
import argparse
import json
import re
import sys

from litequant import __version__
from litequant.errors import LitequantError

ERROR_STATUS = 2


def analyze_command(subparsers):
    parser = subparsers.add_parser(
        "analyze", help="describe a model; with several, compare them side by side",
        description="Print a model's structure in the layout of tf.lite.experimental.Analyzer, "
                    "then quantization, MACs, arena peak and bytes by type. With several "
                    "models, print a table comparing them against the first.")
    parser.add_argument("models", nargs="+", metavar="MODEL", help=".tflite file")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.set_defaults(run=_analyze)


def _analyze(args):
    # imported here so that other subcommands do not pay for it
    from litequant.analysis import analyze, compare, summary
    if args.json:
        # one model: its report; several: a list of reports, in argument order
        reports = [summary(path) for path in args.models]
        out = json.dumps(reports[0] if len(reports) == 1 else reports, indent=2) + "\n"
    elif len(args.models) == 1:
        out = analyze(args.models[0])
    else:
        out = compare(args.models)
    sys.stdout.write(out)
    return 0


def run_command(subparsers):
    parser = subparsers.add_parser(
        "run", help="run a model on inputs from a .npy/.npz file",
        description="Run MODEL with litequant's interpreter. The .npz holds one array per input "
                    "(keyed by input tensor or signature name); a .npy feeds a single-input "
                    "model. The first dimension may differ from the model's batch. Float data "
                    "for an integer input is quantized with the input's parameters.")
    parser.add_argument("model", metavar="MODEL", help=".tflite file")
    parser.add_argument("--input", required=True, metavar="FILE", help=".npy or .npz")
    parser.add_argument("-o", "--output", metavar="OUT.npz",
                        help="save outputs here, keyed by output tensor name")
    parser.set_defaults(run=_run)


def _run(args):
    import numpy as np

    from litequant.interpreter import Interpreter, files
    problem = args.output and _output_problem(args.output, model=args.model, file=args.input)
    if problem:
        return _fail(args.output, problem)
    interpreter = Interpreter(model_path=args.model)
    outputs = files.run(interpreter, files.read_inputs(args.input, interpreter))
    if args.output:
        files.save_outputs(args.output, outputs)
        return 0
    for name, value in outputs.items():
        preview = np.array2string(value.reshape(-1)[:8], precision=6, separator=", ")
        print(f"{name}: {value.dtype.name}{list(value.shape)} {preview}")
    return 0


def convert_command(subparsers):
    parser = subparsers.add_parser(
        "convert", help="quantize a float model to int8, calibrated on a dataset",
        description="Quantize a float .tflite to full integer: int8 activations calibrated on "
                    "DATA (min/max over all samples), per-channel int8 weights, int32 biases. "
                    "DATA is a .npz (one array per input, keyed by input name; samples along "
                    "the first axis), a .npy (single-input models), a directory of .npy/.npz "
                    "files (one sample each) or module:function naming a generator of samples "
                    "(see calibration/README.md). Prints what was quantized, the size before "
                    "and after, and each output's SQNR against the float model.")
    parser.add_argument("model", metavar="MODEL", help="float .tflite file")
    parser.add_argument("--full-int", action="store_true", required=True,
                        help="full-integer quantization (the only mode so far)")
    parser.add_argument("--dataset", required=True, metavar="DATA", help="representative inputs")
    parser.add_argument("-o", "--output", required=True, metavar="OUT.tflite")
    parser.add_argument("--io", choices=("float", "int8", "uint8"), default="float",
                        help="model input/output type (default float: QUANTIZE/DEQUANTIZE at "
                             "the edges)")
    parser.add_argument("--samples", type=_positive, metavar="N",
                        help="calibrate on the first N samples only")
    parser.add_argument("-q", "--quiet", action="store_true",
                        help="no progress bar and no summary")
    parser.set_defaults(run=_convert)


def _convert(args):
    from litequant import format as tflite_format
    from litequant.conversion import convert, summarize, summary
    problem = _output_problem(args.output, model=args.model, dataset=args.dataset)
    if problem:
        return _fail(args.output, problem)
    bar = None if args.quiet or not sys.stderr.isatty() else _ProgressBar(sys.stderr, "calibrating")
    try:
        model = convert(args.model, args.dataset, io=args.io, samples=args.samples, progress=bar)
    finally:
        if bar is not None:
            bar.close()
    tflite_format.save(model, args.output)
    if not args.quiet:
        samples = min(summary.SAMPLES, args.samples or summary.SAMPLES)
        print(summarize(args.model, args.output, args.dataset, samples=samples))
    return 0


def _positive(text):
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def _output_problem(output, **inputs):
    """Why OUT cannot be written, found before the work rather than after it. `inputs` are the
    paths the command reads, by role ("model", "dataset", ...); a directory stands for the
    .npy/.npz files in it (a dataset directory's samples)."""
    import os
    for role, path in inputs.items():
        read = [path]
        if os.path.isdir(path):
            read = [os.path.join(path, f) for f in os.listdir(path) if f.endswith((".npy", ".npz"))]
        if any(_same_file(output, source) for source in read):
            return f"the output would overwrite the input {role}"
    if os.path.isdir(output):
        return "is a directory"
    directory = os.path.dirname(os.path.abspath(output))
    if not os.path.isdir(directory):
        return "the directory does not exist"
    if not os.access(directory, os.W_OK):
        return "cannot write in this directory"
    return None


def _same_file(a, b):
    """Whether paths a and b name one file: the same path, or two names of one existing file."""
    import os
    if os.path.abspath(a) == os.path.abspath(b):
        return True
    return os.path.exists(a) and os.path.exists(b) and os.path.samefile(a, b)


class _ProgressBar:
    """`calibrating [#######.......] 32/64` on one line of a terminal, redrawn in place."""
    WIDTH = 30

    def __init__(self, stream, label):
        self.stream, self.label, self.drawn = stream, label, 0

    def __call__(self, done, total):
        if total:
            filled = self.WIDTH * done // total
            text = f"{self.label} [{'#' * filled}{'.' * (self.WIDTH - filled)}] {done}/{total}"
        else:
            text = f"{self.label} {done}"
        self.stream.write("\r" + text.ljust(self.drawn))
        self.stream.flush()
        self.drawn = len(text)

    def close(self):
        if self.drawn:
            self.stream.write("\r" + " " * self.drawn + "\r")
            self.stream.flush()


def check_command(subparsers):
    parser = subparsers.add_parser(
        "check", help="check a model against the int8 quantization spec",
        description="Check every quantized tensor and operator of MODEL against litequant's "
                    "int8 spec (schema/int8_spec.json): int8 activations with zero points in "
                    "range, per-channel symmetric int8 weights on the right dimension, int32 "
                    "biases with scale input * weight, fixed and shared output parameters, "
                    "operator versions. Prints each violation; exit status 2 if there is any.")
    parser.add_argument("model", metavar="MODEL", help=".tflite file")
    parser.set_defaults(run=_check)


def _check(args):
    from litequant.conversion.check import check
    violations = check(args.model)
    for violation in violations:
        print(_one_line(f"{args.model}: {violation}"))
    if violations:
        return ERROR_STATUS
    print(f"{args.model}: follows the int8 spec")
    return 0


COMMANDS = (analyze_command, run_command, convert_command, check_command)


def parser():
    root = argparse.ArgumentParser(
        prog="litequant", description="Post-training int8 quantization for .tflite models.")
    root.add_argument("--version", action="version", version=f"litequant {__version__}")
    subparsers = root.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for register in COMMANDS:
        register(subparsers)
    return root


def main(argv=None):
    args = parser().parse_args(argv)
    try:
        return args.run(args)
    except LitequantError as e:
        return _fail(e.source, str(e))
    except OSError as e:
        return _fail(e.filename, e.strerror or str(e))


def _fail(source, message):
    where = f"{source}: " if source else ""
    print(_one_line(f"litequant: error: {where}{message}"), file=sys.stderr)
    return ERROR_STATUS


_BREAKS = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def _one_line(message):
    """Escape line breaks and control characters (names in a damaged file may hold any)."""
    return _BREAKS.sub(lambda m: ascii(m.group())[1:-1], message)
