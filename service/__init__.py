"""`sli serve`: the whole tracker as one service a council's IT can host (README, "For IT").

One process, one port, one ASGI app on uvicorn, mounting each front end its settings enable: Slack's
`/slack/events` (or Socket Mode), Teams' `/api/messages`, the Excel add-in (task pane, manifest, scripts),
with `/healthz` and `/readyz` beside them. Each front end is built by its own builder (bot/, bot/teams/,
excel/), so its security is exactly its own command's. Here: the composition (`app.py`), readiness
(`health.py`), the operators' log lines (`logs.py`) and starting and stopping the process (`run.py`).

Why a package of its own and not in bot/ or excel/: it composes both, and it is what IT runs; the front
ends stay usable on their own (`sli bot`, `sli teams`, `sli addin`).
"""
