"""Whole-process times of forgetpredict fit and predict beside numpy's plain biased ALS (see process-times.sh).

Each run starts every command as a fresh process and records its wall time and its CPU time (user + system, from the
kernel's accounting of the child), so a busy machine shows up as wall time well above CPU time."""
import os
import resource
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np


def engine(root):
    if os.environ.get("FORGETPREDICT"):
        return shlex.split(os.environ["FORGETPREDICT"])
    if shutil.which("forgetpredict"):
        return [shutil.which("forgetpredict")]
    return ["dotnet", os.path.join(root, "src/ForgetPredict.Cli/bin/Release/net10.0/forgetpredict.dll")]


def timed(command):
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    result = subprocess.run(command, capture_output=True, text=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if result.returncode != 0:
        sys.exit(f"{' '.join(command)} failed:\n{result.stderr}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, result.stdout.strip().splitlines()[0]


def main():
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    root = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
    fp = engine(root)
    print("engine:", " ".join(fp))
    with tempfile.TemporaryDirectory(prefix="fp-perf-") as work:
        z_path, model, observed = (os.path.join(work, n) for n in ("z.npy", "m.fpm", "observed.csv"))
        subprocess.run(fp + ["synth", "--rows", "85", "--cols", "141816", "--seed", "42", "--out", z_path], check=True, capture_output=True)
        z = np.load(z_path)
        cells = np.random.default_rng(0).choice(z.shape[1], 30, replace=False)
        with open(observed, "w") as f:
            f.write("example,value\n" + "".join(f"{j},{z[0, j]!r}\n" for j in cells))
        commands = {
            "fit": fp + ["fit", z_path, "--method", "mf", "--rank", "5", "--out", model],
            "numpy ALS": [sys.executable, os.path.join(root, "tests/perf/numpy_als.py"), z_path],
            "predict": fp + ["predict", "--model", model, "--observed", observed],
        }
        times = {name: [] for name in commands}
        lines = {}
        for run in range(1, runs + 1):
            for name, command in commands.items():
                wall, cpu, line = timed(command)
                times[name].append((wall, cpu))
                lines[name] = line
            print(f"run {run}: " + ", ".join(f"{n} {w:.2f} s (cpu {c:.2f} s)" for n, [*_, (w, c)] in times.items()))
        for name, line in lines.items():
            print(f"  {name}: {line}")
        median = {n: (statistics.median(w for w, _ in t), statistics.median(c for _, c in t)) for n, t in times.items()}
        (fw, fc), (nw, nc), (pw, pc) = median["fit"], median["numpy ALS"], median["predict"]
        print(f"median of {runs}: fit process {fw:.2f} s (cpu {fc:.2f} s), numpy ALS process {nw:.2f} s (cpu {nc:.2f} s): "
              f"fit / numpy {fw / nw:.2f} (target <= 0.33); predict process {pw:.2f} s (cpu {pc:.2f} s; target <= 0.4 s)")


if __name__ == "__main__":
    main()
