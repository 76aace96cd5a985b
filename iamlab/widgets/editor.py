"""The policy editor: statements, checks, previews, then Plan and Apply, then what changed.

Data flows one way: the widgets edit a ``PolicyModel``; "save" checks it and writes
``custom_policy.tf`` into the learner's working copy; Terraform applies it to the
sandbox; the matrix and the diagram then ask the account what the instance can do.

It takes what it uses, not the facade: the ``Account`` (clients, id, region, working copy),
the Terraform ``driver`` its buttons run, and ``ask``, which asks the access matrix again.

It opens ``custom_policy.tf`` as it is on disk, when it is made and each time it is shown
again (nothing remembered from an earlier session passes for current). A file of the
learner's it cannot hold is shown as it is, with why, and is replaced only by "Replace mine"
(which copies it to ``backups/`` first); a file that changed on disk since it was opened is
not overwritten by Save: the editor offers to reopen it.
"""

from __future__ import annotations

import copy
import difflib
import html
import json

import ipywidgets as w

from ..account import policy_document
from ..facts import policy_arn
from ..editor import checks
from ..editor import io as policy_io
from ..editor.model import ALL, PolicyModel, StatementModel, normalise, terraform_block
from ..terraform import policy_file
from .runner import TerraformRunner, panel
from .statement import StatementEditor
from .views import DiagramView, MatrixView


class PolicyEditor(w.VBox):
    """``start`` is the policy to begin from when the working copy has no custom_policy.tf
    (the lesson's starting policy); the file, when there is one, always wins."""

    def __init__(self, account, driver, ask, start: PolicyModel):
        self.account = account
        self.repositories = account.repositories()
        self.start = copy.deepcopy(start)
        self.start.region, self.start.account = account.region, account.id
        self.opened = policy_io.open_policy(account.directory, copy.deepcopy(self.start))
        self.model = self.opened.model if self.opened.readable else copy.deepcopy(self.start)
        self._as_opened = self.model.document()

        self.file_note = w.HTML()
        self.reopen_button = w.Button(description=f"Reopen {policy_file.FILE_NAME}", icon="refresh",
                                      tooltip="Show the file as it is on disk now (edits made here since are dropped)")
        self.replace_button = w.Button(description="Replace mine", icon="exchange", button_style="danger",
                                       tooltip=f"Write the editor's policy over your {policy_file.FILE_NAME} "
                                               "(yours is copied to backups/ first)")
        self.reopen_button.on_click(lambda _: self.reopen())
        self.replace_button.on_click(lambda _: self.replace_mine())
        self.file_box = w.VBox([self.file_note, w.HBox([self.reopen_button, self.replace_button])])

        self.name = w.Text(value=self.model.name, description="Policy name:")
        self.name.observe(lambda _: self._edited(), "value")
        self.statements_box = w.VBox()
        self.add_button = w.Button(description="Add statement", icon="plus")
        self.add_button.on_click(lambda _: self.add_statement())
        self.findings = w.HTML()
        self.json_preview, self.hcl_preview, self.diff_preview = w.HTML(), w.HTML(), w.HTML()
        self.previews = w.Tab(children=[self.json_preview, self.hcl_preview, self.diff_preview],
                              titles=("Policy JSON", "Terraform", "Changes vs. applied"))
        self.import_text = w.Textarea(placeholder='paste a policy: {"Version": "2012-10-17", "Statement": [...]}',
                                      layout=w.Layout(width="95%", height="90px"))
        self.import_button = w.Button(description="Import JSON", icon="upload")
        self.import_message = w.HTML()
        self.import_button.on_click(lambda _: self.import_json(self.import_text.value))
        self.save_message = w.HTML()
        self.matrix = MatrixView(ask)
        self.diagram = DiagramView(account)
        self.runner = TerraformRunner(driver, before_run=self.save, after_apply=self.refresh_views)
        importer = w.Accordion(children=[w.VBox([self.import_text, self.import_button, self.import_message])],
                               titles=("Import an existing JSON policy",), selected_index=None)
        super().__init__([self.file_box, self.name, self.statements_box, self.add_button, self.findings, self.previews,
                          importer, self.save_message, self.runner, self.matrix, self.diagram])
        self._show_opened()
        self._rebuild()
        self.show_account()

    # -- the file on disk -------------------------------------------------------------
    def _show_opened(self, changed: bool = False) -> None:
        """Say where the policy shown comes from; for a file the editor cannot hold, its text and why."""
        opened = self.opened
        buttons = self.reopen_button.layout, self.replace_button.layout
        if changed:
            self.file_note.value = panel("warning", f"Your {policy_file.FILE_NAME} changed on disk", html.escape(
                "It changed after the editor opened it (a %%tf cell, a hand edit or goto?): the policy below is "
                "not what the file holds now. Reopen to edit what is there; Save will not overwrite it."))
            buttons[0].display, buttons[1].display = None, None
        elif not opened.readable:
            self.file_note.value = panel("error", f"The editor cannot show your {policy_file.FILE_NAME}", html.escape(
                f"Why: {opened.reason} Your file is below, untouched. The statements further down are the lesson's "
                "starting policy, not yours: Save, Plan and Apply will not write them over your file. Fix your file "
                "and Reopen, or choose Replace mine (your file is copied to backups/ first)."),
                f"<pre>{html.escape(opened.text or '')}</pre>")
            buttons[0].display, buttons[1].display = None, None
        else:
            self.file_note.value = f"<i>{html.escape(str(opened))}</i>"
            buttons[0].display, buttons[1].display = None, "none"

    def on_disk(self) -> str | None:
        return policy_file.read(self.account.directory)

    def reopen(self) -> None:
        """Show custom_policy.tf as it is now (what was edited here and not saved is dropped)."""
        self.opened = policy_io.open_policy(self.account.directory, copy.deepcopy(self.start))
        self.model = self.opened.model if self.opened.readable else copy.deepcopy(self.start)
        self._as_opened = self.model.document()
        self.name.value = self.model.name
        self.save_message.value = ""
        self._show_opened()
        self._rebuild()

    def replace_mine(self) -> str | None:
        """The explicit choice: write the editor's policy over the learner's file, theirs kept in backups/."""
        return self.save(replace=True)

    def _repr_mimebundle_(self, **kwargs):
        """Shown again (a cell re-run that returns this editor): read the file again first. Untouched,
        the editor simply reopens; with edits of its own it says the file changed instead."""
        if self.on_disk() != self.opened.text:
            if self.model.document() == self._as_opened:
                self.reopen()
            else:
                self._show_opened(changed=True)
        return super()._repr_mimebundle_(**kwargs)

    def show_account(self) -> None:
        """Fill the matrix and the picture from what is applied now (from the first render,
        not only after an Apply); before the first apply they say why they are empty."""
        if not self.account.outputs().get("role_arn"):
            return
        try:
            self.matrix.refresh()
            self.diagram.refresh()
        except Exception as error:  # the editor still works; the views say what went wrong
            self.matrix.note.value = panel("error", "Could not ask the account", html.escape(f"{type(error).__name__}: {error}"))

    # -- editing ----------------------------------------------------------------
    def _rebuild(self) -> None:
        for old in getattr(self, "statement_editors", []):
            old.detach()
        self.statement_editors = [
            StatementEditor(self.model, statement, self.repositories, self._edited, self.remove_statement, self.split_statement)
            for statement in self.model.statements]
        self.statements_box.children = self.statement_editors
        self._edited()

    def add_statement(self) -> None:
        self.model.statements.append(StatementModel("Allow", [], [ALL]))
        self._rebuild()

    def _index(self, statement: StatementModel) -> int:
        return next(i for i, s in enumerate(self.model.statements) if s is statement)

    def remove_statement(self, statement: StatementModel) -> None:
        del self.model.statements[self._index(statement)]
        self._rebuild()

    def split_statement(self, statement: StatementModel) -> None:
        if self.model.split_resourceless(self._index(statement)):
            self._rebuild()

    def import_json(self, text: str) -> bool:
        """Replace the editor's policy with a pasted one; a bad paste changes nothing."""
        try:
            document = json.loads(text)
            if not isinstance(document, dict) or "Statement" not in document:
                raise ValueError("a policy is a JSON object with a \"Statement\" element")
            imported = PolicyModel.from_document(document, region=self.model.region, account=self.model.account,
                                                 known_repositories=self.repositories, name=self.model.name)
        except (ValueError, AttributeError, TypeError) as error:
            self.import_message.value = panel("error", "Not imported", html.escape(
                f"That is not a policy the editor can read: {error} Your current policy is unchanged."))
            return False
        self.model.statements = imported.statements
        self.model.version, self.model.policy_id = imported.version, imported.policy_id
        self.import_message.value = panel("success", "Imported, every element kept", html.escape(
            " ".join(_kept_elements(imported)) + " The checks below apply to the imported policy."))
        self._rebuild()
        return True

    def _edited(self) -> None:
        self.model.name = self.name.value.strip()
        found = checks.check(self.model)
        self.findings.value = _findings_html(found)
        self.json_preview.value = f"<pre>{html.escape(self.model.json())}</pre>"
        self.hcl_preview.value = f"<pre>{html.escape(terraform_block(self.model))}</pre>"
        self.diff_preview.value = self._diff_html()

    # -- what is applied now ------------------------------------------------------
    def applied_document(self) -> dict | None:
        return policy_document(self.account.client("iam"), policy_arn(self.model.account, self.model.name))

    def _diff_html(self) -> str:
        try:
            applied = self.applied_document()
        except Exception:
            return "<i>The account could not be read (is the sandbox running?).</i>"
        if applied is None:
            return f"<i>No policy named {html.escape(self.model.name)} is applied yet: everything here is new.</i>"
        old = json.dumps(normalise(applied), indent=2, sort_keys=True).splitlines()
        new = json.dumps(normalise(self.model.document()), indent=2, sort_keys=True).splitlines()
        diff = list(difflib.unified_diff(old, new, "applied", "editor", lineterm=""))
        if not diff:
            return "<i>The editor's policy is the one applied.</i>"
        colour = lambda line: "#2e7d32" if line.startswith("+") else "#c62828" if line.startswith("-") else "inherit"  # noqa: E731
        lines = "".join(f'<div style="color:{colour(line)}">{html.escape(line)}</div>' for line in diff)
        return f'<pre class="iamlab-diff">{lines}</pre>'

    # -- writing and running ---------------------------------------------------------
    def save(self, replace: bool = False) -> str | None:
        """Check, then write the policy into the working copy. Returns a problem (HTML) or None.
        Never over a file it cannot read, or one changed since it was opened, unless ``replace``."""
        try:
            saved = policy_io.write(self.account.directory, self.model, replace, opened_text=self.opened.text)
        except policy_io.PolicyNotWritten as error:
            if isinstance(error, policy_io.FileChanged):
                self._show_opened(changed=True)
            if isinstance(error, policy_io.FileNotReadable):  # the choice is a button here, not an argument
                body = html.escape(f"Your {policy_file.FILE_NAME} is yours and the editor cannot read it (why, and the "
                                   "file itself, are shown at the top), so nothing was written. Fix it and Reopen, "
                                   "or choose Replace mine there (your file is copied to backups/ first).")
            else:
                body = _findings_html(error.findings, heading=False) if error.findings else html.escape(str(error))
            self.save_message.value = panel("error", "Not written" + (": fix the errors first" if error.findings else ""), body)
            return self.save_message.value
        self.opened = policy_io.Opened(self.model, "editor", self.on_disk())
        self._as_opened = self.model.document()
        self._show_opened()
        kept = f"What was there before is kept in {', '.join(map(str, saved.backups))}. " if saved.backups else ""
        self.save_message.value = panel("success", f"Written to {policy_file.FILE_NAME}", html.escape(
            kept + f"Your other .tf files were not touched; a %%tf {policy_file.FILE_NAME} cell writes this same file."))
        return None

    def answers(self) -> dict[str, str]:
        """What the matrix below shows now: ``{"pull:flask_app": "allowed", ...}``."""
        return self.matrix.answers()

    def refresh_views(self) -> None:
        self.matrix.refresh()
        self.diagram.refresh()
        self._edited()


def _kept_elements(model: PolicyModel) -> list[str]:
    """What an import kept that the pickers do not edit, said per statement, so nothing is dropped unsaid."""
    said = []
    for number, statement in enumerate(model.statements, 1):
        elements = [name for name, present in (("NotAction", statement.not_actions is not None),
                                               ("NotResource", statement.not_resources is not None),
                                               ("Condition", statement.condition is not None)) if present]
        if elements:
            said.append(f"Statement {number} keeps its {' and '.join(elements)} exactly as written (shown as JSON below; "
                        "the pickers do not edit it).")
    if model.version != "2012-10-17":
        said.append(f"Version {model.version} is kept (policy variables such as ${{aws:username}} are not read in it).")
    if model.policy_id:
        said.append(f"Id {model.policy_id!r} is kept.")
    return said


def _findings_html(found, heading: bool = True) -> str:
    if not found:
        return panel("success", "No problems found", "")
    items = "".join(f'<li class="iamlab-finding iamlab-{f.level}">{html.escape(str(f))}</li>' for f in found)
    kind = "error" if any(f.blocks for f in found) else "warning"
    title = f"{sum(f.blocks for f in found)} error(s), {sum(not f.blocks for f in found)} warning(s)"
    return panel(kind, title, f"<ul>{items}</ul>") if heading else f"<ul>{items}</ul>"
