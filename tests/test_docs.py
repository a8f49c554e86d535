"""The documentation: the site builds with no broken link or anchor, every command the docs and the README show
parses with the real command line it names, the README stays a short front page that points to the docs, and
the configuration reference lists every option. Nothing here trains or imports TensorFlow."""

from __future__ import annotations

import importlib.util
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from kerastx.config import RunConfig, config_fields, parse_config
from kerastx.errors import KerastxError
from kerastx.recipes.registry import RECIPES

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
PAGES = sorted(DOCS.rglob("*.md")) + [ROOT / "README.md"]
FENCE = re.compile(r"^```(\w*)[^\n]*\n(.*?)^```", re.MULTILINE | re.DOTALL)
SHELL_LANGUAGES = {"bash", "sh", "shell", "console"}  # console: only the lines after a "$ " prompt are commands
EXTERNAL = {"docker", "curl", "huggingface-cli", "kill", "pip"}  # other programs' commands, shown as they are
ENVIRONMENT = re.compile(r"[A-Z_][A-Z0-9_]*=")


def load_hook():
    spec = importlib.util.spec_from_file_location("config_reference_hook", DOCS / "hooks" / "config_reference.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def shown_commands(text: str) -> list[tuple[int, str]]:
    """``(line, command)`` of every command in the fenced shell blocks of a page, continuation lines joined."""
    commands = []
    for match in FENCE.finditer(text):
        language, body = match.groups()
        if language not in SHELL_LANGUAGES:
            continue
        first_line = text.count("\n", 0, match.start(2)) + 1
        pending, start = "", None
        for number, line in enumerate(body.splitlines(), first_line):
            if language == "console" and not pending:
                if not line.startswith("$ "):
                    continue  # the command's output
                line = line[2:]
            start = start or number
            if line.rstrip().endswith("\\"):
                pending += line.rstrip()[:-1] + " "
                continue
            command, pending = (pending + line).strip(), ""
            if command and not command.startswith("#"):
                commands.append((start, command))
            start = None
    return commands


def all_shown_commands() -> list[tuple[str, str]]:
    return [(f"{page.relative_to(ROOT)}:{line}", command)
            for page in PAGES for line, command in shown_commands(page.read_text(encoding="utf-8"))]


def make_targets() -> set[str]:
    return set(re.findall(r"^([A-Za-z][\w-]*):", (ROOT / "Makefile").read_text(), re.MULTILINE))


def parse_recipe(name: str, argv: list[str]) -> None:
    recipe = RECIPES[name]
    try:
        parse_config(recipe.config_class, argv, f"python -m kerastx.recipes.{name}", recipe.title)
    except SystemExit as stop:  # argparse: --help exits 0, a bad flag 2
        if stop.code != 0:
            raise AssertionError(f"the {name} command line refuses it (exit status {stop.code})") from None


def parse_with(parser, argv: list[str]) -> None:
    try:
        parser.parse_args(argv)
    except SystemExit as stop:
        if stop.code != 0:
            raise AssertionError(f"{parser.prog} refuses it (exit status {stop.code})") from None


def tpu_script(name: str):
    spec = importlib.util.spec_from_file_location(f"tpu_{name}", ROOT / "tpu" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def check_python(argv: list[str]) -> None:
    """``python -m MODULE ...`` or ``python SCRIPT ...``."""
    from kerastx import export_cli, predict

    if argv[0] == "-m":
        module, rest = argv[1], argv[2:]
        if module.startswith("kerastx.recipes."):
            assert module.removeprefix("kerastx.recipes.") in RECIPES, f"no recipe {module}"
            parse_recipe(module.removeprefix("kerastx.recipes."), rest)
        elif module == "kerastx.predict":
            parse_with(predict.build_parser(), rest)
        elif module == "kerastx.export":
            parse_with(export_cli.build_parser(), rest)
        elif module == "kerastx":
            check_command(["kerastx", *rest])
        elif module == "mkdocs":
            assert rest[0] in ("build", "serve"), rest
        else:
            raise AssertionError(f"the docs show an unknown module: {module}")
        return
    script, rest = ROOT / argv[0], argv[1:]
    assert script.is_file(), f"no such script: {argv[0]}"
    if script.parent.name == "tpu":
        try:
            parsed = tpu_script(script.stem).parse_args(rest)
        except SystemExit as stop:
            raise AssertionError(f"{argv[0]} refuses it (exit status {stop.code})") from None
        if script.stem == "train":  # the options after the task are the recipe's
            args, recipe_argv = parsed
            parse_recipe(args.task, ["--train_shards", args.train_shards, *recipe_argv])
    else:
        assert script.parent.name == "benchmarks", f"the docs run a script outside tpu/ and benchmarks/: {argv[0]}"


def check_command(argv: list[str]) -> None:
    """Parse a shown command with the command line it names; an AssertionError or a KerastxError says why not."""
    from kerastx import export_cli, launch, predict

    while argv and ENVIRONMENT.match(argv[0]):
        argv = argv[1:]
    program, rest = argv[0], argv[1:]
    if program in ("python", "python3") or program.endswith("/bin/python"):
        check_python(rest)
    elif program == "make":
        targets = [arg for arg in rest if not ENVIRONMENT.match(arg)]
        assert targets, "make without a target"
        assert set(targets) <= make_targets(), f"not Makefile targets: {sorted(set(targets) - make_targets())}"
    elif program == "kerastx":
        assert rest and rest[0] in ("export", "predict", "launch"), f"kerastx has no command {rest[:1]}"
        if rest[0] == "launch":  # its own options, then the command each worker runs
            separator = rest.index("--") if "--" in rest else len(rest)
            parse_with(launch.build_parser(), rest[1:separator])
            assert rest[separator + 1:], "kerastx launch without a command after --"
            check_command(rest[separator + 1:])
        else:
            parse_with(export_cli.build_parser() if rest[0] == "export" else predict.build_parser(), rest[1:])
    elif program == "kerastx-predict":
        parse_with(predict.build_parser("kerastx-predict"), rest)
    elif program.startswith("kerastx-"):
        name = program.removeprefix("kerastx-").replace("-", "_")
        assert name in RECIPES, f"no console script {program}"
        parse_recipe(name, rest)
    else:
        assert program in EXTERNAL, f"the docs show a command of an unknown program: {program}"


COMMANDS = all_shown_commands()


@pytest.mark.parametrize("where, command", COMMANDS, ids=[where for where, _ in COMMANDS])
def test_every_command_the_docs_show_parses(where, command, monkeypatch):
    monkeypatch.chdir(ROOT)  # --config recipes/*.yaml is read from the repository's root, as the docs run it
    check_command(shlex.split(command, comments=True))


def test_the_docs_show_commands_of_every_kind():
    programs = {shlex.split(command, comments=True)[0] for _, command in COMMANDS}
    assert {"python", "make", "kerastx", "kerastx-predict", ".venv/bin/python"} <= programs
    for name in RECIPES:
        assert any(f"kerastx.recipes.{name} " in command for _, command in COMMANDS), name


@pytest.mark.parametrize("command", [
    "python -m kerastx.recipes.text_classification --lerning_rate 1e-4",  # a misspelled flag
    "python -m kerastx.recipes.text_classification --config recipes/no_such_file.yaml",
    "python -m kerastx.recipes.translation --epochs 2.5",  # a bad value
    "python -m kerastx.recipes.sentiment --epochs 1",  # no such recipe
    "kerastx-translation --vocab_size 8000 --model minilm",  # an option the run would ignore
    "kerastx export runs/mrpc --tflight",
    "kerastx serve runs/mrpc",
    "kerastx launch --workers 2 -- python -m kerastx.recipes.translation --epochs 2.5",  # the workers' command
    "kerastx launch --nodes 2 -- python -m kerastx.recipes.translation",
    "python -m kerastx.predict",  # no run directory
    "make deploy",
    "python tpu/write_shards.py --task masked_lm",  # required options missing
    "python benchmarks/no_such_benchmark.py",
    "rm -rf runs",  # not a program the docs may show
])
def test_the_check_refuses_a_command_that_does_not_parse(command, monkeypatch, capsys):
    monkeypatch.chdir(ROOT)
    with pytest.raises((AssertionError, KerastxError)):
        check_command(shlex.split(command, comments=True))


def test_continuation_lines_and_console_prompts_make_one_command():
    page = ("```bash\npython -m kerastx.recipes.translation --epochs 3 \\\n    --num_beams 4   # a comment\n```\n"
            "```python\nmodel.fit(train_ds)\n```\n"
            "```console\n$ kerastx-predict runs/demo 'Open File'\nFichier ouvert\n```\n")
    commands = shown_commands(page)
    assert [line for line, _ in commands] == [2, 9]
    assert [shlex.split(command, comments=True) for _, command in commands] == [
        ["python", "-m", "kerastx.recipes.translation", "--epochs", "3", "--num_beams", "4"],
        ["kerastx-predict", "runs/demo", "Open File"]]


@pytest.mark.spawns
def test_the_site_builds_with_no_broken_link_or_anchor(tmp_path):
    site = tmp_path / "site"
    result = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site)], cwd=ROOT,
                            capture_output=True, text=True, env={**os.environ, "NO_MKDOCS_2_WARNING": "1"})
    assert result.returncode == 0, result.stderr[-4000:]
    reference = (site / "configuration-reference" / "index.html").read_text(encoding="utf-8")
    assert "kerastx:config-reference" not in reference and "--learning_rate" in reference


def test_every_recipe_has_its_page():
    navigation = (ROOT / "mkdocs.yml").read_text()
    for name in RECIPES:
        page = f"recipes/{name.replace('_', '-')}.md"
        assert (DOCS / page).is_file() and page in navigation, page


def test_the_readme_is_a_short_front_page_that_points_to_the_docs():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert len(readme.splitlines()) < 200
    assert "make docs" in readme and "make demo" in readme and "make test" in readme
    links = re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", readme)
    local = [link for link in links if "://" not in link]
    assert local, "the README links to no page"
    for link in local:
        assert (ROOT / link).exists(), f"README links to {link}, which does not exist"
    for name in RECIPES:  # the table of recipes: each links to its page
        assert f"docs/recipes/{name.replace('_', '-')}.md" in local, name


def test_the_configuration_reference_lists_every_option():
    reference = load_hook().config_reference()
    sections = re.split(r"^## ", reference, flags=re.MULTILINE)
    shared = next(section for section in sections if section.startswith("Options of every recipe"))
    for field in config_fields(RunConfig):
        assert f"`--{field.name}`" in shared, field.name
    base = {field.name for field in config_fields(RunConfig)}
    for name, recipe in RECIPES.items():
        own = next(section for section in sections if section.startswith(f"{recipe.title} {{#{name}}}"))
        for field in config_fields(recipe.config_class):
            if field.name not in base:
                assert f"`--{field.name}`" in own, (name, field.name)


@pytest.mark.spawns
def test_the_configuration_reference_is_built_without_tensorflow():
    code = ("import sys, importlib.util; spec = importlib.util.spec_from_file_location('hook', sys.argv[1]); "
            "hook = importlib.util.module_from_spec(spec); spec.loader.exec_module(hook); hook.config_reference(); "
            "print('tensorflow' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", code, str(DOCS / "hooks" / "config_reference.py")], cwd=ROOT,
                            capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"


def test_the_transformers_table_names_every_example_script_option_and_only_real_options():
    from kerastx.transformers_flags import FLAGS

    page = (DOCS / "configuration.md").read_text(encoding="utf-8")
    section = page.split("## Coming from transformers' example scripts", 1)[1].split("\n## ", 1)[0]
    table = "\n".join(line for line in section.splitlines() if line.startswith("| "))
    shown = set(re.findall(r"`--([a-z_0-9]+)", table))
    assert set(FLAGS) <= shown, sorted(set(FLAGS) - shown)
    ours = {field.name for recipe in RECIPES.values() for field in config_fields(recipe.config_class)}
    assert shown <= set(FLAGS) | ours, sorted(shown - set(FLAGS) - ours)  # the right-hand column names real options
    same_names = section.split("have the same", 1)[0].rsplit("\n\n", 1)[1]
    assert set(re.findall(r"`--([a-z_0-9]+)`", same_names)) <= ours
