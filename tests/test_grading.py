"""Grading by effect, on hand-made policy documents: fast, no sandbox, no Terraform.

The reference is lesson 04's least privilege (login on "*", pull on flask_app). A
policy passes when the instance may do exactly what the reference allows over every
ECR action x every repository, however it is written; otherwise the grader gives one
request where it differs, and names the classic mistake."""

from __future__ import annotations

import pytest

from iamlab.course import grading, graders, policies, slips
from iamlab.course.graders import DENY_DOCUMENT, reference_document, repository_policy_document
from iamlab.facts import MANAGED_POLICY_ARN, PUSH
from iamlab.policy import parse

ACCOUNT, REGION = "123456789012", "us-east-1"
WORLD = grading.World(ACCOUNT, REGION, ("flask_app", "reports_app"),
                      {"flask_app": {"app": "flask_app"}, "reports_app": {"app": "reports_app"}})
FLASK = f"arn:aws:ecr:{REGION}:{ACCOUNT}:repository/flask_app"
PULL = ["ecr:BatchGetImage", "ecr:BatchCheckLayerAvailability", "ecr:GetDownloadUrlForLayer"]
MANAGED = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Resource": "*", "Action": [
    "ecr:GetAuthorizationToken", "ecr:BatchCheckLayerAvailability", "ecr:GetDownloadUrlForLayer", "ecr:GetRepositoryPolicy",
    "ecr:DescribeRepositories", "ecr:ListImages", "ecr:DescribeImages", "ecr:BatchGetImage", "ecr:GetLifecyclePolicy",
    "ecr:GetLifecyclePolicyPreview", "ecr:ListTagsForResource", "ecr:DescribeImageScanFindings"]}]}


def doc(*statements):
    return {"Version": "2012-10-17", "Statement": list(statements)}


def effect_of(*documents, resource=None):
    return grading.effect(WORLD, grading.policies([(f"p{i}", d) for i, d in enumerate(documents)]), resource or {})


@pytest.fixture(scope="module")
def reference():
    return effect_of(reference_document(policies.least_privilege_policy(), WORLD))


def test_the_world_is_every_ecr_action_on_every_repository():
    questions = WORLD.questions()
    assert ("ecr:BatchGetImage", "reports_app") in questions and ("ecr:GetAuthorizationToken", "*") in questions
    assert len({a for a, _ in questions}) == 64  # the catalogue's ECR actions
    assert ("ecr:GetAuthorizationToken", "flask_app") not in questions  # it acts on no repository


def test_the_answer_passes(reference):
    answer = effect_of(doc({"Effect": "Allow", "Action": "ecr:GetAuthorizationToken", "Resource": "*"},
                           {"Effect": "Allow", "Action": PULL, "Resource": FLASK}))
    assert grading.differences(answer, reference) == []


@pytest.mark.parametrize("written_as", ["one statement per action, lower case", "wildcards in the ARN and the action",
                                        "a tag condition (ABAC)", "a redundant deny"])
def test_an_equivalent_but_differently_written_policy_passes(reference, written_as):
    document = {
        "one statement per action, lower case": doc(
            {"Effect": "Allow", "Action": "ecr:getauthorizationtoken", "Resource": ["*"]},
            *({"Effect": "Allow", "Action": a.lower(), "Resource": FLASK} for a in PULL)),
        "wildcards in the ARN and the action": doc(
            {"Effect": "Allow", "Action": "ecr:GetAuthorizationToken", "Resource": "*"},
            {"Effect": "Allow", "Action": ["ecr:BatchGetImage", "ecr:BatchCheck*", "ecr:GetDownloadUrl*"],
             "Resource": f"arn:aws:ecr:*:{ACCOUNT}:repository/flask_*"}),
        "a tag condition (ABAC)": doc(
            {"Effect": "Allow", "Action": "ecr:GetAuthorizationToken", "Resource": "*"},
            {"Effect": "Allow", "Action": PULL, "Resource": "*", "Condition": {"StringEquals": {"aws:ResourceTag/app": "flask_app"}}}),
        "a redundant deny": doc(
            {"Effect": "Allow", "Action": "ecr:GetAuthorizationToken", "Resource": "*"},
            {"Effect": "Allow", "Action": PULL, "Resource": FLASK},
            {"Effect": "Deny", "Action": "ecr:*", "Resource": f"arn:aws:ecr:{REGION}:{ACCOUNT}:repository/reports_app"}),
    }[written_as]
    assert grading.differences(effect_of(document), reference) == []


def test_login_scoped_to_a_repository_is_missing_the_login_and_named(reference):
    scoped = doc({"Effect": "Allow", "Action": ["ecr:GetAuthorizationToken", *PULL], "Resource": FLASK})
    found = grading.differences(effect_of(scoped), reference)
    example = grading.counterexample(found)
    assert example.action == "ecr:GetAuthorizationToken" and not example.too_much
    assert example.sentence() == "your policy does not let the instance run ecr:GetAuthorizationToken yet"
    [slip] = slips.policy_slips(scoped, slips.Expected(ACCOUNT, REGION, scoped=True))
    assert slip.id == "login-scoped" and "acts on no repository" in slip.message


def test_the_managed_policy_still_attached_gives_one_counterexample_on_the_other_repository(reference):
    custom = reference_document(policies.least_privilege_policy(), WORLD)
    found = grading.differences(effect_of(custom, MANAGED), reference)
    example = grading.counterexample(found, focus=("flask_app",))
    assert example.too_much and example.repository == "reports_app" and example.action in ("ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer")
    assert example.sentence().startswith("your policy still lets the instance run ecr:")
    assert slips.managed_attached([MANAGED_POLICY_ARN]).id == "managed-attached"
    assert slips.managed_attached(["arn:aws:iam::123456789012:policy/ecr_custom_read_only"]) is None


def test_resource_star_left_on_the_pull_actions(reference):
    seed = reference_document(policies.seed_policy(), WORLD)
    example = grading.counterexample(grading.differences(effect_of(seed), reference), focus=("flask_app",))
    assert example.sentence() in ("your policy still lets the instance run ecr:BatchGetImage on reports_app",
                                  "your policy still lets the instance run ecr:GetDownloadUrlForLayer on reports_app")
    scoped = slips.Expected(ACCOUNT, REGION, scoped=True)
    assert [s.id for s in slips.policy_slips(seed, scoped)] == ["pull-on-star"]
    assert slips.policy_slips(reference_document(policies.least_privilege_policy(), WORLD), scoped) == []


def test_a_browsing_extra_is_the_counterexample_when_the_pull_is_right(reference):
    extra = doc({"Effect": "Allow", "Action": "ecr:GetAuthorizationToken", "Resource": "*"},
                {"Effect": "Allow", "Action": [*PULL, "ecr:ListImages"], "Resource": FLASK})
    [difference] = grading.differences(effect_of(extra), reference)
    assert difference.sentence() == "your policy still lets the instance run ecr:ListImages on flask_app"


def test_an_explicit_deny_is_required_where_the_exercise_asks_for_one():
    wanted = effect_of(reference_document(policies.least_privilege_policy(), WORLD), DENY_DOCUMENT)
    implicit = effect_of(reference_document(policies.least_privilege_policy(), WORLD))
    found = grading.differences(implicit, wanted, exact_denies=PUSH)
    assert found and all(d.action in PUSH for d in found)
    assert "not explicitly denied" in grading.counterexample(found).sentence()
    wildcard = doc({"Effect": "Deny", "Action": ["ecr:PutImage", "ecr:*Layer*"], "Resource": "*"})
    # ecr:*Layer* also denies the pull's GetDownloadUrlForLayer: the grader catches it
    found = grading.differences(effect_of(reference_document(policies.least_privilege_policy(), WORLD), wildcard), wanted, PUSH)
    assert any(d.action == "ecr:GetDownloadUrlForLayer" and not d.too_much for d in found)


def test_a_repository_policy_counts_as_the_instances_permission():
    identity = reference_document(policies.least_privilege_policy(), WORLD)
    repository = {"reports_app": parse(repository_policy_document(WORLD), "repo", "resource")}
    with_it = effect_of(identity, resource=repository)
    assert with_it.allows("ecr:BatchGetImage", "reports_app") and not effect_of(identity).allows("ecr:BatchGetImage", "reports_app")


def test_pasted_arns_are_found_with_file_and_line(tmp_path):
    (tmp_path / "custom_policy.tf").write_text(
        'resource "x" "y" {\n  # arn:aws:ecr:us-east-1:123456789012:repository/in_a_comment\n'
        '  Resource = "arn:aws:ecr:us-east-1:123456789012:repository/flask_app"\n}\n')
    (tmp_path / "iamlab_sandbox_override.tf").write_text('x = "arn:aws:iam::123456789012:role/skip"\n')
    (tmp_path / "main.tf").write_text('policy_arn = "arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly"\n')
    from types import SimpleNamespace

    found = graders.file_slips(SimpleNamespace(directory=tmp_path), slips.Expected(ACCOUNT, REGION))
    assert [(s.id, s.where) for s in found] == [("hand-typed-arn", "custom_policy.tf, line 3")]
    assert "data.aws_ecr_repository.pull.arn" not in str(found[0])  # the slip is named, the answer is not given
    assert "repository/flask_app" not in str(found[0])  # nor the ARN the reference stands for
