"""Django's PostgreSQL backend, reading timestamps with psycopg's C loader.

Django registers its own loader for `timestamptz` on every psycopg 3 connection (to give
each value the connection's time zone), built on psycopg's pure-Python loader: every
timestamp read costs a regular expression and Python calls, about 4 µs. A month's
scorecards read 260,000 of them (1.1 s of the 1.9 s their statement took). The
connection's time zone is UTC (Django sets it), which is what psycopg's C loader gives
values already; so where psycopg's C module is installed (psycopg[binary], our pin) each
cursor reads timestamps with the C loader instead. Without it nothing changes. Selected by
settings.py for every PostgreSQL URL.
"""

import datetime as dt

from django.db.backends.postgresql import base

try:
    from psycopg_binary._psycopg import TimestamptzLoader as CTimestamptzLoader
except ImportError:  # psycopg without its C module: Django's loader stays
    CTimestamptzLoader = None


class DatabaseWrapper(base.DatabaseWrapper):
    def create_cursor(self, name=None):
        cursor = super().create_cursor(name)
        if CTimestamptzLoader is not None and self.timezone == dt.UTC:
            # on the cursor: Django's create_cursor reads the connection's loader
            cursor.adapters.register_loader("timestamptz", CTimestamptzLoader)
        return cursor
