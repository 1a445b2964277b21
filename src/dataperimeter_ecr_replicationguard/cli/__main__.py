"""``python -m dataperimeter_ecr_replicationguard.cli``: the ``hook-handler`` command."""

from .main import entry

entry()
