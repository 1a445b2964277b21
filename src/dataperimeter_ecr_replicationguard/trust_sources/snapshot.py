"""``AccountSource`` ``Snapshot``: the organization membership from a published snapshot in S3.

The producer (:mod:`..snapshot_producer`, deployed by deploy/snapshot-producer.yaml in the
management or delegated-administrator account) lists the ACTIVE accounts with their OU paths and
writes one JSON document::

    {"format": "ecr-perimeter-guard-snapshot/1", "organizationId": "o-...", "generatedAt": 1764590000,
     "serial": 42, "accounts": {"111122223333": "o-.../r-.../ou-.../", ...}, "sha256": "<hex>"}

``sha256`` is the SHA-256 of the document without it, serialised canonically (:func:`digest`).

The hook never calls Organizations for it: each execution environment reads the object at most
once per ``CacheTtlSeconds`` (a conditional GET on the ETag: 304 keeps what it holds) and checks
it every time it is used. A snapshot that cannot be read, does not verify, is from an
organization the configuration does not trust, is older than ``SnapshotMaxAgeSeconds`` or has a
lower serial than one this environment already used fails closed with a precise code
(:data:`CODES`), or, with ``SnapshotFallback`` ``NamedAccounts``, falls back to looking up the
accounts a resource names in Organizations (``OrganizationsLookup`` ``NamedAccounts``).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import sys
import threading
import time
from dataclasses import dataclass
from typing import Any, Callable, Mapping

from ..core.trust import Trust
from ..invocation import Invocation
from ..settings import SNAPSHOT_LOCATION, Settings
from .source import TrustSource, TrustUnavailable
from .static import static_trust

FORMAT = "ecr-perimeter-guard-snapshot/1"
FUTURE_SECONDS = 300  # clock skew tolerated between the producer and the hook
MAX_BYTES = 64 * 1024 * 1024  # a 100,000-account snapshot is about 6 MB

CODES = {
    "SnapshotNotConfigured": "AccountSource Snapshot needs SnapshotLocation (s3://<bucket>/<key>)",
    "SnapshotUnreadable": "the snapshot object could not be read from S3",
    "SnapshotMalformed": "the snapshot is not a snapshot document",
    "SnapshotDigestMismatch": "the snapshot's content does not match its SHA-256",
    "SnapshotOrganizationMismatch": "the snapshot is of an organization the configuration does not trust",
    "SnapshotStale": "the snapshot is older than SnapshotMaxAgeSeconds",
    "SnapshotSerialRegressed": "the snapshot's serial is lower than one this environment already used",
}


class SnapshotError(Exception):
    def __init__(self, code: str, detail: str, throttled: bool = False):
        super().__init__(f"{CODES[code]} ({code}): {detail}")
        self.code, self.detail, self.throttled = code, detail, throttled


@dataclass(frozen=True)
class Snapshot:
    """One verified snapshot document: ``accounts`` maps each ACTIVE account to its OU path."""

    organization_id: str
    generated_at: float
    serial: int
    accounts: Mapping[str, str]
    sha256: str


def digest(body: Mapping[str, Any]) -> str:
    """The SHA-256 of a snapshot document without its ``sha256`` field, canonically serialised
    (sorted keys, no spaces, ASCII): the producer writes it, the hook checks it."""
    content = {k: v for k, v in body.items() if k != "sha256"}
    text = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(text.encode("ascii")).hexdigest()


def parse_snapshot(data: bytes, where: str) -> Snapshot:
    """The verified snapshot in ``data``; :class:`SnapshotError` (Malformed, DigestMismatch) else."""
    try:
        body = json.loads(data)
    except (ValueError, UnicodeDecodeError) as error:
        raise SnapshotError("SnapshotMalformed", f"{where} is not JSON ({str(error)[:80]})") from None
    if not isinstance(body, dict) or body.get("format") != FORMAT:
        raise SnapshotError("SnapshotMalformed", f"{where} does not declare format {FORMAT!r}")
    org, at, serial, accounts, sha = (body.get(k) for k in ("organizationId", "generatedAt", "serial", "accounts",
                                                            "sha256"))
    if not (isinstance(org, str) and org.startswith("o-") and isinstance(at, (int, float)) and not isinstance(at, bool)
            and isinstance(serial, int) and not isinstance(serial, bool) and isinstance(accounts, dict)
            and isinstance(sha, str)):
        raise SnapshotError("SnapshotMalformed", f"{where} lacks organizationId, generatedAt, serial, accounts or sha256")
    seen = digest(body)
    if seen != sha:
        raise SnapshotError("SnapshotDigestMismatch", f"{where} says sha256 {sha[:64]!r}, its content hashes to {seen}")
    prefix = org + "/"
    held: dict[str, str] = {}
    for account, path in accounts.items():
        if not (len(account) == 12 and account.isdigit() and account.isascii() and isinstance(path, str)
                and path.startswith(prefix) and path.endswith("/")):
            raise SnapshotError("SnapshotMalformed", f"{where}: account entry {str(account)[:20]!r} is not "
                                "a 12-digit account with an OU path of the organization")
        held[sys.intern(account)] = sys.intern(path)  # OU paths repeat: one string per path
    return Snapshot(org, float(at), serial, held, sha)


@dataclass
class Held:
    """What one execution environment holds for one location: the last snapshot read, its ETag,
    when the object was last checked, and the highest serial it ever used."""

    snapshot: Snapshot | None = None
    etag: str = ""
    checked_at: float = float("-inf")
    highest_serial: int = -1


class SnapshotCache:
    """Per ``(location, region)``: :class:`Held`, and the trusted accounts computed from the held
    snapshot for each configuration (so a warm invocation neither reads nor walks anything).
    ``clock`` is a wall clock (snapshot ages are wall-clock times); thread-safe."""

    def __init__(self, clock: Callable[[], float] = time.time):
        self.clock = clock
        self._lock = threading.Lock()
        self._held: dict[tuple[str, str], Held] = {}
        self._trusted: dict[tuple[str, frozenset[str], frozenset[str]], frozenset[str]] = {}
        # (settings, account, partition, region) -> (Held, the snapshot it held, the Trust built from it)
        self.warm: dict[tuple[Settings, str, str, str], tuple[Held, Snapshot, Trust]] = {}

    def clear(self) -> None:
        with self._lock:
            self._held.clear()
            self._trusted.clear()
            self.warm.clear()

    def state(self, location: str, region: str) -> Held:
        with self._lock:
            return dataclasses.replace(self._held.get((location, region), Held()))

    def held(self, location: str, region: str) -> Held:
        with self._lock:
            return self._held.setdefault((location, region), Held())

    def trusted(self, snapshot: Snapshot, org_ids: frozenset[str], ou_paths: frozenset[str]) -> frozenset[str]:
        key = (snapshot.sha256, org_ids, ou_paths)
        with self._lock:
            known = self._trusted.get(key)
        if known is None:
            if snapshot.organization_id in org_ids:
                known = frozenset(snapshot.accounts)
            else:
                paths = tuple(ou_paths)
                known = frozenset(a for a, path in snapshot.accounts.items() if path.startswith(paths))
            with self._lock:
                if len(self._trusted) > 16:
                    self._trusted.clear()
                self._trusted[key] = known
        return known


def s3_client(session: Any, region: str) -> Any:
    from botocore.config import Config

    if session is None:
        raise SnapshotError("SnapshotUnreadable", "the request carried no caller credentials (register the hook "
                            "with an execution role: deploy/hook-registration.yaml)")
    config = Config(connect_timeout=3, read_timeout=10, retries={"total_max_attempts": 2}, region_name=region)
    return session.client("s3", config=config)


class SnapshotSource:
    account_source = "Snapshot"

    def __init__(self, cache: SnapshotCache):
        self.cache = cache

    def named_accounts(self, settings: Settings, value: Any) -> frozenset[str]:
        return frozenset()  # the snapshot holds every account: nothing is looked up one by one

    def resolve(self, settings: Settings, invocation: Invocation, session: Any, resource: Any) -> Trust:
        if not (settings.trusted_organization_ids or settings.trusted_ou_paths):
            return static_trust(settings, invocation.account_id, invocation.partition)
        # The warm path: the Trust built from the snapshot still held, checked within the TTL and young enough.
        key = (settings, invocation.account_id, invocation.partition, invocation.region)
        warm = self.cache.warm.get(key)
        if warm is not None:
            held, used, trust = warm
            now = self.cache.clock()
            if (held.snapshot is used and now - held.checked_at < settings.cache_ttl_seconds
                    and now - used.generated_at <= settings.snapshot_max_age_seconds):
                return trust
        try:
            accounts, used = self.accounts(settings, invocation, session)
        except SnapshotError as error:
            if settings.snapshot_fallback != "NamedAccounts":
                raise TrustUnavailable(f"the trusted set could not be read from the membership snapshot "
                                       f"{settings.snapshot_location or '(none)'}: {error}; the hook fails closed",
                                       error.code, error.throttled) from None
            from .membership import SOURCE as ORGANIZATIONS

            fallback = settings._replace(account_source="Organizations", organizations_lookup="NamedAccounts")
            try:
                trust = ORGANIZATIONS.resolve(fallback, invocation, session, resource)
            except TrustUnavailable as second:
                raise TrustUnavailable(f"the membership snapshot could not be used ({error}), and the NamedAccounts "
                                       f"fallback failed too: {second}", second.code, second.throttled) from None
            note = f"the membership snapshot was not used ({error.code}): the accounts named were looked up in Organizations"
            return trust._replace(notes=(*trust.notes, note))
        trust = static_trust(settings, invocation.account_id, invocation.partition, accounts)
        if len(self.cache.warm) > 64:
            self.cache.warm.clear()
        self.cache.warm[key] = (self.cache.held(settings.snapshot_location, settings.snapshot_region or invocation.region),
                                used, trust)
        return trust

    def accounts(self, settings: Settings, invocation: Invocation, session: Any) -> tuple[frozenset[str], Snapshot]:
        """The trusted accounts from the snapshot (and the snapshot), read if it was not checked
        within the TTL."""
        location = settings.snapshot_location
        match = SNAPSHOT_LOCATION.fullmatch(location)
        if match is None:
            raise SnapshotError("SnapshotNotConfigured", "set SnapshotLocation to the producer stack's output")
        region = settings.snapshot_region or invocation.region
        now = self.cache.clock()
        held = self.cache.held(location, region)
        with self.cache._lock:
            due = now - held.checked_at >= settings.cache_ttl_seconds or held.snapshot is None
        if due:
            self._refresh(held, match.group(1), match.group(2), region, session, now)
        snapshot = held.snapshot
        assert snapshot is not None  # _refresh stored one or raised
        # One snapshot is one organization, as one OrganizationsRoleArn reads one: trusting another
        # organization here is a configuration error (its accounts belong in TrustedAccountIds).
        wanted = set(settings.trusted_organization_ids) | {p.split("/", 1)[0] for p in settings.trusted_ou_paths}
        others = sorted(wanted - {snapshot.organization_id})
        if others:
            raise SnapshotError("SnapshotOrganizationMismatch", f"it is of organization {snapshot.organization_id}, "
                                f"the configuration trusts {', '.join(others)}")
        age = now - snapshot.generated_at
        if age < -FUTURE_SECONDS:  # a clock this far ahead would keep the snapshot fresh for ever
            raise SnapshotError("SnapshotMalformed", f"generated {int(-age)} s in the future (serial {snapshot.serial})")
        if age > settings.snapshot_max_age_seconds:
            raise SnapshotError("SnapshotStale", f"generated {int(age)} s ago (serial {snapshot.serial}), more than "
                                f"SnapshotMaxAgeSeconds {settings.snapshot_max_age_seconds}: is the producer running?")
        return self.cache.trusted(snapshot, settings.trusted_organization_ids, settings.trusted_ou_paths), snapshot

    def _refresh(self, held: Held, bucket: str, key: str, region: str, session: Any, now: float) -> None:
        from botocore.exceptions import BotoCoreError, ClientError

        where = f"s3://{bucket}/{key}"
        client = s3_client(session, region)
        params: dict[str, Any] = {"Bucket": bucket, "Key": key}
        if held.snapshot is not None and held.etag:
            params["IfNoneMatch"] = held.etag
        try:
            answer = client.get_object(**params)
            data = answer["Body"].read(MAX_BYTES + 1)
        except ClientError as error:
            code = str(error.response.get("Error", {}).get("Code", ""))
            status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
            if code in ("304", "NotModified") or status == 304:
                with self.cache._lock:
                    held.checked_at = now
                return
            message = str(error.response.get("Error", {}).get("Message", ""))[:200]
            throttled = code in ("SlowDown", "Throttling", "ThrottlingException", "RequestLimitExceeded")
            raise SnapshotError("SnapshotUnreadable", f"GetObject {where} in {region} failed with {code or status}: "
                                f"{message or 'no message'}", throttled) from None
        except BotoCoreError as error:
            raise SnapshotError("SnapshotUnreadable", f"GetObject {where} in {region}: {type(error).__name__}: "
                                f"{str(error)[:200]}") from None
        if len(data) > MAX_BYTES:
            raise SnapshotError("SnapshotMalformed", f"{where} is larger than {MAX_BYTES} bytes")
        snapshot = parse_snapshot(data, where)
        with self.cache._lock:
            if snapshot.serial < held.highest_serial:
                raise SnapshotError("SnapshotSerialRegressed", f"{where} has serial {snapshot.serial}, this environment "
                                    f"already used serial {held.highest_serial}: an older version was restored?")
            held.snapshot, held.etag, held.checked_at = snapshot, str(answer.get("ETag", "")), now
            held.highest_serial = snapshot.serial


CACHE = SnapshotCache()  # this execution environment's snapshots
SOURCE: TrustSource = SnapshotSource(CACHE)  # typed: mypy checks the source has the interface


def clear_cache() -> None:
    """Forget every snapshot read (tests and benchmarks: a cold execution environment)."""
    CACHE.clear()
