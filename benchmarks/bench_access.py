"""Figures for the access-engine issue.

    python benchmarks/bench_access.py [--requests 100] [--rounds 12]

1. Decisions per second of the policy engine on a realistic policy set (the managed
   read-only policy, the lesson's split custom policy, a conditional Deny, and a
   repository policy), over a mix of the lesson's requests.
2. Overhead per sandbox request: the same ECR call (BatchGetImage on flask_app, same image)
   through the sandbox (SigV4 verified, decided by the engine inside moto's dispatch) vs. a
   plain moto server (no verification, no enforcement; its per-request log line silenced as
   the sandbox's is), both called by boto3 clients made the same way with the instance's
   credentials. One run alternates them call by call (who goes first alternates too), so load
   drift on a shared machine falls on both alike: ``--rounds`` rounds, each of ``--requests``
   sandbox/plain pairs with the engine on, then as many with it off (signature still
   verified, to split the cost). Per round, the median of each side and their ratio; the
   figure is the median of the rounds' ratios (target < 1.2), with their range.
3. The sandbox's memory at rest (RSS after start and seeding, and after the requests).
Writes benchmarks/results/access.json.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ACCOUNT = "123456789012"
FLASK = f"arn:aws:ecr:us-east-1:{ACCOUNT}:repository/flask_app"
REPORTS = f"arn:aws:ecr:us-east-1:{ACCOUNT}:repository/reports_app"
SPLIT = {"Version": "2012-10-17", "Statement": [
    {"Sid": "Login", "Effect": "Allow", "Action": "ecr:GetAuthorizationToken", "Resource": "*"},
    {"Sid": "Pull", "Effect": "Allow", "Action": ["ecr:BatchGetImage", "ecr:BatchCheckLayerAvailability", "ecr:GetDownloadUrlForLayer"], "Resource": FLASK},
]}
DENY = {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "ecr:Put*", "Resource": "*",
                                                "Condition": {"StringNotEquals": {"aws:RequestedRegion": "eu-west-1"}}}]}
REPO_POLICY = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:role/ec2-ecr-role"},
                                                       "Action": "ecr:ListImages"}]}


def engine_rate(seconds: float = 3.0) -> dict:
    from iamlab.policy import Context, Principal, Request, evaluate, parse
    from iamlab.sandbox import moto_ext

    managed = moto_ext.iam().get_policy("arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly")
    managed_doc = managed.versions[0].document
    policies = [parse(managed_doc, "managed", "aws-managed"), parse(SPLIT, "custom", "user-managed"), parse(DENY, "deny", "user-managed")]
    resource_policy = parse(REPO_POLICY, "RepositoryPolicy", "resource")
    principal = Principal.role_session(ACCOUNT, "ec2-ecr-role", "i-0123")
    actions = ["ecr:GetAuthorizationToken", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:DescribeRepositories", "ecr:PutImage", "ecr:ListImages"]
    context = Context({"aws:RequestedRegion": "us-east-1", "aws:SourceIp": "10.0.0.5", "aws:SecureTransport": "true"})
    requests = [Request(principal, a, r, context) for a, r in itertools.product(actions, [FLASK, REPORTS])]
    count, started = 0, time.perf_counter()
    for request in itertools.cycle(requests):
        evaluate(request, policies, resource_policy)
        count += 1
        if count % 1000 == 0 and time.perf_counter() - started > seconds:
            break
    elapsed = time.perf_counter() - started
    return {"decisions": count, "seconds": round(elapsed, 3), "decisions_per_second": round(count / elapsed)}


def ecr_client(endpoint: str, document: dict):
    """The ECR client both servers are called with: the instance's credentials, as the SDK holds them."""
    import boto3

    return boto3.Session(aws_access_key_id=document["AccessKeyId"], aws_secret_access_key=document["SecretAccessKey"],
                         aws_session_token=document["Token"], region_name="us-east-1").client("ecr", endpoint_url=endpoint)


def timed_calls(ecr, requests: int) -> list[float]:
    samples = []
    for _ in range(requests):
        started = time.perf_counter()
        ecr.batch_get_image(repositoryName="flask_app", imageIds=[{"imageTag": "latest"}])
        samples.append(time.perf_counter() - started)
    return samples


def enforcement_latency(requests: int, rounds: int) -> dict:
    os.environ["IAMLAB_HOME"] = tempfile.mkdtemp(prefix="iamlab-bench-access-")
    from iamlab import sandbox
    from iamlab.sandbox import instance

    info = sandbox.start()
    try:
        admin = sandbox.session(info)
        iam, ec2 = admin.client("iam"), admin.client("ec2")
        iam.create_role(RoleName="ec2-ecr-role", AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]}))
        iam.create_instance_profile(InstanceProfileName="p")
        iam.add_role_to_instance_profile(InstanceProfileName="p", RoleName="ec2-ecr-role")
        for name, doc in (("split", SPLIT), ("deny", DENY)):
            arn = iam.create_policy(PolicyName=name, PolicyDocument=json.dumps(doc))["Policy"]["Arn"]
            iam.attach_role_policy(RoleName="ec2-ecr-role", PolicyArn=arn)
        iam.attach_role_policy(RoleName="ec2-ecr-role", PolicyArn="arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly")
        image = ec2.describe_images(Owners=["amazon"])["Images"][0]["ImageId"]
        instance_id = ec2.run_instances(ImageId=image, MinCount=1, MaxCount=1, IamInstanceProfile={"Name": "p"})["Instances"][0]["InstanceId"]
        document = instance.credentials(instance_id, info)

        def switch(enabled: bool) -> None:
            request = urllib.request.Request(f"{info.endpoint}/iamlab/enforcement", data=json.dumps({"enabled": enabled}).encode(),
                                             method="POST", headers=sandbox.manager.course_headers(info))
            urllib.request.urlopen(request).read()

        rss_at_rest = rss_mib(info.pid)
        plain = PlainMoto()
        try:
            sandbox_ecr, plain_ecr = ecr_client(info.endpoint, document), ecr_client(plain.endpoint, document)
            for enabled in (True, False):  # warm up every path's caches
                switch(enabled)
                timed_calls(sandbox_ecr, 50)
            timed_calls(plain_ecr, 50)
            samples: dict[str, list[float]] = {"sandbox": [], "engine_off": [], "plain": []}
            per_round = []
            for _ in range(rounds):
                medians = {}
                for name, enabled in (("sandbox", True), ("engine_off", False)):
                    switch(enabled)
                    mine, theirs = [], []
                    for index in range(requests):  # call by call, alternating who goes first
                        first, second = (sandbox_ecr, plain_ecr) if index % 2 else (plain_ecr, sandbox_ecr)
                        a, b = timed_calls(first, 1)[0], timed_calls(second, 1)[0]
                        mine.append(a if first is sandbox_ecr else b)
                        theirs.append(b if first is sandbox_ecr else a)
                    samples[name] += mine
                    samples["plain"] += theirs
                    medians[name], medians[f"plain_{name}"] = statistics.median(mine), statistics.median(theirs)
                per_round.append(medians)
            switch(True)
        finally:
            plain.stop()
        rss_after = rss_mib(info.pid)
    finally:
        sandbox.stop()
    ratios = [r["sandbox"] / r["plain_sandbox"] for r in per_round]
    off_ratios = [r["engine_off"] / r["plain_engine_off"] for r in per_round]
    on_ms, off_ms, bare_ms = (statistics.median(samples[name]) * 1000 for name in ("sandbox", "engine_off", "plain"))
    return {"rounds": rounds, "requests_per_mode_per_round": requests, "requests_per_mode": len(samples["sandbox"]),
            "median_ms_sandbox": round(on_ms, 3), "median_ms_sandbox_engine_off": round(off_ms, 3),
            "median_ms_plain_moto": round(bare_ms, 3),
            "ratio_vs_plain_moto": round(statistics.median(ratios), 3),
            "ratio_vs_plain_moto_range": [round(min(ratios), 3), round(max(ratios), 3)],
            "ratio_engine_off_vs_plain_moto": round(statistics.median(off_ratios), 3),
            "ratio_of_pooled_medians": round(on_ms / bare_ms, 3),
            "added_ms_vs_plain_moto": round(statistics.median(r["sandbox"] - r["plain_sandbox"] for r in per_round) * 1000, 3),
            "round_ratios": [round(r, 3) for r in ratios],
            "sandbox_rss_mib_at_rest": rss_at_rest, "sandbox_rss_mib_after_requests": rss_after}


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return round(int(line.split()[1]) / 1024, 1)
    return float("nan")


class PlainMoto:
    """moto's own server, as the baseline: no signature check, no engine, the same image."""

    def __init__(self):
        import boto3

        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        # werkzeug's per-request log line is silenced, as the sandbox silences its own.
        self.process = subprocess.Popen([sys.executable, "-c", "import logging; logging.getLogger('werkzeug').setLevel("
                                         "logging.WARNING); from moto.server import main; main()", "-H", "127.0.0.1",
                                         "-p", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.endpoint = f"http://127.0.0.1:{port}"
        ecr = boto3.client("ecr", endpoint_url=self.endpoint, region_name="us-east-1",
                           aws_access_key_id="AKIAIOSFODNN7EXAMPLE", aws_secret_access_key="x" * 40)
        for _ in range(200):
            try:
                ecr.create_repository(repositoryName="flask_app")
                break
            except Exception:
                time.sleep(0.1)
        from iamlab.sandbox.images import build_image

        ecr.put_image(repositoryName="flask_app", imageManifest=build_image("flask_app").manifest.decode(), imageTag="latest")

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=10)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=100, help="calls per mode per round")
    parser.add_argument("--rounds", type=int, default=12)
    args = parser.parse_args()
    report = {"engine": engine_rate(), "enforcement": enforcement_latency(args.requests, args.rounds),
              "machine": {"cores": os.cpu_count(), "note": "2 cores shared with other jobs"}}
    (ROOT / "benchmarks" / "results" / "access.json").write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
