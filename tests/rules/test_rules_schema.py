"""The rule file's JSON Schema: in step with the code, described key by key, usable by editors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from connector.contract.plugins import Plugins
from connector.rules import effective_schema
from connector.rules.envvars import expand
from connector.rules.schema import render_schema
from connector.rules.yamlfile import parse

ROOT = Path(__file__).parents[2]
COMMITTED = ROOT / "schemas" / "rules.schema.json"
ENVIRON = {
    "TEAMLEADER_CLIENT_ID": "tl-client-id",
    "TEAMLEADER_CLIENT_SECRET": "tl-secret",
    "EXACT_CLIENT_ID": "{1234-abcd}",
    "EXACT_CLIENT_SECRET": "exact-secret",
}


@pytest.fixture(scope="module")
def plugins() -> Plugins:
    return Plugins.load(disabled=[])


def test_committed_schema_equals_the_generated_one(plugins: Plugins) -> None:
    """If this fails, run `python -m connector.rules > schemas/rules.schema.json`."""
    assert COMMITTED.read_text() == render_schema(plugins)


def test_python_m_connector_rules_prints_the_committed_schema() -> None:
    env = {key: value for key, value in os.environ.items() if key != "CONNECTOR_DISABLE_PLUGINS"}
    result = subprocess.run(
        [sys.executable, "-m", "connector.rules"], capture_output=True, text=True, check=True, env=env
    )
    assert result.stdout == COMMITTED.read_text()
    assert result.stderr == ""


def test_schema_is_draft_2020_12_with_id_and_title(plugins: Plugins) -> None:
    schema = effective_schema(plugins)
    Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"] and schema["title"]


def properties(schema: Any, path: str = "") -> Iterator[tuple[str, Any]]:
    """Every property schema at every depth, including map values, list items and plugin branches."""
    if isinstance(schema, dict):
        for name, sub in schema.get("properties", {}).items():
            yield f"{path}.{name}", sub
        for keyword in ("additionalProperties", "items"):
            if isinstance(schema.get(keyword), dict):
                yield f"{path}.<{keyword}>", schema[keyword]
        for key, value in schema.items():
            if key == "properties":
                for name, sub in value.items():
                    yield from properties(sub, f"{path}.{name}")
            else:
                yield from properties(value, path)
    elif isinstance(schema, list):
        for item in schema:
            yield from properties(item, path)


def test_every_key_at_every_depth_has_a_description() -> None:
    schema = json.loads(COMMITTED.read_text())
    found = list(properties(schema))
    assert len(found) > 50
    assert [path for path, sub in found if not sub.get("description")] == []


def test_each_installed_plugin_contributes_its_section(plugins: Plugins) -> None:
    schema = effective_schema(plugins)
    for side, services in (("source", plugins.sources()), ("sink", plugins.sinks())):
        section = schema["properties"][side]
        assert section["properties"]["plugin"]["enum"] == sorted(services)
        branches = {
            branch["if"]["properties"]["plugin"]["const"]: branch["then"] for branch in section["allOf"]
        }
        assert branches == {name: dict(service.options_schema) for name, service in services.items()}


def test_the_acme_example_validates_against_the_committed_schema_as_an_editor_reads_it() -> None:
    parsed, problems = parse((ROOT / "examples" / "acme.yaml").read_text(), "acme.yaml")
    assert parsed is not None and problems == []
    data = expand(parsed, ENVIRON, "acme.yaml").data
    validator = Draft202012Validator(
        json.loads(COMMITTED.read_text()), format_checker=Draft202012Validator.FORMAT_CHECKER
    )
    assert [error.message for error in validator.iter_errors(data)] == []
    data["sync"]["start_date"] = "2026-02-30"
    assert [error.validator for error in validator.iter_errors(data)] == ["format"]
