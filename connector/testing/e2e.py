"""End-to-end test support: both sandboxes, a rule file pointing at them, the real `connector` CLI.

Used by `tests/e2e/` (and handy in a REPL). `World` starts every installed sandbox in this process
(each plugin's own simulator, through `register_sandboxes`), writes a rule file into a directory,
and runs the real `connector` executable in a subprocess with the sandboxes' environment, so the
tests see exactly what a consultant sees: output and exit codes.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

from connector.contract.plugins import Plugins
from connector.contract.sandboxes import Sandbox

DEMO_RULES = Path(__file__).resolve().parents[2] / "examples" / "demo.yaml"


def deep_merge(base: dict[str, Any], changes: Mapping[str, Any]) -> dict[str, Any]:
    """`changes` over `base`; a None value removes the key."""
    merged = dict(base)
    for key, value in changes.items():
        if value is None:
            merged.pop(key, None)
        elif isinstance(value, Mapping) and isinstance(merged.get(key), dict):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


@dataclass
class World:
    """Both sandboxes and a client directory; `stop()` when done."""

    directory: Path
    sandboxes: dict[str, Sandbox] = field(default_factory=dict)
    rules_path: Path | None = None
    plugins: dict[str, str] = field(default_factory=dict)  # side -> plugin name, from the rule file
    rule_defaults: dict[str, Any] = field(default_factory=dict)  # merged into every `write_rules`

    @classmethod
    def start(
        cls, directory: Path, *, speed: float = 1.0, documents: int = 0, **options: Mapping[str, Any]
    ) -> World:
        """Start each sandbox; `options[name]` are passed to that sandbox's factory, and `speed` and
        `documents` to every factory, as `connector sandbox --speed --documents` passes them."""
        world = cls(directory)
        shared: dict[str, Any] = {}
        if speed != 1:
            shared["speed"] = speed
        if documents:
            shared["documents"] = documents
        for name, factory in sorted(Plugins.load().sandboxes().items()):
            world.sandboxes[name] = factory(seed=True, port=0, **shared, **dict(options.get(name, {})))
        return world

    def stop(self) -> None:
        for box in self.sandboxes.values():
            box.stop()

    @property
    def environment(self) -> dict[str, str]:
        env: dict[str, str] = {}
        for box in self.sandboxes.values():
            env.update(box.environment)
        return env

    def write_rules(self, changes: Mapping[str, Any] | None = None, name: str = "acme.yaml") -> Path:
        """The demo rule file with `rule_defaults`, then `changes`, merged in, written to the client
        directory (a None value removes a key)."""
        yaml = YAML()
        data = yaml.load(DEMO_RULES.read_text())
        plain = deep_merge(deep_merge(_plain(data), self.rule_defaults), changes or {})
        path = self.directory / name
        with path.open("w") as handle:
            yaml.dump(plain, handle)
        self.rules_path = path
        self.plugins = {"source": plain["source"]["plugin"], "sink": plain["sink"]["plugin"]}
        return path

    def cli(
        self, *args: str, env: Mapping[str, str] | None = None, timeout: float = 120, input: str | None = None
    ) -> subprocess.CompletedProcess[str]:
        """The CLI run to its end; `input` is what its standard input gives (none: empty)."""
        return subprocess.run(
            [_executable(), *args],
            capture_output=True,
            text=True,
            input=input if input is not None else "",
            env=self._env(env),
            cwd=self.directory,
            timeout=timeout,
        )

    def popen(self, *args: str, env: Mapping[str, str] | None = None) -> subprocess.Popen[str]:
        """The CLI started, not awaited: for commands that print something and then wait (auth);
        its stdin is a pipe, for what a person would type or paste."""
        return subprocess.Popen(
            [_executable(), *args],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=self._env(env),
            cwd=self.directory,
        )

    def _env(self, env: Mapping[str, str] | None) -> dict[str, str]:
        return {**os.environ, **self.environment, **(env or {})}

    def run(self, *options: str, env: Mapping[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        """`connector run RULES [options]` on the rule file last written."""
        assert self.rules_path is not None, "write_rules() first"
        return self.cli("run", str(self.rules_path), *options, env=env)

    def authorize(self) -> None:
        """Both sides, with sandbox-issued refresh tokens, through `connector auth --refresh-token -`
        (the token on standard input, as the docs advise)."""
        assert self.rules_path is not None, "write_rules() first"
        for side, plugin in self.plugins.items():
            token = self.sandboxes[plugin].refresh_token()
            result = self.cli("auth", str(self.rules_path), side, "--refresh-token", "-", input=token + "\n")
            assert result.returncode == 0, result.stdout + result.stderr


@dataclass
class SandboxProcess:
    """`connector sandbox` running as a subprocess, as a person or a benchmark starts it: its URLs
    and credentials read from what it printed. `refresh_token(url)` asks a sandbox's admin route for
    a refresh token of the demo user (what `World.authorize` gets in-process)."""

    process: subprocess.Popen[str]
    output: str
    environment: dict[str, str]
    urls: dict[str, str]  # sandbox name -> base URL

    @classmethod
    def start(cls, *options: str, timeout: float = 120) -> SandboxProcess:
        """Start `connector sandbox OPTIONS` and wait for its "Ctrl-C" line (at most `timeout` s)."""
        import threading

        process = subprocess.Popen(
            [_executable(), "sandbox", *options],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert process.stdout is not None
        lines: list[str] = []
        timer = threading.Timer(timeout, process.kill)  # a hang guard: never a timing
        timer.start()
        try:
            for line in process.stdout:
                lines.append(line)
                if "Ctrl-C" in line:
                    break
        finally:
            timer.cancel()
        output = "".join(lines)
        if "Ctrl-C" not in output:
            process.kill()
            raise RuntimeError(
                f"connector sandbox did not start: {output}{process.stderr.read() if process.stderr else ''}"
            )
        environment: dict[str, str] = {}
        urls: dict[str, str] = {}
        for line in lines:
            text = line.strip()
            if text.startswith("export ") and "=" in text:
                key, _, value = text[len("export ") :].partition("=")
                environment[key] = value.strip("'")
            elif not line.startswith(" ") and ": http" in line:
                name, _, url = text.partition(": ")
                urls[name] = url
        return cls(process, output, environment, urls)

    def refresh_token(self, name: str) -> str:
        import httpx

        response = httpx.post(f"{self.urls[name]}/_sandbox/refresh-token", timeout=10)
        response.raise_for_status()
        return str(response.json()["refresh_token"])

    def stop(self) -> int:
        """Ctrl-C, as a person stops it; its exit code."""
        import signal

        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
        try:
            return self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            return self.process.wait()


def _executable() -> str:
    return shutil.which("connector") or str(Path(sys.executable).parent / "connector")


def _plain(node: Any) -> Any:
    if isinstance(node, Mapping):
        return {str(key): _plain(value) for key, value in node.items()}
    if isinstance(node, list):
        return [_plain(item) for item in node]
    return node
