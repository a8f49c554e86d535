"""Entry points: parse the config without TensorFlow, run, and turn user errors into one line + exit 2."""

from __future__ import annotations

import sys
from pathlib import Path

from kerastx.config import parse_config, print_error_and_exit
from kerastx.errors import KerastxError
from kerastx.startup_logs import quiet_start_up


def run_cli(recipe, argv: list[str] | None = None):
    """``python -m kerastx.recipes.<task>``: flags and ``--config`` YAML -> :func:`run_recipe`."""
    prog = recipe.command if Path(sys.argv[0]).name == recipe.command else f"python -m kerastx.recipes.{recipe.name}"
    try:
        config, _explicit = parse_config(recipe.config_class, argv, prog, recipe.title)
        recipe.check(config)
        quiet_start_up(config.verbose)  # TensorFlow loads here, after --help and config errors
        from kerastx.training.trainer import run_recipe

        return run_recipe(recipe, config)
    except KerastxError as err:
        print_error_and_exit(str(err), prog)
    except KeyboardInterrupt:
        print(f"{prog}: interrupted; nothing was written", file=sys.stderr)
        raise SystemExit(130)
