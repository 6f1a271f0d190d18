from django.http import HttpRequest, JsonResponse


def healthz(request: HttpRequest) -> JsonResponse:
    """The process is up and serving (no dependency is touched)."""
    return JsonResponse({"status": "ok"})
