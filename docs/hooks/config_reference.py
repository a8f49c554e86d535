"""mkdocs hook: pages that are generated from the code at build time, so they cannot drift from it.

- ``<!-- kerastx:config-reference -->`` becomes the table of every option of ``RunConfig`` and, per recipe, the
  options its config class adds or whose default it changes (:func:`config_reference`).
- ``<!-- kerastx:include PATH -->`` becomes the file PATH of the repository without its first heading (the
  benchmarks' own page lives beside the scripts it describes).

The configs are read without TensorFlow: ``kerastx.config`` and the recipe modules import it only inside functions.
"""

from __future__ import annotations

import dataclasses
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # document the checkout being built, not another installed copy of kerastx
    sys.path.insert(0, str(ROOT))

REFERENCE_MARKER = "<!-- kerastx:config-reference -->"
INCLUDE = re.compile(r"<!-- kerastx:include (\S+) -->")


def _default(field: dataclasses.Field):
    return field.default_factory() if field.default is dataclasses.MISSING else field.default


def _cell(text: str) -> str:
    """Text for a table cell: '|' would end the cell and '<name>' would be read as HTML."""
    return (text.replace("&", "&amp;").replace("<", "&lt;").replace("|", "\\|").replace("*", "\\*")
            .replace("\n", " "))


def _shown(value) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    if isinstance(value, list):
        return f"`{' '.join(map(str, value))}`" if value else "—"
    if value == "":
        return '`""`'
    return f"`{value}`"


def _flag(field: dataclasses.Field) -> str:
    kind = field.type if isinstance(field.type, str) else getattr(field.type, "__name__", str(field.type))
    if kind.split("|")[0].strip() == "bool":
        return f"`--{field.name}`, `--no-{field.name}`"
    return f"`--{field.name}`"


def _type(field: dataclasses.Field) -> str:
    choices = field.metadata.get("choices")
    if choices:
        return " \\| ".join(f"`{choice}`" for choice in choices)
    kind = field.type if isinstance(field.type, str) else getattr(field.type, "__name__", str(field.type))
    return f"`{_cell(kind)}`"


def _row(field: dataclasses.Field, note: str = "") -> str:
    return (f"| {_flag(field)} | {_type(field)} | {_shown(_default(field))} | "
            f"{_cell(field.metadata['help'])}{note} |")


HEADER = "| option | type | default | what it does |\n| --- | --- | --- | --- |"


def config_reference() -> str:
    """Markdown for every option of ``RunConfig`` (by section) and, per recipe, what its config class adds or
    changes, read from the dataclass fields and their ``option(...)`` metadata."""
    from kerastx.config import SECTIONS, RunConfig, config_fields
    from kerastx.recipes.registry import RECIPES

    shared = {field.name: field for field in config_fields(RunConfig)}
    parts = ["## Options of every recipe {#shared}", ""]
    for section in SECTIONS:
        rows = [_row(field) for field in shared.values() if field.metadata["section"] == section]
        parts += [f"### {section} {{#shared-{section}}}", "", HEADER, *rows, ""]
    for name, recipe in RECIPES.items():
        rows = []
        for field in config_fields(recipe.config_class):
            base = shared.get(field.name)
            if base is None:
                rows.append((field.metadata["section"], _row(field)))
            elif _default(base) != _default(field):
                note = f" *(Shared option; this recipe's default is {_shown(_default(field))}.)*"
                rows.append((field.metadata["section"], _row(field, note)))
            elif base.metadata != field.metadata:
                rows.append((field.metadata["section"], _row(field, " *(Shared option, as this recipe reads it.)*")))
        parts += [f"## {recipe.title} {{#{name}}}", "",
                  f"`python -m kerastx.recipes.{name}` or `{recipe.command}`: the options above, and these "
                  f"(`{recipe.config_class.__name__}`).", ""]
        for section in SECTIONS:
            section_rows = [row for row_section, row in rows if row_section == section]
            if section_rows:
                parts += [f"**{section}**", "", HEADER, *section_rows, ""]
    return "\n".join(parts)


def _included(match: re.Match) -> str:
    text = (ROOT / match.group(1)).read_text(encoding="utf-8")
    return re.sub(r"\A# [^\n]*\n", "", text)


def on_page_markdown(markdown: str, page, config, files) -> str:
    if REFERENCE_MARKER in markdown:
        markdown = markdown.replace(REFERENCE_MARKER, config_reference())
    return INCLUDE.sub(_included, markdown)
