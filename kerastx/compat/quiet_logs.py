"""Two Python-side noises hidden from an entry point's log (:func:`kerastx.startup_logs.quiet_start_up`).

- transformers 4.x's "TensorFlow and JAX classes are deprecated" warning, logged when the first TF model or
  tokenizer output is made: true, and known (kerastx pins transformers < 5), so it says nothing new. A filter
  on the loggers that write it drops that message and only that one.
- the datasets library's progress bars (tokenizing, filtering) when stderr is not a terminal, where each
  redraw is another line of the log.

:func:`uninstall` removes the filters and turns the progress bars back on if they were on.
"""

from __future__ import annotations

import logging

TRANSFORMERS_DEPRECATION = "TensorFlow and JAX classes are deprecated"
# The transformers modules that log TRANSFORMERS_DEPRECATION for TF models, tokenizers and pipelines.
TRANSFORMERS_DEPRECATION_LOGGERS = ("transformers.modeling_tf_utils", "transformers.tokenization_utils_base",
                                    "transformers.feature_extraction_utils", "transformers.pipelines.base")

_bars_were_on: bool | None = None  # None: kerastx has not turned the progress bars off


class _DropMessage(logging.Filter):
    def __init__(self, start: str):
        super().__init__()
        self.start = start

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith(self.start)


def _filters():
    for name in TRANSFORMERS_DEPRECATION_LOGGERS:
        logger = logging.getLogger(name)
        yield from ((logger, f) for f in logger.filters if isinstance(f, _DropMessage))


def install(hide_progress_bars: bool = False) -> None:
    """Drop the deprecation warning (once per logger); with ``hide_progress_bars``, turn datasets' bars off."""
    global _bars_were_on
    if not any(_filters()):
        for name in TRANSFORMERS_DEPRECATION_LOGGERS:
            logging.getLogger(name).addFilter(_DropMessage(TRANSFORMERS_DEPRECATION))
    if hide_progress_bars and _bars_were_on is None:
        import datasets

        _bars_were_on = datasets.is_progress_bar_enabled()
        datasets.disable_progress_bars()


def is_installed() -> bool:
    return any(_filters()) or _bars_were_on is not None


def uninstall() -> None:
    global _bars_were_on
    for logger, drop in list(_filters()):
        logger.removeFilter(drop)
    if _bars_were_on:
        import datasets

        datasets.enable_progress_bars()
    _bars_were_on = None
