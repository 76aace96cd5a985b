"""Where moto's EC2 differs from EC2 in ways Terraform notices, made to answer as EC2 does.

Found by applying, re-planning and destroying real configurations (the ec2-instance module's
examples, issue 20):

* ``DescribeInstances`` has no ``EnclaveOptions``; EC2 always reports ``{"Enabled": false}``,
  and without it the AWS provider plans ``+ enclave_options {}`` after every apply.
* An instance launched through a network-interface specification (the provider launches that
  way whenever ``associate_public_ip_address`` is set) reports ``SecurityGroups: []``; EC2
  reports the groups of its primary network interface.
* A network interface created by ``RunInstances`` stays attached after its instance is
  terminated. On EC2 such an interface is deleted with the instance (``DeleteOnTermination``
  is true unless the launch said otherwise) and any other one is detached: the subnet, group
  and VPC can then be destroyed. moto kept it ``in-use`` and refused to detach it
  (``OperationNotPermitted``), so ``terraform destroy`` failed and left the VPC behind.

Installed by ``moto_ext`` (the one door to moto's insides), like ``policy_uploads``.
"""

from __future__ import annotations

from moto.ec2.models.instances import Instance


def _prep_nics(original):
    def prep_nics(self, nic_spec, *args, **kwargs):
        original(self, nic_spec, *args, **kwargs)
        given = {int(nic.get("DeviceIndex", 0)): nic for nic in nic_spec or []}
        for index, eni in self.nics.items():
            spec = given.get(index, {})
            if spec.get("NetworkInterfaceId"):
                continue  # an existing interface keeps its own setting
            eni.delete_on_termination = spec.get("DeleteOnTermination") is not False
        if not self.security_groups and 0 in self.nics:
            self.security_groups = list(self.nics[0]._group_set)
    return prep_nics


def _terminate(original):
    def terminate(self):
        previous = original(self)
        for eni in list(self.nics.values()):
            if eni.instance is self and eni.id in self.ec2_backend.enis:  # not deleted with it: detached
                eni.instance, eni.attachment_id, eni.attach_time = None, None, None
                eni.status = "available"
        return previous
    return terminate


def install() -> None:
    if getattr(Instance, "_iamlab_ec2_gaps", False):
        return
    Instance.prep_nics = _prep_nics(Instance.prep_nics)
    Instance.terminate = _terminate(Instance.terminate)
    Instance.enclave_options = {"Enabled": False}
    Instance._iamlab_ec2_gaps = True
