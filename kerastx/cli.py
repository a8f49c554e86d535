"""Entry points: parse the config without TensorFlow, read and check the data, then train; user errors
become one line + exit 2, a stop by a signal one line + 128 + the signal's number."""

from __future__ import annotations

import sys
from pathlib import Path

from kerastx.config import parse_config, print_error_and_exit
from kerastx.errors import KerastxError, TrainingStopped
from kerastx.run_dir import has_checkpoint
from kerastx.startup_logs import quiet_start_up


def run_cli(recipe, argv: list[str] | None = None):
    """``python -m kerastx.recipes.<task>``: flags and ``--config`` YAML -> a run (continued, when an
    interrupted one has a checkpoint)."""
    prog = recipe.command if Path(sys.argv[0]).name == recipe.command else f"python -m kerastx.recipes.{recipe.name}"
    ready = None
    try:
        config, _explicit = parse_config(recipe.config_class, argv, prog, recipe.title)
        from kerastx.training.preparation import prepare_run

        quiet_start_up(config.verbose, load_tensorflow=False)
        ready = prepare_run(recipe, config)  # data and option errors come here, before TensorFlow loads
        quiet_start_up(config.verbose)
        from kerastx.training.trainer import train_prepared_run

        result = train_prepared_run(ready)
        if config.export:
            export_finished_run(result.output_dir)
        return result
    except KerastxError as err:
        print_error_and_exit(str(err), prog)
    except OSError as err:  # the environment, not the input: a full disk, a folder gone, a permission
        where = f"{err.filename}: " if err.filename else ""
        print_error_and_exit(f"{where}{err.strerror or err}", prog)
    except TrainingStopped as stop:
        print(f"{prog}: {stop}", file=sys.stderr)
        raise SystemExit(stop.exit_status)
    except KeyboardInterrupt:
        kept = ready is not None and has_checkpoint(ready.run.checkpoints)
        print(f"{prog}: interrupted; " + (f"the last checkpoint is kept in {ready.run.path}: run the same command "
                                          f"again to continue" if kept else "nothing was written"), file=sys.stderr)
        raise SystemExit(130)
    except Exception:
        failure = _stream_failure(ready)
        if failure is None:
            raise
        print_error_and_exit(str(failure), prog)


def _stream_failure(ready) -> KerastxError | None:
    """The DataError that stopped a training stream while ``fit`` read it: raised inside ``tf.data``, it reaches
    here as TensorFlow's own error (whose text is a traceback), so the stream keeps the original."""
    from kerastx.data.streaming import StreamedBlocks

    train = None if ready is None else ready.prepared.train
    return train.failure if isinstance(train, StreamedBlocks) else None


def export_finished_run(run_dir) -> None:
    """``--export``: the finished run exported as ``kerastx export`` would; a failure says the run itself is kept."""
    from kerastx.export.run import export_run

    try:
        export_run(run_dir)
    except KerastxError as err:
        raise KerastxError(f"the run is complete in {run_dir}, but exporting it failed: {err}") from None
