"""Make the README's pictures from the real code, on a fresh copy of the committed workbook with the trial
copy's year of history.

    .venv/bin/python docs/make_pictures.py

writes
  docs/slack-summary.png  the monthly summary for November 2026 as Slack shows it in a channel
  docs/trend-chart.png    the month-by-month chart posted beside it (its real size: Slack shows it ~360 px wide)
  docs/report-page.png    the first page of the 2026 annual report: the overview, the trend chart and the table
                          by lead organisation (docx, converted to PDF by LibreOffice)

Nothing under workbook/ is touched: the committed workbook is copied to a temporary directory and given the
illustrative year `make run` gives the trial copy (`shared.usecases.add_sample_history`: every update made
through `submit_update` at its own pinned time, the summaries of August to November frozen when posted). The
summary is then made as the bot posts it on 1 December 2026 and the report as written on 11 January 2027,
through the use cases with the context's clock stopped at those moments (`Context.at`), so the pictures come
out the same whenever they are made.

Needs: headless Chromium (`apt-get install chromium`), LibreOffice Writer (`apt-get install
libreoffice-writer-nogui`) and pdftotext/pdftoppm (`apt-get install poppler-utils`); the Lato font
(`apt-get install fonts-lato`) is used when installed.
"""

from __future__ import annotations

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

from bot.blocks import summary_message  # noqa: E402
from shared import usecases  # noqa: E402
from shared.usecases import Context, Store  # noqa: E402
from shared.usecases.reporting import status_chart, trend_chart  # noqa: E402

LONDON = ZoneInfo("Europe/London")
CHANNEL = "sli-infant-mortality"
WIDTH = 760  # the window; the message itself is 720 CSS pixels wide
SCALE = 2  # device pixels per CSS pixel: sharp on high-density screens, and the chart's labels stay legible


def london(*args: int) -> dt.datetime:
    """A London wall-clock time, aware."""
    return dt.datetime(*args, tzinfo=LONDON)


def prepared_context(tmp: Path) -> Context:
    """A copy of the committed workbook with the trial copy's year of history (its own journal, beside it)."""
    workbook = tmp / "Appendix1.xlsx"
    shutil.copy2(ROOT / "workbook" / "Appendix1.xlsx", workbook)
    ctx = usecases.context(Store.for_workbook(workbook))
    usecases.add_sample_history(ctx)
    return ctx


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


def slack_page(message: dict, charts: list[tuple[Path, str]], posted: dt.datetime) -> str:
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


def make_slack_summary(ctx: Context, tmp: Path) -> None:
    posted = london(2026, 12, 1, 9, 0)  # the first working day of December, when the summary goes out
    figures = usecases.month_figures(ctx.at(posted), 2026, 11)  # November's, frozen when it was posted
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


def make_report_page(ctx: Context, tmp: Path) -> None:
    """The report's first page: how the position moved over the year (chart) and who is behind (by lead)."""
    # The annual report for 2026, written early in the new year.
    docx = usecases.write_report(ctx.at(london(2027, 1, 11, 10, 0)), 2026, "docx", tmp / "report.docx")
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
    with tempfile.TemporaryDirectory(prefix="sli-pictures-") as name:
        tmp = Path(name)
        ctx = prepared_context(tmp)
        make_slack_summary(ctx, tmp)
        make_report_page(ctx, tmp)


if __name__ == "__main__":
    main()
