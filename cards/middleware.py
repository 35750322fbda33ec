"""The shared cache's versions read once a request."""

from cards.services.versions import read_once, versions_likely_for


class VersionsMiddleware:
    """Each version a request reads is read once, and its first read takes those
    the request is likely to read with it, in one round trip
    (`cards.services.versions.read_once`). Runs once the person is known."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        with read_once(lambda: versions_likely_for(request.user)):
            return self.get_response(request)
