"""What every AWS client the course starts in sandbox mode sees instead of the learner's AWS setup.

Terraform's AWS provider, the AWS CLI, boto3 and skopeo all read more than their
environment: ``~/.aws/credentials``, ``~/.aws/config`` (profiles, roles to assume,
``credential_process``, SSO) and, when nothing else answers, the EC2 metadata service at
169.254.169.254. On a learner's laptop those lead to their real account. In the sandbox
each client gets none of it: no ``AWS_*`` variable of the learner's, empty shared config and
credentials files of the course's own (in the sandbox's private folder), and the metadata
service switched off.
"""

from __future__ import annotations

import os
from pathlib import Path

from .. import paths

CONFIG_FILE, CREDENTIALS_FILE = "config", "credentials"


def empty_files() -> tuple[Path, Path]:
    """The course's (empty, 0600) shared config and credentials files: made if missing, emptied
    if something wrote into them."""
    folder = paths.sandbox_dir() / "aws"
    folder.mkdir(mode=0o700, exist_ok=True)
    made = []
    for name in (CONFIG_FILE, CREDENTIALS_FILE):
        path = folder / name
        if path.is_symlink() or not path.is_file() or path.stat().st_size:
            path.unlink(missing_ok=True)
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        made.append(path)
    return made[0], made[1]


def isolation() -> dict[str, str]:
    """The variables that keep a client away from the learner's own AWS configuration."""
    config, credentials = empty_files()
    return {
        "AWS_CONFIG_FILE": str(config),
        "AWS_SHARED_CREDENTIALS_FILE": str(credentials),
        "AWS_EC2_METADATA_DISABLED": "true",
    }


def scrubbed(environ: dict[str, str] | None = None) -> dict[str, str]:
    """``environ`` (the process's, by default) without any ``AWS_*`` variable, plus ``isolation()``."""
    environ = dict(os.environ if environ is None else environ)
    env = {name: value for name, value in environ.items() if not name.startswith("AWS_")}
    env.update(isolation())
    return env
