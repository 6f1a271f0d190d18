"""The schema is what a client developer builds against alone (issue 12): every operation
has a summary, a tag for its area, its documented error responses with their codes in the
error body, and examples of its request and its answer. Each test names every operation
that falls short, so a new endpoint without them fails here."""

import pytest
from drf_spectacular.generators import SchemaGenerator

from config.api.openapi import AUTHENTICATION

# Operations still without a hand-written example of their request body and answer.
# The list must stay exact (an operation that gains its examples must leave it), so it
# only ever shrinks.
WITHOUT_EXAMPLES = {
    # A file, not JSON: its answer has no example to show.
    "GET /api/v1/payroll/runs/{id}/export.csv", "GET /api/v1/payroll/runs/{id}/export.xlsx",
    "GET /api/v1/payroll/year-end/{id}/export.csv",
    "GET /api/v1/payroll/year-end/{id}/export.xlsx",
    "GET /api/v1/payroll/year-end/{id}/notice.csv",
    "GET /api/v1/payroll/year-end/{id}/notice.xlsx",
}


@pytest.fixture(scope="module")
def schema():
    return SchemaGenerator().get_schema(request=None, public=True)


def operations(schema):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            yield f"{method.upper()} {path}", operation


def has_examples(operation) -> bool:
    body = operation.get("requestBody")
    body_ok = body is None or any("examples" in media for media in body["content"].values())
    answers = [r for code, r in operation["responses"].items() if code.startswith("2")]
    answer_ok = all("content" not in r for r in answers) or any(
        "examples" in media for r in answers for media in r.get("content", {}).values())
    return body_ok and answer_ok


def test_every_operation_has_a_one_line_summary(schema):
    missing = [name for name, op in operations(schema)
               if not op.get("summary") or "\n" in op["summary"]]
    assert missing == []


def test_no_operation_shows_drfs_own_docstrings(schema):
    leaking = [name for name, op in operations(schema)
               if "Django's regular dispatch" in op.get("description", "")]
    assert leaking == []


def test_every_operation_is_tagged_with_its_area(schema):
    untagged = [name for name, op in operations(schema)
                if not op.get("tags") or op["tags"] == ["v1"]]
    assert untagged == []
    tags = {tag for _name, op in operations(schema) for tag in op["tags"]}
    assert {"sign-in", "grids", "reports", "map", "payroll"} <= tags


def test_every_operation_documents_its_errors_with_codes_in_the_error_body(schema):
    bare = []
    for name, op in operations(schema):
        errors = {code: r for code, r in op["responses"].items() if code[0] in "45"}
        if not errors:
            bare.append(name)
        for code, response in errors.items():
            media = response.get("content", {}).get("application/json", {})
            if media.get("schema", {}).get("$ref") != "#/components/schemas/Error" \
                    or not media.get("examples") or "`" not in response["description"]:
                bare.append(f"{name} {code}")
    assert bare == []


def test_every_authenticated_operation_documents_its_401_codes(schema):
    lacking = [name for name, op in operations(schema)
               if op.get("security") and {} not in op["security"]
               and set(AUTHENTICATION[401]) - set(op["responses"].get("401", {}).get(
                   "content", {}).get("application/json", {}).get("examples", {}))]
    assert lacking == []


def test_documented_codes_are_the_codes_of_docs_api_md(schema):
    """A code in the schema is a code a client can look up."""
    from tests.test_docs import API_MD

    unknown = {code for _name, op in operations(schema)
               for status, r in op["responses"].items() if status[0] in "45"
               for code in r["content"]["application/json"]["examples"]
               if f"`{code}`" not in API_MD}
    assert unknown == set()


def test_the_lifecycle_actions_document_their_403_and_409(schema):
    responses = schema["paths"]["/api/v1/reports/{id}/dispatch/"]["post"]["responses"]
    assert "invalid_transition" in responses["409"]["content"]["application/json"]["examples"]
    assert "permission_denied" in responses["403"]["content"]["application/json"]["examples"]


def test_every_operation_has_examples_of_its_request_and_answer(schema):
    without = {name for name, op in operations(schema) if not has_examples(op)}
    assert without - WITHOUT_EXAMPLES == set(), "operations without examples"
    assert WITHOUT_EXAMPLES - without == set(), "these now have examples: drop them from the list"


@pytest.mark.parametrize("component", ["Report", "ReportDetail", "ReportCreated"])
@pytest.mark.parametrize("field", ["department_name", "suggested_department_name"])
def test_names_that_are_null_until_dispatch_are_declared_nullable(schema, component, field):
    assert schema["components"]["schemas"][component]["properties"][field]["nullable"] is True


def test_a_submitted_report_answers_null_department_names_as_the_schema_allows(schema):
    """The schema's claim checked against a real answer's shape (issue 11, point 7)."""
    from gridapp.api.serializers.reports import ReportSerializer

    read_only_null = [name for name, field in ReportSerializer().fields.items()
                      if field.read_only and getattr(field, "default", None) is None
                      and "department" in name and name.endswith("_name")]
    props = schema["components"]["schemas"]["Report"]["properties"]
    assert read_only_null and all(props[name].get("nullable") for name in read_only_null)
