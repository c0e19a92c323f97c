"""The change set the dev server hands the build: each path sorted by what it changes."""

from pathlib import Path

from newsgen.changes import ChangeSet


def test_paths_are_sorted_by_what_they_change(tmp_path: Path) -> None:
    site = tmp_path / "site"
    changes = ChangeSet.of(site, [
        str(site / "content/a.md"), str(site / "content/politika"),
        str(site / "content/.a.md.swp"), str(site / "templates/base.html"),
        str(site / "static/css/x.css"), str(tmp_path / "elsewhere.md")])
    assert changes.content == (str(site / "content/a.md"), str(site / "content/politika"))
    assert changes.templates and changes.static
    assert not changes.config and not changes.rescan


def test_the_config_and_replaced_folders_are_named(tmp_path: Path) -> None:
    site = tmp_path / "site"
    assert ChangeSet.of(site, [str(site / "newsgen.yaml")]).config
    assert ChangeSet.of(site, [str(site / "content")]).rescan
    assert ChangeSet.of(site, [str(site)]).rescan
    assert ChangeSet.of(site, [str(tmp_path)]).rescan
