"""iamlab: learn AWS IAM roles, instance profiles and ECR policies with real Terraform.

The flow of data through the package, one direction only:

    learner (a %%tf cell or the policy editor) -> working copy (the learner's .tf files)
            -> terraform driver (own CLI config, sandbox override file)
            -> sandbox (moto + the course's access engine + a registry)
            -> checks acting as the instance -> access matrix and diagram

In a notebook:

    import iamlab
    lab = iamlab.start()                       # also makes %%tf available
    iamlab.check("04-scope")                   # grades your own work
    iamlab.solution("04-scope")                # shows the reference (collapsed)
    iamlab.predict("05-predict", {...})        # write your prediction down first
"""

__version__ = "0.1.0"


def start():
    """Start the course in a notebook: ``lab = iamlab.start()`` (and the ``%%tf`` cell magic)."""
    from .course import magic
    from .lab import start as _start

    magic.register()
    return _start()


def check(name, answer=None):
    """Grade an exercise from your own work: ``check("04-scope")``, or ``check("02-browse", answer)``."""
    from .course.checks import check as _check

    return _check(name, answer)


def solution(name, apply=False):
    """Show an exercise's reference solution; ``apply=True`` writes it into your working copy and applies it."""
    from .course.checks import solution as _solution

    return _solution(name, apply=apply)


def predict(name, answers):
    """Record a prediction before you see the answer: ``predict("05-predict", {"login": "allowed", ...})``."""
    from .course.predictions import predict as _predict

    return _predict(name, answers)


def load_ipython_extension(ipython):
    """``%load_ext iamlab``: registers the ``%%tf`` cell magic."""
    from .course import magic

    magic.register(ipython)
