#!/usr/bin/env python3
"""End-to-end benchmarks of slipstream as a whole process (Python 3 standard library only).

    benches/e2e/run.py [PART ...] [--lines N] [--runs R]

PART is one or more of (default: all of them, in this order):
  replay  `slipstream replay` of a generated ALB file (N lines, default 5,000,000): lines/s,
          bytes/s, CPU seconds and peak RSS per run; the report's totals are checked against
          the number of lines.
  mtail   Side by side over one file of --mtail-lines lines (default 1,000,000), in each
          run: `wc -l`, `slipstream replay` (every core), `replay --threads 1`, and Google's
          mtail (Debian package `mtail`) in one-shot mode with an equivalent program
          (benches/e2e/alb.mtail: per-service status-class counters and a latency
          histogram); counts are checked against the file, and each ratio is taken within
          one run.
  memory  Peak RSS of a replay with 1,000 and with 10,000 SLOs (4 per service: 31-day
          availability and latency, 7-day error rate, 1-day latency; every service has latency
          histograms), and the memory per SLO: the RSS slope between the two.
  query   `GET /v1/slos/{id}` (4 connections) and `GET /v1/slos` (2 connections; 1,000 SLOs)
          latency with wrk while slipstream ingests from stdin at half the measured replay rate
          (a file of 250 services' lines, repeated, through pv's rate limit), beside the idle
          p50 of `GET /v1/slos` (the same lines read from a file, then no ingest); then
          `/healthz` latency while 4 clients scrape `/metrics` of 10,000 SLOs in a loop.
  kafka   A tansu broker on loopback: loadgen fills a 4-partition topic, then a bare
          librdkafka consumer (benches/kafka_count.rs: slipstream's client settings, counting
          messages only) and slipstream each consume it from a fresh group (events/s, and
          slipstream's rate over the bare one's in the same run; CPU of slipstream and of the
          broker); then freshness: loadgen produces live at 100,000 events/s while the API is
          polled, freshness = `data_lag_seconds` (poll time minus the event time the API covers).

  cluster Cluster mode with 1, 2 and 3 members on one tansu broker, a 12-partition topic:
          the members start on the empty topic and settle (every partition owned, answers
          whole), then loadgen fills it with N lines (default 1,000,000 here) while they
          consume; events/s = N / (time from the fill's start until every member holds every
          line). Also the fill's own time, the members' and broker's CPU, the deltas written
          and their bytes per event, and the log records per second.

  soak    (not part of the default run) `loadgen --rate` piped into `slipstream run` with 1,000
          SLOs for --minutes (default 60) at --rate lines/s (default 20,000): RSS, CPU, lines
          and data lag every minute.

Every figure is measured R times (default 3) and printed as min / median / max. Generated
inputs are kept in target/e2e/ and reused. SLIPSTREAM_BIN=path measures that binary instead
of building target/release/slipstream. Needs: a release build (made here), and for the
parts that use them: mtail, wrk, pv, and tansu (scripts/tansu.sh install).
"""

import argparse
import atexit
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HERE = ROOT / "benches" / "e2e"
WORK = ROOT / "target" / "e2e"
# The configurations a run writes name its ports, topics and groups, so no later run can
# reuse them: they go to a directory of this run's own, removed when it exits.
CONFIGS = Path(tempfile.mkdtemp(prefix="slipstream-e2e-"))
atexit.register(shutil.rmtree, CONFIGS, True)
BIN = Path(os.environ.get("SLIPSTREAM_BIN", ROOT / "target" / "release" / "slipstream"))
CLK_TCK = os.sysconf("SC_CLK_TCK")


def log(*args):
    print(*args, flush=True)


def spread(values, fmt="{:,.0f}"):
    """min / median / max of `values` formatted with `fmt`."""
    return " / ".join(fmt.format(v) for v in (min(values), statistics.median(values), max(values)))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cpu_seconds(pid):
    """User + system CPU seconds of a live process, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def timed(cmd, **kwargs):
    """Runs `cmd` under /usr/bin/time; returns (wall s, cpu s, peak RSS KiB, stdout). Wall
    time is taken here, to the microsecond (time(1) rounds it to 10 ms)."""
    with tempfile.NamedTemporaryFile("r") as t:
        started = time.perf_counter()
        p = subprocess.run(
            ["/usr/bin/time", "-o", t.name, "-f", "%e %U %S %M", *cmd],
            stdout=subprocess.PIPE,
            check=True,
            **kwargs,
        )
        wall = time.perf_counter() - started
        _, user, sys_, rss = t.read().split()[-4:]
    return wall, float(user) + float(sys_), int(rss), p.stdout


def get(url, timeout=5):
    with urllib.request.urlopen(url, timeout=timeout) as r:
        return r.read()


def wait_http(url, proc, seconds=60):
    deadline = time.time() + seconds
    while time.time() < deadline:
        if proc.poll() is not None:
            sys.exit(f"slipstream exited with {proc.returncode} before serving {url}")
        try:
            return get(url)
        except OSError:
            time.sleep(0.05)
    sys.exit(f"{url} did not answer in {seconds} s")


def metric_sum(text, name):
    """Sum of every sample of metric `name` in Prometheus text."""
    total = 0.0
    for line in text.splitlines():
        if line.startswith(name + "{") or line.startswith(name + " "):
            total += float(line.rsplit(" ", 1)[1])
    return total


def build():
    log("== cargo build --release")
    subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=ROOT, check=True)


def loadgen_file(name, lines, services=4, extra=()):
    """A generated ALB file under target/e2e, made once per (name, lines)."""
    WORK.mkdir(parents=True, exist_ok=True)
    path = WORK / f"{name}-{lines}.log"
    if not path.exists():
        log(f"== generating {path} ({lines:,} lines, {services} services)")
        tmp = path.with_suffix(".tmp")
        subprocess.run(
            [BIN, "loadgen", "--rate", "0", "--count", str(lines), "--no-incidents",
             "--services", str(services), "--output", tmp, *extra],
            check=True, stderr=subprocess.DEVNULL,
        )
        tmp.rename(path)
    return path


def slo_config(services, listen="127.0.0.1:0", source="{stdin: {}}"):
    """A pipeline for loadgen's first `services` services with 4 SLOs each (availability 31d,
    latency p99 31d, error rate 7d, latency p50 1d): 4 × services SLOs, half with latency
    histograms. Service names and hosts follow `slipstream loadgen --services`."""
    names = ["checkout", "search", "auth", "catalog"] + [f"svc{i + 1}" for i in range(4, services)]
    names = names[:services]
    out = [
        "apiVersion: slipstream/v1", "kind: Pipeline", "metadata: {name: e2e}", "spec:",
        f"  listen: {listen}", f"  source: {source}", "  decode: {format: alb}",
        "  window: {allowed_lateness: 0s, max_future: 5m}", "  services:",
    ]
    out += [f"    - {{name: {n}, match: {{host: {n}.example.com}}}}" for n in names]
    for n in names:
        out += [
            "---", "apiVersion: reliability/v1", "kind: ServiceLevelObjective",
            f"metadata: {{name: {n}}}", "spec:", f"  service: {n}", "  indicators:",
            "    - {name: availability, threshold: 99.9, window: 31d}",
            '    - {name: latency_p99, threshold: "300ms", window: 31d}',
            "    - {name: error_rate, threshold: 0.5, window: 7d}",
            '    - {name: latency_p50, threshold: "50ms", window: 1d}',
        ]
    fd, name = tempfile.mkstemp(prefix=f"slos-{services * 4}-", suffix=".yaml", dir=CONFIGS)
    os.close(fd)
    path = Path(name)
    path.write_text("\n".join(out) + "\n")
    return path


def expected_total(path, end):
    """Lines of `path` whose event time (ALB field 2) is before `end`, a whole-second RFC 3339
    time: what every window ending at `end` must count. Counted here, independently."""
    cut = end[:19].encode()
    n = 0
    with open(path, "rb") as f:
        for line in f:
            if line.split(b" ", 2)[1][:19] < cut:
                n += 1
    return n


def report_total(report_json):
    """(events in the longest availability windows, their common end) from a replay report."""
    report = json.loads(report_json)
    longest = [s["windows"][-1] for s in report["slos"] if s["kind"] == "availability"]
    ends = {w["end"] for w in longest}
    if len(ends) != 1:
        sys.exit(f"availability windows end at different times: {ends}")
    return sum(w["total"] for w in longest), ends.pop()


RESULTS = {}


def replay_runs(path, lines, runs):
    """`runs` timed replays of `path` (`lines` lines), each checked against an independent
    count; returns the lines/s of each."""
    size = path.stat().st_size
    rates, mbs, cpus, rsss = [], [], [], []
    for run in range(runs):
        wall, cpu, rss, out = timed([BIN, "replay", "-c", HERE / "replay.yaml", path],
                                    stderr=subprocess.DEVNULL)
        total, end = report_total(out)
        if run == 0:
            expected = expected_total(path, end)
            log(f"   {expected:,} lines have event times before the report's end {end}")
        if total != expected:
            sys.exit(f"replay counted {total} events before {end}, the file has {expected}")
        rates.append(lines / wall)
        mbs.append(size / wall / 1e6)
        cpus.append(cpu)
        rsss.append(rss / 1024)
        log(f"   run {run + 1}: {wall:.2f} s wall, {cpu:.2f} s CPU, {rss / 1024:.0f} MiB peak RSS")
    log(f"   lines/s      {spread(rates)}")
    log(f"   MB/s         {spread(mbs, '{:,.1f}')}")
    log(f"   CPU seconds  {spread(cpus, '{:.2f}')}  ({lines / statistics.median(cpus):,.0f} lines per CPU-second)")
    log(f"   peak RSS MiB {spread(rsss, '{:.1f}')}")
    return rates


def part_replay(args):
    path = loadgen_file("alb", args.lines)
    log(f"== replay: {args.lines:,} lines, {path.stat().st_size / 1e6:,.0f} MB, "
        f"config benches/e2e/replay.yaml")
    RESULTS["replay_rate"] = statistics.median(replay_runs(path, args.lines, args.runs))


MTAIL_LINE = re.compile(r'^alb_requests_total\{.*\} (\d+)$')


def part_mtail(args):
    """Side by side over one file of --mtail-lines lines, in every run: `wc -l`, `slipstream
    replay` on every core, `slipstream replay --threads 1` and mtail. Each ratio is taken
    within one run (these machines' speed drifts between runs), then reported as min / median
    / max over the runs. (mtail 3.0.0~rc50 in one-shot mode stopped after 1,012,148 of the
    5,000,000-line file's lines, exiting 0; over 2,000,000 lines it reads them all, which
    this part checks.)"""
    if not shutil.which("mtail"):
        sys.exit("mtail is not installed (apt-get install mtail)")
    lines = args.mtail_lines
    path = loadgen_file("alb", lines)
    log(f"== side by side over {lines:,} lines ({path.stat().st_size / 1e6:,.0f} MB): wc -l, "
        f"replay (every core), replay --threads 1, mtail --one_shot (benches/e2e/alb.mtail)")
    expected = None
    walls = {"wc": [], "replay": [], "replay1": [], "mtail": []}
    # Every tool reads the file from the page cache: one untimed read first.
    subprocess.run(["cat", path], check=True, stdout=subprocess.DEVNULL)
    for run in range(args.runs):
        wall, _, _, out = timed(["wc", "-l", path])
        if int(out.split()[0]) != lines:
            sys.exit(f"wc counted {out!r}, the file has {lines} lines")
        walls["wc"].append(wall)
        for key, threads in (("replay", []), ("replay1", ["--threads", "1"])):
            wall, cpu, _, out = timed([BIN, "replay", *threads, "-c", HERE / "replay.yaml", path],
                                      stderr=subprocess.DEVNULL)
            total, end = report_total(out)
            if expected is None:
                expected = expected_total(path, end)
            if total != expected:
                sys.exit(f"replay counted {total} events before {end}, the file has {expected}")
            walls[key].append(wall)
            log(f"   run {run + 1}: {key} {wall:.3f} s wall, {cpu:.2f} s CPU")
        wall, cpu, _, out = timed(
            ["mtail", "--one_shot", "--one_shot_format=prometheus", "--progs",
             HERE / "alb.mtail", "--logs", path],
            stderr=subprocess.DEVNULL,
        )
        counted = sum(int(m.group(1)) for m in map(MTAIL_LINE.match, out.decode().splitlines()) if m)
        if counted != lines:
            sys.exit(f"mtail counted {counted} requests, the file has {lines} lines")
        walls["mtail"].append(wall)
        log(f"   run {run + 1}: wc {walls['wc'][-1]:.3f} s, mtail {wall:.2f} s wall, {cpu:.2f} s CPU")
    for key, w in walls.items():
        log(f"   {key:8} seconds {spread(w, '{:.3f}')}  lines/s {spread([lines / x for x in w])}")
    runs = range(args.runs)
    log(f"   replay vs mtail (same run, ×)      {spread([walls['mtail'][r] / walls['replay'][r] for r in runs], '{:.1f}')}")
    log(f"   replay over wc -l (same run, ×)    {spread([walls['replay'][r] / walls['wc'][r] for r in runs], '{:.2f}')}")
    log(f"   one thread over every core (×)     {spread([walls['replay1'][r] / walls['replay'][r] for r in runs], '{:.2f}')}")


def part_memory(args):
    for slos in (1_000, 10_000):
        services = slos // 4
        lines = max(services * 200, 500_000)
        path = loadgen_file(f"alb-{services}svc", lines, services=services)
        config = slo_config(services, source="{file: {paths: [unused], follow: false}}")
        rsss = []
        for _ in range(args.runs):
            _, _, rss, out = timed([BIN, "replay", "-c", config, path], stderr=subprocess.DEVNULL)
            n = len(json.loads(out)["slos"])
            if n != slos:
                sys.exit(f"the report has {n} SLOs, expected {slos}")
            rsss.append(rss / 1024)
        log(f"== memory: {slos:,} SLOs ({services:,} services), {lines:,} lines: "
            f"peak RSS MiB {spread(rsss, '{:.0f}')}")
        RESULTS[slos] = statistics.median(rsss)
    per_slo = (RESULTS[10_000] - RESULTS[1_000]) * 1024 / 9_000
    log(f"== memory per SLO (RSS slope between 1,000 and 10,000 SLOs, one partition): "
        f"{per_slo:,.1f} KiB")


def wrk(url, seconds, connections=4):
    """p50 and p99 in ms and requests/s of `wrk --latency` against `url`."""
    out = subprocess.run(
        ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency", url],
        stdout=subprocess.PIPE, check=True, text=True,
    ).stdout
    unit = {"us": 1e-3, "ms": 1.0, "s": 1e3}

    def pct(p):
        m = re.search(rf"^\s+{p}%\s+([\d.]+)(us|ms|s)$", out, re.M)
        return float(m.group(1)) * unit[m.group(2)]

    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if errors:
        sys.exit(f"wrk saw {errors.group(1)} error responses from {url}")
    return pct(50), pct(99), rps


def serve_file(services, lines):
    """slipstream serving 4 × `services` SLOs counted from a file of `lines` lines read to its
    end (no ingest afterwards); returns (process, base URL)."""
    path = loadgen_file(f"alb-{services}svc", lines, services=services)
    port = free_port()
    config = slo_config(services, listen=f"127.0.0.1:{port}",
                        source=f"{{file: {{paths: [{path}], follow: false}}}}")
    proc = subprocess.Popen([BIN, "run", "-c", config], stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    wait_http(f"{base}/readyz", proc, seconds=300)
    return proc, base


def part_query(args):
    for tool in ("wrk", "pv"):
        if not shutil.which(tool):
            sys.exit(f"{tool} is not installed (apt-get install {tool})")
    if "replay_rate" not in RESULTS:
        part_replay(args)
    rate = RESULTS["replay_rate"] / 2
    services = 250
    lines = 2_000_000
    path = loadgen_file(f"alb-{services}svc", lines, services=services)
    bytes_per_line = path.stat().st_size / lines
    log("== query latency idle: 1,000 SLOs counted from a file, no ingest")
    proc, base = serve_file(services, lines)
    try:
        idle = [wrk(f"{base}/v1/slos", 5, connections=2) for _ in range(args.runs)]
    finally:
        proc.kill()
        proc.wait()
    log(f"   GET /v1/slos (1,000 SLOs) idle: p50 ms {spread([r[0] for r in idle], '{:.2f}')}, "
        f"p99 ms {spread([r[1] for r in idle], '{:.2f}')}")
    port = free_port()
    config = slo_config(services, listen=f"127.0.0.1:{port}")
    log(f"== query latency: 1,000 SLOs, ingesting from stdin at {rate:,.0f} lines/s "
        f"({rate * bytes_per_line / 1e6:,.0f} MB/s through pv)")
    # The file over and over (its events repeat, inside every window), rate-limited.
    feeder = subprocess.Popen(
        ["bash", "-c", f'while cat "{path}"; do :; done | pv -q -L {int(rate * bytes_per_line)}'],
        stdout=subprocess.PIPE, start_new_session=True)
    proc = subprocess.Popen([BIN, "run", "-c", config], stdin=feeder.stdout,
                            stderr=subprocess.DEVNULL)
    feeder.stdout.close()
    base = f"http://127.0.0.1:{port}"
    try:
        wait_http(f"{base}/readyz", proc)
        time.sleep(2)
        before = metric_sum(get(f"{base}/metrics").decode(), "slipstream_lines_total")
        t0 = time.time()
        one, all_ = [], []
        for _ in range(args.runs):
            one.append(wrk(f"{base}/v1/slos/checkout/availability", 5))
            all_.append(wrk(f"{base}/v1/slos", 5, connections=2))
        after = metric_sum(get(f"{base}/metrics").decode(), "slipstream_lines_total")
        ingest = (after - before) / (time.time() - t0)
        for name, runs in (("GET /v1/slos/{id}", one), ("GET /v1/slos (1,000 SLOs)", all_)):
            log(f"   {name}: p50 ms {spread([r[0] for r in runs], '{:.2f}')}, "
                f"p99 ms {spread([r[1] for r in runs], '{:.2f}')}, "
                f"req/s {spread([r[2] for r in runs])}")
        idle_p50 = statistics.median(r[0] for r in idle)
        log(f"   GET /v1/slos p99 under load over its idle p50: "
            f"{spread([r[1] / idle_p50 for r in all_], '{:.2f}')}")
        log(f"   ingest during the queries: {ingest:,.0f} lines/s")
    finally:
        proc.kill()
        proc.wait()
        os.killpg(feeder.pid, signal.SIGKILL)
        feeder.wait()
    part_probe_under_scrapes(args)


def part_probe_under_scrapes(args):
    """`/healthz` (1 connection) while 4 clients scrape `/metrics` of 10,000 SLOs in a loop."""
    services = 2_500
    log("== /healthz while 4 clients scrape /metrics of 10,000 SLOs (counted from a file)")
    proc, base = serve_file(services, max(services * 200, 500_000))
    try:
        health, scrapes = [], []
        for _ in range(args.runs):
            scraper = subprocess.Popen(
                ["wrk", "-t1", "-c4", "-d7s", "--latency", "--timeout", "30s",
                 f"{base}/metrics"], stdout=subprocess.PIPE, text=True)
            time.sleep(1)
            health.append(wrk(f"{base}/healthz", 5, connections=1))
            out = scraper.communicate()[0]
            scrapes.append(float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)))
        log(f"   /healthz: p50 ms {spread([r[0] for r in health], '{:.2f}')}, "
            f"p99 ms {spread([r[1] for r in health], '{:.2f}')}; "
            f"/metrics scrapes/s {spread(scrapes, '{:.2f}')}")
    finally:
        proc.kill()
        proc.wait()


def tansu(*args):
    subprocess.run([ROOT / "scripts" / "tansu.sh", *map(str, args)], check=True,
                   stdout=subprocess.DEVNULL)


def tansu_pid(port):
    return int(Path(tempfile.gettempdir(), "slipstream-tansu", f"{port}.pid").read_text())


def bench_binary(name):
    """Builds the bench target `name` (release) and returns its executable."""
    out = subprocess.run(["cargo", "bench", "--bench", name, "--no-run", "--message-format=json"],
                         cwd=ROOT, check=True, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    for line in out.stdout.decode().splitlines():
        msg = json.loads(line)
        if msg.get("reason") == "compiler-artifact" and msg.get("target", {}).get("name") == name \
                and msg.get("executable"):
            return msg["executable"]
    sys.exit(f"no executable for bench {name}")


def kafka_config(port, listen, topic, group):
    text = (ROOT / "config" / "kafka-example.yaml").read_text()
    text = text.replace("127.0.0.1:9092", f"127.0.0.1:{port}")
    text = text.replace("listen: 127.0.0.1:9977", f"listen: {listen}")
    text = text.replace("topics: [alb-logs]", f"topics: [{topic}]")
    text = text.replace("group_id: slipstream-edge", f"group_id: {group}")
    text = re.sub(r"\n  checkpoint:.*", "", text)
    path = CONFIGS / f"kafka-{group}.yaml"
    path.write_text(text)
    return path


def part_kafka(args):
    WORK.mkdir(parents=True, exist_ok=True)
    kport = free_port()
    tansu("start", kport)
    try:
        count = min(args.lines, 3_000_000)
        bare_bin = bench_binary("kafka_count")
        rates, cpus, bcpus, bares, ratios = [], [], [], [], []
        for run in range(args.runs):
            topic = f"bench-{run}-{int(time.time())}"
            tansu("topic", topic, 4, kport)
            subprocess.run([BIN, "loadgen", "--rate", "0", "--count", str(count), "--no-incidents",
                            "--brokers", f"127.0.0.1:{kport}", "--topic", topic],
                           check=True, stderr=subprocess.DEVNULL)
            port = free_port()
            config = kafka_config(kport, f"127.0.0.1:{port}", topic, f"g-{topic}")
            # The bare consumer first: the same configuration's client settings, its own
            # fresh group, counting only.
            out = subprocess.run([bare_bin, config, str(count)],
                                 check=True, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
            bare = json.loads(out.stdout)
            bares.append(count / bare["seconds"])
            log(f"   run {run + 1}: bare librdkafka consumer {count:,} messages in "
                f"{bare['seconds']:.2f} s")
            broker_cpu0 = cpu_seconds(tansu_pid(kport))
            t0 = time.time()
            proc = subprocess.Popen([BIN, "run", "-c", config], stderr=subprocess.DEVNULL)
            try:
                wait_http(f"http://127.0.0.1:{port}/healthz", proc)
                while True:
                    lines = metric_sum(get(f"http://127.0.0.1:{port}/metrics").decode(),
                                       "slipstream_lines_total")
                    if lines >= count:
                        break
                    if time.time() - t0 > 300:
                        sys.exit(f"only {lines:,.0f} of {count:,} lines after 300 s")
                    time.sleep(0.05)
                wall = time.time() - t0
                cpu = cpu_seconds(proc.pid)
            finally:
                proc.send_signal(signal.SIGTERM)
                proc.wait()
            bcpu = cpu_seconds(tansu_pid(kport)) - broker_cpu0
            rates.append(count / wall)
            cpus.append(cpu)
            bcpus.append(bcpu)
            ratios.append(rates[-1] / bares[-1])
            log(f"   run {run + 1}: {count:,} events in {wall:.2f} s (process start to last "
                f"applied), slipstream CPU {cpu:.2f} s, broker CPU {bcpu:.2f} s; "
                f"{ratios[-1]:.2f}× the bare consumer")
        log(f"== kafka consume: events/s {spread(rates)}; slipstream CPU s {spread(cpus, '{:.2f}')}; "
            f"broker CPU s {spread(bcpus, '{:.2f}')}")
        log(f"   bare consumer messages/s {spread(bares)}; slipstream over bare (same run) "
            f"{spread(ratios, '{:.2f}')}×")
        freshness(kport, args)
    finally:
        tansu("stop", kport)


def cluster_config(kport, listen, topic, cluster, member):
    text = kafka_config(kport, listen, topic, f"g-{cluster}").read_text()
    text = text.replace("\nspec:\n", "\nspec:\n  cluster: {name: %s, member_id: %s, "
                        "advertise_url: \"http://%s\", member_timeout: 5s}\n"
                        % (cluster, member, listen), 1)
    path = CONFIGS / f"cluster-{cluster}-{member}.yaml"
    path.write_text(text)
    return path


def part_cluster(args):
    WORK.mkdir(parents=True, exist_ok=True)
    kport = free_port()
    tansu("start", kport)
    count = min(args.lines, 1_000_000)
    try:
        for k in [int(k) for k in os.environ.get("CLUSTER_MEMBERS", "1,2,3").split(",")]:
            rates, fills, cpus, bcpus, per_event, records = [], [], [], [], [], []
            for run in range(args.runs):
                stamp = f"{k}m{run}r{int(time.time())}"
                topic, cluster = f"cl-{stamp}", f"c{stamp}"
                tansu("topic", topic, 12, kport)
                members = []
                for i in range(k):
                    port = free_port()
                    config = cluster_config(kport, f"127.0.0.1:{port}", topic, cluster, f"m{i}")
                    with open(WORK / f"cluster-{cluster}-m{i}.log", "w") as err:
                        proc = subprocess.Popen([BIN, "run", "-c", config], stderr=err)
                    members.append((port, proc))
                try:
                    deadline = time.time() + 120
                    for port, proc in members:
                        wait_http(f"http://127.0.0.1:{port}/healthz", proc)
                    while True:
                        views = [json.loads(get(f"http://127.0.0.1:{port}/v1/cluster"))
                                 for port, _ in members]
                        if all(not v["partial"] and sum(m["live"] for m in v["members"]) == k
                               for v in views):
                            break
                        if time.time() > deadline:
                            sys.exit(f"{k} members did not settle in 120 s")
                        time.sleep(0.1)
                    broker_cpu0 = cpu_seconds(tansu_pid(kport))
                    cpu0 = sum(cpu_seconds(p.pid) for _, p in members)
                    t0 = time.time()
                    subprocess.run([BIN, "loadgen", "--rate", "0", "--count", str(count),
                                    "--no-incidents", "--brokers", f"127.0.0.1:{kport}",
                                    "--topic", topic], check=True, stderr=subprocess.DEVNULL)
                    fill = time.time() - t0
                    while True:
                        held = [metric_sum(get(f"http://127.0.0.1:{port}/metrics").decode(),
                                           "slipstream_lines_total") for port, _ in members]
                        if min(held) >= count:
                            break
                        if time.time() - t0 > 600:
                            sys.exit(f"members hold {held} of {count:,} lines after 600 s")
                        time.sleep(0.05)
                    wall = time.time() - t0
                    cpu = sum(cpu_seconds(p.pid) for _, p in members) - cpu0
                    texts = [get(f"http://127.0.0.1:{port}/metrics").decode() for port, _ in members]
                    delta_bytes = sum(metric_sum(t, "slipstream_cluster_delta_bytes_total") for t in texts)
                    gaps = sum(metric_sum(t, "slipstream_cluster_log_gaps_total") for t in texts)
                    end = json.loads(get(f"http://127.0.0.1:{members[0][0]}/v1/cluster"))["log"]["end"]
                finally:
                    for _, proc in members:
                        proc.send_signal(signal.SIGTERM)
                    for _, proc in members:
                        proc.wait()
                bcpu = cpu_seconds(tansu_pid(kport)) - broker_cpu0
                rates.append(count / wall)
                fills.append(fill)
                cpus.append(cpu)
                bcpus.append(bcpu)
                per_event.append(delta_bytes / count)
                records.append(end / wall)
                log(f"   {k} member(s), run {run + 1}: {count:,} events in {wall:.2f} s "
                    f"(fill alone {fill:.2f} s), members CPU {cpu:.2f} s, broker CPU {bcpu:.2f} s, "
                    f"{delta_bytes / count:.2f} delta bytes/event, {end} log records, {gaps:.0f} log gaps refetched")
            log(f"== cluster, {k} member(s): events/s {spread(rates)}; fill s {spread(fills, '{:.2f}')}; "
                f"members CPU s {spread(cpus, '{:.2f}')}; broker CPU s {spread(bcpus, '{:.2f}')}; "
                f"delta bytes/event {spread(per_event, '{:.2f}')}; log records/s {spread(records, '{:.0f}')}")
    finally:
        tansu("stop", kport)


def freshness(kport, args, rate=100_000, seconds=20):
    p50s, p99s, maxes = [], [], []
    for run in range(args.runs):
        topic = f"fresh-{run}-{int(time.time())}"
        tansu("topic", topic, 4, kport)
        port = free_port()
        config = kafka_config(kport, f"127.0.0.1:{port}", topic, f"g-{topic}")
        proc = subprocess.Popen([BIN, "run", "-c", config], stderr=subprocess.DEVNULL)
        gen = None
        try:
            wait_http(f"http://127.0.0.1:{port}/readyz", proc)
            gen = subprocess.Popen(
                [BIN, "loadgen", "--rate", str(rate), "--duration", f"{seconds + 5}s",
                 "--no-incidents", "--brokers", f"127.0.0.1:{kport}", "--topic", topic],
                stderr=subprocess.DEVNULL)
            time.sleep(5)  # the group settles and the first batches arrive
            lags = []
            end = time.time() + seconds
            while time.time() < end:
                report = json.loads(get(f"http://127.0.0.1:{port}/v1/slos"))
                lags.append(report["data_lag_seconds"])
                time.sleep(0.02)
            lags.sort()
            p50s.append(lags[len(lags) // 2])
            p99s.append(lags[int(len(lags) * 0.99)])
            maxes.append(lags[-1])
            log(f"   run {run + 1}: {len(lags)} polls, freshness p50 {p50s[-1] * 1e3:.0f} ms, "
                f"p99 {p99s[-1] * 1e3:.0f} ms, max {maxes[-1] * 1e3:.0f} ms")
        finally:
            for p in (gen, proc):
                if p:
                    p.kill()
                    p.wait()
    log(f"== freshness at {rate:,} events/s: p50 ms {spread([x * 1e3 for x in p50s])}, "
        f"p99 ms {spread([x * 1e3 for x in p99s])}")


def vm_rss_kib(pid):
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def part_soak(args):
    """`loadgen --rate R` piped into `slipstream run` (1,000 SLOs) for `--minutes`; RSS and CPU
    every minute. RSS must be flat once the process has warmed up: the rings and histograms
    are allocated up front and every other structure is capped."""
    port = free_port()
    config = slo_config(250, listen=f"127.0.0.1:{port}")
    log(f"== soak: {args.minutes} min at {args.rate:,} lines/s, 1,000 SLOs (250 services)")
    gen = subprocess.Popen(
        [BIN, "loadgen", "--rate", str(args.rate), "--duration", f"{args.minutes * 60 + 30}s",
         "--services", "250"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    proc = subprocess.Popen([BIN, "run", "-c", config], stdin=gen.stdout,
                            stderr=subprocess.DEVNULL)
    gen.stdout.close()
    base = f"http://127.0.0.1:{port}"
    rows = []
    try:
        wait_http(f"{base}/readyz", proc)
        cpu0, t0 = cpu_seconds(proc.pid), time.time()
        log("   minute  RSS MiB  CPU % of one core  lines applied  data lag s")
        for minute in range(1, args.minutes + 1):
            time.sleep(max(0.0, t0 + minute * 60 - time.time()))
            if proc.poll() is not None:
                sys.exit(f"slipstream exited with {proc.returncode} during the soak")
            cpu = cpu_seconds(proc.pid)
            lines = metric_sum(get(f"{base}/metrics").decode(), "slipstream_lines_total")
            lag = json.loads(get(f"{base}/v1/slos"))["data_lag_seconds"]
            rss = vm_rss_kib(proc.pid) / 1024
            rows.append((minute, rss, (cpu - cpu0) / 60 * 100, lines, lag))
            cpu0 = cpu
            log(f"   {minute:6}  {rss:7.1f}  {rows[-1][2]:17.1f}  {lines:13,.0f}  {lag:10.2f}")
    finally:
        for p in (proc, gen):
            p.kill()
            p.wait()
    warm = [r[1] for r in rows[len(rows) // 6:]]
    log(f"   RSS after the first sixth: min {min(warm):.1f} MiB, max {max(warm):.1f} MiB "
        f"(growth {100 * (max(warm) - min(warm)) / min(warm):.1f} %), ")


PARTS = {"replay": part_replay, "mtail": part_mtail, "memory": part_memory,
         "query": part_query, "kafka": part_kafka, "cluster": part_cluster}
EXTRA = {"soak": part_soak}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("parts", nargs="*", metavar="PART", help=", ".join([*PARTS, *EXTRA]))
    ap.add_argument("--lines", type=int, default=5_000_000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--mtail-lines", type=int, default=1_000_000,
                    help="lines of the mtail side-by-side file")
    ap.add_argument("--minutes", type=int, default=60, help="soak length")
    ap.add_argument("--rate", type=int, default=20_000, help="soak lines/s")
    args = ap.parse_args()
    log(f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}; "
        f"{Path('/proc/cpuinfo').read_text().split('model name')[1].split(':')[1].splitlines()[0].strip()}")
    if "SLIPSTREAM_BIN" not in os.environ:
        build()
    every = {**PARTS, **EXTRA}
    unknown = set(args.parts) - set(every)
    if unknown:
        ap.error(f"unknown parts {sorted(unknown)}; choose from {', '.join(every)}")
    for part in args.parts or PARTS:
        every[part](args)


if __name__ == "__main__":
    main()
