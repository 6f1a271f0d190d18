"""Bearer tokens as docs/api.md's Conventions say: an expired access token is 401
`token_expired` (refresh it), any other bad one 401 `token_invalid` (sign in again),
each with a message in the user's language instead of simplejwt's English
"Given token not valid for any token type"."""

from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme
from rest_framework_simplejwt import authentication
from rest_framework_simplejwt.exceptions import AuthenticationFailed, ExpiredTokenError, TokenError
from rest_framework_simplejwt.tokens import AccessToken, Token

from accounts.models import User
from config.api.errors import TokenExpired, TokenInvalid


def validated(token_class: type[Token], raw: bytes | str) -> Token:
    """The token, or TokenExpired / TokenInvalid."""
    try:
        return token_class(raw)
    except ExpiredTokenError as exc:
        raise TokenExpired() from exc
    except TokenError as exc:
        raise TokenInvalid() from exc


class JWTAuthentication(authentication.JWTAuthentication):
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
