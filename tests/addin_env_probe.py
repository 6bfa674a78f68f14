"""Run as a script by tests/test_addin_env.py: `sli addin ARGS...` in this fresh process, with uvicorn's
`run` replaced by a stand-in that, instead of serving, fetches the manifest through the app it was given
(FastAPI's TestClient) and looks at the process environment. Prints one JSON object:

    environment_unchanged  os.environ at serve time and after `sli.main` returned equals what it was before
    added, changed         the names of variables the start-up added or changed (empty when unchanged)
    exit_code              what `sli.main` returned
    served                 whether uvicorn's `run` was reached
    remote_engine          xlwings' remote engine is on (it needs the licence key when xlwings is imported)
    manifest               the manifest the app answered with (text)
    xlwings                the xlwings Server settings the app runs with (a few fields)
"""

from __future__ import annotations

import json
import os
import sys
import warnings


def main(argv: list[str]) -> int:
    before = dict(os.environ)
    seen: dict = {}

    import uvicorn

    def stand_in_run(app, **kwargs) -> None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            from fastapi.testclient import TestClient
        seen["at_serve"] = dict(os.environ)
        with TestClient(app) as client:
            seen["manifest"] = client.get("/manifest").text

    uvicorn.run = stand_in_run

    import sli

    exit_code = sli.main(argv)
    after = dict(os.environ)
    at_serve = seen.get("at_serve", after)
    changed_names = sorted({name for name in set(before) | set(after) | set(at_serve)
                            if before.get(name) != after.get(name) or before.get(name) != at_serve.get(name)})
    report = {"exit_code": exit_code, "served": "at_serve" in seen,
              "environment_unchanged": after == before and at_serve == before,
              "added": [name for name in changed_names if name not in before],
              "changed": [name for name in changed_names if name in before],
              "manifest": seen.get("manifest", "")}
    if "xlwings_server.config" in sys.modules:
        import xlwings
        from xlwings_server.config import settings

        report["remote_engine"] = bool(xlwings.__pro__)
        report["xlwings"] = {"functions_namespace": settings.functions_namespace,
                             "project_name": settings.project_name, "enable_socketio": settings.enable_socketio,
                             "auth_providers": settings.auth_providers,
                             "manifest_id_prod": str(settings.manifest_id_prod)}
    print(json.dumps(report))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
