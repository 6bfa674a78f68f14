"""The `sli` commands, one module per subject; each `cmd_*` takes the parsed arguments and returns an exit code."""
