"""kerastx's training speed beside transformers' PyTorch ``Trainer`` and the course's plain Keras loop, on the
same model files, data, batch, lengths, schedule and seed; one JSON line of results.

    make bench-torch                                    # creates .venv-torch once, then runs this
    python benchmarks/vs_pytorch.py --cases mrpc_minilm --repeats 3

Each run is a process of its own (kerastx and plain Keras in .venv, the Trainer in .venv-torch); runs
alternate (the order rotates every repetition) and each figure is the median of the repetitions. A step's
time is the interval between consecutive step ends after the case's warm-up steps, so what each framework
does between steps (callbacks, logging, input) counts. Time on a quiet machine: the load average before and
after is printed, and PyTorch's step time in particular collapses when anything else shares the cores.

Model FLOPs utilisation: 6 x non-embedding parameters x tokens + attention, per second, over the best
matmul GFLOP/s either framework reaches on this machine at the run's precision (benchmarks/matmul_peak.py).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import cpu  # noqa: E402
from benchmarks.speed_cases import CASES, ROOT, model_flops  # noqa: E402

FRAMEWORKS = ("kerastx", "trainer", "plain_keras")
WORKERS = {"kerastx": "speed_kerastx.py", "trainer": "speed_trainer.py", "plain_keras": "speed_keras.py"}
BENCHMARKS = Path(__file__).resolve().parent


def run_worker(framework: str, case, precision: str, work: Path, torch_python: str, model_dir: str,
               kerastx_flags: list[str]) -> dict:
    """One run in its own process; its result line, or the tail of its output when it fails."""
    python = torch_python if framework == "trainer" else sys.executable
    arguments = [case.name, precision]
    arguments += [str(work / "kerastx"), *kerastx_flags] if framework == "kerastx" else [model_dir]
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1", "TF_CPP_MIN_LOG_LEVEL": "2"}
    done = subprocess.run([python, str(BENCHMARKS / WORKERS[framework]), *arguments], cwd=ROOT, env=env,
                          capture_output=True, text=True)
    results = [line[len("RESULT "):] for line in done.stdout.splitlines() if line.startswith("RESULT ")]
    if done.returncode or not results:
        raise SystemExit(f"{framework} on {case.name} failed (exit {done.returncode}):\n"
                         f"{(done.stdout + done.stderr)[-3000:]}")
    return json.loads(results[-1])


def figures(runs: list[dict], case, model: dict, peak_gflops: float) -> dict:
    """Medians over repetitions: samples/s, ms/step, tokens/s (padded, inputs and targets), MFU."""
    samples = [r["samples"] / r["seconds"] for r in runs]
    tokens = [sum(b * (source + target) for b, source, target in r["shapes"]) / r["seconds"] for r in runs]
    flops = [model_flops([tuple(s) for s in r["shapes"]], model) / r["seconds"] for r in runs]
    return {"samples_per_second": round(statistics.median(samples), 2),
            "samples_per_second_runs": [round(s, 2) for s in samples],
            "ms_per_step": round(statistics.median(r["ms_per_step"] for r in runs), 1),
            "tokens_per_second": round(statistics.median(tokens), 1),
            "tokens_per_batch": round(statistics.median(
                sum(b * (s + t) for b, s, t in r["shapes"]) / len(r["shapes"]) for r in runs), 1),
            "model_tflops_per_second": round(statistics.median(flops) / 1e12, 4),
            "mfu": round(statistics.median(flops) / (peak_gflops * 1e9), 4)}


def matmul_peaks(torch_python: str | None, dtypes: list[str]) -> dict:
    """Each framework's 2048x2048 matmul GFLOP/s at ``dtypes`` (bf16 only where runs use it: without AVX512_BF16
    a bf16 matmul takes seconds)."""
    peaks = {}
    for framework, python in (("tensorflow", sys.executable), ("torch", torch_python)):
        if python:
            out = subprocess.run([python, str(BENCHMARKS / "matmul_peak.py"), framework, "2048", ",".join(dtypes)],
                                 capture_output=True, text=True, check=True).stdout
            peaks[framework] = json.loads(out.splitlines()[-1])
    return peaks


def bench_case(case, precision: str, frameworks: list[str], repeats: int, work: Path, torch_python: str,
               peak_gflops: float, kerastx_flags: list[str]) -> dict:
    from kerastx.models.minilm import minilm_directory

    model_dir = str(minilm_directory()) if case.pretrained else str(work / "kerastx")
    if not case.pretrained and "kerastx" not in frameworks:
        raise SystemExit(f"{case.name}: the scratch model's folder comes from the kerastx run; keep kerastx")
    runs = {f: [] for f in frameworks}
    for repeat in range(repeats):
        order = frameworks[repeat % len(frameworks):] + frameworks[:repeat % len(frameworks)]
        if repeat == 0 and "kerastx" in order:
            order.remove("kerastx")
            order.insert(0, "kerastx")  # a scratch case's model folder is the kerastx run's
        for framework in order:
            result = run_worker(framework, case, precision, work, torch_python, model_dir, kerastx_flags)
            runs[framework].append(result)
            print(f"[{case.name} {precision} {repeat + 1}/{repeats}] {framework}: {result['ms_per_step']:.0f} ms/step, "
                  f"{result['samples'] / result['seconds']:.2f} samples/s", file=sys.stderr, flush=True)
    model = runs["kerastx"][0]["model"] if "kerastx" in runs else {**runs["trainer"][0]["model"], "layers": 0,
                                                                   "hidden": 0}
    results = {f: figures(r, case, model, peak_gflops) for f, r in runs.items()}
    ratios = {}
    for other in ("trainer", "plain_keras"):
        if "kerastx" in results and other in results:
            ratios[f"kerastx_over_{other}_samples"] = round(
                results["kerastx"]["samples_per_second"] / results[other]["samples_per_second"], 3)
            ratios[f"kerastx_over_{other}_tokens"] = round(
                results["kerastx"]["tokens_per_second"] / results[other]["tokens_per_second"], 3)
    return {"case": case.name, "precision": precision, "batch_size": case.batch_size,
            "timed_steps": case.timed_steps, "model": model, **ratios, **results, "notes": list(case.notes)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", default=",".join(CASES), help=f"comma-separated, of {', '.join(CASES)}")
    parser.add_argument("--precisions", default=None,
                        help="comma-separated fp32/mixed_bfloat16; default fp32, plus mixed_bfloat16 where the CPU "
                             "has AVX512_BF16")
    parser.add_argument("--frameworks", default=",".join(FRAMEWORKS))
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--torch_python", default=str(ROOT / ".venv-torch" / "bin" / "python"))
    parser.add_argument("--work_dir", default=str(ROOT / "runs" / "bench_vs_pytorch"))
    parser.add_argument("--kerastx_flags", default="", help="extra flags for the kerastx runs (a lever to measure)")
    args = parser.parse_args()

    frameworks, cases = args.frameworks.split(","), args.cases.split(",")
    for name, given, known in (("case", cases, CASES), ("framework", frameworks, FRAMEWORKS)):
        unknown = [g for g in given if g not in known]
        if unknown:
            parser.error(f"unknown {name} {', '.join(unknown)}: choose from {', '.join(known)}")
    if "trainer" in frameworks and not Path(args.torch_python).exists():
        raise SystemExit(f"{args.torch_python} does not exist: run `make bench-torch` (a separate venv with torch)")
    machine = cpu()
    bf16 = "avx512_bf16" in machine.get("cpu_features", []) or "amx_bf16" in machine.get("cpu_features", [])
    precisions = (args.precisions or ("fp32,mixed_bfloat16" if bf16 else "fp32")).split(",")
    load_before = os.getloadavg()
    peaks = matmul_peaks(args.torch_python if "trainer" in frameworks else None,
                         sorted({"fp32" if p == "fp32" else "bf16" for p in precisions}))
    results = []
    for name in cases:
        for precision in precisions:
            dtype = "fp32" if precision == "fp32" else "bf16"
            peak = max(p[f"{dtype}_gflops"] for p in peaks.values())
            work = Path(args.work_dir) / f"{name}_{precision}"
            results.append(bench_case(CASES[name], precision, frameworks, args.repeats, work, args.torch_python,
                                      peak, args.kerastx_flags.split()))
    print(json.dumps({"benchmark": "vs_pytorch", "repeats": args.repeats, "kerastx_flags": args.kerastx_flags,
                      "results": results, "matmul_peak": peaks, "load_average_before": load_before,
                      "load_average_after": os.getloadavg(), **machine}))


if __name__ == "__main__":
    main()
