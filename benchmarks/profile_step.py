"""Where a kerastx training step's milliseconds go: TensorFlow's profiler over a few steps of a case's recipe
run (after its warm-up), summed by kind of op; one JSON line.

    python benchmarks/profile_step.py mrpc_minilm [--precision fp32] [--steps 5] [kerastx flags]

Times are each op's own time (what ran inside it, e.g. a function's ops, is counted there), per step,
summed over the threads that ran them: on 2 cores the sum can exceed the wall time of the step. The trace
(``xplane.pb``) stays under ``runs/profile/<case>`` for TensorBoard's profile plugin.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time
from collections import defaultdict
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import cpu  # noqa: E402
from benchmarks.speed_cases import CASES, ROOT  # noqa: E402

# Op kinds, first match wins; the op type is what TensorFlow's executor names the kernel (e.g. _MklMatMul).
KINDS = (
    ("matmul", r"MatMul|BatchMatMul|Einsum|Conv"),
    ("softmax", r"Softmax"),
    ("layer norm", r"FusedBatchNorm|LayerNorm|Mean|SquaredDifference|Rsqrt|Moments"),
    ("gelu/tanh/erf", r"Gelu|Erf|Tanh"),
    ("optimizer update", r"ResourceApply|AssignSubVariable|AssignAddVariable|AssignVariable|ReadVariable"),
    ("casts", r"^Cast"),
    ("dropout/random", r"Random|StatelessRandom|Dropout"),
    ("gather/scatter (embeddings)", r"Gather|Scatter|UnsortedSegment|SparseSoftmax|OneHot"),
    ("reductions", r"^Sum|^Max|^Min|^Prod|^All|^Any|ArgMax|^Norm|L2Loss"),
    ("data movement", r"Transpose|Reshape|Concat|Slice|Pack|Unpack|Split|Tile|Pad|Identity|ExpandDims|Squeeze|"
                      r"BroadcastTo|Shape|Fill|ZerosLike|OnesLike|Where|Select"),
    ("elementwise", r"."),
)


def kind_of(op_type: str) -> str:
    op_type = op_type.lstrip("_").replace("Mkl", "")
    return next(kind for kind, pattern in KINDS if re.search(pattern, op_type))


def op_self_times(xplane_path: Path) -> tuple[dict, dict, float]:
    """``(seconds by op type, seconds by kind, traced wall seconds)`` of the host plane's TensorFlow ops."""
    from tensorflow.tsl.profiler.protobuf import xplane_pb2

    space = xplane_pb2.XSpace()
    space.ParseFromString(xplane_path.read_bytes())
    by_type, wall = defaultdict(float), 0.0
    for plane in space.planes:
        if not plane.name.startswith("/host:CPU"):
            continue
        stat_names = {k: v.name for k, v in plane.stat_metadata.items()}
        for line in plane.lines:
            events = sorted(line.events, key=lambda e: (e.offset_ps, -e.duration_ps))
            if events:
                wall = max(wall, (events[-1].offset_ps + events[-1].duration_ps - events[0].offset_ps) / 1e12)
            stack = []  # (end, op type) of the enclosing events, for self time
            for event in events:
                name = plane.event_metadata[event.metadata_id].name
                op_type = _op_type(name, event, plane, stat_names)
                while stack and stack[-1][0] <= event.offset_ps:
                    stack.pop()
                seconds = event.duration_ps / 1e12
                if stack:
                    by_type[stack[-1][1]] -= seconds
                by_type[op_type] += seconds
                stack.append((event.offset_ps + event.duration_ps, op_type))
    by_kind = defaultdict(float)
    for op_type, seconds in by_type.items():
        if not op_type.startswith("("):  # a framework event's own time is mostly waiting for ops on other threads
            by_kind[kind_of(op_type)] += seconds
    return dict(by_type), dict(by_kind), wall


def _op_type(name: str, event, plane, stat_names: dict) -> str:
    """``MatMul`` for a TensorFlow op event named ``model/.../MatMul:_MklMatMul``; framework events (function
    calls, the iterator, Python) keep their own name in parentheses."""
    if ":" in name and "/" in name.split(":")[0] or re.fullmatch(r"[\w/.\-]+:\w+", name):
        return name.rsplit(":", 1)[1]
    return f"({name.split('#')[0][:60]})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("case", choices=list(CASES))
    parser.add_argument("--precision", default="fp32")
    parser.add_argument("--steps", type=int, default=5)
    args, kerastx_flags = parser.parse_known_args()

    import kerastx  # noqa: F401
    import tensorflow as tf
    from kerastx.cli import run_cli
    from kerastx.compat.keras import tf_keras
    from kerastx.recipes.registry import RECIPES
    from kerastx.training import trainer

    case = CASES[args.case]
    logdir = ROOT / "runs" / "profile" / case.name
    first = case.warmup_steps
    traced = {}

    class Tracing(tf_keras.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.step = 0

        def on_train_batch_begin(self, batch, logs=None):
            if self.step == first:
                tf.profiler.experimental.start(str(logdir))
                traced["started"] = time.perf_counter()

        def on_train_batch_end(self, batch, logs=None):
            self.step += 1
            if self.step == first + args.steps:
                traced["seconds"] = time.perf_counter() - traced["started"]
                tf.profiler.experimental.stop()

    callbacks = trainer._callbacks
    trainer._callbacks = lambda *a, **k: [Tracing(), *callbacks(*a, **k)]
    os.chdir(ROOT)
    argv = case.kerastx_argv(str(ROOT / "runs" / "profile" / f"{case.name}_run"), args.precision)
    argv[argv.index("--max_steps") + 1] = str(first + args.steps + 1)
    run_cli(RECIPES[case.recipe], argv + kerastx_flags)

    xplane = max(logdir.rglob("*.xplane.pb"), key=lambda p: p.stat().st_mtime)
    by_type, by_kind, _ = op_self_times(xplane)
    per_step = {k: round(1000 * v / args.steps, 1) for k, v in sorted(by_kind.items(), key=lambda kv: -kv[1])}
    ops = sorted(((k, v) for k, v in by_type.items() if not k.startswith("(")), key=lambda kv: -kv[1])
    top = {k: round(1000 * v / args.steps, 1) for k, v in ops[:25]}
    print(json.dumps({"benchmark": "profile_step", "case": case.name, "precision": args.precision,
                      "flags": kerastx_flags, "steps": args.steps,
                      "wall_ms_per_step": round(1000 * traced["seconds"] / args.steps, 1),
                      "ms_per_step_by_kind": per_step, "top_op_types_ms_per_step": top,
                      "trace": str(xplane.relative_to(ROOT)), **cpu()}))


if __name__ == "__main__":
    main()
