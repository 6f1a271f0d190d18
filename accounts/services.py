"""Account actions: WeChat login, binding the user's phone number, renaming."""

import secrets

from django.contrib.auth.models import update_last_login
from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _
from rest_framework_simplejwt.settings import api_settings as jwt_settings

from config.api.errors import Conflict, Forbidden

from .models import User
from .wechat import Session, get_client


class PhoneTaken(Conflict):
    default_code = "phone_taken"
    default_detail = _("This phone number belongs to another account.")


class AccountDisabled(Forbidden):
    default_code = "account_disabled"
    default_detail = _("This account has been disabled.")


def login_with_wechat(code: str) -> tuple[User, bool]:
    """The user behind a `wx.login` code, created on first login. Returns (user, created).

    WeChat is asked first and outside any transaction: a slow WeChat must not hold a
    database lock.
    """
    session = get_client().code_to_session(code)
    user = User.objects.filter(wechat_openid=session.openid).first()
    if user is None:
        user, created = _create_wechat_user(session)
    else:
        created = False
        if not user.is_active:  # its tokens would be refused anyway: say why, now
            raise AccountDisabled()
        if session.unionid and user.wechat_unionid != session.unionid:
            user.wechat_unionid = session.unionid
            user.save(update_fields=["wechat_unionid"])
    if jwt_settings.UPDATE_LAST_LOGIN:
        update_last_login(None, user)
    return user, created


def _create_wechat_user(session: Session) -> tuple[User, bool]:
    try:
        with transaction.atomic():
            user = User(username=f"wx_{secrets.token_hex(8)}", wechat_openid=session.openid,
                        wechat_unionid=session.unionid)
            user.set_unusable_password()
            user.save()
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
    except IntegrityError:  # a concurrent binding of the same number won the race
        user.refresh_from_db(fields=["phone"])
        raise PhoneTaken()
    return user


def rename(user: User, *, display_name: str) -> User:
    user.display_name = display_name
    user.save(update_fields=["display_name"])
    return user
