"""The review quiz: questions, and for every option why it is right or wrong.

A learner who picks a wrong option learns what is wrong with *that* option, not just
the right answer: each option carries its own explanation.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Option:
    text: str
    why: str


@dataclass(frozen=True)
class Question:
    prompt: str
    choices: tuple[Option, ...]
    correct: int
    reading: str = ""  # the reading to reopen after a wrong answer: "lessons/04-least-privilege.md"
    section: str = ""  # its heading, exactly as written

    @property
    def link(self) -> str:
        from .hints import anchor

        return f"{self.reading}#{anchor(self.section)}" if self.section else self.reading

    @property
    def options(self) -> tuple[str, ...]:
        return tuple(choice.text for choice in self.choices)

    @property
    def why(self) -> str:
        return self.choices[self.correct].why

    def grade(self, choice: int | str | None) -> tuple[bool, str]:
        """(right?, feedback) for an option index or its text; the feedback explains that option."""
        if choice is None:
            return False, "Pick an answer first."
        index = self.options.index(choice) if isinstance(choice, str) else choice
        if index == self.correct:
            return True, f"Right. {self.why}"
        return False, f"Not quite: {self.choices[index].why}"


@dataclass(frozen=True)
class Score:
    """How a set of answers went: the score, and for each wrong or missing answer the reading to reopen."""

    right: int
    total: int
    reopen: tuple[tuple[int, str], ...]  # (question number, link to the reading's section)

    def __str__(self) -> str:
        lines = [f"Score: {self.right} / {self.total}."]
        lines += [f"Question {n}: reopen {link}" for n, link in self.reopen]
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        import html

        items = "".join(f'<li>Question {n}: reopen <a href="../{html.escape(link)}" target="_blank">{html.escape(link)}</a></li>'
                        for n, link in self.reopen)
        return (f'<div class="iamlab-quiz-score" data-right="{self.right}" data-total="{self.total}">'
                f"<b>Score: {self.right} / {self.total}</b>{f'<ul>{items}</ul>' if items else ''}</div>")


def score(answers, questions=None) -> Score:
    """``answers``: one choice (index, option text, or None) per question, in order."""
    questions = QUESTIONS if questions is None else questions
    answers = list(answers) + [None] * (len(questions) - len(answers))
    right, reopen = 0, []
    for number, (question, answer) in enumerate(zip(questions, answers), 1):
        if question.grade(answer)[0]:
            right += 1
        else:
            reopen.append((number, question.link))
    return Score(right, len(questions), tuple(reopen))


def _q(prompt: str, correct: int, *choices: tuple[str, str], reading: str = "", section: str = "") -> Question:
    return Question(prompt, tuple(Option(text, why) for text, why in choices), correct, reading, section)


L01, L02, L03 = "lessons/01-roles-and-instance-profiles.md", "lessons/02-the-managed-policy.md", "lessons/03-a-custom-policy.md"
L04, L06 = "lessons/04-least-privilege.md", "lessons/06-beyond-the-basics.md"


QUESTIONS = (
    _q("Which document says that EC2 may assume the role ec2-ecr-role?", 1,
       ("The AmazonEC2ContainerRegistryReadOnly policy",
        "That is a permission policy: it says what the role may do once assumed, not who may assume it."),
       ("The role's trust policy (assume_role_policy)",
        "The trust policy names who may become the role; permission policies say what the role may do."),
       ("The instance profile",
        "The profile only holds the role for the instance; it grants and trusts nothing by itself."),
       ("The ECR repository policy",
        "A repository policy says who may use that repository; it cannot let anyone assume a role."),
       reading=L01, section="A keycard, not a key"),
    _q("Why does an EC2 instance need an instance profile?", 1,
       ("It stores the instance's SSH key", "SSH keys are key pairs (aws_key_pair); a profile has nothing to do with them."),
       ("An instance cannot hold a role directly: the profile holds one role for it",
        "The profile is the container an instance wears; EC2 hands out the credentials of the role inside it."),
       ("It grants ECR permissions", "Permissions come from policies attached to the role, never from the profile."),
       ("It is only needed for t2 instances", "Every instance type needs one to get a role's credentials."),
       reading=L01, section="Why an instance profile?"),
    _q("Who may launch an instance with the profile ec2-ecr-instance-profile?", 2,
       ("Anyone who may call ec2:RunInstances",
        "RunInstances alone is not enough: handing a role to a service also needs iam:PassRole on that role."),
       ("Only the role itself", "A role cannot launch anything until someone assumes it; the question is about the launcher."),
       ("Whoever may call ec2:RunInstances and iam:PassRole on ec2-ecr-role",
        "Passing a role to EC2 is checked as iam:PassRole; without that check anyone could launch a machine "
        "with more rights than their own."),
       ("Only the account's root user", "Any IAM identity with both permissions may; root is not needed (and should not be used)."),
       reading=L01, section="Who may hand the keycard out: `iam:PassRole`"),
    _q("How many permission checks does an image pull from ECR pass through?", 1,
       ("One: ecr:BatchGetImage", "The pull also needs a registry login and a download URL for each layer."),
       ("Three: GetAuthorizationToken (login), BatchGetImage (manifest), GetDownloadUrlForLayer (layers)",
        "Login, manifest, layers. BatchCheckLayerAvailability is what a push asks; some clients ask it on a pull "
        "too, but a pull works without it."),
       ("Four, including BatchCheckLayerAvailability", "Clients call BatchCheckLayerAvailability before a push, "
        "to skip layers the registry already has; a pull works without it (docker and skopeo did not ask it here)."),
       ("Twelve, one per action of the managed policy", "Most of those actions only look around (Describe, List); a pull uses none of them."),
       reading=L02, section="What a pull needs"),
    _q('A statement allows ecr:GetAuthorizationToken on the flask_app repository ARN only. What happens at login?', 2,
       ("Login works for flask_app only", "A registry token is not about one repository, so there is no "
        "flask_app-only login; the statement simply never matches the login."),
       ("Login works everywhere", 'Nothing allows the login on "*", so it is not allowed anywhere.'),
       ("Login is denied", 'GetAuthorizationToken has no resource type, so only a statement with Resource "*" can allow it.'),
       ("Terraform refuses to apply", "IAM accepts the policy and Terraform applies it; the mistake shows only when the instance logs in."),
       reading=L04, section="Step 3: give each action a resource it can match"),
    _q("The managed read-only policy and your scoped custom policy are both attached. Can the instance pull reports_app?", 1,
       ("No: the narrower policy wins", "IAM never picks the narrowest policy: Allows add up."),
       ("Yes: an Allow in any attached policy is enough", "Policies add up. Only an explicit Deny takes access away; order never matters."),
       ("Only with a repository policy", "The managed policy's Allow on \"*\" already covers reports_app."),
       ("It depends on the order of attachment", "Order plays no part in IAM's evaluation."),
       reading=L03, section="Policies add up"),
    _q("An identity policy allows ecr:BatchGetImage on flask_app and another policy denies it. The result?", 2,
       ("allowed", "An Allow never overrides an explicit Deny."),
       ("implicitDeny", "Implicit deny means nothing allowed it; here a Deny statement matched, which is stronger."),
       ("explicitDeny", "An explicit Deny beats every Allow, wherever it is written."),
       ("whichever statement comes first", "Statement order plays no part in IAM's evaluation."),
       reading=L06, section="Part 1 · Explicit Deny"),
    _q("Your role allows ecr:PutImage, but the account's organization has an SCP that does not. Can the instance push?", 1,
       ("Yes: the role's policy allows it", "An SCP caps what any identity in the account may do; an identity policy cannot go beyond it."),
       ("No: an SCP (like a permissions boundary) must allow the action too",
        "Allowed needs an Allow in every layer that applies: SCPs, permissions boundary, identity or resource policy; "
        "and no explicit Deny anywhere."),
       ("Only if the repository policy allows it as well", "A repository policy cannot lift an SCP's limit either."),
       ("SCPs apply to users, never to roles", "SCPs apply to every user and role in member accounts (not to the management account)."),
       reading=L06, section="The whole evaluation, with boundaries and SCPs"),
    _q("Why refer to data.aws_ecr_repository.pull.arn instead of pasting the ARN?", 1,
       ("It is faster to apply", "It is one more lookup, so if anything slightly slower; speed is not the reason."),
       ("No account id or region typed by hand; a wrong name fails at plan time",
        "A typo in a pasted ARN silently matches nothing; a data source that finds no repository stops the plan."),
       ("IAM rejects pasted ARNs", "IAM accepts any well-formed ARN, even one of a repository that does not exist."),
       ("It makes the policy managed by AWS", "Who manages a policy has nothing to do with how its ARNs were written."),
       reading=L04, section='Step 1: one repository instead of `"*"`'),
    _q('The instance sets metadata_options { http_tokens = "required" }. What changes?', 3,
       ("The instance gets no credentials at all", "It still gets them, from a session-based request (IMDSv2)."),
       ("Its role's permissions shrink", "IMDS settings change how credentials are fetched, not what the role may do."),
       ("Only the root user may read its metadata", "Any process on the instance may, with a session token."),
       ("Credentials come only with a session token (IMDSv2): a plain GET, as an SSRF bug would send, gets nothing",
        "IMDSv2 needs a PUT for a token first, which blocks most server-side request forgery from stealing the role's keys."),
       reading=L01, section="How the instance reads its credentials: IMDSv2"),
)
