"""moto's gaps that real configurations hit (issue 20), closed: each as EC2 and IAM answer."""

from __future__ import annotations

import uuid

import pytest
from botocore.exceptions import ClientError

from iamlab import sandbox


@pytest.fixture
def ec2(shared_sandbox):
    return sandbox.session(shared_sandbox).client("ec2")


@pytest.fixture
def iam(shared_sandbox):
    return sandbox.session(shared_sandbox).client("iam")


@pytest.fixture
def network(ec2):
    """A VPC, a subnet and a security group, as the ec2-instance module's examples make them."""
    vpc = ec2.create_vpc(CidrBlock="10.42.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.42.1.0/24")["Subnet"]["SubnetId"]
    group = ec2.create_security_group(GroupName=f"web-{uuid.uuid4().hex[:8]}", Description="web", VpcId=vpc)["GroupId"]
    image = ec2.describe_images(Owners=["amazon"])["Images"][0]["ImageId"]
    return vpc, subnet, group, image


def _launch_with_interface_spec(ec2, subnet, group, image, **interface):
    """How the AWS provider launches an instance with ``associate_public_ip_address`` set."""
    spec = {"DeviceIndex": 0, "AssociatePublicIpAddress": True, "SubnetId": subnet, "Groups": [group], **interface}
    return ec2.run_instances(ImageId=image, MinCount=1, MaxCount=1, InstanceType="t3.micro",
                             NetworkInterfaces=[spec])["Instances"][0]["InstanceId"]


def _described(ec2, instance_id):
    return ec2.describe_instances(InstanceIds=[instance_id])["Reservations"][0]["Instances"][0]


def test_instances_report_enclave_options(ec2, network):
    _, subnet, group, image = network
    instance_id = ec2.run_instances(ImageId=image, MinCount=1, MaxCount=1, SubnetId=subnet,
                                    SecurityGroupIds=[group])["Instances"][0]["InstanceId"]
    assert _described(ec2, instance_id)["EnclaveOptions"] == {"Enabled": False}


def test_an_instance_launched_through_an_interface_spec_reports_the_interfaces_groups(ec2, network):
    _, subnet, group, image = network
    instance = _described(ec2, _launch_with_interface_spec(ec2, subnet, group, image))
    assert [g["GroupId"] for g in instance["SecurityGroups"]] == [group]
    assert [g["GroupId"] for g in instance["NetworkInterfaces"][0]["Groups"]] == [group]
    assert instance["NetworkInterfaces"][0]["Attachment"]["DeleteOnTermination"] is True  # EC2's default at launch


def test_terminating_an_instance_deletes_its_launch_interface_and_lets_the_network_go(ec2, network):
    vpc, subnet, group, image = network
    instance_id = _launch_with_interface_spec(ec2, subnet, group, image)
    ec2.terminate_instances(InstanceIds=[instance_id])
    assert ec2.describe_network_interfaces(Filters=[{"Name": "subnet-id", "Values": [subnet]}])["NetworkInterfaces"] == []
    assert _described(ec2, instance_id)["State"]["Name"] == "terminated"
    ec2.delete_security_group(GroupId=group)
    ec2.delete_subnet(SubnetId=subnet)
    ec2.delete_vpc(VpcId=vpc)  # what `terraform destroy` does next: nothing is left behind


def test_an_interface_kept_on_termination_is_detached_not_left_in_use(ec2, network):
    _, subnet, group, image = network
    instance_id = _launch_with_interface_spec(ec2, subnet, group, image, DeleteOnTermination=False)
    ec2.terminate_instances(InstanceIds=[instance_id])
    [eni] = ec2.describe_network_interfaces(Filters=[{"Name": "subnet-id", "Values": [subnet]}])["NetworkInterfaces"]
    assert eni["Status"] == "available" and "Attachment" not in eni
    ec2.delete_network_interface(NetworkInterfaceId=eni["NetworkInterfaceId"])


def test_a_user_with_everything_force_destroy_removes_can_be_destroyed(iam):
    """The AWS provider's force_destroy path for aws_iam_user, call by call."""
    name = f"vasya-{uuid.uuid4().hex[:8]}"
    iam.create_user(UserName=name)
    iam.create_login_profile(UserName=name, Password="Sandbox-Passw0rd!", PasswordResetRequired=False)
    iam.create_access_key(UserName=name)
    iam.upload_ssh_public_key(UserName=name, SSHPublicKeyBody=SSH_KEY)
    assert iam.list_service_specific_credentials(UserName=name)["ServiceSpecificCredentials"] == []
    for key in iam.list_access_keys(UserName=name)["AccessKeyMetadata"]:
        iam.delete_access_key(UserName=name, AccessKeyId=key["AccessKeyId"])
    for key in iam.list_ssh_public_keys(UserName=name)["SSHPublicKeys"]:
        iam.delete_ssh_public_key(UserName=name, SSHPublicKeyId=key["SSHPublicKeyId"])
    assert iam.list_mfa_devices(UserName=name)["MFADevices"] == []
    assert iam.list_signing_certificates(UserName=name)["Certificates"] == []
    assert iam.list_virtual_mfa_devices(AssignmentStatus="Assigned")["VirtualMFADevices"] == []
    iam.delete_login_profile(UserName=name)
    iam.delete_user(UserName=name)
    with pytest.raises(ClientError, match="NoSuchEntity"):
        iam.get_user(UserName=name)


def test_service_specific_credentials_of_a_missing_user_or_id_are_no_such_entity(iam):
    with pytest.raises(ClientError, match="NoSuchEntity"):
        iam.list_service_specific_credentials(UserName="nobody-at-all")
    name = f"u-{uuid.uuid4().hex[:8]}"
    iam.create_user(UserName=name)
    with pytest.raises(ClientError, match="NoSuchEntity"):
        iam.delete_service_specific_credential(UserName=name, ServiceSpecificCredentialId="ACCA12345678901234567")
    iam.delete_user(UserName=name)


def test_a_service_moto_lacks_is_refused_in_words_that_say_so(shared_sandbox):
    public = sandbox.session(shared_sandbox).client("ecr-public", region_name="us-east-1")
    with pytest.raises(ClientError) as refused:
        public.describe_repositories()
    error = refused.value.response["Error"]
    assert error["Code"] == "NotOfferedException"  # the JSON protocol's name (NotOffered in XML)
    assert "does not offer the ecr-public service" in error["Message"] and "IAMLAB_MODE=aws" in error["Message"]


SSH_KEY = ("ssh-rsa AAAAB3NzaC1yc2EAAAABIwAAAQEA0sUjdTEcOWYgQ7ESnHsSkvPUO2tEvZxxQHUZYh9j6BPZgfn13iYhfAP2cfZznzrV+2VMamMtfiA"
           "iWR39LKo/bMN932HOp2Qx2la14IbiZ91666FD+yZ4+vhR2IVhZMe4D+g8FmhCfw1+zZhgl8vQBgsRZIcYqpYux59FcPv0lP1EhYahoRsUt1SEU2Gj+jv"
           "gyZpe15lnWk2VzfIpIsZ++AeUqyHoJHV0RVOK4MLRssqGHye6XkA3A+dMm2Mjgi8hxoL5uuwtkIsAll0kSfL5O2G26nsxm/Fpcl+SKSO4gs01d9V83x"
           "iOwviyOxmoXzwKy4qaUGtgq1hWncDNIVG/aQ== test@example.com")
