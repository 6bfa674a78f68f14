"""Make the README's pictures from the real code, on a copy of the committed workbook.

    .venv/bin/python docs/make_pictures.py

writes
  docs/slack-summary.png  the monthly summary for November 2026 as Slack shows it in a channel
  docs/trend-chart.png    the month-by-month chart posted beside it (its real size: Slack shows it ~360 px wide)
  docs/report-page.png    the first page of the 2026 annual report: the overview, the trend chart and the table
                          by lead organisation (docx, converted to PDF by LibreOffice)

Nothing under workbook/ is touched: the committed workbook is copied to a temporary directory, its
statuses are set back to where they stood on 1 January 2026, a year of realistic updates is made there
through `shared.usecases.submit_update` (each at its own pinned time), and the summary
and the report are built from that copy. The clock is pinned (see `pinned_clock`), so the pictures
come out the same whenever they are made.

Needs: headless Chromium (`apt-get install chromium`), LibreOffice Writer (`apt-get install
libreoffice-writer-nogui`) and pdftotext/pdftoppm (`apt-get install poppler-utils`); the Lato font
(`apt-get install fonts-lato`) is used when installed.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import html
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from zoneinfo import ZoneInfo

from PIL import Image, ImageChops

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
sys.path.insert(0, str(ROOT))

import shared.journal  # noqa: E402
import shared.report  # noqa: E402
import shared.usecases  # noqa: E402
from bot.blocks import summary_message  # noqa: E402
from shared.domain import schema as s  # noqa: E402
from shared.reader import read_appendix  # noqa: E402
from shared.report import write_report  # noqa: E402
from shared.summary import month_figures, status_chart, trend_chart  # noqa: E402
from shared.usecases import Context, Store, submit_update  # noqa: E402
from shared.xlsx import Package, save_atomically  # noqa: E402

LONDON = ZoneInfo("Europe/London")
CHANNEL = "sli-infant-mortality"
WIDTH = 760  # the window; the message itself is 720 CSS pixels wide
SCALE = 2  # device pixels per CSS pixel: sharp on high-density screens, and the chart's labels stay legible


# --- a pinned clock ---------------------------------------------------------------------------

REAL_DATETIME, REAL_DATE = dt.datetime, dt.date
_now = REAL_DATETIME(2026, 11, 1, tzinfo=dt.UTC)


class _SameType(type):
    """isinstance/issubclass against the stand-in answer as for the real class."""

    def __instancecheck__(cls, obj):
        return isinstance(obj, cls.__mro__[1])

    def __subclasscheck__(cls, sub):
        return issubclass(sub, cls.__mro__[1])


class _Datetime(REAL_DATETIME, metaclass=_SameType):
    def __new__(cls, *args, **kwargs):
        return REAL_DATETIME(*args, **kwargs)

    @classmethod
    def now(cls, tz=None):
        return _now.astimezone(tz) if tz else _now.replace(tzinfo=None)

    @classmethod
    def utcnow(cls):
        return _now.replace(tzinfo=None)


class _Date(REAL_DATE, metaclass=_SameType):
    def __new__(cls, *args, **kwargs):
        return REAL_DATE(*args, **kwargs)

    @classmethod
    def today(cls):
        return _now.date()


@contextlib.contextmanager
def pinned_clock():
    """`datetime.now()` and `date.today()` in the modules that stamp updates answer `_now`."""
    patched = [(shared.journal, "datetime", _Datetime), (shared.report, "datetime", _Datetime)]
    saved = [(module, name, getattr(module, name)) for module, name, _ in patched]
    for module, name, value in patched:
        setattr(module, name, value)
    try:
        yield
    finally:
        for module, name, value in saved:
            setattr(module, name, value)


def pinned_context(store: Store) -> Context:
    """The use cases take the time from their context's clock: this one reads the pinned clock."""
    return Context.for_store(store, clock=lambda: _now)


def set_clock(*args: int) -> REAL_DATETIME:
    """Move the pinned clock to a London wall-clock time; return it."""
    global _now
    _now = REAL_DATETIME(*args, tzinfo=LONDON).astimezone(dt.UTC)
    return _now


# --- the month's updates ----------------------------------------------------------------------

#: (London time, ref, changes, by, via): what the leads sent during November 2026.
UPDATES = [
    ((2026, 11, 9, 10, 14), "L2", {s.STATUS: "On track", s.NEXT_STEPS:
        "Specialist stop smoking in pregnancy service live at both hospital sites; review referral "
        "numbers at the January steering group."}, "Maryam Khan", s.VIA_SLACK),
    ((2026, 11, 16, 14, 32), "L7", {s.STATUS: "On track", s.NEXT_STEPS:
        "Peer supporters recruited in Bastwell, Audley and Shadsworth; first drop-in sessions from 12 January."},
     "Joanne Whitworth", s.VIA_SLACK),
    ((2026, 11, 19, 11, 5), "L14", {s.STATUS: "Off track", s.NEXT_STEPS:
        "Social needs questions still missing from the booking template; escalate to the maternity IT board."},
     "Anita Patel", s.VIA_SLACK),
    ((2026, 11, 23, 16, 20), "L20", {s.STATUS: "Complete", s.SUMMARY:
        "Every infant death since April notified to CDOP within the statutory timescale; quarterly themes "
        "now shared with the LSCB."}, "Tom Moss", s.VIA_EXCEL),
    ((2026, 11, 25, 9, 40), "L8", {s.STATUS: "On track", s.NEXT_STEPS:
        "Healthy weight pathway drafted with ELHT dietetics; sign-off at the CCG clinical board.",
        s.DUE: "26/02/2027"}, "Hannah Fielding", s.VIA_SLACK),
    ((2026, 11, 26, 15, 2), "L11", {s.NEXT_STEPS:
        "Second round of mosque and community centre sessions booked for February."}, "Farah Hussain", s.VIA_SLACK),
]


#: Where each recommendation stood on 1 January 2026, typed into the workbook in Excel before the year's
#: updates (so not in the journal); the updates below then bring each to the committed workbook's status.
START_OF_YEAR = {
    "L1": s.NOT_STARTED, "L2": s.NOT_STARTED, "L3": s.ON_TRACK, "L4": s.ON_TRACK, "L5": s.NOT_STARTED,
    "L6": s.NOT_STARTED, "L7": s.ON_TRACK, "L9": s.NOT_STARTED, "L10": s.ON_TRACK, "L11": s.NOT_STARTED,
    "L12": s.NOT_STARTED, "L13": s.ON_TRACK, "L14": s.ON_TRACK, "L16": s.AT_RISK, "L17": s.NOT_STARTED,
    "L18": s.AT_RISK, "L19": s.ON_TRACK, "L20": s.NOT_STARTED, "L22": s.ON_TRACK,
}
#: (London time, ref, new status, by): the status changes sent from January to October 2026.
YEAR = [
    ((2026, 1, 14, 10, 2), "L1", s.ON_TRACK, "Anita Patel"),
    ((2026, 1, 20, 15, 40), "L6", s.ON_TRACK, "Rachel Hughes"),
    ((2026, 2, 3, 9, 15), "L3", s.COMPLETE, "Claire Duckworth"),
    ((2026, 2, 17, 11, 30), "L2", s.ON_TRACK, "Maryam Khan"),
    ((2026, 2, 24, 14, 5), "L9", s.ON_TRACK, "Gareth Shaw"),
    ((2026, 3, 10, 9, 0), "L7", s.AT_RISK, "Joanne Whitworth"),
    ((2026, 3, 18, 16, 20), "L12", s.ON_TRACK, "Nadia Ahmed"),
    ((2026, 3, 25, 10, 45), "L16", s.ON_TRACK, "Karen Hartley"),
    ((2026, 4, 8, 13, 10), "L5", s.ON_TRACK, "Paul Robinson"),
    ((2026, 4, 21, 9, 50), "L13", s.COMPLETE, "Claire Duckworth"),
    ((2026, 5, 6, 11, 0), "L10", s.AT_RISK, "Hannah Fielding"),
    ((2026, 5, 19, 15, 25), "L17", s.ON_TRACK, "Lisa Taylor"),
    ((2026, 6, 2, 10, 10), "L18", s.OFF_TRACK, "David Ashworth"),
    ((2026, 6, 15, 12, 0), "L7", s.OFF_TRACK, "Joanne Whitworth"),
    ((2026, 6, 23, 14, 35), "L11", s.ON_TRACK, "Farah Hussain"),
    ((2026, 7, 7, 9, 30), "L14", s.AT_RISK, "Anita Patel"),
    ((2026, 7, 21, 11, 15), "L22", s.COMPLETE, "Karen Hartley"),
    ((2026, 8, 11, 10, 0), "L19", s.AT_RISK, "Karen Hartley"),
    ((2026, 8, 26, 16, 0), "L16", s.COMPLETE, "Karen Hartley"),
    ((2026, 9, 8, 9, 40), "L2", s.AT_RISK, "Maryam Khan"),
    ((2026, 9, 22, 14, 20), "L4", s.COMPLETE, "Ben Holden"),
    ((2026, 10, 6, 10, 30), "L20", s.ON_TRACK, "Tom Moss"),
    ((2026, 10, 20, 15, 0), "L5", s.AT_RISK, "Lisa Taylor"),
]


def set_start_of_year(store: Store) -> None:
    """The statuses of 1 January, as an officer typed them in Excel (not through the journal)."""
    appendix = read_appendix(store.workbook)
    package = Package(store.workbook)
    package.edit_cells(s.MAIN_SHEET, {appendix.locate(ref, s.STATUS): status for ref, status in START_OF_YEAR.items()})
    save_atomically(package, store.workbook, None, 0)


def prepared_store(tmp: Path) -> Store:
    """A copy of the committed workbook with a year of updates (from the start-of-year statuses), October's
    summary taken, and November's updates made. Months before October have no snapshot: reconstructed."""
    workbook = tmp / "Appendix1.xlsx"
    shutil.copy2(ROOT / "workbook" / "Appendix1.xlsx", workbook)
    store = Store.for_workbook(workbook, journal=tmp / "journal.sqlite")
    set_start_of_year(store)
    set_clock(2025, 12, 15, 11, 0)  # the journal's first record: the tracker went live in December 2025
    ctx = pinned_context(store)
    submit_update(ctx, "L8", {s.NEXT_STEPS: "Scope the healthy weight pathway with ELHT dietetics."},
                  by="Hannah Fielding", via=s.VIA_SLACK)
    for when, ref, status, by in YEAR:
        set_clock(*when)
        result = submit_update(ctx, ref, {s.STATUS: status}, by=by, via=s.VIA_SLACK)
        if result.state != "applied":
            raise SystemExit(f"{ref} was not applied: {result.message}")
    # October's summary, posted on the first working day of November, freezes October's figures.
    month_figures(store, 2026, 10, now=set_clock(2026, 11, 2, 9, 0), freeze=True)
    for when, ref, changes, by, via in UPDATES:
        set_clock(*when)
        result = submit_update(ctx, ref, changes, by=by, via=via)
        if result.state != "applied":
            raise SystemExit(f"{ref} was not applied: {result.message}")
    return store


# --- Slack mrkdwn to HTML ---------------------------------------------------------------------

EMOJI = {  # Slack's circles, drawn rather than left to whatever emoji font the machine has
    ":white_circle:": "#e6e7e8", ":large_green_circle:": "#78b159", ":large_orange_circle:": "#f4900c",
    ":red_circle:": "#dd2e44", ":large_blue_circle:": "#55acee", ":large_yellow_circle:": "#fdcb58",
    ":black_circle:": "#31373d",
}


def _emoji(code: str) -> str:
    colour = EMOJI.get(code)
    if colour is None:
        return html.escape(code)
    edge = "box-shadow: inset 0 0 0 1px #c9cacb;" if colour == "#e6e7e8" else ""
    return f'<span class="emoji" title="{code}" style="background:{colour};{edge}"></span>'


def mrkdwn(text: str) -> str:
    """Slack mrkdwn (bold, italic, strike, code, emoji shortcodes, line breaks) as HTML."""
    kept: list[str] = []

    def keep(fragment: str) -> str:
        kept.append(fragment)
        return f"\x00{len(kept) - 1}\x00"

    text = re.sub(r"`([^`\n]+)`", lambda m: keep(f"<code>{html.escape(m.group(1))}</code>"), text)
    text = re.sub(r":[a-z0-9_+-]+:", lambda m: keep(_emoji(m.group(0))), text)
    text = html.escape(text, quote=False)
    edge_l, edge_r = r"(?<![\w*_~])", r"(?![\w*_~])"
    text = re.sub(edge_l + r"\*(?!\s)([^*\n]+?)(?<!\s)\*" + edge_r, r"<b>\1</b>", text)
    text = re.sub(edge_l + r"_(?!\s)([^_\n]+?)(?<!\s)_" + edge_r, r"<i>\1</i>", text)
    text = re.sub(edge_l + r"~(?!\s)([^~\n]+?)(?<!\s)~" + edge_r, r"<s>\1</s>", text)
    text = re.sub("\x00(\\d+)\x00", lambda m: kept[int(m.group(1))], text)
    return text.replace("\n", "<br>")


def block_html(block: dict) -> str:
    kind = block["type"]
    if kind == "header":
        return f'<div class="header">{html.escape(block["text"]["text"])}</div>'
    if kind == "section":
        parts = []
        if "text" in block:
            text = block["text"]
            body = mrkdwn(text["text"]) if text["type"] == "mrkdwn" else html.escape(text["text"])
            parts.append(f'<div class="section">{body}</div>')
        if "fields" in block:
            parts.append('<div class="fields">' + "".join(
                f"<div>{mrkdwn(f['text'])}</div>" for f in block["fields"]) + "</div>")
        return "".join(parts)
    if kind == "context":
        return '<div class="context">' + " ".join(
            mrkdwn(e["text"]) if e["type"] == "mrkdwn" else html.escape(e.get("text", ""))
            for e in block["elements"]) + "</div>"
    if kind == "divider":
        return "<hr>"
    raise ValueError(f"no rendering for a {kind} block")


def ordinal(day: int) -> str:
    return f"{day}{'th' if 11 <= day % 100 <= 13 else {1: 'st', 2: 'nd', 3: 'rd'}.get(day % 10, 'th')}"


CSS = """
* { box-sizing: border-box; }
html, body { margin: 0; background: #fff; }
body { font-family: Lato, "Slack-Lato", "Helvetica Neue", Helvetica, Arial, "DejaVu Sans", sans-serif;
       font-size: 15px; line-height: 22px; color: #1d1c1d; -webkit-font-smoothing: antialiased; width: 720px; }
.channel { display: flex; align-items: center; height: 49px; padding: 0 20px; border-bottom: 1px solid #e2e2e2;
           font-weight: 900; font-size: 18px; }
.channel .hash { color: #616061; font-weight: 400; margin-right: 4px; font-size: 19px; }
.channel .topic { margin-left: 12px; font-weight: 400; font-size: 13px; color: #616061; }
.divider { position: relative; text-align: center; margin: 14px 0 2px; height: 28px; }
.divider::before { content: ""; position: absolute; left: 0; right: 0; top: 50%; border-top: 1px solid #e2e2e2; }
.divider span { position: relative; display: inline-block; padding: 0 16px; height: 28px; line-height: 26px;
                font-size: 13px; font-weight: 700; border: 1px solid #e2e2e2; border-radius: 24px; background: #fff; }
.message { display: flex; padding: 8px 20px 16px; }
.avatar { flex: 0 0 36px; width: 36px; height: 36px; border-radius: 6px; background: #1f4e78; color: #fff;
          font-weight: 900; font-size: 12px; letter-spacing: .3px; display: flex; align-items: center;
          justify-content: center; margin: 4px 8px 0 0; }
.content { flex: 1; min-width: 0; }
.meta { display: flex; align-items: baseline; }
.name { font-weight: 900; }
.app { margin-left: 4px; padding: 1px 3px; border-radius: 2px; font-size: 10px; line-height: 14px; font-weight: 700;
       background: rgba(29,28,29,.13); color: rgba(29,28,29,.7); position: relative; top: -1px; }
.time { margin-left: 8px; font-size: 12px; color: #616061; }
.header { font-size: 18px; line-height: 26px; font-weight: 900; margin: 4px 0 6px; }
.section { margin: 4px 0 8px; overflow-wrap: break-word; }
.section b, .fields b { font-weight: 700; }
.fields { display: grid; grid-template-columns: 1fr 1fr; gap: 8px 16px; margin: 4px 0 8px; }
.context { font-size: 12px; line-height: 18px; color: #616061; margin: 4px 0 4px; }
.context code { font-size: 11px; }
code { font-family: Monaco, Menlo, Consolas, "DejaVu Sans Mono", monospace; font-size: 12px; color: #e01e5a;
       background: rgba(29,28,29,.04); border: 1px solid rgba(29,28,29,.13); border-radius: 3px;
       padding: 1px 3px 0; }
.emoji { display: inline-block; width: 16px; height: 16px; border-radius: 50%; vertical-align: -2px; margin: 0 1px; }
.files { display: flex; gap: 12px; }
.file { margin-top: 10px; width: 330px; }  /* about the width Slack previews an image at */
.file .title { font-size: 13px; color: #616061; margin-bottom: 4px; }
.file .title .chev { font-size: 9px; margin-left: 4px; }
.file img { display: block; width: 100%; border: 1px solid rgba(29,28,29,.13); border-radius: 8px; }
"""


def slack_page(message: dict, charts: list[tuple[Path, str]], posted: REAL_DATETIME) -> str:
    local = posted.astimezone(LONDON)
    day = f"{local:%A}, {local:%B} {ordinal(local.day)}"
    clock = f"{local.hour % 12 or 12}:{local:%M} {'AM' if local.hour < 12 else 'PM'}"
    blocks = "\n".join(block_html(b) for b in message["blocks"])
    files = "".join(f'<div class="file"><div class="title">{html.escape(title)}<span class="chev">&#9660;</span>'
                    f'</div><img src="{chart.name}" alt="{html.escape(title)}"></div>' for chart, title in charts)
    return f"""<!doctype html>
<html><head><meta charset="utf-8"><style>{CSS}</style></head><body>
<div class="channel"><span class="hash">#</span>{CHANNEL}
  <span class="topic">Monthly summaries and updates of the Appendix 1 recommendations</span></div>
<div class="divider"><span>{day}</span></div>
<div class="message">
  <div class="avatar">SLI</div>
  <div class="content">
    <div class="meta"><span class="name">SLI Tracker</span><span class="app">APP</span>
      <span class="time">{clock}</span></div>
{blocks}
    <div class="files">{files}</div>
  </div>
</div>
</body></html>
"""


# --- rendering --------------------------------------------------------------------------------

def find_program(*names: str) -> str:
    for name in names:
        if path := shutil.which(name):
            return path
    raise SystemExit(f"Needs {names[0]}: install it (see this script's docstring).")


def screenshot(page: Path, output: Path, tmp: Path, height: int = 3000) -> None:
    chromium = find_program("chromium", "chromium-browser", "google-chrome")
    subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                    "--disable-component-update", "--no-first-run", "--hide-scrollbars",
                    f"--force-device-scale-factor={SCALE}",
                    f"--user-data-dir={tmp / 'chromium-profile'}", f"--window-size={WIDTH},{height}",
                    f"--screenshot={output}", page.as_uri()],
                   check=True, capture_output=True, timeout=120)


def crop_to_content(image: Image.Image, width: int, margin: int, background=(255, 255, 255)) -> Image.Image:
    """The page's top-left `width` pixels across, down to the last non-white row plus `margin`."""
    image = image.convert("RGB")
    box = ImageChops.difference(image, Image.new("RGB", image.size, background)).getbbox()
    if box is None:
        raise SystemExit("The screenshot is blank.")
    return image.crop((0, 0, min(width, image.width), min(image.height, box[3] + margin)))


def save_png(image: Image.Image, path: Path, limit: int = 300_000) -> None:
    """Save, and fall back to a 256-colour palette if the full-colour file is too big for the README."""
    image.save(path, optimize=True)
    if path.stat().st_size > limit:
        image.quantize(256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE).save(path, optimize=True)
    print(f"{path.relative_to(ROOT)}: {image.width}x{image.height}, {path.stat().st_size // 1024} KB")


def make_slack_summary(store: Store, tmp: Path) -> None:
    posted = set_clock(2026, 12, 1, 9, 0)  # the first working day of December, when the summary goes out
    figures = month_figures(store, 2026, 11, now=posted)
    message = summary_message(figures)
    chart = tmp / f"sli-summary-{figures.month}.png"
    chart.write_bytes(status_chart(figures))
    trend = tmp / f"sli-trend-{figures.month}.png"
    trend.write_bytes(trend_chart(figures))
    save_png(Image.open(trend), DOCS / "trend-chart.png")
    page = tmp / "slack-summary.html"
    page.write_text(slack_page(message, [(chart, f"SLI statuses by lead organisation, {figures.month}"),
                                         (trend, f"SLI statuses by month, to {figures.month}")], posted),
                    encoding="utf-8")
    shot = tmp / "slack-summary-full.png"
    screenshot(page, shot, tmp)
    save_png(crop_to_content(Image.open(shot), 720 * SCALE, 12 * SCALE), DOCS / "slack-summary.png")


TABLE_HEADING = "Overview"  # page 1: the words, the month-by-month chart and the table by lead organisation


def make_report_page(store: Store, tmp: Path) -> None:
    """The report's first page: how the position moved over the year (chart) and who is behind (by lead)."""
    set_clock(2027, 1, 11, 10, 0)  # the annual report for 2026, written early in the new year
    docx = write_report(store, 2026, "docx", tmp / "report.docx")
    soffice = find_program("soffice", "libreoffice")
    subprocess.run([soffice, f"-env:UserInstallation={(tmp / 'lo-profile').as_uri()}", "--headless",
                    "--convert-to", "pdf", "--outdir", str(tmp), str(docx)],
                   check=True, capture_output=True, timeout=300)
    pdf = tmp / "report.pdf"
    if not pdf.exists():
        raise SystemExit("LibreOffice made no PDF: is Writer installed (apt-get install libreoffice-writer-nogui)?")
    pdftotext = find_program("pdftotext")
    page = 1
    while TABLE_HEADING not in subprocess.run([pdftotext, "-f", str(page), "-l", str(page), str(pdf), "-"],
                                              check=True, capture_output=True, text=True).stdout:
        page += 1
        if page > 10:
            raise SystemExit(f"No page of the report has the heading '{TABLE_HEADING}'.")
    pdftoppm = find_program("pdftoppm")
    subprocess.run([pdftoppm, "-png", "-r", "80", "-f", str(page), "-l", str(page), "-singlefile", str(pdf),
                    str(tmp / "page")], check=True, capture_output=True, timeout=120)
    page_image = Image.open(tmp / "page.png").convert("RGB")
    pad = 12  # the page on a grey desk, with a hairline edge
    sheet = Image.new("RGB", (page_image.width + 2 * pad, page_image.height + 2 * pad), (232, 234, 237))
    sheet.paste(Image.new("RGB", (page_image.width + 2, page_image.height + 2), (190, 193, 198)), (pad - 1, pad - 1))
    sheet.paste(page_image, (pad, pad))
    save_png(sheet, DOCS / "report-page.png")


def main() -> None:
    os.environ.pop("SLI_JOURNAL", None)
    DOCS.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="sli-pictures-") as name, pinned_clock():
        tmp = Path(name)
        store = prepared_store(tmp)
        make_slack_summary(store, tmp)
        make_report_page(store, tmp)


if __name__ == "__main__":
    main()
