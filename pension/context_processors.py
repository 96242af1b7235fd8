from pension.navigation import menu_for


def navigation(request) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": [], "pending_approval_count": 0}
    from pension.approval_views import pending_for_checker

    return {
        "nav_items": menu_for(user),
        "pending_approval_count": pending_for_checker(user).count() if user.roles else 0,
    }
