"""The live ECR configuration of one account and Region, read with boto3 and adapted by
:mod:`.shapes`, for the audit (everything) and the detective control (what one call touched).

A call that fails (access denied, throttled beyond the retries, a Region not enabled, a response
not as documented) is never raised and never skipped: it is yielded as :class:`NotRead` (what was
not read, and why), so a caller reports "not audited: why" instead of "compliant". "No policy"
(``RegistryPolicyNotFoundException``, ``RepositoryPolicyNotFoundException``) is not an error: there
is nothing to judge. Every list is paginated. ECR Public is read only in us-east-1 of the ``aws``
partition, where its API is served.

boto3 is imported only by :meth:`LiveClients.of`; the readers take any clients with boto3's
interface (tests pass moto-backed clients or clients under ``botocore.stub.Stubber``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from ..assess import Resource
from ..core.values import data, is_account_id, shown
from . import shapes
from .shapes import ECR, ECR_PUBLIC, Unreadable

PUBLIC_REGION = "us-east-1"  # ECR Public's API is served in us-east-1 only (partition aws)
RETRIES = {"mode": "adaptive", "max_attempts": 10}
NO_POLICY = frozenset({"RegistryPolicyNotFoundException", "RepositoryPolicyNotFoundException"})
GONE = frozenset({"RepositoryNotFoundException", "PullThroughCacheRuleNotFoundException", "TemplateNotFoundException"})


@dataclass(frozen=True)
class NotRead:
    """Something that could not be read: ``what`` (the configuration and the call), ``reason``
    (the error code and message, cut). Never a verdict of compliance."""

    what: str
    reason: str


Item = Resource | NotRead


@dataclass(frozen=True)
class LiveClients:
    """The clients of one account and Region: ``ecr``, and ``ecr_public`` (``None`` outside us-east-1)."""

    ecr: Any
    ecr_public: Any = None

    @classmethod
    def of(cls, session: Any, region: str) -> LiveClients:
        """Clients from a boto3 ``Session`` (its credentials, profile, ``AWS_ENDPOINT_URL``...) with
        adaptive retries, so throttling slows the reader down instead of failing it."""
        from botocore.config import Config

        config = Config(retries=dict(RETRIES))
        ecr = session.client("ecr", region_name=region, config=config)
        public = session.client("ecr-public", region_name=region, config=config) if region == PUBLIC_REGION else None
        return cls(ecr=ecr, ecr_public=public)


def read_registry(clients: LiveClients, *, account: str, region: str, partition: str) -> Iterator[Item]:
    """Every perimeter-relevant setting of the registry: replication, the registry policy, every
    repository and its policy, every pull-through cache rule and creation template, and (us-east-1)
    every ECR Public repository and its policy."""
    place = {"account": account, "region": region, "partition": partition}
    yield from _replication(clients.ecr, place)
    yield from _registry_policy(clients.ecr, place)
    yield from _repositories(clients.ecr, place, None)
    yield from _pull_through_cache_rules(clients.ecr, place, None)
    yield from _creation_templates(clients.ecr, place, None)
    if _public(clients, region, partition):
        yield from _public_repositories(clients.ecr_public, place, None)


def read_one(clients: LiveClients, event_source: str, event_name: str, request_parameters: Any, *,
             account: str, region: str, partition: str) -> list[Item]:
    """The live state of what one call touched (for an event whose parameters cannot be read). When
    the record does not even name the repository, rule or template, every one of them is read.
    A call this module does not read gives ``[]``."""
    place = {"account": account, "region": region, "partition": partition}
    params = request_parameters if isinstance(request_parameters, Mapping) else {}
    call = (event_source, event_name)
    if call == (ECR, "PutReplicationConfiguration"):
        return list(_replication(clients.ecr, place))
    if call == (ECR, "PutRegistryPolicy"):
        return list(_registry_policy(clients.ecr, place))
    if call in ((ECR, "SetRepositoryPolicy"), (ECR, "CreatePullThroughCacheRule"), (ECR, "UpdatePullThroughCacheRule")):
        # These may name another account's registry (registryId): read that one, never the caller's own.
        registry = params.get("registryId")
        if registry is not None and not is_account_id(registry):
            return [NotRead(f"the registry the call named ({event_name})",
                            f"registryId {shown(registry)} is not a 12-digit account ID")]
        if event_name == "SetRepositoryPolicy":
            return list(_repositories(clients.ecr, place, _named(params, "repositoryName"), registry))
        return list(_pull_through_cache_rules(clients.ecr, place, _named(params, "ecrRepositoryPrefix"), registry))
    if call in ((ECR, "CreateRepositoryCreationTemplate"), (ECR, "UpdateRepositoryCreationTemplate")):
        return list(_creation_templates(clients.ecr, place, _named(params, "prefix")))
    if call == (ECR_PUBLIC, "SetRepositoryPolicy"):
        if not _public(clients, region, partition):
            return [NotRead("ECR Public repositories", f"ECR Public is served in {PUBLIC_REGION} (partition aws) "
                                                       f"only, not in {shown(region)}")]
        return list(_public_repositories(clients.ecr_public, place, _named(params, "repositoryName")))
    return []


# -- the readers ---------------------------------------------------------------------------

def _replication(ecr: Any, place: Mapping[str, str]) -> Iterator[Item]:
    what = "the replication configuration (DescribeRegistry)"
    response = _call(ecr.describe_registry)
    if isinstance(response, NotRead):
        yield NotRead(what, response.reason)
        return
    yield _adapted(what, shapes.replication_resource, response, place)


def _registry_policy(ecr: Any, place: Mapping[str, str]) -> Iterator[Item]:
    what = "the registry policy (GetRegistryPolicy)"
    response = _call(ecr.get_registry_policy, absent=NO_POLICY)
    if response is None:
        return
    if isinstance(response, NotRead):
        yield NotRead(what, response.reason)
        return
    yield _adapted(what, shapes.registry_policy_resource, response, place)


def _repositories(ecr: Any, place: Mapping[str, str], name: str | None, registry: str | None = None) -> Iterator[Item]:
    what = "repositories (DescribeRepositories)" if name is None else f"repository {shown(name)} (DescribeRepositories)"
    for repository in _paginated(ecr, "describe_repositories", "repositories", what,
                                 _in_registry({"repositoryNames": [name]} if name else {}, registry)):
        if isinstance(repository, NotRead):
            yield repository
            continue
        yield from _with_policy(ecr, repository, place, shapes.repository_resource, "GetRepositoryPolicy")


def _public_repositories(public: Any, place: Mapping[str, str], name: str | None) -> Iterator[Item]:
    what = ("ECR Public repositories (ecr-public DescribeRepositories)" if name is None
            else f"ECR Public repository {shown(name)} (ecr-public DescribeRepositories)")
    for repository in _paginated(public, "describe_repositories", "repositories", what,
                                 {"repositoryNames": [name]} if name else {}):
        if isinstance(repository, NotRead):
            yield repository
            continue
        yield from _with_policy(public, repository, place, shapes.public_repository_resource,
                                "ecr-public GetRepositoryPolicy")


def _with_policy(client: Any, repository: Any, place: Mapping[str, str],
                 reader: Callable[..., Resource], operation: str) -> Iterator[Item]:
    name = repository.get("repositoryName") if isinstance(repository, Mapping) else None
    what = f"the policy of repository {shown(name)} ({operation})"
    if not isinstance(name, str):
        yield NotRead(what, f"the listing returned a repository without a name: {shown(repository)}")
        return
    arguments = {"repositoryName": name}
    if isinstance(repository.get("registryId"), str):
        arguments["registryId"] = repository["registryId"]
    response = _call(client.get_repository_policy, absent=NO_POLICY, gone=GONE, **arguments)
    if response is _GONE:  # deleted since it was listed: nothing left to judge
        return
    if isinstance(response, NotRead):
        yield NotRead(what, response.reason)
        return
    text = None if response is None else response.get("policyText")
    yield _adapted(what, reader, repository, place, text)


def _pull_through_cache_rules(ecr: Any, place: Mapping[str, str], prefix: str | None,
                             registry: str | None = None) -> Iterator[Item]:
    what = ("pull-through cache rules (DescribePullThroughCacheRules)" if prefix is None
            else f"pull-through cache rule {shown(prefix)} (DescribePullThroughCacheRules)")
    for rule in _paginated(ecr, "describe_pull_through_cache_rules", "pullThroughCacheRules", what,
                           _in_registry({"ecrRepositoryPrefixes": [prefix]} if prefix else {}, registry)):
        yield rule if isinstance(rule, NotRead) else _adapted(what, shapes.pull_through_cache_resource, rule, place)


def _creation_templates(ecr: Any, place: Mapping[str, str], prefix: str | None) -> Iterator[Item]:
    what = ("repository creation templates (DescribeRepositoryCreationTemplates)" if prefix is None
            else f"repository creation template {shown(prefix)} (DescribeRepositoryCreationTemplates)")
    for template in _paginated(ecr, "describe_repository_creation_templates", "repositoryCreationTemplates", what,
                               {"prefixes": [prefix]} if prefix else {}):
        yield template if isinstance(template, NotRead) else _adapted(what, shapes.creation_template_resource,
                                                                      template, place)


# -- calls, pages, errors ------------------------------------------------------------------

def _paginated(client: Any, operation: str, key: str, what: str, arguments: Mapping[str, Any]) -> Iterator[Any]:
    """Every item of every page; a failing page ends the listing with a :class:`NotRead` (what was
    read before it is still yielded). A named resource that does not exist yields nothing."""
    try:
        for page in client.get_paginator(operation).paginate(**arguments):
            items = page.get(key) if isinstance(page, Mapping) else None
            if not isinstance(items, list):
                yield NotRead(what, f"a page without a {key} list: {shown(page)}")
                return
            yield from items
    except Exception as error:  # botocore's ClientError / BotoCoreError: reported, never raised
        if arguments and _code(error) in GONE:
            return
        yield NotRead(what, _reason(error))


_GONE = object()


def _call(method: Callable[..., Any], *, absent: frozenset[str] = frozenset(), gone: frozenset[str] = frozenset(),
          **arguments: Any) -> Any:
    """The response; ``None`` for an error code in ``absent`` (no such setting), ``_GONE`` for one in
    ``gone`` (the resource no longer exists); else a :class:`NotRead` (its ``what`` left to the caller)."""
    try:
        response = method(**arguments)
    except Exception as error:  # botocore's ClientError / BotoCoreError: reported, never raised
        code = _code(error)
        if code in absent:
            return None
        if code in gone:
            return _GONE
        return NotRead("", _reason(error))
    return response


def _adapted(what: str, reader: Callable[..., Resource], value: Any, place: Mapping[str, str], *more: Any) -> Item:
    """``reader(value, *more, **place)``, or a :class:`NotRead` when the response is not as documented."""
    try:
        return reader(value, *more, **place)
    except Unreadable as error:
        return NotRead(what, f"the response is not as documented: {error}")


def _in_registry(arguments: dict[str, Any], registry: str | None) -> dict[str, Any]:
    """``arguments``, with ``registryId`` when the call named a registry."""
    return {**arguments, "registryId": registry} if registry is not None else arguments


def _named(params: Mapping[str, Any], key: str) -> str | None:
    """The name the record gives, if it is one ECR accepts (else every resource is read)."""
    return shapes.valid_name(params.get(key))


def _public(clients: LiveClients, region: str, partition: str) -> bool:
    return clients.ecr_public is not None and region == PUBLIC_REGION and partition == "aws"


def _code(error: Exception) -> str:
    response = getattr(error, "response", None)
    details = response.get("Error", {}) if isinstance(response, Mapping) else {}
    return str(details.get("Code", "")) if isinstance(details, Mapping) else ""


def _reason(error: Exception) -> str:
    code = _code(error)
    response = getattr(error, "response", None)
    details = response.get("Error", {}) if isinstance(response, Mapping) else {}
    message = details.get("Message", "") if isinstance(details, Mapping) else ""
    if code:
        return f"{data(code, 60)}: {data(message, 300)}" if message else data(code, 60)
    return f"{type(error).__name__}: {data(str(error), 300)}"
