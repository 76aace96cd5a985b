"""No silent waits: a long Terraform command shows what it is doing while it runs.

``TerraformProgress`` is the sink a notebook call hands to the driver. It keeps every
line (the report shows them afterwards, collapsed) and shows one line of progress:
the resource Terraform is working on, how many are done, the time so far. In a
notebook it is an updating display (a display handle), emptied when the command ends;
elsewhere a tqdm line on stderr that ``leave=False`` removes. Either way the cell is
left with the call's result only.
"""

from __future__ import annotations

import html
import re
import time

from tqdm import tqdm

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
        self.bar = self.handle = None
        self.started = time.monotonic()

    def __enter__(self) -> "TerraformProgress":
        self.started = time.monotonic()
        if _in_kernel():
            from IPython.display import HTML, display

            self.handle = display(HTML(self._html("starting…")), display_id=True)
        else:
            self.bar = tqdm(total=None, leave=False, desc=f"terraform {self.command}",
                            bar_format="{desc} | {n} resource(s) done | {elapsed} {postfix}")
        return self

    def __exit__(self, *exc) -> None:
        if self.handle is not None:
            from IPython.display import HTML

            self.handle.update(HTML(""))  # the progress goes; the call's result stays
        if self.bar is not None:
            self.bar.close()

    def __call__(self, line: str) -> None:
        line = _ANSI.sub("", line)
        self.lines.append(line)
        event = _EVENT.match(line.strip())
        if not event:
            return
        if _DONE.search(line):
            self.done += 1
            if self.bar is not None:
                self.bar.update(1)
        doing = f"{event['address']}: {event['what'].strip()}"
        if self.bar is not None:
            self.bar.set_postfix_str(doing, refresh=True)
        if self.handle is not None:
            from IPython.display import HTML

            self.handle.update(HTML(self._html(doing)))

    def _html(self, doing: str) -> str:
        seconds = time.monotonic() - self.started
        return (f'<div class="iamlab-progress" role="status">⏳ <code>terraform {html.escape(self.command)}</code> is running '
                f"({seconds:.0f} s, {self.done} resource(s) done): {html.escape(doing)}</div>")

    def text(self) -> str:
        return "".join(line if line.endswith("\n") else line + "\n" for line in self.lines)


def _in_kernel() -> bool:
    """A Jupyter kernel (where a display can be updated), not a terminal IPython or a script."""
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and type(shell).__name__ == "ZMQInteractiveShell"
