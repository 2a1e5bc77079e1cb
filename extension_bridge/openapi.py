"""The OpenAPI document of the bridge, generated from the routes: ``python -m extension_bridge.openapi`` writes
docs/openapi.json (``--check`` fails when the file is stale; the tests run that check).

FastAPI documents request-validation failures as 422; the bridge answers them 400 with its one error shape,
so those entries are replaced here, and every route lists the errors it can answer.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from extension_bridge.app import build_api

DOCUMENT = Path(__file__).resolve().parent.parent / "docs" / "openapi.json"


def document() -> dict[str, Any]:
    """The OpenAPI document of the bridge's routes."""
    spec = build_api().openapi()
    spec["servers"] = [{"url": "http://127.0.0.1:24519", "description": "The default port"}]
    for path in spec["paths"].values():
        for operation in path.values():
            operation["responses"].pop("422", None)
    # A token is optional on hello: it answers whether the token is valid.
    spec["paths"]["/v1/hello"]["get"]["security"] = [{}, {"HTTPBearer": []}]
    schemas = spec.get("components", {}).get("schemas", {})
    for name in ("HTTPValidationError", "ValidationError"):
        schemas.pop(name, None)
    return spec


def render() -> str:
    return json.dumps(document(), indent=2, ensure_ascii=False, sort_keys=True) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail when docs/openapi.json is not up to date")
    args = parser.parse_args(argv)
    text = render()
    if args.check:
        if not DOCUMENT.is_file() or DOCUMENT.read_text(encoding="utf-8") != text:
            print(f"{DOCUMENT} is stale: run python -m extension_bridge.openapi", file=sys.stderr)
            return 1
        return 0
    DOCUMENT.write_text(text, encoding="utf-8")
    print(f"wrote {DOCUMENT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
