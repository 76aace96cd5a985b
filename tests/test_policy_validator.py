"""The one validator judged both ways: it accepts what AWS accepts (every AWS managed policy moto
ships) and refuses what AWS refuses, with AWS's words, at every door."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from iamlab.policy import MalformedPolicyDocument
from iamlab.policy.validator import DOORS, InvalidRepositoryPolicy, LimitExceeded, size, validate


def aws_managed_policies() -> dict[str, str]:
    """Read from moto's file, not its module: the sandbox, when it runs in this process, blanks
    the module's copy to save memory (``sandbox/lean.py``)."""
    import importlib.util

    import moto.iam

    spec = importlib.util.spec_from_file_location("managed_corpus", Path(moto.iam.__file__).with_name("aws_managed_policies.py"))
    corpus = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(corpus)
    return {name: json.dumps(entry["Document"]) for name, entry in json.loads(corpus.aws_managed_policies_data).items()}


def test_every_aws_managed_policy_moto_ships_is_accepted():
    corpus = aws_managed_policies()
    assert len(corpus) > 1000
    refused = {}
    for name, document in corpus.items():
        try:
            validate(document, "aws-managed")
        except (MalformedPolicyDocument, LimitExceeded) as error:
            refused[name] = str(error)
    assert refused == {}


def test_aws_managed_policies_within_the_customer_quota_pass_the_customer_door_too():
    fits = {name: doc for name, doc in aws_managed_policies().items() if size(doc) <= 6144}
    assert len(fits) > 900
    for name, document in fits.items():
        validate(document, "managed")


STATEMENT = {"Effect": "Allow", "Action": "ecr:ListImages", "Resource": "*"}


def doc(*statements) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


@pytest.mark.parametrize("door", ["managed", "role-inline", "user-inline", "group-inline", "simulator"])
@pytest.mark.parametrize("change, words", [
    ({"Sid": "a-b"}, "Statement IDs (SID) must be alpha-numeric"),
    ({"Action": "ecr"}, "Actions/Conditions must be prefaced by a vendor"),
    ({"Action": "ecr:a:b"}, "Actions/Condition can contain only one colon."),
    ({"Action": "ec*r:List"}, "Vendor ec*r is not valid"),
    ({"Resource": "repository/flask_app"}, 'Resource repository/flask_app must be in ARN format or "*".'),
    ({"Resource": "arn:aws:ec*:us-east-1:1:x"}, "Resource vendor must be fully qualified"),
])
def test_identity_doors_refuse_alike(door, change, words):
    with pytest.raises(MalformedPolicyDocument, match=None) as caught:
        validate(doc({**STATEMENT, **change}), door)
    assert words in str(caught.value)


def test_sids_are_unique_and_only_resource_policies_may_hold_other_characters():
    with pytest.raises(MalformedPolicyDocument, match="must be unique"):
        validate(doc({**STATEMENT, "Sid": "A"}, {**STATEMENT, "Sid": "A"}))
    resource = doc({"Sid": "Allow pull from CI", "Effect": "Allow", "Principal": "*", "Action": "ecr:BatchGetImage"})
    validate(resource, "repository")
    validate(doc({**STATEMENT, "Sid": "PullFlask2"}))


def test_quotas_count_characters_without_white_space():
    assert size('{ "Version" : "2012-10-17" ,\n  "Statement": [] }') == len('{"Version":"2012-10-17","Statement":[]}')
    assert DOORS["managed"].quota == 6144 and DOORS["role-inline"].quota == 10240 and DOORS["trust"].quota == 2048
    near = doc({**STATEMENT, "Action": [f"ecr:List{'x' * 50}{i}" for i in range(100)]})
    with pytest.raises(LimitExceeded, match="Cannot exceed quota for PolicySize: 6144"):
        validate(near, "managed")
    validate(near, "role-inline")
    with pytest.raises(LimitExceeded, match="Maximum policy size of 10240 bytes exceeded for role r"):
        validate(near, "role-inline", owner="r", used=5000)


def test_resource_policies_name_principals_that_exist():
    def exists(arn):
        return arn.endswith(":role/real")

    grant = {"Effect": "Allow", "Action": "ecr:BatchGetImage"}
    validate(doc({**grant, "Principal": {"AWS": "arn:aws:iam::123456789012:role/real"}}), "repository", principal_exists=exists)
    validate(doc({**grant, "Principal": {"AWS": "123456789012"}}), "repository", principal_exists=exists)
    for principal in ({"AWS": "real"}, {"AWS": "arn:aws:iam::123456789012:role/gone"},
                      {"AWS": "arn:aws:iam::123456789012:instance-profile/real"}, {"Everyone": "*"}):
        with pytest.raises(InvalidRepositoryPolicy, match="Invalid repository policy provided"):
            validate(doc({**grant, "Principal": principal}), "repository", principal_exists=exists)
    with pytest.raises(InvalidRepositoryPolicy):
        validate(doc({**grant, "Principal": "*", "Resource": "*"}), "repository")
    with pytest.raises(MalformedPolicyDocument, match="Has prohibited field Resource"):
        validate(doc({**grant, "Action": "sts:AssumeRole", "Principal": {"Service": "ec2.amazonaws.com"}, "Resource": "*"}), "trust")
