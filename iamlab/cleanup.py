"""What is left? Everything the course created carries the tag course=iamlab (the provider's
default_tags), so leftovers can be found after a destroy, in the sandbox or on AWS.

A leftover is one of two kinds, and each has its own way out:

- **in Terraform's state** (``terraform.tfstate`` still records it): ``terraform destroy``
  deletes it; running it again is the right step;
- **outside the state** (made by hand, or forgotten by a state that was reset or lost):
  ``destroy`` never touches it, however often it runs. The learner deletes it with the API
  calls it takes, named here for boto3 (``lab.client(...)``) and for the AWS CLI.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from pathlib import Path

from .facts import PROFILE, ROLE

TAG = ("course", "iamlab")

# How the state names each kind of leftover: (resource type, attribute) -> the kind's identifier.
_STATE_IDS = {"IAM role": ("aws_iam_role", "name"), "instance profile": ("aws_iam_instance_profile", "name"),
              "IAM policy": ("aws_iam_policy", "name"), "EC2 instance": ("aws_instance", "id"),
              "repository policy on": ("aws_ecr_repository_policy", "repository")}


@dataclass(frozen=True)
class Call:
    """One API call that deletes (part of) a leftover."""

    service: str
    operation: str  # boto3's name: delete_role
    params: tuple[tuple[str, object], ...]

    def boto3(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.params)
        return f'lab.client("{self.service}").{self.operation}({args})'

    def aws_cli(self) -> str:
        from botocore import xform_name  # boto3's parameter names, spelled the CLI's way

        words = [f"aws {self.service} {self.operation.replace('_', '-')}"]
        for key, value in self.params:
            flag = "--" + xform_name(key).replace("_", "-")
            words.append(f"{flag} {' '.join(map(str, value)) if isinstance(value, (list, tuple)) else value}")
        return " ".join(words)


@dataclass(frozen=True)
class Leftover:
    kind: str  # "IAM role"
    name: str
    address: str | None = None  # Terraform's address, when its state still records it
    calls: tuple[Call, ...] = ()  # what deletes it outside Terraform, in order

    def __str__(self) -> str:
        return f"{self.kind} {self.name}"

    @property
    def in_state(self) -> bool:
        return self.address is not None

    def next_step(self, cli: bool = False) -> str:
        if self.in_state:
            return (f"Terraform's state still records it ({self.address}): "
                    + ("python -m iamlab destroy" if cli else "lab.terraform.destroy()") + " deletes it")
        steps = "; ".join(c.aws_cli() if cli else c.boto3() for c in self.calls)
        return f"not in Terraform's state, so destroy will never delete it: delete it yourself with {steps}"


class Leftovers(list):
    """The leftovers (a list, empty when the account is clean), each with its next step; renders itself."""

    def __str__(self) -> str:
        if not self:
            return "Nothing the course created is left."
        return "\n".join(["Still there (tagged course=iamlab or made by the course):",
                          *(f"  - {item}: {item.next_step()}" for item in self)])

    def _repr_markdown_(self) -> str:
        if not self:
            return "**Nothing the course created is left.**"
        lines = ["**Still there** (tagged `course=iamlab` or made by the course):"]
        for item in self:
            if item.in_state:
                lines.append(f"- {html.escape(str(item))}: Terraform's state still records it (`{item.address}`): "
                             "`lab.terraform.destroy()` deletes it")
            else:
                calls = "\n".join(f"      {c.boto3()}" for c in item.calls)
                lines.append(f"- {html.escape(str(item))}: not in Terraform's state, so `destroy` will never delete it. "
                             f"Delete it yourself:\n\n  ```python\n{calls}\n  ```")
        return "\n".join(lines)


def _tagged(tags: list[dict]) -> bool:
    return {"Key": TAG[0], "Value": TAG[1]} in (tags or [])


def recorded(directory: Path | None) -> dict[tuple[str, str], str]:
    """(kind, identifier) -> Terraform address, for what the working copy's state records."""
    import json

    if directory is None:
        return {}
    try:
        state = json.loads((Path(directory) / "terraform.tfstate").read_text() or "{}")
    except (OSError, ValueError):
        return {}
    kinds = {resource_type: (kind, attribute) for kind, (resource_type, attribute) in _STATE_IDS.items()}
    found = {}
    for resource in state.get("resources", []) if isinstance(state, dict) else []:
        if resource.get("mode") != "managed" or resource.get("type") not in kinds:
            continue
        kind, attribute = kinds[resource["type"]]
        for instance in resource.get("instances", []):
            value = (instance.get("attributes") or {}).get(attribute)
            if value:
                found[(kind, str(value))] = f"{resource['type']}.{resource['name']}"
    return found


def _role_calls(iam, role: str) -> tuple[Call, ...]:
    calls = [Call("iam", "remove_role_from_instance_profile", (("InstanceProfileName", p["InstanceProfileName"]), ("RoleName", role)))
             for p in iam.list_instance_profiles_for_role(RoleName=role)["InstanceProfiles"]]
    calls += [Call("iam", "detach_role_policy", (("RoleName", role), ("PolicyArn", p["PolicyArn"])))
              for p in iam.list_attached_role_policies(RoleName=role)["AttachedPolicies"]]
    calls += [Call("iam", "delete_role_policy", (("RoleName", role), ("PolicyName", name)))
              for name in iam.list_role_policies(RoleName=role)["PolicyNames"]]
    return (*calls, Call("iam", "delete_role", (("RoleName", role),)))


def _profile_calls(profile: dict) -> tuple[Call, ...]:
    name = profile["InstanceProfileName"]
    return (*(Call("iam", "remove_role_from_instance_profile", (("InstanceProfileName", name), ("RoleName", r["RoleName"])))
              for r in profile.get("Roles", [])),
            Call("iam", "delete_instance_profile", (("InstanceProfileName", name),)))


def _policy_calls(iam, policy: dict) -> tuple[Call, ...]:
    arn = policy["Arn"]
    calls = []
    try:
        entities = iam.list_entities_for_policy(PolicyArn=arn)
        calls += [Call("iam", "detach_role_policy", (("RoleName", r["RoleName"]), ("PolicyArn", arn))) for r in entities["PolicyRoles"]]
        calls += [Call("iam", "detach_user_policy", (("UserName", u["UserName"]), ("PolicyArn", arn))) for u in entities["PolicyUsers"]]
        calls += [Call("iam", "detach_group_policy", (("GroupName", g["GroupName"]), ("PolicyArn", arn))) for g in entities["PolicyGroups"]]
        calls += [Call("iam", "delete_policy_version", (("PolicyArn", arn), ("VersionId", v["VersionId"])))
                  for v in iam.list_policy_versions(PolicyArn=arn)["Versions"] if not v["IsDefaultVersion"]]
    except Exception:  # noqa: BLE001 - the delete call alone is still the right last step
        pass
    return (*calls, Call("iam", "delete_policy", (("PolicyArn", arn),)))


def leftovers(client, directory: Path | None = None) -> Leftovers:
    """Every course resource still in the account, each marked in or outside Terraform's state
    (the working copy ``directory``'s). ``client``: service -> boto3 client."""
    iam, ec2, ecr = client("iam"), client("ec2"), client("ecr")
    state = recorded(directory)
    found = Leftovers()

    def add(kind: str, name: str, identifier: str, calls: tuple[Call, ...]) -> None:
        found.append(Leftover(kind, name, state.get((kind, identifier)), calls))

    course_roles = set()
    for role in iam.list_roles()["Roles"]:
        if _tagged(iam.list_role_tags(RoleName=role["RoleName"]).get("Tags")):
            course_roles.add(role["RoleName"])
            add("IAM role", role["RoleName"], role["RoleName"], _role_calls(iam, role["RoleName"]))
    for profile in iam.list_instance_profiles()["InstanceProfiles"]:
        # Profiles are found by name or by the course role they hold (tags of profiles need
        # ListInstanceProfileTags, one call per profile, which the sandbox does not answer).
        name = profile["InstanceProfileName"]
        if name == PROFILE or any(r["RoleName"] in course_roles | {ROLE} for r in profile.get("Roles", [])):
            add("instance profile", name, name, _profile_calls(profile))
    for policy in iam.list_policies(Scope="Local")["Policies"]:
        if _tagged(iam.list_policy_tags(PolicyArn=policy["Arn"]).get("Tags")):
            add("IAM policy", policy["PolicyName"], policy["PolicyName"], _policy_calls(iam, policy))
    reservations = ec2.describe_instances(Filters=[{"Name": f"tag:{TAG[0]}", "Values": [TAG[1]]},
                                                   {"Name": "instance-state-name", "Values": ["pending", "running", "stopping", "stopped"]}])
    for reservation in reservations["Reservations"]:
        for instance in reservation["Instances"]:
            found.append(Leftover("EC2 instance", f"{instance['InstanceId']} ({instance['State']['Name']})",
                                  state.get(("EC2 instance", instance["InstanceId"])),
                                  (Call("ec2", "terminate_instances", (("InstanceIds", [instance["InstanceId"]]),)),)))
    for repository in ecr.describe_repositories()["repositories"]:
        name = repository["repositoryName"]
        try:
            ecr.get_repository_policy(repositoryName=name)
        except ecr.exceptions.RepositoryPolicyNotFoundException:
            continue
        add("repository policy on", name, name, (Call("ecr", "delete_repository_policy", (("repositoryName", name),)),))
    return found
