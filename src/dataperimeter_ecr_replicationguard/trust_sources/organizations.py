"""The AWS Organizations API calls behind ``AccountSource`` ``Organizations``: only the calls,
no cache and no decision of what to read (that is :mod:`.membership`).

The trusted accounts are the ``ACTIVE`` accounts (the ``State`` field; ``Status`` is retired) of
each trusted organization, and the ``ACTIVE`` accounts anywhere beneath each trusted OU path.
``ListAccounts`` and the OU walk work only from the management account or a delegated
administrator: a member account's hook names ``OrganizationsRoleArn``, a read-only role there.

Every call runs against one deadline (:data:`BUDGET_SECONDS`, well under the hook's 30 s):
throttling is retried with exponential backoff while time is left, then given up. Failures are
:class:`OrganizationsError`, saying what was called, what came back and what to configure.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass
from typing import Any, Callable, Iterator, cast

BUDGET_SECONDS = 20.0
PAGE_SIZE = 20  # the most Organizations returns per page
THROTTLING = frozenset({"TooManyRequestsException", "ThrottlingException", "Throttling", "RequestLimitExceeded"})
SESSION_NAME = "ecr-perimeter-guard"

ACTIONS = (
    "organizations:DescribeAccount",
    "organizations:DescribeOrganization",
    "organizations:ListAccounts",
    "organizations:ListAccountsForParent",
    "organizations:ListOrganizationalUnitsForParent",
    "organizations:ListParents",
)

_ADVICE = {
    "AccessDeniedException": (
        "ListAccounts and the OU walk work only from the management account or a delegated administrator: "
        "set OrganizationsRoleArn to the read-only role deployed by deploy/organizations-read-role.yaml"
    ),
    "AccessDenied": (
        "the hook's execution role may not assume OrganizationsRoleArn: check the role's trust policy "
        "(deploy/organizations-read-role.yaml) and sts:AssumeRole in the execution role"
    ),
    "AWSOrganizationsNotInUseException": (
        "the account the hook reads from is not in an organization: use AccountSource Static, or point "
        "OrganizationsRoleArn at a role in your organization's management account"
    ),
}


class OrganizationsError(Exception):
    """The trusted set could not be read. ``code`` is the AWS error code (or a short reason)."""

    def __init__(self, api: str, code: str, detail: str, advice: str = ""):
        self.api, self.code, self.detail = api, code, detail
        self.advice = advice or _ADVICE.get(code, "")
        text = f"{api} failed with {code}: {detail}"
        super().__init__(f"{text}. {self.advice}" if self.advice else text)

    @property
    def throttled(self) -> bool:
        return self.code in THROTTLING or self.code == "BudgetExhausted"


@dataclass
class Deadline:
    """The time left for one resolution, on a monotonic clock; ``throttles`` counts the
    throttling answers met within it."""

    seconds: float = BUDGET_SECONDS
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep
    throttles: int = 0

    def __post_init__(self) -> None:
        self.ends = self.clock() + self.seconds

    def left(self) -> float:
        return self.ends - self.clock()


def organizations_client(session: Any, role_arn: str, region: str, deadline: Deadline) -> Any:
    """An Organizations client with the hook's credentials, or with ``role_arn``'s when set."""
    from botocore.config import Config

    if session is None:
        raise OrganizationsError(
            "Organizations", "NoCredentials", "the request carried no caller credentials",
            "register the hook with an execution role (hook-role.yaml or deploy/hook-execution-role.yaml)",
        )
    config = Config(connect_timeout=3, read_timeout=5, retries={"total_max_attempts": 1}, region_name=region)
    if not role_arn:
        return session.client("organizations", config=config)
    sts = session.client("sts", config=config)
    answer = call(sts, "AssumeRole", deadline, RoleArn=role_arn, RoleSessionName=SESSION_NAME, DurationSeconds=900)
    credentials = answer["Credentials"]
    import boto3

    assumed = boto3.session.Session(
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials["SessionToken"],
        region_name=region,
    )
    return assumed.client("organizations", config=config)


def confirm_organization(client: Any, org_ids: frozenset[str], ou_paths: frozenset[str], deadline: Deadline) -> str:
    """The organization the role reads; an error if the configuration trusts another one."""
    seen = call(client, "DescribeOrganization", deadline)["Organization"]["Id"]
    wanted = set(org_ids) | {path.split("/", 1)[0] for path in ou_paths}
    others = sorted(wanted - {seen})
    if others:
        raise OrganizationsError(
            "DescribeOrganization", "OrganizationMismatch",
            f"the role reads organization {seen}, but the configuration trusts {', '.join(others)}",
            "one role reads one organization: trust only the organization OrganizationsRoleArn belongs to "
            "(list other organizations' accounts in TrustedAccountIds)",
        )
    return cast(str, seen)  # equal to every configured organization (there is at least one): a str


def organization_accounts(
    client: Any, org_ids: frozenset[str], ou_paths: frozenset[str], deadline: Deadline, org_id: str = ""
) -> frozenset[str]:
    """ACTIVE accounts of the trusted organizations and beneath the trusted OU paths: the whole
    listing (one ListAccounts page per 20 accounts, plus the OU walk). ``org_id``: the
    organization :func:`confirm_organization` already returned, else it is asked here."""
    org_id = org_id or confirm_organization(client, org_ids, ou_paths, deadline)
    accounts: set[str] = set()
    if org_ids:
        accounts |= _active(_pages(client, "ListAccounts", deadline))
    for path in sorted(ou_paths):
        top = path.rstrip("/").rsplit("/", 1)[-1]
        # The path names the OU's ancestors too: an OU that is not (or no longer) where the path
        # says, e.g. moved under a quarantine OU, matches nothing, as in trusted_member().
        if top.startswith("ou-") and path_of(client, top, org_id, deadline) + top + "/" != path:
            continue
        accounts |= _accounts_beneath(client, top, deadline)
    return frozenset(accounts)


def trusted_member(
    client: Any, account_id: str, org_id: str, org_ids: frozenset[str], ou_paths: frozenset[str], deadline: Deadline
) -> bool:
    """Whether one account is an ACTIVE member of a trusted organization or beneath a trusted
    OU path: DescribeAccount, then ListParents up to the root when OU paths decide."""
    try:
        account = call(client, "DescribeAccount", deadline, AccountId=account_id)["Account"]
    except OrganizationsError as error:
        if error.code == "AccountNotFoundException":  # not in the organization
            return False
        raise
    if account.get("State") != "ACTIVE":
        return False
    if org_id in org_ids:
        return True
    return any(path_of(client, account_id, org_id, deadline).startswith(p) for p in ou_paths)


def path_of(client: Any, account_id: str, org_id: str, deadline: Deadline) -> str:
    """The account's OU path, ``o-.../r-.../ou-.../``, from ListParents."""
    parts: list[str] = []
    child = account_id
    for _ in range(10):  # Organizations nests OUs at most five deep under the root
        [parent] = call(client, "ListParents", deadline, ChildId=child)["Parents"]
        parts.append(parent["Id"])
        if parent["Type"] == "ROOT":
            return "/".join([org_id, *reversed(parts)]) + "/"
        child = parent["Id"]
    raise OrganizationsError("ListParents", "MalformedResponse", f"no root above {account_id}")


def _accounts_beneath(client: Any, parent: str, deadline: Deadline) -> set[str]:
    accounts: set[str] = set()
    pending = [parent]
    while pending:
        current = pending.pop()
        accounts |= _active(_pages(client, "ListAccountsForParent", deadline, ParentId=current))
        pending += [
            ou["Id"]
            for page in _pages(client, "ListOrganizationalUnitsForParent", deadline, ParentId=current)
            for ou in page.get("OrganizationalUnits", [])
        ]
    return accounts


def _active(pages: Iterator[dict[str, Any]]) -> set[str]:
    return {a["Id"] for page in pages for a in page.get("Accounts", []) if a.get("State") == "ACTIVE"}


def _pages(client: Any, api: str, deadline: Deadline, **params: Any) -> Iterator[dict[str, Any]]:
    """Every page, following NextToken until it is absent: pages may be empty before the end."""
    token = None
    while True:
        page = call(client, api, deadline, MaxResults=PAGE_SIZE, **params, **({"NextToken": token} if token else {}))
        yield page
        token = page.get("NextToken")
        if not token:
            return


def call(client: Any, api: str, deadline: Deadline, **params: Any) -> dict[str, Any]:
    """One API call inside ``deadline``: throttling retried with backoff while time is left;
    every other error (and running out of time) an :class:`OrganizationsError`."""
    from botocore.exceptions import BotoCoreError, ClientError

    method = getattr(client, _snake(api))
    attempt = 0
    while True:
        if deadline.left() <= 0:
            raise OrganizationsError(api, "BudgetExhausted",
                                     f"no time left in the {BUDGET_SECONDS:.0f} s budget for Organizations reads")
        try:
            answer: dict[str, Any] = method(**params)
            return answer
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code", "ClientError")
            message = error.response.get("Error", {}).get("Message", "")
            if code in THROTTLING:
                deadline.throttles += 1
                pause = min(0.1 * 2**attempt, 2.0) * (0.5 + random.random() / 2)
                if deadline.left() > pause:
                    deadline.sleep(pause)
                    attempt += 1
                    continue
            raise OrganizationsError(api, code, message or "no message") from None
        except BotoCoreError as error:
            raise OrganizationsError(api, type(error).__name__, str(error)) from None


def _snake(api: str) -> str:
    return "".join("_" + c.lower() if c.isupper() else c for c in api).lstrip("_")
