"""Datasets by Hugging Face Hub name."""

from __future__ import annotations

from kerastx.errors import DataError
from kerastx.hub import hub_offline_by_setting, hub_reachable, offline_reason


def load_hub_dataset(name: str, config_name: str | None, revision: str | None = None):
    """``datasets.load_dataset(name, config_name, revision=revision)``, or a one-line DataError that says what to do instead.

    Offline (by setting), a dataset already in the local cache still loads.
    """
    import datasets

    if not hub_offline_by_setting() and not hub_reachable():
        raise DataError(f"dataset '{name}': {offline_reason()}; pass local files with --train_file/--validation_file")
    try:
        loaded = datasets.load_dataset(name, config_name, revision=revision)
    except Exception as err:  # datasets raises many types: connection, not found, script refused, bad config
        text = " ".join(str(err).split())
        if hub_offline_by_setting():
            raise DataError(f"dataset '{name}' is not in the local cache and {offline_reason()}; "
                            "pass local files with --train_file/--validation_file") from None
        if "script" in text.lower():
            raise DataError(f"dataset '{name}' only has a loading script, which datasets>=4 refuses; "
                            "read the Hub's parquet conversion with --dataset_revision refs/convert/parquet, "
                            "or pass local files with --train_file") from None
        raise DataError(f"dataset '{name}': {text[:300]}") from None
    if not isinstance(loaded, datasets.DatasetDict):
        loaded = datasets.DatasetDict({"train": loaded})
    return loaded
