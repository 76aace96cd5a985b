"""Many learners on one host: each has their own sandbox, port, folder and account; nothing
one learner does is visible to another; the Terraform plugin cache is shared safely."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import pytest

from . import waits

pytestmark = pytest.mark.integration
LEARNERS = ("ana", "bo", "cy")


def cli(home, *args, timeout=waits.COMMAND):
    env = dict(os.environ, IAMLAB_HOME=str(home))
    env.pop("IAMLAB_SANDBOX_PORT", None)
    return subprocess.run([sys.executable, "-m", "iamlab", *args], env=env, capture_output=True, text=True, timeout=waits.bound(timeout))


def boto(home, service):
    script = (f"import json, iamlab.sandbox as s; c = s.session().client({service!r}); "
              "print(json.dumps({'roles': [r['RoleName'] for r in c.list_roles()['Roles']]}))")
    env = dict(os.environ, IAMLAB_HOME=str(home))
    return json.loads(subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True,
                                     timeout=waits.bound(waits.COMMAND)).stdout)


def test_learners_run_lessons_at_once_without_cross_talk(tmp_path):
    homes = {name: tmp_path / name for name in LEARNERS}
    shared_cache = tmp_path / "shared-plugin-cache"
    os.environ["IAMLAB_PLUGIN_CACHE"] = str(shared_cache)
    try:
        with ThreadPoolExecutor(len(LEARNERS)) as pool:
            started = dict(zip(LEARNERS, pool.map(lambda h: cli(h, "sandbox", "start"), homes.values())))
        endpoints = {name: result.stdout.strip().splitlines()[-1] for name, result in started.items()}
        assert len(set(endpoints.values())) == len(LEARNERS)  # one port each
        # Everybody runs lesson 04's fast-forward at the same moment (three terraform inits and applies).
        with ThreadPoolExecutor(len(LEARNERS)) as pool:
            runs = dict(zip(LEARNERS, pool.map(lambda h: cli(h, "goto", "04"), homes.values())))
        for name, run in runs.items():
            assert run.returncode == 0, f"{name}: {run.stdout}\n{run.stderr}"
        outputs = {name: json.loads(cli(home, "output").stdout) for name, home in homes.items()}
        assert len({o["instance_id"] for o in outputs.values()}) == len(LEARNERS)
        for home in homes.values():  # each working copy and state is the learner's own
            assert (home / "tf" / "terraform.tfstate").exists()
        # What one learner does in their account is invisible to the others.
        env = dict(os.environ, IAMLAB_HOME=str(homes["ana"]))
        subprocess.run([sys.executable, "-c", "import json, iamlab.sandbox as s; s.session().client('iam').create_role("
                        "RoleName='anas-experiment', AssumeRolePolicyDocument=json.dumps({'Version': '2012-10-17', 'Statement': ["
                        "{'Effect': 'Allow', 'Principal': {'Service': 'ec2.amazonaws.com'}, 'Action': 'sts:AssumeRole'}]}))"], env=env, check=True)
        assert "anas-experiment" in boto(homes["ana"], "iam")["roles"]
        for name in ("bo", "cy"):
            assert "anas-experiment" not in boto(homes[name], "iam")["roles"]
        assert list(shared_cache.glob("registry.terraform.io/hashicorp/aws/*"))  # one shared provider cache
    finally:
        os.environ.pop("IAMLAB_PLUGIN_CACHE", None)
        for home in homes.values():
            cli(home, "sandbox", "stop")
