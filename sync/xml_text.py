"""Text into XML: the escaping xml.sax.saxutils does, without what it imports.

xml.sax.saxutils pulls in urllib.request, http.client and ssl (some 8 MiB of a pass's memory,
measured) for two small functions; these give the same output.
"""

from __future__ import annotations

_ENTITIES = (("&", "&amp;"), (">", "&gt;"), ("<", "&lt;"))
_ATTRIBUTE_ENTITIES = (("\n", "&#10;"), ("\r", "&#13;"), ("\t", "&#9;"))


def escape(text: str) -> str:
    """`text` as XML character data: &, < and > escaped."""
    for character, entity in _ENTITIES:
        text = text.replace(character, entity)
    return text


def quoteattr(text: str) -> str:
    """`text` as a quoted XML attribute value, line ends and tabs kept as character
    references; in double quotes unless it holds one and no apostrophe."""
    text = escape(text)
    for character, entity in _ATTRIBUTE_ENTITIES:
        text = text.replace(character, entity)
    if '"' not in text:
        return f'"{text}"'
    if "'" not in text:
        return f"'{text}'"
    return '"' + text.replace('"', "&quot;") + '"'
