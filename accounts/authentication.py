"""Bearer tokens as docs/api.md's Conventions say: an expired access token is 401
`token_expired` (refresh it), any other bad one 401 `token_invalid` (sign in again),
each with a message in the user's language instead of simplejwt's English
"Given token not valid for any token type"."""

from django.db.models import Expression, QuerySet
from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme
from rest_framework_simplejwt import authentication
from rest_framework_simplejwt.exceptions import AuthenticationFailed, ExpiredTokenError, TokenError
from rest_framework_simplejwt.tokens import AccessToken, Token

from accounts.models import User
from config.api.errors import TokenExpired, TokenInvalid

# What an app above reads of the user on every request, loaded with the user in the one
# query authentication makes instead of one more of its own (gridapp: the roles token).
USER_ANNOTATIONS: dict[str, Expression] = {}


def annotate_user(name: str, expression: Expression) -> None:
    """Load `expression` as `user.<name>` with the user of every API request (called from
    an app's `ready()`, as accounts may not import the apps above it)."""
    USER_ANNOTATIONS[name] = expression


def validated(token_class: type[Token], raw: bytes | str) -> Token:
    """The token, or TokenExpired / TokenInvalid."""
    try:
        return token_class(raw)
    except ExpiredTokenError as exc:
        raise TokenExpired() from exc
    except TokenError as exc:
        raise TokenInvalid() from exc


class _Users:
    """What simplejwt's `get_user` reads of the user model (`objects`, `DoesNotExist`),
    with the annotations above: its checks (active, revoked token) stay simplejwt's."""

    DoesNotExist = User.DoesNotExist

    @property
    def objects(self) -> QuerySet[User]:
        return User.objects.annotate(**USER_ANNOTATIONS)


class JWTAuthentication(authentication.JWTAuthentication):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.user_model = _Users()

    def get_validated_token(self, raw_token: bytes) -> Token:
        return validated(AccessToken, raw_token)

    def get_user(self, validated_token: Token) -> User:
        try:
            return super().get_user(validated_token)
        except AuthenticationFailed as exc:  # user deleted or disabled, or a stale token
            raise TokenInvalid() from exc


class JWTScheme(SimpleJWTScheme):
    """The schema documents our subclass as drf-spectacular documents simplejwt's."""

    target_class = JWTAuthentication
