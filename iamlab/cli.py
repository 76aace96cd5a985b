"""The course's command line: `python -m iamlab --help`."""

from __future__ import annotations

import argparse
import json
import re
import sys

from . import mode, sandbox


def _sandbox(args) -> int:
    if args.action == "start":
        info = sandbox.start()
        print(f"The sandbox runs (pid {info.pid}, region {info.region}). Endpoint:")
        print(info.endpoint)
    elif args.action == "status":
        info = sandbox.status()
        if not info:
            print("The sandbox is not running. Start it with: python -m iamlab sandbox start")
            return 1
        print(f"running at {info.endpoint} (pid {info.pid}, region {info.region})")
    elif args.action == "stop":
        print("The sandbox stopped." if sandbox.stop() else "The sandbox was not running.")
    elif args.action == "reset":
        info = sandbox.reset()
        print("The sandbox account is fresh again: two repositories (flask_app, reports_app), no role, no instance.")
        print(info.endpoint)
    elif args.action == "env":
        print(sandbox.export_lines(sandbox.learner_env(sandbox.require())))
    return 0


def _terraform(args) -> int:
    from .terraform import Driver

    driver = Driver()
    result = getattr(driver, args.command)()
    if args.command == "plan":
        counts = result.summary
        print(f"\nIn short: {counts.get('add', 0)} to add, {counts.get('change', 0)} to change, "
              f"{counts.get('destroy', 0)} to destroy.")
    if args.command == "destroy":
        return _report_leftovers()
    return 0


def _clients():
    """service -> boto3 client, in the current mode (sandbox as the learner, or real AWS)."""
    if mode.is_aws():
        from .aws_mode import session

        boto = session()
        return lambda service: boto.client(service)
    learner = sandbox.session(sandbox.require())
    return learner.client


def _report_leftovers() -> int:
    from .cleanup import leftovers

    from .terraform import workspace

    left = leftovers(_clients(), workspace.ensure())
    if left:
        print("\nStill there (tagged course=iamlab or made by the course):")
        print("\n".join(f"  - {item}: {item.next_step(cli=True)}" for item in left))
        if any(not item.in_state for item in left) and not mode.is_aws():
            print("(In the sandbox, `eval \"$(python -m iamlab sandbox env)\"` first points the AWS CLI at it.)")
        return 1
    print("\nNothing the course created is left.")
    return 0


def _confirm(args) -> int:
    from . import aws_mode

    if not mode.is_aws():
        print("confirm is for real AWS mode: python -m iamlab --aws confirm. The sandbox needs no confirmation.")
        return 1
    checked = aws_mode.preflight()
    print(checked.summary())
    if checked.missing_repositories:
        print("\nCreate the missing repositories first; nothing was confirmed.", file=sys.stderr)
        return 1
    typed = args.account if args.account is not None else input(f"\nType the account id ({checked.account}) to confirm: ").strip()
    if typed != checked.account:
        print("Not confirmed: the account id did not match. Nothing will be applied.", file=sys.stderr)
        return 1
    aws_mode.confirm(checked)
    print(f"Confirmed for account {checked.account} in {checked.region}. `python -m iamlab --aws apply` will now create the resources.")
    print("\nTo verify on the instance afterwards:\n" + aws_mode.instance_commands(checked.account, checked.region))
    return 0


def _solutions(args) -> int:
    from .course import solutions_mode

    if args.action == "on":
        solutions_mode.switch(True)
    elif args.action == "off":
        solutions_mode.switch(False)
    print(f"Solutions mode is {'on' if solutions_mode.enabled() else 'off'}"
          + (": every check() fills in or applies the reference solution first." if solutions_mode.enabled() else "."))
    return 0


def _instance(args) -> int:
    from .sandbox import instance

    if args.action == "credentials":
        print(json.dumps(instance.credentials(args.instance_id), indent=2))
    else:
        print(instance.export(args.instance_id))
    return 0


def _goto(args) -> int:
    from .lab import Lab

    reached = Lab(sandbox.start()).goto(args.lesson, reference=args.reference)
    said = re.sub(r"lab\.goto\('([^']+)', reference=True\)", r"python -m iamlab goto \1 --reference", str(reached))
    print(re.sub(r"lab\.goto\('([^']+)'\)", r"python -m iamlab goto \1", said).replace("lab.apply()", "python -m iamlab apply"))
    return 0 if reached.ready else 1


def _run_all(args) -> int:
    from . import runall

    return runall.main(yes=args.yes)


def _reset(args) -> int:
    from .terraform import workspace

    backup = workspace.reset()
    print(f"Your working copy is the course's tf/ again: {workspace.paths.working_copy_dir()}")
    if backup:
        print(f"Your previous files are kept in {backup}")
    return 0


def _copy_course(args) -> int:
    from .copy_course import copy_course

    print(copy_course(args.to))
    return 0


def _link_workspace(args) -> int:
    from .workspace_link import link

    print(link(args.folder))
    return 0


def _doctor(args) -> int:
    from . import doctor

    checks = doctor.run_checks()
    print(doctor.report(checks))
    return 0 if all(c.ok for c in checks) else 1


def _output(args) -> int:
    from .terraform import Driver

    print(json.dumps(Driver().outputs(), indent=2))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m iamlab", description="Learn AWS IAM with real Terraform, on a local AWS sandbox.")
    parser.add_argument("--aws", action="store_true", help="use your real AWS account (costs money; asks to confirm first)")
    commands = parser.add_subparsers(dest="command", required=True)

    box = commands.add_parser("sandbox", help="the local AWS account")
    box.add_argument("action", choices=["start", "status", "stop", "reset", "env"])
    box.set_defaults(run=_sandbox)

    inst = commands.add_parser("instance", help="act as an EC2 instance of the sandbox")
    inst.add_argument("action", choices=["credentials", "env"], help="metadata credentials JSON, or export lines for a shell")
    inst.add_argument("instance_id")
    inst.set_defaults(run=_instance)

    for name, text in (("init", "terraform init in your working copy"),
                       ("plan", "show what apply would change"),
                       ("apply", "create or update the lesson's resources"),
                       ("destroy", "delete everything Terraform created")):
        commands.add_parser(name, help=text).set_defaults(run=_terraform)
    commands.add_parser("output", help="Terraform outputs as JSON").set_defaults(run=_output)
    goto = commands.add_parser("goto", help="fast-forward the working copy and account to a lesson's start")
    goto.add_argument("lesson", help="00-07, or playground")
    goto.add_argument("--reference", action="store_true",
                      help="start from the lesson's reference files (yours go to backups/ first); exits 1 when not ready")
    goto.set_defaults(run=_goto)
    confirm = commands.add_parser("confirm", help="real AWS mode: show account, region, principal and cost, and confirm")
    confirm.add_argument("--account", help="the account id, to confirm without a prompt")
    confirm.set_defaults(run=_confirm)
    solutions = commands.add_parser("solutions", help="solutions mode for demos: check() fills in the reference answers")
    solutions.add_argument("action", choices=["on", "off", "status"])
    solutions.set_defaults(run=_solutions)
    run_all = commands.add_parser("run-all", help="run every notebook (00-08, then 90) on YOUR sandbox, reset first; "
                                                  "your working copy is backed up; asks to confirm")
    run_all.add_argument("--yes", action="store_true", help="confirm without a prompt (needed when no terminal can ask)")
    run_all.set_defaults(run=_run_all)
    commands.add_parser("reset", help="restore tf/ into your working copy (your edits are backed up)").set_defaults(run=_reset)
    copy = commands.add_parser("copy-course", help="your own copy of the notebooks, readings and images (from an installed package)")
    copy.add_argument("--to", help="where to put it (default: your course home, ~/iamlab-course for an installed package)")
    copy.set_defaults(run=_copy_course)
    linked = commands.add_parser("link-workspace", help="make workspace/ in the course folder lead to your course home "
                                                        "(IAMLAB_HOME), so JupyterLab reaches your working copy")
    linked.add_argument("--folder", help="the course folder (default: the checkout, or the installed course's home)")
    linked.set_defaults(run=_link_workspace)
    commands.add_parser("doctor", help="check terraform, the provider source and the sandbox").set_defaults(run=_doctor)
    return parser


def main(argv: list[str] | None = None) -> int:
    from .sandbox import SandboxError
    from .terraform import TerraformBusy, TerraformFailed
    from .terraform.cliconfig import MirrorError

    from .aws_mode import AwsModeError
    from .copy_course import CopyCourseError
    from .paths import CourseHomeError
    from .terraform.locks import LockError

    args = build_parser().parse_args(argv)
    if args.aws:
        mode.use(mode.AWS)
    try:
        return args.run(args)
    except TerraformFailed as error:
        print(f"\n✘ {error}", file=sys.stderr)
        return 1
    except (SandboxError, TerraformBusy, MirrorError, AwsModeError, CourseHomeError, LockError, CopyCourseError,
            ValueError, KeyError) as error:
        print(f"✘ {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
