"""Terraform's CLI configuration for the course: where the AWS provider comes from.

Every Terraform process the course starts gets its own CLI config file (through
``TF_CLI_CONFIG_FILE``), so nothing depends on the learner's ``~/.terraformrc``:

* a filesystem mirror of ``hashicorp/aws`` when one is configured with
  ``$IAMLAB_PROVIDER_MIRROR`` or found in a usual place on the machine
  (offline classrooms, Binder images, CI);
* the public Terraform registry otherwise (a learner's laptop);
* in both cases a shared plugin cache, so the ~700 MB provider is unpacked once.
"""

from __future__ import annotations

import glob
import os
import platform
from dataclasses import dataclass
from pathlib import Path

from .. import paths

AWS_PROVIDER = "registry.terraform.io/hashicorp/aws"

# Places where Terraform's docs and packagers put provider mirrors.
USUAL_MIRRORS = (
    "/opt/tf-plugins",
    "/opt/terraform/plugins",
    "/usr/local/share/terraform/plugins",
    "/usr/share/terraform/plugins",
    "~/.terraform.d/plugins",
    "~/.local/share/terraform/plugins",
    "/opt/*",
)


def platform_dir() -> str:
    machine = platform.machine().lower()
    arch = {"x86_64": "amd64", "amd64": "amd64", "aarch64": "arm64", "arm64": "arm64"}.get(machine, machine)
    return f"{platform.system().lower()}_{arch}"


def mirror_versions(mirror: Path) -> list[str]:
    """The AWS provider versions a mirror holds for this machine's platform."""
    provider = Path(mirror) / AWS_PROVIDER
    if not provider.is_dir():
        return []
    unpacked = {version.name for version in provider.iterdir() if (version / platform_dir()).is_dir()}
    # `terraform providers mirror` writes the packed layout: terraform-provider-aws_5.100.0_linux_amd64.zip
    packed = {zip_file.name.split("_")[1] for zip_file in provider.glob(f"terraform-provider-aws_*_{platform_dir()}.zip")}
    return sorted(unpacked | packed)


@dataclass(frozen=True)
class ProviderSource:
    """Where `terraform init` gets hashicorp/aws from, and why."""

    kind: str  # "mirror" or "registry"
    path: Path | None
    reason: str

    def describe(self) -> str:
        if self.kind == "mirror":
            return f"filesystem mirror {self.path} (AWS provider {', '.join(mirror_versions(self.path))}; {self.reason})"
        return f"the public Terraform registry ({self.reason})"


class MirrorError(RuntimeError):
    pass


def find_provider_source() -> ProviderSource:
    configured = os.environ.get("IAMLAB_PROVIDER_MIRROR")
    if configured:
        path = Path(configured).expanduser()
        if not mirror_versions(path):
            raise MirrorError(
                f"IAMLAB_PROVIDER_MIRROR points at {path}, but there is no {AWS_PROVIDER} provider for "
                f"{platform_dir()} in it (expected {path}/{AWS_PROVIDER}/<version>/{platform_dir()}/).\n"
                "Next step: fix the path, or unset IAMLAB_PROVIDER_MIRROR to use the public registry."
            )
        return ProviderSource("mirror", path.resolve(), "set by IAMLAB_PROVIDER_MIRROR")
    for pattern in USUAL_MIRRORS:
        for candidate in sorted(glob.glob(os.path.expanduser(pattern))):
            if mirror_versions(Path(candidate)):
                return ProviderSource("mirror", Path(candidate).resolve(), "found on this machine")
    return ProviderSource("registry", None, "no local mirror found")


def render_cli_config(source: ProviderSource, plugin_cache: Path) -> str:
    lines = [
        "# Written by iamlab for the Terraform processes it starts. Do not edit:",
        "# it is rewritten before every command. See iamlab/terraform/cliconfig.py.",
        f'plugin_cache_dir = "{plugin_cache}"',
        "",
    ]
    if source.kind == "mirror":
        lines += [
            "provider_installation {",
            "  filesystem_mirror {",
            f'    path    = "{source.path}"',
            f'    include = ["{AWS_PROVIDER}"]',
            "  }",
            "  direct {",
            f'    exclude = ["{AWS_PROVIDER}"]',
            "  }",
            "}",
        ]
    return "\n".join(lines) + "\n"


def write_cli_config(source: ProviderSource | None = None) -> Path:
    """Write the course's CLI config into the course home and return its path."""
    source = source or find_provider_source()
    path = paths.course_home() / ".terraformrc"
    text = render_cli_config(source, paths.plugin_cache_dir())
    if not path.exists() or path.read_text() != text:
        path.write_text(text)
    return path
