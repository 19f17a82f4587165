"""Three nodes sharing the sources through a Kafka consumer group ([cluster], docs/cluster.md).

One mock Kafka (tests/e2e/mock_kafka), the local portal with many numbered hosts (host4 and up
are copies of host1), one source per host, and three `nianbao run` daemons with the same
sources file, state directories of their own and the same topics:

  1. once the group is stable, every source is polled by exactly one node, and the nodes'
     owned sources (nianbao_cluster_sources_owned) add up to all of them;
  2. a node is killed with SIGKILL at a random moment, a few times (it is started again
     after each kill): within the session timeout plus one interval each of its sources is
     polled by another node, whose report requests carry If-None-Match / If-Modified-Since
     (the state came along through the changelog);
  3. a node stopped with SIGTERM leaves the group as it stops and its partitions move with
     that one rebalance (no session timeout first);
  4. at the end: every report of the portal was published (none lost), and none twice as
     report.published (read_committed, every node's producer).

Usage: cluster_e2e_test.py NIANBAO MOCK_KAFKA REPO_ROOT   (Debian's /usr/bin/python3)
"""
import json
import os
import random
import re
import signal
import sys
import tempfile
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import (Checks, ClusterNode, MockKafka, Portal,  # noqa: E402
                    cluster_sources_toml, kcat, partition_of, report_id, wait, wall)

HOSTS = 12           # sources: host1 and the copies of it, host4 and up (host2, host3 differ)
PARTITIONS = 6
# [cluster] session_timeout. Short, because the mock cluster's rebalances are slow: each join
# waits session_timeout - 1 s, and a member's removal after a kill takes two rounds of the
# cooperative protocol (seen: the orphaned partitions handed out 9 s apart with 10 s).
SESSION_S = 6
INTERVAL_S = 12      # the sources' interval (no jitter)
NODES = ["node-a", "node-b", "node-c"]
KILLS = 2            # SIGKILLs at random moments


def source_hosts():
    return ["host1"] + [f"host{i}" for i in range(4, HOSTS + 3)]


def sources_toml(portal):
    return cluster_sources_toml(portal, source_hosts(), INTERVAL_S,
                                "nianbao/0.1 (+https://github.com/nianbao/nianbao)",
                                max_concurrency=16, min_delay="50ms")


def node(tmp, name, bootstrap, nianbao):
    return ClusterNode(tmp, name, nianbao, bootstrap=bootstrap, sources="../sources.toml",
                       transactional_id="cluster-e2e", topic_prefix="c",
                       partitions=PARTITIONS, session_s=SESSION_S)


def main():
    nianbao, mock, root = sys.argv[1:4]
    check = Checks()
    random.seed(os.environ.get("CLUSTER_E2E_SEED", str(int(time.time()))))
    tmp = tempfile.mkdtemp(prefix="nianbao-cluster-")
    portal = Portal(root, os.path.join(tmp, "portal.jsonl"), hosts=HOSTS + 2)
    # The cluster's topics with their partitions (the mock does not serve CreateTopics).
    kafka = MockKafka(mock, topics=[f"nianbao.cluster:{PARTITIONS}",
                                    f"nianbao.state:{PARTITIONS}"])
    bootstrap = kafka.bootstrap
    nodes = []
    try:
        with open(os.path.join(tmp, "sources.toml"), "w", encoding="utf-8") as f:
            f.write(sources_toml(portal))
        source_partition = {h: partition_of(f"127.0.0.1:{portal.ports[h]}", PARTITIONS)
                            for h in source_hosts()}
        host_of_port = {portal.ports[h]: h for h in source_hosts()}
        reports = {r["url"] for h in source_hosts() for r in portal.manifest["hosts"][h]["reports"]}
        nodes = [node(tmp, n, bootstrap, nianbao) for n in NODES]
        for n in nodes:
            n.start()
            time.sleep(1)

        def all_owned():
            # Stable: every partition owned once, and every node running owns some.
            parts = [n.owned_partitions() for n in nodes if n.alive()]
            union = set().union(*parts) if parts else set()
            return (union == set(range(PARTITIONS)) and sum(len(p) for p in parts) == PARTITIONS
                    and all(parts))

        check(wait(all_owned, 60), "the three nodes own every partition, each once")
        # 1. one interval after the group is stable: every source polled, by one node only.
        t0 = time.time()
        time.sleep(INTERVAL_S + 6)
        by_source = {}
        for n in nodes:
            for t, s in n.passes():
                if t >= t0 + 1:
                    by_source.setdefault(s, set()).add(n.name)
        check(set(by_source) == set(source_partition),
              f"every source polled in a pass: missing {set(source_partition) - set(by_source)}")
        check(all(len(v) == 1 for v in by_source.values()),
              f"each source polled by one node only: {by_source}")
        check(sum(n.sources_owned() for n in nodes) == HOSTS,
              "nianbao_cluster_sources_owned adds up to every source")
        # The status page's JSON says which sources each node polls: the same split.
        polled = {}
        for n in nodes:
            rows = json.loads(urllib.request.urlopen(
                f"http://127.0.0.1:{n.port}/api/sources", timeout=5).read())
            for r in rows:
                if r.get("owned"):
                    polled.setdefault(r["name"], []).append(n.name)
        check(sorted(polled) == sorted(source_partition)
              and all(len(v) == 1 for v in polled.values()),
              f"/api/sources: each source owned by one node: {polled}")

        def member_states():
            return [n.state() for n in nodes if n.alive()]

        def settled(quiet_s=8):
            """Every partition owned, every node stable, and no change for quiet_s seconds.

            A kill at a random moment of a settled group. (A member killed inside a rebalance
            holds the group up for longer on the mock: its join waits session_timeout - 1 s,
            then the sync waits for the dead member for another session timeout: see the
            takeover in docs/cluster.md.)"""
            end = time.time() + 90
            last, since = None, time.time()
            while time.time() < end:
                now = ([sorted(n.owned_partitions()) for n in nodes if n.alive()],
                       member_states())
                ok = all_owned() and all(s == "stable" for s in now[1])
                if now != last or not ok:
                    last, since = now, time.time()
                elif time.time() - since >= quiet_s:
                    return True
                time.sleep(0.5)
            return False

        # 2. SIGKILL at random moments of a settled group.
        for k in range(KILLS):
            check(settled(), f"kill {k + 1}: the group settles before the kill")
            time.sleep(random.uniform(0, INTERVAL_S))
            victim = random.choice(nodes)
            parts = victim.owned_partitions()
            victim.proc.send_signal(signal.SIGKILL)
            victim.proc.wait()
            killed_at = time.time()
            moved = {s for s, p in source_partition.items() if p in parts}
            print(f"kill {k + 1}: {victim.name} with partitions {sorted(parts)}, "
                  f"sources {sorted(moved)}", flush=True)
            deadline = SESSION_S + INTERVAL_S + 8

            owned_at = []

            def taken_over():
                survivors = [n for n in nodes if n is not victim]
                if not owned_at and parts <= set().union(*[n.owned_partitions()
                                                            for n in survivors]):
                    owned_at.append(time.time() - killed_at)
                seen = {s for n in survivors for t, s in n.passes() if t >= killed_at}
                return moved <= seen

            polled = wait(taken_over, deadline)
            if polled and not owned_at:
                # The gauges are sampled once a second: they may lag the first pass.
                wait(lambda: taken_over() and bool(owned_at), 3, step=0.2)
            print(f"kill {k + 1}: partitions owned by the survivors after "
                  f"{owned_at[0] if owned_at else float('nan'):.1f}s, sources polled after "
                  f"{time.time() - killed_at:.1f}s", flush=True)
            check(polled, f"kill {k + 1}: the sources of {victim.name} polled by another node "
                  f"within {deadline}s")
            # Its report pages were asked for with validators (the state came along).
            log = [json.loads(line) for line in open(os.path.join(tmp, "portal.jsonl"))]
            recent = [e for e in log if host_of_port.get(e["port"]) in moved
                      and re.search(r"t\d{8}_\d+\.html$", e["path"])
                      and wall(e["wall"]) >= killed_at]
            conditional = [e for e in recent
                           if e.get("if-none-match") or e.get("if-modified-since")]
            check(moved == set() or len(conditional) > 0,
                  f"kill {k + 1}: report pages of the moved sources asked for conditionally "
                  f"({len(conditional)} of {len(recent)})")
            victim.start()
            started = time.time()
            check(wait(all_owned, 60), f"kill {k + 1}: every partition owned again after restart")
            print(f"kill {k + 1}: stable {time.time() - started:.1f}s after the restart: "
                  f"{[sorted(n.owned_partitions()) for n in nodes]}", flush=True)

        # 3. SIGTERM: the partitions move at once. (Once the group settled: the restart's
        # cooperative rebalance has a second round after every partition is owned.)
        check(settled(), "SIGTERM: the group settles before the stop")
        victim = random.choice(nodes)
        parts = victim.owned_partitions()
        victim.proc.send_signal(signal.SIGTERM)
        victim.proc.wait(timeout=30)
        stopped_at = time.time()
        others = [n for n in nodes if n is not victim]

        def survivors_own_all():
            union = set().union(*[n.owned_partitions() for n in others])
            return union == set(range(PARTITIONS))

        # The node leaves the group as it stops (it does not wait for the coordinator to time
        # it out), and the partitions move with that one rebalance: on the mock cluster its
        # join waits session_timeout - 1 s for the members (it does not end early when all
        # have rejoined), the survivors hear of it at their next heartbeat (session / 3), then
        # restore, and the gauges are sampled once a second. (Time alone cannot tell a leave
        # from a timeout on the mock: a killed member's session may have 3 s left of its 10.)
        check(victim.logged(f"node {victim.name} left group")
              and not victim.logged("leaving the group:"),
              f"SIGTERM: {victim.name} left the group as it stopped (its log says so, and no "
              f"error leaving it)")
        bound = 2 * SESSION_S + 4  # up to two rounds of the mock's join wait, then sampling
        moved_in = wait(survivors_own_all, bound, step=0.2)
        check(moved_in and time.time() - stopped_at < bound,
              f"SIGTERM: the partitions {sorted(parts)} of {victim.name} moved within "
              f"{time.time() - stopped_at:.1f}s of its exit (one rebalance, < {bound}s)")
        time.sleep(INTERVAL_S)

        # 4. nothing lost, nothing published twice as new.
        for n in nodes:
            if n.alive():
                n.proc.send_signal(signal.SIGTERM)
        for n in nodes:
            if n.proc is not None:
                n.proc.wait(timeout=60)
        events = kcat(bootstrap, "c.reports")
        published = {}
        for m in events:
            if m["headers"].get("event") == "report.published":
                published[m["key"]] = published.get(m["key"], 0) + 1
        lost = {report_id(u) for u in reports} - set(published)
        twice = {k: v for k, v in published.items() if v > 1}
        print(f"reports: {len(reports)}, published: {len(published)}, lost: {len(lost)}, "
              f"published twice: {len(twice)}", flush=True)
        by_id = {report_id(u): u for u in reports}
        check(not lost, f"no report lost: never published: {sorted(by_id[i] for i in lost)}")
        check(not twice, f"no report published twice as report.published: {twice}")
        node_of = {}
        for m in kcat(bootstrap, "c.sources"):
            v = json.loads(m["payload"])
            node_of.setdefault(v["source"], set()).add(v.get("node"))
        check(all(None not in v and v <= set(NODES) for v in node_of.values()) and node_of,
              f"every source event names its node: {node_of}")
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
