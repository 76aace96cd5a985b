"""The review quiz: questions, the right answers, and why."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Question:
    prompt: str
    options: tuple[str, ...]
    correct: int
    why: str

    def grade(self, choice: int | str | None) -> tuple[bool, str]:
        """(right?, feedback) for an option index or its text."""
        if choice is None:
            return False, "Pick an answer first."
        index = self.options.index(choice) if isinstance(choice, str) else choice
        if index == self.correct:
            return True, f"Right. {self.why}"
        return False, f"Not quite: {self.why}"


QUESTIONS = (
    Question("Which document says that EC2 may assume the role ec2-ecr-role?",
             ("The AmazonEC2ContainerRegistryReadOnly policy", "The role's trust policy (assume_role_policy)",
              "The instance profile", "The ECR repository policy"), 1,
             "The trust policy names who may become the role; permission policies say what the role may do."),
    Question("Why does an EC2 instance need an instance profile?",
             ("It stores the instance's SSH key", "An instance cannot hold a role directly: the profile holds one role for it",
              "It grants ECR permissions", "It is only needed for t2 instances"), 1,
             "The profile is the container an instance wears; EC2 hands out the credentials of the role inside it."),
    Question('A statement allows ecr:GetAuthorizationToken on the flask_app repository ARN only. What happens at login?',
             ("Login works for flask_app only", "Login works everywhere", "Login is denied",
              "Terraform refuses to apply"), 2,
             'GetAuthorizationToken has no resource type, so only a statement with Resource "*" can allow it.'),
    Question("The managed read-only policy and your scoped custom policy are both attached. Can the instance pull reports_app?",
             ("No: the narrower policy wins", "Yes: an Allow in any attached policy is enough", "Only with a repository policy",
              "It depends on the order of attachment"), 1,
             "Policies add up. Only an explicit Deny takes access away; order never matters."),
    Question("An identity policy allows ecr:BatchGetImage on flask_app and another policy denies it. The result?",
             ("allowed", "implicitDeny", "explicitDeny", "whichever statement comes first"), 2,
             "An explicit Deny beats every Allow, wherever it is written."),
    Question("Why refer to data.aws_ecr_repository.flask_app.arn instead of pasting the ARN?",
             ("It is faster to apply", "No account id or region typed by hand; a wrong name fails at plan time",
              "IAM rejects pasted ARNs", "It makes the policy managed by AWS"), 1,
             "A typo in a pasted ARN silently matches nothing; a data source that finds no repository stops the plan."),
)
