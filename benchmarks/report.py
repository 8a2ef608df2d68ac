"""Format benchmark results as Markdown tables, ready to paste into the README."""

from __future__ import annotations

from collections.abc import Sequence


def percent(value: float) -> str:
    """Format a share as a percentage with one decimal."""
    return f"{100 * value:.1f}%"


def markdown_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """Return a Markdown table with the first column left-aligned and the rest right-aligned."""
    widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(len(header))]

    def line(cells: Sequence[str]) -> str:
        padded = [
            str(cell).ljust(width) if i == 0 else str(cell).rjust(width)
            for i, (cell, width) in enumerate(zip(cells, widths, strict=True))
        ]
        return "| " + " | ".join(padded) + " |"

    rule = [":" + "-" * (widths[0] - 1), *("-" * (w - 1) + ":" for w in widths[1:])]
    return "\n".join([line(header), "| " + " | ".join(rule) + " |", *(line(r) for r in rows)])
