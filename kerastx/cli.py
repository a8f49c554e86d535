"""Entry points: parse the config without TensorFlow, read and check the data, then train; user errors
become one line + exit 2, a stop by a signal one line + 128 + the signal's number."""

from __future__ import annotations

import sys
from pathlib import Path

from kerastx.config import parse_config, print_error_and_exit
from kerastx.errors import KerastxError, TrainingStopped
from kerastx.run_dir import has_checkpoint
from kerastx.startup_logs import quiet_start_up
from kerastx.training.stop_signals import StoppedBySignal, sigterm_raises, stop_of


def run_cli(recipe, argv: list[str] | None = None):
    """``python -m kerastx.recipes.<task>``: flags and ``--config`` YAML -> a run (continued, when an
    interrupted one has a checkpoint)."""
    prog = recipe.command if Path(sys.argv[0]).name == recipe.command else f"python -m kerastx.recipes.{recipe.name}"
    ready = None
    with sigterm_raises():
        try:
            config, _explicit = parse_config(recipe.config_class, argv, prog, recipe.title)
            from kerastx.training.preparation import prepare_run

            quiet_start_up(config.verbose, load_tensorflow=False)
            ready = prepare_run(recipe, config)  # data and option errors come here, before TensorFlow loads
            quiet_start_up(config.verbose)
            from kerastx.training.trainer import train_prepared_run

            result = train_prepared_run(ready)
            if config.export:
                export_finished_run(recipe, result.output_dir)
            return result
        except KerastxError as err:
            print_error_and_exit(str(err), prog)
        except OSError as err:  # the environment, not the input: a full disk, a folder gone, a permission
            where = f"{err.filename}: " if err.filename else ""
            print_error_and_exit(f"{where}{err.strerror or err}", prog)
        except TrainingStopped as stop:
            print(f"{prog}: {stop}", file=sys.stderr)
            raise SystemExit(stop.exit_status)
        except (KeyboardInterrupt, StoppedBySignal) as stop:  # outside fit: the run's `with` blocks have cleaned up
            name, exit_status = stop_of(stop)
            print(f"{prog}: stopped by {name}{_what_is_left(ready)}", file=sys.stderr)
            raise SystemExit(exit_status)
        except Exception:
            failure = _source_failure(ready)
            if failure is None:
                raise
            print_error_and_exit(str(failure), prog)


def _source_failure(ready) -> KerastxError | None:
    """The DataError that stopped reading the training data while ``fit`` read it (a stream's bad line): raised
    inside ``tf.data``, it reaches here as TensorFlow's own error (whose text is a traceback), so the training
    source keeps the original."""
    return None if ready is None else ready.source.failure


def _what_is_left(ready) -> str:
    """What a run stopped outside ``fit`` leaves (its staging folder is removed when it holds no checkpoint)."""
    run = ready.run if ready is not None else None
    if run is not None and run.finished:
        return f" after the run was complete in {run.final}; what came after it (export, Hub push) did not finish"
    if run is not None and has_checkpoint(run.checkpoints):
        return f"; the last checkpoint is kept in {run.path}: run the same command again to continue"
    return " before the run's first checkpoint; nothing was written"


def export_finished_run(recipe, run_dir) -> None:
    """``--export``: the run ``recipe`` just finished, exported as ``kerastx export`` would; a failure says the run
    itself is kept."""
    from kerastx.export.run import export_recipe_run

    try:
        export_recipe_run(recipe, run_dir)
    except KerastxError as err:
        raise KerastxError(f"the run is complete in {run_dir}, but exporting it failed: {err}") from None
