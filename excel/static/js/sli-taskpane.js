// SLI Tracker task pane: shows what the scripts report. The Python scripts end by calling these
// callbacks (book.app.macro("sliShowFindings")(json) in excel/appendix_scripts.py).
// Text goes in with textContent only: findings quote what people typed.

// Inside Excel the pane is shown; in a browser on its own (Office.onReady() finds no host, or office.js is
// not there) the page says that it runs inside Excel and how to load it (see sli-host.js and taskpane.html).
function showWhereItRuns(inOffice) {
  document.documentElement.classList.toggle("sli-outside-office", !inOffice);
  document.documentElement.dataset.sliHost = inOffice ? "office" : "none";
}

if (typeof Office === "undefined" || !Office.onReady) {
  showWhereItRuns(false);
} else {
  if (globalThis.sliOpenedByOffice === false) {
    showWhereItRuns(false); // until Office.onReady() says otherwise (it may take a while on a busy machine)
  }
  Office.onReady().then(
    (info) => showWhereItRuns(Boolean(info && info.host)),
    () => showWhereItRuns(false),
  );
}

function clear(element) {
  while (element.firstChild) {
    element.removeChild(element.firstChild);
  }
}

async function selectCell(address) {
  await Excel.run(async (context) => {
    const range = context.workbook.worksheets.getItem("Appendix 1").getRange(address);
    range.select();
    await context.sync();
  });
}

async function sliShowFindings(context, reportJson) {
  const report = JSON.parse(reportJson);
  document.getElementById("sli-summary").textContent = report.summary;
  const list = document.getElementById("sli-findings");
  clear(list);
  for (const finding of report.findings) {
    const item = document.createElement("li");
    item.className = `sli-finding sli-finding-${finding.severity}`;
    // The words name the recommendation and field (L18 Next step due); the cell is where the link goes.
    const link = document.createElement("a");
    link.href = "#";
    link.className = "sli-cell";
    link.textContent = finding.where || finding.cell;
    link.title = `Go to ${finding.cell} on Appendix 1`;
    link.dataset.cell = finding.cell;
    link.addEventListener("click", (event) => {
      event.preventDefault();
      selectCell(finding.cell).catch(console.error);
    });
    const text = document.createElement("span");
    text.textContent = `: ${finding.severity}: ${finding.message}`;
    item.append(link, text);
    list.append(item);
  }
}

async function sliShowUpdates(context, reportJson) {
  const report = JSON.parse(reportJson);
  const box = document.getElementById("sli-updates");
  clear(box);
  for (const line of report.lines) {
    const paragraph = document.createElement("div");
    paragraph.textContent = line;
    box.append(paragraph);
  }
  box.classList.remove("d-none");
  if (globalThis.htmx) {
    htmx.trigger(document.body, "sli-refresh");
  }
}

xlwings.registerCallback(sliShowFindings);
xlwings.registerCallback(sliShowUpdates);
