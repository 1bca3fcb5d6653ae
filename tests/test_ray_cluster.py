"""A sampled study on a real two-node Ray cluster, through ``socialrl run --address``.

:class:`ray.cluster_utils.Cluster` starts a head node and a worker node (one CPU each, each with
its own raylet, as on two machines) in a child process that the fixture ends in every case; the
test process itself never starts Ray, so it forks no Ray threads. The study goes through the
CLI by the cluster's GCS address, as on a real cluster, with token authentication on. (Ray
Client, ``ray://HEAD:10001``, works too, but its per-client server sometimes fails to start on
a loaded machine, so it is left out.) The study's tables must equal the sequential backend's,
its runs must have executed on both nodes (each run's ``run.json`` records the node it ran
on), and its manifest must say ``ray``.
"""

from __future__ import annotations

import json
import os
import secrets
import selectors
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import pytest

from socialrl.study import load_results, plan_study, run_study
from tests.study_helpers import tiny_study, write_toml
from tests.test_study import assert_same_tables

ROOT = Path(__file__).resolve().parents[1]

#: The child that holds the cluster: prints its address and node ids as one JSON line, then
#: waits; it shuts the cluster down when its stdin closes.
CLUSTER = textwrap.dedent(
    """
    import json, sys
    from ray.cluster_utils import Cluster

    cluster = Cluster(initialize_head=True, head_node_args={"num_cpus": 1})
    try:
        worker = cluster.add_node(num_cpus=1)
        cluster.wait_for_nodes()
        nodes = [cluster.head_node.node_id, worker.node_id]
        print(json.dumps({"address": cluster.address, "nodes": nodes}), flush=True)
        sys.stdin.read()
    finally:
        cluster.shutdown()
    """
)


@dataclass
class RayCluster:
    """The running cluster: its address, node ids, the environment that reaches it."""

    address: str
    nodes: list[str]
    env: dict[str, str]


def _read_line(stream: IO[str], timeout: float, log: Path) -> str:
    """One line from the cluster child, or a failure showing the end of its log."""
    with selectors.DefaultSelector() as sel:
        sel.register(stream, selectors.EVENT_READ)
        if sel.select(timeout):
            line = stream.readline()
            if line:
                return line
    pytest.fail(f"the Ray cluster child did not answer; its log ends:\n{log.read_text()[-3000:]}")


@pytest.fixture(scope="module")
def ray_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RayCluster]:
    """A head and a worker node, token-authenticated, shut down whatever the tests do."""
    env = {
        **os.environ,
        "RAY_USAGE_STATS_ENABLED": "0",
        "RAY_AUTH_MODE": "token",
        "RAY_AUTH_TOKEN": secrets.token_hex(32),  # never the user's ~/.ray/auth_token
    }
    env.pop("RAY_ADDRESS", None)
    log = tmp_path_factory.mktemp("ray_cluster") / "cluster.log"
    with log.open("w") as err:
        proc = subprocess.Popen(
            [sys.executable, "-c", CLUSTER],
            cwd=ROOT,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=err,
            text=True,
            start_new_session=True,  # its own process group, Ray's processes with it
        )
    try:
        assert proc.stdout is not None
        ready = json.loads(_read_line(proc.stdout, 120, log))
        yield RayCluster(ready["address"], ready["nodes"], env)
    finally:
        if proc.stdin is not None:
            proc.stdin.close()  # the child shuts the cluster down
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        if proc.stdout is not None:
            proc.stdout.close()


@dataclass
class Reference:
    """The study file, its run ids and its folder as the sequential backend wrote it."""

    study: Path
    ids: list[str]
    path: Path


@pytest.fixture(scope="module")
def sequential(tmp_path_factory: pytest.TempPathFactory) -> Reference:
    """The tiny maze study over a Latin hypercube of α and ε (4 points × 2 seeds), run here.

    20,000 steps make a run take about half a second: one worker alone cannot finish all eight
    before the other node's worker has started, so the runs spread over both nodes.
    """
    ranges = {
        "population.walker.alpha": {"low": 0.2, "high": 0.9},
        "population.walker.epsilon": {"low": 0.05, "high": 0.5},
    }
    data = tiny_study(
        "sampled",
        sweep={"sample": {"method": "lhs", "n": 4, "ranges": ranges}},
        run={"steps": 20_000, "record_every": 2_000, "snapshot_every": 10_000},
    )
    folder = tmp_path_factory.mktemp("sampled")
    study = write_toml(folder / "sampled.toml", data)
    ids = [r.run_id for r in plan_study(study)[2]]
    report = run_study(study, out=folder / "seq", backend="sequential")
    assert (report.total, report.done, report.failed) == (8, 8, 0)
    return Reference(study, ids, report.path)


@pytest.mark.slow
def test_a_sampled_study_on_a_two_node_cluster(
    tmp_path: Path, ray_cluster: RayCluster, sequential: Reference
) -> None:
    ids = sequential.ids
    cli = [sys.executable, "-m", "socialrl.cli", "run", str(sequential.study)]
    cli += ["--out", str(tmp_path / "ray")]
    started = time.perf_counter()
    proc = subprocess.run(
        [*cli, "--backend", "ray", "--address", ray_cluster.address],
        cwd=ROOT,
        env=ray_cluster.env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert proc.returncode == 0, (proc.stdout[-2000:], proc.stderr[-3000:])
    seconds = time.perf_counter() - started

    results = load_results(tmp_path / "ray" / "sampled")
    assert results.manifest["backend"] == "ray"
    assert sorted(results.runs["run_id"]) == sorted(ids)
    assert (results.runs["status"] == "done").all()
    assert sorted(results.runs["sample"].unique().tolist()) == [0, 1, 2, 3]
    assert_same_tables(sequential.path, results.path, ids)

    # Each run's record names the node it ran on (the Ray backend writes it).
    ran_on = {
        json.loads((results.path / "runs" / run_id / "run.json").read_text())["node"]
        for run_id in ids
    }
    assert ran_on == set(ray_cluster.nodes), f"runs ran on {ran_on} only ({seconds:.1f} s)"
