"""What is left? Everything the course created carries the tag course=iamlab (the provider's
default_tags), so leftovers can be found after a destroy, in the sandbox or on AWS."""

from __future__ import annotations

from .facts import PROFILE, ROLE

TAG = ("course", "iamlab")


def _tagged(tags: list[dict]) -> bool:
    return {"Key": TAG[0], "Value": TAG[1]} in (tags or [])


def leftovers(client) -> list[str]:
    """Descriptions of every course resource still in the account. ``client``: service -> boto3 client."""
    iam, ec2, ecr = client("iam"), client("ec2"), client("ecr")
    found = []
    for role in iam.list_roles()["Roles"]:
        if _tagged(iam.list_role_tags(RoleName=role["RoleName"]).get("Tags")):
            found.append(f"IAM role {role['RoleName']}")
    course_roles = {name.split(" ", 2)[2] for name in found}
    for profile in iam.list_instance_profiles()["InstanceProfiles"]:
        # Profiles are found by name or by the course role they hold (tags of profiles need
        # ListInstanceProfileTags, one call per profile, which the sandbox does not answer).
        if profile["InstanceProfileName"] == PROFILE or \
                any(r["RoleName"] in course_roles | {ROLE} for r in profile.get("Roles", [])):
            found.append(f"instance profile {profile['InstanceProfileName']}")
    for policy in iam.list_policies(Scope="Local")["Policies"]:
        if _tagged(iam.list_policy_tags(PolicyArn=policy["Arn"]).get("Tags")):
            found.append(f"IAM policy {policy['PolicyName']}")
    reservations = ec2.describe_instances(Filters=[{"Name": f"tag:{TAG[0]}", "Values": [TAG[1]]},
                                                   {"Name": "instance-state-name", "Values": ["pending", "running", "stopping", "stopped"]}])
    for reservation in reservations["Reservations"]:
        for instance in reservation["Instances"]:
            found.append(f"EC2 instance {instance['InstanceId']} ({instance['State']['Name']})")
    for repository in ecr.describe_repositories()["repositories"]:
        try:
            ecr.get_repository_policy(repositoryName=repository["repositoryName"])
            found.append(f"repository policy on {repository['repositoryName']}")
        except ecr.exceptions.RepositoryPolicyNotFoundException:
            pass
    return found
