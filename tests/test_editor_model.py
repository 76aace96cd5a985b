"""The policy editor's logic without widgets: documents, Terraform, checks, the split, import."""

from __future__ import annotations

import json
import subprocess

import pytest

from iamlab.editor import checks
from iamlab.editor.model import ALL, PolicyModel, StatementModel, terraform_block

PULL = ["ecr:BatchGetImage", "ecr:BatchCheckLayerAvailability", "ecr:GetDownloadUrlForLayer"]


def model(*statements):
    return PolicyModel(statements=list(statements))


def codes(m):
    return {(f.level, f.code) for f in checks.check(m)}


def test_repositories_are_written_as_arns_in_json_and_as_references_in_terraform():
    m = model(StatementModel("Allow", PULL, ["repository:flask_app", "repository:billing"]))
    assert m.document()["Statement"][0]["Resource"][0] == "arn:aws:ecr:us-east-1:123456789012:repository/flask_app"
    block = terraform_block(m)
    # flask_app is main.tf's data.aws_ecr_repository.pull: one data source per repository, everywhere
    assert 'data "aws_ecr_repository" "policy_flask_app"' not in block and 'data "aws_ecr_repository" "policy_billing"' in block
    assert "Resource = [data.aws_ecr_repository.pull.arn, data.aws_ecr_repository.policy_billing.arn]" in block
    assert "123456789012" not in block  # no ARN pasted
    assert "policy_arn = aws_iam_policy.ecr_custom_read_only.arn" in block


def test_split_moves_login_into_its_own_star_statement():
    m = model(StatementModel("Allow", ["ecr:GetAuthorizationToken"] + PULL, ["repository:flask_app"]))
    assert m.resourceless_actions(0) == ["ecr:GetAuthorizationToken"]
    assert ("warning", "NEEDS_STAR") in codes(m)
    assert m.split_resourceless(0)
    login, pull = m.document()["Statement"]
    assert login == {"Sid": "Login", "Effect": "Allow", "Action": "ecr:GetAuthorizationToken", "Resource": "*"}
    assert pull["Action"] == PULL and pull["Resource"].endswith(":repository/flask_app")
    assert ("warning", "NEEDS_STAR") not in codes(m)
    assert not m.split_resourceless(1)


@pytest.mark.parametrize("actions,resources,expected", [
    (["ecr:BatchGetImge"], [ALL], ("error", "UNKNOWN_ACTION")),
    (["BatchGetImage"], [ALL], ("error", "MALFORMED_ACTION")),
    (["ecs:BatchGetImage"], [ALL], ("error", "UNKNOWN_ACTION")),
    (["eccr:BatchGetImage"], [ALL], ("error", "UNKNOWN_SERVICE")),
    (["ecr:Nothing*"], [ALL], ("error", "NO_MATCH")),
    ([], [ALL], ("error", "NO_ACTIONS")),
    (PULL, [], ("error", "NO_RESOURCES")),
    (PULL, ["flask_app"], ("error", "MALFORMED_ARN")),
    (PULL, ["arn:aws:s3:::flask_app"], ("warning", "WRONG_SERVICE")),
    (PULL, ["arn:aws:ecr:us-east-1:999999999999:repository/flask_app"], ("warning", "OTHER_ACCOUNT")),
    (PULL, ["arn:aws:ecr:eu-west-1:123456789012:repository/flask_app"], ("warning", "OTHER_REGION")),
    (["ecr:BatchGetImage", "ecr:Batch*"], [ALL], ("warning", "REDUNDANT_ACTION")),
    (["ecr:ListImages", "ECR:listimages"], [ALL], ("warning", "DUPLICATE_ACTION")),
    (["ecr:PutImage"], [ALL], ("warning", "WRITE_ON_STAR")),
    (["ecr:*"], [ALL], ("warning", "WRITE_ON_STAR")),
])
def test_checks_find_the_problem(actions, resources, expected):
    assert expected in codes(model(StatementModel("Allow", actions, resources)))


def test_did_you_mean_names_the_right_action():
    [finding] = [f for f in checks.check(model(StatementModel("Allow", ["ecr:BatchGetImge"], [ALL]))) if f.code == "UNKNOWN_ACTION"]
    assert "Did you mean ecr:BatchGetImage" in finding.message and finding.blocks


def test_the_lessons_policies_pass_cleanly():
    seed = model(StatementModel("Allow", ["ecr:GetAuthorizationToken"] + PULL, [ALL]))
    assert checks.blocking(checks.check(seed)) == [] and codes(seed) == set()
    final = model(StatementModel("Allow", ["ecr:GetAuthorizationToken"], [ALL], "Login"),
                  StatementModel("Allow", PULL, ["repository:flask_app"], "Pull"))
    assert codes(final) == set()


def test_import_maps_known_repository_arns_back_to_names():
    document = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "ecr:BatchGetImage", "Resource": ["arn:aws:ecr:us-east-1:123456789012:repository/flask_app", "arn:aws:ecr:*:*:repository/x*"]}]}
    imported = PolicyModel.from_document(json.dumps(document), known_repositories=["flask_app", "reports_app"])
    assert imported.statements[0].resources == ["repository:flask_app", "arn:aws:ecr:*:*:repository/x*"]
    assert imported.document()["Statement"][0]["Resource"] == document["Statement"][0]["Resource"]


@pytest.mark.integration  # runs terraform validate
def test_generated_terraform_is_valid_terraform(tmp_path):
    """terraform validate reads custom_policy.tf as the editor writes it, next to the course's files."""
    m = model(StatementModel("Allow", ["ecr:GetAuthorizationToken"], [ALL], "Login"),
              StatementModel("Allow", PULL, ["repository:flask_app", "arn:aws:ecr:*:*:repository/${aws:username}"], "Pull"))
    from iamlab import paths
    from iamlab.terraform import cliconfig

    for name in ("terraform.tf", "main.tf", "variables.tf", "outputs.tf"):
        (tmp_path / name).write_text((paths.course_tf_dir() / name).read_text().replace(
            'resource "aws_iam_role_policy_attachment" "ecr_read_only"', 'resource "aws_iam_role_policy_attachment" "managed"'))
    (tmp_path / "custom_policy.tf").write_text(terraform_block(m))
    env = {"TF_CLI_CONFIG_FILE": str(cliconfig.write_cli_config()), "CHECKPOINT_DISABLE": "1", "PATH": __import__("os").environ["PATH"],
           "HOME": str(tmp_path)}
    subprocess.run(["terraform", "init", "-backend=false", "-input=false"], cwd=tmp_path, env=env, check=True, capture_output=True)
    validated = subprocess.run(["terraform", "validate", "-no-color"], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert validated.returncode == 0, validated.stdout + validated.stderr
    assert "$${aws:username}" in terraform_block(m)  # a policy variable, not a Terraform interpolation


def test_what_iam_would_refuse_blocks_writing_in_iams_words():
    twice = model(StatementModel("Allow", ["ecr:ListImages"], [ALL], "Browse"),
                  StatementModel("Allow", ["ecr:DescribeImages"], [ALL], "Browse"))
    [finding] = checks.blocking(checks.check(twice))
    assert finding.code == "IAM_REFUSES" and "must be unique" in finding.message
    assert ("error", "IAM_REFUSES") in codes(model(StatementModel("Allow", PULL, [ALL], "pull-flask")))
    huge = model(StatementModel("Allow", PULL, [f"arn:aws:ecr:us-east-1:123456789012:repository/r{n:04}" for n in range(120)]))
    assert ("error", "TOO_LARGE") in codes(huge)
