"""The detective Lambda's entrypoint: ``handler(event, context)``, invoked by the EventBridge rule of
``deploy/detective-central.yaml`` with one "AWS API Call via CloudTrail" event.

    event ─► events.read_event ─► verdict.judge_call (shapes, or the live read; assess)
          ─► Security Hub (ASFF, in the account of the call) ─► lifecycle (resolve what is fixed)
          ─► SNS (optional) ─► remediation (optional, replication only)

- A failed call (``errorCode``) changed nothing: nothing is reported (``status`` ``ignored``).
- A call the event does not let the adapter read is judged from the live configuration; if that
  cannot be read either, the finding says the call is undecided (it fails, never passes).
- Settings that do not validate (``GUARD_CONFIGURATION`` / ``GUARD_CONFIGURATION_PARAMETER``)
  make every call undecided, with the settings' problems in the finding.
- What cannot be delivered (Security Hub refuses a finding, SNS fails) raises after everything
  else was tried: Lambda retries the event twice, then puts it on the dead-letter queue. An event
  whose envelope cannot be read raises too. No event is dropped.

The return value (and one JSON log line) summarises what was decided and done.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from collections.abc import Callable, Mapping
from typing import Any

from ..core.values import data
from .accounts import ROLE_VARIABLE, Accounts, AccountUnavailable, aws_error
from .events import Call, EnvelopeError, read_event
from .notify import TOPIC_VARIABLE
from .remediation import RemediationSettingError, remediation_of
from .verdict import Verdict, assessed, judge_call, undecided_call

LOG = logging.getLogger(__name__)
GENERATOR_ID = "ecr-perimeter-guard/detective"


class DeliveryFailed(Exception):
    """A finding or a notice could not be delivered: the invocation fails, so the event is retried
    and, after the retries, kept on the dead-letter queue."""


class UnreadableEvent(Exception):
    """The event is not one this control reads (its envelope says what and where)."""


VARIABLES = ("GUARD_CONFIGURATION", "GUARD_CONFIGURATION_PARAMETER", ROLE_VARIABLE, TOPIC_VARIABLE,
             "GUARD_REMEDIATION", "GUARD_REMEDIATION_DRY_RUN")
_detectives: dict[tuple[Any, ...], Detective] = {}
_detectives_lock = threading.Lock()


def handler(event: Any, context: Any) -> dict[str, Any]:
    """The Lambda entrypoint. One :class:`Detective` per execution environment (and set of
    variables): its session, clients and assumed member credentials serve every warm invocation."""
    LOG.setLevel(logging.INFO)
    arn = getattr(context, "invoked_function_arn", "") or ""
    key = (arn, tuple(os.environ.get(name, "") for name in VARIABLES))
    with _detectives_lock:
        detective = _detectives.get(key)
    if detective is None:
        detective = Detective.from_environment(os.environ, context)
        with _detectives_lock:
            _detectives[key] = detective
    return detective.handle(event)


def forget_detectives() -> None:
    """Drop what :func:`handler` keeps between invocations (tests)."""
    with _detectives_lock:
        _detectives.clear()


class Detective:
    """One execution environment's detective control: the Lambda's own session and account, the
    member role to act in other accounts, the environment's settings variables."""

    def __init__(self, environ: Mapping[str, str], session: Any, own_account: str, *,
                 live_clients: Callable[[Any, str], Any] | None = None):
        self.environ = environ
        self.session = session
        self.own_account = own_account
        self.accounts = Accounts(session, own_account, environ.get(ROLE_VARIABLE, ""))
        self.live_clients = live_clients  # (member session, Region) -> aws_api.live.LiveClients
        self._clients: dict[tuple[str, str, str], tuple[Any, Any]] = {}

    def client(self, session: Any, service: str, region: str | None) -> Any:
        """A client of ``session``, made once per session, service and Region."""
        key = (str(id(session)), service, region or "")
        held = self._clients.get(key)
        if held is None or held[0] is not session:
            held = (session, session.client(service, region_name=region) if region else session.client(service))
            self._clients[key] = held
        return held[1]

    @classmethod
    def from_environment(cls, environ: Mapping[str, str], context: Any) -> Detective:
        import boto3

        arn = getattr(context, "invoked_function_arn", "") or ""
        fields = arn.split(":")
        own = fields[4] if len(fields) > 4 else ""
        return cls(environ, boto3.session.Session(), own)

    # -- the flow --------------------------------------------------------------------------------

    def handle(self, event: Any) -> dict[str, Any]:
        try:
            call = read_event(event)
        except EnvelopeError as error:
            LOG.error("unreadable event: %s", error)
            raise UnreadableEvent(f"the event cannot be read: {error}") from None
        if call.changed_nothing is not None:
            return self._log({"status": "ignored", "call": _call_summary(call), "reason": call.changed_nothing})
        if not call.watched:
            return self._log({"status": "ignored", "call": _call_summary(call),
                              "reason": f"{data(call.event_name)} is not a call this control judges"})
        try:
            verdict = self.judge(call)
        except Exception as error:  # noqa: BLE001 - fail closed: an undecided finding, never silence
            LOG.exception("could not judge %s", call.describe())
            verdict = undecided_call(call, f"the detective control could not judge the call ({type(error).__name__}); "
                                           "see its logs")
        return self.report(verdict)

    def judge(self, call: Call) -> Verdict:
        from ..aws_api.configuration_source import cached_configuration
        from ..settings import ConfigurationError

        try:
            settings = cached_configuration(self.environ, lambda: self.client(self.session, "ssm", None))
        except ConfigurationError as error:
            return undecided_call(call, f"the detective control's settings do not validate: {error}")
        return judge_call(call, settings, session=self.session, live=self._live_read)

    def report(self, verdict: Verdict) -> dict[str, Any]:
        from . import findings

        call = verdict.call
        summary: dict[str, Any] = {"status": "compliant" if verdict.compliant else "failing",
                                   "call": _call_summary(call), "readFrom": verdict.read_from,
                                   "failing": [_finding_summary(r.logical_id, j.finding) for r, j in verdict.failing],
                                   "undecided": [{"arn": u.arn, "reason": u.reason} for u in verdict.undecided]}
        if verdict.notes:
            summary["notes"] = list(verdict.notes)
        problems: list[str] = []
        try:
            member = self.accounts.session_for(call.account, call.partition)
        except AccountUnavailable as error:
            member = None
            problems.append(f"Security Hub: {error}")
        remediation = self._remediate(verdict, member)
        if remediation is not None:
            summary["remediation"] = remediation
        if member is not None:
            try:
                client = self.client(member, "securityhub", call.region)
                delivered = findings.deliver(client, verdict, generator_id=GENERATOR_ID, remediation=remediation)
                summary.update(delivered)
            except Exception as error:  # noqa: BLE001 - reported below, and the invocation fails
                problems.append(f"Security Hub: {aws_error(error)}")
        topic = self.environ.get(TOPIC_VARIABLE, "").strip()
        if topic and (not verdict.compliant or remediation is not None):
            try:
                summary["notified"] = self._notify(topic, verdict, summary, remediation)
            except Exception as error:  # noqa: BLE001
                problems.append(f"SNS: {aws_error(error)}")
        self._log(summary)
        if problems:
            raise DeliveryFailed(f"{call.describe()}: {'; '.join(problems)}")
        return summary

    # -- the pieces ------------------------------------------------------------------------------

    def _live_read(self, call: Call) -> list[Any]:
        from ..aws_api.live import LiveClients, NotRead, read_one

        try:
            session = self.accounts.session_for(call.account, call.partition)
        except AccountUnavailable as error:
            return [NotRead(f"the live configuration of {call.account} {call.region}", str(error))]
        key = (str(id(session)), "live", call.region)
        held = self._clients.get(key)
        if held is None or held[0] is not session:
            held = (session, (self.live_clients or LiveClients.of)(session, call.region))
            self._clients[key] = held
        clients = held[1]
        return read_one(clients, call.event_source, call.event_name, call.request_parameters,
                        account=call.account, region=call.region, partition=call.partition)

    def _remediate(self, verdict: Verdict, member: Any) -> dict[str, Any] | None:
        from . import respond

        try:
            wanted = remediation_of(self.environ)
        except RemediationSettingError as error:
            return {"error": str(error)} if verdict.failing else None
        if not wanted.enabled:
            return None
        return respond.remediate(verdict, wanted, member, judge=self._judge_live_replication)

    def _judge_live_replication(self, call: Call, resource: Any) -> Any:
        from ..aws_api.configuration_source import cached_configuration

        settings = cached_configuration(self.environ, lambda: self.client(self.session, "ssm", None))
        return assessed(call, [resource], settings, self.session)

    def _notify(self, topic: str, verdict: Verdict, summary: Mapping[str, Any], remediation: Any) -> str:
        from ..aws_api.security_hub import UNDECIDED
        from .notify import message, publish

        listed = [{"ruleId": f["ruleId"], "severity": f["severity"], "resource": f["resource"], "path": f["path"],
                   "message": f["message"], "remediation": f["remediation"]} for f in summary["failing"]]
        listed += [{"ruleId": UNDECIDED, "severity": "HIGH", "resource": u.arn, "message": u.reason}
                   for u in verdict.undecided]
        arguments = message(summary["call"], listed, remediation)
        region = topic.split(":")[3] if topic.count(":") >= 5 else None
        return publish(self.client(self.session, "sns", region), topic, arguments)

    def _log(self, summary: dict[str, Any]) -> dict[str, Any]:
        LOG.info("%s", json.dumps(summary, sort_keys=True, default=str))
        return summary


def _call_summary(call: Call) -> dict[str, Any]:
    return {"eventId": call.event_id, "eventName": call.event_name, "eventSource": call.event_source,
            "account": call.account, "region": call.region, "caller": call.caller, "eventTime": call.event_time}


def _finding_summary(arn: str, finding: Any) -> dict[str, Any]:
    return {"resource": arn, "ruleId": finding.rule_id, "severity": finding.severity.value, "path": finding.path,
            "message": finding.message, "remediation": finding.remediation}
