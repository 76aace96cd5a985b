"""Read the learner's Terraform files (with python-hcl2), to show and check them.

The course reads the learner's configuration, it never rewrites it: a block is
shown as the learner wrote it, and checks ask questions such as "which policy
attachments are declared?".
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import hcl2


def _unquote(value):
    if isinstance(value, str) and len(value) >= 2 and value[0] == value[-1] == '"':
        return value[1:-1]
    if isinstance(value, dict):
        return {_unquote(k): _unquote(v) for k, v in value.items() if not k.startswith("__")}
    if isinstance(value, list):
        return [_unquote(v) for v in value]
    return value


@dataclass(frozen=True)
class Block:
    kind: str  # "resource" or "data"
    type: str
    name: str
    body: dict
    file: Path

    @property
    def address(self) -> str:
        prefix = "data." if self.kind == "data" else ""
        return f"{prefix}{self.type}.{self.name}"


class ParseError(ValueError):
    pass


def blocks(directory: Path, skip: tuple[str, ...] = ()) -> list[Block]:
    """Every resource and data block in the ``.tf`` files of a directory (but the files named in ``skip``)."""
    found = []
    for path in sorted(p for p in Path(directory).glob("*.tf") if p.name not in skip):
        try:
            parsed = hcl2.loads(path.read_text())
        except Exception as error:  # python-hcl2 raises lark errors of several kinds
            raise ParseError(f"{path.name} is not valid HCL: {str(error).splitlines()[0]}") from None
        for kind in ("resource", "data"):
            for entry in parsed.get(kind, []):
                for rtype, named in entry.items():
                    for name, body in named.items():
                        found.append(Block(kind, _unquote(rtype), _unquote(name), _unquote(body), path))
    return found


def find(directory: Path, address: str, skip: tuple[str, ...] = ()) -> Block | None:
    return next((b for b in blocks(directory, skip) if b.address == address), None)


def block_source(directory: Path, address: str) -> str:
    """The text of one block exactly as written (comments included)."""
    block = find(directory, address)
    if block is None:
        raise KeyError(f"No block {address} in {directory}.")
    text = block.file.read_text()
    match = re.search(rf'^{block.kind}\s+"{re.escape(block.type)}"\s+"{re.escape(block.name)}"\s*{{', text, re.M)
    if match is None:
        raise KeyError(address)
    depth, end = 0, match.end() - 1
    for end in range(match.end() - 1, len(text)):
        depth += {"{": 1, "}": -1}.get(text[end], 0)
        if depth == 0:
            break
    return text[match.start(): end + 1]
