"""The pure core: plain data in, findings out. No boto3, no CloudFormation library, no I/O.

Every door (the hook handlers, the CLI, the tests) asks the same question through
:func:`evaluate`, so a verdict never depends on where it was asked.
"""

from .evaluate import CHECKERS, evaluate, supported_types
from .findings import Category, Finding, Severity
from .trust import Trust

__all__ = ["CHECKERS", "Category", "Finding", "Severity", "Trust", "evaluate", "supported_types"]
