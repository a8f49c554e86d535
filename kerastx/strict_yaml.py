"""YAML as ``yaml.safe_load`` reads it, except that a mapping giving one key twice is an error: safe_load keeps
the last value silently, so ``epochs: 3`` written twice in a config would train with whichever came last.

Example::

    data, root = load_yaml("epochs: 3\\nepochs: 5\\n")   # RepeatedKey: key 'epochs' is given twice (lines 1 and 2)
"""

from __future__ import annotations

import yaml

MERGE_TAG = "tag:yaml.org,2002:merge"  # '<<: *defaults': keys merged in may be given again, by design


class RepeatedKey(yaml.YAMLError):
    """A mapping of the YAML text gives one key twice."""


class _UniqueKeyLoader(yaml.SafeLoader):
    def construct_mapping(self, node, deep=False):
        first_lines = {}
        for key_node, _value in node.value:
            if key_node.tag == MERGE_TAG:
                continue
            key, line = self.construct_object(key_node, deep=True), key_node.start_mark.line + 1
            try:
                if key in first_lines:
                    raise RepeatedKey(f"key {str(key)!r} is given twice (lines {first_lines[key]} and {line}); "
                                      "keep one")
                first_lines[key] = line
            except TypeError:  # an unhashable key (a list): the constructor says what is wrong with it
                break
        return super().construct_mapping(node, deep)


def load_yaml(text: str):
    """``(data, root node)`` of ``text`` (``(None, None)`` for an empty document); the node tree has each key's
    line (``key_node.start_mark.line``, from 0). Raises :class:`RepeatedKey` or another ``yaml.YAMLError``."""
    loader = _UniqueKeyLoader(text)
    try:
        root = loader.get_single_node()
        return (None, None) if root is None else (loader.construct_document(root), root)
    finally:
        loader.dispose()
