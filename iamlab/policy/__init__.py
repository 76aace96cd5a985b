"""The course's IAM policy engine: who may do what, decided the way AWS decides.

    from iamlab.policy import parse, evaluate, Request, Principal
    decision = evaluate(Request(principal, "ecr:BatchGetImage", repo_arn), [parse(doc)])
    decision.decision  # "allowed" | "explicitDeny" | "implicitDeny"
"""

from .context import Context  # noqa: F401
from . import catalogue  # noqa: F401
from .document import Policy, PolicyError, Statement, parse, validate  # noqa: F401
from .grammar import MalformedPolicyDocument  # noqa: F401
from .engine import ALLOWED, EXPLICIT_DENY, IMPLICIT_DENY, Decision, Principal, Request, evaluate  # noqa: F401
