"""`sli graph login` (msal's device-code flow against tests/entra_standin.py) and `sli graph check` (against
tests/graph_standin.py): the sign-in kept in a file only its owner can read, then used by every command."""

from __future__ import annotations

import stat

import pytest

import sli
from tests.entra_standin import TENANT, USER_CODE, EntraStandIn
from tests.graph_standin import GraphStandIn

CLIENT_ID = "1b2c3d4e-0000-4000-8000-123456789abc"


@pytest.fixture
def graph(workbook, tmp_path, monkeypatch):
    served = GraphStandIn(workbook)
    monkeypatch.setenv("SLI_WORKBOOK", served.share_url)
    monkeypatch.setenv("SLI_GRAPH_URL", served.url)
    monkeypatch.setenv("SLI_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.delenv("SLI_GRAPH_TOKEN", raising=False)
    yield served
    served.close()


def test_login_by_device_code_keeps_a_private_token_cache_that_later_commands_use(graph, tmp_path, monkeypatch,
                                                                                  capsys):
    entra = EntraStandIn(tmp_path, CLIENT_ID)
    try:
        monkeypatch.setenv("SLI_GRAPH_AUTHORITY", entra.authority)
        monkeypatch.setenv("SLI_GRAPH_CLIENT_ID", CLIENT_ID)
        monkeypatch.setenv("SLI_GRAPH_TENANT_ID", TENANT)
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", entra.cert_path)
        graph.token = entra.access_token
        assert sli.main(["status", "L7"]) == 2
        assert "sli graph login" in capsys.readouterr().err
        assert sli.main(["graph", "login"]) == 0
        out = capsys.readouterr().out
        assert USER_CODE in out and "Signed in as sli-tracker@council.example" in out
        cache = tmp_path / "state" / "msal-token-cache.json"
        assert stat.S_IMODE(cache.stat().st_mode) == 0o600
        assert "urn:ietf:params:oauth:grant-type:device_code" in entra.grants
        grants, discoveries = len(entra.grants), entra.discoveries
        assert sli.main(["status", "L7"]) == 0  # the token from the cache, silently
        assert capsys.readouterr().out.startswith("Ref: L7")
        assert len(graph.graph_requests()) >= 3  # the address resolved, the cTag, the content
        assert len(entra.grants) == grants and entra.discoveries <= discoveries + 1  # no sign-in per request
    finally:
        entra.close()


def test_check_names_the_file_its_sheets_and_whether_it_may_write(graph, capsys, monkeypatch):
    monkeypatch.setenv("SLI_GRAPH_TOKEN", graph.token)
    assert sli.main(["graph", "check"]) == 0
    out = capsys.readouterr().out
    assert "Workbook: Appendix1.xlsx" in out and "Appendix 1, Lists, Leads, Change log" in out
    assert "Writing: allowed" in out
    assert not any(method in ("PATCH", "PUT") for method, _ in graph.requests)  # it writes nothing
    graph.fail("POST", "createSession", 403, "accessDenied")
    assert sli.main(["graph", "check"]) == 1
    out = capsys.readouterr().out
    assert "Writing: not allowed" in out and "Files.ReadWrite.All" in out


def test_graph_commands_on_a_file_say_so_in_one_sentence(workbook, capsys, monkeypatch):
    monkeypatch.setenv("SLI_WORKBOOK", str(workbook))
    assert sli.main(["graph", "check"]) == 2
    err = capsys.readouterr().err
    assert "not a SharePoint or OneDrive address" in err and len(err.strip().splitlines()) == 1
