"""The optional SNS notice of a detective verdict: one message per judged call that fails, cannot be
decided or was remediated (a compliant call sends nothing), to ``GUARD_SNS_TOPIC_ARN``.

The message is JSON (``Subject`` is a one-line summary, at most 100 characters as SNS requires):
the call (event ID, account, Region, API, caller), every failing or undecided finding (rule ID,
severity, resource ARN, message, remediation) and what the remediation did. It is cut to stay
under SNS's 256 KiB: the findings that do not fit are counted, never silently dropped, and a
planned configuration too large for it is left to the log (said so in ``configurationOmitted``). Message
attributes (``severity``, ``account``, ``event_name``) let subscriptions filter.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

TOPIC_VARIABLE = "GUARD_SNS_TOPIC_ARN"
MAX_BYTES = 250_000  # SNS accepts 262,144 bytes of message and attributes together
_REMEDIATION_BYTES = 50_000  # the remediation's share at most, so findings still fit
_SUBJECT = 100
_ORDER = ("INFORMATIONAL", "LOW", "MEDIUM", "HIGH", "CRITICAL")


def message(call: Mapping[str, Any], findings: Sequence[Mapping[str, Any]], remediation: Mapping[str, Any] | None) -> dict[str, Any]:
    """The ``Publish`` arguments (without ``TopicArn``) for one verdict."""
    body: dict[str, Any] = {"call": dict(call), "findings": [], "omittedFindings": 0}
    if remediation is not None:
        body["remediation"] = dict(remediation)
        if len(json.dumps(body)) > _REMEDIATION_BYTES:  # 25 rules of 100 destinations: the log has it whole
            body["remediation"].pop("configuration", None)
            body["remediation"]["configurationOmitted"] = "too large for the notice: see the function's log"
            action = str(body["remediation"].get("action", ""))
            body["remediation"]["action"] = action if len(action) <= 2000 else action[:1997] + "..."
    size = len(json.dumps(body))
    for finding in findings:
        entry = dict(finding)
        entry_size = len(json.dumps(entry)) + 2
        if size + entry_size > MAX_BYTES:
            body["omittedFindings"] += 1
            continue
        body["findings"].append(entry)
        size += entry_size
    severity = max((f.get("severity", "INFORMATIONAL") for f in findings), key=_rank, default="INFORMATIONAL")
    count = len(findings)
    what = f"{count} finding{'s' if count != 1 else ''}" if count else "remediation"
    subject = f"ECR Perimeter Guard: {what} on {call.get('eventName', '?')} in {call.get('account', '?')} {call.get('region', '?')}"
    return {
        "Subject": _one_line(subject)[:_SUBJECT],
        "Message": json.dumps(body, ensure_ascii=True),  # as measured above (indenting would add to every line)
        "MessageAttributes": {
            "severity": {"DataType": "String", "StringValue": severity},
            "account": {"DataType": "String", "StringValue": str(call.get("account", "?"))},
            "event_name": {"DataType": "String", "StringValue": str(call.get("eventName", "?"))},
        },
    }


def publish(sns_client: Any, topic_arn: str, arguments: Mapping[str, Any]) -> str:
    """Publish; the message ID. Errors propagate (the Lambda then fails and the event is retried)."""
    response = sns_client.publish(TopicArn=topic_arn, **arguments)
    return str(response.get("MessageId", ""))


def _rank(severity: str) -> int:
    return _ORDER.index(severity) if severity in _ORDER else len(_ORDER)


def _one_line(text: str) -> str:
    """SNS refuses a subject with a line break or a control character; ASCII only keeps it simple."""
    return "".join(c if 32 <= ord(c) < 127 else "?" for c in text)
