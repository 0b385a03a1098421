#!/usr/bin/env python3
"""Writes src/claims/schemas.json: the request schema of every claim type Griffin's API
accepts, taken from the contract (tests/fixtures/griffin-openapi.yml, the body of
POST /v0/legal-persons/{legal-person-id}/claims) and reduced to what validation needs —
no descriptions, titles or examples, and without the `x-allOf` annotations that only
restate that a URL is a string.

Run it again when the contract changes:  python3 scripts/extract-claim-schemas.py
"""
import json
import pathlib

import yaml

ROOT = pathlib.Path(__file__).resolve().parent.parent
SPEC = ROOT / "tests" / "fixtures" / "griffin-openapi.yml"
OUT = ROOT / "src" / "claims" / "schemas.json"
DROP = {"description", "title", "example", "x-allOf", "name", "deprecated", "default"}


def reduce(schema):
    if isinstance(schema, list):
        return [reduce(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    out = {}
    for key, value in schema.items():
        if key in DROP:
            continue
        # On strings, x-anyOf only repeats the string type with annotations.
        if key == "x-anyOf" and schema.get("type") == "string":
            continue
        if key == "required" and not isinstance(value, list):
            continue
        if key == "required":
            value = sorted(set(value))
        out[key] = reduce(value)
    return out


def main():
    spec = yaml.load(SPEC.read_text(), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    operation = spec["paths"]["/v0/legal-persons/{legal-person-id}/claims"]["post"]
    body = next(p for p in operation["parameters"] if p.get("in") == "body")["schema"]
    schemas = {}
    for alternative in body["x-anyOf"]:
        claim_type = alternative["properties"]["claim-type"]["enum"][0]
        schemas[claim_type] = reduce(alternative)
    OUT.write_text(json.dumps(schemas, indent=1, sort_keys=True) + "\n")
    print(f"{len(schemas)} claim types -> {OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
