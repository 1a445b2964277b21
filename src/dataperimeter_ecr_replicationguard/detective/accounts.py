"""Credentials in the account a call was made in.

Security Hub accepts a finding with the default product ARN only from the account the finding is
about (``AwsAccountId``), and the live read and the remediation act on that account's registry.
So the central Lambda assumes, in each member account, the role the member stack
(``deploy/detective-member.yaml``) creates: ``GUARD_MEMBER_ROLE`` is its path and name
(``/ecr-perimeter-guard/EcrPerimeterGuardDetectiveMember``; the leading slash is optional). A call in the Lambda's own account
uses the Lambda's own credentials when no member role is set. Assumed sessions are kept per
account until five minutes before their credentials expire.
"""

from __future__ import annotations

import datetime
import re
import threading
from collections.abc import Callable
from typing import Any

ROLE_VARIABLE = "GUARD_MEMBER_ROLE"
_ROLE_NAME = re.compile(r"(?:[\w+=,.@-]+/)*[\w+=,.@-]{1,64}")
_MARGIN = datetime.timedelta(minutes=5)


class AccountUnavailable(Exception):
    """No credentials in the account (the message says why: no role set, the role cannot be assumed)."""


class Accounts:
    """Sessions per account. ``session``: the Lambda's boto3 session; ``own_account``: its account."""

    def __init__(self, session: Any, own_account: str, role: str, *,
                 clock: Callable[[], datetime.datetime] = lambda: datetime.datetime.now(datetime.timezone.utc)):
        role = role.strip().strip("/")
        if role and not _ROLE_NAME.fullmatch(role):
            raise ValueError(f"{ROLE_VARIABLE} is {role[:80]!r}: give the role's path and name, e.g. "
                             "ecr-perimeter-guard/EcrPerimeterGuardDetectiveMember")
        self.session = session
        self.own_account = own_account
        self.role = role
        self._clock = clock
        self._held: dict[str, tuple[Any, datetime.datetime]] = {}
        self._lock = threading.Lock()

    def role_arn(self, account: str, partition: str) -> str:
        return f"arn:{partition}:iam::{account}:role/{self.role}"

    def session_for(self, account: str, partition: str) -> Any:
        """A boto3 session with credentials in ``account``. Raises :class:`AccountUnavailable`."""
        if not self.role:
            if account == self.own_account:
                return self.session
            raise AccountUnavailable(f"the call was made in {account}, and {ROLE_VARIABLE} names no role to assume "
                                     "there (deploy deploy/detective-member.yaml in that account)")
        with self._lock:
            held = self._held.get(account)
            if held is not None and held[1] - _MARGIN > self._clock():
                return held[0]
        import boto3

        arn = self.role_arn(account, partition)
        try:
            credentials = self.session.client("sts").assume_role(
                RoleArn=arn, RoleSessionName="ecr-perimeter-guard-detective", DurationSeconds=3600)["Credentials"]
        except Exception as error:  # botocore ClientError / BotoCoreError: fail closed with what AWS said
            raise AccountUnavailable(f"cannot assume {arn}: {aws_error(error)}") from None
        assumed = boto3.session.Session(
            aws_access_key_id=credentials["AccessKeyId"], aws_secret_access_key=credentials["SecretAccessKey"],
            aws_session_token=credentials["SessionToken"])
        expiry = credentials["Expiration"]
        if not isinstance(expiry, datetime.datetime):
            expiry = self._clock() + datetime.timedelta(minutes=55)
        with self._lock:
            self._held[account] = (assumed, expiry)
        return assumed


def aws_error(error: BaseException) -> str:
    """``Code: message`` of a botocore ClientError, else the exception's type and text, cut."""
    response = getattr(error, "response", None)
    details = response.get("Error", {}) if isinstance(response, dict) else {}
    code = details.get("Code") if isinstance(details, dict) else None
    if code:
        text = str(details.get("Message") or "")
        return f"{str(code)[:60]}" + (f": {text[:200]}" if text else "")
    return f"{type(error).__name__}: {str(error)[:200]}"
