"""Write the OpenAPI 3.1 document to build/openapi.json (or the path given).

It is generated from serverless.yaml, each function's declared routes and the pydantic models
they use; the api_docs function serves the same document (a bundle ships this file beside its
main.py). Usage: python scripts/write_openapi.py [OUTPUT]
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main(argv: list[str]) -> int:
    sys.path.insert(0, str(ROOT / "shared"))
    from inventory.http import openapi
    from inventory.manifest import load

    output = Path(argv[0]) if argv else ROOT / "build" / "openapi.json"
    document = openapi.build(load(ROOT))
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(document, indent=2, sort_keys=False) + "\n")
    operations = sum(len(methods) for methods in document["paths"].values())
    print(f"wrote {output}: {len(document['paths'])} paths, {operations} operations", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
