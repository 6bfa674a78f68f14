// A stand-in for Office.js (Microsoft's office.js inside Excel), for the task-pane browser tests.
//
// The task pane of the SLI Tracker add-in runs xlwings' real JavaScript client (served by xlwings Server:
// custom-scripts/index.js, custom-functions-code.js, alerts/parent.js, ...). That client talks to Excel
// only through the Office.js objects below. tests/test_taskpane_browser.py routes the URL the task pane
// loads Office.js from to this file, preceded by one line that sets
// `globalThis.__SLI_WORKBOOK__` to a workbook exported from the real .xlsx (values as Excel reports them:
// dates as serial numbers with their number format, "" for empty cells; fills; quote prefixes).
//
// What is implemented is what xlwings' client calls (listed by reading its static/js folder):
//   Office.onReady, Office.context.requirements.isSetSupported, Office.context.ui.displayDialogAsync
//   (xlwings' alerts), Office.context.platform/diagnostics, Office.actions.associate (the ribbon's Validate);
//   Excel.run, new Excel.RequestContext, context.sync, context.workbook (name, worksheets, names,
//   application.calculationMode, getSelectedRange), worksheets (items, getItem, getItemOrNullObject,
//   getActiveWorksheet, add), worksheet (name, position, visibility, showGridlines, getRange,
//   getRangeByIndexes, getUsedRangeOrNullObject, getRanges().clear, pageLayout.getPrintAreaOrNullObject,
//   notes, tables, charts, shapes, pivotTables, names), range (address, rowCount, columnCount, values,
//   numberFormat, formulas, format.fill.color/clear, select, clear), application.cultureInfo;
//   CustomFunctions.associate, with cells holding =SLI.CHECK(...) computed by calling the associated
//   function, as Excel does.
// Everything is evaluated at once (load() and sync() only keep the call shapes); a property or method
// the client reads or sets that this file does not implement is recorded in OfficeStandIn.unknown, which the tests
// require to stay empty, so a new xlwings client that needs more of Office.js fails loudly here.
//
// Excel's own behaviour copied where the add-in depends on it: text set through `values` is parsed as
// Excel parses typed text (a leading apostrophe is the quote prefix and is not shown; `=`, `+`, `-` start
// a formula; numbers and dates become numbers), dates read back as serial numbers, fills as "#RRGGBB".
(function () {
  "use strict";

  const exported = globalThis.__SLI_WORKBOOK__ || { name: "Book1.xlsx", sheets: [{ name: "Sheet1", cells: {} }] };
  const state = {
    name: exported.name,
    sheets: exported.sheets.map((sheet) => ({
      name: sheet.name,
      cells: new Map(Object.entries(sheet.cells || {}).map(([address, cell]) => [address, { ...cell }])),
    })),
    active: 0,
    selection: { sheet: exported.sheets[0].name, address: "A1" },
  };
  const dialogs = [];
  const unknown = new Set();
  const functions = new Map();
  const calculations = new Set();
  const ribbonActions = new Map();

  // --- addresses --------------------------------------------------------------------------------
  function columnLetter(index) {
    let letters = "";
    for (let n = index + 1; n > 0; n = Math.floor((n - 1) / 26)) {
      letters = String.fromCharCode(65 + ((n - 1) % 26)) + letters;
    }
    return letters;
  }
  function columnIndex(letters) {
    let n = 0;
    for (const char of letters.toUpperCase()) n = n * 26 + char.charCodeAt(0) - 64;
    return n - 1;
  }
  function cellName(row, col) {
    return `${columnLetter(col)}${row + 1}`;
  }
  function parseCell(text) {
    const match = /^\$?([A-Za-z]{1,3})\$?(\d+)$/.exec(text);
    if (!match) throw officeError("InvalidArgument", `Not a cell address: ${text}`);
    return [Number(match[2]) - 1, columnIndex(match[1])];
  }
  function parseArea(address) {
    const local = address.includes("!") ? address.split("!").pop() : address;
    const [first, last] = local.split(":");
    const [r0, c0] = parseCell(first);
    const [r1, c1] = last ? parseCell(last) : [r0, c0];
    return { row: Math.min(r0, r1), col: Math.min(c0, c1), rows: Math.abs(r1 - r0) + 1, cols: Math.abs(c1 - c0) + 1 };
  }
  function quotedSheet(name) {
    return /^[A-Za-z_][A-Za-z0-9_.]*$/.test(name) ? name : `'${name.replace(/'/g, "''")}'`;
  }
  function officeError(code, message) {
    const error = new Error(message);
    error.code = code;
    error.name = "RichApi.Error";
    return error;
  }

  // --- Excel's reading of typed text ---------------------------------------------------------------
  const DAY_MS = 86400000;
  function serialFromDate(year, month, day, seconds = 0) {
    return Date.UTC(year, month - 1, day) / DAY_MS + 25569 + seconds / 86400;
  }
  function parseTyped(value) {
    // What Excel stores when a script sets `value` through Range.values: [value, formula, numberFormat, quotePrefix]
    if (typeof value !== "string") return [value === null ? "" : value, null, null, false];
    if (value.startsWith("'")) return [value.slice(1), null, null, true];
    if (/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(value.trim())) return [Number(value), null, null, false];
    let match = /^(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{2}):(\d{2})(?::(\d{2}))?)?$/.exec(value);
    if (match) {
      const seconds = match[4] ? Number(match[4]) * 3600 + Number(match[5]) * 60 + Number(match[6] || 0) : 0;
      return [serialFromDate(+match[1], +match[2], +match[3], seconds), null,
        match[4] ? "yyyy-mm-dd hh:mm:ss" : "yyyy-mm-dd", false];
    }
    match = /^(\d{1,2})\/(\d{1,2})(?:\/(\d{2}|\d{4}))?$/.exec(value); // en-GB: 12/3 is 12 March
    if (match && +match[2] >= 1 && +match[2] <= 12 && +match[1] >= 1 && +match[1] <= 31) {
      const year = match[3] ? (match[3].length === 2 ? 2000 + Number(match[3]) : Number(match[3]))
        : new Date().getUTCFullYear();
      return [serialFromDate(year, +match[2], +match[1]), null, match[3] ? "dd/mm/yyyy" : "dd-mmm", false];
    }
    if (value.length > 1 && "=+-".includes(value[0])) {
      return [null, value[0] === "=" ? value : `=${value}`, null, false];
    }
    return [value, null, null, false];
  }

  // --- formulas: only custom functions (=SLI.CHECK(F7,H7,I7)); anything else is #NAME? -----------
  function splitArguments(text) {
    const args = [];
    let current = "";
    let quoted = false;
    for (const char of text) {
      if (char === '"') quoted = !quoted;
      if (char === "," && !quoted) {
        args.push(current.trim());
        current = "";
      } else {
        current += char;
      }
    }
    if (current.trim() !== "" || args.length) args.push(current.trim());
    return args;
  }
  function calculate(sheet, address, cell) {
    const match = /^=([A-Za-z_][\w]*)\.([A-Za-z_][\w]*)\((.*)\)$/.exec(cell.formula);
    const func = match && functions.get(match[2].toUpperCase());
    if (!func) {
      cell.value = "#NAME?";
      return;
    }
    cell.value = "#BUSY!";
    const args = splitArguments(match[3]).map((arg) => {
      if (/^".*"$/.test(arg)) return [[arg.slice(1, -1).replace(/""/g, '"')]];
      if (/^-?\d+(\.\d+)?$/.test(arg)) return [[Number(arg)]];
      const [row, col] = parseCell(arg);
      const source = sheet.cells.get(cellName(row, col));
      return [[source && source.value !== undefined ? source.value : ""]];
    });
    const invocation = { address: `${quotedSheet(sheet.name)}!${address}`, setResult() {}, onCanceled: null };
    const run = (async () => {
      try {
        const result = await func(...args, invocation);
        cell.value = Array.isArray(result) ? result[0][0] : result;
      } catch (error) {
        cell.value = "#VALUE!";
        cell.error = String(error && error.message ? error.message : error);
      }
    })();
    calculations.add(run);
    run.finally(() => calculations.delete(run));
  }

  // --- the object model ------------------------------------------------------------------------------
  const IGNORED = new Set(["then", "toJSON", "constructor", "asymmetricMatch", "$$typeof", "nodeType"]);
  function strict(target, label) {
    return new Proxy(target, {
      get(object, property, receiver) {
        if (typeof property === "string" && !(property in object) && !IGNORED.has(property)) {
          unknown.add(`${label}.${property}`);
        }
        return Reflect.get(object, property, receiver);
      },
      set(object, property, value, receiver) {
        if (typeof property === "string" && !(property in object)) unknown.add(`${label}.${property}=`);
        return Reflect.set(object, property, value, receiver);
      },
    });
  }
  function loadable(object, label) {
    object.load = function () {
      return this;
    };
    object.toJSON = function () {
      return {};
    };
    if (!("isNullObject" in object)) object.isNullObject = false;
    return strict(object, label);
  }
  function collection(items, label, extra = {}) {
    return loadable({ items, ...extra }, label);
  }
  const nullObject = (label) => loadable({ isNullObject: true }, label);

  function sheetOf(name) {
    return state.sheets.find((sheet) => sheet.name === name);
  }

  function makeRange(sheet, area) {
    const cells = () => {
      const rows = [];
      for (let r = 0; r < area.rows; r += 1) {
        const row = [];
        for (let c = 0; c < area.cols; c += 1) row.push(cellName(area.row + r, area.col + c));
        rows.push(row);
      }
      return rows;
    };
    const read = (key, empty) => cells().map((row) => row.map((address) => {
      const cell = sheet.cells.get(address);
      return cell && cell[key] !== undefined && cell[key] !== null ? cell[key] : empty;
    }));
    const write = (matrix, apply) => {
      // A single value, or a 1x1 array, applies to every cell (xlwings' setNumberFormat sends [[format]]
      // for a whole column of Change log rows; office-js-docs-reference#578, office-js-docs-pr#5400).
      // Any other array must match the range, else Excel's InvalidArgument.
      const grid = cells();
      const broadcast = !Array.isArray(matrix) || (matrix.length === 1 && matrix[0].length === 1);
      if (!broadcast && (matrix.length !== area.rows || matrix.some((row) => row.length !== area.cols))) {
        throw officeError("InvalidArgument", "The number of rows or columns in the input array doesn't match the size or dimensions of the range.");
      }
      grid.forEach((row, r) => row.forEach((address, c) => {
        const value = broadcast ? (Array.isArray(matrix) ? matrix[0][0] : matrix) : matrix[r][c];
        const cell = sheet.cells.get(address) || {};
        apply(cell, value, address);
        sheet.cells.set(address, cell);
      }));
    };
    const setTyped = (cell, typed, address) => {
      const [value, formula, numberFormat, quotePrefix] = parseTyped(typed);
      cell.quotePrefix = quotePrefix;
      delete cell.error;
      if (formula) {
        cell.formula = formula;
        calculate(sheet, address, cell);
      } else {
        delete cell.formula;
        cell.value = value;
      }
      if (numberFormat && (!cell.numberFormat || cell.numberFormat === "General")) cell.numberFormat = numberFormat;
    };
    const fill = loadable({
      get color() {
        const colours = new Set(read("fill", "#FFFFFF").flat());
        return colours.size === 1 ? [...colours][0] : null;
      },
      set color(colour) {
        write(colour, (cell) => {
          cell.fill = String(colour).toUpperCase();
        });
      },
      clear() {
        write("", (cell) => {
          delete cell.fill;
        });
      },
    }, "RangeFill");
    const range = loadable({
      get address() {
        const first = cellName(area.row, area.col);
        const last = cellName(area.row + area.rows - 1, area.col + area.cols - 1);
        return `${quotedSheet(sheet.name)}!${first === last ? first : `${first}:${last}`}`;
      },
      get rowCount() { return area.rows; },
      get columnCount() { return area.cols; },
      get rowIndex() { return area.row; },
      get columnIndex() { return area.col; },
      get values() { return read("value", ""); },
      set values(matrix) { write(matrix, setTyped); },
      get numberFormat() { return read("numberFormat", "General"); },
      set numberFormat(matrix) { write(matrix, (cell, format) => { cell.numberFormat = String(format); }); },
      get formulas() {
        return cells().map((row) => row.map((address) => {
          const cell = sheet.cells.get(address);
          return cell ? (cell.formula || (cell.value !== undefined && cell.value !== null ? cell.value : "")) : "";
        }));
      },
      set formulas(matrix) { write(matrix, setTyped); },
      get worksheet() { return makeWorksheet(sheet); },
      format: loadable({ fill }, "RangeFormat"),
      select() {
        state.active = state.sheets.indexOf(sheet);
        state.selection = { sheet: sheet.name, address: range.address.split("!").pop() };
      },
      clear(applyTo = "All") {
        write("", (cell) => {
          if (applyTo === "All" || applyTo === "Contents") {
            delete cell.value;
            delete cell.formula;
            cell.quotePrefix = false;
          }
          if (applyTo === "All" || applyTo === "Formats") {
            delete cell.fill;
            delete cell.numberFormat;
          }
        });
      },
    }, "Range");
    return range;
  }

  function usedArea(sheet) {
    let top = Infinity, left = Infinity, bottom = -1, right = -1;
    for (const [address, cell] of sheet.cells) {
      const hasValue = cell.formula || (cell.value !== undefined && cell.value !== null && cell.value !== "");
      if (!hasValue) continue;
      const [row, col] = parseCell(address);
      top = Math.min(top, row); left = Math.min(left, col);
      bottom = Math.max(bottom, row); right = Math.max(right, col);
    }
    return bottom < 0 ? null : { row: top, col: left, rows: bottom - top + 1, cols: right - left + 1 };
  }

  const MAX_ROWS = 1048576, MAX_COLS = 16384;
  function makeWorksheet(sheet) {
    return loadable({
      get name() { return sheet.name; },
      set name(value) { sheet.name = String(value); },
      get position() { return state.sheets.indexOf(sheet); },
      set position(index) {
        state.sheets.splice(state.sheets.indexOf(sheet), 1);
        state.sheets.splice(Math.min(index, state.sheets.length), 0, sheet);
      },
      visibility: "Visible",
      showGridlines: true,
      getRange(address) {
        return makeRange(sheet, address ? parseArea(address) : { row: 0, col: 0, rows: MAX_ROWS, cols: MAX_COLS });
      },
      getRangeByIndexes(row, col, rows, cols) {
        return makeRange(sheet, { row, col, rows, cols });
      },
      getUsedRangeOrNullObject() {
        const area = usedArea(sheet);
        return area ? makeRange(sheet, area) : nullObject("Range");
      },
      getUsedRange() {
        return makeRange(sheet, usedArea(sheet) || { row: 0, col: 0, rows: 1, cols: 1 });
      },
      getRanges(address) {
        const areas = address ? address.split(",").map(parseArea) : [usedArea(sheet)].filter(Boolean);
        return loadable({
          clear(applyTo = "All") {
            areas.forEach((area) => makeRange(sheet, area).clear(applyTo));
          },
        }, "RangeAreas");
      },
      activate() { state.active = state.sheets.indexOf(sheet); },
      pageLayout: loadable({ getPrintAreaOrNullObject: () => nullObject("RangeAreas") }, "PageLayout"),
      notes: collection([], "NoteCollection", { getItemOrNullObject: () => nullObject("Note") }),
      comments: collection([], "CommentCollection"),
      tables: collection([], "TableCollection"),
      charts: collection([], "ChartCollection"),
      shapes: collection([], "ShapeCollection", { getItemOrNullObject: () => nullObject("Shape") }),
      pivotTables: collection([], "PivotTableCollection"),
      names: collection([], "NamedItemCollection"),
      onSelectionChanged: loadable({ add: () => loadable({ remove() {} }, "EventHandlerResult") }, "Event"),
    }, "Worksheet");
  }

  const cultureInfo = loadable({
    name: "en-GB",
    datetimeFormat: loadable({ shortDatePattern: "dd/MM/yyyy" }, "DatetimeFormatInfo"),
  }, "CultureInfo");
  const application = loadable({ calculationMode: "Automatic", cultureInfo, calculate() {} }, "Application");

  function makeWorkbook() {
    const worksheets = loadable({
      get items() { return state.sheets.map(makeWorksheet); },
      getItem(name) {
        const sheet = sheetOf(name);
        if (!sheet) throw officeError("ItemNotFound", `The requested resource doesn't exist: ${name}`);
        return makeWorksheet(sheet);
      },
      getItemOrNullObject(name) {
        const sheet = sheetOf(name);
        return sheet ? makeWorksheet(sheet) : nullObject("Worksheet");
      },
      getActiveWorksheet() { return makeWorksheet(state.sheets[state.active]); },
      add(name) {
        let sheetName = name;
        for (let n = state.sheets.length + 1; !sheetName; n += 1) {
          if (!sheetOf(`Sheet${n}`)) sheetName = `Sheet${n}`;
        }
        if (sheetOf(sheetName)) throw officeError("ItemAlreadyExists", `A sheet named ${sheetName} exists.`);
        const sheet = { name: sheetName, cells: new Map() };
        state.sheets.push(sheet);
        return makeWorksheet(sheet);
      },
      onCalculated: loadable({ add: () => loadable({ remove() {} }, "EventHandlerResult") }, "Event"),
    }, "WorksheetCollection");
    return loadable({
      get name() { return state.name; },
      worksheets,
      names: collection([], "NamedItemCollection"),
      application,
      getSelectedRange() {
        const sheet = sheetOf(state.selection.sheet);
        return makeRange(sheet, parseArea(state.selection.address));
      },
      save() {},
    }, "Workbook");
  }

  class RequestContext {
    constructor() {
      this.workbook = makeWorkbook();
      this.application = application;
    }
    async sync() {
      await Promise.resolve();
    }
  }

  async function run(first, second) {
    const batch = typeof first === "function" ? first : second;
    return await batch(new RequestContext());
  }

  // --- Office ---------------------------------------------------------------------------------------
  // The requirement sets Excel for Microsoft 365 reports (ExcelApi 1.18 has notes; 1.8 pivot tables).
  const SETS = { ExcelApi: "1.18", ExcelApiOnline: "1.1", CustomFunctionsRuntime: "1.4", SharedRuntime: "1.1",
    DialogApi: "1.2", RibbonApi: "1.1" };
  const versionParts = (version) => String(version || "1.1").split(".").map(Number);
  function atMost(wanted, supported) {
    const [a, b] = [versionParts(wanted), versionParts(supported)];
    return a[0] < b[0] || (a[0] === b[0] && (a[1] || 0) <= (b[1] || 0));
  }
  const info = { host: "Excel", platform: "PC" };
  function dialogFor(url) {
    const query = new URL(url).searchParams;
    const record = { url, prompt: query.get("prompt"), title: query.get("title"), buttons: query.get("buttons"),
      mode: query.get("mode"), callback: query.get("callback"), closed: false };
    dialogs.push(record);
    return loadable({
      addEventHandler() {},
      close() { record.closed = true; },
      messageChild() {},
    }, "Dialog");
  }

  globalThis.Office = strict({
    HostType: { Excel: "Excel" },
    PlatformType: { PC: "PC", OfficeOnline: "OfficeOnline", Mac: "Mac" },
    AsyncResultStatus: { Succeeded: "succeeded", Failed: "failed" },
    EventType: { DialogMessageReceived: "dialogMessageReceived", DialogEventReceived: "dialogEventReceived" },
    onReady(callback) {
      return new Promise((resolve) => {
        setTimeout(() => {
          if (callback) callback(info);
          resolve(info);
        }, 0);
      });
    },
    context: strict({
      platform: "PC",
      diagnostics: { version: "16.0.0.0 (SLI Tracker test stand-in)", platform: "PC" },
      requirements: {
        isSetSupported(name, version) {
          const key = Object.keys(SETS).find((set) => set.toLowerCase() === String(name).toLowerCase());
          return key !== undefined && atMost(version, SETS[key]);
        },
      },
      ui: {
        displayDialogAsync(url, options, callback) {
          const dialog = dialogFor(url);
          if (callback) setTimeout(() => callback({ status: "succeeded", value: dialog }), 0);
        },
        messageParent() {},
      },
    }, "Office.context"),
    actions: {
      associate(id, action) {
        ribbonActions.set(id, action);
      },
    },
    addin: { showAsTaskpane: async () => {}, hide: async () => {} },
  }, "Office");

  globalThis.Excel = strict({
    run,
    RequestContext,
    ClearApplyTo: { all: "All", contents: "Contents", formats: "Formats" },
    ShapeType: { image: "Image", geometricShape: "GeometricShape" },
    CalculationType: { full: "Full", recalculate: "Recalculate" },
    DeleteShiftDirection: { up: "Up", left: "Left" },
    SaveBehavior: { save: "Save" },
  }, "Excel");

  class CustomFunctionsError extends Error {
    constructor(code, message) {
      super(message);
      this.code = code;
    }
  }
  globalThis.CustomFunctions = strict({
    associate(id, func) {
      functions.set(String(id).toUpperCase(), func);
    },
    Error: CustomFunctionsError,
    ErrorCode: { invalidValue: "#VALUE!", notAvailable: "#N/A" },
  }, "CustomFunctions");

  // --- what the tests read ------------------------------------------------------------------------
  globalThis.OfficeStandIn = {
    dialogs,
    get unknown() { return [...unknown].sort(); },
    functions: () => [...functions.keys()].sort(),
    selection: () => ({ ...state.selection }),
    sheetNames: () => state.sheets.map((sheet) => sheet.name),
    async ribbon(id) {
      // Press a ribbon button (manifest.xml's ExecuteFunction): resolves when the action calls completed().
      const action = ribbonActions.get(id);
      if (!action) throw new Error(`No ribbon action ${id}`);
      return await new Promise((resolve) => {
        action({ source: { id }, completed: () => resolve(true) });
      });
    },
    async calculated() {
      while (calculations.size) await Promise.all([...calculations]);
    },
    snapshot() {
      // Every sheet's cells: {A1: {value, formula, numberFormat, fill, quotePrefix}}
      return {
        name: state.name,
        sheets: state.sheets.map((sheet) => ({ name: sheet.name, cells: Object.fromEntries(sheet.cells) })),
      };
    },
  };
})();
