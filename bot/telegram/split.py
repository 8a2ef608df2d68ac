"""Measure Telegram HTML as Telegram does and split it into messages that fit."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

# Telegram's limit for one message, counted after entities are parsed (in UTF-16 units).
MESSAGE_LIMIT = 4096

_TOKEN = re.compile(r"<(/?)([a-zA-Z-]+)[^>]*>|&(?:#\d+|#x[0-9a-fA-F]+|[a-zA-Z]+);|.", re.S)
# Where a long message is best cut, in order of preference.
_BREAKS = ("\n\n", "\n", " ")


@dataclass(frozen=True, slots=True)
class _Token:
    markup: str
    width: int  # UTF-16 units the user sees; 0 for tags
    char: str = ""  # the visible character, for text tokens
    tag: str = ""  # the tag name, for tags
    closing: bool = False


def _units(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _tokens(markup: str) -> list[_Token]:
    tokens = []
    for match in _TOKEN.finditer(markup):
        raw = match.group(0)
        if match.group(2):
            tokens.append(_Token(raw, 0, tag=match.group(2).lower(), closing=bool(match.group(1))))
        else:
            char = html.unescape(raw)
            tokens.append(_Token(raw, _units(char), char=char))
    return tokens


def visible_length(markup: str) -> int:
    """Return how long Telegram counts this HTML text: tags removed, entities as one character."""
    return sum(token.width for token in _tokens(markup))


def split_html(markup: str, limit: int = MESSAGE_LIMIT) -> list[str]:
    """Split HTML into messages of at most ``limit`` visible units, closing and reopening tags.

    Cuts prefer a blank line, then a line end, then a space; a single word longer than the
    limit is cut where it has to be.
    """
    if visible_length(markup) <= limit:
        return [markup]
    tokens = _tokens(markup)
    chunks: list[str] = []
    open_tags: list[_Token] = []
    start = 0
    while start < len(tokens):
        while start < len(tokens) and tokens[start].char.isspace():
            start += 1
        end, width = start, 0
        while end < len(tokens) and width + tokens[end].width <= limit:
            width += tokens[end].width
            end += 1
        if end < len(tokens):
            end = max(_best_cut(tokens, start, end), start + 1)
        reopened = "".join(tag.markup for tag in open_tags)
        body_tokens = tokens[start:end]
        for token in body_tokens:
            if token.tag and token.closing:
                _close(open_tags, token.tag)
            elif token.tag:
                open_tags.append(token)
        body = "".join(token.markup for token in body_tokens).rstrip()
        closing = "".join(f"</{tag.tag}>" for tag in reversed(open_tags))
        if body.strip():
            chunks.append(reopened + body + closing)
        start = end
    return chunks


def _best_cut(tokens: list[_Token], start: int, end: int) -> int:
    """Return the index to cut before: after the last preferred break in the second half."""
    # One character per token, so positions in ``text`` are token indexes.
    text = "".join(token.char if len(token.char) == 1 else "\0" for token in tokens[start:end])
    for separator in _BREAKS:
        position = text.rfind(separator)
        if position > len(text) // 2:
            return start + position + len(separator)
    return end


def _close(open_tags: list[_Token], name: str) -> None:
    for index in range(len(open_tags) - 1, -1, -1):
        if open_tags[index].tag == name:
            del open_tags[index]
            return
