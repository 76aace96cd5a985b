"""Real AWS mode, never exercised against AWS: the generated configuration, the gates before
anything is created, and the sandbox's isolation from real credentials."""

from __future__ import annotations

import os
import subprocess

import pytest

from iamlab import aws_mode, mode
from iamlab.terraform import Driver, TerraformFailed, override
from iamlab.widgets.mode import ModeSwitch

REAL_LOOKING = {"AWS_ACCESS_KEY_ID": "AKIAREALLOOKINGKEY01", "AWS_SECRET_ACCESS_KEY": "not-a-real-secret-but-looks-like-one",
                "AWS_PROFILE": "production", "AWS_ENDPOINT_URL": "https://ecr.us-east-1.amazonaws.com", "AWS_REGION": "eu-west-1"}
PREFLIGHT = aws_mode.Preflight("111122223333", "arn:aws:iam::111122223333:user/ana", "us-east-1", ())


@pytest.fixture
def aws(monkeypatch, course_home):
    monkeypatch.setenv("IAMLAB_MODE", "aws")
    yield
    mode.use(mode.SANDBOX)


def no_credentials(monkeypatch, tmp_path):
    for name in list(os.environ):
        if name.startswith("AWS_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


def test_the_sandbox_is_the_default_and_modes_are_validated(monkeypatch):
    monkeypatch.delenv("IAMLAB_MODE", raising=False)
    assert mode.current() == "sandbox"
    monkeypatch.setenv("IAMLAB_MODE", "prod")
    with pytest.raises(ValueError, match="'sandbox' or 'aws'"):
        mode.current()


def test_aws_mode_refuses_to_start_without_credentials(aws, monkeypatch, tmp_path):
    no_credentials(monkeypatch, tmp_path)
    with pytest.raises(aws_mode.AwsModeError, match="needs AWS credentials, and none were found"):
        aws_mode.preflight()


def test_nothing_is_applied_before_an_explicit_confirmation(aws):
    with pytest.raises(aws_mode.AwsModeError, match="explicit confirmation"):
        Driver(sink=lambda line: None).apply()
    with pytest.raises(aws_mode.AwsModeError, match="explicit confirmation"):
        Driver(sink=lambda line: None).destroy()


def test_a_confirmation_holds_for_its_account_and_region_only(aws):
    aws_mode.confirm(PREFLIGHT)
    assert aws_mode.require_confirmation(PREFLIGHT) == PREFLIGHT
    other = aws_mode.Preflight("444455556666", "arn:aws:iam::444455556666:user/ana", "us-east-1", ())
    with pytest.raises(aws_mode.AwsModeError, match="now point at 444455556666"):
        aws_mode.require_confirmation(other)


def test_preflight_summary_shows_what_is_created_and_what_it_costs():
    text = PREFLIGHT.summary()
    assert "Account:   111122223333" in text and "Principal: arn:aws:iam::111122223333:user/ana" in text
    assert "t2.micro in us-east-1: $0.0116 per hour" in text and "EC2 instance, t2.micro" in text
    missing = aws_mode.Preflight("1", "p", "us-east-1", ("flask_app",))
    assert "aws ecr create-repository --repository-name flask_app" in missing.summary()


def test_instance_commands_are_the_lessons_checks():
    commands = aws_mode.instance_commands("111122223333", "eu-west-1")
    assert "aws ecr describe-repositories" in commands
    assert ("aws ecr get-login-password --region eu-west-1 | sudo docker login --username AWS --password-stdin "
            "111122223333.dkr.ecr.eu-west-1.amazonaws.com") in commands
    assert "sudo docker pull 111122223333.dkr.ecr.eu-west-1.amazonaws.com/flask_app:latest" in commands


@pytest.mark.integration  # runs terraform
def test_aws_mode_configuration_has_no_sandbox_in_it_and_validates(aws, monkeypatch):
    for name, value in REAL_LOOKING.items():
        monkeypatch.setenv(name, value)
    driver = Driver(sink=lambda line: None)
    override.write(driver.directory, "http://127.0.0.1:1", "us-east-1", "AKIAIAMLABTESTKEY001", "secret")  # left from sandbox mode
    assert driver.prepare("plan") is None
    assert not (driver.directory / override.OVERRIDE_NAME).exists()
    env = driver.environment()
    assert env["AWS_PROFILE"] == "production"  # the standard credential chain stays
    for path in driver.directory.glob("*.tf"):
        text = path.read_text()
        assert "127.0.0.1" not in text and "access_key" not in text and "skip_credentials_validation" not in text
    result = subprocess.run(["terraform", "init", "-backend=false", "-input=false", "-no-color"], cwd=driver.directory,
                            env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    validated = subprocess.run(["terraform", "validate", "-no-color"], cwd=driver.directory, env=env, capture_output=True, text=True)
    assert validated.returncode == 0, validated.stdout + validated.stderr


@pytest.mark.integration  # runs terraform
def test_sandbox_mode_never_uses_real_credentials_or_endpoints(monkeypatch, shared_sandbox):
    for name, value in REAL_LOOKING.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("IAMLAB_MODE", raising=False)
    driver = Driver(sink=lambda line: None)
    env = driver.environment()
    # Only the course's own AWS_* variables: its empty config files, no metadata service.
    assert sorted(name for name in env if name.startswith("AWS_")) == [
        "AWS_CONFIG_FILE", "AWS_EC2_METADATA_DISABLED", "AWS_SHARED_CREDENTIALS_FILE"]
    assert not [value for value in env.values() if value in REAL_LOOKING.values()]
    driver.prepare("plan")
    text = (driver.directory / override.OVERRIDE_NAME).read_text()
    services = set(override.sandbox_services())
    endpoints = {name: value for name, value in (line.strip().split(" = ", 1) for line in text.splitlines() if " = " in line)
                 if name in services}
    assert set(endpoints) == services and all(e.startswith('"http://127.0.0.1:') for e in endpoints.values())
    assert "AKIAREALLOOKINGKEY01" not in text
    assert driver.plan().returncode in (0, 2)  # planned against the sandbox, offline, with "real" keys in the environment


@pytest.mark.integration  # runs terraform
def test_ssh_can_only_be_opened_to_one_address(monkeypatch, shared_sandbox):
    monkeypatch.setenv("TF_VAR_ssh_allowed_cidr", "0.0.0.0/0")
    monkeypatch.setenv("TF_VAR_ssh_public_key", "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIE learner")
    with pytest.raises(TerraformFailed) as failure:
        Driver(sink=lambda line: None).plan()
    assert "never open SSH to a whole network" in failure.value.error


def test_mode_widget_needs_a_click_to_confirm(course_home):
    switch = ModeSwitch(preflight=lambda: PREFLIGHT)
    try:
        switch.choice.value = "aws"
        assert mode.current() == "aws" and "111122223333" in switch.details.value and "$0.0116 per hour" in switch.details.value
        assert switch.confirm_button.layout.display is None and aws_mode.confirmed_for() is None
        switch.confirm_button.click()
        assert aws_mode.confirmed_for()["account"] == "111122223333"
        assert "docker pull" in switch.details.value
    finally:
        mode.use(mode.SANDBOX)


def test_mode_widget_stays_in_the_sandbox_without_credentials(course_home):
    def refuse():
        raise aws_mode.AwsModeError("Real AWS mode needs AWS credentials, and none were found.")

    switch = ModeSwitch(preflight=refuse)
    switch.choice.value = "aws"
    assert mode.current() == "sandbox" and switch.choice.value == "sandbox"
    assert "none were found" in switch.details.value
