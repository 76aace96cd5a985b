"""iamlab: learn AWS IAM roles, instance profiles and ECR policies with real Terraform.

The flow of data through the package, one direction only:

    widgets -> workspace (policy input in the learner's Terraform copy)
            -> terraform driver (own CLI config, sandbox override file)
            -> sandbox (moto + the course's access engine + a registry)
            -> checks acting as the instance -> access matrix and diagram
"""

__version__ = "0.1.0"


def start():
    """Start the course in a notebook: ``lab = iamlab.start()``."""
    from .lab import start as _start

    return _start()


def check(name, answer=None):
    """Check an exercise: ``check("04-scope")``."""
    from .course.checks import check as _check

    return _check(name, answer)


def solution(name):
    """Reveal (and if needed apply) an exercise's reference solution."""
    from .course.checks import solution as _solution

    return _solution(name)
