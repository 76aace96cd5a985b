"""No silent waits: a long Terraform command shows what it is doing while it runs.

``TerraformProgress`` is the sink a notebook call hands to the driver. It keeps every
line (the report shows them afterwards, collapsed) and shows one line of progress:
the resource Terraform is working on and the time so far. tqdm draws it as a widget in
Jupyter and on stderr elsewhere; ``leave=False`` removes it when the command ends, so
the cell is left with the call's result only.
"""

from __future__ import annotations

import re

from tqdm.auto import tqdm

# "aws_instance.ec2_instance: Still creating... [10s elapsed]", "...: Creation complete after 2s [id=...]"
_EVENT = re.compile(r"^(?P<address>[\w.\-\[\]\"]+): (?P<what>[A-Z][^\[]*?)(?:\.\.\.| after |$)")
_DONE = re.compile(r": (?:Creation|Modifications|Destruction) complete")
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


class TerraformProgress:
    """A sink with a progress line; use as ``with TerraformProgress("apply") as sink: driver.apply(sink=sink)``."""

    def __init__(self, command: str):
        self.command = command
        self.lines: list[str] = []
        self.done = 0
        self.bar = None

    def __enter__(self) -> "TerraformProgress":
        self.bar = tqdm(total=None, leave=False, desc=f"terraform {self.command}", unit=" resources",
                        bar_format="{desc} | {n} resource(s) done | {elapsed} {postfix}")
        return self

    def __exit__(self, *exc) -> None:
        self.bar.close()

    def __call__(self, line: str) -> None:
        line = _ANSI.sub("", line)
        self.lines.append(line)
        event = _EVENT.match(line.strip())
        if self.bar is None or not event:
            return
        if _DONE.search(line):
            self.done += 1
            self.bar.update(1)
        self.bar.set_postfix_str(f"{event['address']}: {event['what'].strip()}", refresh=True)

    def text(self) -> str:
        return "".join(line if line.endswith("\n") else line + "\n" for line in self.lines)
