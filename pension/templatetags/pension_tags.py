from django import template

from pension.privacy import citizen_id_for

register = template.Library()


@register.simple_tag(takes_context=True)
def citizen_id(context, number: str) -> str:
    """``{% citizen_id person.id_number %}``: whole or masked by the user's roles."""
    return citizen_id_for(context["request"].user, number)
