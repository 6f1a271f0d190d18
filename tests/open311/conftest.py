"""Fixtures the Open311 tests share with gridapp's: local photo storage in a throwaway folder."""

from tests.gridapp.conftest import media  # noqa: F401
