"""What each command does, as plain functions that return values and never print or exit."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from mfagen import config, plan, render, writer
from mfagen.checks import did_you_mean
from mfagen.errors import ConfigError, Problem, UsageError


@dataclass(frozen=True)
class Validated:
    loaded: config.Loaded
    plan: plan.Plan

    @property
    def warnings(self) -> tuple[Problem, ...]:
        return self.loaded.warnings


@dataclass(frozen=True)
class Rendered:
    validated: Validated
    changes: tuple[writer.Change, ...]
    """With --check: what differs. Otherwise: what was written or removed."""
    checked: bool


def validate(config_path: Path) -> Validated:
    """Load, check and plan `config_path`; raise ConfigError listing every problem."""
    loaded = config.load(config_path)
    try:
        built = plan.build(loaded.config)
    except plan.PlanError as exc:
        document = loaded.document
        raise ConfigError(
            [document.problem(f.loc, f.message, f.hint, of_key=f.of_key) for f in exc.findings]
        ) from None
    return Validated(loaded, built)


def render_files(
    config_path: Path, blueprints: Path | None = None
) -> tuple[Validated, dict[str, bytes]]:
    validated = validate(config_path)
    return validated, render.render(validated.plan, blueprints)


def render_to(
    config_path: Path, out: Path, *, check: bool = False, blueprints: Path | None = None
) -> Rendered:
    """Render into `out`, or with `check` only compare; the result lists the differences."""
    validated, files = render_files(config_path, blueprints)
    if check:
        return Rendered(validated, tuple(writer.diff(out, files)), checked=True)
    changes = writer.diff(out, files)
    writer.write(out, files)
    return Rendered(validated, tuple(changes), checked=False)


def profile(config_path: Path, user: str, blueprints: Path | None = None) -> str:
    """One user's AWS CLI profile block."""
    validated = validate(config_path)
    file = validated.plan.profile_of(user)
    if file is None:
        raise UsageError(
            f"no user {user!r} in {config_path}", did_you_mean(user, validated.loaded.config.users)
        )
    return render.render_profile(file, blueprints)
