"""Account actions: WeChat login and binding the user's phone number."""

import secrets

from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from config.api.errors import Conflict

from .models import User
from .wechat import get_client


class PhoneTaken(Conflict):
    default_code = "phone_taken"
    default_detail = _("This phone number belongs to another account.")


def login_with_wechat(code: str) -> tuple[User, bool]:
    """The user behind a `wx.login` code, created on first login. Returns (user, created)."""
    session = get_client().code_to_session(code)
    user = User.objects.filter(wechat_openid=session.openid).first()
    if user is not None:
        if session.unionid and user.wechat_unionid != session.unionid:
            user.wechat_unionid = session.unionid
            user.save(update_fields=["wechat_unionid"])
        return user, False
    try:
        with transaction.atomic():
            user = User.objects.create(username=f"wx_{secrets.token_hex(8)}",
                                       wechat_openid=session.openid,
                                       wechat_unionid=session.unionid)
            user.set_unusable_password()
            user.save(update_fields=["password"])
            return user, True
    except IntegrityError:  # the same code's twin request created it a moment ago
        return User.objects.get(wechat_openid=session.openid), False


def bind_phone(user: User, *, code: str) -> User:
    """Store the phone number WeChat vouches for (from `getPhoneNumber`)."""
    phone = get_client().get_phone_number(code)
    if User.objects.filter(phone=phone).exclude(pk=user.pk).exists():
        raise PhoneTaken()
    user.phone = phone
    try:
        with transaction.atomic():
            user.save(update_fields=["phone"])
    except IntegrityError:
        raise PhoneTaken()
    return user


def rename(user: User, *, display_name: str) -> User:
    user.display_name = display_name
    user.save(update_fields=["display_name"])
    return user
