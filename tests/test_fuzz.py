"""Whatever bytes an editor saves, the front-matter parser returns an article or errors,
never raises."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from newsgen.content import parse_source
from newsgen.errors import ContentError
from newsgen.markup import MarkdownRenderer
from newsgen.models import ParsedSource

TZ = ZoneInfo("Europe/Moscow")
RENDERER = MarkdownRenderer()
KEYS = ["title", "section", "lede", "tags", "date", "updated", "author", "image", "slug",
        "aliases", "template", "draft", "expires", "correction", "titel", "extra"]

scalars = (st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True)
           | st.text(max_size=30) | st.dates() | st.datetimes())
values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4)
                      | st.dictionaries(st.text(max_size=8), inner, max_size=4), max_leaves=12)
documents = st.dictionaries(st.sampled_from(KEYS) | st.text(max_size=10), values, max_size=8)
yaml_lines = st.lists(st.sampled_from([
    "title: Заголовок", "section: Политика", "lede: Лид", "tags: [a, b", "date: 2026-02-30",
    "date: 2026-11-25T10:00:00+03:00", "draft: yes", "- item", "  nested: x", "\ttab: 1",
    "key: 'unclosed", "a: &anchor 1", "b: *nope", "? complex", "!!python/object:os.system x",
    "slug: ../../x", "aliases: ['C:\\\\x']", "{", "]", "...", "---", "%YAML 1.1", "'", ": :",
]), max_size=12)


def check(data: bytes) -> None:
    article, problems = parse_source("content/fuzz.md", data, TZ, RENDERER)
    assert article is None or isinstance(article, ParsedSource)
    assert all(isinstance(p, ContentError) and p.path == "content/fuzz.md" for p in problems)
    if article is None:
        assert [p for p in problems if not p.is_warning]  # a refusal always says why
    for problem in problems:
        assert problem.line is None or problem.line >= 1
        str(problem)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=300))
def test_arbitrary_bytes(data: bytes) -> None:
    check(data)
    check(b"---\n" + data + b"\n---\nbody\n")


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(documents)
def test_arbitrary_yaml_documents(document: dict[object, object]) -> None:
    front = yaml.safe_dump(document, allow_unicode=True)
    check(f"---\n{front}---\nТекст.\n".encode())


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(yaml_lines, st.sampled_from(["\n", "\r\n"]), st.booleans())
def test_plausible_broken_front_matter(lines: list[str], newline: str, bom: bool) -> None:
    text = newline.join(["---", *lines, "---", "Текст."])
    check(("\ufeff" if bom else "").encode() + text.encode())
