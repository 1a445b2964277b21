"""AWS::ECR::PullThroughCacheRule: images must not be pulled from another organization's ECR.

An ECR upstream is ``<account>.dkr.ecr[-fips].<region>.<domain>`` or, dual-stack,
``<account>.dkr-ecr[-fips].<region>.on.aws`` (matched case-insensitively, with or without a scheme,
in any partition's domain, IPv4 or dual-stack, as botocore's partition data lists them): its
account must be trusted. Any other host of an AWS domain with an ECR service label (``ecr``,
``ecr-fips``, ``api.ecr``...) is ECR too, and fails as malformed when it names no account. Other
upstreams (ECR Public, Docker Hub, ...) are allowed unless AllowedUpstreamRegistryUrls is set
and does not list them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from .findings import Finding, pointer
from .partitions import partition_of_region
from .rules import PTC_MALFORMED, PTC_UNRESOLVED, PTC_UNTRUSTED_UPSTREAM, PTC_UPSTREAM_NOT_ALLOWED
from .trust import Trust
from .values import is_dynamic_reference, is_intrinsic, shown

RESOURCE_TYPE = "AWS::ECR::PullThroughCacheRule"
MALFORMED = PTC_MALFORMED  # the rule of a resource whose properties are not an object

# The DNS suffixes of the AWS partitions (aws, aws-cn, aws-us-gov, iso, iso-b, iso-e, iso-f, eusc):
# dnsSuffix and dualStackDnsSuffix of botocore's partitions.json, and the "on." dual-stack domains
# ECR's registry endpoints use (<account>.dkr-ecr.<region>.on.aws).
AWS_DOMAINS = ("amazonaws.com", "amazonaws.com.cn", "c2s.ic.gov", "sc2s.sgov.gov", "cloud.adc-e.uk",
               "csp.hci.ic.gov", "amazonaws.eu",
               "api.aws", "api.amazonwebservices.com.cn", "api.amazonwebservices.eu", "api.aws.ic.gov",
               "api.aws.scloud", "api.cloud-aws.adc-e.uk", "api.aws.hci.ic.gov",
               "on.aws", "on.amazonwebservices.com.cn", "on.amazonwebservices.eu", "on.aws.ic.gov",
               "on.aws.scloud", "on.cloud-aws.adc-e.uk", "on.aws.hci.ic.gov")
_ECR_HOST = re.compile(r"(?P<account>[^.]+)\.dkr[.-]ecr(?:-fips)?\.(?P<region>[a-z0-9-]+)\.(?P<domain>[a-z0-9.-]+)")
_ECR_LABEL = re.compile(r"(?:dkr-)?ecr(?:-fips)?")
_DOMAINS_LONGEST_FIRST = tuple(sorted(AWS_DOMAINS, key=len, reverse=True))  # the longest domain a host ends with wins


def registry_host(url: str) -> str:
    """``HTTPS://123.dkr.ecr.eu-west-1.amazonaws.com/`` -> ``123.dkr.ecr.eu-west-1.amazonaws.com``."""
    host = url.strip().lower()
    host = re.sub(r"^[a-z][a-z0-9+.-]*://", "", host)
    return host.split("/", 1)[0].rstrip(".")


def hostname(host: str) -> str:
    """The name alone, without user information or port: ``u@123.dkr.ecr...com:443`` -> ``123.dkr.ecr...com``.
    A port or user part must not disguise an ECR registry as some other upstream."""
    name = host.rsplit("@", 1)[-1]
    return re.sub(r":[0-9]*$", "", name).rstrip(".")


def check(properties: Mapping[str, Any], trust: Trust) -> list[Finding]:
    url = properties.get("UpstreamRegistryUrl")
    where = pointer("UpstreamRegistryUrl")
    if is_dynamic_reference(url) or is_intrinsic(url):
        return [PTC_UNRESOLVED.finding(
            path=where, subject=shown(url),
            message=f"UpstreamRegistryUrl {shown(url)} is not resolved, so the upstream cannot be checked",
            remediation="Give UpstreamRegistryUrl a literal value")]
    host = registry_host(url) if isinstance(url, str) else ""
    if not isinstance(url, str) or not host:
        return [PTC_MALFORMED.finding(
            path=where, subject=shown(url), message=f"UpstreamRegistryUrl must be a registry URL, got {shown(url)}",
            remediation="Set UpstreamRegistryUrl to the upstream registry's host name")]
    registry = properties.get("UpstreamRegistry")
    declared_ecr = isinstance(registry, str) and registry.lower() == "ecr"
    name = hostname(host)
    if declared_ecr or _looks_like_ecr(name):
        return _check_ecr(name, url, where, trust)
    allowed = trust.allowed_upstream_registry_urls
    if allowed and host not in allowed:
        return [PTC_UPSTREAM_NOT_ALLOWED.finding(
            path=where, subject=host,
            message=f"the rule pulls from {host}, which is not in AllowedUpstreamRegistryUrls "
                    f"({', '.join(sorted(allowed))})",
            remediation="Pull only from an allowed upstream, or add it to AllowedUpstreamRegistryUrls")]
    return []


def _looks_like_ecr(host: str) -> bool:
    """An ECR registry host in an AWS domain. ``<acct>.dkr.ecr.<region>.example.com`` is not ECR:
    it is an ordinary upstream and must pass AllowedUpstreamRegistryUrls. An ECR-looking host with
    anything but ``[a-z0-9.-]`` in it (``?``, ``#``, ``\\``, Unicode dots ``。``/``．``) is taken as
    ECR too, and so fails as malformed: URL parsers disagree on such hosts (issue 8)."""
    if "dkr" in host and "ecr" in host and re.fullmatch(r"[a-z0-9.-]+", host) is None:
        return True
    domain = next((d for d in _DOMAINS_LONGEST_FIRST if host.endswith("." + d)), None)
    if domain is None:
        return False
    labels = host[: -len(domain) - 1].split(".")
    return any(_ECR_LABEL.fullmatch(label) for label in labels)


def _check_ecr(host: str, url: str, where: str, trust: Trust) -> list[Finding]:
    match = _ECR_HOST.fullmatch(host)
    if match is not None and (match.group("domain") not in AWS_DOMAINS
                              or ("dkr-ecr" in host) != match.group("domain").startswith("on.")):
        match = None  # dkr.ecr lives in the IPv4 domains, dkr-ecr in the dual-stack "on." ones
    account = match.group("account") if match else ""
    if match is None or not re.fullmatch(r"[0-9]{12}", account):
        return [PTC_MALFORMED.finding(
            path=where, subject=shown(url),
            message=f"UpstreamRegistryUrl {shown(url)} is not <account>.dkr.ecr.<region>.<domain> (or "
                    "<account>.dkr-ecr.<region>.on.aws), so its account cannot be checked",
            remediation="Set UpstreamRegistryUrl to <12-digit account>.dkr.ecr.<region>.amazonaws.com")]
    partition = partition_of_region(match.group("region"))
    if trust.trusts_account(account, partition):
        return []
    return [PTC_UNTRUSTED_UPSTREAM.finding(
        path=where, subject=account,
        message=f"the rule pulls images from the ECR registry of account {account} ({host}), which is outside "
                + (f"the stack's partition ({trust.partition})" if partition != trust.partition
                   else f"the trusted set ({trust.describe()})"),
        remediation=f"Pull only from registries of trusted accounts, or trust {account} if it is yours")]
