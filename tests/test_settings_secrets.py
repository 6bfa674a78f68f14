"""Secrets stay out of the settings' printed form: a settings object ends up in a log line or a traceback
(`logging.debug("%s", settings)`, an error report), and a Slack token, signing secret, Teams client secret,
Graph token or xlwings licence key there would be a leak."""

from __future__ import annotations

import logging

from shared.settings import Settings

SECRETS = {"SLACK_BOT_TOKEN": "xoxb-secret-bot-token-123", "SLACK_SIGNING_SECRET": "signing-secret-456",
           "SLACK_APP_TOKEN": "xapp-secret-app-token-789", "SLI_TEAMS_CLIENT_SECRET": "teams-client-secret-abc",
           "SLI_TEAMS_CLIENT_ID": "1b2c3d4e-0000-4000-8000-123456789abc",
           "SLI_TEAMS_TENANT_ID": "council.onmicrosoft.com", "XLWINGS_LICENSE_KEY": "xlwings-paid-key-def"}


def test_no_secret_is_in_the_settings_repr_or_a_log_line(tmp_path, caplog) -> None:
    settings = Settings.from_env(tmp_path / "Appendix1.xlsx", env=dict(SECRETS))
    assert settings.bot_token == SECRETS["SLACK_BOT_TOKEN"]  # read, and kept for use
    assert settings.teams.client_secret == SECRETS["SLI_TEAMS_CLIENT_SECRET"]
    assert settings.xlwings.license_key == SECRETS["XLWINGS_LICENSE_KEY"]
    with caplog.at_level(logging.INFO):
        logging.getLogger("sli.test").info("settings: %s", settings)
    shown = repr(settings) + str(settings) + caplog.text
    assert "Appendix1.xlsx" in shown  # what is not secret still shows
    for name, secret in SECRETS.items():
        if "SECRET" in name or "TOKEN" in name or "KEY" in name:
            assert secret not in shown, name
