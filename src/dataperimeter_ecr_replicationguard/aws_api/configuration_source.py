"""The settings of a door that has no type configuration (the Lambda hook, the detective Lambda).

One JSON document, the registered hook's ``Properties`` (or the whole set-type-configuration
document), comes from exactly one of:

- ``GUARD_CONFIGURATION``: the document itself;
- ``GUARD_CONFIGURATION_PARAMETER``: the name (or ARN) of an SSM parameter holding it, read with
  ``GetParameter(WithDecryption=True)``, so a ``SecureString`` works.

The document is validated against schema.json (:func:`settings.configuration_properties`) and then
read (:func:`settings.parse_settings`). Every failure is a :class:`settings.ConfigurationError`
whose problems say what is wrong and where (which variable, which parameter): neither or both
variables set, an SSM error (``ParameterNotFound``, ``AccessDeniedException``, no credentials),
text that is not JSON, a document schema.json rejects. A variable set to the empty string counts
as not set (a template can then pass ``""`` for the variable it does not use).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Mapping
from typing import Any

from ..settings import ConfigurationError, Settings, configuration_properties, parse_settings

DOCUMENT_VARIABLE = "GUARD_CONFIGURATION"
PARAMETER_VARIABLE = "GUARD_CONFIGURATION_PARAMETER"
_SHOWN = 120  # characters of input text a message quotes


def load_configuration(environ: Mapping[str, str], ssm_client_factory: Callable[[], Any]) -> Settings:
    """The settings the environment names. ``ssm_client_factory`` is called only when the SSM
    parameter is the source (a boto3 ``ssm`` client). Raises :class:`ConfigurationError`."""
    text, where = _document_text(environ, ssm_client_factory)
    try:
        document = json.loads(text)
    except RecursionError:  # not a ValueError: past about 1,000 levels, which 4 KB of text reaches
        raise ConfigurationError([f"{where}: not a JSON document (nested too deeply to read): {_cut(text)}"]) from None
    except ValueError as error:
        detail = f"{error.msg} at line {error.lineno} column {error.colno}" if isinstance(error, json.JSONDecodeError) else str(error)
        raise ConfigurationError([f"{where}: not a JSON document ({detail}): {_cut(text)}"]) from None
    try:
        return parse_settings(configuration_properties(document))
    except ConfigurationError as error:
        raise ConfigurationError([f"{where}: {problem}" for problem in error.problems]) from None


_memo: dict[tuple[str, str], Settings] = {}
_memo_lock = threading.Lock()


def cached_configuration(environ: Mapping[str, str], ssm_client_factory: Callable[[], Any]) -> Settings:
    """:func:`load_configuration`, once per execution environment: remembered by the values of the
    two variables. A failure is never remembered: it is raised again (read again) on every call,
    with the same message when the cause is the same, so a bad document fails every invocation."""
    key = (environ.get(DOCUMENT_VARIABLE, ""), environ.get(PARAMETER_VARIABLE, ""))
    with _memo_lock:
        known = _memo.get(key)
    if known is not None:
        return known
    settings = load_configuration(environ, ssm_client_factory)
    with _memo_lock:
        _memo[key] = settings
    return settings


def forget_cached_configuration() -> None:
    """Drop what :func:`cached_configuration` remembered (tests; a new parameter version)."""
    with _memo_lock:
        _memo.clear()


def _document_text(environ: Mapping[str, str], ssm_client_factory: Callable[[], Any]) -> tuple[str, str]:
    document = environ.get(DOCUMENT_VARIABLE, "")
    parameter = environ.get(PARAMETER_VARIABLE, "")
    if document.strip() and parameter.strip():
        raise ConfigurationError([f"both {DOCUMENT_VARIABLE} and {PARAMETER_VARIABLE} are set: set exactly one "
                                  "(the document itself, or the SSM parameter that holds it)"])
    if document.strip():
        return document, DOCUMENT_VARIABLE
    if not parameter.strip():
        raise ConfigurationError([f"no configuration: set {DOCUMENT_VARIABLE} to the settings document (the hook's "
                                  f"Properties as JSON) or {PARAMETER_VARIABLE} to the SSM parameter that holds it"])
    name = parameter.strip()
    where = f"SSM parameter {_cut(name)} ({PARAMETER_VARIABLE})"
    try:
        response = ssm_client_factory().get_parameter(Name=name, WithDecryption=True)
    except Exception as error:  # botocore's ClientError / BotoCoreError, or whatever the factory raised
        raise ConfigurationError([f"{where}: cannot be read: {_aws_error(error)}"]) from None
    value = response.get("Parameter", {}).get("Value") if isinstance(response, Mapping) else None
    if not isinstance(value, str):
        raise ConfigurationError([f"{where}: GetParameter returned no value"])
    return value, where


def _aws_error(error: Exception) -> str:
    """``Code: message`` of a botocore ClientError, else the exception's type and text (cut)."""
    response = getattr(error, "response", None)
    details = response.get("Error", {}) if isinstance(response, Mapping) else {}
    code = details.get("Code") if isinstance(details, Mapping) else None
    if code:
        message = details.get("Message") or ""
        return f"{_cut(str(code), 60)}" + (f": {_cut(str(message))}" if message else "")
    return f"{type(error).__name__}: {_cut(str(error))}"


def _cut(text: str, limit: int = _SHOWN) -> str:
    """Input text as data: quoted (escaped) and cut."""
    return repr(text if len(text) <= limit else text[:limit - 3] + "...")
