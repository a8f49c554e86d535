"""The predictor protocol: one object turns inputs into readable results for ``python -m kerastx.predict``,
the examples printed at the end of a run, tests and export.
"""

from __future__ import annotations

from typing import Protocol


class Predictor(Protocol):
    """``parse`` reads one command-line or file line into an input (a text, a sentence pair, a
    question and its context); ``__call__`` predicts for a list of inputs; ``format`` turns one
    result into one line of text."""

    def __call__(self, inputs: list) -> list:
        ...

    def parse(self, line: str):
        ...

    def format(self, result) -> str:
        ...


class TextInputs:
    """For predictors whose inputs are plain texts and whose results are texts: lines pass through."""

    def parse(self, line: str) -> str:
        return line

    def format(self, result) -> str:
        return str(result)
