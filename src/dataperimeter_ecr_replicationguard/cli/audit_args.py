"""The command line of ``hook-handler audit`` (what it is, ``audit.py``): here alone, so that
building ``hook-handler``'s parser does not import the audit (its thread pool, its clients) for
every other command."""

from __future__ import annotations

import argparse

from .output import FORMATS
from .scan import add_trust_options

DEFAULT_CONCURRENCY = 16
MAX_AUTO_PROCESSES = 4
SUMMARY = ("``hook-handler audit``: the hook's verdict on the ECR configuration that already exists, in every "
           "account and Region named, read live with boto3.")


def add_arguments(audit: argparse.ArgumentParser) -> None:
    """The arguments of ``hook-handler audit`` (its parser: ``main.py``)."""
    audit.description = SUMMARY
    scope = audit.add_argument_group("scope")
    scope.add_argument("--regions", metavar="REGIONS",
                       help="comma-separated Regions, or 'all' for every Region enabled in each account "
                            "(default: the session's Region)")
    scope.add_argument("--accounts", metavar="IDS", help="comma-separated account IDs (default: the caller's)")
    scope.add_argument("--organization", action="store_true",
                       help="every ACTIVE account of the organization (from its management or a delegated "
                            "administrator account)")
    scope.add_argument("--organizational-unit-ids", metavar="IDS",
                       help="with --organization: only the ACTIVE accounts beneath these OUs (or roots)")
    scope.add_argument("--role-name", metavar="NAME",
                       help="the read role to assume in every account (deploy/audit-read-role.yaml); without it "
                            "only the caller's own account is read, with the caller's credentials")
    scope.add_argument("--external-id", metavar="ID", help="the ExternalId the role's trust policy asks for")
    scope.add_argument("--profile", metavar="NAME", help="the AWS profile to start from (default: the SDK's chain)")
    scope.add_argument("--concurrency", type=int, default=DEFAULT_CONCURRENCY, metavar="N",
                       help=f"(account, Region) pairs read at once, in each process (default {DEFAULT_CONCURRENCY})")
    scope.add_argument("--processes", type=int, metavar="N",
                       help=f"worker processes, each with --concurrency threads (default: one per CPU, at most "
                            f"{MAX_AUTO_PROCESSES}, from 8 accounts; 1 with AccountSource Organizations or Snapshot)")
    add_trust_options(audit)
    audit.add_argument("--format", choices=sorted(FORMATS), default="text", help="output format on stdout (default: text)")
    audit.add_argument("--output-file", action="append", default=[], metavar="[FORMAT=]FILE",
                       help="write the --format output to FILE instead of stdout; FORMAT=FILE writes that format to "
                            "FILE as well (repeatable)")
    verbosity = audit.add_mutually_exclusive_group()
    verbosity.add_argument("--quiet", "-q", action="store_true", help="text: only failing findings and the tables")
    verbosity.add_argument("--verbose", "-v", action="store_true", help="text: also every resource that passes")
    audit.add_argument("--security-hub", action="store_true",
                       help="import the findings into each account's Security Hub, in each Region (ASFF), and resolve "
                            "the ones the audit imported before that no longer hold")
    audit.add_argument("--progress", action="store_true",
                       help="show progress on stderr even when it is not a terminal (a line per tenth of the accounts)")
    audit.add_argument("--today", help=argparse.SUPPRESS)  # YYYY-MM-DD, for reproducible exemption expiry
