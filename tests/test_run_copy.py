"""`sli run` (what `make run` runs) leaves the repository as it found it, and tells the truth about HTTPS; and
every `sli` example in the README then works on the trial copy it made, with `git status` still clean.

Each test runs `sli.py run` in a git clone of this checkout (with its uncommitted changes applied and
committed in the clone), as someone trying the product would, with the add-in on a free port.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import shlex
import socket
import ssl
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from shared.domain import schema as s
from shared.reader import read_appendix, read_change_log

ROOT = Path(__file__).resolve().parents[1]
UPDATE = 'update 7 status="On track" next="Recruit peer supporters"\n'


def git(*args: str, cwd: Path, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.org", *args], cwd=cwd,
                          check=True, capture_output=True, timeout=60, **kwargs)


@pytest.fixture
def clone(tmp_path: Path) -> Path:
    """A clone of this checkout as it is now (HEAD plus its uncommitted changes), with a clean status."""
    target = tmp_path / "repo"
    git("clone", "-q", "--no-hardlinks", str(ROOT), str(target), cwd=tmp_path)
    changes = git("diff", "HEAD", "--binary", cwd=ROOT).stdout
    if changes:
        git("apply", "--whitespace=nowarn", "-", cwd=target, input=changes)
        git("commit", "-qam", "uncommitted changes of the checkout under test", cwd=target)
    assert git("status", "--porcelain", cwd=target).stdout == b""
    return target


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def sli_run(clone: Path, *args: str, **env: str) -> subprocess.Popen:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "XLWINGS_", "SLI_"))}
    return subprocess.Popen([sys.executable, "sli.py", "run", *args], cwd=clone, env={**clean, **env},
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_sli_run_works_on_an_ignored_copy_and_leaves_git_status_clean(clone: Path) -> None:
    committed = (clone / "workbook" / "Appendix1.xlsx").read_bytes()
    run = sli_run(clone, "--addin-port", str(free_port()))
    out, err = run.communicate(UPDATE, timeout=60)
    assert run.returncode == 0, err[-2000:]
    copy = clone / "workbook" / "trial" / "Appendix1.xlsx"
    assert "Made a working copy of workbook/Appendix1.xlsx for this trial: workbook/trial/Appendix1.xlsx" in out
    assert "delete workbook/trial/" in out
    assert "L7 updated" in out
    # Excel needs HTTPS: without a certificate it says so and how to get one.
    assert "Excel loads add-ins over HTTPS only" in out and "mkcert localhost 127.0.0.1 ::1" in out
    assert git("status", "--porcelain", "--untracked-files=all", cwd=clone).stdout == b""
    assert (clone / "workbook" / "Appendix1.xlsx").read_bytes() == committed
    assert read_appendix(copy).rows["L7"].status == "On track"
    assert [(e.ref, e.via) for e in read_change_log(copy)][-1] == ("L7", "Slack")
    assert (copy.parent / "Appendix1.xlsx.journal.sqlite").is_file() and (copy.parent / ".backups").is_dir()

    again = sli_run(clone, "--addin-port", "0")  # the copy is kept: the update is still there
    out, err = again.communicate("/sli status 7\n", timeout=60)
    assert again.returncode == 0, err[-2000:]
    assert "Using a working copy" in out and "L7 (On track)" in out


def readme_commands() -> list[list[str]]:
    """Every `sli` command line in the README's sh code blocks, in order, as the shell splits it (comments
    dropped). Commands quoted in its prose (`sli summary --month 2026-11 --dry-run`...) are not run here."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    return [shlex.split(line, comments=True) for block in re.findall(r"```sh\n(.*?)```", text, re.S)
            for line in map(str.strip, block.splitlines()) if line.startswith(("sli ", ".venv/bin/sli "))]


#: Commands that serve until stopped: `sli run` is what the tests here run; the bots, the add-in server and the
#: service have their own tests (tests/test_bot.py, tests/test_teams.py, tests/test_addin.py, tests/test_deploy.py).
SERVING = {"run", "bot", "addin", "teams", "serve"}


def test_every_readme_example_works_on_the_trial_copy_and_git_status_stays_clean(clone: Path) -> None:
    committed = (clone / "workbook" / "Appendix1.xlsx").read_bytes()
    run = sli_run(clone, "--addin-port", "0")
    out, err = run.communicate("", timeout=120)
    assert run.returncode == 0, err[-2000:]
    # `make run` prints the line that names the trial copy; the README gives the same one.
    [line] = [line for line in out.splitlines() if "export SLI_WORKBOOK=" in line]
    snippet = line.split("terminal: ", 1)[1]
    assert snippet in (ROOT / "README.md").read_text(encoding="utf-8")
    trial = snippet.split("SLI_WORKBOOK=", 1)[1].replace("$PWD", str(clone))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "XLWINGS_", "SLI_"))}
    env["SLI_WORKBOOK"] = trial
    ran = []
    for argv in readme_commands():
        if argv[1] in SERVING:
            continue
        result = subprocess.run([sys.executable, "sli.py", *argv[1:]], cwd=clone, env=env, capture_output=True,
                                text=True, timeout=120)
        assert result.returncode == 0, (shlex.join(argv), result.stdout[-1500:], result.stderr[-1500:])
        ran.append(argv[1])
    assert {"validate", "status", "list", "workbook", "update", "history", "pending", "sync", "summary", "report",
            "export", "teams-package", "purge", "backup", "restore"} <= set(ran)
    assert git("status", "--porcelain", "--untracked-files=all", cwd=clone).stdout == b""
    assert (clone / "workbook" / "Appendix1.xlsx").read_bytes() == committed
    # Everything the examples made is in the trial folder or an ignored out/ folder: nothing beside the
    # committed workbook (no journal, no backups), nothing loose in the checkout.
    ignored = [line[3:] for line in git("status", "--porcelain", "--ignored", cwd=clone).stdout.decode().splitlines()
               if line.startswith("!! ") and "__pycache__" not in line]
    assert sorted(ignored) == ["out/", "workbook/trial/"]
    assert read_appendix(Path(trial)).rows["L7"].status == s.AT_RISK  # the README's update, on the trial copy
    assert read_appendix(clone / "workbook" / "Appendix1.xlsx").rows["L7"].status == s.OFF_TRACK
    outputs = {p.name for p in (Path(trial).parent / "out").iterdir()}
    assert {"SLI-Appendix1-2026.docx", "SLI-Appendix1-2026.xlsx", "SLI-trend.csv", "SLI-changes.csv",
            "SLI-appendix.xlsx", "sli-summary-2026-11.png", "sli-teams.zip"} <= outputs


def test_an_explicit_workbook_still_wins(clone: Path, tmp_path: Path) -> None:
    other = tmp_path / "elsewhere" / "Appendix1.xlsx"
    other.parent.mkdir()
    other.write_bytes((clone / "workbook" / "Appendix1.xlsx").read_bytes())
    for args, env in ((["--workbook", str(other)], {}), ([], {"SLI_WORKBOOK": str(other)})):
        run = sli_run(clone, "--addin-port", "0", *args, **env)
        out, err = run.communicate("/sli status 7\n", timeout=60)
        assert run.returncode == 0, err[-2000:]
        assert "working copy" not in out and f"{other}: 0 errors" in out
    assert not (clone / "workbook" / "trial").exists()


def self_signed_certificate(cert: Path, key: Path) -> None:
    """A certificate for 127.0.0.1 and localhost, like mkcert's, signed by its own key."""
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    private = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "sli-test")])
    now = dt.datetime.now(dt.UTC)
    certificate = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(private.public_key())
                   .serial_number(x509.random_serial_number())
                   .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + dt.timedelta(days=1))
                   .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost"),
                                                               x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                                  critical=False)
                   .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
                   .sign(private, hashes.SHA256()))
    cert.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key.write_bytes(private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                          serialization.NoEncryption()))


def test_with_a_certificate_in_excel_certs_the_add_in_is_served_over_https(clone: Path) -> None:
    pytest.importorskip("cryptography")
    certs = clone / "excel" / "certs"
    certs.mkdir(exist_ok=True)
    cert = certs / "localhost+2.pem"  # the names mkcert gives, as the README says
    self_signed_certificate(cert, certs / "localhost+2-key.pem")
    port = free_port()
    run = sli_run(clone, "--addin-port", str(port))
    trusting = ssl.create_default_context(cafile=str(cert))
    try:
        deadline, answer = time.monotonic() + 60, None
        while answer is None and time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"https://127.0.0.1:{port}/taskpane", timeout=5,
                                            context=trusting) as response:
                    answer = (response.status, response.read())
            except OSError:
                time.sleep(0.2)
        with pytest.raises(OSError):  # and not over plain HTTP
            urllib.request.urlopen(f"http://127.0.0.1:{port}/taskpane", timeout=5)
        out, err = run.communicate("", timeout=60)
    finally:
        run.kill()
    assert answer is not None and answer[0] == 200 and b'xw-click="validate_appendix1"' in answer[1]
    assert run.returncode == 0, err[-2000:]
    assert f"https://127.0.0.1:{port}/taskpane" in out
    assert f"sideload https://127.0.0.1:{port}/manifest/download" in out
    assert "HTTPS only" not in out
    assert git("status", "--porcelain", "--untracked-files=all", cwd=clone).stdout == b""  # certs ignored
