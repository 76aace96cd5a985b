"""The instructor's live view of the class, as a JupyterHub service.

It reads the spool the learners' courses write to (record.py) and shows, for each learner,
the lesson and exercise they are at, their checks passed and failed, and, across the class,
the classic mistakes met most often. Only users whose JupyterHub role grants
``access:services!service=<name>`` get in (the hub's OAuth, ``HubOAuthenticated``); the
service runs as a Unix user in the spool's group, the only one besides root that can read it.

In jupyterhub_config.py (docs/classroom.md has the whole recipe)::

    c.JupyterHub.services = [{"name": "iamlab-class", "url": "http://127.0.0.1:10101",
        "command": [sys.executable, "-m", "iamlab.classroom.service", "serve", "--spool", SPOOL],
        "user": "iamlab-instructor", "oauth_no_confirm": True}]
    c.JupyterHub.load_roles = [{"name": "iamlab-instructor", "users": ["teacher"],
        "scopes": ["access:services!service=iamlab-class"]}]

``python -m iamlab.classroom.service make-spool --spool /srv/iamlab/spool --group iamlab-class``
makes the spool (as root).
"""

from __future__ import annotations

import argparse
import grp
import html
import json
import os
import pwd
import stat
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from .record import MAX_RECORD

MAX_FILE = 4 * 2**20  # a learner's file read no further: one learner cannot swamp the view
SPOOL_MODE = 0o3753


@dataclass
class Learner:
    user: str
    lesson: str = ""
    exercise: str = ""
    passed: dict[str, bool] = field(default_factory=dict)  # exercise -> latest verdict
    attempts: int = 0
    mistakes: Counter = field(default_factory=Counter)
    last: float = 0.0

    def as_dict(self) -> dict:
        return {"user": self.user, "lesson": self.lesson, "exercise": self.exercise, "attempts": self.attempts,
                "passed": sorted(e for e, ok in self.passed.items() if ok),
                "failed": sorted(e for e, ok in self.passed.items() if not ok),
                "mistakes": dict(self.mistakes), "last": self.last}


@dataclass
class ClassView:
    learners: dict[str, Learner]

    def frequent_mistakes(self) -> list[tuple[str, int]]:
        """Each classic mistake, with how many learners met it, most frequent first."""
        counts = Counter(name for learner in self.learners.values() for name in learner.mistakes)
        return counts.most_common()

    def as_dict(self) -> dict:
        return {"learners": [self.learners[u].as_dict() for u in sorted(self.learners)],
                "frequent_mistakes": [{"mistake": m, "learners": n} for m, n in self.frequent_mistakes()]}

    def _repr_html_(self) -> str:
        rows = "".join(
            f"<tr><td>{html.escape(l.user)}</td><td>{html.escape(l.lesson)}</td><td>{html.escape(l.exercise)}</td>"
            f"<td>{len([1 for ok in l.passed.values() if ok])}</td><td>{len([1 for ok in l.passed.values() if not ok])}</td>"
            f"<td>{html.escape(', '.join(sorted(l.mistakes)))}</td></tr>"
            for l in (self.learners[u] for u in sorted(self.learners)))
        mistakes = "".join(f"<li>{html.escape(m)}: {n} learner(s)</li>" for m, n in self.frequent_mistakes())
        return ("<h1>iamlab: the class</h1><table border=1 cellpadding=4><tr><th>Learner</th><th>Lesson</th>"
                "<th>Last exercise</th><th>Passed</th><th>Not yet</th><th>Classic mistakes met</th></tr>"
                f"{rows}</table><h2>Classic mistakes across the class</h2><ul>{mistakes or '<li>none yet</li>'}</ul>")


def _owner(uid: int) -> str:
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return f"uid {uid}"


def read_class(spool: Path) -> ClassView:
    """Every learner's records, each attributed to the Unix owner of the file it is in, in the
    order they were made (a learner may have several files)."""
    learners: dict[str, Learner] = {}
    records = []
    for path in sorted(Path(spool).glob("*.jsonl")):
        try:
            fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
        except OSError:
            continue  # a symlink, a fifo, or unreadable: not a learner's record
        with os.fdopen(fd, "rb") as handle:
            info = os.fstat(handle.fileno())
            if not stat.S_ISREG(info.st_mode):
                continue
            data = handle.read(MAX_FILE)
        user = _owner(info.st_uid)
        learners.setdefault(user, Learner(user))
        for line in data.splitlines():
            if len(line) > MAX_RECORD:
                continue
            try:
                record = json.loads(line)
                records.append((float(record.get("time", 0)), user, str(record["exercise"])[:80],
                                bool(record["passed"]), str(record.get("lesson", ""))[:8],
                                [str(m)[:80] for m in record.get("mistakes", [])][:20]))
            except (ValueError, KeyError, TypeError, AttributeError):
                continue
    for when, user, exercise, passed, lesson, mistakes in sorted(records, key=lambda r: r[0]):
        learner = learners[user]
        learner.attempts += 1
        learner.passed[exercise] = passed
        learner.mistakes.update(mistakes)
        learner.last, learner.exercise, learner.lesson = when, exercise, lesson
    return ClassView(learners)


def make_spool(spool: Path, group: str) -> Path:
    """The spool folder (as root): root-owned, the service's group, mode 3753."""
    spool = Path(spool)
    spool.mkdir(parents=True, exist_ok=True)
    os.chown(spool, 0, grp.getgrnam(group).gr_gid)
    os.chmod(spool, SPOOL_MODE)
    return spool


def make_app(spool: Path, prefix: str):
    """The tornado application: the view as HTML at the prefix, as JSON at ``api/class``."""
    from jupyterhub.services.auth import HubOAuthCallbackHandler, HubOAuthenticated
    from jupyterhub.utils import url_path_join
    from tornado import web

    class ViewHandler(HubOAuthenticated, web.RequestHandler):
        @web.authenticated
        def get(self):
            view = read_class(spool)
            self.set_header("Cache-Control", "no-store")
            self.write("<!doctype html><meta http-equiv=refresh content=10><title>iamlab class</title>"
                       + view._repr_html_())

    class ApiHandler(HubOAuthenticated, web.RequestHandler):
        @web.authenticated
        def get(self):
            self.set_header("Cache-Control", "no-store")
            self.write(read_class(spool).as_dict())

    return web.Application([
        (prefix, ViewHandler),
        (url_path_join(prefix, "api/class"), ApiHandler),
        (url_path_join(prefix, "oauth_callback"), HubOAuthCallbackHandler),
    ], cookie_secret=os.urandom(32))


def serve(spool: Path) -> None:
    from urllib.parse import urlparse

    from tornado.ioloop import IOLoop

    prefix = os.environ.get("JUPYTERHUB_SERVICE_PREFIX", "/")
    url = urlparse(os.environ.get("JUPYTERHUB_SERVICE_URL", "http://127.0.0.1:10101"))
    make_app(spool, prefix).listen(url.port, url.hostname)
    IOLoop.current().start()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m iamlab.classroom.service")
    parser.add_argument("action", choices=["serve", "make-spool", "show"])
    parser.add_argument("--spool", required=True, type=Path)
    parser.add_argument("--group", help="make-spool: the service's group")
    args = parser.parse_args(argv)
    if args.action == "make-spool":
        if not args.group:
            parser.error("make-spool needs --group")
        print(f"Spool ready: {make_spool(args.spool, args.group)} (mode {oct(SPOOL_MODE)}, group {args.group})")
    elif args.action == "show":
        print(json.dumps(read_class(args.spool).as_dict(), indent=2))
    else:
        serve(args.spool)
    return 0


if __name__ == "__main__":
    sys.exit(main())
