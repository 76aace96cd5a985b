"""Each process reads botocore's data once.

The sandbox reads each service's API model once, and shares it with moto.

botocore's ``get_session()`` makes a new session on every call; the sandbox once asked it
for the model on each new operation, so every first DescribeImages, RunInstances, ...
read EC2's whole model again (15 MiB of JSON) and left the sandbox ~80 MiB larger after
one apply (docs/benchmarks.md, "Memory per part").

The notebook's sessions (you, the instance, each pull) share one botocore loader: each
new session would otherwise read botocore's endpoints and models again (~9 MiB each).
"""

from __future__ import annotations

import botocore.loaders

from iamlab.sandbox import enforcement, errors, manager, moto_ext


def test_one_model_per_service_shared_with_moto():
    from moto.core.utils import get_service_model

    assert moto_ext.service_model("ec2") is get_service_model("ec2")


def test_new_operations_do_not_read_the_model_again(monkeypatch):
    moto_ext.service_model("ec2")  # moto has read it once for this process
    reads = []
    original = botocore.loaders.Loader.load_service_model

    def counted(self, service_name, *args, **kwargs):
        reads.append(service_name)
        return original(self, service_name, *args, **kwargs)

    monkeypatch.setattr(botocore.loaders.Loader, "load_service_model", counted)
    enforcement._known_operation.cache_clear()
    enforcement._input_members.cache_clear()
    errors._model_protocol.cache_clear()
    for operation in ("DescribeImages", "RunInstances", "DescribeInstances", "DescribeInstanceTypes"):
        assert enforcement._known_operation("ec2", operation)
        assert enforcement._input_members("ec2", operation)
    assert not enforcement._known_operation("ec2", "LaunchRocket")
    assert errors._model_protocol("ec2") == "ec2"
    assert reads == []


def test_sessions_share_one_loader_and_still_hold_their_own_keys():
    you = manager.boto3_session(aws_access_key_id="AKIDYOU", aws_secret_access_key="s1", region_name="us-east-1")
    instance = manager.boto3_session(aws_access_key_id="ASIAINSTANCE", aws_secret_access_key="s2",
                                     aws_session_token="t", region_name="us-east-1")
    loader = you._session.get_component("data_loader")
    assert instance._session.get_component("data_loader") is loader
    assert you.get_credentials().access_key == "AKIDYOU"
    assert instance.get_credentials().token == "t"
    assert you.client("ecr", endpoint_url="http://127.0.0.1:9").meta.service_model.service_name == "ecr"
