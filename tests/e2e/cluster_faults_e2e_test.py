"""Two faults of a cluster ([cluster], docs/cluster.md): a revision while its source moves,
and a node that loses Kafka.

One mock Kafka (tests/e2e/mock_kafka, whose stdin takes "down" / "up" for every broker), the
local portal with host1 (its report t20210119_1001.html is the one POST /__control/revise
changes) and copies of it, one source per host, and two `nianbao run` nodes. The nodes read
sources files that differ only in their user_agent, so the portal's request log says which
node asked for what.

  1. a revision while the source moves: node A is the node that owns host1 (the revisable
     report was fetched with a body once, by either node: fails when it was fetched again
     with a body after a move); A is stopped with SIGTERM (its partitions move at once),
     the portal revises the report, and node B, now owning host1, asks for the report
     conditionally and publishes exactly one `report.revised` for it, not a second
     `report.published`. Fails when the state did not come along through the changelog (B
     asks without validators and publishes the report, and the eight others of host1, again
     as new), when B misses the revision (no report.revised), or publishes it twice;
  2. Kafka unreachable (B alone): `down` on the mock; within session_timeout plus a margin
     B is `unreachable` (nianbao_cluster_member_state), /healthz answers 503 naming
     `cluster: kafka unreachable`, B owns no partition and sends the portal nothing for two
     intervals and more (it polled every interval just before: fails when it goes on
     polling); `up`: B is stable again, owns every partition, restores the changelog (the
     restored counter grows: fails when it polls without restoring) and polls every source
     again (fails when it stays suspended); until it owns its partitions again it is not
     `stable` (fails when it says stable while it rejoins the group, owning nothing);
  3. at the end (read_committed, every node's producer): every report published once as
     `report.published` (none lost, none twice: fails when a batch queued while Kafka was
     down is lost or delivered twice), one `report.revised`, for the revised one.

Usage: cluster_faults_e2e_test.py NIANBAO MOCK_KAFKA REPO_ROOT   (Debian's /usr/bin/python3)
"""
import json
import os
import signal
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import (Checks, ClusterNode, MockKafka, Portal,  # noqa: E402
                    cluster_sources_toml, kcat, partition_of, report_id, wait, wall)

HOSTS = 8           # host1..host8; the sources: host1 and its copies host4..host8
PARTITIONS = 4
SESSION_S = 6       # [cluster] session_timeout
INTERVAL_S = 2      # the sources' interval (no jitter)
# NIANBAO_TIMING_CHECKS=0 (the sanitizer stage of scripts/test.sh, a slow build on a loaded
# machine): the same checks with wider time bounds.
TIMING = os.environ.get("NIANBAO_TIMING_CHECKS", "1") != "0"
MARGIN_S = 5 if TIMING else 12  # past the session timeout: the metadata checks, a pass in flight
MOVE_S = SESSION_S if TIMING else 2 * SESSION_S  # a SIGTERM's move (a SIGKILL's: session + more)
NODES = ["node-a", "node-b"]  # names; "A" below is whichever owns host1 once the group is stable


def source_hosts():
    return ["host1"] + [f"host{i}" for i in range(4, HOSTS + 1)]


def user_agent(node):
    return f"nianbao-{node}/0.1 (+https://github.com/nianbao/nianbao)"


def node(tmp, name, bootstrap, nianbao, portal):
    """A node with a sources file of its own (its user agent tells its requests apart)."""
    os.makedirs(os.path.join(tmp, name), exist_ok=True)
    with open(os.path.join(tmp, name, "sources.toml"), "w", encoding="utf-8") as f:
        f.write(cluster_sources_toml(portal, source_hosts(), INTERVAL_S, user_agent(name),
                                     max_concurrency=8, min_delay="20ms"))
    n = ClusterNode(tmp, name, nianbao, bootstrap=bootstrap, sources="sources.toml",
                    transactional_id="cluster-faults-e2e", topic_prefix="f",
                    partitions=PARTITIONS, session_s=SESSION_S)
    n.ua = user_agent(name)
    return n


def main():
    nianbao, mock, root = sys.argv[1:4]
    check = Checks()
    tmp = tempfile.mkdtemp(prefix="nianbao-cluster-faults-")
    portal_log = os.path.join(tmp, "portal.jsonl")
    portal = Portal(root, portal_log, hosts=HOSTS)
    kafka = MockKafka(mock, topics=[f"nianbao.cluster:{PARTITIONS}",
                                    f"nianbao.state:{PARTITIONS}"])
    bootstrap = kafka.bootstrap

    def requests(since, ua=None):
        """The portal's log entries from `since` (unix time) on, of one node or all."""
        out = []
        for line in open(portal_log, encoding="utf-8"):
            e = json.loads(line)
            if wall(e["wall"]) >= since and (ua is None or e.get("user-agent") == ua):
                out.append(e)
        return out

    def events(kind=None):
        """{report_id: count} of the report events of one kind, read_committed."""
        out = {}
        for m in kcat(bootstrap, "f.reports"):
            if kind is None or m["headers"].get("event") == kind:
                out[m["key"]] = out.get(m["key"], 0) + 1
        return out

    revise = portal.manifest["revise"]
    revise_id = report_id(revise["url"])
    reports = {r["url"] for h in source_hosts() for r in portal.manifest["hosts"][h]["reports"]}
    host1_partition = partition_of(f"127.0.0.1:{portal.ports['host1']}", PARTITIONS)
    nodes = [node(tmp, n, bootstrap, nianbao, portal) for n in NODES]
    try:
        for n in nodes:
            n.start()

        def all_owned(among):
            parts = [n.owned_partitions() for n in among]
            return (set().union(*parts) == set(range(PARTITIONS))
                    and sum(len(p) for p in parts) == PARTITIONS
                    and all(n.state() == "stable" for n in among))

        check(wait(lambda: all_owned(nodes), 40), "the two nodes own every partition, once")
        check(wait(lambda: len(events("report.published")) == len(reports), 40, step=1),
              f"every report of the {len(source_hosts())} sources published once the group is "
              f"stable ({len(reports)})")

        # 1. A revision while the source moves. A: the node that owns host1's partition now.
        # The revisable report was fetched with a body exactly once, by either node: usually
        # by A, as both nodes join the group's first generation (the mock's join waits
        # session_timeout - 1 s for members); on a loaded machine the second node can miss
        # that generation, and then host1's partition may have moved once already, after the
        # first owner fetched it. The new owner then asked conditionally (the state came
        # along through the changelog), so a second fetch with a body still fails here.
        a = next((n for n in nodes if host1_partition in n.owned_partitions()), None)
        check(a is not None, f"a node owns host1's partition {host1_partition}")
        if a is None:
            return check.finish()
        b = next(n for n in nodes if n is not a)

        def of_revisable(e):
            return e["host"] == revise["host"] and e["path"] == revise["path"]

        got = [e for e in requests(0) if of_revisable(e) and e["status"] == 200]
        check(len(got) == 1,
              f"{revise['path']} fetched with a body once, by either node (host1's owner now: "
              f"{a.name})", json.dumps(got))
        if got and got[0]["user-agent"] != a.ua:
            print(f"host1's partition moved after {b.name} fetched {revise['path']}: the group "
                  f"formed in two generations", flush=True)
        a.proc.send_signal(signal.SIGTERM)
        check(a.proc.wait(timeout=30) == 0, f"{a.name} stops cleanly on SIGTERM")
        stopped_at = time.time()
        portal.control("revise")
        # Its partitions move at once (a SIGKILL would wait for the session timeout).
        check(wait(lambda: all_owned([b]), MOVE_S, step=0.2),
              f"{b.name} owns every partition within {MOVE_S}s of {a.name}'s SIGTERM "
              f"({time.time() - stopped_at:.1f}s)")

        def revised_fetched():
            return [e for e in requests(stopped_at, b.ua) if of_revisable(e) and e["status"] == 200]

        check(wait(lambda: revised_fetched(), 2 * INTERVAL_S + 8),
              f"{b.name} fetched the revised report after the move")
        fetched = revised_fetched()
        # Fails when the state did not come along: B would ask without validators.
        check(fetched and all(e.get("if-none-match") or e.get("if-modified-since")
                              for e in fetched),
              f"{b.name}'s request for the revised report was conditional", json.dumps(fetched))
        check(wait(lambda: events("report.revised").get(revise_id, 0) >= 1, 20, step=1),
              "the revision published as report.revised")
        time.sleep(INTERVAL_S + 1)  # a second pass of host1 on B: it must not publish again
        revised, published = events("report.revised"), events("report.published")
        check(revised == {revise_id: 1},
              f"exactly one report.revised, for {revise['path']}: {revised}")
        check(published.get(revise_id) == 1,
              f"the revisable report published once as report.published: "
              f"{published.get(revise_id)}")

        # 2. Kafka unreachable, B alone. It polls every interval while Kafka answers.
        before = time.time()
        time.sleep(2 * INTERVAL_S + 1)
        check(len(requests(before, b.ua)) > 0,
              f"{b.name} polls the portal while Kafka answers")
        restored_before = b.restored()
        check(kafka.command("down") == "OK", "mock kafka: every broker down")
        down_at = time.time()
        unreachable_at = []

        def unreachable():
            if b.state() == "unreachable":
                unreachable_at.append(time.time())
                return True
            return False

        check(wait(unreachable, SESSION_S + MARGIN_S, step=0.2),
              f"{b.name}: nianbao_cluster_member_state{{state=\"unreachable\"}} 1 within "
              f"{SESSION_S + MARGIN_S}s of the brokers going down")
        if unreachable_at:
            print(f"unreachable {unreachable_at[0] - down_at:.1f}s after down", flush=True)
        status, body = b.get("/healthz")
        check(status == 503 and "cluster: kafka unreachable" in body,
              "/healthz answers 503 naming the cluster's Kafka", f"{status} {body}")
        # No requests from B from the session timeout plus the margin on, for two intervals
        # and more. (Fails when B goes on polling: it sent requests every interval above.)
        quiet_from = down_at + SESSION_S + MARGIN_S
        time.sleep(max(0.0, quiet_from - time.time()) + 2 * INTERVAL_S + 1)
        late = requests(quiet_from, b.ua)
        check(not late, f"{b.name} sends the portal nothing while Kafka is unreachable",
              "\n".join(f"{e['wall']} {e['path']}" for e in late[:5]))
        check(b.owned_partitions() == set(), f"{b.name} owns no partition while unreachable")

        check(kafka.command("up") == "OK", "mock kafka: every broker up")
        up_at = time.time()
        # Until it owns its partitions again it is joining or rebalancing, not "stable" (a
        # rolling upgrade waits for stable): one scrape, every quarter second. The metrics are
        # sampled every second, so "stable" before the last restore ended may show for one.
        stable_empty = []

        def back():
            m = b.metrics()
            if b.state(m) == "stable" and not b.owned_partitions(m):
                stable_empty.append(time.time())
            return all_owned([b])

        check(wait(back, 30, step=0.25),
              f"{b.name} stable and owning every partition again after up "
              f"({time.time() - up_at:.1f}s)")
        span = stable_empty[-1] - stable_empty[0] if stable_empty else 0.0
        check(span < 1.5, f"{b.name} is not \"stable\" while it owns no partition after up "
              f"(for {span:.1f}s)")
        status, body = b.get("/healthz")
        check(status == 200, "/healthz answers 200 again", f"{status} {body}")
        check(b.restored() > restored_before,
              f"{b.name} restored the changelog again ({restored_before} -> {b.restored()})")
        stable_at = time.time()
        polled = {}

        def polls_again():
            for e in requests(stable_at, b.ua):
                polled[e["port"]] = e
            return {portal.ports[h] for h in source_hosts()} <= set(polled)

        check(wait(polls_again, 2 * INTERVAL_S + 6),
              f"{b.name} polls every source again after up")

        # 3. Nothing lost, nothing published twice as new, one revision.
        b.proc.send_signal(signal.SIGTERM)
        check(b.proc.wait(timeout=30) == 0, f"{b.name} stops cleanly on SIGTERM")
        published, revised = events("report.published"), events("report.revised")
        by_id = {report_id(u): u for u in reports}
        lost = set(by_id) - set(published)
        twice = {by_id.get(k, k): v for k, v in published.items() if v > 1}
        print(f"reports: {len(reports)}, published: {len(published)}, lost: {len(lost)}, "
              f"published twice: {len(twice)}, revised: {revised}", flush=True)
        check(not lost, f"no report lost: {sorted(by_id[i] for i in lost)}")
        check(not twice, f"no report published twice as report.published: {twice}")
        check(revised == {revise_id: 1}, f"one report.revised in all: {revised}")
    finally:
        for n in nodes:
            if n.alive():
                n.proc.kill()
                n.proc.wait()
        portal.close()
        kafka.close()
    return check.finish()


if __name__ == "__main__":
    sys.exit(main())
