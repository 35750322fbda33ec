"""HTML pages, one module per area: home (landing and in-app messages), portal
(providers), queue (specialists and supervisors), console (phone operators) and
public (the contacts page)."""


def page_number(request) -> str:
    """The page a list is asked for: its number, "1" for none or anything else.
    Lists kept per page key on it, so that one page is never kept under
    another's number."""
    page = request.GET.get("page", "")
    return page if page.isdigit() and page != "0" else "1"
