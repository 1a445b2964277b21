"""The STACK / CHANGE_SET payload: JSON behind the S3 presigned URL in ``requestData.payload``.

A Lambda hook fetches it itself (the registered hook's library does it for that door). Bounded, as
CloudFormation waits 30 seconds for the function: each attempt times out after
:data:`TIMEOUT_SECONDS`, a 5xx answer or a broken connection is tried :data:`ATTEMPTS` times in
all, and a body larger than :data:`MAX_BYTES` is refused. Only ``https`` URLs are fetched. Every
failure is a :class:`PayloadError` whose text never contains the URL (its query string is a
signature). ``urllib`` is imported only when a payload is fetched, so the RESOURCE path never
loads it.
"""

from __future__ import annotations

import json
import time
from typing import Any

SCHEMES = ("https",)
TIMEOUT_SECONDS = 5.0
ATTEMPTS = 3
BACKOFF_SECONDS = 0.5
MAX_BYTES = 64 * 1024 * 1024  # the templates (each at most 1 MB in S3) and the changed resources
_RETRIED = (500, 502, 503, 504)


class PayloadError(ValueError):
    """The payload could not be fetched or read; the text says why, without the URL."""


def fetch_payload(url: str) -> Any:
    """The payload, parsed. Raises :class:`PayloadError`."""
    import urllib.error
    import urllib.parse
    import urllib.request

    try:
        scheme = urllib.parse.urlsplit(url).scheme.lower()
    except ValueError:
        raise PayloadError("the payload URL cannot be parsed") from None
    if scheme not in SCHEMES:
        raise PayloadError(f"the payload URL's scheme is {scheme[:20]!r}, not {' or '.join(SCHEMES)}")
    for attempt in range(1, ATTEMPTS + 1):
        try:
            with urllib.request.urlopen(url, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310 - scheme checked
                body = response.read(MAX_BYTES + 1)
            break
        except urllib.error.HTTPError as error:
            if error.code not in _RETRIED or attempt == ATTEMPTS:
                raise PayloadError(f"HTTP {error.code} after {attempt} attempt(s)") from None
        except (urllib.error.URLError, OSError) as error:  # refused, reset, timed out, name not resolved
            if attempt == ATTEMPTS:
                raise PayloadError(f"{_reason(error)} after {attempt} attempt(s)") from None
        time.sleep(BACKOFF_SECONDS * attempt)
    if len(body) > MAX_BYTES:
        raise PayloadError(f"the payload is larger than {MAX_BYTES // (1024 * 1024)} MiB")
    try:
        return json.loads(body.decode("utf-8"))
    except UnicodeDecodeError:
        raise PayloadError("the payload is not UTF-8 text") from None
    except RecursionError:
        raise PayloadError("the payload is nested too deeply to read") from None
    except ValueError as error:
        raise PayloadError(f"the payload is not JSON ({str(error)[:80]})") from None


def _reason(error: BaseException) -> str:
    """Why, in a few words and without the URL."""
    reason = getattr(error, "reason", error)
    if isinstance(reason, TimeoutError) or "timed out" in str(reason):
        return "timed out"
    return type(reason).__name__ if isinstance(reason, BaseException) else type(error).__name__
