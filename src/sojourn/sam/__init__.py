"""AWS SAM and CloudFormation templates run as Sojourn apps (`sojourn serve --app template.yaml`).

`load_app(path, overrides)` reads an app manifest (`app.yaml`, sojourn.manifest) or a template and gives a
Manifest: a template is translated into the functions, state machines and routes a manifest declares, and
comes back as a `SamApp`, which also lists every resource and event it skips (with why) and its Outputs.
See README.md, "Bring an AWS SAM project", for what is read and what is skipped.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sojourn import arns
from sojourn.manifest import Manifest, ManifestError, Problem, load_manifest
from sojourn.sam.template import TemplateReadError, read_template
from sojourn.sam.translate import Skipped, translate

__all__ = [
    "SamApp",
    "Skipped",
    "is_template",
    "load_app",
    "local_outputs",
    "parse_overrides",
]


@dataclass(frozen=True)
class SamApp(Manifest):
    """A template as a manifest, with what was skipped, the Outputs and its APIs
    (logical id -> (API id, stage))."""

    skipped: tuple[Skipped, ...] = ()
    outputs: dict[str, Any] = field(default_factory=dict)
    apis: dict[str, tuple[str, str]] = field(default_factory=dict)


def is_template(document: Any) -> bool:
    """A CloudFormation/SAM template rather than an app manifest or a definition."""
    return isinstance(document, dict) and (
        "Resources" in document or "AWSTemplateFormatVersion" in document or "Transform" in document
    )


def parse_overrides(pairs: list[str] | None) -> dict[str, str]:
    """`Key=Value` items (SAM CLI's `--parameter-overrides`; several in one item separated by spaces, or
    `ParameterKey=K,ParameterValue=V`); raises ValueError naming a malformed one."""
    found: dict[str, str] = {}
    for item in pairs or []:
        for part in _split_overrides(item):
            long_form = re.fullmatch(r"ParameterKey=([^,]+),ParameterValue=(.*)", part)
            if long_form:
                found[long_form[1]] = long_form[2]
                continue
            key, sep, value = part.partition("=")
            if not sep or not key:
                raise ValueError(f"parameter override '{part}' is not Key=Value")
            found[key] = value
    return found


def _split_overrides(item: str) -> list[str]:
    """Space-separated `Key=Value` items; a value may be quoted ("a b")."""
    parts = re.findall(r"""(?:[^\s"']+|"[^"]*"|'[^']*')+""", item)
    return [re.sub(r"""["']""", "", part) if "=" in part else part for part in parts]


def load_app(
    path: str | Path,
    overrides: Mapping[str, str] | None = None,
    env: Mapping[str, str] | None = None,
    *,
    region: str = arns.DEFAULT_REGION,
    account_id: str = arns.DEFAULT_ACCOUNT,
) -> Manifest:
    """The app at `path`: a SAM/CloudFormation template (`SamApp`) or an app manifest; raises ManifestError
    naming the file, the logical id (or entry) and the property of every mistake."""
    path = Path(path).resolve()
    try:
        document = read_template(path)
    except OSError as e:
        raise ManifestError([Problem(str(path), "", "", f"cannot be read: {e.strerror}")]) from None
    except TemplateReadError as e:
        if path.suffix in (".json",) or path.name.startswith("template"):
            raise ManifestError([Problem(path.name, "", "", str(e))]) from None
        document = None
    if not is_template(document):
        if overrides:
            raise ManifestError(
                [Problem(path.name, "", "", "--parameter-overrides apply to SAM templates only")]
            )
        return load_manifest(path, env)
    result = translate(path, document, dict(overrides or {}), region=region, account_id=account_id)
    if result.problems:
        raise ManifestError(result.problems)
    return SamApp(
        path,
        result.name,
        result.functions,
        result.state_machines,
        result.routes,
        skipped=tuple(result.skipped),
        outputs=result.outputs,
        apis=result.apis,
    )


def local_outputs(app: Manifest, base_url: str) -> dict[str, Any]:
    """The template's Outputs with each of its APIs' URLs (`https://<api>.execute-api.<region>.amazonaws.com
    /<stage>/...`) rewritten to `base_url`: Sojourn serves every API's routes at its root, without a stage."""
    if not isinstance(app, SamApp):
        return {}
    base = base_url.rstrip("/")
    found = dict(app.outputs)
    for api, stage in app.apis.values():
        staged = f"/{re.escape(stage)}" if stage else ""
        url = re.compile(rf"https://{re.escape(api)}\.execute-api\.[a-z0-9-]+\.amazonaws\.com(\.cn)?{staged}")
        found = {
            key: url.sub(base, value) if isinstance(value, str) else value for key, value in found.items()
        }
    return found
