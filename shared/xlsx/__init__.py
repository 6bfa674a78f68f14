"""The .xlsx writer: surgical edits of the package: set a few cells, append rows, keep every other part
byte-identical.

openpyxl's load-and-save drops what officers put in workbooks with Excel (threaded comments,
shapes, cross-sheet drop-downs stored as extensions, add-in parts, cached formula results...).
So the write path never re-saves the workbook: it rewrites only the XML of the sheets it
changes, with text as inline strings (the shared strings part keeps its strings; only its `count` of
the cells referring to them moves), and copies every other part of the zip unchanged. Text that Excel
could take for a formula gets a cell style with `quotePrefix`, so it stays text even after an officer
edits the cell.

Its rooms, each importing only those before it:

- `ooxml`: the Open XML names, the parser, and PackageError;
- `entries`: zip entries inflated lazily, and parts copied as their compressed bytes;
- `segments`: a sheet stored as three deflate runs, so rows are appended without inflating it (CRC-32
  combined from pieces), and the shared strings as two, so their count changes without recompressing them;
- `parts`: the package as zip parts, what an edit changed, and writing the new file;
- `heights`: row heights from text, column widths and styles (at most Excel's 409 pt);
- `cells`: values in cell XML, the rules that keep text as text, quote-prefix style twins, cell text;
- `sheets`: the workbook's sheet list, defined names, and new sheet parts;
- `rows`: a sheet's rows as byte ranges, so an edit re-serialises only the rows it changes;
- `reduced`: a small package of a few sheets and the shared strings they use, for a read that does not grow
  with the history (`shared.reader`);
- `package`: `Package`, the edits the write path makes (cells, appended rows, row heights, headers);
- `changelog`: the Change log filed one sheet a year, a step of its own before rows are logged;
- `save`: the atomic save, backups, and the file's permissions and ownership kept.
"""

from shared.xlsx.cells import CellValue, excel_serial, needs_quote_prefix
from shared.xlsx.changelog import file_log_years, log_sheet_year, year_sheet_name
from shared.xlsx.heights import row_height, text_lines
from shared.xlsx.ooxml import MAIN_NS, PackageError
from shared.xlsx.package import Package
from shared.xlsx.save import save_atomically

__all__ = ["MAIN_NS", "CellValue", "Package", "PackageError", "excel_serial", "file_log_years", "log_sheet_year",
           "needs_quote_prefix", "row_height", "save_atomically", "text_lines", "year_sheet_name"]
