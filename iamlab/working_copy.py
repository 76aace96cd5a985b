"""Terraform and the learner's working copy: the commands (each with a progress line, then a
report that renders itself) and the files (a block as written, a hand edit, a file added or
removed, the custom policy as the editor holds it).

    lab.terraform.init()
    lab.terraform.outputs()
    lab.terraform.destroy()
    lab.terraform.write("pull_by_tag.tf", text)
"""

from __future__ import annotations

import re
from pathlib import Path

from .progress import TerraformProgress
from .reports import ApplyReport, Note, PlanReport, Snippet, Source, policy_changes, state_policies
from .terraform import Driver, edits
from .terraform import config as tfconfig
from .terraform.driver import discard


class Terraform:
    """Real ``terraform`` in the account's working copy; ``driver`` is the command runner
    (the editor's Plan and Apply buttons share it, each call naming its own output sink)."""

    def __init__(self, account):
        self.account = account
        self.directory: Path = account.directory
        self.driver = Driver(sink=discard, directory=self.directory)  # every call names its own sink

    def _run(self, command: str, call):
        """Run a Terraform command with a progress line, keeping its output to this call."""
        with TerraformProgress(command) as progress:
            return call(progress)

    # -- commands -----------------------------------------------------------------
    def init(self) -> ApplyReport:
        return ApplyReport(self._run("init", lambda sink: self.driver.init(sink=sink)))

    def plan(self) -> PlanReport:
        """``terraform plan``, then what it means in plain words (policy documents as diffs)."""
        result, changes = self._run("plan", lambda sink: self.driver.plan_changes(sink=sink))
        return PlanReport(changes, result)

    def apply(self) -> ApplyReport:
        """``terraform apply``: a progress line while it runs, then what changed (policy
        documents as diffs) with Terraform's log collapsed."""
        return self._changing("apply", self.driver.apply)

    def destroy(self) -> ApplyReport:
        return self._changing("destroy", self.driver.destroy)

    def _changing(self, command: str, run) -> ApplyReport:
        before = state_policies(self.directory)
        result = self._run(command, lambda sink: run(sink=sink))
        return ApplyReport(result, policy_changes(before, state_policies(self.directory)))

    def settled(self) -> bool:
        """Would an apply find nothing to do? (The sandbox knows; real AWS never says so.)"""
        return self.driver.settled()

    def outputs(self) -> dict:
        return self.driver.state_outputs() or self.driver.outputs()

    # -- the files ------------------------------------------------------------------
    def show(self, address: str) -> Source:
        """One block of your working copy, as you wrote it (``.source`` is its text)."""
        from .progress import Ticker

        with Ticker(f"Reading your working copy for {address}…"):
            try:
                source = tfconfig.block_source(self.directory, address)
                block = tfconfig.find(self.directory, address)
            except KeyError:
                return Note(self._not_active(address))
        return Source(f"From `{block.file.name}` in your working copy:", source, "hcl")

    def _not_active(self, address: str) -> str:
        """Why ``show`` has no block to show: commented out (say where), or not written at all."""
        kind, _, name = address.partition(".")
        pattern = re.compile(rf'^\s*#\s*(resource|data)\s+"{re.escape(kind)}"\s+"{re.escape(name)}"', re.M)
        for file in sorted(self.directory.glob("*.tf")):
            if pattern.search(file.read_text(errors="replace")):
                return f"`{address}` is commented out in `{file.name}` of your working copy: there is no active block to show."
        return f"Your working copy has no block `{address}`: it was never written there, or it was deleted."

    def comment_out(self, address: str) -> Snippet:
        """Comment out a block in your files (what the lesson asks you to do by hand): the diff."""
        edit = edits.comment_out(self.directory, address)
        if not edit.changed:
            return Note(f"`{address}` is not active in your files: nothing to comment out.")
        return Snippet(f"Edited `{edit.file.name}` (a copy of the old file is in `{edit.backup}`):", edit.diff, "diff")

    def write(self, name: str, text: str) -> Snippet:
        """Add a file of your own to the working copy."""
        (self.directory / name).write_text(text)
        return Snippet(f"Wrote `{name}` in your working copy:", text, "hcl")

    def remove(self, name: str) -> Note:
        (self.directory / name).unlink(missing_ok=True)
        return Note(f"Removed `{name}` from your working copy.")

    def policy(self):
        """Your custom policy as ``custom_policy.tf`` holds it now (a ``PolicyModel`` you can change
        in code); the lesson's starting policy when there is no such file. A file that cannot be
        read as a policy raises ``PolicyNotReadable``, saying why: never the starting policy in its place."""
        from .course.policies import seed_policy
        from .editor import io as policy_io

        model = policy_io.load(self.directory, seed_policy())
        model.region, model.account = self.account.region, self.account.id
        return model

    def __repr__(self) -> str:
        return f"Terraform(working_copy={self.directory})"
