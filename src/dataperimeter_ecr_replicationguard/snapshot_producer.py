"""The membership snapshot producer: a Lambda function in the management or delegated-administrator
account (deploy/snapshot-producer.yaml) that publishes what ``AccountSource`` ``Snapshot`` reads.

It walks the organization from its root: for each parent (the root, then every OU),
ListAccountsForParent and ListOrganizationalUnitsForParent, each page of at most 20 (a page may
be empty before the end: NextToken decides). That is about ``accounts / 20 + 2 x OUs`` calls, and
every account comes with its OU path for free; ListAccounts plus ListParents would cost the
same ``accounts / 20`` pages plus one ListParents call per account and per level above it.
Only ACTIVE accounts (``State``) are written.

It writes one JSON document (:mod:`.trust_sources.snapshot` describes it) to
``s3://$SNAPSHOT_BUCKET/$SNAPSHOT_KEY``: the serial is larger than the previous object's (read
first) and than the generation time in milliseconds, so it keeps increasing even if the object
is deleted. Run on a schedule and on the Organizations events that change membership.

Imports nothing the hook needs, and the hook never imports it.
"""

from __future__ import annotations

import json
import os
import time
from collections import Counter
from typing import Any, Callable, Iterator

from .trust_sources.snapshot import FORMAT, digest, parse_snapshot

PAGE_SIZE = 20


class ProducerError(Exception):
    pass


def handler(event: Any, context: Any) -> dict[str, Any]:
    """The Lambda entrypoint: ``event`` is the schedule's or an Organizations event (only logged)."""
    import boto3
    from botocore.config import Config

    bucket, key = os.environ.get("SNAPSHOT_BUCKET", ""), os.environ.get("SNAPSHOT_KEY", "")
    if not bucket or not key:
        raise ProducerError("set SNAPSHOT_BUCKET and SNAPSHOT_KEY")
    config = Config(retries={"mode": "adaptive", "max_attempts": 10})
    organizations = boto3.client("organizations", config=config)
    s3 = boto3.client("s3", config=config)
    event = event if isinstance(event, dict) else {}
    detail = event.get("detail") if isinstance(event.get("detail"), dict) else {}
    reason = detail.get("eventName") or event.get("detail-type") or "invoked"
    result = publish(organizations, s3, bucket, key, expected_organization=os.environ.get("SNAPSHOT_ORGANIZATION_ID", ""))
    result["trigger"] = str(reason)[:100]
    print(json.dumps(result))  # the function's log: one line per snapshot
    return result


def publish(organizations: Any, s3: Any, bucket: str, key: str, expected_organization: str = "",
            clock: Callable[[], float] = time.time) -> dict[str, Any]:
    """List the organization, write the snapshot; what was written and what it cost."""
    calls: Counter[str] = Counter()
    org_id = _call(organizations, "describe_organization", calls)["Organization"]["Id"]
    if expected_organization and org_id != expected_organization:
        raise ProducerError(f"the function reads organization {org_id}, the stack publishes {expected_organization}")
    accounts = organization_paths(organizations, org_id, calls)
    previous = previous_serial(s3, bucket, key)
    generated_at = int(clock())
    body: dict[str, Any] = {
        "format": FORMAT,
        "organizationId": org_id,
        "generatedAt": generated_at,
        "serial": max(previous + 1, generated_at * 1000),
        "accounts": dict(sorted(accounts.items())),
    }
    body["sha256"] = digest(body)
    data = json.dumps(body, separators=(",", ":")).encode("ascii")
    parse_snapshot(data, f"s3://{bucket}/{key}")  # what the hook will check, checked before it is published
    s3.put_object(Bucket=bucket, Key=key, Body=data, ContentType="application/json",
                  Metadata={"serial": str(body["serial"]), "sha256": body["sha256"]})
    return {"location": f"s3://{bucket}/{key}", "organizationId": org_id, "serial": body["serial"],
            "accounts": len(accounts), "bytes": len(data), "sha256": body["sha256"], "calls": dict(calls)}


def organization_paths(organizations: Any, org_id: str, calls: Counter[str]) -> dict[str, str]:
    """Every ACTIVE account of the organization and its OU path (``o-.../r-.../ou-.../``)."""
    accounts: dict[str, str] = {}
    pending = [(root["Id"], f"{org_id}/{root['Id']}/")
               for page in _pages(organizations, "list_roots", calls) for root in page.get("Roots", [])]
    if not pending:
        raise ProducerError("ListRoots returned no root")
    while pending:
        parent, path = pending.pop()
        for page in _pages(organizations, "list_accounts_for_parent", calls, ParentId=parent):
            for account in page.get("Accounts", []):
                if account.get("State") == "ACTIVE":
                    accounts[account["Id"]] = path
        for page in _pages(organizations, "list_organizational_units_for_parent", calls, ParentId=parent):
            pending += [(ou["Id"], f"{path}{ou['Id']}/") for ou in page.get("OrganizationalUnits", [])]
    return accounts


def previous_serial(s3: Any, bucket: str, key: str) -> int:
    """The serial of the object now at the key (0 if there is none or it is not a snapshot)."""
    from botocore.exceptions import ClientError

    try:
        data = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
            return 0
        raise
    try:
        body = json.loads(data)
        serial = body.get("serial", 0) if isinstance(body, dict) else 0
    except ValueError:
        return 0
    return serial if isinstance(serial, int) and not isinstance(serial, bool) else 0


def _pages(client: Any, method: str, calls: Counter[str], **params: Any) -> Iterator[dict[str, Any]]:
    token = None
    while True:
        page = _call(client, method, calls, MaxResults=PAGE_SIZE, **params, **({"NextToken": token} if token else {}))
        yield page
        token = page.get("NextToken")
        if not token:
            return


def _call(client: Any, method: str, calls: Counter[str], **params: Any) -> dict[str, Any]:
    calls[method] += 1
    answer: dict[str, Any] = getattr(client, method)(**params)
    return answer
