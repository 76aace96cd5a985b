"""How long ``check()`` takes now that it also reads the learner's files for slips (issue 16).

    python benchmarks/bench_check.py

An in-process moto account (no sandbox server, no Terraform), filled as lesson 04's reference
leaves it, the reference files in a working copy; each exercise graded ``ROUNDS`` times, the
median and the slowest reported. The slips' share is measured by grading once more with the
file reading switched off. Writes benchmarks/results/check.json.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
ROUNDS = 7


def main() -> dict:
    os.environ.setdefault("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")
    import boto3
    import moto

    from iamlab import facts, paths
    from iamlab.account import Account
    from iamlab.course import checks, graders, policies
    from iamlab.course.lessons import REFERENCES
    from iamlab.terraform import edits

    region, account_id = "us-east-1", "123456789012"
    figures: dict = {}
    with moto.mock_aws(), tempfile.TemporaryDirectory() as scratch:
        account = Account(lambda: boto3.Session(region_name=region, aws_access_key_id="x", aws_secret_access_key="x"),
                          region, Path(scratch) / "tf", id=account_id)
        iam, ecr = account.client("iam"), account.client("ecr")
        iam.create_role(RoleName=facts.ROLE, AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"Service": "ec2.amazonaws.com"}}]}))
        for name in facts.REPOSITORIES:
            ecr.create_repository(repositoryName=name)
        world = graders.snapshot(account).world
        document = graders.reference_document(policies.least_privilege_policy(), world)
        arn = iam.create_policy(PolicyName=facts.POLICY, PolicyDocument=json.dumps(document))["Policy"]["Arn"]
        iam.attach_role_policy(RoleName=facts.ROLE, PolicyArn=arn)
        shutil.copytree(paths.course_tf_dir(), account.directory)
        (account.directory / "custom_policy.tf").write_text(REFERENCES["04-scope"].files["custom_policy.tf"])
        edits.comment_out(account.directory, facts.MANAGED_ATTACHMENT)

        def timed(name: str) -> list[float]:
            times = []
            for _ in range(ROUNDS):
                start = time.perf_counter()
                checks.evaluate(name, None, account)
                times.append(time.perf_counter() - start)
            return times

        for name in ("03-custom-policy", "04-reference", "04-detach", "04-scope", "06-deny", "06-repository-policy"):
            times = timed(name)
            figures[name] = {"median_s": round(statistics.median(times), 3), "max_s": round(max(times), 3)}
        real = graders.file_slips
        graders.file_slips = lambda *args, **kwargs: []
        try:
            import iamlab.course.lessons.l04_least_privilege as l04

            l04.file_slips = graders.file_slips
            without = timed("04-scope")
        finally:
            graders.file_slips = real
            l04.file_slips = real
        figures["04-scope without the file slips"] = {"median_s": round(statistics.median(without), 3),
                                                     "max_s": round(max(without), 3)}
    out = ROOT / "benchmarks" / "results" / "check.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(figures, indent=2) + "\n")
    return figures


if __name__ == "__main__":
    for name, figure in main().items():
        print(f"{name:40} median {figure['median_s']:.3f} s   slowest {figure['max_s']:.3f} s")
