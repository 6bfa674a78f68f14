"""The Excel add-in front end (xlwings Server project folder; see excel/server.py and the README).

    server.py            build_app / run / main: `sli addin [--port N] [--local]`
    appendix_scripts.py  what the add-in does, over an xlwings Book (server scripts and desktop macro)
    custom_scripts/      the two @script functions xlwings Server exposes, and nothing else
    custom_functions/    =SLI.CHECK(status, next_steps, due) and =SLI.PENDING()
    macros.py            the classic desktop RunPython macro (same validation function)
    templates/, static/  the task pane, the manifest's ribbon, their JavaScript and CSS
"""
