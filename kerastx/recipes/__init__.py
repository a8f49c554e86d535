"""One runnable module per task: ``python -m kerastx.recipes.<task>``."""
