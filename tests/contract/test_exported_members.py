"""connector's public surface: `__all__` is sorted, complete for the record and error types, importable."""

from __future__ import annotations

import connector
from connector.contract import errors, records


def test_all_is_sorted_and_importable() -> None:
    assert connector.__all__ == sorted(connector.__all__)
    for name in connector.__all__:
        assert hasattr(connector, name), name


def test_every_error_and_record_type_is_exported() -> None:
    public = set(connector.__all__)
    for module in (errors, records):
        for name, value in vars(module).items():
            if isinstance(value, type) and value.__module__ == module.__name__ and not name.startswith("_"):
                assert name in public, f"{module.__name__}.{name} is not in connector.__all__"
