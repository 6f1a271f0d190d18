"""The WeChat stub fixtures (`wechat_stub`, `hanging_handler`) moved to tests/conftest.py,
their helpers to tests/wechat_stub_helpers.py: every test folder uses them now."""
