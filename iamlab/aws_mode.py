"""Running the course against your own AWS account: what it costs, and your explicit yes.

Before the first apply the course shows the account, region and principal the
standard AWS credential chain resolves to, what will be created, and what it costs;
it applies nothing until you confirm for that account and region. Verification on
real AWS uses the policy simulator, plus the commands to run over SSH on the instance.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass

from . import facts, paths

# On-demand Linux price of a t2.micro, USD per hour (AWS price list, 2024-2026). The free tier
# covers 750 hours a month for 12 months on eligible accounts.
T2_MICRO_HOURLY = {"us-east-1": 0.0116, "us-east-2": 0.0116, "us-west-2": 0.0116, "us-west-1": 0.0138,
                   "eu-west-1": 0.0126, "eu-west-2": 0.0132, "eu-central-1": 0.0134, "ap-southeast-1": 0.0146,
                   "ap-southeast-2": 0.0146, "ap-northeast-1": 0.0152, "ap-south-1": 0.0124, "ca-central-1": 0.0128}
EBS_GP3_GB_MONTH = 0.08  # the 8 GB root volume
WHAT_IS_CREATED = [
    "IAM role ec2-ecr-role (free)", "instance profile ec2-ecr-instance-profile (free)",
    "EC2 instance, t2.micro, with an 8 GB root volume", "policy attachments and your custom policy (free)",
    "if you set ssh_public_key and ssh_allowed_cidr: a key pair and a security group allowing SSH from that address only (free)",
]


class AwsModeError(RuntimeError):
    """Real AWS mode cannot go on; the message says why and what to do."""


@dataclass(frozen=True)
class Preflight:
    account: str
    principal: str
    region: str
    missing_repositories: tuple[str, ...]

    def cost_text(self) -> str:
        hourly = T2_MICRO_HOURLY.get(self.region)
        price = f"${hourly:.4f} per hour" if hourly else "about $0.012-0.015 per hour (see aws.amazon.com/ec2/pricing)"
        disk = EBS_GP3_GB_MONTH * 8
        return (f"t2.micro in {self.region}: {price} (about ${(hourly or 0.0125) * 24:.2f} a day) while it runs, "
                f"plus about ${disk:.2f} a month for its disk, unless your account's free tier covers them. "
                "Destroy when you are done: python -m iamlab --aws destroy.")

    def summary(self) -> str:
        lines = [f"Account:   {self.account}", f"Region:    {self.region}", f"Principal: {self.principal}",
                 "Will be created:", *[f"  - {item}" for item in WHAT_IS_CREATED], f"Cost: {self.cost_text()}"]
        if self.missing_repositories:
            lines.append("Missing ECR repositories (the lesson expects them): " + ", ".join(self.missing_repositories)
                         + ". Create them with: " + "; ".join(f"aws ecr create-repository --repository-name {r}" for r in self.missing_repositories))
        return "\n".join(lines)


def session():
    import boto3

    return boto3.Session()  # the standard credential chain: env, profile, SSO, instance role...


def preflight(repositories=facts.REPOSITORIES) -> Preflight:
    """Who am I on AWS, where, and is the account ready? Refuses clearly without credentials."""
    from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError, NoRegionError

    boto = session()
    if boto.get_credentials() is None:
        raise AwsModeError(
            "Real AWS mode needs AWS credentials, and none were found (no environment variables, no profile, "
            "no SSO session).\nNext step: run `aws configure` (or `aws sso login`), or set AWS_PROFILE, then try again. "
            "To stay in the free local sandbox, unset IAMLAB_MODE.")
    region = boto.region_name
    if not region:
        raise AwsModeError("No AWS region is configured.\nNext step: `export AWS_REGION=us-east-1` (or your region).")
    try:
        identity = boto.client("sts", region_name=region).get_caller_identity()
        ecr = boto.client("ecr", region_name=region)
        existing = {r["repositoryName"] for page in ecr.get_paginator("describe_repositories").paginate() for r in page["repositories"]}
    except NoCredentialsError:
        raise AwsModeError("The AWS credentials could not be loaded. Next step: `aws sts get-caller-identity` to see why.") from None
    except NoRegionError:
        raise AwsModeError("No AWS region is configured. Next step: `export AWS_REGION=us-east-1`.") from None
    except (ClientError, BotoCoreError) as error:
        raise AwsModeError(f"AWS refused the first call: {error}\nNext step: check your credentials with "
                           "`aws sts get-caller-identity`.") from None
    return Preflight(identity["Account"], identity["Arn"], region, tuple(r for r in repositories if r not in existing))


def _confirmation_file():
    return paths.course_home() / "aws-confirmation.json"


def confirm(checked: Preflight) -> None:
    """Record the learner's explicit yes for this account and region."""
    _confirmation_file().write_text(json.dumps({"account": checked.account, "region": checked.region,
                                                "principal": checked.principal, "confirmed_at": time.time()}, indent=2))


def confirmed_for() -> dict | None:
    try:
        return json.loads(_confirmation_file().read_text())
    except (FileNotFoundError, ValueError):
        return None


def require_confirmation(checked: Preflight | None = None) -> Preflight:
    """Before anything is created on AWS: the learner must have said yes for this account and region."""
    record = confirmed_for()
    if record is None:
        raise AwsModeError(
            "Nothing was applied: real AWS mode needs your explicit confirmation first (it creates a t2.micro that costs money).\n"
            "Next step: `python -m iamlab --aws confirm` in a terminal, or the mode widget in a notebook (iamlab.mode_switch()).")
    checked = checked or preflight()
    if (record["account"], record["region"]) != (checked.account, checked.region):
        raise AwsModeError(
            f"You confirmed account {record['account']} in {record['region']}, but your credentials now point at "
            f"{checked.account} in {checked.region}. Nothing was applied.\nNext step: confirm again for this account: "
            "`python -m iamlab --aws confirm`.")
    return checked


def instance_commands(account: str, region: str, repository: str = facts.PULL_REPOSITORY, other: str = facts.OTHER_REPOSITORY) -> str:
    """What to run over SSH on the instance to verify the lesson by hand."""
    registry = f"{account}.dkr.ecr.{region}.amazonaws.com"
    return "\n".join([
        "# on the instance (ssh ec2-user@PUBLIC_IP); install docker first: sudo dnf install -y docker && sudo systemctl start docker",
        "aws sts get-caller-identity                 # the role session, named after the instance",
        "aws ecr describe-repositories               # expect AccessDeniedException",
        f"aws ecr get-login-password --region {region} | sudo docker login --username AWS --password-stdin {registry}",
        f"sudo docker pull {registry}/{repository}:latest   # allowed",
        f"sudo docker pull {registry}/{other}:latest   # denied",
    ])
