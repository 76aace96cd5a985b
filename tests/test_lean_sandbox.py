"""The lean sandbox still holds every AWS managed policy with its real document, in every reset,
and every instance type its own region offers."""

from __future__ import annotations

import json

from iamlab.sandbox import lean, moto_ext


def _documents() -> dict[str, str]:
    found = {}
    for policy in moto_ext.iam().aws_managed_policies:
        version = next(v for v in policy.versions if v.version_id == policy.default_version_id)
        found[policy.arn] = version.document
    return found


def test_managed_policies_survive_compression_and_resets():
    from moto.iam import aws_managed_policies

    source = aws_managed_policies.aws_managed_policies_data or None
    moto_ext.reset_all()
    before = _documents()
    lean.release_unused("us-east-1")
    assert aws_managed_policies.aws_managed_policies_data == ""  # the 4 MB string is gone
    moto_ext.reset_all()  # a sandbox reset builds the account again, from the compressed source
    after = _documents()
    assert after == before and len(after) > 1000
    arn = "arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly"
    statement = json.loads(after[arn])["Statement"][0]
    assert "ecr:BatchGetImage" in statement["Action"] and statement["Resource"] == "*"
    if source:
        assert len(json.loads(source)) == len(after)


def test_instance_offerings_of_the_sandbox_region_stay():
    from moto.ec2.models import instance_types

    region = instance_types.INSTANCE_TYPE_OFFERINGS["region"]
    before = len(region.get("us-east-1", []))
    lean.trim_instance_offerings("us-east-1")
    assert set(region) == {"us-east-1"} and len(region["us-east-1"]) == before > 100
    zones = instance_types.INSTANCE_TYPE_OFFERINGS["availability-zone"]
    assert set(zones) == {"us-east-1"} and any(o["InstanceType"] == "t2.micro" for o in zones["us-east-1"])
