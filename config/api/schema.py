"""OpenAPI post-processing: what docs/api.md's "Conventions" promise, written into the schema
once instead of on every view."""

from typing import Any

IDEMPOTENCY_KEY_PARAMETER = {
    "in": "header",
    "name": "Idempotency-Key",
    "required": False,
    "schema": {"type": "string", "minLength": 1, "maxLength": 64},
    "description": (
        "Makes a retry safe: the same key from the same user within 24 h returns the first "
        "response (header `Idempotent-Replayed: true`) and creates nothing; the same key "
        "with a different request is 409 `idempotency_key_reused`."
    ),
}


def document_idempotency_key(result: dict, **_kwargs: Any) -> dict:
    """Every creating POST (one documented with a 201) takes `Idempotency-Key`.
    tests/test_idempotency.py checks that each such view really uses the mechanism."""
    for path_item in result.get("paths", {}).values():
        operation = path_item.get("post")
        if operation is None or "201" not in operation.get("responses", {}):
            continue
        parameters = operation.setdefault("parameters", [])
        if not any(p.get("in") == "header" and p.get("name") == "Idempotency-Key"
                   for p in parameters):
            parameters.append(IDEMPOTENCY_KEY_PARAMETER)
    return result
