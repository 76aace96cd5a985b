"""No silent waits: a call that can take more than a second says at once what it is doing,
and keeps saying it (the time so far, refreshed twice a second) until it answers.

``Ticker`` is that line for any step: ``with Ticker("Checking custom_policy.tf") as tick: ...``
shows it at once, ``tick.say("Running terraform validate")`` changes what it says, and a
thread of its own refreshes it twice a second, so a step that prints nothing (Terraform
starting, a validate, a grader reading the account) is never silent. It goes when the step
ends, leaving the cell with the call's result only.

``TerraformProgress`` is the sink a notebook call hands to the driver. It keeps every
line (the report shows them afterwards, collapsed) and shows one line of progress:
the resource Terraform is working on, how many are done, the time so far (ticking, too).
In a notebook both are an updating display (a display handle), emptied when the command
ends; elsewhere a tqdm line on stderr that ``leave=False`` removes.
"""

from __future__ import annotations

import contextvars
import html
import re
import threading
import time
from typing import Callable

from tqdm import tqdm

# "aws_instance.ec2_instance: Still creating... [10s elapsed]", "...: Creation complete after 2s [id=...]"
_EVENT = re.compile(r"^(?P<address>[\w.\-\[\]\"]+): (?P<what>[A-Z][^\[]*?)(?:\.\.\.| after |$)")
_DONE = re.compile(r": (?:Creation|Modifications|Destruction) complete")
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


class _Refresher:
    """Calls ``refresh()`` every ``every`` seconds from a thread of its own until stopped. The thread
    runs in the caller's context, so a kernel's display updates go to the cell that started it."""

    def __init__(self, refresh: Callable[[], None], every: float = 0.5):
        self.refresh, self.every = refresh, every
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        context = contextvars.copy_context()
        self._thread = threading.Thread(target=context.run, args=(self._run,), daemon=True, name="iamlab-ticker")
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self.every):
            try:
                self.refresh()
            except Exception:  # noqa: BLE001 - a progress line must never break the step it reports
                return

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)


class Ticker:
    """A progress line for one step: shown at once, refreshed twice a second, gone at the end.

    ``show(text)`` receives each rendering ("" at the end); by default a display in a Jupyter
    kernel, a tqdm line on a terminal's stderr, nothing otherwise (a script's output stays clean),
    and nothing from a thread other than the main one (a widget's worker shows its own progress;
    a display from there would land in whichever cell runs at the time).
    """

    def __init__(self, what: str, every: float = 0.5, show: Callable[[str], None] | None = None):
        self.what = what
        self.started = time.monotonic()
        self._show = show
        self._handle = self._bar = None
        self._lock = threading.Lock()
        self._refresher = _Refresher(self._render, every)
        self.renders = 0  # how many times the line was shown (the first at once, then each refresh)

    def line(self) -> str:
        return f"⏳ {self.what} ({time.monotonic() - self.started:.0f} s)"

    def say(self, what: str) -> None:
        """What the step does now (shown at once)."""
        self.what = what
        self._render()

    def _render(self, text: str | None = None) -> None:
        text = self.line() if text is None else text
        with self._lock:
            self.renders += 1
            if self._show is not None:
                self._show(text)
            elif self._handle is not None:
                self._handle.update(_line_html(text))
            elif self._bar is not None:
                self._bar.set_description_str(text, refresh=True)

    def __enter__(self) -> "Ticker":
        self.started = time.monotonic()
        if self._show is None and threading.current_thread() is not threading.main_thread():
            return self  # a widget's worker thread: its own widgets show its progress, never a cell's output
        if self._show is None and _in_kernel():
            from IPython.display import display

            self.renders += 1
            self._handle = display(_line_html(self.line()), display_id=True)  # the cell's first output
        else:
            if self._show is None and _stderr_is_terminal():
                self._bar = tqdm(total=None, leave=False, bar_format="{desc}")
            self._render()
        self._refresher.start()
        return self

    def __exit__(self, *exc) -> None:
        self._refresher.stop()
        self._render("")
        if self._bar is not None:
            self._bar.close()


def _line_html(text: str):
    from IPython.display import HTML

    return HTML(f'<div class="iamlab-progress" role="status"><i>{html.escape(text)}</i></div>' if text else "")


def _stderr_is_terminal() -> bool:
    import sys

    return hasattr(sys.stderr, "isatty") and sys.stderr.isatty()


class TerraformProgress:
    """A sink with a progress line; use as ``with TerraformProgress("apply") as sink: driver.apply(sink=sink)``."""

    def __init__(self, command: str):
        self.command = command
        self.lines: list[str] = []
        self.done = 0
        self.bar = self.handle = None
        self.started = time.monotonic()
        self.doing = "starting…"
        self._lock = threading.Lock()
        self._refresher = _Refresher(self._tick)

    def __enter__(self) -> "TerraformProgress":
        self.started = time.monotonic()
        if _in_kernel():
            from IPython.display import HTML, display

            self.handle = display(HTML(self._html("starting…")), display_id=True)
        else:
            self.bar = tqdm(total=None, leave=False, desc=f"terraform {self.command}",
                            bar_format="{desc} | {n} resource(s) done | {elapsed} {postfix}")
        self._refresher.start()
        return self

    def _tick(self) -> None:
        """Terraform can be quiet for seconds (starting, refreshing): the time so far still moves."""
        with self._lock:
            if self.handle is not None:
                from IPython.display import HTML

                self.handle.update(HTML(self._html(self.doing)))
            elif self.bar is not None:
                self.bar.refresh()

    def __exit__(self, *exc) -> None:
        self._refresher.stop()
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
        doing = self.doing = f"{event['address']}: {event['what'].strip()}"
        with self._lock:
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
