"""Known vulnerabilities in the pinned dependencies: ``make audit``.

Runs pip-audit on ``requirements/constraints.txt`` (every pin, as ``make install``
installs them) and fails on any known vulnerability that ``audit-allowlist.txt``
does not excuse. PyPI's advisories (which come from OSV) carry no severity for
most entries, so a critical one cannot be told from a minor one: every known
vulnerability fails the audit, and one that does not apply to this project goes in
the allowlist with the reason.

pip-audit asks PyPI about each pinned release (``/pypi/<name>/<version>/json``).
Where that is not served (this workplace's PyPI mirror answers 404 for it, and
OSV's own service cannot be reached), pip-audit skips the package; this script
then reads the project's document (``/pypi/<name>/json``), which lists the
advisories of the project's newest release, and uses it for a pin that is that
release. Every package that could be checked neither way is named: the audit
never reports "no known vulnerabilities" for a package it did not check.

Exit status: 0 nothing known (with the number checked), 1 known vulnerabilities,
2 the audit could not run (no vulnerability data at all, or a bad allowlist).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import requests
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

HERE = Path(__file__).resolve().parent
PYPI_PROJECT = "https://pypi.org/pypi/{name}/json"
TIMEOUT = 60


@dataclass
class Audit:
    """What was found: vulnerabilities, and the packages checked and not checked."""

    vulnerabilities: list[str] = field(default_factory=list)
    checked: list[str] = field(default_factory=list)
    unchecked: list[str] = field(default_factory=list)


def say(line: str = "") -> None:
    sys.stdout.write(line + "\n")


def read_allowlist(path: Path) -> dict[str, str]:
    """Advisory id -> why it does not apply. One per line: the id, then the reason."""
    allowed = {}
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        advisory, _, reason = line.replace("\t", " ").partition(" ")
        if not reason.strip():
            raise SystemExit(
                f"{path.name} line {number}: {advisory} has no reason. Write the "
                "advisory id, a space, then why it does not apply to this project."
            )
        allowed[advisory] = reason.strip()
    return allowed


def read_pins(path: Path) -> dict[str, str]:
    """Canonical name -> pinned version, from a ``name==version`` file."""
    pins = {}
    for line in path.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            requirement = Requirement(line)
            [spec] = requirement.specifier
            pins[canonicalize_name(requirement.name)] = spec.version
    return pins


def run_pip_audit(requirements: Path, allowed: dict[str, str]) -> dict:
    """pip-audit's JSON report on the pinned file (no resolving, no installing)."""
    command = [
        sys.executable,
        "-m",
        "pip_audit",
        "--requirement",
        str(requirements),
        "--no-deps",
        "--disable-pip",
        "--format",
        "json",
        "--progress-spinner",
        "off",
    ]
    for advisory in allowed:
        command += ["--ignore-vuln", advisory]
    result = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603
    try:
        return json.loads(result.stdout)
    except json.JSONDecodeError:
        last = (result.stderr.strip().splitlines() or ["no output"])[-1]
        raise SystemExit(
            f"The dependency audit could not run: pip-audit failed ({last})."
        ) from None


def describe(name: str, version: str, advisory: dict, fixes: list[str]) -> str:
    aliases = ", ".join(advisory.get("aliases") or [])
    fixed = ", ".join(fixes) or "no fixed release yet"
    # pip-audit says "description"; PyPI's own document "summary" or "details".
    text = next(
        (advisory[k] for k in ("description", "summary", "details") if advisory.get(k)),
        "",
    )
    text = " ".join(text.split())[:200]
    return (
        f"{name} {version}: {advisory['id']}"
        + (f" ({aliases})" if aliases else "")
        + f"; fixed in {fixed}. {text}"
    )


def newest_release_advisories(session, name: str, version: str, allowed):
    """The advisories PyPI lists for ``name`` if ``version`` is its newest release;
    else the reason it cannot be checked (a string)."""
    try:
        response = session.get(PYPI_PROJECT.format(name=name), timeout=TIMEOUT)
        response.raise_for_status()
        project = response.json()
    except (requests.RequestException, ValueError) as error:
        return f"PyPI could not be asked ({error.__class__.__name__})"
    newest = project["info"]["version"]
    if newest != version:
        return f"vulnerability data here covers only its newest release, {newest}"
    # One advisory is often listed twice (PYSEC and GHSA ids, each the other's alias);
    # an allowlisted id excuses its aliases too, as pip-audit's --ignore-vuln does.
    advisories, seen = [], set(allowed)
    for advisory in project.get("vulnerabilities") or []:
        ids = {advisory["id"], *advisory.get("aliases", [])}
        if not advisory.get("withdrawn") and not ids & seen:
            advisories.append(advisory)
        seen |= ids
    return advisories


def audit(requirements: Path, allowlist: Path) -> Audit:
    allowed = read_allowlist(allowlist)
    pins = read_pins(requirements)
    report = run_pip_audit(requirements, allowed)
    found = Audit()
    skipped = []
    for dependency in report["dependencies"]:
        name = canonicalize_name(dependency["name"])
        if "skip_reason" in dependency:
            skipped.append(name)
            continue
        found.checked.append(name)
        found.vulnerabilities += [
            describe(name, dependency["version"], v, v.get("fix_versions", []))
            for v in dependency["vulns"]
        ]
    with requests.Session() as session, ThreadPoolExecutor(8) as pool:
        answers = pool.map(
            lambda name: newest_release_advisories(session, name, pins[name], allowed),
            skipped,
        )
        for name, answer in zip(skipped, answers, strict=True):
            if isinstance(answer, str):
                found.unchecked.append(f"{name} {pins[name]}: {answer}")
                continue
            found.checked.append(name)
            found.vulnerabilities += [
                describe(name, pins[name], v, v.get("fixed_in", [])) for v in answer
            ]
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "requirements", type=Path, nargs="?", default=HERE / "constraints.txt"
    )
    parser.add_argument("--allowlist", type=Path, default=HERE / "audit-allowlist.txt")
    args = parser.parse_args(argv)
    found = audit(args.requirements, args.allowlist)
    total = len(found.checked) + len(found.unchecked)
    for line in found.vulnerabilities:
        say(f"VULNERABLE {line}")
    if found.unchecked:
        say(f"Not checked ({len(found.unchecked)} of {total} packages):")
        for line in found.unchecked:
            say(f"  {line}")
    if not found.checked:
        say("The dependency audit could not run: no vulnerability data was reachable.")
        return 2
    count = len(found.vulnerabilities)
    outcome = {0: "no known vulnerabilities", 1: "1 known vulnerability"}.get(
        count, f"{count} known vulnerabilities"
    )
    say(f"Checked {len(found.checked)} of {total} pinned packages: {outcome}.")
    return 1 if count else 0


if __name__ == "__main__":
    sys.exit(main())
