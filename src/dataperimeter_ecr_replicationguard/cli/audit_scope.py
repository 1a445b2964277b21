"""What ``hook-handler audit`` reads: which accounts, which Regions of each, and with which
credentials (``audit.py`` runs it, ``audit_run.py`` reads it).

- Accounts: the caller's (``sts:GetCallerIdentity``) by default; ``--accounts``; or
  ``--organization`` (the ``ACTIVE`` accounts of the organization, or beneath
  ``--organizational-unit-ids``; every page followed until ``NextToken`` is absent, since
  Organizations may answer an empty page before the end).
- Credentials: ``--role-name`` is assumed in every account (``sts:AssumeRole``); without it only
  the caller's own account can be read, with the caller's credentials. A role that cannot be
  assumed makes the account "not audited", with the reason STS gave.
- Regions: the session's Region by default; ``--regions A,B``; or ``--regions all``, the Regions
  enabled in each account (``ec2:DescribeRegions``). A listed Region that is not enabled in an
  account is "not audited" there, never compliant.

Every client is made from one boto3 session (one copy of the service models), under a lock
(a boto3 session is not thread-safe), with adaptive retries: the client slows down on
throttling instead of failing (``AWS_MAX_ATTEMPTS`` sets the attempts). The standard SDK settings apply (``AWS_PROFILE``/``--profile``,
``AWS_ENDPOINT_URL``, ``AWS_ENDPOINT_URL_<SERVICE>``, the credential chain).
"""

from __future__ import annotations

import os
import re
import threading
from dataclasses import dataclass, field
from typing import Any, Iterable, Sequence

from ..core.partitions import partition_of_region

ACCOUNT_ID = re.compile(r"[0-9]{12}")
REGION_NAME = re.compile(r"[a-z]{2,4}(?:-[a-z0-9]+)+-[0-9]{1,2}")  # as core.values.is_region
OU_ID = re.compile(r"ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}|r-[0-9a-z]{4,32}")
ROLE_NAME = re.compile(r"(?:[\w+=,.@-]+/)*[\w+=,.@-]{1,64}")
SESSION_NAME = "ecr-perimeter-guard-audit"
ROLE_SECONDS = 3600  # one account's Regions are read together, well within the hour
MAX_ATTEMPTS = 10  # attempts in all (the first and 9 retries); the adaptive rate limiter backs off on throttling


class ScopeError(Exception):
    """The scope cannot be worked out at all (exit 2): bad arguments, or the caller's own
    identity or organization cannot be read."""


@dataclass
class AccountScope:
    """One account of the audit: its Regions to read, and why it (or a Region of it) is not
    audited. ``credentials`` is ``None`` for the caller's own credentials."""

    account: str
    name: str = ""
    regions: tuple[str, ...] = ()
    planned: tuple[str, ...] = ()  # the Regions asked for (empty: every enabled Region, not known yet)
    not_audited: str | None = None  # why no Region of the account is read
    skipped: dict[str, str] = field(default_factory=dict)  # Region -> why it is not read
    credentials: dict[str, str] | None = None


def client_config(**extra: Any) -> Any:
    """Adaptive retries, ``MAX_ATTEMPTS`` attempts unless ``AWS_MAX_ATTEMPTS`` says otherwise. No
    client-side parameter validation: the parameters come from the API's own answers (and the
    service validates them anyway); it is a tenth of the CPU of a call, and CPU bounds the audit."""
    from botocore.config import Config

    attempts = os.environ.get("AWS_MAX_ATTEMPTS", "")
    total = int(attempts) if attempts.isdigit() and int(attempts) > 0 else MAX_ATTEMPTS
    return Config(retries={"mode": "adaptive", "total_max_attempts": total},
                  connect_timeout=5, read_timeout=20, parameter_validation=False, **extra)


class Clients:
    """Clients of one account (``credentials``, or the caller's), made from the shared
    session. Quacks like a boto3 session where the live reader asks for clients:
    ``.client(service, region_name=..., config=...)``, plus ``.region_name``."""

    def __init__(self, factory: ClientFactory, credentials: dict[str, str] | None, region_name: str,
                 own_retries: bool = True):
        self._factory = factory
        self._credentials = credentials
        self.region_name = region_name
        self._own_retries = own_retries

    def client(self, service: str, region_name: str | None = None, config: Any = None, **kwargs: Any) -> Any:
        return self._factory.client(service, region_name or self.region_name, self._credentials, config,
                                    own_retries=self._own_retries, **kwargs)


class ClientFactory:
    """Makes every client of the audit from one boto3 session, one at a time."""

    def __init__(self, session: Any):
        self.session = session
        self._lock = threading.Lock()
        self.made = 0

    def client(self, service: str, region: str, credentials: dict[str, str] | None = None, config: Any = None,
               own_retries: bool = True, **kwargs: Any) -> Any:
        # The caller's other settings stand; the retries are the audit's (adaptive, AWS_MAX_ATTEMPTS),
        # except for a trust source, which keeps its own (its reads run against its own deadline).
        if config is None:
            config = client_config()
        else:
            config = config.merge(client_config()) if own_retries else client_config().merge(config)
        keys = {}
        if credentials is not None:
            keys = {"aws_access_key_id": credentials["AccessKeyId"],
                    "aws_secret_access_key": credentials["SecretAccessKey"],
                    "aws_session_token": credentials["SessionToken"]}
        with self._lock:
            self.made += 1
            return self.session.client(service, region_name=region, config=config, **keys, **kwargs)

    def of(self, scope: AccountScope, region: str) -> Clients:
        return Clients(self, scope.credentials, region)

    def caller(self, region: str) -> Clients:
        """The caller's credentials as a session for the trust sources, which call it from every
        worker thread (``AccountSource`` ``Organizations`` or ``Snapshot``)."""
        return Clients(self, None, region, own_retries=False)


def cut(text: str, limit: int = 300) -> str:
    """Text from an answer as data: non-ASCII and control characters escaped, one line, cut."""
    text = " ".join(ascii(str(text))[1:-1].split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def error_of(error: BaseException) -> tuple[str, str]:
    """(code, message) of a botocore error, the message cut (it may quote input)."""
    response = getattr(error, "response", None)
    if isinstance(response, dict):
        detail = response.get("Error", {})
        return cut(str(detail.get("Code") or "ClientError"), 80), cut(str(detail.get("Message") or "no message"))
    return type(error).__name__, cut(str(error))


def caller_identity(factory: ClientFactory, home: str) -> tuple[str, str]:
    """(account, partition) of the caller's credentials."""
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        answer = factory.client("sts", home).get_caller_identity()
    except (BotoCoreError, ClientError) as error:
        code, message = error_of(error)
        raise ScopeError(f"cannot read the caller's identity (sts:GetCallerIdentity): {code}: {message}") from None
    arn = str(answer.get("Arn", ""))
    parts = arn.split(":")
    return str(answer["Account"]), parts[1] if len(parts) > 1 and parts[1] else partition_of_region(home)


def parse_list(text: str | None, pattern: re.Pattern[str], option: str, what: str) -> list[str]:
    """Comma-separated values, each matching ``pattern``, in order, without repeats."""
    if text is None:
        return []
    values = [v.strip() for v in text.split(",") if v.strip()]
    if not values:
        raise ScopeError(f"{option}: expected one or more {what}s, comma-separated")
    for value in values:
        if not pattern.fullmatch(value):
            raise ScopeError(f"{option}: {cut(value, 80)!r} is not {what}")
    return list(dict.fromkeys(values))


def organization_accounts(factory: ClientFactory, home: str, parents: Sequence[str]) -> list[tuple[str, str]]:
    """(account, name) of every ACTIVE account of the organization, or beneath ``parents``
    (OU or root IDs, walked down), sorted. Raises :class:`ScopeError`."""
    from botocore.exceptions import BotoCoreError, ClientError

    client = factory.client("organizations", home)
    found: dict[str, str] = {}
    try:
        if not parents:
            for account in _every(client, "list_accounts", "Accounts"):
                _add_active(found, account)
        pending, seen = list(parents), set()
        while pending:
            parent = pending.pop()
            if parent in seen:
                continue
            seen.add(parent)
            for account in _every(client, "list_accounts_for_parent", "Accounts", ParentId=parent):
                _add_active(found, account)
            pending += [ou["Id"] for ou in _every(client, "list_organizational_units_for_parent",
                                                  "OrganizationalUnits", ParentId=parent)]
    except (BotoCoreError, ClientError) as error:
        code, message = error_of(error)
        raise ScopeError(f"cannot list the organization's accounts (Organizations, from the caller's account): "
                         f"{code}: {message}; --organization works from the management account or a delegated "
                         "administrator") from None
    return sorted(found.items())


def _every(client: Any, method: str, key: str, **params: Any) -> Iterable[dict[str, Any]]:
    """Every item of every page: the paginator follows NextToken until it is absent, through
    empty pages."""
    for page in client.get_paginator(method).paginate(**params):
        yield from page.get(key, [])


def _add_active(found: dict[str, str], account: dict[str, Any]) -> None:
    # ``State`` is the field; ``Status`` is retired but still sent, and some readers send only it.
    state = account.get("State", account.get("Status"))
    if state == "ACTIVE" and isinstance(account.get("Id"), str):
        found[account["Id"]] = str(account.get("Name", ""))


def assume(factory: ClientFactory, home: str, partition: str, account: str, role_name: str,
           external_id: str | None) -> dict[str, str] | str:
    """The role's credentials in ``account``, or why they cannot be had (a sentence)."""
    from botocore.exceptions import BotoCoreError, ClientError

    arn = f"arn:{partition}:iam::{account}:role/{role_name}"
    params: dict[str, Any] = {"RoleArn": arn, "RoleSessionName": SESSION_NAME, "DurationSeconds": ROLE_SECONDS}
    if external_id:
        params["ExternalId"] = external_id
    try:
        answer = factory.client("sts", home).assume_role(**params)
    except (BotoCoreError, ClientError) as error:
        code, message = error_of(error)
        return f"cannot assume {arn}: {code}: {message}"
    credentials = answer.get("Credentials") or {}
    if not all(isinstance(credentials.get(k), str) for k in ("AccessKeyId", "SecretAccessKey", "SessionToken")):
        return f"cannot assume {arn}: sts:AssumeRole answered without credentials"
    return {k: credentials[k] for k in ("AccessKeyId", "SecretAccessKey", "SessionToken")}


def enabled_regions(factory: ClientFactory, scope: AccountScope, home: str) -> dict[str, str] | str:
    """Region -> opt-in status (``opt-in-not-required``, ``opted-in``, ``not-opted-in``) of
    every Region of the partition, as the account sees them; or why they cannot be read."""
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        answer = factory.client("ec2", home, scope.credentials).describe_regions(AllRegions=True)
    except (BotoCoreError, ClientError) as error:
        code, message = error_of(error)
        return f"cannot list the account's Regions (ec2:DescribeRegions): {code}: {message}"
    return {str(r["RegionName"]): str(r.get("OptInStatus", "opt-in-not-required"))
            for r in answer.get("Regions", []) if isinstance(r, dict) and "RegionName" in r}


def regions_of(scope: AccountScope, wanted: Sequence[str] | None, known: dict[str, str] | str) -> None:
    """Set ``scope.regions`` and ``scope.skipped``: ``wanted`` (``None`` for every enabled
    Region) against what the account says is enabled (``known``, or why it cannot be read)."""
    if isinstance(known, str):
        if wanted is None:
            scope.not_audited = known + "; name the Regions with --regions"
        else:  # the reads themselves will say whether a Region can be read
            scope.regions = tuple(wanted)
        return
    enabled = sorted(r for r, status in known.items() if status != "not-opted-in")
    if wanted is None:
        scope.regions = tuple(enabled)
        if not enabled:
            scope.not_audited = "ec2:DescribeRegions lists no enabled Region"
        return
    keep = []
    for region in wanted:
        if region in enabled:
            keep.append(region)
        elif region in known:
            scope.skipped[region] = f"not enabled in this account (opt-in status {known[region]})"
        else:
            scope.skipped[region] = "no such Region in the account's partition (ec2:DescribeRegions)"
    scope.regions = tuple(keep)
