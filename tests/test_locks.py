"""A lock that is waited on says so, and gives up with a message after a bound."""

from __future__ import annotations

import subprocess
import sys

import pytest

from iamlab.terraform.locks import LockError, exclusive

HOLD = ("import fcntl, sys, time; f = open(sys.argv[1], 'a'); fcntl.flock(f, fcntl.LOCK_EX); "
        "print('held', flush=True); time.sleep(600)")


def test_a_held_lock_is_said_then_given_up_with_what_to_do(tmp_path):
    lock = tmp_path / "cache.lock"
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(lock)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        said = []
        with pytest.raises(LockError) as refused:
            with exclusive(lock, what="Terraform's plugin cache", wait=1, say=said.append):
                pytest.fail("the lock was taken while another process held it")
        assert len(said) == 1 and said[0].startswith("Waiting for Terraform's plugin cache")
        assert f"pid {holder.pid}" in said[0] and "up to 1 s" in said[0]
        message = str(refused.value)
        assert "Gave up waiting for Terraform's plugin cache after 1 s" in message and "Next step" in message
    finally:
        holder.kill()
        holder.wait()


def test_a_lock_released_while_waiting_is_taken(tmp_path):
    lock = tmp_path / "cache.lock"
    holder = subprocess.Popen([sys.executable, "-c", HOLD.replace("600", "2"), str(lock)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        said = []
        with exclusive(lock, what="the cache", wait=120, say=said.append):
            assert holder.wait(timeout=60) == 0  # taken only once the holder let go (it ended)
        assert len(said) == 1
    finally:
        holder.kill()
        holder.wait()


def test_a_lock_file_we_may_not_open_is_said(tmp_path):
    lock = tmp_path / "locked" / "cache.lock"  # a folder that does not exist: cannot be created
    with pytest.raises(LockError, match="cannot open the lock for the cache"):
        with exclusive(lock, what="the cache"):
            pass
