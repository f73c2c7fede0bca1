#!/usr/bin/env python3
"""Times commands taking turns, launch by launch, so that a host whose speed
drifts during a run slows each of them alike (hyperfine times one command's
runs, then the next's). Used by bench/launch.sh for zjail against
zjail-before, where the change is smaller than this host's drift.

    interleave.py RUNS -- CMD ARG... -- CMD ARG...

Prints one line per command: its median and mean wall-clock ms, and p10.
"""
import os
import statistics
import sys
import time


def main():
    runs = int(sys.argv[1])
    commands, current = [], None
    for arg in sys.argv[2:]:
        if arg == "--":
            current = []
            commands.append(current)
        else:
            current.append(arg)
    devnull = os.open(os.devnull, os.O_WRONLY)
    times = [[] for _ in commands]
    for i in range(runs):
        # Alternate the order too, so that neither always runs first.
        order = range(len(commands)) if i % 2 == 0 else reversed(range(len(commands)))
        for k in order:
            start = time.monotonic_ns()
            pid = os.posix_spawn(commands[k][0], commands[k], os.environ,
                                 file_actions=[(os.POSIX_SPAWN_DUP2, devnull, 1)])
            _, status = os.waitpid(pid, 0)
            times[k].append((time.monotonic_ns() - start) / 1e6)
            if os.waitstatus_to_exitcode(status) != 0:
                sys.exit(f"interleave: {commands[k][0]} failed")
    for k, t in enumerate(times):
        t.sort()
        print(f"{statistics.median(t):.3f} {statistics.mean(t):.3f} {t[len(t) // 10]:.3f}")


if __name__ == "__main__":
    main()
