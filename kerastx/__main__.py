"""``kerastx COMMAND ...`` (also ``python -m kerastx``): the commands that work on finished runs, and the launcher
of multi-worker runs."""

import sys

COMMANDS = {"export": "kerastx.export_cli", "predict": "kerastx.predict", "launch": "kerastx.launch"}


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if not argv or argv[0] not in COMMANDS:
        given = f"unknown command {argv[0]!r}" if argv and not argv[0].startswith("-") else "give a command"
        print(f"kerastx: error: {given}: kerastx export RUN_DIR | kerastx predict RUN_DIR TEXT... | kerastx launch "
              "--workers N -- COMMAND (training: python -m kerastx.recipes.<task> or kerastx-<task>)", file=sys.stderr)
        return 2
    import importlib

    command = importlib.import_module(COMMANDS[argv[0]])
    return command.main(argv[1:], prog=f"kerastx {argv[0]}") if argv[0] == "export" else command.main(argv[1:])


if __name__ == "__main__":
    sys.exit(main())
