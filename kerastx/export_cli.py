"""``kerastx export RUN_DIR`` (also ``python -m kerastx.export RUN_DIR``): a finished run as a SavedModel for TF
Serving, optionally with TFLite and ONNX conversions of its ids signature."""

from __future__ import annotations

import sys

from kerastx.config import OneLineParser, print_error_and_exit
from kerastx.errors import KerastxError
from kerastx.startup_logs import quiet_start_up
from kerastx.training.stop_signals import StoppedBySignal, sigterm_raises, stop_of


def build_parser(prog: str = "kerastx export") -> OneLineParser:
    """The command line of ``kerastx export`` (parsing it loads nothing)."""
    parser = OneLineParser(prog=prog, description="Export a finished kerastx run for serving: a versioned SavedModel "
                           "(<output>/<name>/<version>/, the layout TF Serving loads) with ids, raw-text and generate "
                           "signatures as the task allows, checked in a fresh TensorFlow process.")
    parser.add_argument("run_dir", help="A run directory written by a kerastx recipe.")
    parser.add_argument("--output", help="Folder of exported models (default: RUN_DIR/export).")
    parser.add_argument("--name", help="Model name: the folder under --output, and TF Serving's model name "
                        "(default: the run directory's name).")
    parser.add_argument("--version", type=int, help="Version number (default: one more than the highest there).")
    parser.add_argument("--tflite", action="store_true", help="Also convert the predict_ids signature to TFLite, "
                        "float and dynamic-range int8 (<name>-tflite/<version>/).")
    parser.add_argument("--onnx", action="store_true", help="Also convert the predict_ids signature to ONNX with "
                        "tf2onnx (<name>-onnx/<version>/; pip install 'kerastx[onnx]').")
    parser.add_argument("--without_text", action="store_true", help="Leave out the signatures that tokenize raw "
                        "text in the graph: a SavedModel any TensorFlow loads without tensorflow-text ops.")
    parser.add_argument("--no_verify", action="store_true", help="Skip reloading the export in a fresh process and "
                        "comparing its answers with the trained model's.")
    parser.add_argument("--verbose", action="store_true", help="Show TensorFlow's and transformers' own start-up "
                        "logs and warnings (hidden by default).")
    return parser


def main(argv=None, prog: str = "kerastx export"):
    args = build_parser(prog).parse_args(argv)
    with sigterm_raises():
        try:
            if args.version is not None and args.version < 1:
                raise KerastxError(f"--version must be a positive integer, got {args.version}")
            from kerastx.export.run import export_recipe_run
            from kerastx.recipes.registry import read_run

            recipe, _ = read_run(args.run_dir)  # a wrong directory is one line before TensorFlow loads
            quiet_start_up(args.verbose)
            export_recipe_run(recipe, args.run_dir, output=args.output, name=args.name, version=args.version,
                              tflite=args.tflite, onnx=args.onnx, verify=not args.no_verify,
                              without_text=args.without_text)
        except KerastxError as err:
            print_error_and_exit(str(err), prog)
        except OSError as err:
            print_error_and_exit(f"{err.filename + ': ' if err.filename else ''}{err.strerror or err}", prog)
        except (KeyboardInterrupt, StoppedBySignal) as stop:  # the unfinished version removed itself on the way out
            name, exit_status = stop_of(stop)
            print(f"{prog}: stopped by {name}; the export it was writing is removed (the versions it reported as "
                  "written are complete)", file=sys.stderr)
            raise SystemExit(exit_status)
