"""Terraform gets its provider from a mirror where there is one, the registry otherwise."""

from __future__ import annotations

import pytest

from iamlab.terraform import cliconfig


def test_configured_mirror_wins(fake_mirror, monkeypatch):
    monkeypatch.setenv("IAMLAB_PROVIDER_MIRROR", str(fake_mirror))
    source = cliconfig.find_provider_source()
    assert source.kind == "mirror" and source.path == fake_mirror.resolve()
    assert "IAMLAB_PROVIDER_MIRROR" in source.reason
    assert "5.99.0" in source.describe()


def test_configured_mirror_without_the_provider_is_an_error_with_a_fix(tmp_path, monkeypatch):
    monkeypatch.setenv("IAMLAB_PROVIDER_MIRROR", str(tmp_path))
    with pytest.raises(cliconfig.MirrorError) as error:
        cliconfig.find_provider_source()
    assert "unset IAMLAB_PROVIDER_MIRROR" in str(error.value)


def test_mirror_found_in_a_usual_place(fake_mirror, monkeypatch):
    monkeypatch.delenv("IAMLAB_PROVIDER_MIRROR", raising=False)
    monkeypatch.setattr(cliconfig, "USUAL_MIRRORS", ("/nonexistent", str(fake_mirror)))
    source = cliconfig.find_provider_source()
    assert source.kind == "mirror" and source.reason == "found on this machine"


def test_registry_when_no_mirror_exists(monkeypatch):
    monkeypatch.delenv("IAMLAB_PROVIDER_MIRROR", raising=False)
    monkeypatch.setattr(cliconfig, "USUAL_MIRRORS", ("/nonexistent",))
    source = cliconfig.find_provider_source()
    assert source.kind == "registry"
    text = cliconfig.render_cli_config(source, cliconfig.Path("/cache"))
    assert "provider_installation" not in text  # Terraform's default: the registry
    assert 'plugin_cache_dir = "/cache"' in text


def test_mirror_config_limits_the_mirror_to_the_aws_provider(fake_mirror):
    source = cliconfig.ProviderSource("mirror", fake_mirror, "test")
    text = cliconfig.render_cli_config(source, cliconfig.Path("/cache"))
    assert f'path    = "{fake_mirror}"' in text
    assert 'include = ["registry.terraform.io/hashicorp/aws"]' in text
    assert 'exclude = ["registry.terraform.io/hashicorp/aws"]' in text


def test_cli_config_is_written_into_the_course_home(course_home, fake_mirror, monkeypatch):
    monkeypatch.setenv("IAMLAB_PROVIDER_MIRROR", str(fake_mirror))
    monkeypatch.setenv("IAMLAB_PLUGIN_CACHE", str(course_home / "cache"))
    path = cliconfig.write_cli_config()
    assert path.parent == course_home.resolve()
    assert str(course_home / "cache") in path.read_text()
