"""The local AWS sandbox: a private AWS account on 127.0.0.1, free and safe.

    from iamlab import sandbox
    info = sandbox.start()        # idempotent
    iam = sandbox.session().client("iam")
"""

from .manager import (  # noqa: F401
    SandboxError,
    account_version,
    activity,
    clear_activity,
    SandboxInfo,
    export_lines,
    learner_env,
    require,
    reset,
    session,
    start,
    status,
    stop,
)
from .settings import ACCOUNT_ID  # noqa: F401
