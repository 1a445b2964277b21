"""The RESOURCE target (a CloudFormation resource, or a Cloud Control one), shared by the doors
that answer as a hook: the registered hook (:mod:`.handlers`) and the Lambda hook
(:mod:`..lambda_hook.handler`). One resource's proposed properties, assessed, answered; on update
only the proposed properties decide (the previous ones are what is being replaced).

Light on purpose (no CloudFormation library, no template reader), as :mod:`.answer` is: a Lambda
door imports it on its cold path.
"""

from __future__ import annotations

from typing import Any

from ..assess import Resource, assess
from ..exemptions import stack_name_of
from ..invocation import Invocation
from ..settings import Settings
from .answer import INVALID_REQUEST, Answer, failed, verdict


def resource_answer(
    target: str,
    resource_type: str,
    logical_id: str,
    model: Any,
    settings: Settings,
    invocation: Invocation,
    session: Any = None,
) -> Answer:
    """The answer on one resource. ``target``: how the answer names it (``Repl (AWS::ECR::...)``);
    ``model``: the request's ``targetModel`` (``resourceProperties``, ``previousResourceProperties``)."""
    if not isinstance(model, dict) or not isinstance(model.get("resourceProperties"), dict):
        return failed(
            INVALID_REQUEST,
            f"InvalidRequest: {target}: the request carries no resourceProperties object, "
            "so the resource cannot be checked",
        )
    properties = model["resourceProperties"]
    assessment = assess([Resource(resource_type, logical_id, properties)], settings, invocation, session,
                        stack_name=stack_name_of(invocation.stack_id), named=properties)
    trust = assessment.trust
    return verdict(target, assessment.judged, f"{target}: every destination and grant is trusted ({trust.describe()})",
                   notes=assessment.notes)
