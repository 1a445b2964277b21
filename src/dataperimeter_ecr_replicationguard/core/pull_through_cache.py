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
from typing import Any

from .partitions import partition_of_region
from .findings import Category, Finding, Severity, pointer
from .trust import Trust
from .values import is_dynamic_reference, is_intrinsic, shown, type_name

RESOURCE_TYPE = "AWS::ECR::PullThroughCacheRule"

UNTRUSTED_UPSTREAM = "ECR-PTC-UNTRUSTED-UPSTREAM"
UPSTREAM_NOT_ALLOWED = "ECR-PTC-UPSTREAM-NOT-ALLOWED"
MALFORMED = "ECR-PTC-MALFORMED"
UNRESOLVED = "ECR-PTC-UNRESOLVED"

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


def check(properties: Any, trust: Trust):
    if not isinstance(properties, dict):
        return [_finding(MALFORMED, Category.INVALID, "", type_name(properties),
                         f"the resource properties must be an object, got {type_name(properties)}",
                         "Fix the resource's Properties")]
    url = properties.get("UpstreamRegistryUrl")
    where = pointer("UpstreamRegistryUrl")
    if is_dynamic_reference(url) or is_intrinsic(url):
        return [_finding(UNRESOLVED, Category.UNRESOLVED, where, shown(url),
                         f"UpstreamRegistryUrl {shown(url)} is not resolved, so the upstream cannot be checked",
                         "Give UpstreamRegistryUrl a literal value")]
    if not isinstance(url, str) or not registry_host(url):
        return [_finding(MALFORMED, Category.INVALID, where, shown(url),
                         f"UpstreamRegistryUrl must be a registry URL, got {shown(url)}",
                         "Set UpstreamRegistryUrl to the upstream registry's host name")]
    host = registry_host(url)
    registry = properties.get("UpstreamRegistry")
    declared_ecr = isinstance(registry, str) and registry.lower() == "ecr"
    if declared_ecr or _looks_like_ecr(hostname(host)):
        return _check_ecr(hostname(host), url, where, trust)
    allowed = trust.allowed_upstream_registry_urls
    if allowed and host not in allowed:
        return [_finding(UPSTREAM_NOT_ALLOWED, Category.VIOLATION, where, host,
                         f"the rule pulls from {host}, which is not in AllowedUpstreamRegistryUrls "
                         f"({', '.join(sorted(allowed))})",
                         "Pull only from an allowed upstream, or add it to AllowedUpstreamRegistryUrls")]
    return []


def _looks_like_ecr(host: str) -> bool:
    """An ECR registry host in an AWS domain. ``<acct>.dkr.ecr.<region>.example.com`` is not ECR:
    it is an ordinary upstream and must pass AllowedUpstreamRegistryUrls. An ECR-looking host with
    anything but ``[a-z0-9.-]`` in it (``?``, ``#``, ``\\``, Unicode dots ``。``/``．``) is taken as
    ECR too, and so fails as malformed: URL parsers disagree on such hosts (issue 8)."""
    if "dkr" in host and "ecr" in host and re.fullmatch(r"[a-z0-9.-]+", host) is None:
        return True
    domain = next((d for d in sorted(AWS_DOMAINS, key=len, reverse=True) if host.endswith("." + d)), None)
    if domain is None:
        return False
    labels = host[: -len(domain) - 1].split(".")
    return any(_ECR_LABEL.fullmatch(label) for label in labels)


def _check_ecr(host: str, url: str, where: str, trust: Trust):
    match = _ECR_HOST.fullmatch(host)
    if match is not None and (match.group("domain") not in AWS_DOMAINS
                              or ("dkr-ecr" in host) != match.group("domain").startswith("on.")):
        match = None  # dkr.ecr lives in the IPv4 domains, dkr-ecr in the dual-stack "on." ones
    account = match.group("account") if match else ""
    if not re.fullmatch(r"[0-9]{12}", account):
        return [_finding(MALFORMED, Category.INVALID, where, shown(url),
                         f"UpstreamRegistryUrl {shown(url)} is not <account>.dkr.ecr.<region>.<domain> (or "
                         "<account>.dkr-ecr.<region>.on.aws), so its account cannot be checked",
                         "Set UpstreamRegistryUrl to <12-digit account>.dkr.ecr.<region>.amazonaws.com")]
    partition = partition_of_region(match.group("region"))
    if trust.trusts_account(account) and partition == trust.partition:
        return []
    return [Finding(UNTRUSTED_UPSTREAM, Severity.HIGH, Category.VIOLATION, where, account,
                    f"the rule pulls images from the ECR registry of account {account} ({host}), which is outside "
                    + (f"the stack's partition ({trust.partition})" if partition != trust.partition
                       else f"the trusted set ({trust.describe()})"),
                    f"Pull only from registries of trusted accounts, or trust {account} if it is yours")]


def _finding(rule: str, category: Category, path: str, subject: str, message: str, remediation: str) -> Finding:
    severity = Severity.MEDIUM if rule == UPSTREAM_NOT_ALLOWED else Severity.HIGH
    return Finding(rule_id=rule, severity=severity, category=category, path=path, subject=subject,
                   message=message, remediation=remediation)
