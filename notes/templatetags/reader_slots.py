"""`{% reader_slot name [key] %}`: a place in the note page's shared copy where a signed-in
reader's own part goes (notes.page_assembly cuts the rendered page at these markers)."""

from django import template
from django.utils.safestring import mark_safe

register = template.Library()


@register.simple_tag(takes_context=True)
def reader_slot(context, name: str, key: str = "") -> str:
    # The marker opens with a nonce drawn for each rendering, which no stored text can hold.
    return mark_safe(f"{context['slot_marker']}{name}:{key}-->" if key else f"{context['slot_marker']}{name}-->")  # noqa: S308 - our own marker
