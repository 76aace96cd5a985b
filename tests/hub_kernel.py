"""Run a notebook's code cells in a kernel of a learner's single-user server, through the hub's
proxy, as JupyterLab would: a session over the REST API, then ``execute_request`` messages on
the kernel's websocket channel (Jupyter's JSON message protocol)."""

from __future__ import annotations

import asyncio
import json
import uuid
from dataclasses import dataclass, field

import requests
from tornado.httpclient import HTTPRequest
from tornado.websocket import websocket_connect

from . import waits


@dataclass
class CellRun:
    index: int
    source: str
    status: str
    error: str = ""


@dataclass
class NotebookRun:
    cells: list[CellRun] = field(default_factory=list)

    @property
    def failed(self) -> list[CellRun]:
        return [c for c in self.cells if c.status != "ok"]


def _message(code: str, session: str) -> dict:
    msg_id = uuid.uuid4().hex
    return {"header": {"msg_id": msg_id, "msg_type": "execute_request", "username": "", "session": session,
                       "version": "5.3", "date": ""},
            "parent_header": {}, "metadata": {}, "channel": "shell", "buffers": [],
            "content": {"code": code, "silent": False, "store_history": True, "user_expressions": {},
                        "allow_stdin": False, "stop_on_error": True}}


async def _run(base: str, token: str, path: str, cells: list[str], cell_timeout: float) -> NotebookRun:
    headers = {"Authorization": f"token {token}"}
    created = requests.post(f"{base}/api/sessions", headers=headers, timeout=waits.bound(waits.KERNEL_START),
                            json={"path": path, "type": "notebook", "name": path.rsplit("/", 1)[-1],
                                  "kernel": {"name": "python3"}})
    created.raise_for_status()
    kernel = created.json()["kernel"]["id"]
    ws_url = base.replace("http", "ws", 1) + f"/api/kernels/{kernel}/channels"
    # The server answers the websocket once the kernel does: on a busy host with three learners'
    # kernels importing the course at once, that takes longer than tornado's 20 s default.
    ready = waits.bound(waits.KERNEL_START)
    connection = await websocket_connect(HTTPRequest(ws_url, headers=headers, connect_timeout=ready, request_timeout=ready),
                                         max_message_size=64 * 2**20)
    session, run = uuid.uuid4().hex, NotebookRun()
    try:
        for index, code in enumerate(cells):
            request = _message(code, session)
            await connection.write_message(json.dumps(request))
            error, status = "", None
            while status is None:
                raw = await asyncio.wait_for(connection.read_message(), cell_timeout)
                if raw is None:
                    raise RuntimeError(f"the kernel's channel closed during cell {index}")
                reply = json.loads(raw)
                if reply.get("parent_header", {}).get("msg_id") != request["header"]["msg_id"]:
                    continue
                kind = reply["header"]["msg_type"]
                if kind == "error":
                    error = "\n".join(reply["content"].get("traceback", []))[-3000:]
                elif kind == "execute_reply":
                    status = reply["content"]["status"]
            run.cells.append(CellRun(index, code[:80], status, error))
            if status != "ok":
                break
    finally:
        connection.close()
        requests.delete(f"{base}/api/kernels/{kernel}", headers=headers, timeout=waits.bound(waits.REQUEST))
    return run


def run_cells(base: str, token: str, path: str, cells: list[str], cell_timeout: float = 600) -> NotebookRun:
    return asyncio.run(_run(base, token, path, cells, cell_timeout))
