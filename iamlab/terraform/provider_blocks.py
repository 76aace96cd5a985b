"""Find every ``provider "aws"`` block a configuration holds, so the override can cover each.

Terraform merges an override file only into the module whose folder holds it. So the course's
override (written in the working copy) reaches the working copy's own provider blocks, the
default one and each alias, and nothing else. A ``provider "aws"`` block inside a child module
(a "legacy" module, which Terraform's documentation advises against) is out of its reach: it
would talk to whatever it names. The course does not edit a module's files (they may be shared,
or downloaded into ``.terraform/modules``), so such a block is refused, by name, before Terraform
runs. So is a ``provider "aws"`` block in one of the learner's own override files: Terraform
merges override files in name order, so it could undo the course's.

Files are read with python-hcl2; a ``.tf`` file it cannot read (a typo, usually) is scanned for
the shape of provider and module blocks instead, so Terraform's own error reaches the learner;
a ``.tf.json`` file that is not JSON is refused.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

import hcl2

_PROVIDER = re.compile(r'^[ \t]*provider\s+"?aws"?\s*\{', re.MULTILINE)
_LOCAL_SOURCE = ("./", "../")


@dataclass(frozen=True)
class ProviderBlock:
    """One ``provider "aws"`` block: where it is, and its alias ("" for the default)."""

    file: Path
    line: int
    alias: str
    module: str = ""  # "" for the working copy itself, else the module's address (module.a.module.b)

    def where(self, root: Path) -> str:
        try:
            shown = self.file.relative_to(root)
        except ValueError:
            shown = self.file
        name = 'provider "aws"' + (f' (alias "{self.alias}")' if self.alias else "")
        inside = f" in {self.module}" if self.module else ""
        return f"{name}{inside}, {shown} line {self.line}"


class ProviderOutOfReach(RuntimeError):
    """A provider block the sandbox override cannot reach: refused, by name, with what to do."""

    def __init__(self, blocks: list[ProviderBlock], root: Path, own_override: bool = False):
        self.blocks = blocks
        listed = "\n".join(f"  - {block.where(root)}" for block in blocks)
        if own_override:
            why = ("These are in your own override files. Terraform merges override files in name order, so a "
                   "provider block there could take the provider out of the sandbox.")
            step = "Next step: move these settings into a normal .tf file (or delete them)."
        else:
            why = ("These are inside modules. The course points the provider blocks of your working copy at the "
                   "sandbox, but cannot reach a provider block inside a module, and will not run Terraform with one "
                   "that may talk to real AWS.")
            step = ("Next step: remove the provider block from the module and pass the provider from the root "
                    "instead (`providers = { aws = aws.NAME }` in the module call), as Terraform recommends.")
        super().__init__(f"Nothing was run: these AWS provider blocks would not be sent to the sandbox:\n{listed}\n"
                         f"{why}\n{step}")


class UnreadableConfiguration(RuntimeError):
    """A Terraform file the course cannot read: refused, as it cannot be shown to stay in the sandbox."""


def _is_override(path: Path) -> bool:
    name = path.name
    return name in ("override.tf", "override.tf.json") or name.endswith(("_override.tf", "_override.tf.json"))


def _files(directory: Path) -> list[Path]:
    return sorted(p for pattern in ("*.tf", "*.tf.json") for p in directory.glob(pattern) if p.is_file())


def _unquote(value) -> str:
    if isinstance(value, str) and len(value) >= 2 and value[0] == value[-1] == '"':
        return value[1:-1]
    return value if isinstance(value, str) else ""


_BLOCK = re.compile(r'^[ \t]*(provider|module)\s+"?([\w-]+)"?\s*\{', re.MULTILINE)
_ALIAS = re.compile(r'^\s*alias\s*=\s*"([^"]*)"', re.MULTILINE)
_SOURCE = re.compile(r'^\s*source\s*=\s*"([^"]*)"', re.MULTILINE)


def _scanned(text: str) -> dict:
    """A file python-hcl2 cannot read (a typo the learner is making, most often): its provider
    and module blocks found by their shape, each body up to the next top-level block. Terraform
    runs no provider for a file it cannot parse either, so what this misses never runs; what
    Terraform does parse, this finds."""
    found: dict = {"provider": [], "module": []}
    starts = list(_BLOCK.finditer(text))
    for i, start in enumerate(starts):
        body = text[start.end():starts[i + 1].start() if i + 1 < len(starts) else len(text)]
        kind, name = start[1], start[2]
        pattern = _ALIAS if kind == "provider" else _SOURCE
        value = pattern.search(body)
        key = "alias" if kind == "provider" else "source"
        found[kind].append({name: {key: value[1]} if value else {}})
    return found


_parsed: dict[tuple[str, int, int], dict] = {}  # (path, mtime, size) -> document: a file is parsed once per version


def _read(path: Path) -> dict:
    status = path.stat()
    key = (str(path.resolve()), status.st_mtime_ns, status.st_size)
    if key not in _parsed:
        if len(_parsed) > 512:
            _parsed.clear()
        _parsed[key] = _parse(path)
    return _parsed[key]


def _parse(path: Path) -> dict:
    text = path.read_text(errors="replace")
    try:
        if path.name.endswith(".json"):
            return json.loads(text)
        return hcl2.loads(text)
    except Exception:
        if path.name.endswith(".json"):
            raise UnreadableConfiguration(
                f"The course cannot read {path} as JSON, so it cannot check that every AWS provider in it talks "
                "to the sandbox. Nothing was run.\n"
                "Next step: run `terraform validate` in the folder to see what is wrong with the file.") from None
        return _scanned(text)


def _aws_bodies(document: dict) -> list[dict]:
    """The bodies of the ``provider "aws"`` blocks of one file (HCL as read by python-hcl2, or JSON)."""
    providers = document.get("provider", [])
    if isinstance(providers, dict):
        providers = [providers]
    bodies = []
    for entry in providers if isinstance(providers, list) else []:
        for name, body in entry.items() if isinstance(entry, dict) else []:
            if _unquote(name) == "aws" or name == "aws":
                bodies.extend(body if isinstance(body, list) else [body])
    return [body for body in bodies if isinstance(body, dict)]


def _blocks_in(path: Path, module: str) -> list[ProviderBlock]:
    bodies = _aws_bodies(_read(path))
    lines = [path.read_text(errors="replace")[:m.start()].count("\n") + 1
             for m in _PROVIDER.finditer(path.read_text(errors="replace"))]
    return [ProviderBlock(path, lines[i] if i < len(lines) else 1, _unquote(body.get("alias", "")), module)
            for i, body in enumerate(bodies)]


def _module_calls(path: Path) -> list[tuple[str, str]]:
    """(name, source) of each module call in a file."""
    calls = []
    modules = _read(path).get("module", [])
    if isinstance(modules, dict):
        modules = [modules]
    for entry in modules if isinstance(modules, list) else []:
        for name, body in entry.items() if isinstance(entry, dict) else []:
            for item in body if isinstance(body, list) else [body]:
                if isinstance(item, dict):
                    calls.append((_unquote(name) or name, _unquote(item.get("source", ""))))
    return calls


def root_blocks(directory: Path, skip: tuple[str, ...] = ()) -> list[ProviderBlock]:
    """The working copy's own ``provider "aws"`` blocks (not those of its override files)."""
    directory = Path(directory)
    return [block for path in _files(directory) if path.name not in skip and not _is_override(path)
            for block in _blocks_in(path, "")]


def _module_dirs(directory: Path) -> dict[str, Path]:
    """Every child module's folder: local sources followed from the module calls, and whatever
    ``terraform init`` recorded (downloaded modules) in ``.terraform/modules/modules.json``."""
    found: dict[str, Path] = {}
    pending = [("", directory)]
    while pending:
        address, folder = pending.pop()
        for path in _files(folder):
            for name, source in _module_calls(path):
                if source.startswith(_LOCAL_SOURCE):
                    child = (folder / source).resolve()
                    key = f"{address}.module.{name}" if address else f"module.{name}"
                    if key not in found and child.is_dir():
                        found[key] = child
                        pending.append((key, child))
    try:
        recorded = json.loads((directory / ".terraform" / "modules" / "modules.json").read_text())
    except (OSError, ValueError):
        recorded = {}
    for module in recorded.get("Modules", []) if isinstance(recorded, dict) else []:
        key, folder = module.get("Key", ""), module.get("Dir", "")
        if key and folder:
            address = ".".join(f"module.{part}" for part in key.split("."))
            found.setdefault(address, (directory / folder).resolve())
    return found


def check(directory: Path, own_override: str) -> list[ProviderBlock]:
    """The working copy's provider blocks, once every block has been shown to be within the
    override's reach; raises ``ProviderOutOfReach`` (or ``UnreadableConfiguration``) otherwise."""
    directory = Path(directory)
    learners_overrides = [block for path in _files(directory) if _is_override(path) and path.name != own_override
                          for block in _blocks_in(path, "")]
    if learners_overrides:
        raise ProviderOutOfReach(learners_overrides, directory, own_override=True)
    in_modules = [block for address, folder in sorted(_module_dirs(directory).items())
                  if folder != directory.resolve() for path in _files(folder) for block in _blocks_in(path, address)]
    if in_modules:
        raise ProviderOutOfReach(in_modules, directory)
    return root_blocks(directory, skip=(own_override,))
