"""Predict with a finished run: ``python -m kerastx.predict RUN_DIR "some text" ... [--file FILE]``.

The task is read from the run's ``config.yaml``; the recipe's predictor reads each input line and
prints one line per input.
"""

from __future__ import annotations

import sys
from pathlib import Path

from kerastx.config import OneLineParser, print_error_and_exit
from kerastx.errors import KerastxError
from kerastx.model_files import check_model_files
from kerastx.startup_logs import quiet_start_up
from kerastx.utf8 import read_utf8

PROG = "python -m kerastx.predict"


def read_inputs(texts: list[str], file: str | None) -> list[str]:
    inputs = list(texts)
    if file is not None:
        if not file.strip():
            raise KerastxError("option '--file' is empty (an unset shell variable?); give a file with one input per "
                               "line, or leave the option out")
        path = Path(file)
        if not path.is_file():
            raise KerastxError(f"--file {file}: no such file")
        inputs += [line for line in read_utf8(path, KerastxError).splitlines() if line.strip()]
    if not inputs:
        raise KerastxError("nothing to predict: give texts as arguments or --file FILE (one per line)")
    return inputs


def build_parser(prog: str = PROG) -> OneLineParser:
    """The command line of ``kerastx-predict`` / ``python -m kerastx.predict`` (parsing it loads nothing)."""
    parser = OneLineParser(prog=prog, description="Predict with the model of a finished kerastx run. "
                           "Inputs: a text per argument or per line of --file; a sentence pair or a question and "
                           "its context separated by a tab.")
    parser.add_argument("run_dir", help="A run directory written by a kerastx recipe.")
    parser.add_argument("texts", nargs="*", help="Inputs to predict on.")
    parser.add_argument("--file", help="A file with one input per line.")
    parser.add_argument("--verbose", action="store_true", help="Show TensorFlow's and transformers' own start-up "
                        "logs and warnings (hidden by default).")
    return parser


def main(argv=None):
    prog = "kerastx-predict" if Path(sys.argv[0]).name == "kerastx-predict" else PROG
    args = build_parser(prog).parse_args(argv)
    try:
        from kerastx.recipes.registry import load_predictor, load_run

        if not args.run_dir.strip():
            raise KerastxError("the run directory is empty text (an unset shell variable?); give the output_dir of "
                               "a finished run")
        load_run(args.run_dir)  # a wrong directory is reported before TensorFlow loads
        lines = read_inputs(args.texts, args.file)
        check_model_files(args.run_dir)  # a damaged model file too: transformers would say something else
        quiet_start_up(args.verbose)
        predictor = load_predictor(args.run_dir)
        inputs = [predictor.parse(line) for line in lines]
        for result in predictor(inputs):
            print(predictor.format(result))
    except KerastxError as err:
        print_error_and_exit(str(err), prog)


if __name__ == "__main__":
    sys.exit(main())
