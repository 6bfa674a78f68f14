"""The pieces of `benchmarks/update_latency.py` (`make bench`), one job a module: the history it grows
(`history`), the workbooks it times and their cache (`fixtures`), samples and the floor (`timing`), the naive
openpyxl way (`naive`), the real bot processes (`processes`), concurrent command-line writers (`writers`),
updates held while Excel has the file open (`waiting`), and the table, targets and JSON (`report`)."""
