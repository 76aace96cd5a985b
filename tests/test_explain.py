"""Terraform failures become a short explanation plus the relevant error."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from iamlab.terraform import state_report
from iamlab.terraform.driver import Driver, Result, TerraformFailed, summarize
from iamlab.terraform.explain import error_blocks, explain

UNDECLARED = """
╷
│ Error: Reference to undeclared resource
│
│   on main.tf line 31, in resource "aws_instance" "ec2_instance":
│   31:   iam_instance_profile = aws_iam_instance_profile.ec2_iam_profile.name
│
│ A managed resource "aws_iam_instance_profile" "ec2_iam_profile" has not been declared in the root module.
╵
"""

REFUSED = """
╷
│ Error: creating IAM Role (ec2-ecr-role): operation error IAM: CreateRole, https response error StatusCode: 0, RequestID: , request send failed, Post "http://127.0.0.1:4566/": dial tcp 127.0.0.1:4566: connect: connection refused
╵
"""


def test_undeclared_reference_points_at_the_file_and_line():
    assert "refers to a resource or variable that is not declared" in explain("", UNDECLARED)
    blocks = error_blocks(UNDECLARED)
    assert blocks.startswith("Error: Reference to undeclared resource")
    assert "on main.tf line 31" in blocks and "│" not in blocks


def test_dead_sandbox_says_how_to_restart_and_claims_nothing_unchecked():
    text = explain("", REFUSED)
    assert "python -m iamlab sandbox start" in text and "intact" not in text


def test_unknown_failure_still_says_what_next():
    assert "Next step" in explain("", "Error: something new")


def test_summaries_of_plan_apply_and_destroy():
    assert summarize("Plan: 4 to add, 1 to change, 2 to destroy.") == {"add": 4, "change": 1, "destroy": 2}
    assert summarize("Apply complete! Resources: 4 added, 0 changed, 0 destroyed.") == {"add": 4, "change": 0, "destroy": 0}
    assert summarize("Apply complete! Resources: 0 added, 1 changed, 2 destroyed.") == {"add": 0, "change": 1, "destroy": 2}
    assert summarize("Destroy complete! Resources: 4 destroyed.") == {"add": 0, "change": 0, "destroy": 4}
    assert summarize("No changes. Your infrastructure matches the configuration.") == {"add": 0, "change": 0, "destroy": 0}


# Recorded on a 64 KiB tmpfs (Terraform 1.11.4): full, then with 8 KiB free.
DATA = Path(__file__).parent / "data"
LOCK_ON_FULL_DISK = (DATA / "full-disk-lock.stderr.txt").read_text()
STATE_NOT_SAVED = (DATA / "full-disk-state-not-saved.stderr.txt").read_text()
STATE_NOT_SAVED_STDOUT = (DATA / "full-disk-state-not-saved.stdout.txt").read_text()


def test_a_lock_that_cannot_be_written_on_a_full_disk_is_not_another_command():
    text = explain("", LOCK_ON_FULL_DISK)
    assert "disk is full" in text and "before changing anything" in text
    assert "Another Terraform command" not in text and "intact" not in text


def test_a_state_that_could_not_be_saved_is_said_so_and_kept(tmp_path):
    text = explain(STATE_NOT_SAVED_STDOUT, STATE_NOT_SAVED)
    assert "could not save its state file" in text and "terraform state push" in text
    kept = state_report.rescue_printed_state(tmp_path, STATE_NOT_SAVED)
    assert kept == tmp_path / "errored.tfstate"
    state = json.loads(kept.read_text())
    assert state["version"] == 4 and len(state["resources"][0]["instances"]) == 30
    assert kept.stat().st_mode & 0o077 == 0


def test_a_killed_terraform_is_named_and_does_not_claim_the_state_is_intact():
    text = explain("aws_iam_role.ec2_ecr_role: Creating...\n", "", returncode=-9)
    assert "SIGKILL" in text and "intact" not in text


KILLED_AFTER_ROLE = """aws_iam_role.ec2_ecr_role: Creating...
aws_iam_role.ec2_ecr_role: Creation complete after 1s [id=ec2-ecr-role]
aws_iam_role_policy_attachment.ecr_read_only: Creating...
aws_iam_instance_profile.ec2_profile: Creating...
"""

ROLE_ONLY_STATE = {"version": 4, "resources": [
    {"mode": "data", "type": "aws_ami", "name": "amazon_linux", "instances": [{"attributes": {}}]},
    {"mode": "managed", "type": "aws_iam_role", "name": "ec2_ecr_role", "instances": [{"attributes": {}}]},
]}


def test_killed_after_the_role_says_what_may_exist_outside_the_state_and_how_to_adopt_or_clean(tmp_path):
    (tmp_path / "terraform.tfstate").write_text(json.dumps(ROLE_ONLY_STATE))
    failure = Driver(sink=lambda line: None, directory=tmp_path)._failure(Result("apply", -9, KILLED_AFTER_ROLE, "", 1.0))
    text = failure.explanation
    assert "records 1 resource(s): aws_iam_role.ec2_ecr_role" in text
    assert "aws_iam_role_policy_attachment.ecr_read_only, aws_iam_instance_profile.ec2_profile" in text
    assert "EntityAlreadyExists" in text and "import" in text and "python -m iamlab sandbox reset" in text
    assert "ROLE_NAME/POLICY_ARN" in text and "intact" not in text


@pytest.mark.parametrize("left_by_the_kill", ["", '{"version": 4, "resou'])
def test_killed_while_writing_the_state_still_names_what_may_exist(tmp_path, left_by_the_kill):
    """Seen in CI: SIGKILL right after "Creation complete" can catch Terraform writing its state, leaving it
    empty or cut short; the message must still name the role, and give a way out that works then."""
    (tmp_path / "terraform.tfstate").write_text(left_by_the_kill)
    text = Driver(sink=lambda line: None, directory=tmp_path)._failure(Result("apply", -9, KILLED_AFTER_ROLE, "", 1.0)).explanation
    assert "aws_iam_role.ec2_ecr_role" in text and "python -m iamlab sandbox reset" in text and "intact" not in text
    if left_by_the_kill:
        assert "could not be read" in text and f"mv {tmp_path / 'terraform.tfstate'}" in text
    else:
        assert "records 0 resource(s)" in text and "import" in text


def test_a_failed_plan_says_nothing_changed():
    failure = Driver(sink=lambda line: None, directory=Path("."))._failure(Result("plan", 1, "", "Error: x", 1.0))
    assert "Nothing was changed in the account" in failure.explanation


def test_a_truncated_state_is_named_before_terraform_runs(tmp_path, monkeypatch):
    monkeypatch.setenv("IAMLAB_HOME", str(tmp_path / "home"))
    good = json.dumps({"version": 4, "resources": []})
    (tmp_path / "terraform.tfstate").write_text(good[:20])
    (tmp_path / "terraform.tfstate.backup").write_text(good)
    driver = Driver(sink=lambda line: None, directory=tmp_path)
    with pytest.raises(TerraformFailed) as failure:
        driver.apply()
    text = str(failure.value)
    assert str(tmp_path / "terraform.tfstate") in text and "not complete JSON" in text
    assert f"cp {tmp_path / 'terraform.tfstate.backup'}" in text and "sandbox reset" in text
    assert (tmp_path / "terraform.tfstate").read_text() == good[:20]  # left as it was
    assert not (tmp_path / "home" / ".sandbox" / "state.json").exists()  # nothing was started


WARM_PROVIDER_GONE = """
Error: Failed to load plugin schemas

Error while loading schemas for plugin components: Failed to obtain provider
schema: Could not load the schema for provider
registry.terraform.io/hashicorp/aws: failed to instantiate provider
"registry.terraform.io/hashicorp/aws" to obtain schema: Reattachment process
not found..
"""  # recorded: the warm provider killed, then `terraform plan` with its reattach value


def test_a_warm_provider_that_died_is_not_mistaken_for_the_sandbox():
    text = explain("", WARM_PROVIDER_GONE)
    assert "warm AWS provider" in text and "IAMLAB_WARM_PROVIDER=off" in text and "sandbox" not in text.split("\n")[0]


def _driver_whose_first_run_meets(first: Result, tmp_path):
    """A driver whose command fails once as ``first`` (attached to the warm provider), then succeeds."""
    driver, lines, runs = Driver(sink=lambda line: None, directory=tmp_path), [], []
    results = [first, Result(first.command, 0, "Apply complete! Resources: 0 added, 0 changed, 0 destroyed.\n", "", 1.0)]

    def once(name, call, sink):
        runs.append(name)
        return results[len(runs) - 1], True

    driver._once = once
    return driver, lines, runs


def test_a_warm_provider_lost_before_any_change_is_retried_once_and_said(tmp_path, monkeypatch):
    from iamlab.terraform import warm_provider

    monkeypatch.setattr(warm_provider, "stop", lambda: False)
    driver, lines, runs = _driver_whose_first_run_meets(Result("apply", 1, "", WARM_PROVIDER_GONE, 1.0), tmp_path)
    result = driver._call("apply", None, (0,), sink=lines.append)
    assert runs == ["apply", "apply"] and result.returncode == 0 and result.retried
    assert any("ran the command again" in line for line in lines)


def test_a_warm_provider_lost_after_changes_began_is_not_retried(tmp_path, monkeypatch):
    from iamlab.terraform import warm_provider

    monkeypatch.setattr(warm_provider, "stop", lambda: False)
    first = Result("apply", 1, "aws_iam_role.ec2_ecr_role: Creating...\n", WARM_PROVIDER_GONE, 1.0)
    driver, lines, runs = _driver_whose_first_run_meets(first, tmp_path)
    with pytest.raises(TerraformFailed) as failure:
        driver._call("apply", None, (0,), sink=lines.append)
    assert runs == ["apply"] and "warm AWS provider" in failure.value.explanation
    assert "aws_iam_role.ec2_ecr_role" in failure.value.explanation  # named as possibly outside the state
