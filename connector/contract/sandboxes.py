"""What a plugin's simulator promises the core (`register_sandboxes`): a running `Sandbox` made by a
`SandboxFactory`. The server that simulators share is in `connector.testing.sandbox`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol


class Sandbox(Protocol):
    """A running simulator."""

    name: str
    url: str
    """Base URL of the simulated service, e.g. http://127.0.0.1:53211."""

    @property
    def environment(self) -> Mapping[str, str]:
        """Environment variables that point a rule file at this sandbox.

        `examples/demo.yaml` reads them: base URLs, client id and client secret, e.g.
        ``{"<PLUGIN>_API_URL": ..., "<PLUGIN>_CLIENT_ID": ..., "<PLUGIN>_CLIENT_SECRET": ...}``.
        """
        ...

    @property
    def credentials(self) -> Mapping[str, str]:
        """What to show a person: client id, client secret, demo login."""
        ...

    def refresh_token(self) -> str:
        """Issue a fresh refresh token for the demo user, as if they had just authorized."""
        ...

    def stop(self) -> None: ...


class SandboxFactory(Protocol):
    """Starts a simulator. `connector sandbox --speed N --documents N` also passes ``speed`` (its
    clock runs N times faster, see `connector.testing.sandbox.Clock`) and ``documents`` (a source's
    simulator adds that many booked documents, backdated; a sink's holds nothing before a sync), only
    when they differ from 1 and 0."""

    def __call__(self, *, seed: bool = True, port: int = 0, **options: Any) -> Sandbox: ...
