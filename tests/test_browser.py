"""One real-browser test: JupyterLab in Debian's Chromium, driven by Playwright.

It opens the policy playground, runs it, scopes the policy to flask_app only, clicks
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
    for folder in ("notebooks", "images", "lessons"):
        shutil.copytree(ROOT / folder, root / folder)  # the browser never writes into the repository
    settings = base / "user-settings" / "@jupyterlab" / "apputils-extension"
    settings.mkdir(parents=True)
    (settings / "notification.jupyterlab-settings").write_text(json.dumps({"fetchNews": "false", "checkForUpdates": False}))
    port = _free_port()
    env = dict(os.environ, IAMLAB_HOME=str(base / "home"), JUPYTERLAB_SETTINGS_DIR=str(base / "user-settings"),
               JUPYTERLAB_WORKSPACES_DIR=str(base / "workspaces"), JUPYTER_RUNTIME_DIR=str(base / "runtime"))
    log = open(base / "jupyter.log", "w")
    server = subprocess.Popen(
        [sys.executable, "-m", "jupyter", "lab", "--no-browser", "--ip=127.0.0.1", f"--port={port}",
         "--IdentityProvider.token=", "--ServerApp.password=", f"--ServerApp.root_dir={root}",
         "--ServerApp.disable_check_xsrf=True", "--expose-app-in-browser"] + (["--allow-root"] if os.geteuid() == 0 else []),
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


def test_scoping_the_policy_in_the_browser_denies_the_other_repository(jupyterlab):
    from playwright.sync_api import sync_playwright

    url, _ = jupyterlab
    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--no-first-run", "--disable-dev-shm-usage"])
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        try:
            page.goto(f"{url}/lab/tree/{NOTEBOOK}")
            page.wait_for_selector(".jp-Notebook-ExecutionIndicator[data-status='idle']", timeout=120_000)
            page.locator(".jp-Notebook .jp-Cell").first.click()  # focus the notebook
            page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
            page.locator(".lm-Menu-itemLabel", has_text="Run All Cells").first.click()
            page.wait_for_selector(".jp-Notebook .jp-InputPrompt:has-text('[*]'), .jp-Notebook .jp-InputPrompt:has-text('[1]')",
                                   timeout=60_000)  # the cells really started

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
        finally:
            browser.close()
