"""`lab.show(address)` on a block that is not active says why, instead of a KeyError traceback
(a learner who reopens lesson 04 after commenting out the managed attachment meets this)."""

from types import SimpleNamespace

from iamlab.reports import Note, Source
from iamlab.working_copy import Terraform

MAIN = '''resource "aws_iam_role" "ec2_ecr_role" {
  name = "ec2-ecr-role"
}

# resource "aws_iam_role_policy_attachment" "ecr_read_only" {
#   role       = aws_iam_role.ec2_ecr_role.name
# }
'''


def terraform(tmp_path):
    (tmp_path / "main.tf").write_text(MAIN)
    return Terraform(SimpleNamespace(directory=tmp_path))


def test_an_active_block_is_shown_as_written(tmp_path):
    shown = terraform(tmp_path).show("aws_iam_role.ec2_ecr_role")
    assert isinstance(shown, Source) and 'name = "ec2-ecr-role"' in str(shown)


def test_a_commented_block_is_said_to_be_commented_out_and_where(tmp_path):
    shown = terraform(tmp_path).show("aws_iam_role_policy_attachment.ecr_read_only")
    assert isinstance(shown, Note)
    assert "commented out in main.tf" in str(shown)


def test_a_block_never_written_is_said_to_be_missing(tmp_path):
    shown = terraform(tmp_path).show("aws_iam_policy.nowhere")
    assert isinstance(shown, Note) and "no block aws_iam_policy.nowhere" in str(shown)
