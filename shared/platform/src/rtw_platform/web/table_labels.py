"""Tables that become stacked rows on a phone: each body cell is given its column's heading as a
`data-label` attribute, which the stylesheet shows above the cell on a narrow screen (where a row
is drawn as a block, one cell under another, so it needs no sideways scrolling).

Done once for every page as it is rendered, so no template has to repeat its headings; a page
needs no script for it. The page's HTML is otherwise left exactly as it was written.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html import escape
from html.parser import HTMLParser


@dataclass
class _Table:
    headings: list[str] = field(default_factory=list)
    in_head: bool = False
    heading: list[str] | None = None  # the words of a heading being read
    span: int = 1
    column: int = 0


def _span(attrs: list[tuple[str, str | None]]) -> int:
    for name, value in attrs:
        if name == "colspan" and value and value.isdigit():
            return max(1, min(int(value), 1000))
    return 1


class _Labeller(HTMLParser):
    """Finds where each body cell's start tag is and which heading its column has."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tables: list[_Table] = []
        self.labels: list[tuple[tuple[int, int], str]] = []  # (line, column) of "<td" → label

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table":
            self.tables.append(_Table())
            return
        if not self.tables:
            return
        table = self.tables[-1]
        if tag == "thead":
            table.in_head = True
        elif tag == "tbody":
            table.in_head = False
        elif tag == "tr":
            table.column = 0
        elif tag in ("th", "td"):
            span = _span(attrs)
            if table.in_head:
                table.heading, table.span = [], span
            else:
                heading = table.headings[table.column] if table.column < len(table.headings) else ""
                if heading and not any(name == "data-label" for name, _ in attrs):
                    self.labels.append((self.getpos(), heading))
                table.column += span

    def handle_endtag(self, tag: str) -> None:
        if not self.tables:
            return
        table = self.tables[-1]
        if tag == "table":
            self.tables.pop()
        elif tag == "thead":
            table.in_head = False
        elif tag in ("th", "td") and table.heading is not None:
            words = " ".join("".join(table.heading).split())
            table.headings.extend([words] * table.span)
            table.heading = None

    def handle_data(self, data: str) -> None:
        if self.tables and self.tables[-1].heading is not None:
            self.tables[-1].heading.append(data)


def label_table_cells(html: str) -> str:
    """`html` with `data-label="<column heading>"` on every body cell of every table whose head
    names its columns (a cell that has one already keeps it)."""
    if "<table" not in html:
        return html
    labeller = _Labeller()
    labeller.feed(html)
    labeller.close()
    if not labeller.labels:
        return html
    # the parser counts lines by "\n" alone
    line_starts = [0] + [at + 1 for at, char in enumerate(html) if char == "\n"]
    pieces: list[str] = []
    done = 0
    for (line, column), label in labeller.labels:
        at = line_starts[line - 1] + column + len("<td")
        pieces += [html[done:at], f' data-label="{escape(label, quote=True)}"']
        done = at
    pieces.append(html[done:])
    return "".join(pieces)
