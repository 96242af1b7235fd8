from django import template

from pension.privacy import citizen_id_for

register = template.Library()


@register.simple_tag(takes_context=True)
def citizen_id(context, number: str) -> str:
    """``{% citizen_id person.id_number %}``: whole or masked by the user's roles."""
    return citizen_id_for(context["request"].user, number)


@register.simple_tag(takes_context=True)
def change_rows(context, entry) -> list[dict]:
    """A change-log entry as rows of changed fields: label, before, after.

    Creations list the values entered; updates only what changed. A citizen ID number
    is shown as the user may see it (masked by role; a full one is logged)."""
    user = context["request"].user
    from django.apps import apps
    from django.core.exceptions import FieldDoesNotExist
    from django.utils.translation import gettext

    from pension.changelog import changed

    try:
        model = apps.get_model(entry.object_type)
    except (LookupError, ValueError):
        model = None

    def field_of(attname: str):
        if model is None:
            return None
        try:
            return model._meta.get_field(attname.removesuffix("_id"))
        except FieldDoesNotExist:
            return None

    def shown(field, value, attname=""):
        if value in ("(hidden)", "(changed)"):  # a secret's stand-in (pension.watch)
            return gettext(value)
        if attname.endswith("id_number") and isinstance(value, str):
            return citizen_id_for(user, value)
        if field is not None and field.choices and value is not None:
            return dict(field.flatchoices).get(value, value)
        return value

    # keys of an export or a printing's row that are no field of the record
    labels = {
        "export": gettext("Document"),
        "format": gettext("Format"),
        "as_of": gettext("As of"),
        "determination": gettext("Pension determination"),
    }
    skip = {"id", "created_at", "updated_at", "password"}
    creating = entry.action == "create"
    rows = []
    for attname, (old, new) in changed(entry.before, entry.after).items():
        if attname in skip or (creating and new in ("", None)):
            continue
        field = field_of(attname)
        rows.append(
            {
                "field": field.verbose_name if field is not None else labels.get(attname, attname),
                "before": shown(field, old, attname),
                "after": shown(field, new, attname),
            }
        )
    return rows


@register.filter
def rule_text(value) -> str:
    """``{{ entry.rule|rule_text }}``: a rule or parameter reference in words."""
    from pension.rules import rule_text as words

    if isinstance(value, (list, tuple)):
        return "、".join(words(v) for v in value)
    return words(value)


@register.filter
def opens(user, domain: str) -> bool:
    """``{% if user|opens:"enrollment" %}``: the navigation opens ``domain``'s section to
    ``user`` (what ``section_required`` checks), so a link into it does not end in 403."""
    from pension.navigation import SECTION_BY_DOMAIN, sections_for

    return SECTION_BY_DOMAIN[domain] in sections_for(user)


@register.filter
def may(user, action: str) -> bool:
    """``{% if user|may:"prepare" %}``: ``user`` may ``action`` somewhere (role and region)."""
    from pension.models import Region
    from pension.scope import user_prefix

    return user_prefix(user, Region, action) is not None


@register.filter
def viewable_by(record, user) -> bool:
    """``{% if employer|viewable_by:user %}``: ``record`` is within what ``user`` may view
    (its model's region scope), so a link to its page does not end in 404."""
    from pension.scope import restrict

    if record is None:
        return False
    model = type(record)
    return restrict(model._default_manager.filter(pk=record.pk), user, "view").exists()


@register.simple_tag(takes_context=True)
def person_link(context, person) -> str:
    """``{% person_link person %}``: the person's name, linked to the person page when the
    user's roles open registration (else the name alone, never a link to a 403)."""
    return person_id_link(context, person.pk, person.name)


@register.simple_tag(takes_context=True)
def person_id_link(context, person_id: int, name: str) -> str:
    """``{% person_id_link row.person_id row.name %}``: as ``person_link`` for a report row
    that carries the person's id and name rather than the person."""
    from django.urls import reverse
    from django.utils.html import conditional_escape, format_html

    if opens(context["request"].user, "enrollment"):
        return format_html(
            '<a href="{}">{}</a>', reverse("enrollment:person_detail", args=[person_id]), name
        )
    return conditional_escape(name)


@register.filter
def money(value) -> str:
    """``{{ amount|money }}``: an amount with thousands separators and two decimals
    (``pension.money.format_money``). For pages only: exports and the API keep plain
    numbers."""
    from pension.money import format_money

    return format_money(value)
