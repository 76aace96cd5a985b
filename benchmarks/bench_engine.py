"""Decisions per second of the policy engine (iamlab/policy), in process.

    python benchmarks/bench_engine.py [--repeat 7] [--label NAME]

Two workloads, each a cycle of requests evaluated against fixed policies:

* ``lesson``: the managed read-only policy, the lesson's split custom policy, a
  conditional Deny and a repository policy, over the lesson's actions on both
  repositories (the same mix as bench_access.py's engine figure);
* ``variables``: policies that use what the fidelity work added: variables with
  defaults, the ``${*}`` escape, ArnEquals with wildcards, IfExists and qualifiers.

Appends one entry per run to benchmarks/results/engine.json (label, workload, rate),
so a run on an older tree (``PYTHONPATH=old/tree``) sits beside the current one.
"""

from __future__ import annotations

import argparse
import itertools
import json
import platform
import time
import timeit
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ACCOUNT = "123456789012"
FLASK = f"arn:aws:ecr:us-east-1:{ACCOUNT}:repository/flask_app"
REPORTS = f"arn:aws:ecr:us-east-1:{ACCOUNT}:repository/reports_app"
PULL = ["ecr:BatchGetImage", "ecr:BatchCheckLayerAvailability", "ecr:GetDownloadUrlForLayer"]
SPLIT = {"Version": "2012-10-17", "Statement": [
    {"Sid": "Login", "Effect": "Allow", "Action": "ecr:GetAuthorizationToken", "Resource": "*"},
    {"Sid": "Pull", "Effect": "Allow", "Action": PULL, "Resource": FLASK},
]}
DENY = {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "ecr:Put*", "Resource": "*",
                                                "Condition": {"StringNotEquals": {"aws:RequestedRegion": "eu-west-1"}}}]}
REPO_POLICY = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:role/ec2-ecr-role"},
                                                       "Action": "ecr:ListImages"}]}
READ_ONLY = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": [
    "ecr:GetAuthorizationToken", "ecr:BatchCheckLayerAvailability", "ecr:GetDownloadUrlForLayer", "ecr:GetRepositoryPolicy",
    "ecr:DescribeRepositories", "ecr:ListImages", "ecr:DescribeImages", "ecr:BatchGetImage", "ecr:GetLifecyclePolicy",
    "ecr:GetLifecyclePolicyPreview", "ecr:ListTagsForResource", "ecr:DescribeImageScanFindings"], "Resource": "*"}]}
VARIABLES = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": PULL, "Resource": f"arn:aws:ecr:*:{ACCOUNT}:repository/${{aws:PrincipalTag/app, 'flask_app'}}"},
    {"Effect": "Allow", "Action": "ecr:List*", "Resource": "*",
     "Condition": {"ArnEquals": {"aws:PrincipalArn": f"arn:aws:iam::{ACCOUNT}:role/ec2-*"},
                   "StringEqualsIfExists": {"aws:ResourceTag/app": "${aws:PrincipalTag/app, 'flask_app'}"}}},
    {"Effect": "Deny", "Action": "ecr:*", "Resource": f"arn:aws:ecr:*:{ACCOUNT}:repository/secret${{*}}",
     "Condition": {"ForAnyValue:StringLike": {"aws:TagKeys": ["x*", "y?"]}}},
]}
ACTIONS = ["ecr:GetAuthorizationToken", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:DescribeRepositories",
           "ecr:PutImage", "ecr:ListImages"]


def rate(policies, resource_policy, context, repeat: int) -> dict:
    """Best of ``repeat`` timed runs (the least disturbed by other work on a shared machine)."""
    from iamlab.policy import Principal, Request, evaluate

    principal = Principal.role_session(ACCOUNT, "ec2-ecr-role", "i-0123")
    requests = [Request(principal, a, r, context) for a, r in itertools.product(ACTIONS, [FLASK, REPORTS])]
    timer = timeit.Timer(lambda: [evaluate(request, policies, resource_policy) for request in requests])
    number, _ = timer.autorange()  # also warms up: the catalogue loads once per process
    best = min(timer.repeat(repeat=repeat, number=number))
    decisions = number * len(requests)
    return {"decisions_per_run": decisions, "best_seconds": round(best, 4), "decisions_per_second": round(decisions / best)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--label", default="current")
    args = parser.parse_args()
    from iamlab.policy import Context, parse

    context = Context({"aws:RequestedRegion": "us-east-1", "aws:SourceIp": "10.0.0.5", "aws:SecureTransport": "true",
                       "aws:ResourceTag/app": "flask_app"})
    workloads = {
        "lesson": ([parse(READ_ONLY, "managed", "aws-managed"), parse(SPLIT, "custom", "user-managed"),
                    parse(DENY, "deny", "user-managed")], parse(REPO_POLICY, "RepositoryPolicy", "resource")),
        "variables": ([parse(VARIABLES, "variables", "user-managed")], None),
    }
    results = {name: rate(policies, resource_policy, context, args.repeat) for name, (policies, resource_policy) in workloads.items()}
    entry = {"label": args.label, "python": platform.python_version(), "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
             "workloads": results}
    out = ROOT / "benchmarks" / "results" / "engine.json"
    runs = json.loads(out.read_text())["runs"] if out.exists() else []
    runs.append(entry)
    out.write_text(json.dumps({"what": "policy engine decisions per second, in process (benchmarks/bench_engine.py)",
                               "runs": runs}, indent=2) + "\n")
    print(json.dumps(entry, indent=2))


if __name__ == "__main__":
    main()
