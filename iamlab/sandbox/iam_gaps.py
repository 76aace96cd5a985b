"""IAM operations moto lacks that real configurations need, in moto's style (a response method).

The AWS provider destroys an ``aws_iam_user`` with ``force_destroy`` by listing and removing
everything the user may own: access keys, SSH keys, MFA devices, signing certificates, its
login profile, and service-specific credentials (CodeCommit, Keyspaces). moto has every one of
those operations but the last two: ``ListServiceSpecificCredentials`` failed, so the user could
not be destroyed (issue 20). moto cannot create service-specific credentials, so a user never
has any: the list is empty, and deleting one is ``NoSuchEntity``, as on IAM for an unknown id.

Installed by ``moto_ext``.
"""

from __future__ import annotations

from moto.core.responses import ActionResult
from moto.iam.exceptions import NoSuchEntity
from moto.iam.responses import IamResponse


def _list_service_specific_credentials(self: IamResponse) -> ActionResult:
    user_name = self._get_param("UserName")
    if user_name:
        self.backend.get_user(user_name)  # NoSuchEntity for a user that does not exist, as IAM answers
    return ActionResult({"ServiceSpecificCredentials": []})


def _delete_service_specific_credential(self: IamResponse) -> ActionResult:
    user_name = self._get_param("UserName")
    if user_name:
        self.backend.get_user(user_name)
    raise NoSuchEntity(
        f"No such service specific credential: {self._get_param('ServiceSpecificCredentialId')}")


def install() -> None:
    IamResponse.list_service_specific_credentials = _list_service_specific_credentials
    IamResponse.delete_service_specific_credential = _delete_service_specific_credential
