// Reads a workbook with SheetJS (the npm package `xlsx`, an independent reader) and prints what it found as
// JSON: for each sheet, every cell's type and value, and the row heights in points.
//
//   node tests/read_with_sheetjs.cjs MODULES_FOLDER WORKBOOK
//
// MODULES_FOLDER is where `npm install --prefix` put the package (.venv/node-readers); the test passes it, so
// nothing here depends on where node looks for modules.
"use strict";
const path = require("path");

const [modules, workbook] = process.argv.slice(2);
if (!modules || !workbook) {
  process.stderr.write("usage: node read_with_sheetjs.cjs MODULES_FOLDER WORKBOOK\n");
  process.exit(2);
}
const XLSX = require(path.resolve(modules, "node_modules", "xlsx"));
const book = XLSX.readFile(workbook, { cellStyles: true, cellDates: false });
const sheets = {};
for (const name of book.SheetNames) {
  const sheet = book.Sheets[name];
  const cells = {};
  for (const address of Object.keys(sheet)) {
    if (address[0] === "!") continue;
    cells[address] = { t: sheet[address].t, v: sheet[address].v };
  }
  const heights = {};
  (sheet["!rows"] || []).forEach((row, index) => {
    if (row && row.hpt !== undefined) heights[index + 1] = row.hpt;
  });
  sheets[name] = { cells, heights };
}
process.stdout.write(JSON.stringify({ version: XLSX.version, sheets }));
