"""Kinds of output as a contributor adds them: one unit class (and a template), whose
declaration is all the engine needs to key it and to render it again after an edit."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from conftest import SiteDir

from newsgen.models import OutputFile
from newsgen.pages import KINDS, Plan, Shown, Shows, UndeclaredArticle, Unit
from newsgen.render import PageRenderer


@dataclass(frozen=True)
class FirstParagraphs(Unit):
    """/digest.txt: the headline and the body of every article of the site, as text."""

    items: tuple[int, ...]

    with_menu = False

    @property
    def ident(self) -> str:
        return "digest"

    def template(self) -> None:
        return None

    def shows(self) -> Shows:
        return Shows(whole=self.items)

    def identity(self) -> tuple[str, ...]:
        return ()

    def render(self, renderer: PageRenderer, shown: Shown) -> list[OutputFile]:
        text = "".join(f"{shown.whole(i).title}\n{shown.whole(i).body_html}\n"
                       for i in self.items)
        return [OutputFile("digest.txt", text.encode(), "digest")]

    @classmethod
    def plan(cls, plan: Plan) -> Iterator[FirstParagraphs]:
        yield cls(tuple(range(len(plan.site.articles))))


@dataclass(frozen=True)
class Sneaky(FirstParagraphs):
    """Declares the articles as cards but reads their bodies."""

    def shows(self) -> Shows:
        return Shows(cards=self.items)


def test_a_new_kind_of_output_is_rendered_again_after_a_body_edit(site: SiteDir) -> None:
    kinds = (*KINDS, FirstParagraphs)
    site.add("a", title="Первая", body="Старый текст.", date="2026-11-20")
    site.add("b", title="Вторая", body="Другой текст.", date="2026-11-21")
    site.build(kinds=kinds)
    assert "Старый текст." in site.page("/digest.txt")
    site.add("a", title="Первая", body="Новый текст.", date="2026-11-20")
    result = site.build(kinds=kinds)
    assert result.kind == "patch"
    assert "Новый текст." in site.page("/digest.txt")
    assert "Старый текст." not in site.page("/digest.txt")


def test_a_unit_that_reads_what_it_did_not_declare_fails(site: SiteDir) -> None:
    site.add("a", title="Первая", date="2026-11-20")
    with pytest.raises(UndeclaredArticle):
        site.build(kinds=(*KINDS, Sneaky))


def test_a_kind_that_does_not_declare_what_it_shows_cannot_be_made() -> None:
    @dataclass(frozen=True)
    class Undeclared(Unit):
        @property
        def ident(self) -> str:
            return "undeclared"

        def template(self) -> None:
            return None

        def render(self, renderer: PageRenderer, shown: Shown) -> list[OutputFile]:
            return []

        @classmethod
        def plan(cls, plan: Plan) -> Iterator[Undeclared]:
            yield cls()

    with pytest.raises(TypeError, match="abstract"):
        Undeclared()  # type: ignore[abstract]
