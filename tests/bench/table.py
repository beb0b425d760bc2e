#!/usr/bin/env python3
"""table.py RESULTS ROOT: prints the one markdown table of tests/bench/run.sh from RESULTS, the
"key value" lines the benchmark scripts appended (BENCH_RESULTS), followed by the machine line.
ROOT is the project's root (for the git commit and the build's type). Every figure in the
table is in RESULTS; ratios are computed here, so that each one reads the same way: above 1
means braid did better (peer / braid for costs such as seconds and megabytes, braid / peer for
rates such as MB/s and requests/s)."""
import os
import platform
import subprocess
import sys
import textwrap
import time

path, root = sys.argv[1], sys.argv[2]
kv = {}
for line in open(path):
    key, _, value = line.rstrip("\n").partition(" ")
    kv[key] = value


def num(key):
    return float(kv[key]) if key in kv and kv[key] not in ("", "?") else None


def fmt(v):
    """A figure with as many digits as it deserves: 1,234 / 123 / 12.3 / 1.23 / 0.123."""
    if v is None:
        return "n/a"
    if abs(v) >= 1000:
        return "{:,.0f}".format(v)
    if abs(v) >= 100:
        return "%.0f" % v
    if abs(v) >= 10:
        return "%.1f" % v
    if abs(v) >= 1:
        return "%.2f" % v
    return "%.3f" % v


rows = []


def row(workload, measured, braid, peer, figure, better):
    """better: 'less' (a cost: ratio peer / braid), 'more' (a rate: braid / peer) or None."""
    ratio = "—"
    if better and braid and figure:
        ratio = "%.2f" % (figure / braid if better == "less" else braid / figure)
    rows.append((workload, measured, fmt(braid), peer, fmt(figure) if peer != "none" else "—",
                 ratio))


def ok(prefix):
    return all(k in kv for k in prefix) if isinstance(prefix, tuple) else prefix in kv


# ---- parse ----------------------------------------------------------------------------------
if ok("parse.corpus_mb"):
    mb = num("parse.corpus_mb")
    work = "parse: %.0f MB RSS 2.0 corpus, best of %s" % (mb, kv["parse.runs"])
    for peer, key in (("sfeed", "sfeed"), ("`xmllint --stream --noout`", "xmllint")):
        row(work, "MB/s of CPU time", mb / num("parse.braid.cpu_s"), peer,
            mb / num("parse.%s.cpu_s" % key), "more")
    work = "parse: %s MB RSS 2.0 feed" % kv["parse.big_mb"]
    for peer, key in (("sfeed", "sfeed"), ("`xmllint --stream --noout`", "xmllint")):
        row(work, "peak RSS, MB", num("parse.braid.big_rss_mb"), peer,
            num("parse.%s.big_rss_mb" % key), "less")

# ---- split ----------------------------------------------------------------------------------
if ok("split.updates"):
    work = "split: %.1f MB live blog, %s updates, best of %s" % (
        num("split.body_bytes") / 1e6, "{:,}".format(int(kv["split.updates"])), kv["split.runs"])
    floor = "floor: `xmllint --html --noout` (parse only)"
    row(work, "CPU s, splitter alone (in-process)", num("split.lib.cpu_s"), floor,
        num("split.xmllint.cpu_s"), "less")
    row(work, "CPU s, `braid split` (JSON out)", num("split.cmd.cpu_s"), floor,
        num("split.xmllint.cpu_s"), "less")
    row(work, "peak RSS, MB, `braid split`", num("split.cmd.rss_mb"), floor,
        num("split.xmllint.rss_mb"), "less")

# ---- store ----------------------------------------------------------------------------------
if ok("store.entries"):
    work = "store: %s entries, %s per transaction, %s feeds" % (
        "{:,}".format(int(kv["store.entries"])), kv["store.per_poll"], kv["store.feeds"])
    row(work, "inserts/s of CPU time", num("store.insert_per_cpu_s"), "none", None, None)
    row(work, "inserts/s, wall", num("store.insert_per_s"), "none", None, None)
    row(work, "newest 100 with sources, ms (mean of 200)", num("store.newest_avg_ms"), "none",
        None, None)
if ok("ingest.feeds"):
    work = "ingest: %s feeds (%s MB, %s items) from local files into SQLite" % (
        "{:,}".format(int(kv["ingest.feeds"])), kv["ingest.feed_mb"],
        "{:,}".format(int(kv["ingest.braid.items"])))
    peer = "`newsboat -x reload`"
    row(work, "items/s of CPU time", num("ingest.braid.items") / num("ingest.braid.cpu_s"), peer,
        num("ingest.newsboat.items") / num("ingest.newsboat.cpu_s"), "more")
    row(work, "wall s", num("ingest.braid.wall_s"), peer, num("ingest.newsboat.wall_s"), "less")
    row(work, "peak RSS, MB", num("ingest.braid.rss_mb"), peer, num("ingest.newsboat.rss_mb"),
        "less")

# ---- poll -----------------------------------------------------------------------------------
PEERS = {"curl": "curl floor (`xargs -P%s -n50 curl`)", "newsboat": "`newsboat -x reload`",
         "sfeed_update": "`sfeed_update` (8 jobs)"}
polls = sorted({int(k.split(".")[1][1:]) for k in kv if k.startswith("poll.n")}, reverse=True)
for p, what in ((1, "first poll"), (2, "second poll, all unchanged")):
    for n in polls:
        pre = "poll.n%d." % n
        if pre + "braid.p%d.wall" % p not in kv:
            continue
        work = "%s: %s feeds (%s MB), nginx on 127.0.0.1" % (what, "{:,}".format(n),
                                                             kv[pre + "feed_mb"])
        for tool in ("curl", "newsboat", "sfeed_update"):
            t = pre + "%s.p%d." % (tool, p)
            if t + "wall" not in kv:
                continue
            peer = PEERS[tool] % kv[pre + "jobs"] if tool == "curl" else PEERS[tool]
            if num(t + "feeds") != n:
                peer += " on %d of the feeds, per feed" % num(t + "feeds")
            scale = n / num(t + "feeds")  # per feed where a peer polled fewer
            if num(t + "stopped"):
                peer += ", stopped at the time limit (a lower bound)"
            measures = [("wall s", "wall"), ("CPU s (user+sys)", "cpu")]
            if p == 1:
                measures.append(("peak RSS, MB (largest process)", "mb"))
            for label, key in measures:
                figure = num(t + key) * (scale if key != "mb" else 1)
                row(work, label, num(pre + "braid.p%d.%s" % (p, key)), peer, figure, "less")
            if p == 2:
                rows.append((work, "answered 304 (nginx's log)", "%d of %d" % (
                    num(pre + "braid.p2.nm"), num(pre + "braid.p2.req")), peer, "%d of %d" % (
                    num(t + "nm"), num(t + "req")), "—"))

# ---- serve ----------------------------------------------------------------------------------
if ok("serve.bytes"):
    work = "serve: `/feed.atom`, 100 entries (%s KB), wrk -c32, median of %s" % (
        "%.0f" % (num("serve.bytes") / 1e3), kv["serve.rounds"])
    peer = "nginx, static file, 1 worker"
    row(work, "requests/s", num("serve.braid.rps"), peer, num("serve.nginx.rps"), "more")
    row(work, "server CPU per request, µs", num("serve.braid.cpu_us_per_req"), peer,
        num("serve.nginx.cpu_us_per_req"), "less")
    row(work, "p99 latency, ms", num("serve.braid.p99_ms"), peer, num("serve.nginx.p99_ms"),
        "less")
    row(work, "peak RSS, MB", num("serve.braid.rss_mb"), peer, num("serve.nginx.rss_mb"), "less")

print("| workload | measured | braid | peer (same input, same run) | peer | braid ahead × (>1: braid better) |")
print("|---|---|---|---|---|---|")
for r in rows:
    print("| %s |" % " | ".join(r))
print()
say = lambda text: print(textwrap.fill(text, 100, break_on_hyphens=False, break_long_words=False))
say("How to read it. \"braid ahead ×\" is the peer's figure ÷ braid's for costs (seconds, MB, µs, "
      "ms) and braid's ÷ the peer's for rates, so above 1 braid did better and below 1 the peer did. "
      "CPU is user + sys of the tool and its children (wait4/getrusage; for the servers, /proc): "
      "the machine is shared, so wall times wobble and CPU times are the steadier figure. "
      "Floors are not peers: nothing else splits live blogs, so `xmllint --html` (libxml2's bare "
      "HTML parse of the same body) is the cost of the first step of a split, and the curl floor "
      "(fetching the same URLs, bodies thrown away) is the cost of the network part of a poll; "
      "below 1 there is the price of what braid does beyond them. The store's own figures have no "
      "peer (braid's store API, in-process); the ingest rows put the same items into SQLite through "
      "each tool's feed reader, parsing included, because newsboat takes items only from feeds "
      "(braid with `liveblog = never`, so that both store one row per item). Second poll: nothing "
      "changed; newsboat and sfeed_update send no validators and fetch everything again. Peak RSS "
      "of the curl floor and sfeed_update is their largest single process, not the sum; braid's "
      "includes %s MB that its process holds before reading anything (`braid --help` in the same "
      "run: libcurl and the TLS, HTTP/2 and Kerberos libraries it loads). Serve: "
      "braid's HTTP module (`tests/bench/serve/bench_server.c`, a fixed stream rendered once and "
      "cached, as the daemon does per store version) against nginx sending the same bytes from a "
      "file with sendfile, both on 127.0.0.1 under wrk (2 threads)." % kv.get(
          "parse.braid.idle_rss_mb", "?"))
print()


# ---- the machine ----------------------------------------------------------------------------
def run(*cmd):
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, cwd=root)
        return (p.stdout or p.stderr).strip()
    except OSError:
        return "?"


def pkg(name):
    return run("dpkg-query", "-W", "-f", "${Version}", name).split("-")[0] or "?"


cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo")
            if l.startswith("model name")), "?")
mem_kb = next(int(l.split()[1]) for l in open("/proc/meminfo") if l.startswith("MemTotal"))
debian = open("/etc/debian_version").read().strip() if os.path.exists("/etc/debian_version") else "?"
commit = kv.get("run.commit") or run("git", "rev-parse", "--short=10", "HEAD")
start = num("run.start_epoch") or time.time()
took = (num("run.end_epoch") or time.time()) - start
load_end = kv.get("run.load_end") or " ".join(open("/proc/loadavg").read().split()[:3])
say("Machine: %s, %d cores, %.1f GiB RAM, Linux %s, Debian %s; %s; braid %s, %s build, SQLite %s; "
      "peers: sfeed %s, newsboat %s, xmllint (libxml2) %s, curl %s, nginx %s, wrk %s; load average "
      "%s at the start, %s at the end; the whole run took %d min %02d s." % (
          cpu, os.cpu_count(), mem_kb / 1048576, platform.release(), debian,
          time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(start)), commit,
          kv.get("run.build_type", "?"), kv.get("store.sqlite", "?"), pkg("sfeed"),
          pkg("newsboat"), pkg("libxml2-utils"), pkg("curl"), pkg("nginx-common"), pkg("wrk"),
          kv.get("run.load_start", "?"), load_end, took // 60, took % 60))
