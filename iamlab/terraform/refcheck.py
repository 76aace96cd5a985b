"""What ``terraform plan`` would refuse in the learner's references, found in milliseconds.

``terraform validate`` accepts ``policy_arn = aws_iam_policy.x`` (a whole object where a
string goes) and a reference in quotes; only plan or apply refuse them, after seconds of
provider start-up, and an apply refuses them halfway. Read with python-hcl2, every
reference is checked statically:

* ``unknown-label``: a resource, data source, variable or local no file declares;
* ``object-without-attribute``: a resource or data source named whole where a value goes
  (an argument, a list item, a value inside ``jsonencode``);
* ``quoted-reference``: a string that reads like a reference: Terraform sends its
  characters as they are (AWS then refuses them as an ARN);
* ``hand-typed-arn`` (a warning: AWS accepts it): an ARN copied into a file instead of
  a reference, so a wrong account, region or name goes unnoticed.

Each ``Problem`` says which file and line, what is wrong, and the next step; its messages
never write the corrected expression (that is the exercise).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from . import hcl_values

ERROR, WARNING = "error", "warning"
SPECIAL_ROOTS = {"var", "local", "module", "count", "each", "path", "self", "terraform", "data"}
NO_VALUE_ARGUMENTS = {"depends_on", "replace_triggered_by", "ignore_changes", "providers", "provider"}
REFERENCE_TEXT = re.compile(r"^(?:data\.)?aws_[a-z0-9_]+\.[A-Za-z_][\w-]*(?:\.[A-Za-z_][\w-]*)*$|^(?:var|local)\.[A-Za-z_]\w*$")
ARN_TEXT = re.compile(r"arn:aws[a-z-]*:[a-z0-9-]+:[a-z0-9-]*:\d{12}:[^\s\"']+")
_NAME = re.compile(r"(?<![\w.\"-])[A-Za-z_][\w-]*(?:\.[A-Za-z_][\w-]*|\[\d+\]|\[\*\])*(?!\s*\()")
_STRING = re.compile(r'"(?:\\.|[^"\\])*"')


@dataclass(frozen=True)
class Problem:
    id: str
    file: str
    line: int | None
    message: str
    next_step: str
    level: str = ERROR

    @property
    def blocks(self) -> bool:
        return self.level == ERROR

    @property
    def where(self) -> str:
        return f"{self.file}, line {self.line}" if self.line else self.file

    def __str__(self) -> str:
        return f"{self.where}: {self.message}\nNext step: {self.next_step}"


@dataclass(frozen=True)
class Declared:
    """Addresses the configuration declares: ``aws_iam_role.ec2_ecr_role``, ``data.aws_ami.x``, ``var.region``."""

    addresses: frozenset

    def knows(self, ref: str) -> bool:
        parts = _parts(ref)
        if parts[0] == "data":
            return ".".join(parts[:3]) in self.addresses
        if parts[0] in ("var", "local", "module"):
            return ".".join(parts[:2]) in self.addresses
        return ".".join(parts[:2]) in self.addresses


def _parts(ref: str) -> list[str]:
    return re.sub(r"\[[^\]]*\]", "", ref).split(".")


def _unquote(name: str) -> str:
    return name[1:-1] if len(name) >= 2 and name[0] == name[-1] == '"' else name


def _parse(files: dict[str, str]) -> dict[str, dict]:
    import hcl2

    parsed = {}
    for name, text in files.items():
        try:
            parsed[name] = hcl2.loads(text if text.endswith("\n") else text + "\n")
        except Exception:  # noqa: BLE001 - a syntax error is reported by the cell's own HCL check
            continue
    return parsed


def declared(parsed: dict[str, dict]) -> Declared:
    found = set()
    for tree in parsed.values():
        for kind in ("resource", "data"):
            for entry in tree.get(kind, []):
                for rtype, named in entry.items():
                    for name in named:
                        found.add(("data." if kind == "data" else "") + f"{_unquote(rtype)}.{_unquote(name)}")
        for entry in tree.get("variable", []):
            found.update(f"var.{_unquote(n)}" for n in entry)
        for entry in tree.get("locals", []):
            found.update(f"local.{_unquote(n)}" for n in entry if not n.startswith("__"))
        for entry in tree.get("module", []):
            found.update(f"module.{_unquote(n)}" for n in entry)
    return Declared(frozenset(found))


def _is_resource_ref(ref: str) -> bool:
    first = _parts(ref)[0]
    return first == "data" or (first not in SPECIAL_ROOTS and "_" in first)


def _is_whole_object(ref: str) -> bool:
    parts = _parts(ref)
    return _is_resource_ref(ref) and len(parts) == (3 if parts[0] == "data" else 2)


def _line_of(text: str, needle: str, after: int = 0) -> int | None:
    lines = text.splitlines()
    for number, line in enumerate(lines[after:], after + 1):
        code = line.split("#", 1)[0] if '"' not in line.split("#", 1)[0] or "#" not in line else line
        if needle in code and not line.lstrip().startswith(("#", "//")):
            return number
    return None


def _ref_line(text: str, ref: str) -> int | None:
    """The first line where ``ref`` is used as a reference (not inside a string, not a longer reference)."""
    pattern = re.compile(rf"(?<![\w.-]){re.escape(ref)}(?![\w-]|\.[A-Za-z_])")
    for number, line in enumerate(text.splitlines(), 1):
        code = re.split(r"\s(?:#|//)", " " + _STRING.sub('""', line), maxsplit=1)[0]
        if pattern.search(code):
            return number
    return None


def _expression_refs(expression: str) -> list[str]:
    body = _STRING.sub('""', expression)
    return [m.group(0) for m in _NAME.finditer(body) if "." in m.group(0)]


def _walk(body, argument: str = ""):
    """(argument, raw value) for every value in a block body, nested blocks and lists included."""
    if isinstance(body, dict):
        for key, value in body.items():
            if key.startswith("__"):
                continue
            yield from _walk(value, key if not isinstance(value, dict) or not value.get("__is_block__") else key)
    elif isinstance(body, list):
        for item in body:
            yield from _walk(item, argument)
    else:
        yield argument, body


def _blocks(tree: dict):
    for kind in ("resource", "data", "output", "locals", "module", "provider"):
        for entry in tree.get(kind, []):
            yield kind, entry


def check_files(files: dict[str, str], context: dict[str, str] | None = None) -> list[Problem]:
    """Problems in ``files`` (name -> text); ``context`` holds the configuration's other files
    (their declarations count, their own problems are not reported)."""
    parsed = _parse({**(context or {}), **files})
    known = declared(parsed)
    problems: list[Problem] = []
    for name, text in files.items():
        tree = parsed.get(name)
        if tree is None:
            continue
        for _, entry in _blocks(tree):
            for argument, raw in _walk(entry):
                problems += _check_value(name, text, argument, raw, known)
    seen, unique = set(), []
    for problem in problems:
        key = (problem.id, problem.file, problem.line, problem.message)
        if key not in seen:
            seen.add(key)
            unique.append(problem)
    return sorted(unique, key=lambda p: (not p.blocks, p.file, p.line or 0))


def check_directory(directory: Path, files: list[str] | None = None) -> list[Problem]:
    """Problems in the ``.tf`` files of ``directory`` (all, or only those named)."""
    every = {p.name: p.read_text() for p in sorted(Path(directory).glob("*.tf"))}
    chosen = {n: t for n, t in every.items() if files is None or n in files}
    return check_files(chosen, {n: t for n, t in every.items() if n not in chosen})


def _check_value(file: str, text: str, argument: str, raw, known: Declared) -> list[Problem]:
    if not isinstance(raw, str):
        return []
    problems = []
    if raw.startswith("${") and raw.endswith("}"):
        expression = raw[2:-1].strip()
        for ref in _expression_refs(expression):
            if (_is_resource_ref(ref) or _parts(ref)[0] in ("var", "local", "module")) and not known.knows(ref):
                problems.append(_unknown(file, text, ref, known))
        whole = re.fullmatch(_NAME.pattern, expression)
        if whole and _is_whole_object(expression) and known.knows(expression) and argument not in NO_VALUE_ARGUMENTS:
            problems.append(_whole_object(file, text, argument, expression))
        try:
            data = hcl_values.expression(raw)
        except hcl_values.NotAValue:
            data = None
        if data is not None and not isinstance(data, hcl_values.Ref):
            problems += _check_data(file, text, argument, data, known)
    else:
        literal = _unquote(raw)
        problems += _check_literal(file, text, argument, literal)
    return problems


def _check_data(file, text, argument, data, known) -> list[Problem]:
    problems = []
    if isinstance(data, hcl_values.Ref):
        if _is_whole_object(data.text) and known.knows(data.text) and argument not in NO_VALUE_ARGUMENTS:
            problems.append(_whole_object(file, text, argument, data.text, inside_json=True))
    elif isinstance(data, dict):
        for key, value in data.items():
            problems += _check_data(file, text, key, value, known)
    elif isinstance(data, list):
        for value in data:
            problems += _check_data(file, text, argument, value, known)
    elif isinstance(data, str):
        problems += _check_literal(file, text, argument, data)
    return problems


def _check_literal(file: str, text: str, argument: str, literal: str) -> list[Problem]:
    if REFERENCE_TEXT.match(literal):
        return [Problem(
            "quoted-reference", file, _line_of(text, f'"{literal}"'),
            f"{argument or 'a value'} is a quoted string that reads like a Terraform reference. Quotes make "
            "it text: Terraform would send those very characters to AWS, which refuses them where an ARN "
            "is wanted (the plan or the apply fails).",
            "write the reference without quotes, so Terraform replaces it with the value it names.")]
    found = []
    for arn in ARN_TEXT.findall(literal):
        found.append(Problem(
            "hand-typed-arn", file, _line_of(text, arn),
            f"{argument or 'a value'} holds an ARN typed by hand. AWS accepts it, but a wrong account, "
            "region or name would match nothing without a word, and the file works in this account only.",
            "refer to the resource or data source that knows this ARN (the reading's section on references).",
            WARNING))
    return found


def _unknown(file: str, text: str, ref: str, known: Declared) -> Problem:
    parts = _parts(ref)
    label = ".".join(parts[:3] if parts[0] == "data" else parts[:2])
    kind = ("data source" if parts[0] == "data" else "variable" if parts[0] == "var" else "local value"
            if parts[0] == "local" else "module" if parts[0] == "module" else "resource")
    return Problem(
        "unknown-label", file, _ref_line(text, label) or _line_of(text, label),
        f"{label} names a {kind} that no .tf file of your working copy declares (a typo in its label, "
        "or a block that is commented out). The plan would stop here.",
        f"find the {kind} you mean in the working copy's files (main.tf declares the course's) and use its "
        "exact type and label.")


def _whole_object(file: str, text: str, argument: str, ref: str, inside_json: bool = False) -> Problem:
    refused = ("Inside jsonencode it becomes a JSON object, and AWS refuses the policy document at apply."
               if inside_json else "Terraform refuses an object there (validate lets it through; the plan does not).")
    return Problem(
        "object-without-attribute", file, _ref_line(text, ref),
        f"{argument or 'a value'} names {ref} as a whole: the object with all its attributes, where one "
        f"string goes. {refused}",
        "pick the one attribute that holds what this argument needs; the resource's documentation lists "
        "them under Attributes Reference.")
