"""Draw the live picture from Terraform's outputs and the account (as the learner, via boto3).

instance -> instance profile -> role (and who it trusts) -> attached policies -> the
repositories each policy reaches. "Reaches" means: an Allow (or Deny) statement for
ECR actions whose resources cover the repository's ARN, read with the engine's own
matching rules.
"""

from __future__ import annotations

import json

from .account import as_dict, policy_document
from .diagram import AccessPicture, PolicyNode
from .policy.matching import arn_matches, as_list


def _reach(document: dict, repository_arns: dict[str, str]) -> tuple[list[str], list[str], bool]:
    """(repositories reached, ECR actions named, is it a Deny?) for a policy document."""
    reached, actions, denies = [], [], False
    for statement in as_list(document.get("Statement")):
        named = [a for a in as_list(statement.get("Action")) if a == "*" or a.lower().startswith("ecr:")]
        if not named:
            continue
        actions += [a for a in named if a not in actions]
        denies = denies or statement.get("Effect") == "Deny"
        for name, arn in repository_arns.items():
            if any(arn_matches(pattern, arn) for pattern in as_list(statement.get("Resource"))) and name not in reached:
                reached.append(name)
    if len(reached) == len(repository_arns) and reached:
        reached = ["*"]
    return reached, actions, denies


def from_account(account) -> AccessPicture:
    """Build the picture for the lesson's role and instance (``account``: an ``Account``, or
    anything with ``client()`` and ``outputs()``)."""
    iam, ecr, outputs = account.client("iam"), account.client("ecr"), account.outputs()
    repositories = {r["repositoryName"]: r["repositoryArn"] for r in ecr.describe_repositories()["repositories"]}
    picture = AccessPicture(repositories=sorted(repositories))
    role_name = outputs.get("role_name")
    picture.instance = outputs.get("instance_id")
    picture.profile = outputs.get("instance_profile_name")
    if not role_name:
        return picture
    try:
        role = iam.get_role(RoleName=role_name)["Role"]
    except iam.exceptions.NoSuchEntityException:
        return picture
    picture.role = role_name
    for statement in as_list(role["AssumeRolePolicyDocument"].get("Statement")):
        for principal in as_list((statement.get("Principal") or {}).get("Service")):
            picture.trusted.append(principal)
    for attached in iam.list_attached_role_policies(RoleName=role_name)["AttachedPolicies"]:
        arn = attached["PolicyArn"]
        document = policy_document(iam, arn) or {}
        reached, actions, denies = _reach(document, repositories)
        kind = "AWS managed" if arn.startswith("arn:aws:iam::aws:") else "customer managed"
        picture.policies.append(PolicyNode(attached["PolicyName"], kind, reached, actions, denies))
    for name in iam.list_role_policies(RoleName=role_name)["PolicyNames"]:
        document = as_dict(iam.get_role_policy(RoleName=role_name, PolicyName=name)["PolicyDocument"])
        reached, actions, denies = _reach(document, repositories)
        picture.policies.append(PolicyNode(name, "inline", reached, actions, denies))
    for name in sorted(repositories):
        try:
            text = ecr.get_repository_policy(repositoryName=name)["policyText"]
        except ecr.exceptions.RepositoryPolicyNotFoundException:
            continue
        _, actions, denies = _reach(json.loads(text), {name: repositories[name]})
        picture.policies.append(PolicyNode(f"on {name}", "repository policy", [name], actions, denies))
    return picture
