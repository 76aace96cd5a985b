"""Plan and Apply buttons that run Terraform in the background and stream it live."""

from __future__ import annotations

import html
import threading
import time

import ipywidgets as w

from ..terraform import TerraformBusy, TerraformFailed
from ..reports import PlanReport, policy_changes, state_policies
from ..terraform.plan import summary


class TerraformRunner(w.VBox):
    """Runs Terraform off the kernel's main thread, so widgets stay responsive.

    While a command runs both buttons are disabled; a second click does nothing
    (the driver refuses a concurrent run as well). The output streams into this
    runner's own Output widget, passed to the driver with each call (never set on
    the driver, so ``lab.apply()`` in a cell keeps its own output); the result ends
    in a success or an error panel.
    """

    def __init__(self, driver, before_run=None, after_apply=None):
        self.driver, self.before_run, self.after_apply = driver, before_run, after_apply
        self.plan_button = w.Button(description="Plan", icon="search", tooltip="terraform plan: what would change?")
        self.apply_button = w.Button(description="Apply", icon="play", button_style="primary",
                                     tooltip="terraform apply: make the account match your configuration")
        self.progress = w.IntProgress(value=0, min=0, max=100, description="", bar_style="info",
                                      layout=w.Layout(width="240px", visibility="hidden"))
        self.elapsed = w.Label("")
        self.status = w.HTML("")
        self.output = w.Output(layout=w.Layout(max_height="260px", overflow="auto", border="1px solid #eee"))
        self.plan_button.on_click(lambda _: self.start("plan"))
        self.apply_button.on_click(lambda _: self.start("apply"))
        self.thread: threading.Thread | None = None
        self.last_result = None
        self.last_error: Exception | None = None
        self.timings: dict[str, float] = {}  # seconds: terraform, after (matrix, diagram), total
        super().__init__([w.HBox([self.plan_button, self.apply_button, self.progress, self.elapsed]), self.status, self.output])

    @property
    def running(self) -> bool:
        return self.thread is not None and self.thread.is_alive()

    def start(self, command: str) -> threading.Thread | None:
        if self.running:
            return None  # the buttons are disabled; a stray click is ignored
        self._clicked = time.perf_counter()
        if self.before_run is not None:
            problem = self.before_run()
            if problem:
                self.status.value = panel("error", "Nothing was run", problem)
                return None
        self._busy(True, command)
        self.thread = threading.Thread(target=self._run, args=(command,), daemon=True)
        self.thread.start()
        return self.thread

    def wait(self, timeout: float = 600) -> None:
        if self.thread:
            self.thread.join(timeout)

    def _sink(self, line: str) -> None:
        self.output.append_stdout(line if line.endswith("\n") else line + "\n")
        self.progress.value = min(95, self.progress.value + 2)

    def _run(self, command: str) -> None:
        started = self._clicked  # timings count from the click: checks and writing included
        ticker = threading.Thread(target=self._tick, args=(started,), daemon=True)
        ticker.start()
        self.last_error = None
        try:
            if command == "plan":
                result, changes = self.driver.plan_changes(sink=self._sink)
                words = PlanReport(changes, result).items_html()
                self.status.value = panel("info", f"Plan: {summary(changes)}", f"<ul>{words}</ul>" if words else "")
                self.last_result = (result, changes)
            else:
                directory = getattr(self.driver, "directory", None)
                before = state_policies(directory) if directory else {}
                result = self.driver.apply(sink=self._sink)
                self.last_result = result
                diffs = "".join(f"<p>The policy document of <code>{html.escape(c.address)}</code>:</p>"
                                f'<pre class="iamlab-diff">{html.escape(c.policy_diff("before the apply", "after"))}</pre>'
                                for c in policy_changes(before, state_policies(directory) if directory else {}) if c.policy_diff())
                seconds = time.perf_counter() - started
                self.timings = {"terraform": result.seconds, "before_terraform": seconds - result.seconds}
                counts = result.summary
                self.status.value = panel("success", "Applied", f"{counts.get('add', 0)} added, {counts.get('change', 0)} changed, "
                                                                 f"{counts.get('destroy', 0)} destroyed in {seconds:.0f} s. Terraform's state is saved." + diffs)
                if self.after_apply is not None:
                    after_started = time.perf_counter()
                    self.after_apply()
                    self.timings["after"] = time.perf_counter() - after_started
                self.timings["total"] = time.perf_counter() - started
        except TerraformFailed as error:
            self.last_error = error
            self.status.value = panel("error", f"terraform {error.command} failed", html.escape(error.explanation),
                                       f"<pre>{html.escape(error.error)}</pre>")
        except TerraformBusy as error:
            self.last_error = error
            self.status.value = panel("warning", "Already running", html.escape(str(error)))
        except Exception as error:  # the learner must see every failure, never a silent thread death
            self.last_error = error
            self.status.value = panel("error", "Something went wrong", html.escape(f"{type(error).__name__}: {error}"))
        finally:
            self._busy(False, command)

    def _tick(self, started: float) -> None:
        while self.running or time.perf_counter() - started < 0.5:
            self.elapsed.value = f"{time.perf_counter() - started:.0f} s"
            time.sleep(0.5)
            if not self.running:
                break

    def _busy(self, busy: bool, command: str) -> None:
        self.plan_button.disabled = self.apply_button.disabled = busy
        self.progress.layout.visibility = "visible" if busy else "hidden"
        self.progress.value = 5 if busy else 100
        if busy:
            self.output.outputs = ()  # clear_output() is not thread-safe
            self.status.value = panel("info", f"terraform {command} is running…", "Output streams below.")


COLOURS = {"success": ("#e3f6e5", "✅"), "error": ("#fde4e4", "⛔"), "info": ("#e8f0fe", "ℹ️"), "warning": ("#fff4d6", "⚠️")}


def panel(kind: str, title: str, body: str = "", extra: str = "") -> str:
    colour, icon = COLOURS[kind]
    return (f'<div class="iamlab-panel iamlab-{kind}" role="status" style="background:{colour};padding:6px 10px;border-radius:4px">'
            f'<span aria-hidden="true">{icon}</span> <b>{html.escape(title)}</b>'
            f'<div>{body}</div>{extra}</div>')
