"""Fail fast, with a way out, when a Hugging Face Hub name is used and the Hub cannot be reached.

Without this, an offline machine spends minutes in connection retries before a deep traceback.
"""

from __future__ import annotations

import os
import socket
from urllib.parse import urlparse

_TRUE = {"1", "true", "yes", "on"}


def hub_offline_by_setting() -> bool:
    return any(os.environ.get(name, "").lower() in _TRUE for name in ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE", "TRANSFORMERS_OFFLINE"))


def hub_reachable(timeout: float = 3.0) -> bool:
    """True when the Hub endpoint (``HF_ENDPOINT`` or huggingface.co) accepts a TCP connection."""
    if hub_offline_by_setting():
        return False
    endpoint = urlparse(os.environ.get("HF_ENDPOINT", "https://huggingface.co"))
    port = endpoint.port or (443 if endpoint.scheme == "https" else 80)
    try:
        with socket.create_connection((endpoint.hostname, port), timeout=timeout):
            return True
    except OSError:
        return False


def offline_reason() -> str:
    if hub_offline_by_setting():
        return "the Hub is switched off here (HF_HUB_OFFLINE/HF_DATASETS_OFFLINE is set)"
    return "the Hugging Face Hub cannot be reached from this machine"
