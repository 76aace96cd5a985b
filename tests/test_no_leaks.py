"""In sandbox mode nothing leaves the machine, whatever the configuration says (issue 20).

A configuration written for a real account (a profile, aliases, roles to assume, a web
identity, a service the sandbox does not offer) runs through the course's own driver with the
learner's real-looking AWS setup planted everywhere a client looks for one (~/.aws, AWS_*
variables). Terraform and its provider run under ``strace``, which records every ``connect()``
any of their processes attempts: a name lookup or a connection to anything but 127.0.0.1 is a
leak, whether or not it would have succeeded.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import stat
from pathlib import Path

import pytest

from iamlab import sandbox
from iamlab.terraform import Driver, TerraformFailed
from iamlab.terraform.cliconfig import write_cli_config

from .conftest import have

pytestmark = pytest.mark.integration

CONFIGURATION = '''
terraform {
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.0"
    }
  }
}

provider "aws" {
  region                   = "eu-west-1"
  profile                  = "prod"
  shared_credentials_files = ["~/.aws/credentials"]
  assume_role {
    role_arn = "arn:aws:iam::999999999999:role/deploy"
  }
}

provider "aws" {
  alias  = "production"
  region = "eu-west-1"
  assume_role {
    role_arn     = "arn:aws:iam::999999999999:role/production"
    session_name = "release"
  }
}

provider "aws" {
  alias   = "web"
  region  = "us-west-2"
  profile = "sso"
  assume_role_with_web_identity {
    role_arn                = "arn:aws:iam::999999999999:role/web"
    web_identity_token_file = "/var/run/secrets/token"
  }
}

data "aws_caller_identity" "default" {}

data "aws_caller_identity" "production" {
  provider = aws.production
}

data "aws_caller_identity" "web" {
  provider = aws.web
}

resource "aws_ecr_repository" "in_production" {
  provider = aws.production
  name     = "leak-check"
}

output "callers" {
  value = [data.aws_caller_identity.default.arn, data.aws_caller_identity.production.arn, data.aws_caller_identity.web.arn]
}
'''

# A service moto does not serve: read at plan time, through an alias.
UNOFFERED = '''
data "aws_ecrpublic_authorization_token" "public" {
  provider = aws.production
}
'''

_CONNECT = re.compile(r"connect\(\d+, \{sa_family=(AF_INET6?), sin6?_port=htons\((\d+)\), (?:sin_addr=inet_addr\(\"([^\"]+)\"\)|.*?inet_pton\(AF_INET6, \"([^\"]+)\")")


def leaving_loopback(trace: str) -> list[str]:
    """Every recorded connect() to a non-loopback address, or to a name server (a lookup means a name to reach)."""
    leaks = []
    for line in trace.splitlines():
        match = _CONNECT.search(line)
        if not match:
            continue
        port, address = int(match[2]), match[3] or match[4]
        if port == 53 or address not in ("127.0.0.1", "::1", "::ffff:127.0.0.1"):
            leaks.append(line.strip())
    return leaks


@pytest.fixture
def planted(tmp_path, monkeypatch, course_home):
    """A learner's real-looking AWS setup: ~/.aws files, a credential_process that leaves a mark if run,
    AWS_* variables; and `terraform` on PATH wrapped in strace."""
    if not have("strace"):
        pytest.fail("strace is needed to watch every connection (apt-get install strace)")
    marker = tmp_path / "credential-process-ran"
    home = tmp_path / "learner"
    (home / ".aws").mkdir(parents=True)
    (home / ".aws" / "credentials").write_text(
        "[default]\naws_access_key_id = AKIAREALLEARNERKEY01\naws_secret_access_key = real-secret\n"
        "[prod]\naws_access_key_id = AKIAREALLEARNERKEY02\naws_secret_access_key = real-secret-2\n")
    (home / ".aws" / "config").write_text(
        f"[default]\nregion = eu-west-1\ncredential_process = touch {marker}\n"
        "[profile prod]\nrole_arn = arn:aws:iam::999999999999:role/admin\nsource_profile = default\n"
        f"[profile sso]\ncredential_process = touch {marker}\n")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("AWS_PROFILE", "prod")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAREALLEARNERKEY03")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "real-secret-3")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(home / ".aws" / "config"))
    monkeypatch.setenv("IAMLAB_WARM_PROVIDER", "off")  # the provider must start under strace, as Terraform's child
    monkeypatch.setenv("IAMLAB_PLUGIN_CACHE", str(Path.home() / ".cache" / "iamlab" / "terraform-plugins"))
    trace = tmp_path / "connect.trace"
    wrapper = tmp_path / "bin"
    wrapper.mkdir()
    (wrapper / "terraform").write_text(
        "#!/bin/sh\n"
        f'exec {shutil.which("strace")} -qq -f --seccomp-bpf -e trace=connect -e signal=none -A -o {trace} '
        f'{shutil.which("terraform")} "$@"\n')
    os.chmod(wrapper / "terraform", 0o755)
    monkeypatch.setenv("PATH", f"{wrapper}:{os.environ['PATH']}")
    working = course_home / "leak-check"
    working.mkdir(parents=True)
    (working / "main.tf").write_text(CONFIGURATION)
    return working, trace, marker


def test_nothing_leaves_loopback_whatever_the_configuration_says(planted):
    working, trace, marker = planted
    tf = Driver(sink=lambda line: None, directory=working)
    try:
        tf.apply()
        failed = None
    except TerraformFailed as failure:
        failed = failure
    assert leaving_loopback(trace.read_text()) == []  # checked first: a failed apply may have leaked too
    assert not marker.exists()  # ~/.aws/config's credential_process never ran
    assert failed is None, str(failed)
    learner = sandbox.session().client("sts").get_caller_identity()["Arn"]
    assert tf.outputs()["callers"] == [learner, learner, learner]  # no role assumed, no profile read
    assert sandbox.session().client("ecr", region_name="eu-west-1").describe_repositories(
        repositoryNames=["leak-check"])["repositories"]  # the alias's resource is in the sandbox, in its region

    (working / "public.tf").write_text(UNOFFERED)
    with pytest.raises(TerraformFailed) as refused:
        tf.plan()
    text = str(refused.value)
    assert "does not offer the ecr-public service" in text and "IAMLAB_MODE=aws" in text

    recorded = trace.read_text()
    assert "127.0.0.1" in recorded  # the guard saw the provider's calls to the sandbox
    assert leaving_loopback(recorded) == []
    assert not marker.exists()


def test_terraforms_environment_holds_nothing_of_the_learners_aws_setup(planted):
    working, _, _ = planted
    tf = Driver(sink=lambda line: None, directory=working)
    info = tf.prepare("plan")
    env = tf.environment()
    assert "AWS_PROFILE" not in env and "AWS_ACCESS_KEY_ID" not in env and "AWS_SECRET_ACCESS_KEY" not in env
    assert env["AWS_EC2_METADATA_DISABLED"] == "true"
    assert env["AWS_ENDPOINT_URL"] == info.endpoint
    for name in ("AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"):
        path = Path(env[name])
        assert path.is_relative_to(Path(os.environ["IAMLAB_HOME"]).resolve())
        assert path.read_text() == "" and stat.S_IMODE(path.stat().st_mode) == 0o600
    variables = sandbox.learner_env(info)  # `python -m iamlab sandbox env`, boto3 and the AWS CLI
    assert variables["AWS_CONFIG_FILE"] == env["AWS_CONFIG_FILE"] and variables["AWS_EC2_METADATA_DISABLED"] == "true"
    assert "unset AWS_SESSION_TOKEN AWS_PROFILE" in sandbox.export_lines(variables)


def test_the_aws_cli_in_a_sandbox_shell_reads_nothing_of_the_learners(planted):
    """`eval "$(python -m iamlab sandbox env)"` in a shell where AWS_PROFILE names a profile whose
    credential_process would leave a mark: the CLI answers as the learner, from the sandbox."""
    import shlex
    import subprocess
    import sys

    _, _, marker = planted
    sandbox.start()
    script = (f'eval "$({shlex.quote(sys.executable)} -m iamlab sandbox env)" && '
              "aws sts get-caller-identity --output json")
    done = subprocess.run(["bash", "-c", script], capture_output=True, text=True, timeout=300,
                          cwd=Path(__file__).resolve().parents[1])
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["Account"] == sandbox.ACCOUNT_ID
    assert not marker.exists()


def test_boto3_sessions_ignore_the_learners_profile(planted):
    """AWS_PROFILE names a profile the course's empty config does not have: the sandbox session works anyway."""
    info = sandbox.start()
    assert sandbox.session(info).client("sts").get_caller_identity()["Account"] == sandbox.ACCOUNT_ID


def test_the_endpoint_list_is_every_service_the_provider_accepts(tmp_path):
    """aws_endpoints.json against the mirrored provider's own schema: nothing left out, nothing invented."""
    import subprocess

    from iamlab.terraform import override

    (tmp_path / "versions.tf").write_text(
        'terraform {\n  required_providers {\n    aws = { source = "hashicorp/aws", version = "5.100.0" }\n  }\n}\n')
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(TF_CLI_CONFIG_FILE=str(write_cli_config()), CHECKPOINT_DISABLE="1")
    subprocess.run(["terraform", "init", "-no-color"], cwd=tmp_path, env=env, check=True, capture_output=True)
    schema = json.loads(subprocess.run(["terraform", "providers", "schema", "-json"], cwd=tmp_path, env=env,
                                       check=True, capture_output=True, text=True).stdout)
    keys = schema["provider_schemas"]["registry.terraform.io/hashicorp/aws"]["provider"]["block"]["block_types"][
        "endpoints"]["block"]["attributes"]
    assert set(override.sandbox_services()) | set(override.endpoint_aliases()) == set(keys)
    assert set(override.endpoint_aliases().values()) <= set(override.sandbox_services())
