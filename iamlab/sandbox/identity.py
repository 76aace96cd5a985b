"""The sandbox plays the EC2 service: it gives an instance its role's credentials.

On AWS, an instance wearing an instance profile gets temporary credentials for the
profile's role from its metadata service, provided the role's trust policy lets
``ec2.amazonaws.com`` assume it. The sandbox does the same, with the instance id
as the session name, so requests signed with those credentials come from
``arn:aws:sts::ACCOUNT:assumed-role/ROLE/i-...``, exactly as on AWS.
"""

from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone

from ..policy import Principal, Request, evaluate, parse
from . import moto_ext, settings

EC2_SERVICE = "ec2.amazonaws.com"


class NoCredentials(Exception):
    """The instance gets no credentials; ``code`` as the metadata service reports it."""

    def __init__(self, code: str, message: str, status: int = 404):
        super().__init__(message)
        self.code, self.message, self.status = code, message, status


def _iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


class InstanceCredentials:
    """Credentials per instance, reused until close to expiry (as the metadata service does)."""

    def __init__(self, region: str):
        self.region = region
        self._issued: dict[str, moto_ext.SessionView] = {}
        self._lock = threading.Lock()

    def forget(self) -> None:
        with self._lock:
            self._issued.clear()

    def role_for(self, instance_id: str) -> moto_ext.RoleView:
        found = moto_ext.instance(self.region, instance_id)
        if found is None:
            raise NoCredentials("InstanceNotFound", f"There is no instance {instance_id} in this account.")
        if found.state != "running":
            raise NoCredentials("InstanceNotRunning", f"Instance {instance_id} is {found.state}, not running.")
        if not found.profile_arn:
            raise NoCredentials(
                "NoInstanceProfile",
                f"Instance {instance_id} has no instance profile, so its metadata service offers no credentials. "
                "Give the aws_instance an iam_instance_profile and apply.")
        if not found.role_names:
            raise NoCredentials(
                "NoRoleInProfile",
                f"The instance profile {found.profile_arn.rsplit('/', 1)[-1]} holds no role. "
                "Set the profile's role and apply.")
        role = moto_ext.role(found.role_names[0])
        if role is None:
            raise NoCredentials("NoSuchRole", f"The role {found.role_names[0]} in the instance profile no longer exists.")
        return role

    def check_trust(self, role: moto_ext.RoleView) -> None:
        trust = parse(role.trust_policy, f"{role.name} trust policy", "resource")
        decision = evaluate(Request(Principal.aws_service(EC2_SERVICE), "sts:AssumeRole", role.arn), [], trust)
        if not decision.allowed:
            raise NoCredentials(
                "AssumeRoleUnauthorizedAccess",
                f"EC2 cannot assume the role {role.name}: its trust policy does not allow the principal "
                f"{EC2_SERVICE} to perform sts:AssumeRole. Fix the role's assume_role_policy and apply.",
                status=403)

    def issue(self, instance_id: str) -> dict:
        """The metadata service's credentials document for this instance."""
        role = self.role_for(instance_id)
        self.check_trust(role)
        with self._lock:
            session = self._issued.get(instance_id)
            fresh_until = datetime.now(timezone.utc) + timedelta(minutes=15)
            if session is None or session.role_arn != role.arn or _aware(session.expiration) < fresh_until \
                    or moto_ext.session_for_access_key(session.access_key_id) is None:
                session = moto_ext.assume_role(self.region, role.arn, instance_id)
                self._issued[instance_id] = session
        return {
            "Code": "Success",
            "LastUpdated": _iso(datetime.now(timezone.utc)),
            "Type": "AWS-HMAC",
            "AccessKeyId": session.access_key_id,
            "SecretAccessKey": session.secret_access_key,
            "Token": session.session_token,
            "Expiration": _iso(_aware(session.expiration)),
        }


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def principal_for_access_key(access_key_id: str | None) -> Principal | None:
    """The role session behind temporary credentials, or None for the learner's own keys."""
    if not access_key_id:
        return None
    session = moto_ext.session_for_access_key(access_key_id)
    if session is None:
        return None
    role_name = session.role_arn.rsplit("/", 1)[-1]
    path = "/" + session.role_arn.split(":role/", 1)[1].rsplit("/", 1)[0] + "/" if session.role_arn.count("/") > 1 else "/"
    return Principal.role_session(settings.ACCOUNT_ID, role_name, session.session_name, path=path.replace("//", "/"))


def session_expired(access_key_id: str) -> bool:
    session = moto_ext.session_for_access_key(access_key_id)
    return session is not None and _aware(session.expiration) < datetime.now(timezone.utc)
