from pension.navigation import menu_for


def navigation(request) -> dict:
    user = getattr(request, "user", None)
    return {"nav_items": menu_for(user) if user is not None else []}
