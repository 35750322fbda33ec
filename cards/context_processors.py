from cards.selectors import unread_in_app_count


def notifications(request):
    """The unread in-app message count shown in the header."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"unread_notifications": unread_in_app_count(user)}
