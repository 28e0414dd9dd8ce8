"""Turn a plan into the bytes of every output file, in memory, through the Jinja2 blueprints."""

from __future__ import annotations

import contextlib
import importlib.resources
import traceback
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import jinja2

from mfagen import hcl
from mfagen.errors import UsageError
from mfagen.layout import TERRAFORM_DIR, USERS_FILE, profile_path
from mfagen.plan import Module, Plan, ProfileFile

if TYPE_CHECKING:  # adopt needs boto3, which only `render --adopt` requires
    from mfagen.adopt import Adoption, Import


def environment(blueprints: Path | None = None) -> jinja2.Environment:
    """The one Jinja2 environment: strict, no autoescape, HCL filters.

    `blueprints` overrides the templates it holds; any it lacks (an older copy, say) come
    from the packaged blueprints.
    """
    root = importlib.resources.files("mfagen.blueprints")
    loader: jinja2.BaseLoader = jinja2.FunctionLoader(lambda name: _packaged(root, name))
    if blueprints is not None:
        if not blueprints.is_dir():
            raise UsageError(
                f"--blueprints {blueprints}: not a folder", "point it at a copy of blueprints/"
            )
        loader = jinja2.ChoiceLoader([jinja2.FileSystemLoader(str(blueprints)), loader])
    env = jinja2.Environment(
        loader=loader,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        autoescape=False,  # noqa: S701 - HCL and INI, not HTML
    )
    env.filters["hcl"] = hcl.value
    env.filters["heredoc"] = hcl.heredoc
    return env


def _packaged(root: importlib.resources.abc.Traversable, name: str) -> str | None:
    resource = root.joinpath(*name.split("/"))
    return resource.read_text(encoding="utf-8") if resource.is_file() else None


def render(
    plan: Plan, blueprints: Path | None = None, adoption: Adoption | None = None
) -> dict[str, bytes]:
    """Every output file, relative POSIX path -> content; with `adoption`, its imports too."""
    env = environment(blueprints)
    files = {**terraform(plan, env, adoption), **profiles(plan, env)}
    return dict(sorted(files.items()))


def terraform(
    plan: Plan, env: jinja2.Environment, adoption: Adoption | None = None
) -> dict[str, bytes]:
    """The Terraform files of every root module."""
    files: dict[str, str] = {}
    with _blueprint_errors():
        for module in plan.modules:
            imports = adoption.imports_in(module.folder) if adoption else ()
            files.update(_module(env, plan, module, imports))
    return {path: _normalise(text) for path, text in files.items()}


def profiles(plan: Plan, env: jinja2.Environment) -> dict[str, bytes]:
    """Every user's profile file."""
    with _blueprint_errors():
        profile = env.get_template("profiles/config.j2")
        return {
            profile_path(file.user): _normalise(profile.render(file=file)) for file in plan.profiles
        }


def _module(
    env: jinja2.Environment, plan: Plan, module: Module, imports: tuple[Import, ...] = ()
) -> dict[str, str]:
    """The files of one Terraform root module."""
    folder = "/".join(part for part in (TERRAFORM_DIR, module.folder) if part)
    wanted: list[tuple[str, str, dict[str, object]]] = [
        ("versions.tf", "versions.tf.j2", {}),
        ("providers.tf", "providers.tf.j2", {}),
    ]
    if module.holds_identity:
        wanted += [("identity.tf", "identity.tf.j2", {}), (USERS_FILE, "users.tf.j2", {})]
        if plan.moves:
            wanted.append(("moved.tf", "moved.tf.j2", {}))
    for provider in module.providers:
        roles = plan.roles_in(provider.alias)
        if roles:
            context = {"provider": provider, "roles": roles}
            wanted.append((f"account_{provider.alias}.tf", "account.tf.j2", context))
    if imports:
        wanted.append(("imports.tf", "imports.tf.j2", {"imports": imports}))
    return {
        f"{folder}/{name}": hcl.align(
            env.get_template(f"terraform/{template}").render(plan=plan, module=module, **context)
        )
        for name, template, context in wanted
    }


def render_profile(file: ProfileFile, blueprints: Path | None = None) -> str:
    with _blueprint_errors():
        text = environment(blueprints).get_template("profiles/config.j2").render(file=file)
    return _normalise(text).decode("utf-8")


@contextlib.contextmanager
def _blueprint_errors() -> Iterator[None]:
    """A template of a --blueprints folder that cannot be compiled or rendered is bad input:
    its file:line and Jinja2's message (exit 2). One of mfagen's own templates (loaded from
    the package, so without a file name) stays what it is: a bug."""
    try:
        yield
    except jinja2.TemplateError as error:
        where = _template_line(error)
        if where is None:
            raise
        raise UsageError(
            f"{where}: {error.message or type(error).__name__}",
            "fix that template, or delete it from the --blueprints folder to use mfagen's own",
        ) from None


def _template_line(error: jinja2.TemplateError) -> str | None:
    """`file:line` of the --blueprints template where `error` arose, if it arose in one."""
    if isinstance(error, jinja2.TemplateSyntaxError):
        return f"{error.filename}:{error.lineno}" if error.filename else None
    for frame in reversed(traceback.extract_tb(error.__traceback__)):
        if frame.filename.endswith(".j2") and Path(frame.filename).is_file():
            return f"{frame.filename}:{frame.lineno}"  # Jinja2 maps frames to template lines
    return None


def _normalise(text: str) -> bytes:
    """`\\n` line ends, no trailing spaces, exactly one trailing newline, UTF-8."""
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").split("\n")]
    return ("\n".join(lines).strip("\n") + "\n").encode("utf-8")
