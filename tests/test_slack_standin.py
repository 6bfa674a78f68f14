"""Proves tests/slack_standin.py against the real slack_sdk WebClient and a real slack_bolt App."""

from __future__ import annotations

import json
import threading
import time
import urllib.request

import pytest
from slack_bolt import App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler
from slack_standin import BoltHTTP, SlackStandIn, serve_bolt, sign

SECRET = "test-signing-secret"
PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
    b"\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82"
)


@pytest.fixture
def slack():
    with SlackStandIn() as standin:
        yield standin


@pytest.fixture
def client(slack: SlackStandIn) -> WebClient:
    return WebClient(token="xoxb-test", base_url=slack.base_url)


def test_base_url_is_loopback_and_ends_with_slash(slack: SlackStandIn) -> None:
    assert slack.base_url == f"http://127.0.0.1:{slack.port}/api/"
    assert slack.response_url("abc") == f"http://127.0.0.1:{slack.port}/response/abc"


def test_auth_test_and_bearer_token_recorded(slack: SlackStandIn, client: WebClient) -> None:
    resp = client.auth_test()
    assert resp["user_id"] == "UBOT" and resp["bot_id"] == "BBOT" and resp["team_id"] == "T1"
    (call,) = slack.calls("auth.test")
    assert call["headers"]["Authorization"] == "Bearer xoxb-test"


def test_token_check_rejects_wrong_token(client: WebClient) -> None:
    with SlackStandIn(token="xoxb-right") as strict:
        ok = WebClient(token="xoxb-right", base_url=strict.base_url).auth_test()
        assert ok["ok"]
        with pytest.raises(SlackApiError) as err:
            WebClient(token="xoxb-wrong", base_url=strict.base_url).auth_test()
        assert err.value.response["error"] == "invalid_auth"


def test_post_message_with_blocks_json_body_and_increasing_ts(slack: SlackStandIn, client: WebClient) -> None:
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "*Hello*"}}]
    first = client.chat_postMessage(channel="C1", text="Hello", blocks=blocks)
    second = client.chat_postMessage(channel="C1", text="Again")
    assert first["ok"] and first["channel"] == "C1"
    assert float(second["ts"]) > float(first["ts"])
    call = slack.calls("chat.postMessage")[0]
    assert call["args"]["blocks"] == blocks and call["args"]["text"] == "Hello"
    assert call["headers"]["Content-Type"].startswith("application/json")


def test_form_encoded_json_fields_are_decoded(slack: SlackStandIn, client: WebClient) -> None:
    blocks = [{"type": "divider"}]
    client.api_call("chat.postMessage", params={"channel": "C1", "text": "x", "blocks": json.dumps(blocks)})
    call = slack.calls("chat.postMessage")[0]
    assert call["headers"]["Content-Type"] == "application/x-www-form-urlencoded"
    assert call["args"]["blocks"] == blocks


def test_views_open_then_update_with_hash(slack: SlackStandIn, client: WebClient) -> None:
    view = {
        "type": "modal",
        "callback_id": "edit",
        "title": {"type": "plain_text", "text": "Edit"},
        "blocks": [],
    }
    opened = client.views_open(trigger_id="123.456.abc", view=view)["view"]
    assert opened["id"].startswith("V") and opened["hash"].startswith("h") and opened["callback_id"] == "edit"
    updated = client.views_update(
        view_id=opened["id"], hash=opened["hash"], view={**view, "blocks": [{"type": "divider"}]}
    )
    assert updated["view"]["id"] == opened["id"] and updated["view"]["hash"] != opened["hash"]
    with pytest.raises(SlackApiError) as err:  # the old hash is stale now
        client.views_update(view_id=opened["id"], hash=opened["hash"], view=view)
    assert err.value.response["error"] == "hash_conflict"
    assert slack.calls("views.open")[0]["args"]["view"]["callback_id"] == "edit"


def test_misc_methods(slack: SlackStandIn, client: WebClient) -> None:
    assert client.conversations_open(users="U9")["channel"]["id"] == "DU9"
    user = client.users_info(user="U9")["user"]
    assert user["real_name"] == "User U9" and user["profile"]["real_name"] == "User U9"
    assert client.chat_postEphemeral(channel="C1", user="U9", text="psst")["message_ts"]
    assert client.chat_update(channel="C1", ts="1.000001", text="new")["ts"] == "1.000001"
    assert client.views_publish(user_id="U9", view={"type": "home", "blocks": []})["view"]["type"] == "home"
    assert client.reactions_add(channel="C1", timestamp="1.000001", name="eyes")["ok"]
    assert [c["method"] for c in slack.calls()][-1] == "reactions.add"
    slack.set_response(
        "users.info", lambda args: {"ok": True, "user": {"id": args["user"], "real_name": "Ann"}}
    )
    assert client.users_info(user="U1")["user"]["real_name"] == "Ann"


def test_files_upload_v2_three_steps(slack: SlackStandIn, client: WebClient) -> None:
    resp = client.files_upload_v2(
        content=PNG, filename="chart.png", title="Chart", channel="C1", initial_comment="monthly"
    )
    file_id = resp["file"]["id"]
    assert slack.uploads[file_id] == PNG
    assert [c["method"] for c in slack.calls()] == [
        "files.getUploadURLExternal",
        "upload",
        "files.completeUploadExternal",
    ]
    get_url = slack.calls("files.getUploadURLExternal")[0]["args"]
    assert get_url["filename"] == "chart.png" and get_url["length"] == str(len(PNG))
    complete = slack.calls("files.completeUploadExternal")[0]["args"]
    assert complete["files"] == [{"id": file_id, "title": "Chart"}] and complete["channel_id"] == "C1"
    assert resp["file"]["size"] == len(PNG) and resp["file"]["channels"] == ["C1"]


def test_rate_limit_retried_by_handler(slack: SlackStandIn) -> None:
    retrying = WebClient(
        token="xoxb-test",
        base_url=slack.base_url,
        retry_handlers=[RateLimitErrorRetryHandler(max_retry_count=1)],
    )
    slack.fail_next("chat.postMessage", retry_after=0)
    assert retrying.chat_postMessage(channel="C1", text="hi")["ok"]
    assert [c["status"] for c in slack.calls("chat.postMessage")] == [429, 200]


def test_rate_limit_without_handler_raises(slack: SlackStandIn, client: WebClient) -> None:
    slack.fail_next("chat.postMessage", retry_after=3)
    with pytest.raises(SlackApiError) as err:
        client.chat_postMessage(channel="C1", text="hi")
    assert err.value.response.status_code == 429
    assert err.value.response.headers["Retry-After"] == "3"
    assert err.value.response["error"] == "ratelimited"
    assert client.chat_postMessage(channel="C1", text="hi")["ok"]  # only the next call failed


def test_wait_for_and_reset(slack: SlackStandIn, client: WebClient) -> None:
    threading.Timer(0.1, lambda: client.chat_postMessage(channel="C1", text="later")).start()
    assert slack.wait_for("chat.postMessage", timeout=3)[0]["args"]["text"] == "later"
    with pytest.raises(AssertionError):
        slack.wait_for("chat.postMessage", count=2, timeout=0.2)
    slack.reset()
    assert slack.calls() == [] and slack.uploads == {}


def test_response_url_recorded(slack: SlackStandIn) -> None:
    body = json.dumps({"text": "done", "response_type": "ephemeral"}).encode()
    req = urllib.request.Request(
        slack.response_url("abc"), data=body, headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(req, timeout=5) as resp:
        assert resp.status == 200
    (call,) = slack.calls("response_url")
    assert (
        call["args"]["text"] == "done" and call["args"]["_key"] == "abc" and call["path"] == "/response/abc"
    )


def test_sign_matches_slack_sdk_verifier() -> None:
    from slack_sdk.signature import SignatureVerifier

    body = b"token=x&text=hello"
    headers = sign(SECRET, body)
    verifier = SignatureVerifier(SECRET)
    assert verifier.is_valid(body, headers["X-Slack-Request-Timestamp"], headers["X-Slack-Signature"])
    assert not SignatureVerifier("other").is_valid(
        body, headers["X-Slack-Request-Timestamp"], headers["X-Slack-Signature"]
    )


@pytest.fixture
def bolt(slack: SlackStandIn):
    app = App(signing_secret=SECRET, client=WebClient(token="xoxb-test", base_url=slack.base_url))
    seen: dict[str, object] = {}

    @app.command("/sli")
    def sli(ack, respond, command):
        ack("pong")
        if command["text"] == "later":
            respond("done later")

    @app.action("approve")
    def approve(ack, body):
        ack()
        seen["action_user"] = body["user"]["id"]

    @app.event("app_mention")
    def mention(event, say, request):
        seen["retry_num"] = request.headers.get("x-slack-retry-num", [None])[0]
        say(f"hi <@{event['user']}>")

    url, stop = serve_bolt(app)
    try:
        yield BoltHTTP(url, SECRET, standin=slack), seen
    finally:
        stop()


def test_bolt_app_called_auth_test(slack: SlackStandIn, bolt) -> None:
    assert slack.calls("auth.test")


def test_bolt_signed_command_acks_pong(bolt) -> None:
    http, _ = bolt
    assert http.command("/sli", text="ping") == (200, "pong")


def test_bolt_rejects_bad_signature_and_stale_timestamp(bolt) -> None:
    http, _ = bolt
    assert http.command("/sli", bad_signature=True)[0] == 401
    assert http.command("/sli", timestamp=int(time.time()) - 360)[0] == 401


def test_bolt_respond_goes_to_standin_response_url(slack: SlackStandIn, bolt) -> None:
    http, _ = bolt
    assert http.command("/sli", text="later", response_url=slack.response_url("abc")) == (200, "pong")
    (call,) = slack.wait_for("response_url")
    assert call["args"]["text"] == "done later" and call["path"] == "/response/abc"


def test_bolt_interactive_and_event_with_retry_headers(slack: SlackStandIn, bolt) -> None:
    http, seen = bolt
    payload = {
        "type": "block_actions",
        "team": {"id": "T1", "domain": "sli-test"},
        "user": {"id": "U7", "team_id": "T1"},
        "api_app_id": "A1",
        "trigger_id": "1.2.abc",
        "channel": {"id": "C1"},
        "actions": [{"action_id": "approve", "block_id": "b1", "type": "button", "value": "yes"}],
    }
    assert http.interactive(payload)[0] == 200
    event = {
        "type": "app_mention",
        "user": "U7",
        "text": "<@UBOT> hi",
        "channel": "C1",
        "ts": "1.000001",
        "event_ts": "1.000001",
    }
    assert http.event(event, event_id="Ev42", retry_num=1)[0] == 200
    (posted,) = slack.wait_for("chat.postMessage")
    assert posted["args"]["text"] == "hi <@U7>" and posted["args"]["channel"] == "C1"
    assert seen == {"action_user": "U7", "retry_num": "1"}


def test_a_delayed_method_answers_late_and_others_at_once(slack: SlackStandIn, client: WebClient) -> None:
    slack.delay("chat.postMessage", 1.5)
    done = threading.Event()
    started = time.monotonic()
    threading.Thread(target=lambda: (client.chat_postMessage(channel="C1", text="hi"), done.set())).start()
    slack.wait_for("chat.postMessage")  # recorded on arrival, before the wait
    assert client.auth_test()["ok"] and not done.is_set()
    assert done.wait(10) and time.monotonic() - started >= 1.5
