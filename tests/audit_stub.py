"""A local stand-in for the AWS APIs ``hook-handler audit`` calls, for the audit tests and
``bench/audit_bench.py``: an HTTP server on 127.0.0.1 that speaks the wire protocols boto3 uses
(ECR and ECR Public: JSON 1.1; Organizations: JSON 1.1; STS: query/XML; EC2 DescribeRegions:
ec2/XML; Security Hub BatchImportFindings: REST-JSON), so the real clients serialise, sign,
retry and parse. Point boto3 at it with ``AWS_ENDPOINT_URL``.

The caller is told apart by its access key: ``AKIA<account>CALR`` is the caller's own
credentials, and ``sts:AssumeRole`` in an account answers ``ASIA<account>ROLE``; the Region is
the credential scope's. The world is plain data (:class:`World`): per account, its Regions'
registries; the roles that exist; the Regions enabled; calls to deny or throttle; a latency per
call (the benchmark's realistic 20-50 ms). Every call is counted.
"""

from __future__ import annotations

import contextlib
import http.server
import json
import random
import re
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from typing import Any

import local_http

ECR_PREFIX = "AmazonEC2ContainerRegistry_V20150921."
ECR_PUBLIC_PREFIX = "SpencerFrontendService."
ORGS_PREFIX = "AWSOrganizationsV20161128."
CALLER_KEY = "AKIA{}CALR"
ROLE_KEY = "ASIA{}ROLE"
_CREDENTIAL = re.compile(r"Credential=([A-Z0-9]+)/[0-9]{8}/([a-z0-9-]+)/([a-z0-9-]+)/aws4_request")
DEFAULT_REGIONS = {"us-east-1": "opt-in-not-required", "eu-west-1": "opt-in-not-required",
                   "eu-central-1": "opt-in-not-required", "us-west-2": "opt-in-not-required",
                   "ap-east-1": "not-opted-in", "me-south-1": "not-opted-in"}


@dataclass
class Registry:
    """One account's registry in one Region, in API shapes (camelCase)."""

    replication: dict | None = None  # replicationConfiguration
    registry_policy: str | None = None
    repositories: dict[str, str | None] = field(default_factory=dict)  # name -> policy text
    pull_through_cache_rules: list[dict] = field(default_factory=list)
    creation_templates: list[dict] = field(default_factory=list)
    public_repositories: dict[str, str | None] = field(default_factory=dict)  # us-east-1 only


@dataclass
class Account:
    name: str = ""
    state: str = "ACTIVE"
    parent: str = "r-root"
    role: str | None = "EcrPerimeterGuardAuditRead"  # the role that can be assumed in it, if any
    regions: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_REGIONS))  # name -> OptInStatus
    registries: dict[str, Registry] = field(default_factory=dict)

    def registry(self, region: str) -> Registry:
        return self.registries.setdefault(region, Registry())


@dataclass
class World:
    accounts: dict[str, Account] = field(default_factory=dict)
    ous: dict[str, str] = field(default_factory=dict)  # OU id -> parent id
    latency: tuple[float, float] = (0.0, 0.0)  # seconds, uniform between
    deny: set[tuple[str, str, str]] = field(default_factory=set)  # (account or *, region or *, API)
    throttle: dict[str, int] = field(default_factory=dict)  # API -> how many more calls to throttle
    rate: float = 0.0  # calls a second per (account, Region) before ThrottlingException (0: no limit)
    throttled_calls: int = 0
    buckets: dict[tuple[str, str], list[float]] = field(default_factory=dict)  # (account, Region) -> [tokens, at]
    page_size: int = 20  # the most Organizations answers per page
    empty_pages: bool = True  # Organizations: an empty page (with NextToken) before the last
    calls: dict[str, int] = field(default_factory=dict)
    in_flight: int = 0
    most_in_flight: int = 0  # the most calls answered at once
    made: set[tuple[str, str, str]] = field(default_factory=set)  # (caller or role, signing service, API)
    seen_keys: set[str] = field(default_factory=set)
    imported: list[dict] = field(default_factory=list)  # Security Hub: every finding imported, in order
    findings: dict[tuple[str, str], dict] = field(default_factory=dict)  # (account, Id) -> its latest import
    lock: threading.Lock = field(default_factory=threading.Lock)

    def count(self, api: str) -> None:
        with self.lock:
            self.calls[api] = self.calls.get(api, 0) + 1

    def actions(self, kind: str) -> set[str]:
        """IAM actions (``service:Api``) called with the caller's (``caller``) or a role's (``role``) credentials."""
        with self.lock:
            return {f"{service}:{api}" for who, service, api in self.made if who == kind}

    def throttled(self, api: str) -> bool:
        with self.lock:
            left = self.throttle.get(api, 0)
            if left > 0:
                self.throttle[api] = left - 1
                return True
            return False

    def over_rate(self, account: str, region: str) -> bool:
        """A token bucket per (account, Region), ``rate`` a second with a burst of ``rate``, as
        ECR limits a registry's API calls."""
        if not self.rate:
            return False
        now = time.monotonic()
        with self.lock:
            tokens, at = self.buckets.get((account, region), [self.rate, now])
            tokens = min(self.rate, tokens + (now - at) * self.rate)
            if tokens < 1:
                self.buckets[(account, region)] = [tokens, now]
                self.throttled_calls += 1
                return True
            self.buckets[(account, region)] = [tokens - 1, now]
            return False

    def denied(self, account: str, region: str, api: str) -> bool:
        return any((a in (account, "*")) and (r in (region, "*")) and p == api for a, r, p in self.deny)

    @property
    def total_calls(self) -> int:
        with self.lock:
            return sum(self.calls.values())


class Fault(Exception):
    def __init__(self, code: str, message: str, status: int = 400):
        super().__init__(message)
        self.code, self.message, self.status = code, message, status


def handler_for(world: World) -> type[http.server.BaseHTTPRequestHandler]:
    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # headers and body are two writes: without it each answer waits for a delayed ACK

        def log_message(self, *args: Any) -> None:  # quiet
            pass

        def do_GET(self) -> None:  # noqa: N802 - the http.server name
            """``/stats``: the calls answered so far (for a benchmark running the server in another process)."""
            with world.lock:
                stats = {"calls": dict(world.calls), "throttled": world.throttled_calls}
            self._send(200, "application/json", json.dumps(stats).encode())

        def do_POST(self) -> None:  # noqa: N802 - the http.server name
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            match = _CREDENTIAL.search(self.headers.get("Authorization", ""))
            key, region, service = match.groups() if match else ("", "", "")
            with world.lock:
                world.in_flight += 1
                world.most_in_flight = max(world.most_in_flight, world.in_flight)
            try:
                self._answer(body, key, region, service)
            finally:
                with world.lock:
                    world.in_flight -= 1

        def _answer(self, body: bytes, key: str, region: str, service: str) -> None:
            low, high = world.latency
            if high:
                time.sleep(random.uniform(low, high))
            target = self.headers.get("X-Amz-Target", "")
            hub = {"/findings/import": "BatchImportFindings", "/findings": "GetFindings"}.get(self.path.split("?")[0])
            action = (target.split(".", 1)[1] if target else hub if hub
                      else urllib.parse.parse_qs(body.decode()).get("Action", [""])[0])
            with world.lock:
                world.made.add(("role" if key.endswith("ROLE") else "caller", service, action))
            try:
                account = _account_of(world, key)
                if target:
                    api = target.split(".", 1)[1]
                    payload = json.loads(body or b"{}")
                    self._json(self._json_call(target, api, payload, account, region))
                elif hub:
                    self._rest(hub, account, region, json.loads(body or b"{}"))
                else:
                    form = {k: v[0] for k, v in urllib.parse.parse_qs(body.decode()).items()}
                    self._query(service, form, account, region)
            except Fault as fault:
                self._fault(fault, bool(target) or self.path.startswith("/findings"), service)

        def _json_call(self, target: str, api: str, payload: dict, account: str, region: str) -> dict:
            world.count(api)
            _gate(world, account, region, api)
            if target.startswith(ORGS_PREFIX):
                return _organizations(world, api, payload)
            public = target.startswith(ECR_PUBLIC_PREFIX)
            return _ecr(world, api, payload, account, region, public)

        def _rest(self, api: str, account: str, region: str, payload: dict) -> None:
            world.count(api)
            _gate(world, account, region, api)
            if api == "GetFindings":  # the filters the audit sends, applied; one page
                def keep(finding: dict) -> bool:
                    return all(any(finding.get(name) == c["Value"] for c in conditions)
                               for name, conditions in payload.get("Filters", {}).items())
                with world.lock:
                    found = [f for (who, _), f in world.findings.items() if who == account and f["Region"] == region
                             and keep(f)]
                self._json({"Findings": found}, content_type="application/json")
                return
            failed = []
            with world.lock:
                for finding in payload.get("Findings", []):
                    if finding.get("AwsAccountId") != account:
                        failed.append({"Id": finding.get("Id"), "ErrorCode": "AccessDeniedException",
                                       "ErrorMessage": "the finding names another account"})
                        continue
                    world.imported.append(finding)
                    world.findings[(account, finding["Id"])] = finding
            self._json({"FailedCount": len(failed), "SuccessCount": len(payload.get("Findings", [])) - len(failed),
                        "FailedFindings": failed}, content_type="application/json")

        def _query(self, service: str, form: dict, account: str, region: str) -> None:
            api = form.get("Action", "")
            world.count(api)
            _gate(world, account, region, api)
            if api == "GetCallerIdentity":
                arn = f"arn:aws:iam::{account}:user/auditor"
                self._xml(api, f"<Arn>{arn}</Arn><UserId>AIDAAUDITOR</UserId><Account>{account}</Account>",
                          "https://sts.amazonaws.com/doc/2011-06-15/")
            elif api == "AssumeRole":
                self._assume(form)
            elif api == "DescribeRegions":
                regions = world.accounts[account].regions if account in world.accounts else DEFAULT_REGIONS
                items = "".join(f"<item><regionName>{r}</regionName><regionEndpoint>ec2.{r}.amazonaws.com"
                                f"</regionEndpoint><optInStatus>{s}</optInStatus></item>"
                                for r, s in sorted(regions.items()))
                self._send(200, "text/xml", f'<DescribeRegionsResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">'
                                            f"<requestId>r</requestId><regionInfo>{items}</regionInfo>"
                                            "</DescribeRegionsResponse>".encode())
            else:
                raise Fault("InvalidAction", f"the stub does not answer {api}")

        def _assume(self, form: dict) -> None:
            arn = form.get("RoleArn", "")
            m = re.fullmatch(r"arn:aws[a-z-]*:iam::([0-9]{12}):role/(.+)", arn)
            target = world.accounts.get(m.group(1)) if m else None
            if target is None or m is None or target.role != m.group(2):
                raise Fault("AccessDenied", f"User: arn:aws:iam::123456789012:user/auditor is not authorized to "
                                            f"perform: sts:AssumeRole on resource: {arn}", 403)
            key = ROLE_KEY.format(m.group(1))
            self._xml("AssumeRole", f"<Credentials><AccessKeyId>{key}</AccessKeyId><SecretAccessKey>s</SecretAccessKey>"
                                    "<SessionToken>t</SessionToken><Expiration>2099-01-01T00:00:00Z</Expiration>"
                                    f"</Credentials><AssumedRoleUser><AssumedRoleId>AROA:x</AssumedRoleId><Arn>{arn}"
                                    "</Arn></AssumedRoleUser>", "https://sts.amazonaws.com/doc/2011-06-15/")

        def _xml(self, api: str, inner: str, namespace: str) -> None:
            self._send(200, "text/xml", f'<{api}Response xmlns="{namespace}"><{api}Result>{inner}</{api}Result>'
                                        f"<ResponseMetadata><RequestId>r</RequestId></ResponseMetadata>"
                                        f"</{api}Response>".encode())

        def _json(self, data: dict, content_type: str = "application/x-amz-json-1.1") -> None:
            self._send(200, content_type, json.dumps(data).encode())

        def _fault(self, fault: Fault, json_protocol: bool, service: str) -> None:
            if json_protocol:
                self._send(fault.status, "application/x-amz-json-1.1",
                           json.dumps({"__type": fault.code, "message": fault.message}).encode(),
                           {"x-amzn-ErrorType": fault.code})
            elif service == "ec2":
                self._send(fault.status, "text/xml", f"<Response><Errors><Error><Code>{fault.code}</Code><Message>"
                                                     f"{fault.message}</Message></Error></Errors><RequestID>r"
                                                     "</RequestID></Response>".encode())
            else:
                self._send(fault.status, "text/xml", f"<ErrorResponse><Error><Type>Sender</Type><Code>{fault.code}"
                                                     f"</Code><Message>{fault.message}</Message></Error><RequestId>r"
                                                     "</RequestId></ErrorResponse>".encode())

        def _send(self, status: int, content_type: str, data: bytes, headers: dict | None = None) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            self.send_header("x-amzn-RequestId", "r")
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)

    return Handler


def _account_of(world: World, key: str) -> str:
    m = re.fullmatch(r"(?:AKIA|ASIA)([0-9]{12})(?:CALR|ROLE)", key)
    if not m:
        raise Fault("UnrecognizedClientException", "The security token included in the request is invalid.")
    with world.lock:
        world.seen_keys.add(key)
    return m.group(1)


def _gate(world: World, account: str, region: str, api: str) -> None:
    if world.throttled(api) or world.over_rate(account, region):
        raise Fault("ThrottlingException", "Rate exceeded")
    if world.denied(account, region, api):
        raise Fault("AccessDeniedException", f"User: arn:aws:sts::{account}:assumed-role/audit/x is not authorized "
                                             f"to perform: ecr:{api} because no identity-based policy allows it")
    known = world.accounts.get(account)
    if known is not None and region and known.regions.get(region) == "not-opted-in":
        raise Fault("UnrecognizedClientException", "The security token included in the request is invalid.")


def _page(items: list, payload: dict, limit_key: str, token_key: str, default: int) -> tuple[list, dict]:
    start = int(payload.get(token_key) or 0)
    size = int(payload.get(limit_key) or default)
    chunk = items[start:start + size]
    more = {token_key: str(start + size)} if start + size < len(items) else {}
    return chunk, more


def _ecr(world: World, api: str, payload: dict, account: str, region: str, public: bool) -> dict:
    registry = world.accounts[account].registry(region) if account in world.accounts else Registry()
    partition = "aws"
    if public:
        repositories = registry.public_repositories if region == "us-east-1" else {}
        if api == "DescribeRepositories":
            names = sorted(repositories)
            chunk, more = _page(names, payload, "maxResults", "nextToken", 100)
            return {"repositories": [{"repositoryName": n, "registryId": account,
                                      "repositoryArn": f"arn:{partition}:ecr-public::{account}:repository/{n}",
                                      "repositoryUri": f"public.ecr.aws/x/{n}"} for n in chunk], **more}
        if api == "GetRepositoryPolicy":
            return _policy_of(repositories, payload, account, "ecr-public::")
        raise Fault("InvalidAction", f"the stub does not answer ecr-public {api}")
    if api == "DescribeRegistry":
        return {"registryId": account, "replicationConfiguration": registry.replication or {"rules": []}}
    if api == "GetRegistryPolicy":
        if registry.registry_policy is None:
            raise Fault("RegistryPolicyNotFoundException", f"Registry policy does not exist in the registry with id "
                                                           f"'{account}'")
        return {"registryId": account, "policyText": registry.registry_policy}
    if api == "DescribeRepositories":
        names = sorted(registry.repositories)
        chunk, more = _page(names, payload, "maxResults", "nextToken", 100)
        return {"repositories": [{"repositoryName": n, "registryId": account,
                                  "repositoryArn": f"arn:{partition}:ecr:{region}:{account}:repository/{n}",
                                  "repositoryUri": f"{account}.dkr.ecr.{region}.amazonaws.com/{n}",
                                  "createdAt": 1700000000.0, "imageTagMutability": "MUTABLE"} for n in chunk], **more}
    if api == "GetRepositoryPolicy":
        return _policy_of(registry.repositories, payload, account, f"ecr:{region}:")
    if api == "DescribePullThroughCacheRules":
        chunk, more = _page(registry.pull_through_cache_rules, payload, "maxResults", "nextToken", 100)
        return {"pullThroughCacheRules": [{"registryId": account, **r} for r in chunk], **more}
    if api == "DescribeRepositoryCreationTemplates":
        chunk, more = _page(registry.creation_templates, payload, "maxResults", "nextToken", 100)
        return {"registryId": account, "repositoryCreationTemplates": chunk, **more}
    if api == "ListTagsForResource":
        return {"tags": []}
    raise Fault("InvalidAction", f"the stub does not answer ecr {api}")


def _policy_of(repositories: dict, payload: dict, account: str, arn_part: str) -> dict:
    name = payload.get("repositoryName", "")
    if name not in repositories:
        raise Fault("RepositoryNotFoundException", f"The repository with name '{name}' does not exist")
    if repositories[name] is None:
        raise Fault("RepositoryPolicyNotFoundException", "Repository policy does not exist for the repository")
    return {"registryId": account, "repositoryName": name, "policyText": repositories[name]}


def _organizations(world: World, api: str, payload: dict) -> dict:
    def accounts(parent: str | None) -> list[dict]:
        return [{"Id": a, "Name": acc.name or f"account-{a}", "State": acc.state, "Status": acc.state,
                 "Arn": f"arn:aws:organizations::123456789012:account/o-a1b2c3d4e5/{a}", "Email": f"{a}@example.com"}
                for a, acc in sorted(world.accounts.items()) if parent is None or acc.parent == parent]

    if api == "DescribeOrganization":
        return {"Organization": {"Id": "o-a1b2c3d4e5", "Arn": "arn:aws:organizations::123456789012:organization/"
                                 "o-a1b2c3d4e5", "FeatureSet": "ALL", "MasterAccountId": "123456789012"}}
    if api == "ListAccounts":
        return _org_page(world, accounts(None), payload, "Accounts")
    if api == "ListAccountsForParent":
        return _org_page(world, accounts(payload["ParentId"]), payload, "Accounts")
    if api == "ListOrganizationalUnitsForParent":
        children = [{"Id": ou, "Name": ou, "Arn": f"arn:aws:organizations::123456789012:ou/o-a1b2c3d4e5/{ou}"}
                    for ou, parent in sorted(world.ous.items()) if parent == payload["ParentId"]]
        return _org_page(world, children, payload, "OrganizationalUnits")
    raise Fault("InvalidAction", f"the stub does not answer organizations {api}")


def _org_page(world: World, items: list, payload: dict, key: str) -> dict:
    """Pages of at most ``page_size``; with ``empty_pages``, every page after the first is
    preceded by an empty page that still has a NextToken, as Organizations may answer."""
    size = min(int(payload.get("MaxResults") or world.page_size), world.page_size)
    token = str(payload.get("NextToken") or "0")
    if world.empty_pages and token != "0" and not token.startswith("e"):
        return {key: [], "NextToken": "e" + token}
    start = int(token.lstrip("e"))
    chunk = items[start:start + size]
    return {key: chunk, **({"NextToken": str(start + size)} if start + size < len(items) else {})}


def serving(world: World) -> contextlib.AbstractContextManager[str]:
    """``http://127.0.0.1:<port>`` answered from ``world``, until the block ends."""
    return local_http.serving(handler_for(world))


def environment(endpoint: str, caller: str, region: str = "eu-west-1") -> dict[str, str]:
    """The environment that points boto3 at the stub as the caller ``caller``."""
    return {"AWS_ENDPOINT_URL": endpoint, "AWS_ACCESS_KEY_ID": CALLER_KEY.format(caller),
            "AWS_SECRET_ACCESS_KEY": "s", "AWS_REGION": region, "AWS_DEFAULT_REGION": region,
            "AWS_CONFIG_FILE": "/nonexistent", "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent",
            "AWS_EC2_METADATA_DISABLED": "true"}


def synthetic(accounts: int, regions: list[str], repositories: int, *, caller: str = "100000000000",
              latency: tuple[float, float] = (0.0, 0.0), rate: float = 0.0) -> World:
    """An organization of ``accounts`` members (``caller`` is its management account), each with
    ``repositories`` repositories (every one with a policy) in each Region, a replication rule,
    a registry policy and, in us-east-1, two public repositories; one account in ten replicates
    to a foreign registry."""
    world = World(latency=latency, rate=rate)
    policy = json.dumps({"Version": "2012-10-17", "Statement": [{"Sid": "Pull", "Effect": "Allow",
                         "Principal": {"AWS": f"arn:aws:iam::{caller}:root"}, "Action": ["ecr:BatchGetImage"]}]})
    world.accounts[caller] = Account(name="management")
    for n in range(accounts):
        account = f"{200000000000 + n:012d}"
        member = world.accounts[account] = Account(name=f"member-{n}")
        for region in regions:
            registry = member.registry(region)
            destination = "999999999999" if n % 10 == 0 else caller
            registry.replication = {"rules": [{"destinations": [{"region": regions[0], "registryId": destination}]}]}
            registry.registry_policy = policy
            registry.repositories = {f"team-{n % 7}/app-{r}": policy for r in range(repositories)}
            if region == "us-east-1":
                registry.public_repositories = {"public-a": None, "public-b": policy}
    return world


def main(argv: list[str]) -> int:
    """``python tests/audit_stub.py ACCOUNTS REGIONS REPOSITORIES LOW_MS HIGH_MS RATE``: serve a
    synthetic world on 127.0.0.1 until stdin closes; prints the endpoint URL first."""
    import sys

    accounts, regions, repositories = int(argv[0]), argv[1].split(","), int(argv[2])
    world = synthetic(accounts, regions, repositories, latency=(float(argv[3]) / 1000, float(argv[4]) / 1000),
                      rate=float(argv[5]))
    with serving(world) as url:
        print(url, flush=True)
        sys.stdin.read()
    return 0


if __name__ == "__main__":
    import sys

    raise SystemExit(main(sys.argv[1:]))
