"""ECR API shapes -> :class:`~dataperimeter_ecr_replicationguard.assess.Resource` values in the
CloudFormation property shape the checkers read, so an API call, a live configuration and a
template resource get the same verdict from the same core.

Two kinds of input, both camelCase as the ECR API Reference documents them:

- the **request** of a call that changes the perimeter (CloudTrail ``requestParameters``):
  :func:`resources_from_call`;
- what the **describe** calls return (``DescribeRegistry``, ``GetRegistryPolicy``, one repository
  of ``DescribeRepositories`` with its ``GetRepositoryPolicy`` text, one rule of
  ``DescribePullThroughCacheRules``, one template of ``DescribeRepositoryCreationTemplates``, one
  ECR Public repository): the ``*_resource`` readers.

Only the members that have a CloudFormation property and matter to a checker or name the resource
are carried over (``registryId`` -> ``RegistryId``, ...); values are passed as they are, so the core judges them exactly as it judges a template's. A policy
stays the JSON string the API carries (the core reads both forms, and its length limit is ECR's).

What cannot be read raises :class:`Unreadable` (what, and where in the input): the parameters are
absent, CloudTrail cut them (``"omitted": true``), a documented container is not the documented type,
a required member is missing, a list is longer than the API allows (a call that succeeded never
sent it), a policy in a request is not JSON (ECR refuses such a policy, so the record was cut).
The caller then reads the live configuration (:mod:`.live`) or reports that it cannot decide;
it never treats the call as compliant. The limits are the API's (25 replication rules, 100
destinations and 100 filters per rule), not CloudFormation's.

Every resource's ``logical_id`` is its ARN (:func:`resource_arn`): the repository's ARN, and for
registry-level settings (replication, registry policy) the registry's, ``arn:<p>:ecr:<region>:<account>:registry``.
Pull-through cache rules and creation templates have no ARN of their own: theirs is ARN-like,
``...:pull-through-cache-rule/<prefix>`` and ``...:repository-creation-template/<prefix>``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from typing import Any

from ..assess import Resource
from ..core.partitions import partition_of_region
from ..core.values import is_account_id, is_region, shown

ECR = "ecr.amazonaws.com"
ECR_PUBLIC = "ecr-public.amazonaws.com"

REPLICATION = "AWS::ECR::ReplicationConfiguration"
REPOSITORY = "AWS::ECR::Repository"
REGISTRY_POLICY = "AWS::ECR::RegistryPolicy"
PULL_THROUGH_CACHE = "AWS::ECR::PullThroughCacheRule"
CREATION_TEMPLATE = "AWS::ECR::RepositoryCreationTemplate"
PUBLIC_REPOSITORY = "AWS::ECR::PublicRepository"

# The API's own limits (botocore's ECR model: ReplicationRuleList, ReplicationDestinationList,
# RepositoryFilterList), not CloudFormation's.
MAX_RULES = 25
MAX_DESTINATIONS = 100
MAX_FILTERS = 100

# Repository names, prefixes: what ECR accepts (lower-case letters, digits, . _ - /), or ROOT.
# Anything else cannot name an existing resource, and would break the ARN built from it.
_NAME = re.compile(r"[a-z0-9][a-z0-9._/-]{0,255}|ROOT")


class Unreadable(Exception):
    """The input cannot be read: ``what`` is wrong, ``where`` (a path in the input) it is."""

    def __init__(self, what: str, where: str):
        super().__init__(f"{where}: {what}")
        self.what = what
        self.where = where


# -- ARNs ----------------------------------------------------------------------------------

def registry_arn(*, account: str, region: str, partition: str | None = None) -> str:
    return f"arn:{partition or partition_of_region(region)}:ecr:{region}:{account}:registry"


def repository_arn(name: str, *, account: str, region: str, partition: str | None = None) -> str:
    return f"arn:{partition or partition_of_region(region)}:ecr:{region}:{account}:repository/{name}"


def pull_through_cache_arn(prefix: str, *, account: str, region: str, partition: str | None = None) -> str:
    return f"arn:{partition or partition_of_region(region)}:ecr:{region}:{account}:pull-through-cache-rule/{prefix}"


def creation_template_arn(prefix: str, *, account: str, region: str, partition: str | None = None) -> str:
    return f"arn:{partition or partition_of_region(region)}:ecr:{region}:{account}:repository-creation-template/{prefix}"


def public_repository_arn(name: str, *, account: str, partition: str = "aws") -> str:
    """ECR Public ARNs name no Region: ``arn:aws:ecr-public::<account>:repository/<name>``."""
    return f"arn:{partition}:ecr-public::{account}:repository/{name}"


def resource_arn(resource: Resource) -> str:
    """The ARN of a resource this module made (its ``logical_id``)."""
    return resource.logical_id


# -- requests (CloudTrail requestParameters) -----------------------------------------------

def resources_from_call(event_source: str, event_name: str, request_parameters: Any, *,
                        account: str, region: str, partition: str | None = None) -> list[Resource]:
    """The resources a call sets, judged as CloudFormation properties. An event this module does not
    read (another service, another operation) gives ``[]``. Raises :class:`Unreadable`."""
    reader = _REQUESTS.get((event_source, event_name))
    if reader is None:
        return []
    _check_place(account, region, partition)
    where = "requestParameters"
    if request_parameters is None:
        raise Unreadable("absent (null): the call's parameters are not in the record", where)
    params = _object(request_parameters, where)
    _not_omitted(params, where)
    return [reader(params, where, _Place(account, region, partition or partition_of_region(region)))]


class _Place:
    def __init__(self, account: str, region: str, partition: str):
        self.account, self.region, self.partition = account, region, partition


def _put_replication(params: Mapping[str, Any], where: str, place: _Place) -> Resource:
    config = _required(params, "replicationConfiguration", where)
    return Resource(REPLICATION, registry_arn(account=place.account, region=place.region, partition=place.partition),
                    {"ReplicationConfiguration": _replication_configuration(config, f"{where}.replicationConfiguration")})


def _set_repository_policy(params: Mapping[str, Any], where: str, place: _Place) -> Resource:
    name = _name(_required(params, "repositoryName", where), f"{where}.repositoryName")
    registry = _registry(params, where, place.account)
    policy = _request_policy(_required(params, "policyText", where), f"{where}.policyText")
    return Resource(REPOSITORY, repository_arn(name, account=registry, region=place.region, partition=place.partition),
                    {"RepositoryName": name, "RepositoryPolicyText": policy})


def _put_registry_policy(params: Mapping[str, Any], where: str, place: _Place) -> Resource:
    policy = _request_policy(_required(params, "policyText", where), f"{where}.policyText")
    return Resource(REGISTRY_POLICY, registry_arn(account=place.account, region=place.region, partition=place.partition),
                    {"PolicyText": policy})


def _create_pull_through_cache(params: Mapping[str, Any], where: str, place: _Place) -> Resource:
    prefix = _name(_required(params, "ecrRepositoryPrefix", where), f"{where}.ecrRepositoryPrefix")
    registry = _registry(params, where, place.account)
    _required(params, "upstreamRegistryUrl", where)
    return Resource(PULL_THROUGH_CACHE, pull_through_cache_arn(prefix, account=registry, region=place.region,
                                                               partition=place.partition),
                    _copied(params, where, _PULL_THROUGH_CACHE_KEYS))


def _update_pull_through_cache(params: Mapping[str, Any], where: str, place: _Place) -> Resource:
    prefix = _name(_required(params, "ecrRepositoryPrefix", where), f"{where}.ecrRepositoryPrefix")
    raise Unreadable(f"UpdatePullThroughCacheRule does not carry the upstream registry URL of rule {shown(prefix)}: "
                     "read the rule itself (DescribePullThroughCacheRules)", f"{where}.upstreamRegistryUrl")


def _create_template(params: Mapping[str, Any], where: str, place: _Place) -> Resource:
    return _template(params, where, place, update=False)


def _update_template(params: Mapping[str, Any], where: str, place: _Place) -> Resource:
    return _template(params, where, place, update=True)


def _template(params: Mapping[str, Any], where: str, place: _Place, *, update: bool) -> Resource:
    prefix = _name(_required(params, "prefix", where), f"{where}.prefix")
    if update and params.get("repositoryPolicy") is None:
        raise Unreadable(f"UpdateRepositoryCreationTemplate of {shown(prefix)} does not say which repository policy "
                         "the template keeps: read the template itself (DescribeRepositoryCreationTemplates)",
                         f"{where}.repositoryPolicy")
    properties = _copied(params, where, _TEMPLATE_KEYS)
    if "RepositoryPolicy" in properties:
        properties["RepositoryPolicy"] = _request_policy(properties["RepositoryPolicy"], f"{where}.repositoryPolicy")
    return Resource(CREATION_TEMPLATE, creation_template_arn(prefix, account=place.account, region=place.region,
                                                             partition=place.partition), properties)


def _set_public_repository_policy(params: Mapping[str, Any], where: str, place: _Place) -> Resource:
    name = _name(_required(params, "repositoryName", where), f"{where}.repositoryName")
    registry = _registry(params, where, place.account)
    policy = _request_policy(_required(params, "policyText", where), f"{where}.policyText")
    return Resource(PUBLIC_REPOSITORY, public_repository_arn(name, account=registry, partition=place.partition),
                    {"RepositoryName": name, "RepositoryPolicyText": policy})


_Reader = Callable[[Mapping[str, Any], str, _Place], Resource]
_REQUESTS: dict[tuple[str, str], _Reader] = {
    (ECR, "PutReplicationConfiguration"): _put_replication,
    (ECR, "SetRepositoryPolicy"): _set_repository_policy,
    (ECR, "PutRegistryPolicy"): _put_registry_policy,
    (ECR, "CreatePullThroughCacheRule"): _create_pull_through_cache,
    (ECR, "UpdatePullThroughCacheRule"): _update_pull_through_cache,
    (ECR, "CreateRepositoryCreationTemplate"): _create_template,
    (ECR, "UpdateRepositoryCreationTemplate"): _update_template,
    (ECR_PUBLIC, "SetRepositoryPolicy"): _set_public_repository_policy,
}
CALLS: tuple[tuple[str, str], ...] = tuple(_REQUESTS)  # (eventSource, eventName) this module reads


# -- describe shapes -----------------------------------------------------------------------

def replication_resource(describe_registry_response: Any, *, account: str, region: str,
                         partition: str | None = None) -> Resource:
    """``DescribeRegistry``: its ``replicationConfiguration`` (none: no rules, nothing replicates)."""
    _check_place(account, region, partition)
    where = "DescribeRegistry"
    response = _object(describe_registry_response, where)
    config = response.get("replicationConfiguration")
    rules = {"Rules": []} if config is None else _replication_configuration(config, f"{where}.replicationConfiguration")
    return Resource(REPLICATION, registry_arn(account=account, region=region, partition=partition),
                    {"ReplicationConfiguration": rules})


def registry_policy_resource(get_registry_policy_response: Any, *, account: str, region: str,
                             partition: str | None = None) -> Resource:
    """``GetRegistryPolicy``. (No policy is ``RegistryPolicyNotFoundException``: nothing to judge.)"""
    _check_place(account, region, partition)
    where = "GetRegistryPolicy"
    response = _object(get_registry_policy_response, where)
    policy = _string(_required(response, "policyText", where), f"{where}.policyText")
    return Resource(REGISTRY_POLICY, registry_arn(account=account, region=region, partition=partition),
                    {"PolicyText": policy})


def repository_resource(repository: Any, policy_text: str | None, *, account: str, region: str,
                        partition: str | None = None) -> Resource:
    """One repository of ``DescribeRepositories`` and its ``GetRepositoryPolicy`` text (``None``: no policy)."""
    name, registry, properties = _repository(repository, policy_text, "", account, region, partition)
    return Resource(REPOSITORY, repository_arn(name, account=registry, region=region, partition=partition), properties)


def pull_through_cache_resource(rule: Any, *, account: str, region: str, partition: str | None = None) -> Resource:
    """One rule of ``DescribePullThroughCacheRules``."""
    _check_place(account, region, partition)
    where = "DescribePullThroughCacheRules.pullThroughCacheRules[]"
    params = _object(rule, where)
    prefix = _name(_required(params, "ecrRepositoryPrefix", where), f"{where}.ecrRepositoryPrefix")
    registry = _registry(params, where, account)
    _required(params, "upstreamRegistryUrl", where)
    return Resource(PULL_THROUGH_CACHE, pull_through_cache_arn(prefix, account=registry, region=region,
                                                               partition=partition),
                    _copied(params, where, _PULL_THROUGH_CACHE_KEYS))


def creation_template_resource(template: Any, *, account: str, region: str, partition: str | None = None) -> Resource:
    """One template of ``DescribeRepositoryCreationTemplates`` (or the ``repositoryCreationTemplate`` a
    Create/Update call returns)."""
    _check_place(account, region, partition)
    where = "DescribeRepositoryCreationTemplates.repositoryCreationTemplates[]"
    params = _object(template, where)
    prefix = _name(_required(params, "prefix", where), f"{where}.prefix")
    return Resource(CREATION_TEMPLATE, creation_template_arn(prefix, account=account, region=region,
                                                             partition=partition),
                    _copied(params, where, _TEMPLATE_KEYS))


def public_repository_resource(repository: Any, policy_text: str | None, *, account: str, region: str,
                               partition: str | None = None) -> Resource:
    """One repository of ECR Public's ``DescribeRepositories`` and its policy text (``None``: no policy)."""
    name, registry, properties = _repository(repository, policy_text, "ecr-public.", account, region, partition)
    return Resource(PUBLIC_REPOSITORY, public_repository_arn(name, account=registry,
                                                             partition=partition or partition_of_region(region)),
                    properties)


def _repository(repository: Any, policy_text: str | None, service: str, account: str, region: str,
                partition: str | None) -> tuple[str, str, dict[str, Any]]:
    """A listed repository's name, registry and properties (with its policy text, if any)."""
    _check_place(account, region, partition)
    where = f"{service}DescribeRepositories.repositories[]"
    repo = _object(repository, where)
    name = _name(_required(repo, "repositoryName", where), f"{where}.repositoryName")
    registry = _registry(repo, where, account)
    properties: dict[str, Any] = {"RepositoryName": name}
    if policy_text is not None:
        properties["RepositoryPolicyText"] = _string(policy_text, f"{service}GetRepositoryPolicy.policyText")
    return name, registry, properties


# -- the pieces ----------------------------------------------------------------------------

# API member -> CloudFormation property, for the flat shapes (values copied as they are).
_PULL_THROUGH_CACHE_KEYS = {
    "ecrRepositoryPrefix": "EcrRepositoryPrefix", "upstreamRegistryUrl": "UpstreamRegistryUrl",
    "upstreamRegistry": "UpstreamRegistry", "credentialArn": "CredentialArn", "customRoleArn": "CustomRoleArn",
    "upstreamRepositoryPrefix": "UpstreamRepositoryPrefix",
}
_TEMPLATE_KEYS = {
    "prefix": "Prefix", "description": "Description", "repositoryPolicy": "RepositoryPolicy",
    "appliedFor": "AppliedFor", "customRoleArn": "CustomRoleArn", "imageTagMutability": "ImageTagMutability",
    "lifecyclePolicy": "LifecyclePolicy",
}


def _replication_configuration(config: Any, where: str) -> dict[str, Any]:
    config = _object(config, where)
    _not_omitted(config, where)
    rules = _list(_required(config, "rules", where), f"{where}.rules", MAX_RULES)
    return {"Rules": [_rule(rule, f"{where}.rules[{i}]") for i, rule in enumerate(rules)]}


def _rule(rule: Any, where: str) -> dict[str, Any]:
    rule = _object(rule, where)
    destinations = _list(_required(rule, "destinations", where), f"{where}.destinations", MAX_DESTINATIONS)
    out: dict[str, Any] = {"Destinations": [
        _members(d, f"{where}.destinations[{i}]", {"region": "Region", "registryId": "RegistryId"})
        for i, d in enumerate(destinations)]}
    filters = rule.get("repositoryFilters")
    if filters is not None:
        out["RepositoryFilters"] = [
            _members(f, f"{where}.repositoryFilters[{i}]", {"filter": "Filter", "filterType": "FilterType"})
            for i, f in enumerate(_list(filters, f"{where}.repositoryFilters", MAX_FILTERS))]
    return out


def _members(value: Any, where: str, keys: Mapping[str, str]) -> dict[str, Any]:
    """An object whose members are all required strings, renamed."""
    found = _object(value, where)
    return {cfn: _string(_required(found, api, where), f"{where}.{api}") for api, cfn in keys.items()}


def _copied(params: Mapping[str, Any], where: str, keys: Mapping[str, str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for api, cfn in keys.items():
        value = params.get(api)
        if value is None:
            continue
        if api == "appliedFor":
            out[cfn] = [_string(v, f"{where}.{api}[{i}]") for i, v in enumerate(_list(value, f"{where}.{api}", 10))]
        else:
            out[cfn] = _string(value, f"{where}.{api}")
    return out


def _request_policy(value: Any, where: str) -> str:
    """A policy a call sent: a JSON string. Text that is not JSON was cut (ECR refuses it)."""
    text = _string(value, where)
    try:
        json.loads(text)
    except ValueError:
        raise Unreadable(f"the policy text is not JSON ({len(text)} characters: cut, or not the call ECR accepted)",
                         where) from None
    return text


def _registry(params: Mapping[str, Any], where: str, account: str) -> str:
    registry = params.get("registryId")
    if registry is None:
        return account
    if not is_account_id(registry):
        raise Unreadable(f"registryId {shown(registry)} is not a 12-digit account ID", f"{where}.registryId")
    return registry


def valid_name(value: Any) -> str | None:
    """``value`` if it is a repository name or prefix ECR accepts, else ``None``."""
    return value if isinstance(value, str) and _NAME.fullmatch(value) is not None else None


def _name(value: Any, where: str) -> str:
    text = _string(value, where)
    if _NAME.fullmatch(text) is None:
        raise Unreadable(f"{shown(text)} is not a repository name or prefix ECR accepts", where)
    return text


def _required(params: Mapping[str, Any], key: str, where: str) -> Any:
    value = params.get(key)
    if value is None:
        raise Unreadable(f"{key} is required and missing", f"{where}.{key}")
    return value


def _object(value: Any, where: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise Unreadable(f"expected an object, got {shown(value)}", where)
    return value


def _list(value: Any, where: str, limit: int) -> list[Any]:
    if not isinstance(value, list):
        raise Unreadable(f"expected a list, got {shown(value)}", where)
    if len(value) > limit:
        raise Unreadable(f"{len(value)} entries, more than the API's limit of {limit}", where)
    return value


def _string(value: Any, where: str) -> str:
    if not isinstance(value, str):
        raise Unreadable(f"expected a string, got {shown(value)}", where)
    return value


def _not_omitted(params: Mapping[str, Any], where: str) -> None:
    """CloudTrail cuts a field larger than its limit and says so with ``"omitted": true``."""
    if params.get("omitted") is True:
        raise Unreadable("CloudTrail omitted the parameters (\"omitted\": true: larger than a record may hold)", where)


def _check_place(account: str, region: str, partition: str | None) -> None:
    if not is_account_id(account):
        raise Unreadable(f"{shown(account)} is not a 12-digit account ID", "account")
    if not is_region(region):
        raise Unreadable(f"{shown(region)} is not a Region name", "region")
    if partition is not None and partition != partition_of_region(region):
        raise Unreadable(f"partition {shown(partition)} is not the partition of Region {region}", "partition")
