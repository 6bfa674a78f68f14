"""Makes docs/taskpane.png, the picture of the add-in's task pane in the README.

    .venv/bin/python docs/taskpane_picture.py [docs/taskpane.png]

Office.js runs only inside Excel, so outside it the live task pane shows xlwings' "The add-in didn't load
properly" overlay. This serves the add-in (127.0.0.1, no sign-in) for a copy of the committed workbook with
two partner-lead updates waiting, runs the real `validate_appendix1` script over HTTP on a copy of the
workbook with a few mistakes typed in, and takes a headless-Chromium screenshot of a static copy of the
task pane: the page's own HTML and CSS, the pending count from `/sli/pending`, and the findings drawn by
the pane's own `sli-taskpane.js` from that script's reply, with the Office.js and xlwings scripts left out.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from excel import server as addin_server  # noqa: E402

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _sample(folder: Path) -> Path:
    """A copy of the committed workbook, open in Excel, with two updates from partner leads waiting."""
    from shared.owner import write_owner_file
    from shared.updates import Store, submit_update

    workbook = folder / "Appendix1.xlsx"
    shutil.copy2(ROOT / "workbook" / "Appendix1.xlsx", workbook)
    write_owner_file(workbook, "Helen Lowey")
    store = Store.for_workbook(workbook)
    submit_update(store, "L7", {"Status": "At risk"}, by="Aisha Khan", via="Slack")
    submit_update(store, "L2", {"Next steps": "Options paper to the January board"}, by="Sam Jones", via="Slack")
    return workbook


def _findings(base: str, workbook: Path) -> str:
    """The JSON the real validate_appendix1 script hands the task pane, for a workbook with mistakes."""
    import httpx

    from excel.officejs_payload import OfficeJsStandIn, set_cell

    excel = OfficeJsStandIn.for_workbook(workbook)
    set_cell(excel.payload, "Appendix 1", "F5", "Amber")
    set_cell(excel.payload, "Appendix 1", "H8", "")
    set_cell(excel.payload, "Appendix 1", "I9", date.today() - timedelta(days=12))
    set_cell(excel.payload, "Appendix 1", "H10", "+44 1254 000000: call the midwives")
    response = httpx.post(f"{base}/xlwings/custom-scripts-call/validate_appendix1", json=excel.request())
    response.raise_for_status()
    excel.apply(response.json())
    return next(args[0] for name, args in excel.callbacks if name == "sliShowFindings")


def _static_pane(base: str, findings: str) -> str:
    import httpx

    page = httpx.get(f"{base}/taskpane").text
    pending = httpx.get(f"{base}/sli/pending").text
    page = re.sub(r"<script\b[^>]*>.*?</script>", "", page, flags=re.DOTALL)
    page = re.sub(r'(<div\s+id="sli-pending"[^>]*>).*?(</div>)', lambda m: m.group(1) + pending + m.group(2),
                  page, count=1, flags=re.DOTALL)
    stub = ("<script>globalThis.xlwings = {registerCallback(f) { globalThis[f.name] = f; }};</script>"
            '<script type="module" src="/static/js/sli-taskpane.js"></script>'
            f'<script type="module">await sliShowFindings(null, {json.dumps(findings)});</script>')
    return page.replace("</head>", stub + "</head>", 1)


def main(target: Path) -> Path:
    folder = Path(tempfile.mkdtemp(prefix="sli-taskpane-"))
    try:
        os.environ["SLI_WORKBOOK"] = str(_sample(folder))
        app = addin_server.build_app(local=True)
        import uvicorn
        import xlwings_server.main as xlwings_main
        from fastapi.responses import HTMLResponse

        port = _free_port()
        base = f"http://127.0.0.1:{port}"
        html: dict[str, str] = {}

        @xlwings_main.app.get("/taskpane-picture")  # this process only: same origin for the module scripts
        async def picture():
            return HTMLResponse(html["page"])

        server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        while not server.started:
            time.sleep(0.05)
        html["page"] = _static_pane(base, _findings(base, Path(os.environ["SLI_WORKBOOK"])))
        target.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                        "--disable-component-update", "--no-first-run", "--hide-scrollbars",
                        "--virtual-time-budget=3000", f"--screenshot={target}", "--window-size=350,700",
                        f"{base}/taskpane-picture"], check=True, capture_output=True, timeout=120)
        server.should_exit = True
        thread.join(timeout=10)
        return target
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    print(main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs" / "taskpane.png"))
