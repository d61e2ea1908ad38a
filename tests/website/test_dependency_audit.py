"""``make audit`` (requirements/audit.py): pip-audit on pinned dependencies, with PyPI.

These run the real script, pip-audit and PyPI (the one service this machine
reaches; the audit cannot work without it). pycrypto 2.6.1 is the last release of
a project abandoned in 2013 with known, unfixed advisories, so it stays vulnerable.
"""

from __future__ import annotations

import subprocess
import sys

import requests

from tests.conftest import ROOT

SCRIPT = ROOT / "requirements" / "audit.py"
# pycrypto 2.6.1's advisories (each also listed under its GHSA id, an alias).
PYCRYPTO_ADVISORIES = {"PYSEC-2017-94", "PYSEC-2018-97"}


def run_audit(tmp_path, pins: str, allowlist: str = ""):
    requirements = tmp_path / "pins.txt"
    requirements.write_text(pins)
    allowed = tmp_path / "allowlist.txt"
    allowed.write_text(allowlist)
    return subprocess.run(
        [sys.executable, SCRIPT, requirements, "--allowlist", allowed],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_a_known_vulnerability_fails_the_audit(tmp_path):
    result = run_audit(tmp_path, "pycrypto==2.6.1\n")
    assert result.returncode == 1, result.stdout + result.stderr
    for advisory in PYCRYPTO_ADVISORIES:
        assert f"VULNERABLE pycrypto 2.6.1: {advisory}" in result.stdout
    assert "GHSA-cq27-v7xp-c356 (" not in result.stdout  # the same one, once
    assert "Checked 1 of 1 pinned packages: 2 known vulnerabilities." in result.stdout


def test_allowlisted_advisories_pass_with_their_reason(tmp_path):
    allowlist = "# tests\n" + "".join(
        f"{advisory}\tNot used: nothing imports Crypto.\n"
        for advisory in PYCRYPTO_ADVISORIES
    )
    one_left = run_audit(tmp_path, "pycrypto==2.6.1\n", allowlist.splitlines()[1])
    assert one_left.returncode == 1
    assert "1 known vulnerability." in one_left.stdout

    result = run_audit(tmp_path, "pycrypto==2.6.1\n", allowlist)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "VULNERABLE" not in result.stdout
    assert "Checked 1 of 1 pinned packages: no known vulnerabilities." in result.stdout


def test_an_allowlist_entry_needs_a_reason(tmp_path):
    result = run_audit(tmp_path, "pycrypto==2.6.1\n", "PYSEC-2017-94\n")
    assert result.returncode != 0
    assert "allowlist.txt line 1: PYSEC-2017-94 has no reason" in result.stderr


def test_a_package_it_cannot_check_is_named_never_passed(tmp_path):
    """six 1.16.0 is not six's newest release. Where PyPI answers for that release
    (pip-audit's own question) it is checked; where it does not (this machine's
    mirror), it is named as not checked and, as nothing was checked, the audit
    says it could not run."""
    per_release = requests.get("https://pypi.org/pypi/six/1.16.0/json", timeout=60)
    result = run_audit(tmp_path, "six==1.16.0\n")
    if per_release.status_code == 200:
        assert result.returncode == 0, result.stdout + result.stderr
        assert "Checked 1 of 1 pinned packages" in result.stdout
    else:
        assert result.returncode == 2, result.stdout + result.stderr
        assert "Not checked (1 of 1 packages):" in result.stdout
        assert "six 1.16.0: vulnerability data here covers only its newest" in (
            result.stdout
        )
        assert "could not run: no vulnerability data was reachable" in result.stdout
        assert "no known vulnerabilities" not in result.stdout
