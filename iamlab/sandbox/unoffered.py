"""Services the sandbox does not offer: refused in words that say so.

The override sends every service the AWS provider knows to the sandbox (nothing may reach
AWS), but moto serves only some of them. For a service moto lacks, its dispatcher finds no
backend and fails inside (an ``AttributeError`` that used to reach the learner as
``InternalFailure``). Before moto runs, the server asks moto's own dispatcher whether a backend
serves the signed service; if none does, the answer is ``errors.NotOffered``, naming the service.
"""

from __future__ import annotations

from . import errors

# What the course relies on, named first in the refusal; moto serves many more.
COURSE_SERVICES = ("iam", "sts", "ec2", "ecr")


def offered(dispatcher, environ: dict) -> bool:
    """Does moto have a backend for this (signed) request? Asked the way moto's dispatcher asks."""
    try:
        host = dispatcher.infer_service_region_host(environ, environ.get("PATH_INFO", ""))
        return host is not None and dispatcher.get_backend_for_host(host) is not None
    except Exception:  # moto could not tell (a malformed request): let moto answer it
        return True


def check(dispatcher, environ: dict, service: str, protocol: str) -> None:
    """Raise ``errors.NotOffered`` when no moto backend serves ``service``."""
    if not offered(dispatcher, environ):
        raise errors.NotOffered.for_service(
            service, ", ".join(COURSE_SERVICES) + " and the other services moto emulates", protocol)
