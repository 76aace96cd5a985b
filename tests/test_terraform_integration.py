"""Real `terraform` against a real sandbox: the lesson's resources appear, and failures explain."""

from __future__ import annotations

import time

import pytest

from iamlab import sandbox
from iamlab.terraform import Driver, TerraformBusy, TerraformFailed, driver as driver_module

from . import waits
from .conftest import own_course_home, run_cli

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def applied(tmp_path_factory):
    """A home of this module's own, with tf/ applied once (lines streamed as they came)."""
    with own_course_home(tmp_path_factory, "tf-home"):
        lines: list[str] = []
        tf = Driver(sink=lines.append)
        result = tf.apply()
        yield tf, result, lines


def test_apply_creates_role_profile_instance_and_attachment(applied):
    tf, result, lines = applied
    assert result.summary == {"add": 4, "change": 0, "destroy": 0}
    assert any("aws_instance.ec2_instance: Creation complete" in line for line in lines)  # streamed
    out = tf.outputs()
    iam = sandbox.session().client("iam")
    role = iam.get_role(RoleName="ec2-ecr-role")["Role"]
    assert role["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] == {"Service": "ec2.amazonaws.com"}
    profile = iam.get_instance_profile(InstanceProfileName="ec2-ecr-instance-profile")["InstanceProfile"]
    assert [r["RoleName"] for r in profile["Roles"]] == ["ec2-ecr-role"]
    attached = iam.list_attached_role_policies(RoleName="ec2-ecr-role")["AttachedPolicies"]
    assert [a["PolicyArn"] for a in attached] == ["arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly"]
    [reservation] = sandbox.session().client("ec2").describe_instances(InstanceIds=[out["instance_id"]])["Reservations"]
    instance = reservation["Instances"][0]
    assert instance["InstanceType"] == "t2.micro"
    assert instance["IamInstanceProfile"]["Arn"] == profile["Arn"]
    assert {"Key": "course", "Value": "iamlab"} in instance["Tags"]
    assert out["pull_repository_arn"] == "arn:aws:ecr:us-east-1:123456789012:repository/flask_app"


def test_second_apply_changes_nothing(applied):
    tf, _, _ = applied
    assert tf.apply().summary == {"add": 0, "change": 0, "destroy": 0}


def test_the_course_configuration_applies_without_a_warning(applied):
    """What the learner sees in Terraform's log is their configuration's, not the sandbox's: the
    override adds no block the provider warns about (an empty assume_role once did, every command)."""
    _, result, _ = applied
    assert "Warning:" not in result.stdout + result.stderr


def test_plan_reports_an_edit_in_plain_numbers(applied):
    tf, _, _ = applied
    main = tf.directory / "main.tf"
    original = main.read_text()
    main.write_text(original.replace('Name = "iamlab-ec2-instance"', 'Name = "renamed"'))
    try:
        result = tf.plan()
        assert result.returncode == 2 and result.summary == {"add": 0, "change": 1, "destroy": 0}
    finally:
        main.write_text(original)


def test_a_broken_configuration_fails_with_an_explanation_and_state_intact(applied):
    tf, _, _ = applied
    main = tf.directory / "main.tf"
    original = main.read_text()
    state_before = (tf.directory / "terraform.tfstate").read_bytes()
    main.write_text(original.replace("aws_iam_instance_profile.ec2_profile.name", "aws_iam_instance_profile.ec2_iam_profile.name"))
    try:
        with pytest.raises(TerraformFailed) as failure:
            tf.apply()
    finally:
        main.write_text(original)
    assert "not declared" in failure.value.explanation
    assert "Reference to undeclared resource" in failure.value.error and "main.tf line" in failure.value.error
    assert (tf.directory / "terraform.tfstate").read_bytes() == state_before


def test_a_second_command_while_one_runs_is_refused_harmlessly(applied):
    tf, _, _ = applied
    driver_module._busy[tf.directory] = time.time()
    try:
        with pytest.raises(TerraformBusy, match="already running"):
            tf.apply()
    finally:
        driver_module._busy.pop(tf.directory, None)
    assert tf.plan().returncode == 0


def test_learner_files_stay_valid_for_real_aws(applied):
    tf, _, _ = applied
    for name in ("terraform.tf", "main.tf", "variables.tf", "outputs.tf"):
        text = (tf.directory / name).read_text()
        assert "127.0.0.1" not in text and "access_key" not in text


def test_cli_apply_then_destroy_leaves_nothing(applied):
    result = run_cli("apply")
    assert result.returncode == 0, result.stderr
    assert "No changes." in result.stdout
    destroyed = run_cli("destroy")
    assert destroyed.returncode == 0, destroyed.stderr
    assert "Destroy complete! Resources: 4 destroyed." in destroyed.stdout
    iam = sandbox.session().client("iam")
    assert iam.list_roles()["Roles"] == [] and iam.list_instance_profiles()["InstanceProfiles"] == []
    reservations = sandbox.session().client("ec2").describe_instances()["Reservations"]
    states = {i["State"]["Name"] for r in reservations for i in r["Instances"]}
    assert states <= {"terminated", "shutting-down"}


def test_a_warm_provider_that_dies_before_the_command_connects_is_replaced(applied, monkeypatch):
    """The provider dies between the course attaching to it and Terraform connecting: the command
    runs again with a new provider, and says so, instead of failing."""
    import os
    import signal

    from iamlab.terraform import warm_provider

    tf, _, _ = applied
    monkeypatch.setenv(warm_provider.SETTING, "on")  # whatever this machine's default
    attach = warm_provider.attach
    killed = []

    def attach_then_lose_it(*args, **kwargs):
        value = attach(*args, **kwargs)
        if value and not killed:
            pid = warm_provider.status()["provider_pid"]
            os.kill(pid, signal.SIGKILL)
            killed.append(pid)
            waits.wait_until(lambda: warm_provider.status() is None, "the killed provider's death to be noticed",
                             waits.PROCESS_EXIT, interval=0.05)
        return value

    monkeypatch.setattr(warm_provider, "attach", attach_then_lose_it)
    lines: list[str] = []
    result = tf.plan(sink=lines.append)
    assert killed and result.retried and result.returncode in (0, 2)  # plan: 0 no changes, 2 changes (both succeed)
    assert any(driver_module.RETRIED_NOTE in line for line in lines)
    assert warm_provider.status()["provider_pid"] != killed[0]


def _kill_terraform() -> None:
    """SIGKILL the `terraform` this test process started (as the out-of-memory killer would)."""
    import os
    import signal
    from pathlib import Path

    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            name, rest = stat[stat.index("(") + 1: stat.rindex(")")], stat[stat.rindex(")") + 2:].split()
            if name == "terraform" and int(rest[1]) == os.getpid():
                os.kill(int(entry.name), signal.SIGKILL)


def test_terraform_killed_after_the_role_says_what_may_exist_outside_the_state(tmp_path_factory):
    """Seen: the state held only the role while the profile and attachment existed, the course said
    "state intact", and the next apply failed with EntityAlreadyExists. Now the message lists what
    may exist outside the state, and its next step (a sandbox reset, then apply) works."""
    with own_course_home(tmp_path_factory, "killed-home"):
        def sink(line: str) -> None:
            if "aws_iam_role.ec2_ecr_role: Creation complete" in line:
                _kill_terraform()

        tf = Driver(sink=sink)
        with pytest.raises(TerraformFailed) as failure:
            tf.apply()
        text = failure.value.explanation
        assert failure.value.returncode == -9 and "SIGKILL" in text and "intact" not in text
        iam = sandbox.session().client("iam")
        existing = {"aws_iam_role.ec2_ecr_role"} if iam.list_roles()["Roles"] else set()
        if iam.list_instance_profiles()["InstanceProfiles"]:
            existing.add("aws_iam_instance_profile.ec2_profile")
        if iam.list_roles()["Roles"] and iam.list_attached_role_policies(RoleName="ec2-ecr-role")["AttachedPolicies"]:
            existing.add("aws_iam_role_policy_attachment.ecr_read_only")
        assert "aws_iam_role.ec2_ecr_role" in existing
        mentioned = {address for address in existing if address in text}
        assert mentioned == existing, text  # everything that exists is either recorded or named as outside
        if existing - set(tf_state_addresses(tf.directory)):
            assert "python -m iamlab sandbox reset" in text, text
        sandbox.reset()  # the next step the message gives
        assert Driver(sink=lambda line: None).apply().returncode == 0


def tf_state_addresses(directory):
    from iamlab.terraform.state_report import recorded_addresses

    return recorded_addresses(directory) or []
