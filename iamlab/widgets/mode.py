"""Sandbox or real AWS: the choice, the account and the cost, and an explicit confirmation."""

from __future__ import annotations

import html

import ipywidgets as w

from .. import aws_mode, mode
from .runner import panel


class ModeSwitch(w.VBox):
    """Switching to real AWS shows who and where you are and what it costs; nothing is
    created until you press the confirmation button for that account."""

    def __init__(self, preflight=aws_mode.preflight):
        self._preflight = preflight
        self.checked: aws_mode.Preflight | None = None
        self.choice = w.ToggleButtons(options=[("Local sandbox (free)", mode.SANDBOX), ("My AWS account", mode.AWS)],
                                      value=mode.current(), description="Run on:")
        self.details = w.HTML()
        self.confirm_button = w.Button(description="I understand the cost: use this account", button_style="danger",
                                       layout=w.Layout(width="auto", display="none"))
        self.choice.observe(lambda change: self.select(change["new"]), "value")
        self.confirm_button.on_click(lambda _: self.confirm())
        super().__init__([self.choice, self.details, self.confirm_button])
        self.select(self.choice.value)

    def select(self, chosen: str) -> None:
        self.confirm_button.layout.display = "none"
        if chosen == mode.SANDBOX:
            mode.use(mode.SANDBOX)
            self.details.value = panel("success", "The local sandbox", "Free, offline, nothing leaves this machine.")
            return
        try:
            self.checked = self._preflight()
        except aws_mode.AwsModeError as error:
            self.choice.value = mode.SANDBOX  # selects the sandbox again (through the same path)...
            self.details.value = panel("error", "Staying in the sandbox", html.escape(str(error)).replace("\n", "<br>"))  # ...and says why
            return
        mode.use(mode.AWS)
        record = aws_mode.confirmed_for()
        ok = record and (record["account"], record["region"]) == (self.checked.account, self.checked.region)
        self.details.value = panel("warning" if not ok else "info", "Your AWS account",
                                    f"<pre>{html.escape(self.checked.summary())}</pre>"
                                    + ("Confirmed: applies will create these resources." if ok else "Not confirmed yet: nothing will be applied."))
        if not ok:
            self.confirm_button.description = f"I understand the cost: use account {self.checked.account}"
            self.confirm_button.layout.display = None

    def confirm(self) -> None:
        if self.checked is None or self.checked.missing_repositories:
            self.details.value += panel("error", "Not confirmed", "Create the missing repositories first.")
            return
        aws_mode.confirm(self.checked)
        self.confirm_button.layout.display = "none"
        self.details.value = panel("info", f"Confirmed for account {self.checked.account} in {self.checked.region}",
                                    f"<pre>{html.escape(aws_mode.instance_commands(self.checked.account, self.checked.region))}</pre>")
