"""Terraform failures become a short explanation plus the relevant error."""

from __future__ import annotations

from iamlab.terraform.driver import summarize
from iamlab.terraform.explain import error_blocks, explain

UNDECLARED = """
╷
│ Error: Reference to undeclared resource
│
│   on main.tf line 31, in resource "aws_instance" "ec2_instance":
│   31:   iam_instance_profile = aws_iam_instance_profile.ec2_iam_profile.name
│
│ A managed resource "aws_iam_instance_profile" "ec2_iam_profile" has not been declared in the root module.
╵
"""

REFUSED = """
╷
│ Error: creating IAM Role (ec2-ecr-role): operation error IAM: CreateRole, https response error StatusCode: 0, RequestID: , request send failed, Post "http://127.0.0.1:4566/": dial tcp 127.0.0.1:4566: connect: connection refused
╵
"""


def test_undeclared_reference_points_at_the_file_and_line():
    assert "refers to a resource or variable that is not declared" in explain("", UNDECLARED)
    blocks = error_blocks(UNDECLARED)
    assert blocks.startswith("Error: Reference to undeclared resource")
    assert "on main.tf line 31" in blocks and "│" not in blocks


def test_dead_sandbox_says_how_to_restart():
    text = explain("", REFUSED)
    assert "python -m iamlab sandbox start" in text and "state is intact" in text


def test_unknown_failure_still_says_what_next():
    assert "Next step" in explain("", "Error: something new")


def test_summaries_of_plan_apply_and_destroy():
    assert summarize("Plan: 4 to add, 1 to change, 2 to destroy.") == {"add": 4, "change": 1, "destroy": 2}
    assert summarize("Apply complete! Resources: 4 added, 0 changed, 0 destroyed.") == {"add": 4, "change": 0, "destroy": 0}
    assert summarize("Apply complete! Resources: 0 added, 1 changed, 2 destroyed.") == {"add": 0, "change": 1, "destroy": 2}
    assert summarize("Destroy complete! Resources: 4 destroyed.") == {"add": 0, "change": 0, "destroy": 4}
    assert summarize("No changes. Your infrastructure matches the configuration.") == {"add": 0, "change": 0, "destroy": 0}
