"""`doctor` finds what is missing and says how to fix it."""

from __future__ import annotations

import pytest

from iamlab import doctor

from .conftest import run_cli


def test_missing_terraform_is_explained_with_the_fix(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))  # no terraform here
    check = doctor.check_terraform()
    assert not check.ok
    assert "No `terraform` program on PATH" in check.detail
    assert "Install Terraform" in check.fix


def test_missing_provider_source_is_explained_with_the_fix(monkeypatch):
    monkeypatch.delenv("IAMLAB_PROVIDER_MIRROR", raising=False)
    monkeypatch.setattr(doctor.cliconfig, "USUAL_MIRRORS", ())
    check = doctor.check_provider_source(registry_url="http://127.0.0.1:9/unreachable")
    assert not check.ok
    assert "IAMLAB_PROVIDER_MIRROR" in check.fix and "terraform providers mirror" in check.fix


@pytest.mark.integration  # runs terraform and a sandbox
def test_doctor_cli_reports_every_check_and_fails_when_one_fails(course_home, tmp_path):
    result = run_cli("doctor", env={"IAMLAB_PROVIDER_MIRROR": str(tmp_path)})
    assert result.returncode == 1
    assert "✔ terraform" in result.stdout
    assert "✘ AWS provider" in result.stdout and "fix:" in result.stdout
    assert "✔ sandbox" in result.stdout


@pytest.mark.integration  # runs terraform and a sandbox
def test_doctor_passes_on_this_machine(course_home):
    result = run_cli("doctor")
    assert result.returncode == 0, result.stdout
    assert "Everything is ready." in result.stdout


def test_doctor_says_whether_the_warm_provider_is_used_and_why(monkeypatch):
    monkeypatch.setenv("IAMLAB_WARM_PROVIDER", "off")
    check = doctor.check_warm_provider()
    assert check.ok and "warm provider off: IAMLAB_WARM_PROVIDER=off" in check.detail
    monkeypatch.setenv("IAMLAB_WARM_PROVIDER", "maybe")
    check = doctor.check_warm_provider()
    assert not check.ok and "on, off or auto" in check.fix


@pytest.mark.parametrize("check, program", [(doctor.check_skopeo, "skopeo"), (doctor.check_graphviz, "Graphviz `dot`")])
def test_missing_skopeo_or_graphviz_is_explained_with_the_fix(monkeypatch, tmp_path, check, program):
    monkeypatch.setenv("PATH", str(tmp_path))
    found = check()
    assert not found.ok and program in found.detail and "apt-get install" in found.fix


def test_skopeo_and_graphviz_are_checked_and_found_here(monkeypatch):
    for name in ("check_terraform", "check_provider_source", "check_sandbox", "check_warm_provider"):
        monkeypatch.setattr(doctor, name, lambda name=name: doctor.Check(name, True, "not run here"))
    checks = {c.name: c for c in doctor.run_checks()}
    assert checks["skopeo"].ok and checks["graphviz"].ok
