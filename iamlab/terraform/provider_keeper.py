"""The small process that keeps a warm AWS provider (see ``warm_provider``).

Run by path, without the course's imports (about 33 MiB PSS with the relay and its kept answers):

    python -I provider_keeper.py --binary B --state S --sandbox-pid P --idle-seconds N

It starts ``terraform-provider-aws -debug``, reads the ``TF_REATTACH_PROVIDERS``
value the provider prints, puts the relay that keeps the provider's unchanging answers
in front of it (``provider_cache.py``, when ``grpcio`` is installed), and writes the value
Terraform should use to the state file (mode 0600). Then it
watches, once a second, and stops the provider when

* the sandbox process ``P`` is gone (the provider lives as long as the sandbox),
* nothing used the provider for ``N`` seconds (the state file's mtime is the last use),
* it is asked to (SIGTERM), or the provider died by itself.

On the way out it removes the state file, so a client never reattaches to a dead process.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time

BANNER = "TF_REATTACH_PROVIDERS="


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except (ProcessLookupError, PermissionError):
        return False
    return True


def read_reattach(process: subprocess.Popen, timeout: float) -> str | None:
    """The JSON the provider prints after ``TF_REATTACH_PROVIDERS=`` (quoted in single quotes)."""
    found: list[str] = []

    def read():
        for line in process.stdout:
            line = line.strip()
            if line.startswith(BANNER):
                found.append(line[len(BANNER):].strip("'"))
                break
        for _ in process.stdout:  # keep draining, so the provider never blocks on a full pipe
            pass

    threading.Thread(target=read, daemon=True).start()
    deadline = time.monotonic() + timeout
    while not found and time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.05)
    return found[0] if found else None


def start_relay(reattach: str, socket_dir: str):
    """(the relay's server, the reattach value Terraform should use, "" or why there is no relay).
    Without a relay Terraform talks to the provider itself, with the provider's own value."""
    import importlib.util

    try:
        spec = importlib.util.spec_from_file_location("provider_cache", os.path.join(os.path.dirname(__file__),
                                                                                     "provider_cache.py"))
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        server, _relay, relayed = module.start(reattach, os.path.join(socket_dir, "relay.sock"))
    except Exception as error:  # no grpcio, or no socket: the provider works as well without it
        return None, reattach, f"{type(error).__name__}: {error}"
    return server, relayed, ""


def write_state(path: str, data: dict) -> None:
    temporary = f"{path}.{os.getpid()}.tmp"
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        json.dump(data, handle)
    os.replace(temporary, path)


def remove_state(path: str) -> None:
    try:
        with open(path) as handle:
            if json.load(handle).get("keeper_pid") != os.getpid():
                return  # a newer keeper's file
        os.unlink(path)
    except (OSError, ValueError):
        pass


def stop(process: subprocess.Popen, grace: float = 5.0) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(grace)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--binary", required=True)
    parser.add_argument("--state", required=True)
    parser.add_argument("--sandbox-pid", type=int, required=True)
    parser.add_argument("--idle-seconds", type=float, required=True)
    parser.add_argument("--log", default=os.devnull, help="the provider's own (debug) log")
    parser.add_argument("--start-timeout", type=float, default=60.0)
    args = parser.parse_args(argv)

    with open(args.log, "ab") as log:
        process = subprocess.Popen([args.binary, "-debug"], stdout=subprocess.PIPE, stderr=log,
                                   stdin=subprocess.DEVNULL, text=True)
    stopping = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopping.set())
    signal.signal(signal.SIGINT, lambda *_: stopping.set())
    reattach = read_reattach(process, args.start_timeout)
    if reattach is None:
        stop(process)
        print("the provider printed no TF_REATTACH_PROVIDERS line", file=sys.stderr)
        return 2
    relay, reattach, no_relay = start_relay(reattach, os.environ.get("TMPDIR") or os.path.dirname(args.state))
    write_state(args.state, {"keeper_pid": os.getpid(), "provider_pid": process.pid, "binary": args.binary,
                             "reattach": reattach, "sandbox_pid": args.sandbox_pid, "started": time.time(),
                             "relay": relay is not None, "no_relay": no_relay})
    reason = "stopped"
    try:
        while not stopping.wait(1.0):
            if process.poll() is not None:
                reason = f"the provider exited ({process.returncode})"
                break
            if not alive(args.sandbox_pid):
                reason = "the sandbox stopped"
                break
            try:
                idle = time.time() - os.stat(args.state).st_mtime
            except FileNotFoundError:
                reason = "its state file was removed"
                break
            if idle > args.idle_seconds:
                reason = f"idle for {idle / 60:.0f} min"
                break
    finally:
        remove_state(args.state)
        if relay is not None:
            relay.stop(0)
        stop(process)
        socket_dir = os.environ.get("TMPDIR", "")
        if os.path.basename(socket_dir).startswith("iamlab-provider-"):
            shutil.rmtree(socket_dir, ignore_errors=True)  # the provider's private socket folder
    print(f"warm provider stopped: {reason}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
