"""`render_quotes` typesets quotes stored before quotes were kept typeset; a re-render of a
revision typesets its quotes again."""

import io

import pytest
from django.core.management import call_command

from accounts.annotations.services import annotation_create
from accounts.models import Annotation
from notes.services import revision_rerender
from tests.conftest import note_source

pytestmark = pytest.mark.django_db


def test_render_quotes_fills_old_rows_and_only_those(publish, reader):
    publish("q", note_source("Q", body="Prose with $x^2$ in it.\n"))
    a = annotation_create(owner=reader, slug="q", revision_number=1, quote="with $x^2$ in")
    Annotation.objects.filter(pk=a.pk).update(quote_html="")  # a row from before the field
    out = io.StringIO()
    call_command("render_quotes", stdout=out)
    assert "1 quote(s) rendered" in out.getvalue()
    assert "katex" in Annotation.objects.get(pk=a.pk).quote_html
    call_command("render_quotes", stdout=out)
    assert "0 quote(s) rendered" in out.getvalue()


def test_a_rerender_typesets_the_revisions_quotes_again(publish, reader):
    revision = publish("q", note_source("Q", body="$$\nx^2 \\label{eq:sq}\n$$\n"))
    a = annotation_create(owner=reader, slug="q", revision_number=1, kind="equation", block_id="eq:sq")
    Annotation.objects.filter(pk=a.pk).update(quote_html="<p>stale</p>")
    revision_rerender(revision=revision)
    quote = Annotation.objects.get(pk=a.pk).quote_html
    assert "stale" not in quote and "katex" in quote and "(1)" in quote
