"""Give back memory moto takes for data this sandbox never uses.

moto loads, when imported, every EC2 instance-type offering of every region and
zone (about 130,000 small dicts, ~27 MiB) and keeps the AWS managed policies' source
(a 4 MB JSON string) next to the policies made from it. The sandbox serves one
region and keeps every AWS managed policy with its real document, so:

* the offerings of other regions are dropped (the sandbox's region keeps all of its own);
* the managed policies' source is kept gzip-compressed (~0.4 MB) and inflated only
  while a reset builds the policies again; the policies themselves are untouched;
* freed memory is handed back to the operating system (glibc's ``malloc_trim``).

Measured in docs/benchmarks.md ("Memory per part").
"""

from __future__ import annotations

import ctypes
import gc
import gzip
import threading

_swap = threading.Lock()  # one backend at a time sees the inflated source


def trim_instance_offerings(region: str) -> None:
    from moto.ec2.models import instance_types

    for by_region in instance_types.INSTANCE_TYPE_OFFERINGS.values():
        for name in [name for name in by_region if name != region]:
            del by_region[name]


class _CompressedPolicies:
    """Stands in for moto's ``aws_managed_policies_data`` string: inflated on each use."""

    def __init__(self, text: str):
        self.packed = gzip.compress(text.encode(), compresslevel=6)


def compress_managed_policy_source() -> None:
    """Keep the AWS managed policies' JSON compressed; moto's reset still reads all of it."""
    from moto.iam import aws_managed_policies, models

    if isinstance(getattr(models, "_iamlab_packed", None), _CompressedPolicies):
        return
    packed = _CompressedPolicies(models.aws_managed_policies_data)
    original = models.IAMBackend._init_aws_policies

    def init_aws_policies(self):
        with _swap:
            models.aws_managed_policies_data = gzip.decompress(packed.packed).decode()
            try:
                return original(self)
            finally:
                models.aws_managed_policies_data = ""

    models.IAMBackend._init_aws_policies = init_aws_policies
    models._iamlab_packed = packed
    models.aws_managed_policies_data = ""
    aws_managed_policies.aws_managed_policies_data = ""


def give_back_memory() -> None:
    gc.collect()
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # not glibc (macOS, musl): the OS reclaims lazily
        pass


def release_unused(region: str) -> None:
    trim_instance_offerings(region)
    compress_managed_policy_source()
    give_back_memory()
