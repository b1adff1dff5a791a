"""A Ray cluster of two nodes on this machine (Ray's own test cluster, two raylets): the head only schedules
(0 CPUs), as the README's classroom set-up has it, so a training must run on the other node, connected by the
cluster's address as the app connects, and come back as a bundle."""

from __future__ import annotations

import pytest

from tests.helpers import TINY_MODEL, make_sentences
from textvae import Corpus, TokenizerConfig, TrainConfig
from textvae.jobs import JobStatus, TrainingJob, TrainingSlots
from textvae.ray_executor import ADDRESS_VARIABLE, train_on_ray

STORE = 100 * 2**20  # object store per node: a tiny model's files


@pytest.fixture(scope="module")
def two_nodes():
    import ray
    from ray.cluster_utils import Cluster

    ray.shutdown()  # another module's local instance
    cluster = Cluster(
        initialize_head=True, head_node_args={"num_cpus": 0, "include_dashboard": False, "object_store_memory": STORE}
    )
    worker = cluster.add_node(num_cpus=1, object_store_memory=STORE)
    yield cluster, worker
    ray.shutdown()
    cluster.shutdown()


def test_a_training_runs_on_the_node_with_cpus_and_comes_back_as_a_bundle(two_nodes, monkeypatch):
    cluster, worker = two_nodes
    monkeypatch.setenv(ADDRESS_VARIABLE, cluster.address)
    events: list[dict] = []
    bundle, _ = train_on_ray(
        Corpus(make_sentences(200), name="tiny.txt"),
        model=TINY_MODEL,
        training=TrainConfig(epochs=1, batch_size=16, threads=1, seed=0),
        tokenizer=TokenizerConfig(kind="word", vocab_size=200),
        callbacks=[events.append],
        name="on node 2",
    )
    start = next(e for e in events if e["type"] == "start")
    assert start["ray_node"]["node_id"] == worker.node_id != cluster.head_node.node_id
    assert bundle.name == "on node 2" and bundle.metrics["result"]["steps"] >= 1

    from studio.jobs import job_status_line

    job = TrainingJob(Corpus(make_sentences(30)), slots=TrainingSlots(1))  # the Train page's line for such a job
    job.status = JobStatus.RUNNING
    job._record(start)
    job._record({"type": "step", "progress": 0.5, "eta_s": 10.0, "tokens_per_s": 1000.0})
    assert f"on the Ray cluster, node {worker.node_id[:8]} (" in job_status_line(job)
