"""Bearer-token authentication as dependencies: CurrentUser (required) and OptionalUser."""

from typing import Annotated

from fastapi import Depends
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from api.deps import SessionDep
from geo.accounts import authenticate
from geo.errors import Unauthorized
from geo.models import Account

bearer = HTTPBearer(auto_error=False, description="Token printed by `yishiting users add`")
Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]


def optional_user(session: SessionDep, credentials: Credentials) -> Account | None:
    """The account behind the bearer token; None without one; 401 for a bad one."""
    if credentials is None:
        return None
    account = authenticate(session, credentials.credentials)
    if account is None:
        raise Unauthorized("The bearer token is unknown or revoked.", where="header.Authorization")
    return account


def current_user(user: Annotated[Account | None, Depends(optional_user)]) -> Account:
    if user is None:
        raise Unauthorized(
            "This action needs an Authorization: Bearer <token> header.",
            where="header.Authorization",
        )
    return user


CurrentUser = Annotated[Account, Depends(current_user)]
OptionalUser = Annotated[Account | None, Depends(optional_user)]
