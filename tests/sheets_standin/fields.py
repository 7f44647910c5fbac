"""Field masks: the `fields` query parameter (partial answers) and the `fields` of update requests.

Both spellings the API takes are read: "a.b,c" and "a/b,c", and the grouped form
"userEnteredFormat(backgroundColor,textFormat)". "*" is every field.
"""

from __future__ import annotations

import copy
from typing import Any

# A mask is a tree: each name maps to the mask below it, or None for "all of it".
Mask = dict[str, "Mask | None"]


class MaskError(ValueError):
    pass


def parse(text: str) -> Mask:
    mask: Mask = {}
    pos = _parse_list(text.replace(" ", ""), 0, mask)
    if pos != len(text.replace(" ", "")):
        raise MaskError(text)
    return mask


def _parse_list(text: str, pos: int, into: Mask) -> int:
    while True:
        pos = _parse_item(text, pos, into)
        if pos < len(text) and text[pos] == ",":
            pos += 1
            continue
        return pos


def _parse_item(text: str, pos: int, into: Mask) -> int:
    start = pos
    while pos < len(text) and text[pos] not in ",()":
        pos += 1
    names = [n for n in text[start:pos].replace("/", ".").split(".")]
    if not names or any(not n for n in names):
        raise MaskError(text)
    node = into
    for name in names[:-1]:
        child = node.get(name, {})
        if child is None:  # already whole; a narrower path adds nothing
            return _skip_group(text, pos)
        node[name] = child
        node = child
    last = names[-1]
    if pos < len(text) and text[pos] == "(":
        child = node.get(last, {})
        sub: Mask = {} if child is None else child
        pos = _parse_list(text, pos + 1, sub)
        if pos >= len(text) or text[pos] != ")":
            raise MaskError(text)
        if child is not None:
            node[last] = sub
        return pos + 1
    node[last] = None
    return pos


def _skip_group(text: str, pos: int) -> int:
    if pos < len(text) and text[pos] == "(":
        depth = 0
        while pos < len(text):
            depth += {"(": 1, ")": -1}.get(text[pos], 0)
            pos += 1
            if depth == 0:
                break
    return pos


def covers(mask: Mask | None, *path: str) -> bool:
    """True when the mask asks for anything at or below this path."""
    node = mask
    for name in path:
        if node is None:
            return True
        if "*" in node:
            return True
        if name not in node:
            return False
        node = node[name]
    return True


def select(value: Any, mask: Mask | None) -> Any:
    """Keep only what the mask names (a partial answer); lists apply the mask to each item."""
    if mask is None:
        return value
    if isinstance(value, list):
        return [select(item, mask) for item in value]
    if not isinstance(value, dict):
        return value
    if "*" in mask:
        return value
    kept: dict[str, Any] = {}
    for key, item in value.items():
        if key in mask:
            chosen = select(item, mask[key])
            if chosen != {} or mask[key] is None:
                kept[key] = chosen
    return kept


def apply(target: dict[str, Any], source: dict[str, Any], mask: Mask | None) -> None:
    """Update semantics: each masked field takes the source's value, or is cleared if absent."""
    if mask is None or "*" in mask:
        keys = set(target) | set(source)
        mask = dict.fromkeys(keys)
    for key, sub in mask.items():
        if sub is None:
            if key in source:
                target[key] = copy.deepcopy(source[key])
            else:
                target.pop(key, None)
            continue
        child_source = source.get(key)
        if not isinstance(child_source, dict):
            child_source = {}
        child = target.get(key)
        if not isinstance(child, dict):
            child = {}
        apply(child, child_source, sub)
        if child:
            target[key] = child
        else:
            target.pop(key, None)
