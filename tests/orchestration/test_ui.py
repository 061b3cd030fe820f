"""`make ui` serves the Dagster UI on 127.0.0.1 over the project's definitions."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest
import requests

ASSETS_QUERY = "{ assetNodes { assetKey { path } } }"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def webserver(tmp_path: Path, project_root: Path):
    port = free_port()
    env = {**os.environ, "DAGSTER_HOME": str(project_root), "VSM_DAGSTER_STORAGE": str(tmp_path / "dagster")}
    command = [
        str(Path(sys.executable).parent / "dagster-webserver"),
        *("-m", "orchestration.definitions", "-h", "127.0.0.1", "-p", str(port)),
    ]
    process = subprocess.Popen(
        command, cwd=project_root, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if process.poll() is not None:
                pytest.fail(f"dagster-webserver exited: {process.stderr.read()[-3000:]}")
            try:
                if requests.get(f"{url}/server_info", timeout=2).ok:
                    break
            except requests.ConnectionError:
                time.sleep(1)
        else:
            pytest.fail("dagster-webserver did not answer within 120 s")
        yield url, port
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def test_ui_serves_graphql_on_loopback_listing_the_project_assets(webserver) -> None:
    url, port = webserver
    response = requests.post(f"{url}/graphql", json={"query": ASSETS_QUERY}, timeout=60)
    response.raise_for_status()
    keys = {"/".join(node["assetKey"]["path"]) for node in response.json()["data"]["assetNodes"]}
    assert {
        "raw_jira/issues",
        "marts/fct_flow_items",
        "marts/metrics_flow_time",
        "warehouse/published",
    } <= keys
    # bound to loopback only: every socket listening on the UI's port is on 127.0.0.1
    listening = [
        connection.laddr.ip
        for connection in psutil.net_connections(kind="inet")
        if connection.status == psutil.CONN_LISTEN and connection.laddr.port == port
    ]
    assert listening == ["127.0.0.1"]
