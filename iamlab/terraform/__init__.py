"""Terraform for the course: the learner's working copy, the sandbox override,
the CLI config, and a driver that streams and explains."""

from .driver import Driver, Result, TerraformBusy, TerraformFailed, print_sink  # noqa: F401
from . import cliconfig, override, workspace  # noqa: F401
