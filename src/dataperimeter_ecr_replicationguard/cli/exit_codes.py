"""The exit status of every ``hook-handler`` command, in one place (docs/scan.md and docs/audit.md document them)."""

EXIT_OK = 0  # nothing fails
EXIT_FINDINGS = 1  # findings fail (scan), or the hook's answer is not SUCCESS (invoke, demo)
EXIT_USAGE = 2  # a usage error, an unreadable --config, nothing to scan, a worker that died
EXIT_UNREADABLE = 2  # a file that looks like a template cannot be read (ECR-TEMPLATE-UNREADABLE)
EXIT_INCOMPLETE = 3  # audit: a part of the scope was not audited (ECR-AUDIT-NOT-AUDITED); findings may fail too
