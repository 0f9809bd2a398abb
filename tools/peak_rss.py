"""Wall-clock time and peak RSS of one command, for the benchmarks in tools/.

On Linux a process's own peak RSS (getrusage RUSAGE_SELF) starts from its parent's high-water
mark, which is carried across fork and exec; measured from inside a child of a benchmark that has
already loaded LiteRT, it reports the benchmark's peak. So a small wrapper process, whose own
peak is that of a bare interpreter, runs the command as its only child and reports
RUSAGE_CHILDREN: the peak of that child alone (the largest over all children waited for).
"""
import subprocess
import sys

WRAPPER = """
import resource, subprocess, sys, time
start = time.perf_counter()
done = subprocess.run(sys.argv[1:], check=True, stdout=subprocess.PIPE)
seconds = time.perf_counter() - start
print(seconds, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
sys.stdout.buffer.write(done.stdout)
"""


def measure(command):
    """(wall-clock seconds, peak RSS in KiB, the command's stdout as text) of one run."""
    out = subprocess.run([sys.executable, "-c", WRAPPER, *map(str, command)],
                         capture_output=True, text=True, check=True).stdout
    first, _, rest = out.partition("\n")
    seconds, kib = first.split()
    return float(seconds), int(kib), rest
