"""No silent waits: a progress line is shown the moment a step starts and keeps moving while the step
says nothing, in the cell that started it; a ``%%tf`` cell's first output is that line.
(Every wait here is for a condition, with a generous bound: no timing is asserted. The figures are
benchmarks/bench_silent_waits.py's.)"""

from __future__ import annotations

import os
import queue
import textwrap
import threading

import pytest

from iamlab.progress import TerraformProgress, Ticker

from . import waits
from .conftest import ROOT


def test_the_line_is_shown_before_the_step_runs_and_goes_at_its_end():
    shown = []
    with Ticker("Checking custom_policy.tf", show=shown.append) as tick:
        assert shown and shown[0].startswith("⏳ Checking custom_policy.tf (")  # at once, before any work
        tick.say("Running terraform validate")
        assert shown[-1].startswith("⏳ Running terraform validate (")
    assert shown[-1] == ""  # gone: the cell keeps only its result
    count = len(shown)
    assert not any(t.name == "iamlab-ticker" and t.is_alive() for t in threading.enumerate())
    assert len(shown) == count  # nothing after the end


def test_the_line_keeps_moving_while_the_step_is_quiet():
    shown = []
    with Ticker("Reading the account", every=0.05, show=shown.append) as tick:
        waits.wait_until(lambda: tick.renders >= 4, "the ticker's refreshes", waits.REQUEST, seen=lambda: shown)
    assert len(shown) >= 5 and all(line.startswith("⏳ Reading the account (") for line in shown[:-1])


def test_a_broken_display_never_breaks_the_step():
    def broken(text):
        if text and text != first[0]:
            raise RuntimeError("the front end went away")

    first = []
    with Ticker("x", every=0.01, show=lambda t: first.append(t) if not first else broken(t)) as tick:
        waits.wait_until(lambda: not tick._refresher._thread.is_alive(), "the refresher to give up", waits.REQUEST)
    # the step went on and ended normally


def test_terraform_progress_ticks_while_terraform_prints_nothing():
    updates = []

    class Handle:
        def update(self, shown):
            updates.append(shown.data)

    progress = TerraformProgress("apply")
    progress._refresher.every = 0.05
    progress.handle = Handle()
    progress._refresher.start()
    try:
        waits.wait_until(lambda: len(updates) >= 2, "the time so far to be refreshed", waits.REQUEST)
    finally:
        progress._refresher.stop()
    assert all("terraform apply</code> is running" in u and "starting…" in u for u in updates)


# -- in a real kernel: the messages the page receives ---------------------------------------
@pytest.fixture(scope="module")
def kernel(tmp_path_factory):
    from jupyter_client.manager import start_new_kernel

    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
               IAMLAB_HOME=str(tmp_path_factory.mktemp("progress-home")))
    env.pop("IAMLAB_SOLUTIONS", None)
    manager, client = start_new_kernel(kernel_name="python3", env=env, startup_timeout=waits.bound(waits.KERNEL_START))
    try:
        yield client
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)


def run(client, code: str) -> list[dict]:
    """Execute ``code``; the output messages of that execution, in the order they arrived."""
    msg_id = client.execute(code)
    seen = []
    while True:
        msg = client.get_iopub_msg(timeout=waits.bound(waits.CELL))
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
            return seen
        if msg["msg_type"] in {"stream", "display_data", "update_display_data", "execute_result", "error"}:
            seen.append(msg)


def text_of(msg) -> str:
    content = msg["content"]
    return content.get("text") or content.get("data", {}).get("text/html", "") + content.get("data", {}).get("text/plain", "")


def test_a_tf_cell_answers_first_with_its_progress_line(kernel):
    from iamlab.course.lessons import REFERENCES

    run(kernel, "from iamlab.course import magic; magic.register()")
    policy = REFERENCES["03-custom-policy"].files["custom_policy.tf"]
    messages = run(kernel, "%%tf custom_policy.tf --no-validate\n" + policy)
    assert messages, "the cell showed nothing"
    first, last = messages[0], messages[-1]
    assert first["msg_type"] == "display_data" and "Checking custom_policy.tf" in text_of(first), text_of(first)
    assert last["msg_type"] == "execute_result" and "Wrote custom_policy.tf" in text_of(last)
    assert any(m["msg_type"] == "update_display_data" and m["content"]["data"].get("text/html") == ""
               for m in messages)  # the line went


def test_a_ticker_thread_s_updates_reach_the_cell_that_started_it(kernel):
    messages = run(kernel, textwrap.dedent(f"""
        import time
        from iamlab.progress import Ticker
        with Ticker("Waiting quietly", every=0.05) as tick:
            deadline = time.monotonic() + {waits.bound(waits.REQUEST)}
            while tick.renders < 4 and time.monotonic() < deadline:
                time.sleep(0.01)
    """))
    updates = [m for m in messages if m["msg_type"] == "update_display_data" and "Waiting quietly" in text_of(m)]
    assert messages[0]["msg_type"] == "display_data" and len(updates) >= 3


def test_a_ticker_in_a_widget_s_worker_thread_shows_nothing_in_the_cell(kernel):
    """A worker (the editor's Apply) has its own progress widgets; its display would land in whichever cell runs."""
    messages = run(kernel, textwrap.dedent("""
        import threading
        from iamlab.progress import Ticker

        def work():
            with Ticker("Asking the lesson's questions", every=0.01) as tick:
                tick.say("still asking")

        worker = threading.Thread(target=work)
        worker.start()
        worker.join()
    """))
    assert not [m for m in messages if "asking" in text_of(m).lower()]
