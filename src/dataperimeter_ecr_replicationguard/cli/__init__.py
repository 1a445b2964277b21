"""The ``hook-handler`` command, one door: ``main`` (the commands), ``scan`` and ``scan_file``
(templates into :func:`..assess.assess`, one file at a time), ``parallel`` (worker processes)
and ``output`` (text, json, sarif, junit). Nothing of the hook's Lambda path imports this package."""
