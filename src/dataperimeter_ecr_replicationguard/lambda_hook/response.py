"""The neutral answer (``hook/answer.py``) in the shape a Lambda hook returns, as the CloudFormation
Hooks User Guide documents it: ``hookStatus``, ``errorCode`` (when FAILED), ``message``,
``clientRequestToken`` and ``annotations`` (``annotationName``, ``status``, ``statusMessage``,
``remediationMessage``, ``remediationLink``, ``severityLevel``).

The guide allows two error codes: ``NonCompliant`` (evaluated and refused) and ``InternalFailure``
(the evaluation could not be made). A violation is ``NonCompliant``; everything the registered hook
answers with a finer code (``InvalidRequest``, ``InvalidTypeConfiguration``, ``AccessDenied``,
``Throttling``, ``UnsupportedTarget``, ...) is ``InternalFailure`` here, and its message starts with
that finer code, word for word the registered hook's message. The message is at most 1,024
characters (the Cloud Control API's limit; CloudFormation's is 4,096). The guard never answers
``IN_PROGRESS``, so ``callbackContext`` and ``callbackDelaySeconds`` are never set.
"""

from __future__ import annotations

from typing import Any

from ..hook.answer import FAILED, INTERNAL_FAILURE, NON_COMPLIANT, Answer

LAMBDA_ERROR_CODES = (NON_COMPLIANT, INTERNAL_FAILURE)


def lambda_error_code(answer: Answer) -> str:
    return NON_COMPLIANT if answer.error_code == NON_COMPLIANT else INTERNAL_FAILURE


def lambda_response(answer: Answer, token: str | None) -> dict[str, Any]:
    response: dict[str, Any] = {"hookStatus": answer.status, "message": answer.message}
    if answer.status == FAILED:
        response["errorCode"] = lambda_error_code(answer)
    if token is not None:
        response["clientRequestToken"] = token
    if answer.annotations:
        response["annotations"] = [_annotation(a) for a in answer.annotations]
    return response


def _annotation(annotation: Any) -> dict[str, str]:
    shaped = {"annotationName": annotation.name, "status": annotation.status, "statusMessage": annotation.message}
    if annotation.remediation:
        shaped["remediationMessage"] = annotation.remediation
    if annotation.link:
        shaped["remediationLink"] = annotation.link
    if annotation.severity:
        shaped["severityLevel"] = annotation.severity
    return shaped
