from functools import cache

from cards.selectors import unread_in_app_count


def notifications(request):
    """The unread in-app message count shown in the header, counted only when a
    template shows it (once per render): the queue's polled list, and every other
    fragment, have no header."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"unread_notifications": cache(lambda: unread_in_app_count(user))}
