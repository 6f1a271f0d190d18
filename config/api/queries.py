"""List filters are read one way everywhere: a serializer validates the query string (a
malformed value is 400 naming the parameter) and a selector applies what it returns."""

from rest_framework import serializers
from rest_framework.request import Request


def validated_query(request: Request, serializer_class: type[serializers.Serializer]) -> dict:
    query = serializer_class(data=request.query_params)
    query.is_valid(raise_exception=True)
    return query.validated_data
