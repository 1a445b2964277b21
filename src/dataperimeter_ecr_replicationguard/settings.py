"""The hook's type configuration, read once at the edge.

CloudFormation hands the configuration over as strings: lists are comma-separated strings
(a JSON array is accepted too) and booleans are ``"true"``/``"false"``. Every entry is
validated; a malformed one is a :class:`ConfigurationError` naming the setting and the
entry, never silently dropped. Defaults are the schema's (``schema.json``), applied here
because the library passes ``None`` when no configuration was set.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Mapping
from typing import Any, Callable, NamedTuple

from .core.values import is_account_id, is_region
from .exemptions import Exemption, ExemptionError, parse_exemptions

_ORG_ID = re.compile(r"o-[a-z0-9]{10,32}")
_OU_PATH = re.compile(r"o-[a-z0-9]{10,32}/r-[0-9a-z]{4,32}/(?:ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}/)*")


class ConfigurationError(ValueError):
    """The type configuration does not validate. ``problems`` lists every reason."""

    def __init__(self, problems: list[str]):
        super().__init__("; ".join(problems))
        self.problems = problems


class Settings(NamedTuple):
    trusted_account_ids: frozenset[str] = frozenset()
    trusted_organization_ids: frozenset[str] = frozenset()
    trusted_ou_paths: frozenset[str] = frozenset()
    trust_deploying_account: bool = True
    allowed_replication_regions: frozenset[str] = frozenset()
    exemptions: tuple[Exemption, ...] = ()
    trusted_service_principals: frozenset[str] = frozenset()
    allowed_upstream_registry_urls: frozenset[str] = frozenset()
    account_source: str = "Static"
    organizations_role_arn: str = ""
    cache_ttl_seconds: int = 300
    organizations_lookup: str = "Auto"
    snapshot_location: str = ""
    snapshot_region: str = ""
    snapshot_max_age_seconds: int = 7200
    snapshot_fallback: str = "None"


def parse_settings(raw: Mapping[str, Any] | None) -> Settings:
    """Settings from a type configuration (``hookModel``); ``None`` or ``{}`` gives the defaults."""
    if raw is None:
        return Settings()
    if not isinstance(raw, Mapping):
        raise ConfigurationError([f"the type configuration must be an object, got {type(raw).__name__}"])
    problems: list[str] = []
    values: dict[str, Any] = {}
    for key, (field, reader) in _READERS.items():
        if raw.get(key) is None:
            continue
        try:
            values[field] = reader(key, raw[key])
        except ConfigurationError as error:
            problems.extend(error.problems)
    if problems:
        raise ConfigurationError(problems)
    return Settings(**values)


def settings_of(raw: Any) -> Settings:
    """:func:`parse_settings`, remembered per configuration: CloudFormation sends the same type
    configuration on every invocation, and re-reading thousands of account IDs each time would
    cost more than the analysis. A configuration that does not validate is never remembered."""
    if isinstance(raw, dict) and all(isinstance(v, (str, bool, int, float, type(None))) for v in raw.values()):
        return _parsed(tuple(sorted(raw.items())))
    return parse_settings(raw)


@functools.lru_cache(maxsize=8)
def _parsed(items: tuple) -> Settings:
    return parse_settings(dict(items))


def properties_of(document: Any) -> Any:
    """The ``Properties`` of a set-type-configuration document, or the document itself."""
    if isinstance(document, dict) and "CloudFormationConfiguration" in document:
        return document["CloudFormationConfiguration"].get("HookConfiguration", {}).get("Properties", {})
    return document


def _entries(key: str, value: Any) -> list[str]:
    """A comma-separated string, or a JSON array (as a list or as its JSON text)."""
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("["):
            try:
                value = json.loads(text)
            except ValueError:
                raise ConfigurationError([f"{key}: not a valid JSON array: {text[:60]!r}"]) from None
        else:
            return [part.strip() for part in text.split(",") if part.strip()]
    if not isinstance(value, list):
        raise ConfigurationError([f"{key}: expected a comma-separated string, got {type(value).__name__}"])
    bad = [repr(v) for v in value if not isinstance(v, str)]
    if bad:
        raise ConfigurationError([f"{key}: every entry must be a string, got {', '.join(bad[:3])}"])
    return [v.strip() for v in value if v.strip()]


def _validated(what: str, ok: Callable[[str], bool], normalise: Callable[[str], str] = str):
    def read(key: str, value: Any) -> frozenset[str]:
        entries = _entries(key, value)
        bad = [e for e in entries if not ok(e)]
        if bad:
            shown = ", ".join(repr(b) for b in bad[:5]) + (f" and {len(bad) - 5} more" if len(bad) > 5 else "")
            raise ConfigurationError([f"{key}: {shown} {'is' if len(bad) == 1 else 'are'} not {what}"])
        return frozenset(normalise(e) for e in entries)

    return read


def _boolean(key: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    raise ConfigurationError([f'{key}: expected "true" or "false", got {value!r}'])


_READERS: dict[str, tuple[str, Callable[[str, Any], Any]]] = {
    "TrustedAccountIds": (
        "trusted_account_ids",
        _validated("a 12-digit account ID", is_account_id),
    ),
    "TrustedOrganizationIds": (
        "trusted_organization_ids",
        _validated("an organization ID (o- and 10 to 32 lower-case letters or digits)", _ORG_ID.fullmatch),
    ),
    "TrustedOrganizationalUnitPaths": (
        "trusted_ou_paths",
        _validated(
            "an OU path (o-.../r-.../ou-.../, no wildcards)",
            lambda e: _OU_PATH.fullmatch(e if e.endswith("/") else e + "/") is not None,
            lambda e: e if e.endswith("/") else e + "/",
        ),
    ),
    "TrustDeployingAccount": ("trust_deploying_account", _boolean),
    "AllowedReplicationRegions": (
        "allowed_replication_regions",
        _validated("a Region name", is_region),
    ),
}


def _exemptions(key: str, value: Any) -> tuple[Exemption, ...]:
    try:
        return parse_exemptions(value)
    except ExemptionError as error:
        raise ConfigurationError(error.problems) from None


_READERS["Exemptions"] = ("exemptions", _exemptions)

ACCOUNT_SOURCES = ("Static", "Organizations", "Snapshot")
ORGANIZATIONS_LOOKUPS = ("Auto", "NamedAccounts")
_ROLE_ARN = re.compile(r"arn:aws(?:-[a-z]+)*:iam::[0-9]{12}:role/(?:[\w+=,.@-]+/)*[\w+=,.@-]{1,64}", re.ASCII)
MAX_CACHE_TTL_SECONDS = 86_400


def _one_of(choices: tuple[str, ...]) -> Callable[[str, Any], str]:
    def read(key: str, value: Any) -> str:
        if value in choices:
            return value
        raise ConfigurationError([f"{key}: expected one of {', '.join(choices)}, got {value!r}"])

    return read


def _role_arn(key: str, value: Any) -> str:
    if isinstance(value, str) and (value == "" or _ROLE_ARN.fullmatch(value)):
        return value
    raise ConfigurationError([f"{key}: {value!r} is not an IAM role ARN (arn:aws:iam::<12 digits>:role/<name>)"])


def _ttl(key: str, value: Any) -> int:
    text = str(value).strip() if isinstance(value, (str, int)) and not isinstance(value, bool) else ""
    if re.fullmatch(r"[0-9]{1,6}", text) and int(text) <= MAX_CACHE_TTL_SECONDS:
        return int(text)
    raise ConfigurationError([f"{key}: expected a whole number of seconds from 0 to {MAX_CACHE_TTL_SECONDS}, got {value!r}"])


_SERVICE_PRINCIPAL = re.compile(r"[a-z0-9][a-z0-9.-]*\.amazonaws\.com(\.cn)?")
_REGISTRY_HOST = re.compile(r"[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+(:[0-9]{1,5})?")


def _registry_host(entry: str) -> str:
    from .core.pull_through_cache import registry_host

    return registry_host(entry)


_READERS["TrustedServicePrincipals"] = (
    "trusted_service_principals",
    _validated("a service principal (name.amazonaws.com)", _SERVICE_PRINCIPAL.fullmatch),
)
_READERS["AllowedUpstreamRegistryUrls"] = (
    "allowed_upstream_registry_urls",
    _validated("a registry host name (e.g. public.ecr.aws)",
               lambda e: _REGISTRY_HOST.fullmatch(_registry_host(e)) is not None, _registry_host),
)
_READERS["AccountSource"] = ("account_source", _one_of(ACCOUNT_SOURCES))
_READERS["OrganizationsRoleArn"] = ("organizations_role_arn", _role_arn)
_READERS["CacheTtlSeconds"] = ("cache_ttl_seconds", _ttl)
_READERS["OrganizationsLookup"] = ("organizations_lookup", _one_of(ORGANIZATIONS_LOOKUPS))


# -- AccountSource Snapshot (trust_sources/snapshot.py) ------------------------------------
SNAPSHOT_FALLBACKS = ("None", "NamedAccounts")
# s3://<bucket>/<key>: a bucket name as S3 allows it (3 to 63 lower-case letters, digits, dots,
# hyphens) and a key of S3's "safe characters"; the whole value exactly, nothing stripped.
SNAPSHOT_LOCATION = re.compile(r"s3://([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])/([A-Za-z0-9!_.*'()/-]{1,1024})", re.ASCII)


def _snapshot_location(key: str, value: Any) -> str:
    if isinstance(value, str) and (value == "" or SNAPSHOT_LOCATION.fullmatch(value)):
        return value
    raise ConfigurationError([f"{key}: {str(value)[:80]!r} is not s3://<bucket>/<key> (a bucket name, then a key of "
                              "letters, digits and !_.*'()/-)"])


def _region_or_empty(key: str, value: Any) -> str:
    if isinstance(value, str) and (value == "" or is_region(value)):
        return value
    raise ConfigurationError([f"{key}: {str(value)[:40]!r} is not a Region name (empty: the hook's own Region)"])


_READERS["SnapshotLocation"] = ("snapshot_location", _snapshot_location)
_READERS["SnapshotRegion"] = ("snapshot_region", _region_or_empty)
_READERS["SnapshotMaxAgeSeconds"] = ("snapshot_max_age_seconds", _ttl)
_READERS["SnapshotFallback"] = ("snapshot_fallback", _one_of(SNAPSHOT_FALLBACKS))

SETTING_NAMES = tuple(_READERS)


# -- configuration documents (the CLI's --config and invoke --type-configuration) ----------
# The hook itself is handed the Properties CloudFormation already validated against schema.json;
# a file given to the CLI is validated here the same way, so a misspelt setting is an error
# instead of a default. jsonschema (a dependency of the ``cli`` extra) is imported only here.

WRAPPER = "CloudFormationConfiguration"
_HOOK_CONFIGURATION_SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "HookInvocationStatus": {"enum": ["ENABLED", "DISABLED"]},
        "TargetStacks": {"enum": ["ALL", "NONE"]},  # the legacy spelling of HookInvocationStatus (docs/README.md shows it)
        "FailureMode": {"enum": ["FAIL", "WARN"]},
        "TargetOperations": {"type": "array", "items": {"enum": ["STACK", "RESOURCE", "CHANGE_SET", "CLOUD_CONTROL"]}},
        "TargetFilters": {"type": "object"},
        "StackFilters": {"type": "object"},
        "Properties": {"type": "object"},
    },
}


def type_configuration_schema() -> dict:
    """``typeConfiguration`` of the hook's schema.json, shipped in the package (the same file)."""
    from importlib import resources

    document = json.loads(resources.files(__package__).joinpath("schema.json").read_text(encoding="utf-8"))
    schema = dict(document["typeConfiguration"])
    schema.setdefault("additionalProperties", False)  # CloudFormation's own reading of a type configuration
    if "definitions" in document:
        schema.setdefault("definitions", document["definitions"])
    return schema


def configuration_properties(document: Any) -> dict:
    """The ``Properties`` of a configuration document: the set-type-configuration document
    (``{"CloudFormationConfiguration": {"HookConfiguration": {..., "Properties": {...}}}}``) or
    its bare ``Properties``, validated against schema.json. Raises :class:`ConfigurationError`
    listing every problem; an unknown key names the nearest setting."""
    if not isinstance(document, Mapping):
        raise ConfigurationError([f"the configuration must be a JSON object, got {type(document).__name__}"])
    if WRAPPER in document:
        extra = sorted(str(k) for k in document if k != WRAPPER)
        problems = [f"unknown key {k!r} next to {WRAPPER}" for k in extra]
        outer = document[WRAPPER]
        if not isinstance(outer, Mapping) or set(outer) != {"HookConfiguration"}:
            keys = sorted(str(k) for k in outer) if isinstance(outer, Mapping) else []
            problems.append(f"{WRAPPER} must hold exactly one key, HookConfiguration"
                            + (f" (found {', '.join(repr(k) for k in keys)}" + _nearest_of(keys, ["HookConfiguration"]) + ")"
                               if keys else ""))
            raise ConfigurationError(problems)
        hook = outer["HookConfiguration"]
        problems += [f"{WRAPPER}.HookConfiguration{_where(e.absolute_path)}: {_message(e, list(_HOOK_CONFIGURATION_SCHEMA['properties']))}"
                     for e in _errors(hook, _HOOK_CONFIGURATION_SCHEMA)]
        if problems:
            raise ConfigurationError(problems)
        properties = hook.get("Properties", {})
        prefix = f"{WRAPPER}.HookConfiguration.Properties"
    else:
        properties, prefix = document, ""
    schema = type_configuration_schema()
    names = list(schema.get("properties", {}))
    problems = [f"{prefix}{_where(e.absolute_path)}: {_message(e, names + ([WRAPPER] if not prefix else []))}".lstrip(": ")
                for e in _errors(properties, schema)]
    if problems:
        raise ConfigurationError(problems)
    return dict(properties)


def _errors(instance: Any, schema: dict) -> list:
    import jsonschema

    validator = jsonschema.Draft7Validator(schema)
    return sorted(validator.iter_errors(instance), key=lambda e: (list(map(str, e.absolute_path)), e.message))


def _where(path) -> str:
    return "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path)


def _message(error: Any, names: list[str]) -> str:
    if error.validator == "additionalProperties" and isinstance(error.instance, Mapping):
        allowed = set(error.schema.get("properties", {}))
        unknown = sorted(str(k) for k in error.instance if k not in allowed)
        return "; ".join(f"unknown setting {shown_key(k)}{_nearest_of([k], names)}" for k in unknown)
    if error.validator == "type" and isinstance(error.instance, list):
        return "expected a string (a comma-separated list, as CloudFormation requires), got a JSON array"
    text = error.message
    return text if len(text) <= 200 else text[:197] + "..."


def shown_key(key: str) -> str:
    return repr(key if len(key) <= 60 else key[:57] + "...")


def _nearest_of(keys: list[str], names: list[str]) -> str:
    import difflib

    for key in keys:
        folded = {n.lower(): n for n in names}
        if key.lower() in folded:
            return f" (did you mean {folded[key.lower()]}?)"
        close = difflib.get_close_matches(key, names, n=1, cutoff=0.6)
        if close:
            return f" (did you mean {close[0]}?)"
    return ""
