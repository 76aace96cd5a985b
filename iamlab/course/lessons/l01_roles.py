"""01 · Roles and instance profiles: the role, its trust policy, the profile, the instance."""

from __future__ import annotations

from ... import facts
from ..record import Exercise, Grade, Lesson, Record, Stage
from ..slips import Expected, principal_answer_slips


def _trust(account, answer) -> Grade:
    trust = account.client("iam").get_role(RoleName=facts.ROLE)["Role"]["AssumeRolePolicyDocument"]
    services = {s for st in trust["Statement"] for s in ([st["Principal"]["Service"]] if isinstance(st["Principal"].get("Service"), str)
                                                          else st["Principal"].get("Service", []))}
    given = str(answer or "").strip()
    if not given:
        return Grade([(False, "no answer yet: type the principal's name between the quotes")])
    right = given in services
    found = [] if right else [s for service in sorted(services)[:1]
                              for s in principal_answer_slips(given, Expected(account.id, account.region), service)]
    return Grade([(right, f"{given} is {'indeed' if right else 'not'} the principal the trust policy names")], slips=found)


TRUST = Exercise("01-trust", _trust, answer="ec2.amazonaws.com")

RECORD = Record(
    Lesson("01", "roles-and-instance-profiles", "Roles and instance profiles", (
        "explain what an IAM role is, and why a machine should use one instead of access keys;",
        "read a trust policy and say who may assume the role;",
        "explain why EC2 needs an instance profile, and who may hand it to an instance (`iam:PassRole`);",
        "create the role, the profile and the instance with `terraform apply`, and find each in the account with boto3;",
        "see the role at work: the temporary credentials the instance gets from its metadata service (IMDSv2).",
    ), "01",
        summary="create the role, its trust policy, the instance profile and the instance"),
    Stage(True, None, apply=False),
    (TRUST,),
)
