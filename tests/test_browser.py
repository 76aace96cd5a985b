"""Real-browser tests: JupyterLab in Debian's Chromium, driven by Playwright.

JupyterLab is started exactly as ./scripts/lab.sh starts it (scripts/jupyterlab.sh, in a
copy of the repository). The first test opens the server's default page as a learner
does: the first notebook, its figures loaded, a reading and the working copy's main.tf
reachable. The second opens the policy playground, runs it, scopes the policy to flask_app only, clicks
Apply, waits for the access matrix, and checks from the widgets' own DOM nodes (never
from text, which also appears in cell sources) that pulling reports_app turned to denied.
Screenshots go to test-artifacts/browser/.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHOTS = ROOT / "test-artifacts" / "browser"
CHROMIUM = "/usr/bin/chromium"
NOTEBOOK = "notebooks/90-policy-playground.ipynb"

pytestmark = pytest.mark.browser


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def jupyterlab(tmp_path_factory):
    assert Path(CHROMIUM).exists(), "Debian's chromium is needed: apt-get install chromium (scripts/install.sh does)"
    base = tmp_path_factory.mktemp("lab")
    root = base / "course"
    for folder in ("notebooks", "images", "lessons", "scripts"):
        shutil.copytree(ROOT / folder, root / folder)  # the browser never writes into the repository
    settings = base / "user-settings" / "@jupyterlab" / "apputils-extension"
    settings.mkdir(parents=True)
    (settings / "notification.jupyterlab-settings").write_text(json.dumps({"fetchNews": "false", "checkForUpdates": False}))
    port = _free_port()
    env = dict(os.environ, IAMLAB_HOME=str(root / "workspace"), JUPYTERLAB_SETTINGS_DIR=str(base / "user-settings"),
               JUPYTERLAB_WORKSPACES_DIR=str(base / "workspaces"), JUPYTER_RUNTIME_DIR=str(base / "runtime"))
    log = open(base / "jupyter.log", "w")
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))  # this checkout's iamlab
    # What ./scripts/lab.sh runs after installing and starting the sandbox; only the options a
    # headless test needs are added (no browser of its own, a free port, no token).
    server = subprocess.Popen(
        [str(root / "scripts" / "jupyterlab.sh"), "--no-browser", "--ip=127.0.0.1", f"--port={port}",
         "--IdentityProvider.token=", "--ServerApp.password="],
        env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"{url}/api/status", timeout=2)
            break
        except OSError:
            assert server.poll() is None, (base / "jupyter.log").read_text()
            time.sleep(0.5)
    try:
        yield url, env
    finally:
        server.terminate()
        server.wait(30)
        subprocess.run([sys.executable, "-m", "iamlab", "sandbox", "stop"], env=env, capture_output=True)


@contextmanager
def browser_page():
    from playwright.sync_api import sync_playwright

    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--no-first-run", "--disable-dev-shm-usage"])
        try:
            yield browser.new_page(viewport={"width": 1400, "height": 1000})
        finally:
            browser.close()


def run_all_cells(page) -> None:
    page.wait_for_selector(".jp-Notebook-ExecutionIndicator[data-status='idle']", timeout=120_000)
    # Focus the notebook on screen (a notebook left open in another tab is in the DOM too, hidden).
    page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook .jp-Cell").first.click()
    page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
    page.locator(".lm-Menu-itemLabel", has_text="Run All Cells").first.click()
    page.wait_for_selector(".jp-Notebook .jp-InputPrompt:has-text('[*]'), .jp-Notebook .jp-InputPrompt:has-text('[1]')",
                           timeout=60_000)  # the cells really started


def test_the_launch_opens_the_first_notebook_with_its_figures_readings_and_working_copy(jupyterlab):
    url, _ = jupyterlab
    with browser_page() as page:
        try:
            page.goto(url)  # the server's default page, as the learner's browser opens it
            page.wait_for_selector(".lm-TabBar-tab:has-text('00-start-here.ipynb')", timeout=120_000)
            figures = page.locator(".jp-Notebook .jp-RenderedMarkdown img")
            figures.first.wait_for(timeout=60_000)
            page.wait_for_function("""() => [...document.querySelectorAll('.jp-Notebook .jp-RenderedMarkdown img')]
                                         .every(img => img.complete)""", timeout=60_000)
            widths = figures.evaluate_all("images => images.map(img => [img.getAttribute('src'), img.naturalWidth])")
            assert widths and all(width > 0 for _, width in widths), widths  # a broken figure has naturalWidth 0
            run_all_cells(page)  # starts the sandbox and creates the working copy
            page.wait_for_selector(".jp-Notebook-ExecutionIndicator[data-status='idle']", timeout=300_000)
            page.screenshot(path=str(SHOTS / "0-start-here.png"), full_page=True)

            page.goto(url)  # back at the top: JupyterLab renders only the cells in view
            page.wait_for_selector(".lm-TabBar-tab:has-text('00-start-here.ipynb')", timeout=120_000)
            page.locator(".jp-Notebook .jp-RenderedMarkdown a", has_text="lessons/00-start-here.md").first.click()
            page.wait_for_selector(".lm-TabBar-tab:has-text('00-start-here.md')", timeout=60_000)
            page.goto(f"{url}/lab/tree/lessons/00-start-here.md")  # the reading the link opened, in front
            page.wait_for_selector(".jp-FileEditor .cm-content:has-text('The situation')", timeout=60_000)
            page.screenshot(path=str(SHOTS / "0-reading.png"), full_page=True)

            page.goto(f"{url}/lab/tree/workspace/tf/main.tf")
            page.wait_for_selector(".jp-FileEditor .cm-content:has-text('aws_iam_role_policy_attachment')", timeout=60_000)
            page.screenshot(path=str(SHOTS / "0-main-tf.png"), full_page=True)
        except Exception:
            page.screenshot(path=str(SHOTS / "failure-launch.png"), full_page=True)
            raise


def test_scoping_the_policy_in_the_browser_denies_the_other_repository(jupyterlab):
    url, _ = jupyterlab
    with browser_page() as page:
        try:
            page.goto(f"{url}/lab/tree/{NOTEBOOK}?reset")  # a fresh workspace: only this notebook open
            run_all_cells(page)

            def cell(check: str, column: str) -> str:
                return f".jp-OutputArea .iamlab-matrix td[data-check='{check}'][data-column='{column}']"

            page.wait_for_selector(cell("pull:reports_app", "after"), timeout=300_000)
            assert page.get_attribute(cell("pull:reports_app", "after"), "data-decision") == "allowed"
            page.screenshot(path=str(SHOTS / "1-before.png"), full_page=True)

            # Scope the statement to flask_app only, through the widgets.
            page.locator(".jp-OutputArea .widget-toggle-button", has_text="Chosen repositories").first.click()
            page.locator(".jp-OutputArea .widget-select-multiple select").first.select_option("flask_app")
            # The kernel has the selection once the editor's preview shows the repository's ARN.
            page.wait_for_selector(".jp-OutputArea .widget-tab pre:has-text('repository/flask_app')", timeout=60_000)
            page.locator(".jp-OutputArea button.jupyter-button", has_text="own Resource").first.click()
            page.wait_for_selector(".jp-OutputArea .widget-tab pre:has-text('\"Sid\": \"Login\"')", timeout=60_000)
            page.screenshot(path=str(SHOTS / "2-scoped.png"), full_page=True)
            apply = page.locator(".jp-OutputArea button.jupyter-button", has_text="Apply").first
            apply.click()
            page.wait_for_selector(".jp-OutputArea button.jupyter-button:disabled", timeout=10_000)  # disabled while applying

            denied = cell("pull:reports_app", "after") + "[data-decision='denied']"
            page.wait_for_selector(denied, timeout=300_000)
            assert page.get_attribute(cell("pull:reports_app", "before"), "data-decision") == "allowed"
            assert page.get_attribute(cell("pull:flask_app", "after"), "data-decision") == "allowed"
            assert page.get_attribute(cell("login", "after"), "data-decision") == "allowed"
            assert page.locator(".jp-OutputArea .iamlab-panel.iamlab-success").count() >= 1
            page.screenshot(path=str(SHOTS / "3-after-apply.png"), full_page=True)
        except Exception:
            page.screenshot(path=str(SHOTS / "failure.png"), full_page=True)
            raise
