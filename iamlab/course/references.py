"""The reference solutions, as the learner's own files.

Each Terraform exercise ends in files a learner writes (``custom_policy.tf``,
``deny_push.tf``, ``repository_policy.tf``) and, in lesson 04, one hand edit of
``main.tf``. The references here are those files, exactly as a learner could type
them; ``solution(name)`` shows them and ``solution(name, apply=True)`` writes them.
The custom policy's references are written from the stage's policy (``stages``),
the same text the policy editor writes, so the two ways cannot drift apart.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..editor.model import terraform_block
from . import stages

DENY_PUSH = """resource "aws_iam_role_policy" "deny_push" {
  name = "deny-push"
  role = aws_iam_role.ec2_ecr_role.id

  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid      = "NeverPush"
      Effect   = "Deny"
      Action   = ["ecr:InitiateLayerUpload", "ecr:UploadLayerPart", "ecr:CompleteLayerUpload", "ecr:PutImage"]
      Resource = "*"
    }]
  })
}
"""

REPOSITORY_POLICY = """resource "aws_ecr_repository_policy" "reports_app" {
  repository = data.aws_ecr_repository.other.name

  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid       = "InstanceMayPull"
      Effect    = "Allow"
      Principal = { AWS = aws_iam_role.ec2_ecr_role.arn }
      Action    = ["ecr:BatchGetImage", "ecr:BatchCheckLayerAvailability", "ecr:GetDownloadUrlForLayer"]
    }]
  })
}
"""


@dataclass(frozen=True)
class Reference:
    exercise: str
    files: dict[str, str] = field(default_factory=dict)  # learner files, name -> text
    comment_out: tuple[str, ...] = ()  # blocks of main.tf the learner comments out by hand
    destroy: bool = False
    explanation: str = ""

    def markdown(self) -> str:
        parts = [self.explanation] if self.explanation else []
        for address in self.comment_out:
            parts.append(f"In `main.tf`, comment out `{address}` by hand (put `#` before each of its lines):\n\n"
                         f"```hcl\n# resource \"{address.split('.')[0]}\" \"{address.split('.')[1]}\" {{\n#   ...\n# }}\n```")
        for name, text in self.files.items():
            parts.append(f"In your own file `{name}`:\n\n```hcl\n{text.rstrip()}\n```")
        if self.destroy:
            parts.append("```python\nlab.destroy()\n```")
        return "\n\n".join(parts)


def _custom(model) -> str:
    return terraform_block(model)


REFERENCES: dict[str, Reference] = {
    "03-custom-policy": Reference("03-custom-policy", {"custom_policy.tf": _custom(stages.seed_policy())},
                                  explanation="The four actions on every resource, and the attachment by reference to the policy's `.arn`."),
    "04-reference": Reference("04-reference", {"custom_policy.tf": _custom(stages.referenced_policy())},
                              explanation="`Resource` names the repository through the data source main.tf already declares."),
    "04-detach": Reference("04-detach", comment_out=(stages.MANAGED_ATTACHMENT,),
                           explanation="While AmazonEC2ContainerRegistryReadOnly is attached, it allows everything your policy leaves out."),
    "04-scope": Reference("04-scope", {"custom_policy.tf": _custom(stages.least_privilege_policy())},
                          comment_out=(stages.MANAGED_ATTACHMENT,),
                          explanation='The login acts on no repository, so it gets its own statement with `Resource = "*"`.'),
    "06-deny": Reference("06-deny", {"deny_push.tf": DENY_PUSH},
                         explanation="An explicit Deny for the four actions of a push, on every repository."),
    "06-repository-policy": Reference("06-repository-policy", {"repository_policy.tf": REPOSITORY_POLICY},
                                      explanation="The repository names the instance's role as a Principal; "
                                                  "no Resource element (the repository is the resource)."),
    "07-clean": Reference("07-clean", destroy=True, explanation="Terraform destroys what it created; the repositories were never its own."),
}


def for_file(file_name: str, exercise: str | None = None) -> Reference | None:
    """The reference that writes ``file_name``: the named exercise's, else the first exercise writing it."""
    if exercise is not None:
        reference = REFERENCES.get(exercise)
        return reference if reference and file_name in reference.files else None
    return next((r for r in REFERENCES.values() if file_name in r.files), None)
