#!/usr/bin/env python3
"""Regenerate iamlab/terraform/aws_endpoints.json: every service key the AWS provider's
``endpoints`` block accepts, one per service.

The sandbox override sends every service the provider can call to the sandbox, so the list is
taken from the provider itself, not written by hand:

1. ``terraform providers schema -json`` (in a throwaway directory, provider from the course's
   mirror) lists every attribute of ``endpoints`` (303 in 5.100.0);
2. some of them are aliases of one service (``logs``, ``cloudwatchlog``, ``cloudwatchlogs``):
   setting all of them makes the provider warn "Only one of the following attributes should be
   set" when it is configured. A plan with every key set collects those groups; the first key
   of each group (the one the provider names first, its own package name) is kept.

Run: python scripts/aws_endpoint_keys.py   (needs terraform and the provider mirror; offline)
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from iamlab.terraform import cliconfig  # noqa: E402
from iamlab.terraform.override import ENDPOINTS_FILE  # noqa: E402

VERSION = "5.100.0"


def terraform(directory: Path, *args: str) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(TF_CLI_CONFIG_FILE=str(cliconfig.write_cli_config()), CHECKPOINT_DISABLE="1", TF_IN_AUTOMATION="1")
    done = subprocess.run(["terraform", *args], cwd=directory, env=env, capture_output=True, text=True, check=True)
    return done.stdout


def schema_keys(directory: Path) -> list[str]:
    schema = json.loads(terraform(directory, "providers", "schema", "-json"))
    provider = schema["provider_schemas"]["registry.terraform.io/hashicorp/aws"]["provider"]["block"]
    return sorted(provider["block_types"]["endpoints"]["block"]["attributes"])


def alias_groups(directory: Path, keys: list[str]) -> list[list[str]]:
    endpoints = "\n".join(f'    {key} = "http://127.0.0.1:9"' for key in keys)
    (directory / "probe.tf").write_text(f"""provider "aws" {{
  region                      = "us-east-1"
  access_key                  = "AKIAIAMLABPROBE00000"
  secret_key                  = "probe"
  skip_credentials_validation = true
  skip_metadata_api_check     = true
  skip_requesting_account_id  = true
  endpoints {{
{endpoints}
  }}
}}
data "aws_region" "probe" {{}}
""")
    groups = []
    for line in terraform(directory, "plan", "-json", "-no-color", "-refresh=true").splitlines():
        message = json.loads(line)
        detail = message.get("diagnostic", {}).get("detail", "")
        found = re.findall(r"endpoints\[0\]\.([a-z0-9]+)", detail)
        if len(found) > 1:
            groups.append(found)
    return groups


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        directory = Path(folder)
        (directory / "versions.tf").write_text(
            'terraform {\n  required_providers {\n    aws = { source = "hashicorp/aws", version = "%s" }\n  }\n}\n' % VERSION)
        terraform(directory, "init", "-no-color")
        keys = schema_keys(directory)
        groups = alias_groups(directory, keys)
    aliases = {alias: group[0] for group in groups for alias in group[1:]}
    services = [key for key in keys if key not in aliases]
    ENDPOINTS_FILE.write_text(json.dumps({
        "provider": f"registry.terraform.io/hashicorp/aws {VERSION}",
        "generated_by": "scripts/aws_endpoint_keys.py",
        "services": services,
        "aliases": dict(sorted(aliases.items())),
    }, indent=1) + "\n")
    print(f"{len(keys)} endpoint keys: {len(services)} services, {len(aliases)} aliases -> {ENDPOINTS_FILE}")


if __name__ == "__main__":
    main()
