"""Export the JSON schemas of site and gateway files, so that editors can complete them.

`hazgw schema` writes them into config/; a test checks the committed files are current.
"""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import BaseModel

from config.gateway_file import GatewayConfig
from config.site import Site

SCHEMAS: dict[str, type[BaseModel]] = {
    "site.schema.json": Site,
    "gateway.schema.json": GatewayConfig,
}


def render(name: str) -> str:
    model = SCHEMAS[name]
    schema = model.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    return json.dumps(schema, ensure_ascii=False, indent=2, sort_keys=True) + "\n"


def export(directory: Path) -> list[Path]:
    written = []
    for name in SCHEMAS:
        path = directory / name
        path.write_text(render(name), encoding="utf-8")
        written.append(path)
    return written
