"""textvae against the reference training loop, interleaved in one run, as a ratio of medians.

    python -m benchmarks.compare --data ../shared/data/ptb --threads 1 2 --reps 3 --seconds 20

For each rep and thread count it runs, one after the other in fresh processes, textvae's throughput
mode at the reference's size (``benchmarks.ptb --config bowman``, bf16 and fp32; and in fp32 with the
reference's one-way encoder, ``--config bowman-one-way``) and ``benchmarks.reference`` (``--programs``
picks some); then prints one JSON object with every run and, per thread count, the median tokens/s
(wall clock and per CPU-second), the median peak RSS and textvae's ratio to the reference.
Interleaving makes the ratio fair on a machine whose load changes while it runs.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = (
    Path(__file__).resolve().parents[1]
)  # `python -m benchmarks...` from here: pysbd installs a package called benchmarks too
PROGRAMS = {
    "textvae-bf16": [
        "-m",
        "benchmarks.ptb",
        "--mode",
        "throughput",
        "--config",
        "bowman",
        "--precision",
        "bf16",
        "--profile-steps",
        "0",
        "--no-peak",
    ],
    "textvae-fp32": [
        "-m",
        "benchmarks.ptb",
        "--mode",
        "throughput",
        "--config",
        "bowman",
        "--precision",
        "fp32",
        "--profile-steps",
        "0",
        "--no-peak",
    ],
    "textvae-fp32-one-way": [
        "-m",
        "benchmarks.ptb",
        "--mode",
        "throughput",
        "--config",
        "bowman-one-way",
        "--precision",
        "fp32",
        "--profile-steps",
        "0",
        "--no-peak",
    ],
    "reference": ["-m", "benchmarks.reference"],
}
KEYS = ("tokens_per_s", "tokens_per_cpu_s", "peak_rss_mb")


def measure(program: str, data: str, threads: int, seconds: float, warmup: float) -> dict:
    cmd = [
        sys.executable,
        *PROGRAMS[program],
        "--data",
        data,
        "--threads",
        str(threads),
        "--seconds",
        str(seconds),
        "--warmup",
        str(warmup),
    ]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True, cwd=ROOT).stdout
    result = json.loads(out)
    return {
        "program": program,
        "threads": threads,
        **{k: result[k] for k in KEYS},
        "load_average": result.get("load_average"),
    }


def summarise(runs: list[dict], threads: int) -> dict:
    medians = {
        p: {k: statistics.median(r[k] for r in runs if r["program"] == p and r["threads"] == threads) for k in KEYS}
        for p in dict.fromkeys(r["program"] for r in runs)
    }
    ref = medians["reference"]
    ratios = {
        p: {
            "tokens_per_s": round(m["tokens_per_s"] / ref["tokens_per_s"], 2),
            "tokens_per_cpu_s": round(m["tokens_per_cpu_s"] / ref["tokens_per_cpu_s"], 2),
            "peak_rss": round(m["peak_rss_mb"] / ref["peak_rss_mb"], 2),
        }
        for p, m in medians.items()
        if p != "reference"
    }
    return {"median": medians, "ratio_to_reference": ratios}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.compare", description=__doc__.split("\n\n")[0])
    p.add_argument("--data", required=True, help="folder with ptb.train.txt, ptb.valid.txt, ptb.test.txt")
    p.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    p.add_argument("--reps", type=int, default=3)
    p.add_argument("--seconds", type=float, default=20.0)
    p.add_argument("--warmup", type=float, default=4.0)
    p.add_argument("--programs", nargs="+", choices=list(PROGRAMS), default=list(PROGRAMS))
    args = p.parse_args(argv)
    if "reference" not in args.programs:
        p.error("--programs must include reference: the ratios are to it")
    runs = []
    for rep in range(args.reps):
        for threads in args.threads:
            for program in args.programs:
                runs.append({"rep": rep, **measure(program, args.data, threads, args.seconds, args.warmup)})
                print(json.dumps(runs[-1]), file=sys.stderr, flush=True)
    print(json.dumps({"runs": runs, "by_threads": {t: summarise(runs, t) for t in args.threads}}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
