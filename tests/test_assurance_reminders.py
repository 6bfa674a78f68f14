"""The scheduler's assurance reminders (`MonthlyJobs.assurance_tick`), posted to the Slack stand-in and, through
the real Teams app, to the connector stand-in: claims waiting over 14 days nudge their holders (with the
claim's buttons), items sent back nudge their leads (with the reason); each person once a week."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from slack_sdk import WebClient
from slack_standin import SlackStandIn
from test_assurance_teams import DPH as DPH_ENTRA
from test_assurance_teams import LSCB_CHAIR as LSCB_ENTRA
from test_assurance_teams import (
    _chat,
    _in_chat,
    teams,  # noqa: F401 (the fixture)
)
from test_teams import Harness, unescaped

import sli
from bot.scheduler import MonthlyJobs
from shared import usecases
from shared.settings import Settings

DPH, LSCB_CHAIR = "U07SLI0019", "U07SLI0020"
L5_LEADS = {"U07SLI0008", "U07SLI0009"}  # Paul Robinson, Lisa Taylor: leads of BwD Council Children's Services
REASON = "Only one ward audited <!channel>"


def _send_back_l5(workbook: Path) -> None:
    """A claim on L5 made and sent back from the command line (no chat to tell: its leads are nudged)."""
    assert sli.main(["--workbook", str(workbook), "update", "L5", "--status", "Complete", "--evidence",
                     "Pathway agreed", "--by", "Paul Robinson"]) == 0
    assert sli.main(["--workbook", str(workbook), "send-back", "L5", "--by", "Margaret Pearson",
                     "--reason", REASON]) == 0


def test_slack_nudges_holders_of_old_claims_and_leads_of_items_sent_back(workbook: Path) -> None:
    _send_back_l5(workbook)
    with SlackStandIn() as standin:
        client = WebClient(token="xoxb-test", base_url=standin.base_url)
        jobs = MonthlyJobs(usecases.context(Settings(workbook=workbook)), client, "")
        now = datetime(2027, 1, 13, 9, 30, tzinfo=UTC)  # a Wednesday: the week key is the tick's
        said = jobs.assurance_tick(now)
        posts = [c["args"] for c in standin.calls("chat.postMessage")]
        by_channel = {p["channel"]: p for p in posts}
        # L3 (Director of Public Health) and L22 (LSCB Chair) were claimed months ago in the committed workbook.
        assert "L3 has waited for assurance" in by_channel[DPH]["text"]
        assert "L22 has waited for assurance" in by_channel[LSCB_CHAIR]["text"]
        assert any(b["type"] == "actions" for b in by_channel[DPH]["blocks"])
        for lead in L5_LEADS:
            assert "L5 was sent back" in by_channel[lead]["text"]
            assert "&lt;!channel&gt;" in json.dumps(by_channel[lead]) and "<!channel>" not in json.dumps(posts)
        assert said == [f"{len(posts)} assurance reminders sent (Slack)."]
        # Later the same week: no one is nudged twice.
        assert jobs.assurance_tick(now + timedelta(days=2)) == ["0 assurance reminders sent (Slack)."]
        assert len(standin.calls("chat.postMessage")) == len(posts)
        # The next week, nudged again.
        assert jobs.assurance_tick(now + timedelta(days=7)) == said


def test_teams_nudges_the_holders_in_their_personal_chat(teams: Harness) -> None:  # noqa: F811
    jobs = MonthlyJobs(teams.bot.store, None, "", teams=teams.bot.destination())
    said = jobs.assurance_tick(datetime.now(UTC))
    assert said and said[0].endswith("(Teams).") and not said[0].startswith("0 ")
    l3 = _in_chat(teams, DPH_ENTRA, "L3 has waited for assurance")
    assert _in_chat(teams, LSCB_ENTRA, "L22 has waited for assurance")
    assert "sli_assure" in unescaped(json.dumps(l3)) and l3["conversation"]["id"] == _chat(DPH_ENTRA)
