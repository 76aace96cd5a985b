"""The custom policy at each step of lessons 03-04, as the policy editor holds it: the references'
``custom_policy.tf`` is written from these, and ``goto`` judges a learner's policy against them."""

from __future__ import annotations

from ..editor.model import ALL, REPO_PREFIX, PolicyModel, StatementModel
from ..facts import LOGIN, PULL, PULL_REPOSITORY


def seed_policy() -> PolicyModel:
    """Lesson 03's policy: the four pull actions, on every resource."""
    return PolicyModel(statements=[StatementModel("Allow", [LOGIN, *PULL], [ALL])])


def referenced_policy(repository: str = PULL_REPOSITORY) -> PolicyModel:
    """Lesson 04, step 1: the same four actions, now on one repository, named by reference.
    (The login is still in the statement: step 2 shows why that fails.)"""
    return PolicyModel(statements=[StatementModel("Allow", [LOGIN, *PULL], [f"{REPO_PREFIX}{repository}"])])


def least_privilege_policy(repository: str = PULL_REPOSITORY) -> PolicyModel:
    """Lesson 04's answer: login on "*", pull on one repository."""
    return PolicyModel(statements=[
        StatementModel("Allow", [LOGIN], [ALL], "Login"),
        StatementModel("Allow", list(PULL), [f"{REPO_PREFIX}{repository}"], "PullOneRepository"),
    ])
