"""The installation steps that the README and the getting started guide mark for this test.

A step is an HTML comment (invisible on GitHub, PyPI and the documentation site) followed by a
fenced code block, applied as the comment says:

- ``<!-- step: run -->``: each line of the block is a shell command;
- ``<!-- step: append PATH -->``: the block is added to the end of the file;
- ``<!-- step: insert PATH after "TEXT" -->``: the block goes after the first line holding TEXT;
- ``<!-- step: write PATH -->``: the block becomes the file.

A first line that is only a comment naming the file (``# mysite/urls.py``, ``{# … #}``) is the
reader's signpost; it is kept, as a reader copying the block would keep it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

STEP = re.compile(
    r"<!-- step: (?P<action>run|append|insert|write)"
    r'(?: (?P<path>\S+))?(?: after "(?P<anchor>[^"]+)")? -->\n'
    r"```[a-z]*\n(?P<code>.*?)```",
    re.DOTALL,
)


@dataclass(frozen=True)
class Step:
    action: str
    path: str | None
    anchor: str | None
    code: str

    def commands(self) -> list[str]:
        return [line for line in self.code.splitlines() if line and not line.startswith("#")]

    def apply(self, project: Path) -> None:
        """Apply a file step inside ``project``."""
        assert self.path is not None
        target = project / self.path
        if self.action == "write":
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(self.code)
        elif self.action == "append":
            target.write_text(target.read_text() + "\n" + self.code)
        else:
            assert self.anchor is not None
            lines = target.read_text().splitlines(keepends=True)
            (at,) = [i for i, line in enumerate(lines) if self.anchor in line][:1]
            lines[at + 1 : at + 1] = [self.code]
            target.write_text("".join(lines))


def steps_in(text: str, *, between: tuple[str, str] | None = None) -> list[Step]:
    """The steps of ``text`` (only those between the two markers, when given)."""
    if between:
        start, end = between
        text = text[text.index(start) : text.index(end)]
    return [
        Step(match["action"], match["path"], match["anchor"], match["code"])
        for match in STEP.finditer(text)
    ]
