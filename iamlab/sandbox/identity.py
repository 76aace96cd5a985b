"""The sandbox plays the EC2 service: it gives an instance its role's credentials.

On AWS, an instance wearing an instance profile gets temporary credentials for the
profile's role from its metadata service, provided the role's trust policy lets
``ec2.amazonaws.com`` assume it. The sandbox does the same, with the instance id
as the session name, so requests signed with those credentials come from
``arn:aws:sts::ACCOUNT:assumed-role/ROLE/i-...``, exactly as on AWS.
"""

from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from ..policy import PolicyError, Principal, Request, evaluate, parse
from . import moto_ext, principal_ids, settings

EC2_SERVICE = "ec2.amazonaws.com"


class NoCredentials(Exception):
    """The instance gets no credentials; ``code`` as the metadata service reports it."""

    def __init__(self, code: str, message: str, status: int = 404):
        super().__init__(message)
        self.code, self.message, self.status = code, message, status


def _iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


class InstanceCredentials:
    """Credentials per instance, reused until close to expiry (as the metadata service does).

    IMDSv2: ``token(instance, ttl)`` answers ``PUT /latest/api/token``; an instance whose
    ``metadata_options`` say ``http_tokens = "required"`` gives credentials only to a request
    carrying such a token, exactly as on EC2."""

    MAX_TOKEN_TTL = 21600

    def __init__(self, region: str):
        self.region = region
        self._issued: dict[str, moto_ext.SessionView] = {}
        self._tokens: dict[str, tuple[str, float]] = {}  # token -> (instance id, expiry)
        self._lock = threading.Lock()

    def forget(self) -> None:
        with self._lock:
            self._issued.clear()
            self._tokens.clear()

    def instance_of(self, access_key: str) -> str | None:
        """The instance whose metadata service issued this access key, if any."""
        with self._lock:
            return next((i for i, s in self._issued.items() if s.access_key_id == access_key), None)

    def token(self, instance_id: str, ttl: str | None) -> str:
        seconds = int(ttl) if ttl and ttl.isascii() and ttl.isdigit() else 0  # "6_0", " 60", "+60": refused
        if not 1 <= seconds <= self.MAX_TOKEN_TTL:
            raise NoCredentials("InvalidTokenTTL", "X-aws-ec2-metadata-token-ttl-seconds must be between 1 and 21600.", 400)
        token = secrets.token_urlsafe(32)
        with self._lock:
            self._tokens[token] = (instance_id, time.time() + seconds)
        return token

    def check_token(self, instance_id: str, token: str | None) -> None:
        found = moto_ext.instance(self.region, instance_id)
        with self._lock:
            holder = self._tokens.get(token or "")
        valid = holder is not None and holder[0] == instance_id and holder[1] > time.time()
        if token and not valid:
            raise NoCredentials("Unauthorized", "The metadata session token is invalid or expired: PUT /latest/api/token again.", 401)
        if not token and found is not None and found.http_tokens == "required":
            raise NoCredentials(
                "Unauthorized",
                f"Instance {instance_id} requires IMDSv2 (metadata_options http_tokens = \"required\"): "
                "PUT /latest/api/token first, then send the token as X-aws-ec2-metadata-token.", 401)

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
        try:
            trust = parse(role.trust_policy, f"{role.name} trust policy", "resource")
        except (PolicyError, ValueError, TypeError) as error:
            raise NoCredentials(
                "AssumeRoleUnauthorizedAccess",
                f"EC2 cannot assume the role {role.name}: its trust policy is not a valid policy ({error}). "
                "Fix the role's assume_role_policy and apply.", status=403) from None
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


def _principal_of(session: moto_ext.SessionView) -> Principal:
    role_name = session.role_arn.rsplit("/", 1)[-1]
    path = "/" + session.role_arn.split(":role/", 1)[1].rsplit("/", 1)[0] + "/" if session.role_arn.count("/") > 1 else "/"
    return Principal.role_session(settings.ACCOUNT_ID, role_name, session.session_name, path=path.replace("//", "/"),
                                  unique_id=principal_ids.unique_id(session.role_arn))


@dataclass(frozen=True)
class Signer:
    """Who holds an access key, and the secret that must have signed with it."""

    principal: Principal
    secret: str
    admin: bool
    session_token: str | None = None
    expires: datetime | None = None
    active: bool = True  # an IAM user's key set Inactive signs nothing
    issued: datetime | None = None  # temporary credentials: when STS made them (aws:TokenIssueTime)

    @property
    def expired(self) -> bool:
        return self.expires is not None and self.expires < datetime.now(timezone.utc)


class Learner:
    """The learner's own keys: an IAM user with AdministratorAccess (see ``moto_ext.create_learner``)."""

    def __init__(self, key_id: str, secret: str, user_name: str = settings.LEARNER_USER):
        self.key_id, self.secret, self.user_name = key_id, secret, user_name
        self.arn = f"arn:aws:iam::{settings.ACCOUNT_ID}:user/{user_name}"

    def create(self, region: str) -> None:
        moto_ext.create_learner(region, self.user_name, self.key_id, self.secret)

    @property
    def principal(self) -> Principal:
        return user_principal(self.arn)


def signer_for(access_key: str | None, learner: Learner) -> Signer | None:
    """The learner, a role session the sandbox issued, an IAM user's access key (``aws iam
    create-access-key``: that user's policies decide), or None (a key nobody holds)."""
    if not access_key:
        return None
    if secrets.compare_digest(access_key, learner.key_id):
        return Signer(learner.principal, learner.secret, admin=True)
    session = moto_ext.session_for_access_key(access_key)
    if session is not None:
        return Signer(_principal_of(session), session.secret_access_key, admin=False,
                      session_token=session.session_token, expires=_aware(session.expiration),
                      issued=_aware(session.issued) if session.issued else None)
    key = moto_ext.user_access_key(access_key)
    if key is None:
        return None
    return Signer(user_principal(key.user_arn), key.secret_access_key, admin=False, active=key.status == "Active")


def user_principal(user_arn: str) -> Principal:
    return Principal(arn=user_arn, identity_arn=user_arn, account=settings.ACCOUNT_ID,
                     unique_id=principal_ids.unique_id(user_arn))


def signer_keys(signer: Signer, region: str, instance_id: str | None = None) -> dict[str, str]:
    """The context keys that come with the credentials (AWS's global condition keys page):
    temporary credentials carry ``aws:TokenIssueTime`` and ``aws:MultiFactorAuthPresent``
    (false: no MFA in the sandbox); an instance's role credentials carry the instance's VPC
    and private address (``aws:Ec2InstanceSourceVPC``, ``aws:Ec2InstanceSourcePrivateIPv4``)."""
    if signer.issued is None:
        return {}
    keys = {"aws:TokenIssueTime": _iso(signer.issued), "aws:MultiFactorAuthPresent": "false"}
    if instance_id:  # the metadata service issued these credentials to this instance
        network = moto_ext.instance_network(region, instance_id)
        if network is not None:
            vpc, address = network
            if vpc:
                keys["aws:Ec2InstanceSourceVPC"] = vpc
            if address:
                keys["aws:Ec2InstanceSourcePrivateIPv4"] = address
    return keys


def credentials_expiry(access_key: str | None) -> float | None:
    """When temporary credentials expire (epoch seconds), None for long-term keys: a registry
    token made with them must not outlive them."""
    session = moto_ext.session_for_access_key(access_key) if access_key else None
    return _aware(session.expiration).timestamp() if session else None
