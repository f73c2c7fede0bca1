#!/usr/bin/env python3
"""Writes the "## Networking" section of docs/performance.md from what
bench/network.sh measured (traffic.tsv, launch.tsv, syscalls.tsv in OUT),
and bench/run's summary row (OUT/../network.summary). Prints the section.

    network_report.py OUT REPEAT SECS RR_N MIN_RUNS KERNEL PTI CPUS
                      LOAD_START LOAD_END IPERF PASTA HYPERFINE COMMIT
                      MTU_LO MTU_VETH
"""
import datetime
import os
import statistics
import sys

(out, repeat, secs, rr_n, min_runs, kernel, pti, cpus,
 load_start, load_end, iperf, pasta, hyperfine, commit, mtu_lo, mtu_veth) = sys.argv[1:17]


def rows(name):
    with open(os.path.join(out, name)) as f:
        return [line.rstrip("\n").split("\t") for line in f if line.strip()]


def spread(values, fmt):
    """Median, and min-max when there is more than one value."""
    med = fmt % statistics.median(values)
    if len(values) < 2:
        return med
    return "%s (%s–%s)" % (med, fmt % min(values), fmt % max(values))


# traffic.tsv: rep mode gbps p50 p99 mean
traffic = {}
for rep, mode, gbps, p50, p99, mean in rows("traffic.tsv"):
    traffic.setdefault(mode, {})[int(rep)] = (float(gbps), float(p50), float(p99), float(mean))
modes = ["loopback", "veth", "pasta"]
reps = sorted(traffic["loopback"])


def per_rep(mode, i, ratio_to=None):
    vals = []
    for r in reps:
        v = traffic[mode][r][i]
        vals.append(v / traffic[ratio_to][r][i] if ratio_to else v)
    return vals


what = {
    "loopback": "loopback, no zjail (baseline)",
    "veth": "`VirtualEthernet=yes`, to the jail's address",
    "pasta": "`UserModeNetworking=yes`, to 127.0.0.1:`Port=`",
}
lines = []
lines.append("| path | throughput, Gbit/s | × loopback | RTT p50, µs | × loopback | RTT p99, µs | RTT mean, µs |")
lines.append("|---|---|---|---|---|---|---|")
for m in modes:
    lines.append("| %s | %s | %s | %s | %s | %s | %s |" % (
        what[m], spread(per_rep(m, 0), "%.2f"),
        "1" if m == "loopback" else spread(per_rep(m, 0, "loopback"), "%.3f"),
        spread(per_rep(m, 1), "%.1f"),
        "1" if m == "loopback" else spread(per_rep(m, 1, "loopback"), "%.2f"),
        spread(per_rep(m, 2), "%.1f"), spread(per_rep(m, 3), "%.1f")))
traffic_table = "\n".join(lines)

# launch.tsv: rep name mean_ms median_ms
launch = {}
for rep, name, mean, median in rows("launch.tsv"):
    launch.setdefault(name, {})[int(rep)] = (float(mean), float(median))
lreps = sorted(launch["private"])
names = ["private", "veth", "veth-port", "pasta", "filter"]
lwhat = {
    "private": "`PrivateNetwork=yes` (only lo; the baseline)",
    "veth": "`VirtualEthernet=yes`",
    "veth-port": "`VirtualEthernet=yes`, `Port=tcp:18080:80`",
    "pasta": "`UserModeNetworking=yes`",
    "filter": "`IPAddressDeny=any` (filter only)",
}
syscalls = dict(rows("syscalls.tsv"))
lines = ["| mode | mean, ms | median, ms | × PrivateNetwork (mean) | × PrivateNetwork (median) | syscalls, one launch |",
         "|---|---|---|---|---|---|"]
for n in names:
    mean = [launch[n][r][0] for r in lreps]
    med = [launch[n][r][1] for r in lreps]
    rm = [launch[n][r][0] / launch["private"][r][0] for r in lreps]
    rmed = [launch[n][r][1] / launch["private"][r][1] for r in lreps]
    lines.append("| %s | %s | %s | %s | %s | %s |" % (
        lwhat[n], spread(mean, "%.2f"), spread(med, "%.2f"),
        "1" if n == "private" else spread(rm, "%.2f"),
        "1" if n == "private" else spread(rmed, "%.2f"), syscalls.get(n, "?")))
launch_table = "\n".join(lines)


def med_ratio(d, n, base, i, rs):
    return statistics.median(d[n][r][i] / d[base][r][i] for r in rs)


summary = "veth %.2f×, pasta %.2f× the launch of PrivateNetwork=yes; throughput %.2f× (veth), %.2f× (pasta) of loopback" % (
    med_ratio(launch, "veth", "private", 0, lreps), med_ratio(launch, "pasta", "private", 0, lreps),
    med_ratio(traffic, "veth", "loopback", 0, reps), med_ratio(traffic, "pasta", "loopback", 0, reps))
with open(os.path.join(out, "..", "network.summary"), "w") as f:
    f.write("network\t%s\tno target: for the record\t-\n" % summary)

now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
print(f"""## Networking

Written by `bench/network.sh` ({now}, {commit}): {cpus} CPUs, kernel {kernel}
(meltdown: {pti}); load average {load_start} at start, {load_end} at the end
(the host is shared, so other work ran alongside); {iperf}; pasta {pasta};
{hyperfine}. Each figure is the median of {repeat} repetitions, with the
lowest and highest in brackets; within a repetition the paths (or modes) ran
one after another, and each ratio divides figures of the same repetition.

### Traffic between a host and a jail

The "host" is a network namespace of the bench's own, so nothing leaves the
machine; the servers (`iperf3 -s`, and `bench/net_rr.c` echoing one byte) run
in a jail of `bench/launch.profile` plus the mode, the clients in the host
namespace. Throughput: one TCP stream, `iperf3 -t {secs}`, received rate.
Round trip: {rr_n} one-byte request/response exchanges on one TCP connection
(`TCP_NODELAY`), timed one by one.

{traffic_table}

The paths differ in more than zjail: loopback's MTU is {mtu_lo}, the veth's
{mtu_veth}; pasta splices the host's loopback connection to one on the
jail's loopback, through its own process (one `splice` pair per direction),
so each round trip wakes pasta twice.

### Launch time of each mode

`zjail --profile P /bin/true` with P = `bench/launch.profile` plus the mode,
all five in one hyperfine run (`-N`, warmup 3, at least {min_runs} runs each),
repeated {repeat} times. Syscalls: `strace -f -c` of one launch, every process
it starts included (pasta's too).

{launch_table}

`VirtualEthernet=` adds the veth pair, addresses and routes over rtnetlink,
the jail's source table and the owner table in the host's namespace (the
source check); `Port=` adds its forwards to that table; `IPAddressDeny=` the
jail's filter table; `UserModeNetworking=` waits for pasta to start and configure the
jail's interface, which dominates its launch (see "User-mode networking" in
docs/network.md).""")
