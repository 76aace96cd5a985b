"""The picture of who can do what: instance -> profile -> role -> policies -> repositories.

One model (``AccessPicture``) and one renderer (graphviz), used twice: live in the
notebooks (drawn from Terraform state and the account) and for the static figures
in ``images/`` (drawn from example pictures by ``images/make_images.py``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import graphviz

COLOURS = {
    "instance": "#fde2c8",
    "profile": "#fff3b0",
    "role": "#c9e4ff",
    "trust": "#e8e8e8",
    "policy": "#d7f5d0",
    "deny": "#ffd0d0",
    "repo": "#f0e0ff",
}


@dataclass
class StatementNode:
    """One statement of a policy, drawn inside its policy's box with its own arrows."""

    sid: str
    reaches: list[str] = field(default_factory=list)  # repository names, ["*"] for all, [] for none
    actions: list[str] = field(default_factory=list)
    denies: bool = False


@dataclass
class PolicyNode:
    name: str
    kind: str  # "AWS managed", "customer managed", "inline", "repository policy"
    reaches: list[str] = field(default_factory=list)  # repository names, or ["*"] for all
    actions: list[str] = field(default_factory=list)
    denies: bool = False
    statements: list[StatementNode] = field(default_factory=list)  # set: one box, one row per statement
    note: str = ""  # drawn instead of the actions (e.g. "your statements")


@dataclass
class AccessPicture:
    instance: str | None = None
    profile: str | None = None
    role: str | None = None
    trusted: list[str] = field(default_factory=list)  # who may assume the role
    policies: list[PolicyNode] = field(default_factory=list)
    repositories: list[str] = field(default_factory=list)


def _box(graph, node_id: str, label: str, colour: str, shape: str = "box") -> None:
    graph.node(node_id, label, shape=shape, style="rounded,filled", fillcolor=colour, fontname="Helvetica")


def _short_actions(actions: list[str], limit: int = 4) -> str:
    shown = [a.split(":", 1)[-1] for a in actions[:limit]]
    more = len(actions) - limit
    return "\\n".join(shown + ([f"+{more} more ({len(actions)} actions in all)"] if more > 0 else []))


def render(picture: AccessPicture, title: str = "") -> graphviz.Digraph:
    graph = graphviz.Digraph("access", graph_attr={"rankdir": "LR", "fontname": "Helvetica", "label": title,
                                                   "labelloc": "t", "bgcolor": "white"},
                             edge_attr={"fontname": "Helvetica", "fontsize": "10"})
    if picture.instance:
        _box(graph, "instance", f"EC2 instance\\n{picture.instance}", COLOURS["instance"])
    if picture.profile:
        _box(graph, "profile", f"instance profile\\n{picture.profile}", COLOURS["profile"])
        if picture.instance:
            graph.edge("instance", "profile", label="wears")
    if picture.role:
        _box(graph, "role", f"IAM role (the keycard)\\n{picture.role}", COLOURS["role"])
        if picture.profile:
            graph.edge("profile", "role", label="holds")
        for i, principal in enumerate(picture.trusted):
            _box(graph, f"trust{i}", f"trusted to assume it:\\n{principal}", COLOURS["trust"], shape="note")
            graph.edge(f"trust{i}", "role", label="sts:AssumeRole", style="dashed")
    for i, policy in enumerate(picture.policies):
        node = f"policy{i}"
        colour = COLOURS["deny"] if policy.denies else COLOURS["policy"]
        kind = policy.kind if policy.kind.endswith("policy") else f"{policy.kind} policy"
        if policy.statements:
            _statement_box(graph, node, f"{kind}: {policy.name}", policy.statements, colour)
        else:
            actions = f"\\n{_short_actions(policy.actions)}" if policy.actions else ""
            note = f"\\n({policy.note})" if policy.note else ""
            _box(graph, node, f"{kind}\\n{policy.name}{actions}{note}", colour, shape="component")
        if policy.kind != "repository policy" and picture.role:
            graph.edge("role", node, label="attached")
    with graph.subgraph(name="repositories") as column:  # every repository in one column, reached or not
        column.attr(rank="same")
        for repo in picture.repositories:
            _box(column, f"repo_{repo}", f"ECR repository\\n{repo}", COLOURS["repo"], shape="cylinder")
    for i, policy in enumerate(picture.policies):
        sources = ([(f"policy{i}:s{j}", s.reaches, s.denies) for j, s in enumerate(policy.statements)]
                   or [(f"policy{i}", policy.reaches, policy.denies)])
        for source, reaches, denies in sources:
            targets = picture.repositories if "*" in reaches else [r for r in reaches if r in picture.repositories]
            for repo in targets:
                graph.edge(source, f"repo_{repo}", label="denies" if denies else "allows",
                           color="#c0392b" if denies else "#2e7d32")
    return graph


def _statement_box(graph, node_id: str, title: str, statements: list[StatementNode], colour: str) -> None:
    """One policy, one box; a row (with its own port) per statement."""
    from html import escape

    rows = [f'<TR><TD BORDER="0"><B>{escape(title)}</B></TD></TR>']
    for j, statement in enumerate(statements):
        actions = "<BR/>".join(escape(a.split(":", 1)[-1]) for a in statement.actions)
        where = ('Resource "*"' if "*" in statement.reaches or not statement.reaches
                 else ", ".join(statement.reaches))
        rows.append(f'<TR><TD PORT="s{j}" BGCOLOR="white">statement {escape(statement.sid)} ({escape(where)})'
                    f"<BR/>{actions}</TD></TR>")
    graph.node(node_id, f'<<TABLE BORDER="0" CELLBORDER="1" CELLSPACING="2">{"".join(rows)}</TABLE>>', shape="box",
               style="rounded,filled", fillcolor=colour, fontname="Helvetica")


class Diagram:
    """The picture as a notebook result: it renders itself as SVG (and as text elsewhere)."""

    def __init__(self, picture: AccessPicture, title: str = ""):
        self.picture, self.title = picture, title
        self.graph = render(picture, title)

    def svg(self) -> str:
        return self.graph.pipe(format="svg", encoding="utf-8")

    def _repr_svg_(self) -> str:
        return self.svg()

    def __str__(self) -> str:
        p = self.picture
        lines = [self.title] if self.title else []
        lines.append(f"instance {p.instance or '-'} wears profile {p.profile or '-'}, which holds role {p.role or '-'}"
                     + (f" (trusted: {', '.join(p.trusted)})" if p.trusted else ""))
        for policy in p.policies:
            reach = "every repository" if "*" in policy.reaches else ", ".join(policy.reaches) or "no repository"
            lines.append(f"  {policy.kind} {policy.name} {'denies' if policy.denies else 'allows'} on {reach}")
        return "\n".join(lines)

    def _repr_pretty_(self, printer, cycle) -> None:
        printer.text(str(self))
