"""Real-browser tests: JupyterLab in Debian's Chromium, driven by Playwright.

JupyterLab is started exactly as ./scripts/lab.sh starts it (scripts/jupyterlab.sh, in a
copy of the repository). The first test opens the server's default page as a learner
does: the first notebook, its figures loaded, a reading and the working copy's main.tf
reachable. The second opens the policy playground, runs it, scopes the policy to flask_app only, clicks
Apply, waits for the access matrix, and checks from the widgets' own DOM nodes (never
from text, which also appears in cell sources) that pulling reports_app turned to denied.

Nothing is timed before the server answers and the notebook's kernel is idle; every wait is for a
condition, bounded by tests/waits.py. Screenshots of a good run go to test-artifacts/browser/; when
a test fails, test-artifacts/<test name>/ gets a screenshot, the page's HTML, what the kernel and
the page showed, and the JupyterLab log, and the failure names that folder.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from . import waits

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "test-artifacts"
SHOTS = ARTIFACTS / "browser"
CHROMIUM = "/usr/bin/chromium"
NOTEBOOK = "notebooks/90-policy-playground.ipynb"
VISIBLE = ".jp-NotebookPanel:not(.lm-mod-hidden)"  # a notebook left open in another tab is in the DOM too, hidden

pytestmark = pytest.mark.browser


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Lab:
    """The JupyterLab server under test, and its log."""

    url: str
    env: dict = field(repr=False)  # a failure's report need not list the whole environment
    log: Path
    process: subprocess.Popen

    def api(self, path: str):
        with urllib.request.urlopen(f"{self.url}/api/{path}", timeout=waits.bound(waits.REQUEST)) as reply:
            return json.load(reply)

    def answers(self) -> bool:
        assert self.process.poll() is None, f"JupyterLab exited ({self.process.returncode}); its log:\n{self.log.read_text()}"
        try:
            self.api("status")
            return True
        except OSError:
            return False

    def kernel_state(self, path: str) -> str | None:
        """The execution state the server has for the kernel of the notebook at ``path``."""
        for session in self.api("sessions"):
            if session.get("path") == path and session.get("kernel"):
                return session["kernel"].get("execution_state")
        return None


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
    log_path = base / "jupyter.log"
    log = open(log_path, "w")
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))  # this checkout's iamlab
    # What ./scripts/lab.sh runs after installing and starting the sandbox; only the options a
    # headless test needs are added (no browser of its own, a free port, no token).
    server = subprocess.Popen(
        [str(root / "scripts" / "jupyterlab.sh"), "--no-browser", "--ip=127.0.0.1", f"--port={port}",
         "--IdentityProvider.token=", "--ServerApp.password="],
        env=env, stdout=log, stderr=subprocess.STDOUT)
    lab = Lab(f"http://127.0.0.1:{port}", env, log_path, server)
    try:
        waits.wait_until(lab.answers, "JupyterLab to answer /api/status", waits.SERVER_START,
                         interval=0.5, seen=lambda: log_path.read_text()[-2000:])
        yield lab
    finally:
        server.terminate()
        server.wait(waits.bound(waits.PROCESS_EXIT))
        log.close()
        subprocess.run([sys.executable, "-m", "iamlab", "sandbox", "stop"], env=env, capture_output=True,
                       timeout=waits.bound(waits.COMMAND))


SHOWN = """() => {
    const text = (selector) => [...document.querySelectorAll(selector)].map(e => e.textContent.trim()).filter(Boolean);
    const panel = document.querySelector('%s');
    return {
        title: document.title,
        tabs: text('.lm-TabBar-tab .lm-TabBar-tabLabel'),
        kernel_indicator: [...document.querySelectorAll('.jp-Notebook-ExecutionIndicator')].map(e => e.dataset.status),
        dialogs: text('.jp-Dialog'),
        prompts: panel ? [...panel.querySelectorAll('.jp-CodeCell .jp-InputPrompt')].map(e => e.textContent.trim()).slice(0, 40) : [],
        errors: panel ? text('.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]').slice(-5) : [],
    };
}""" % VISIBLE


class Tab:
    """A browser tab on the lab whose waits say, when they give up, what they waited for and
    what the page and the kernel showed, with the evidence saved in ``folder``."""

    def __init__(self, page, lab: Lab, folder: Path):
        self.page, self.lab, self.folder = page, lab, folder

    def shown(self) -> dict:
        try:
            seen = self.page.evaluate(SHOWN)
        except Exception as error:  # noqa: BLE001 - a crashed page is itself what was shown
            seen = {"page": f"could not be read: {error!r}"}
        try:
            seen["server_sessions"] = [(s.get("path"), (s.get("kernel") or {}).get("execution_state"))
                                       for s in self.lab.api("sessions")]
        except OSError as error:
            seen["server_sessions"] = f"JupyterLab did not answer: {error!r}"
        return seen

    def save_evidence(self, what: str) -> dict:
        """Screenshot, page HTML, what was shown and the JupyterLab log, in ``folder``."""
        self.folder.mkdir(parents=True, exist_ok=True)
        seen = self.shown()
        for name, save in (("screenshot.png", lambda path: self.page.screenshot(path=str(path), full_page=True)),
                           ("page.html", lambda path: path.write_text(self.page.content()))):
            try:
                save(self.folder / name)
            except Exception as error:  # noqa: BLE001 - keep whatever else can be kept
                (self.folder / f"{name}.error.txt").write_text(repr(error))
        (self.folder / "shown.json").write_text(json.dumps({"waiting_for": what, **seen}, indent=2))
        shutil.copyfile(self.lab.log, self.folder / "jupyter.log")
        return seen

    def wait(self, what: str, seconds: float, selector: str | None = None, function: str | None = None, state: str = "visible"):
        """Wait for ``selector`` (or the JavaScript ``function`` to return true) for ``bound(seconds)``."""
        from playwright.sync_api import TimeoutError as PlaywrightTimeout

        limit = waits.bound(seconds)
        try:
            if selector is not None:
                return self.page.wait_for_selector(selector, timeout=limit * 1000, state=state)
            return self.page.wait_for_function(function, timeout=limit * 1000, polling=250)
        except PlaywrightTimeout:
            seen = self.save_evidence(what)
            raise waits.WaitTimedOut(f"waited {limit:.0f} s for {what}; the page and kernel showed {seen}; "
                                     f"screenshot, page HTML and JupyterLab log in {self.folder}") from None

    def kernel_ready(self, path: str) -> None:
        """The notebook at ``path`` is open, and its kernel started and idle (on the page and on the server)."""
        self.wait(f"the notebook panel of {path}", waits.PAGE, selector=f"{VISIBLE} .jp-Notebook .jp-Cell")
        self.wait(f"the kernel of {path} to be idle on the page", waits.KERNEL_START,
                  selector=".jp-Notebook-ExecutionIndicator[data-status='idle']")
        try:
            waits.wait_until(lambda: self.lab.kernel_state(path) == "idle", f"the kernel of {path} to be idle on the server",
                             waits.KERNEL_START, interval=0.5, seen=lambda: self.lab.kernel_state(path))
        except waits.WaitTimedOut as error:
            self.save_evidence(str(error))
            raise waits.WaitTimedOut(f"{error}; evidence in {self.folder}") from None

    def run_all_cells(self, path: str) -> None:
        """Run All Cells from the menu, once the kernel is ready and the command is enabled."""
        self.kernel_ready(path)
        self.page.locator(f"{VISIBLE} .jp-Notebook .jp-Cell").first.click()  # the notebook on screen has the focus
        self.page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
        item = self.wait("the Run menu's Run All Cells, enabled", waits.PAGE,
                         selector=".lm-Menu-item:not(.lm-mod-disabled) .lm-Menu-itemLabel:has-text('Run All Cells')")
        item.click()
        self.wait("the first cell to show it was queued or ran ([*] or [1])", waits.CELL_STARTS,
                  selector=f"{VISIBLE} .jp-InputPrompt:has-text('[*]'), {VISIBLE} .jp-InputPrompt:has-text('[1]')")

    def run_finished(self, path: str) -> None:
        """No cell of the notebook is queued or running any more, and its kernel is idle."""
        self.wait(f"every cell of {path} to have run (no [*] left, the kernel idle)", waits.NOTEBOOK_RUN, function="""() => {
            const panel = document.querySelector('%s');
            const prompts = panel ? [...panel.querySelectorAll('.jp-CodeCell .jp-InputPrompt')].map(e => e.textContent) : [];
            const indicator = panel && panel.querySelector('.jp-Notebook-ExecutionIndicator')
                || document.querySelector('.jp-Notebook-ExecutionIndicator');
            return prompts.length > 0 && !prompts.some(p => p.includes('[*]'))
                && prompts.some(p => /\\[\\d+\\]/.test(p)) && indicator && indicator.dataset.status === 'idle';
        }""" % VISIBLE)


def artifact_folder(request) -> Path:
    return ARTIFACTS / re.sub(r"[^\w.-]+", "_", request.node.name)


@contextmanager
def browser_tab(lab: Lab, request):
    """A fresh Chromium tab on the lab. If the test fails, the evidence is saved and named."""
    from playwright.sync_api import sync_playwright

    SHOTS.mkdir(parents=True, exist_ok=True)
    folder = artifact_folder(request)
    shutil.rmtree(folder, ignore_errors=True)  # only this run's evidence
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, timeout=waits.bound(waits.PAGE) * 1000, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--no-first-run", "--disable-dev-shm-usage"])
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.set_default_timeout(waits.bound(waits.PAGE) * 1000)  # clicks and navigations too
            page.set_default_navigation_timeout(waits.bound(waits.PAGE) * 1000)
            tab = Tab(page, lab, folder)
            try:
                yield tab
            except waits.WaitTimedOut:
                raise  # already saved and named
            except Exception as error:
                tab.save_evidence(f"(no wait: the test failed with {type(error).__name__})")
                error.add_note(f"screenshot, page HTML and JupyterLab log in {folder}")
                raise
        finally:
            browser.close()


def test_the_launch_opens_the_first_notebook_with_its_figures_readings_and_working_copy(jupyterlab, request):
    lab = jupyterlab
    with browser_tab(lab, request) as tab:
        page = tab.page
        page.goto(lab.url)  # the server's default page, as the learner's browser opens it
        tab.wait("the first notebook's tab", waits.PAGE, selector=".lm-TabBar-tab:has-text('00-start-here.ipynb')")
        tab.wait("a figure in the first notebook", waits.PAGE, selector=".jp-Notebook .jp-RenderedMarkdown img")
        tab.wait("every figure to have loaded", waits.PAGE, function="""() => [...document.querySelectorAll(
                 '.jp-Notebook .jp-RenderedMarkdown img')].every(img => img.complete)""")
        figures = page.locator(".jp-Notebook .jp-RenderedMarkdown img")
        widths = figures.evaluate_all("images => images.map(img => [img.getAttribute('src'), img.naturalWidth])")
        assert widths and all(width > 0 for _, width in widths), widths  # a broken figure has naturalWidth 0
        tab.run_all_cells("notebooks/00-start-here.ipynb")  # starts the sandbox and creates the working copy
        tab.run_finished("notebooks/00-start-here.ipynb")
        page.screenshot(path=str(SHOTS / "0-start-here.png"), full_page=True)

        page.goto(lab.url)  # back at the top: JupyterLab renders only the cells in view
        tab.wait("the first notebook's tab again", waits.PAGE, selector=".lm-TabBar-tab:has-text('00-start-here.ipynb')")
        link = tab.wait("the link to the reading", waits.PAGE,
                        selector=".jp-Notebook .jp-RenderedMarkdown a:has-text('lessons/00-start-here.md')")
        link.click()
        tab.wait("the reading's tab, opened by the link", waits.PAGE, selector=".lm-TabBar-tab:has-text('00-start-here.md')")
        page.goto(f"{lab.url}/lab/tree/lessons/00-start-here.md")  # the reading the link opened, in front
        tab.wait("the reading's text in the editor", waits.PAGE, selector=".jp-FileEditor .cm-content:has-text('The situation')")
        page.screenshot(path=str(SHOTS / "0-reading.png"), full_page=True)

        page.goto(f"{lab.url}/lab/tree/workspace/tf/main.tf")
        tab.wait("the working copy's main.tf in the editor", waits.PAGE,
                 selector=".jp-FileEditor .cm-content:has-text('aws_iam_role_policy_attachment')")
        page.screenshot(path=str(SHOTS / "0-main-tf.png"), full_page=True)


def test_scoping_the_policy_in_the_browser_denies_the_other_repository(jupyterlab, request):
    lab = jupyterlab
    with browser_tab(lab, request) as tab:
        page = tab.page
        page.goto(f"{lab.url}/lab/tree/{NOTEBOOK}?reset")  # a fresh workspace: only this notebook open
        tab.run_all_cells(NOTEBOOK)

        def cell(check: str, column: str) -> str:
            return f".jp-OutputArea .iamlab-matrix td[data-check='{check}'][data-column='{column}']"

        tab.wait("the access matrix (the notebook's run: sandbox, apply, checks)", waits.NOTEBOOK_RUN,
                 selector=cell("pull:reports_app", "after"))
        assert page.get_attribute(cell("pull:reports_app", "after"), "data-decision") == "allowed"
        page.screenshot(path=str(SHOTS / "1-before.png"), full_page=True)

        # Scope the statement to flask_app only, through the widgets.
        page.locator(".jp-OutputArea .widget-toggle-button", has_text="Chosen repositories").first.click()
        page.locator(".jp-OutputArea .widget-select-multiple select").first.select_option("flask_app")
        # The kernel has the selection once the editor's preview shows the repository's ARN.
        tab.wait("the kernel to show the chosen repository in the preview", waits.WIDGET_ANSWER,
                 selector=".jp-OutputArea .widget-tab pre:has-text('repository/flask_app')")
        page.locator(".jp-OutputArea button.jupyter-button", has_text="own Resource").first.click()
        tab.wait("the kernel to split the login into its own statement", waits.WIDGET_ANSWER,
                 selector=".jp-OutputArea .widget-tab pre:has-text('\"Sid\": \"Login\"')")
        page.screenshot(path=str(SHOTS / "2-scoped.png"), full_page=True)
        apply = page.locator(".jp-OutputArea button.jupyter-button", has_text="Apply").first
        apply.click()
        tab.wait("the buttons to be disabled while applying", waits.WIDGET_ANSWER,
                 selector=".jp-OutputArea button.jupyter-button:disabled")

        denied = cell("pull:reports_app", "after") + "[data-decision='denied']"
        tab.wait("the matrix to show pulling reports_app denied after the apply", waits.NOTEBOOK_RUN, selector=denied)
        assert page.get_attribute(cell("pull:reports_app", "before"), "data-decision") == "allowed"
        assert page.get_attribute(cell("pull:flask_app", "after"), "data-decision") == "allowed"
        assert page.get_attribute(cell("login", "after"), "data-decision") == "allowed"
        assert page.locator(".jp-OutputArea .iamlab-panel.iamlab-success").count() >= 1
        page.screenshot(path=str(SHOTS / "3-after-apply.png"), full_page=True)
