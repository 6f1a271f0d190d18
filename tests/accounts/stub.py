"""Moved to tests/wechat_stub_helpers.py (shared by every test folder); kept so that
`from .stub import ...` goes on working."""

from tests.wechat_stub_helpers import *  # noqa: F401,F403
from tests.wechat_stub_helpers import (APP_ID, APP_SECRET, JSCODE2SESSION,  # noqa: F401
                                       MSG_SEC_CHECK, PHONE, STABLE_TOKEN, SUBSCRIBE_SEND,
                                       expect_session, expect_token, requests_to,
                                       token_fetches)
