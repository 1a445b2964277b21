#!/usr/bin/env python3
"""Copy the provider schemas of the hook's resource targets from cfn-lint into target-schemas/.

`cfn generate --local-only` reads target-schemas/*.json instead of calling DescribeType, so
the generated models can be rebuilt offline. Run it after adding a target to schema.json.
"""

from __future__ import annotations

import json
import pathlib
import sys

import cfnlint
import cfnlint.version

ROOT = pathlib.Path(__file__).resolve().parent.parent
SPECIAL = {"STACK", "CHANGE_SET"}


def main() -> int:
    schema = json.loads((ROOT / "schema.json").read_text())
    targets = sorted(
        {t for h in schema.get("handlers", {}).values() for t in h["targetNames"]} - SPECIAL
    )
    data = pathlib.Path(cfnlint.__file__).parent / "data" / "schemas"
    providers = json.loads((data / "providers" / "us-east-1.json").read_text())
    out = ROOT / "target-schemas"
    out.mkdir(exist_ok=True)
    for old in out.glob("*.json"):
        old.unlink()
    for target in targets:
        digest = providers.get(target)
        source = data / "resources" / f"{digest}.json"
        if digest is None or not source.exists():
            print(f"no provider schema for {target} in cfn-lint {cfnlint.version.__version__}", file=sys.stderr)
            return 1
        (out / target.lower().replace("::", "-")).with_suffix(".json").write_text(
            json.dumps(json.loads(source.read_text()), indent=2, sort_keys=True) + "\n"
        )
    print(f"{len(targets)} target schemas written to {out.relative_to(ROOT)}/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
