"""IAM's policy simulator, answered by the course's engine.

``iam:SimulatePrincipalPolicy`` ("may this role do X on Y?") and
``iam:SimulateCustomPolicy`` ("would this policy allow X on Y?") take boto3's
request and give boto3's response shape (EvaluationResults, EvalDecision,
MatchedStatements, MissingContextValues, ResourceSpecificResults), so course code
asks the same question of the sandbox and of real AWS.
"""

from __future__ import annotations

import re
import uuid
from xml.sax.saxutils import escape

from werkzeug.wrappers import Response

from ..policy import Context, Decision, Policy, PolicyError, Principal, Request, evaluate, parse
from ..policy.conditions import ConditionError
from ..policy.validator import validate
from . import errors, settings
from .enforcement import AwsCall
from .policies import identity_policies

NAMESPACE = "https://iam.amazonaws.com/doc/2010-05-08/"
OPERATIONS = ("SimulatePrincipalPolicy", "SimulateCustomPolicy")


class SimulationError(Exception):
    def __init__(self, code: str, message: str, status: int = 400):
        super().__init__(message)
        self.code, self.message, self.status = code, message, status


def _list(params: dict, name: str) -> list[str]:
    keys = sorted((k for k in params if re.fullmatch(rf"{name}\.member\.\d+", k)), key=lambda k: int(k.rsplit(".", 1)[1]))
    return [params[k] for k in keys]


def _context(params: dict) -> Context:
    context = Context()
    n = 1
    while f"ContextEntries.member.{n}.ContextKeyName" in params:
        prefix = f"ContextEntries.member.{n}"
        context[params[f"{prefix}.ContextKeyName"]] = _list(params, f"{prefix}.ContextKeyValues")
        n += 1
    return context


def _principal_for(arn: str | None) -> Principal:
    """The caller the simulation speaks for. With no CallerArn there is none: the simulator does not
    invent one, so keys such as ``aws:username`` stay absent (and are reported as missing)."""
    if not arn:
        return Principal()
    account = arn.split(":")[4] if arn.count(":") >= 5 else settings.ACCOUNT_ID
    return Principal(arn=arn, identity_arn=arn, account=account)


def _identity_policies(source_arn: str) -> list[Policy]:
    """The role's or user's policies, read exactly as enforcement reads them (``policies.identity_policies``)."""
    if ":role/" not in source_arn and ":user/" not in source_arn:
        raise SimulationError("InvalidInput", f"The sandbox simulates roles and users only; {source_arn} is neither.")
    found = identity_policies(source_arn)  # a stored policy the engine cannot read grants nothing, as in enforcement
    if found is None:
        kind = "role" if ":role/" in source_arn else "user"
        raise SimulationError("NoSuchEntity", f"The {kind} with name {source_arn.rsplit('/', 1)[-1]} cannot be found.", 404)
    return found


def _input_policies(params: dict) -> list[Policy]:
    """The policies handed in, through the same validator as an upload (its simulator door)."""
    try:
        policies = []
        for i, doc in enumerate(_list(params, "PolicyInputList"), 1):
            validate(doc, "simulator")
            policies.append(parse(doc, f"PolicyInputList.{i}", "IAM Policy"))
        return policies
    except PolicyError as error:
        raise SimulationError("MalformedPolicyDocument", str(error)) from None


def simulate(operation: str, params: dict) -> list[tuple[str, str, Decision]]:
    """(action, resource, decision) for every action x resource asked about."""
    actions = _list(params, "ActionNames")
    if not actions:
        raise SimulationError("ValidationError", "1 validation error detected: Value null at 'actionNames' failed to satisfy constraint: Member must not be null")
    resources = _list(params, "ResourceArns") or ["*"]
    context = _context(params)
    if operation == "SimulatePrincipalPolicy":
        source = params.get("PolicySourceArn", "")
        principal = _principal_for(params.get("CallerArn") or source)
        policies = _identity_policies(source) + _input_policies(params)
    else:
        policies = _input_policies(params)
        if not policies:
            raise SimulationError("ValidationError", "PolicyInputList must contain at least one policy.")
        if params.get("ResourcePolicy") and not params.get("CallerArn"):
            raise SimulationError("InvalidInput", "Invalid Input: CallerArn is required when a ResourcePolicy is given "
                                                  "(the ARN of the IAM user the simulation speaks for).")
        if ":assumed-role/" in params.get("CallerArn", "") or ":role/" in params.get("CallerArn", ""):
            raise SimulationError("InvalidInput", "Invalid Input: CallerArn must be the ARN of an IAM user; "
                                                  f"{params['CallerArn']} is not a user.")
        principal = _principal_for(params.get("CallerArn"))
    resource_policy = None
    if params.get("ResourcePolicy"):
        try:
            validate(params["ResourcePolicy"], "simulator-resource")
            resource_policy = parse(params["ResourcePolicy"], "ResourcePolicy", "resource")
        except PolicyError as error:
            raise SimulationError("MalformedPolicyDocument", str(error)) from None
    return [(action, resource, evaluate(Request(principal, action, resource, context), policies, resource_policy))
            for action in actions for resource in resources]


def _statements_xml(decision: Decision) -> str:
    members = "".join(
        f"<member><SourcePolicyId>{escape(s.source_id)}</SourcePolicyId><SourcePolicyType>{escape(s.source_type)}</SourcePolicyType>"
        f"<StartPosition><Line>{s.start.line}</Line><Column>{s.start.column}</Column></StartPosition>"
        f"<EndPosition><Line>{s.end.line}</Line><Column>{s.end.column}</Column></EndPosition></member>"
        for s in decision.matched)
    missing = "".join(f"<member>{escape(k)}</member>" for k in decision.missing_context)
    return f"<MatchedStatements>{members}</MatchedStatements><MissingContextValues>{missing}</MissingContextValues>"


def render(operation: str, results: list[tuple[str, str, Decision]]) -> str:
    members = []
    for action, resource, decision in results:
        statements = _statements_xml(decision)
        members.append(
            f"<member><EvalActionName>{escape(action)}</EvalActionName><EvalResourceName>{escape(resource)}</EvalResourceName>"
            f"<EvalDecision>{decision.decision}</EvalDecision>{statements}"
            f"<ResourceSpecificResults><member><EvalResourceName>{escape(resource)}</EvalResourceName>"
            f"<EvalResourceDecision>{decision.decision}</EvalResourceDecision>{statements}</member></ResourceSpecificResults>"
            f"</member>")
    return (f'<{operation}Response xmlns="{NAMESPACE}"><{operation}Result><IsTruncated>false</IsTruncated>'
            f"<EvaluationResults>{''.join(members)}</EvaluationResults></{operation}Result>"
            f"<ResponseMetadata><RequestId>{uuid.uuid4()}</RequestId></ResponseMetadata></{operation}Response>")


def respond(call: AwsCall) -> Response:
    try:
        body = render(call.operation, simulate(call.operation, call.params))
        return Response(body, content_type="text/xml")
    except (SimulationError, PolicyError, ConditionError) as error:
        return errors.Named(getattr(error, "code", "MalformedPolicyDocument"), getattr(error, "message", str(error)),
                            getattr(error, "status", 400), "iam").get_response()

