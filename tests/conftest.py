"""Fixtures for the course's tests."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from . import waits

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def course_home(tmp_path, monkeypatch):
    """A course home of the test's own: its own sandbox and working copy."""
    home = tmp_path / "home"
    monkeypatch.setenv("IAMLAB_HOME", str(home))
    monkeypatch.delenv("IAMLAB_SANDBOX_PORT", raising=False)
    yield home
    from iamlab import sandbox

    sandbox.stop()


@contextlib.contextmanager
def own_course_home(tmp_path_factory, name: str):
    """For a module's fixtures: a course home (and so a sandbox) of the module's own,
    stopped and forgotten afterwards."""
    from iamlab import sandbox

    previous = os.environ.get("IAMLAB_HOME")
    os.environ["IAMLAB_HOME"] = str(tmp_path_factory.mktemp(name))
    try:
        yield
    finally:
        sandbox.stop()
        os.environ["IAMLAB_HOME"] = previous


@pytest.fixture(scope="session")
def shared_sandbox():
    """The test run's sandbox (in the session's course home, see the root conftest)."""
    from iamlab import sandbox

    return sandbox.start()


def run_cli(*args: str, env: dict | None = None, check: bool = False) -> subprocess.CompletedProcess:
    """`python -m iamlab ...` as a learner would type it."""
    full_env = dict(os.environ, **(env or {}))
    return subprocess.run([sys.executable, "-m", "iamlab", *args], capture_output=True, text=True,
                          env=full_env, cwd=ROOT, timeout=waits.bound(waits.COMMAND), check=check)


@pytest.fixture
def fake_mirror(tmp_path):
    """A filesystem mirror layout with an (empty) AWS provider for this platform."""
    from iamlab.terraform.cliconfig import AWS_PROVIDER, platform_dir

    mirror = tmp_path / "mirror"
    (mirror / AWS_PROVIDER / "5.99.0" / platform_dir()).mkdir(parents=True)
    return mirror


def have(program: str) -> bool:
    return shutil.which(program) is not None


# -- a working copy and a course session, each in a course home of its own ----------------------
@pytest.fixture
def working_copy(course_home):
    """The learner's working copy, fresh from the course's tf/."""
    from iamlab.terraform import workspace

    return workspace.ensure()


@pytest.fixture(scope="module")
def lab(tmp_path_factory, request):
    """A started ``Lab`` with a sandbox and working copy of the test module's own."""
    from iamlab import sandbox
    from iamlab.lab import Lab

    with own_course_home(tmp_path_factory, f"{request.module.__name__.rsplit('.', 1)[-1]}-lab"):
        yield Lab(sandbox.start())


# -- an account filled with boto3 (no Terraform: fast), for the sandbox's own tests ---------------
ACCOUNT = "123456789012"  # the sandbox's (iamlab.sandbox.settings.ACCOUNT_ID)
FLASK = f"arn:aws:ecr:us-east-1:{ACCOUNT}:repository/flask_app"
TRUST_EC2 = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
PULL = ["ecr:BatchGetImage", "ecr:BatchCheckLayerAvailability", "ecr:GetDownloadUrlForLayer"]
SPLIT = {"Version": "2012-10-17", "Statement": [  # the lesson's final policy: log in anywhere, pull flask_app
    {"Sid": "Login", "Effect": "Allow", "Action": "ecr:GetAuthorizationToken", "Resource": "*"},
    {"Sid": "PullFlask", "Effect": "Allow", "Action": PULL, "Resource": FLASK},
]}


class World:
    """A role, profile and running instance made with boto3 (no Terraform: fast)."""

    def __init__(self):
        import json

        from iamlab import sandbox

        self._json = json
        self.info = sandbox.start()
        admin = sandbox.session(self.info)
        self.iam, self.ec2, self.ecr = admin.client("iam"), admin.client("ec2"), admin.client("ecr")

    def instance_with_role(self, role: str, trust=TRUST_EC2, profile: bool = True) -> str:
        self.iam.create_role(RoleName=role, AssumeRolePolicyDocument=self._json.dumps(trust))
        kwargs = {}
        if profile:
            self.iam.create_instance_profile(InstanceProfileName=f"{role}-profile")
            self.iam.add_role_to_instance_profile(InstanceProfileName=f"{role}-profile", RoleName=role)
            kwargs["IamInstanceProfile"] = {"Name": f"{role}-profile"}
        image = self.ec2.describe_images(Owners=["amazon"])["Images"][0]["ImageId"]
        return self.ec2.run_instances(ImageId=image, MinCount=1, MaxCount=1, InstanceType="t2.micro", **kwargs)["Instances"][0]["InstanceId"]

    def grant(self, role: str, document: dict, name: str | None = None) -> str:
        arn = self.iam.create_policy(PolicyName=name or f"{role}-policy", PolicyDocument=self._json.dumps(document))["Policy"]["Arn"]
        self.iam.attach_role_policy(RoleName=role, PolicyArn=arn)
        return arn


@pytest.fixture(scope="module")
def world(tmp_path_factory, request):
    """A ``World`` in a sandbox of the test module's own."""
    with own_course_home(tmp_path_factory, f"{request.module.__name__.rsplit('.', 1)[-1]}-world"):
        yield World()


@pytest.fixture(scope="module")
def puller(world):
    """An instance whose role may log in and pull flask_app only (the lesson's final policy)."""
    instance_id = world.instance_with_role("puller")
    world.grant("puller", SPLIT)
    return instance_id


def error_of(call) -> dict:
    """AWS's error (Code, Message) for a call that must fail."""
    from botocore.exceptions import ClientError

    with pytest.raises(ClientError) as caught:
        call()
    return caught.value.response["Error"]


# -- the access matrix without an account ---------------------------------------------------------
class FixedProbe:
    """Answers each matrix question from a table: by the learner's key, a ``Cell`` or a bool."""

    def __init__(self, answers):
        self.answers = answers

    def run(self, question):
        from iamlab.matrix import Cell

        answer = self.answers[question.key]
        return answer if isinstance(answer, Cell) else Cell(answer, "detail", "a statement")
