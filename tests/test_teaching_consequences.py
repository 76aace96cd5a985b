"""The lesson's claims, proven with real `terraform apply` and the instance's own credentials.

1. The seed's custom policy (four pull actions, Resource "*") replacing the managed
   policy: DescribeRepositories denied, every repository pullable.
2. The same actions scoped to the flask_app ARN only: login breaks, because
   ecr:GetAuthorizationToken supports no resource-level permission.
3. Split into two statements: flask_app pullable, reports_app refused, describe denied.
"""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from iamlab import sandbox
from iamlab.pull import pull_steps, skopeo_pull
from iamlab.sandbox import instance
from iamlab.terraform import Driver, edits

from .conftest import own_course_home

pytestmark = pytest.mark.integration

PULL_ACTIONS = '["ecr:GetAuthorizationToken", "ecr:BatchGetImage", "ecr:BatchCheckLayerAvailability", "ecr:GetDownloadUrlForLayer"]'

CUSTOM_ANY = f"""
resource "aws_iam_policy" "ecr_custom_read_only" {{
  name        = "ecr_custom_read_only"
  description = "Pull images from ECR, nothing else"
  policy = jsonencode({{
    Version   = "2012-10-17"
    Statement = [{{ Effect = "Allow", Action = {PULL_ACTIONS}, Resource = "*" }}]
  }})
}}
"""

CUSTOM_SCOPED = CUSTOM_ANY.replace('Resource = "*"', "Resource = [data.aws_ecr_repository.pull.arn]")

CUSTOM_SPLIT = """
resource "aws_iam_policy" "ecr_custom_read_only" {
  name        = "ecr_custom_read_only"
  description = "Pull images from ECR, nothing else"
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      { Sid = "Login", Effect = "Allow", Action = "ecr:GetAuthorizationToken", Resource = "*" },
      { Sid = "PullOneRepository", Effect = "Allow",
        Action = ["ecr:BatchGetImage", "ecr:BatchCheckLayerAvailability", "ecr:GetDownloadUrlForLayer"],
        Resource = data.aws_ecr_repository.pull.arn },
    ]
  })
}
"""

ATTACH_CUSTOM = """
resource "aws_iam_role_policy_attachment" "example_attach" {
  role       = aws_iam_role.ec2_ecr_role.name
  policy_arn = aws_iam_policy.ecr_custom_read_only.arn
}
"""


@pytest.fixture(scope="module")
def lesson(tmp_path_factory):
    with own_course_home(tmp_path_factory, "lesson-home"):
        tf = Driver(sink=lambda line: None)
        # The learner comments out the managed policy's attachment, as the lesson asks.
        assert edits.comment_out(tf.directory, "aws_iam_role_policy_attachment.ecr_read_only").changed
        yield tf


def apply_policy(tf: Driver, policy_hcl: str) -> str:
    (tf.directory / "custom_policy.tf").write_text(policy_hcl + ATTACH_CUSTOM)
    tf.apply()
    return tf.outputs()["instance_id"]


def describe_denied(instance_id: str) -> str:
    with pytest.raises(ClientError) as denied:
        instance.session(instance_id).client("ecr").describe_repositories()
    assert denied.value.response["Error"]["Code"] == "AccessDeniedException"
    return denied.value.response["Error"]["Message"]


def test_1_seed_policy_denies_describe_and_pulls_everything(lesson):
    instance_id = apply_policy(lesson, CUSTOM_ANY)
    attached = sandbox.session().client("iam").list_attached_role_policies(RoleName="ec2-ecr-role")["AttachedPolicies"]
    assert [a["PolicyName"] for a in attached] == ["ecr_custom_read_only"]
    assert "because no identity-based policy allows the ecr:DescribeRepositories action" in describe_denied(instance_id)
    assert pull_steps(instance_id, "flask_app").pulled
    assert pull_steps(instance_id, "reports_app").pulled


def test_2_scoping_every_action_to_the_arn_breaks_login(lesson):
    instance_id = apply_policy(lesson, CUSTOM_SCOPED)
    report = pull_steps(instance_id, "flask_app")
    assert not report.pulled
    assert report.denied_step.permission == "ecr:GetAuthorizationToken"
    assert "ecr:GetAuthorizationToken on resource: *" in report.denied_step.detail


def test_3_split_statements_pull_only_flask_app(lesson):
    instance_id = apply_policy(lesson, CUSTOM_SPLIT)
    describe_denied(instance_id)
    granted = skopeo_pull(instance_id, "flask_app")
    assert granted.ok, granted.output
    refused = skopeo_pull(instance_id, "reports_app")
    assert not refused.ok and "is not authorized to perform: ecr:BatchGetImage" in refused.output
    simulated = {r["EvalResourceName"]: r["EvalDecision"] for r in sandbox.session().client("iam").simulate_principal_policy(
        PolicySourceArn=lesson.outputs()["role_arn"], ActionNames=["ecr:BatchGetImage"],
        ResourceArns=[lesson.outputs()["pull_repository_arn"], lesson.outputs()["other_repository_arn"]])["EvaluationResults"]}
    assert simulated == {lesson.outputs()["pull_repository_arn"]: "allowed", lesson.outputs()["other_repository_arn"]: "implicitDeny"}
