#!/usr/bin/env python3
"""The measurements of Benchmarks/run.sh (which builds everything first).

Sections, each printing the command lines it ran and its figures:
  (a) per-exit cost of ioloop.elf under vmm vs kvm_floor (C), by difference
      between two N: sequential runs interleaved (A B A B), and concurrent runs
      sharing one CPU; plus user-space instructions per exit (callgrind)
  (b) exec-to-exit wall time of hello.elf under vmm vs QEMU microvm, with
      reference programs that split the start-up into layers
  (c) peak RSS of vmm with a 64 MiB guest vs the guest pages it touched, and
      what the rest of its RSS is
  (d) heap allocations per exit (ordo-one/benchmark, and an LD_PRELOAD shim)
  (e) virtio-blk 4 KiB random I/O of virtio_bench.elf under vmm vs QEMU microvm:
      IOPS and exits per request (Benchmarks/blk.py)
then a summary table. Absolute times drift on a shared host, so every comparison
is measured within this one run, interleaved, and medians and ratios are
reported. Every command runs under Benchmarks/measure (wall time, CPU time,
peak RSS, page faults of that command alone).
"""
import argparse
import json
import os
import re
import shlex
import signal
import statistics
import subprocess
import sys
import time

import blk

MIB = 1024 * 1024


# --- running things ----------------------------------------------------------

class Result:
    def __init__(self, wall_ns, cpu_ns, status, maxrss_kb, stdout, stderr, minflt=0):
        self.wall_ns = wall_ns
        self.cpu_ns = cpu_ns
        self.minflt = minflt
        self.status = status
        self.maxrss_kb = maxrss_kb
        self.stdout = stdout
        self.stderr = stderr


_work = "/tmp"
_measure = "measure"


def spawn(cmd, env=None, cpu=None, tag="spawn"):
    """Starts cmd under Benchmarks/measure with stdout and stderr in files.
    Returns (launcher pid, result path, stdout path, stderr path)."""
    paths = [os.path.join(_work, f"{tag}.{name}") for name in ("result", "stdout", "stderr")]
    if os.path.exists(paths[0]):
        os.remove(paths[0])
    out = os.open(paths[1], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    err = os.open(paths[2], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    launcher = [_measure, "-o", paths[0]] + (["-c", str(cpu)] if cpu is not None else []) + ["--"] + cmd
    try:
        pid = os.posix_spawn(_measure, launcher, env if env is not None else os.environ,
                             file_actions=[(os.POSIX_SPAWN_DUP2, out, 1), (os.POSIX_SPAWN_DUP2, err, 2)])
    finally:
        os.close(out)
        os.close(err)
    return pid, paths[0], paths[1], paths[2]


def finish(pid, result_path, out_path, err_path, cmd):
    _, wait_status = os.waitpid(pid, 0)
    fields = dict(re.findall(r"(\w+)=(-?\d+)", read(result_path, "")))
    if os.waitstatus_to_exitcode(wait_status) != 0 or "status" not in fields:
        sys.exit(f"bench: measure failed for {shlex.join(cmd)}: {read(err_path, '')[-800:]}")
    return Result(int(fields["wall_ns"]), int(fields["cpu_ns"]), int(fields["status"]), int(fields["maxrss_kb"]),
                  read(out_path, ""), read(err_path, ""), int(fields.get("minflt", 0)))


def run(cmd, env=None, cpu=None):
    """Runs cmd; wall time from fork to wait4, CPU time (user + system, all
    threads) and peak RSS (ru_maxrss, GNU time's %M) of the command alone,
    as measured by Benchmarks/measure."""
    return finish(*spawn(cmd, env, cpu), cmd)


def check(result, cmd, status, stdout_contains=None):
    if result.status != status or (stdout_contains and stdout_contains not in result.stdout):
        sys.exit(f"bench: unexpected result of {shlex.join(cmd)}: status {result.status} (want {status})\n"
                 f"stdout: {result.stdout[-500:]}\nstderr: {result.stderr[-1500:]}")


def median(values):
    return statistics.median(values)


def spread(values, scale=1.0, fmt="{:.0f}"):
    return f"min {fmt.format(min(values) * scale)}, max {fmt.format(max(values) * scale)}"


def show_cmd(label, cmd):
    print(f"  {label}: {shlex.join(cmd)}")


def ioloop_exits(n):
    """Exits to user space of ioloop.elf with n=N (Guests/README.md):
    (13+d) in + (N+14+d) out, d = decimal digits of N."""
    d = len(str(n))
    return n + 27 + 2 * d


# --- host ----------------------------------------------------------------------

def read(path, default="?"):
    try:
        with open(path, errors="replace") as f:
            return f.read().strip()
    except OSError:
        return default


def host_description(args):
    print("== Host")
    model = "?"
    for line in read("/proc/cpuinfo", "").splitlines():
        if line.startswith("model name"):
            model = line.split(":", 1)[1].strip()
            break
    nested = os.path.exists("/sys/module/kvm_pvm")
    print(f"  CPU: {model}, {os.cpu_count()} cores")
    print(f"  kernel: {os.uname().release}")
    print(f"  KVM: {'nested (PVM: /sys/module/kvm_pvm exists; guest ring 0 is emulated)' if nested else 'not PVM (/sys/module/kvm_pvm absent)'}")
    print(f"  clocksource: {read('/sys/devices/system/clocksource/clocksource0/current_clocksource')}, "
          f"THP: {read('/sys/kernel/mm/transparent_hugepage/enabled')}")
    swift = subprocess.run(["swift", "--version"], capture_output=True, text=True).stdout.splitlines()
    print(f"  swift: {swift[0] if swift else '?'}")
    if args.qemu:
        qemu = subprocess.run([args.qemu, "--version"], capture_output=True, text=True).stdout.splitlines()
        print(f"  qemu: {qemu[0] if qemu else '?'}")
    print(f"  load average at start: {read('/proc/loadavg')}")
    return {"cpu": model, "cores": os.cpu_count(), "kernel": os.uname().release, "nested_pvm": nested}


# --- (a) per-exit cost ---------------------------------------------------------

def bench_exit_cost(args, results):
    print("\n== (a) Per-exit cost: ioloop.elf (N `outb` to port 0x10), vmm vs kvm_floor (C)")
    n1, n2 = args.n1, args.n2
    e1, e2 = ioloop_exits(n1), ioloop_exits(n2)
    guest = os.path.join(args.guests, "ioloop.elf")

    def vmm(n):
        return [args.vmm, "run", "--kernel", guest, "--cmdline", f"n={n}", "--memory", "64M"]

    def floor(n):
        return [args.floor, "-m", "64", guest, f"n={n}"]

    show_cmd("vmm  ", vmm("N"))
    show_cmd("floor", floor("N"))
    print(f"  N1={n1} ({e1} exits), N2={n2} ({e2} exits); per-exit = (t(N2) - t(N1)) / {e2 - e1} exits; "
          f"{args.exit_reps} interleaved repetitions (order reversed every other one)")
    print(f"  both pinned to CPU {args.cpu} (sched_setaffinity), which narrows the run-to-run spread of the exit "
          f"cost on this shared host")
    # Warm up caches (page cache, dynamic linker) before timing.
    for cmd in (vmm(n1), floor(n1)):
        check(run(cmd, cpu=args.cpu), cmd, 1, f"ioloop done {n1}")

    per_exit = {"vmm": [], "floor": []}
    cpu_per_exit = {"vmm": [], "floor": []}
    ratios, cpu_ratios = [], []
    for rep in range(args.exit_reps):
        jobs = [("floor", n1), ("vmm", n1), ("floor", n2), ("vmm", n2)]
        if rep % 2:
            jobs.reverse()
        wall, cpu = {}, {}
        for name, n in jobs:
            cmd = vmm(n) if name == "vmm" else floor(n)
            r = run(cmd, cpu=args.cpu)
            check(r, cmd, 1, f"ioloop done {n}")
            wall[(name, n)], cpu[(name, n)] = r.wall_ns, r.cpu_ns
        for name in ("vmm", "floor"):
            per_exit[name].append((wall[(name, n2)] - wall[(name, n1)]) / (e2 - e1))
            cpu_per_exit[name].append((cpu[(name, n2)] - cpu[(name, n1)]) / (e2 - e1))
        ratios.append(per_exit["vmm"][-1] / per_exit["floor"][-1])
        cpu_ratios.append(cpu_per_exit["vmm"][-1] / cpu_per_exit["floor"][-1])
        print(f"  rep {rep + 1:2}: wall vmm {per_exit['vmm'][-1]:6.0f} floor {per_exit['floor'][-1]:6.0f} ns/exit, "
              f"ratio {ratios[-1]:.3f} | CPU vmm {cpu_per_exit['vmm'][-1]:6.0f} floor "
              f"{cpu_per_exit['floor'][-1]:6.0f} ns/exit, ratio {cpu_ratios[-1]:.3f}")
    vmm_ns, floor_ns = median(per_exit["vmm"]), median(per_exit["floor"])
    ratio = median(ratios)
    print(f"  wall, median per exit: vmm {vmm_ns:.0f} ns ({spread(per_exit['vmm'])}), "
          f"floor {floor_ns:.0f} ns ({spread(per_exit['floor'])})")
    print(f"  wall, ratio vmm/floor: median of per-repetition ratios {ratio:.3f} "
          f"({spread(ratios, fmt='{:.3f}')}); ratio of medians {vmm_ns / floor_ns:.3f}")
    vmm_cpu, floor_cpu = median(cpu_per_exit["vmm"]), median(cpu_per_exit["floor"])
    cpu_ratio = median(cpu_ratios)
    print(f"  CPU time (user+sys, all threads, from wait4), median per exit: vmm {vmm_cpu:.0f} ns, floor "
          f"{floor_cpu:.0f} ns; ratio {cpu_ratio:.3f} ({spread(cpu_ratios, fmt='{:.3f}')})")
    results["exit_cost"] = {"n1": n1, "n2": n2, "reps": args.exit_reps, "vmm_ns": vmm_ns, "floor_ns": floor_ns,
                            "ratio": ratio, "ratio_of_medians": vmm_ns / floor_ns,
                            "vmm_cpu_ns": vmm_cpu, "floor_cpu_ns": floor_cpu, "cpu_ratio": cpu_ratio,
                            "vmm_all": per_exit["vmm"], "floor_all": per_exit["floor"], "ratios": ratios,
                            "cpu_ratios": cpu_ratios}

    concurrent_pairs(args, results, vmm, floor)

    # What vmm itself says the user-space part costs (its per-exit histogram).
    stats_path = os.path.join(args.work, "ioloop-stats.json")
    cmd = vmm(n2) + ["--stats-json", stats_path]
    check(run(cmd), cmd, 1)
    with open(stats_path) as f:
        report = json.load(f)
    io_out = next(r for r in report["totals"] if r["reason"] == "io-out")
    print(f"  vmm's own account (--stats-json, n={n2}): io-out user-space handling mean "
          f"{io_out['meanNanoseconds']} ns, p50 {io_out['p50Nanoseconds']} ns, p99 {io_out['p99Nanoseconds']} ns "
          f"(from KVM_RUN's return to the next KVM_RUN)")
    results["exit_cost"]["vmm_user_mean_ns"] = io_out["meanNanoseconds"]
    results["exit_cost"]["vmm_user_p50_ns"] = io_out["p50Nanoseconds"]

    if args.callgrind:
        callgrind_exit_instructions(args, results, vmm, floor)


def concurrent_pairs(args, results, vmm, floor):
    """The same difference method, with the programs running at the same time on
    the same CPU: the scheduler interleaves them every few milliseconds, so all
    see the same host conditions (the exit cost itself drifts by +-15% on this
    host from one second to the next), and each one's CPU time (from wait4: the
    exits are spent in the kernel, on the process's own account) is compared by
    difference between two N. A third program, the floor reading the clock twice
    per exit (-k 2) as vmm's exit accounting does (CLOCK_MONOTONIC before and
    after each KVM_RUN), prices that part."""
    n1, n2 = args.n1, args.pair_n2
    e1, e2 = ioloop_exits(n1), ioloop_exits(n2)
    programs = {"vmm": vmm, "floor": floor, "floor -k 2": lambda n: floor(n)[:1] + ["-k", "2"] + floor(n)[1:]}
    print(f"  concurrent: vmm, floor and 'floor -k 2' started together, all pinned to CPU {args.cpu}; per-exit CPU "
          f"time = (cpu(N2) - cpu(N1)) / {e2 - e1} exits, N1={n1}, N2={n2}; {args.exit_reps} repetitions")
    show_cmd("floor -k 2", programs["floor -k 2"]("N"))
    costs = {name: [] for name in programs}
    for rep in range(args.exit_reps):
        cpu = {}
        for n in (n1, n2):
            order = list(programs)
            order = order[rep % len(order):] + order[:rep % len(order)]
            started = []
            for i, name in enumerate(order):
                cmd = programs[name](n)
                started.append((name, cmd, spawn(cmd, cpu=args.cpu, tag=f"concurrent-{i}")))
            for name, cmd, launched in started:
                r = finish(*launched, cmd)
                check(r, cmd, 1, f"ioloop done {n}")
                cpu[(name, n)] = r.cpu_ns
        for name in programs:
            costs[name].append((cpu[(name, n2)] - cpu[(name, n1)]) / (e2 - e1))
        print(f"  concurrent {rep + 1:2}: vmm {costs['vmm'][-1]:6.0f}  floor {costs['floor'][-1]:6.0f}  "
              f"floor -k 2 {costs['floor -k 2'][-1]:6.0f} ns/exit; vmm/floor {costs['vmm'][-1] / costs['floor'][-1]:.3f}")
    ratios = [v / f for v, f in zip(costs["vmm"], costs["floor"])]
    added = [v - f for v, f in zip(costs["vmm"], costs["floor"])]
    clock = [k - f for k, f in zip(costs["floor -k 2"], costs["floor"])]
    vmm_ns, floor_ns, ratio = median(costs["vmm"]), median(costs["floor"]), median(ratios)
    print(f"  concurrent, median per exit: vmm {vmm_ns:.0f} ns, floor {floor_ns:.0f} ns; ratio vmm/floor "
          f"{ratio:.3f} ({spread(ratios, fmt='{:.3f}')})")
    print(f"  vmm adds {median(added):.0f} ns per exit (median of differences; {spread(added)}), of which 2 clock "
          f"reads cost {median(clock):.0f} ns (floor -k 2 - floor; {spread(clock)})")
    results["exit_cost"].update({"pair_n2": n2, "pair_vmm_ns": vmm_ns, "pair_floor_ns": floor_ns,
                                 "pair_ratio": ratio, "pair_ratios": ratios, "pair_added_ns": median(added),
                                 "pair_clock2_ns": median(clock)})


def inclusive_cost(path, needle):
    """The inclusive instruction count of the function whose name contains needle."""
    out = subprocess.run(["callgrind_annotate", "--inclusive=yes", "--threshold=100", path], capture_output=True,
                         text=True).stdout
    for line in out.splitlines():
        m = re.match(r"\s*([\d,]+)\s+\([\s\d.]+%\)\s+(\S.*)", line)
        if m and needle in m.group(2):
            return int(m.group(1).replace(",", ""))
    sys.exit(f"bench: no function matching {needle} in {path}")


def callgrind_exit_instructions(args, results, vmm, floor):
    """User-space instructions per exit, counted (not timed) by callgrind, by
    difference between two N. What is compared is the inclusive count of each
    exit loop (vmm: VCPULoop.run; kvm_floor: main, whose loop it is), which
    leaves out end-of-run work that varies a little (vmm's exit report). valgrind
    3.19 gives up on the release build's debug info ("Possibly corrupted debuginfo
    file"), so a copy without it is used."""
    n1, n2 = 2000, 12000
    e1, e2 = ioloop_exits(n1), ioloop_exits(n2)
    print(f"  user-space instructions per exit (valgrind --tool=callgrind, n={n1} vs n={n2}, by difference, "
          f"inclusive count of the exit loop):")
    counts = {}
    loops = {"vmm": "$s3VMM8VCPULoopC3run", "floor": "???:main "}
    for name, make in (("vmm", lambda n: [args.vmm_nodebug] + vmm(n)[1:]), ("floor", floor)):
        totals = []
        for n in (n1, n2):
            out = os.path.join(args.work, f"callgrind.{name}.{n}")
            cmd = ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}"] + make(n)
            r = run(cmd)
            check(r, cmd, 1, f"ioloop done {n}")
            totals.append(inclusive_cost(out, loops[name]))
        counts[name] = (totals[1] - totals[0]) / (e2 - e1)
        show_cmd(f"  {name:5}", cmd)
    print(f"    vmm {counts['vmm']:.0f} instructions/exit (VCPULoop.run), floor {counts['floor']:.0f} "
          f"instructions/exit (main); both include KVM_RUN's libc ioctl wrapper. vmm's, by function (self):")
    per_function = callgrind_function_difference(
        os.path.join(args.work, f"callgrind.vmm.{n1}"), os.path.join(args.work, f"callgrind.vmm.{n2}"), e2 - e1)
    for name, value in per_function[:6]:
        print(f"      {value:6.1f}  {name}")
    results["callgrind"] = {"vmm": counts["vmm"], "floor": counts["floor"],
                            "vmm_functions": per_function[:8]}


def callgrind_function_difference(path1, path2, exits):
    def load(path):
        out = subprocess.run(["callgrind_annotate", "--threshold=100", path], capture_output=True,
                             text=True).stdout
        table = {}
        for line in out.splitlines():
            m = re.match(r"\s*([\d,]+)\s+(?:\([\s\d.]+%\)\s+)?(\S.*)", line)
            if m and ":" in m.group(2) and "PROGRAM TOTALS" not in m.group(2):
                name = m.group(2).strip()
                table[name] = table.get(name, 0) + int(m.group(1).replace(",", ""))
        return table
    a, b = load(path1), load(path2)
    rows = []
    for name in set(a) | set(b):
        per_exit = (b.get(name, 0) - a.get(name, 0)) / exits
        if per_exit >= 2:  # smaller differences are end-of-run work that varies, not per-exit work
            short = re.sub(r"\s*\[.*\]$", "", name)
            short = short.split(":", 1)[1] if short.startswith("???:") else short
            rows.append((demangle(short), per_exit))
    rows.sort(key=lambda row: -row[1])
    return rows


def demangle(symbol):
    if symbol.startswith("$s"):
        try:
            out = subprocess.run(["swift", "demangle", "--simplified", symbol], capture_output=True, text=True,
                                 timeout=30).stdout.strip()
            if out:
                return out.split(" ---> ")[-1]
        except (OSError, subprocess.TimeoutExpired):
            pass
    return symbol


# --- (b) exec-to-exit ----------------------------------------------------------

def bench_startup(args, results):
    print("\n== (b) Exec-to-exit wall time of hello.elf: vmm vs QEMU microvm")
    guest = os.path.join(args.guests, "hello.elf")
    commands = {
        "vmm": [args.vmm, "run", "--kernel", guest, "--memory", "64M"],
        "vmm static-stdlib": [args.vmm_static, "run", "--kernel", guest, "--memory", "64M"]
        if args.vmm_static else None,
        "qemu": [args.qemu, "-enable-kvm", "-M", "microvm,x-option-roms=on,rtc=off,pit=off,pic=off", "-m", "64",
                 "-display", "none", "-nodefaults", "-no-reboot", "-serial", "stdio",
                 "-device", "isa-debug-exit,iobase=0xf4,iosize=4", "-kernel", guest] if args.qemu else None,
        "floor": [args.floor, "-m", "64", guest],
        "vmm --help": [args.vmm, "run", "--help"],
        "swift+FE+Dispatch": [args.trivial_swift_foundation],
        "swift print": [args.trivial_swift],
        "/bin/true": ["/bin/true"],
        "swift+FE+D, static": [args.trivial_swift_foundation_static] if args.trivial_swift_foundation_static else None,
        "swift print, static": [args.trivial_swift_static] if args.trivial_swift_static else None,
    }
    hello = "Hello from a multiboot guest"
    expected = {"vmm": (1, hello), "vmm static-stdlib": (1, hello), "qemu": (1, hello), "floor": (1, hello),
                "vmm --help": (0, "USAGE"), "swift+FE+Dispatch": (0, "hello"), "swift print": (0, "hello"),
                "/bin/true": (0, None), "swift+FE+D, static": (0, "hello"), "swift print, static": (0, "hello")}
    names = [name for name, cmd in commands.items() if cmd]
    for name in names:
        show_cmd(f"{name:19}", commands[name])
        r = run(commands[name])  # warm-up
        check(r, commands[name], *expected[name])
    print(f"  {args.reps} interleaved repetitions (order rotates each time); wall time from spawn to wait4")
    times = {name: [] for name in names}
    faults = {name: [] for name in names}
    ratios = []
    for rep in range(args.reps):
        order = names[rep % len(names):] + names[:rep % len(names)]
        if rep % 2:
            order.reverse()
        for name in order:
            r = run(commands[name])
            check(r, commands[name], *expected[name])
            times[name].append(r.wall_ns)
            faults[name].append(r.minflt)
        if "qemu" in times:
            ratios.append(times["vmm"][-1] / times["qemu"][-1])
    medians = {name: median(values) for name, values in times.items()}
    for name in names:
        print(f"  {name:19} median {medians[name] / 1e6:8.2f} ms  ({spread(times[name], 1e-6, '{:.2f}')} ms)  "
              f"{median(faults[name]):6.0f} minor page faults")
    results["startup"] = {"medians_ms": {k: v / 1e6 for k, v in medians.items()},
                          "minor_faults": {k: median(v) for k, v in faults.items()}}
    if "qemu" in medians and "vmm static-stdlib" in medians:
        results["startup"]["ratio_static"] = medians["vmm static-stdlib"] / medians["qemu"]
        print(f"  ratio vmm built with --static-swift-stdlib / QEMU: {results['startup']['ratio_static']:.3f}")
    if "qemu" in medians:
        ratio = medians["vmm"] / medians["qemu"]
        print(f"  ratio vmm/QEMU: {ratio:.3f} (ratio of medians); median of per-repetition ratios "
              f"{median(ratios):.3f}")
        results["startup"]["ratio"] = ratio
        results["startup"]["ratio_per_rep"] = median(ratios)
    ms = {name: value / 1e6 for name, value in medians.items()}
    print(f"  vmm - floor = {ms['vmm'] - ms['floor']:.2f} ms is what vmm adds to the same KVM work. The ladder:")
    print(f"    spawn + exec + wait of a C program (/bin/true)           {ms['/bin/true']:6.2f} ms")
    print(f"    + the Swift runtime (swift print - /bin/true)            {ms['swift print'] - ms['/bin/true']:6.2f} ms")
    print(f"    + FoundationEssentials, Dispatch (swift+FE+Dispatch - swift print) "
          f"{ms['swift+FE+Dispatch'] - ms['swift print']:6.2f} ms")
    print(f"    + vmm's own binary, ArgumentParser (vmm --help - swift+FE+Dispatch) "
          f"{ms['vmm --help'] - ms['swift+FE+Dispatch']:6.2f} ms")
    print(f"    + VM set-up, guest run, exit (vmm - vmm --help)          {ms['vmm'] - ms['vmm --help']:6.2f} ms"
          f"   (the C floor's whole run, KVM set-up and guest included: {ms['floor'] - ms['/bin/true']:.2f} ms "
          f"over /bin/true)")
    startup_phases(args, results, commands["vmm"])
    if args.startup_phases:
        in_process_phases(args, results, guest)
    if args.callgrind:
        startup_instructions(args, results, [args.vmm_nodebug] + commands["vmm"][1:])


def in_process_phases(args, results, guest):
    """The VM's own phases, timed inside one process with the VMM library
    (Benchmarks/StartupPhases), against the floor's set-up (kvm_floor -v)."""
    cmd = [args.startup_phases, guest, "11"]
    r = run(cmd)
    check(r, cmd, 0, "build_ns=")
    rounds = [dict((k, int(v)) for k, v in re.findall(r"(\w+)=(\d+)", line)) for line in r.stdout.splitlines()]
    later = rounds[1:]
    floor_setup = []
    for _ in range(5):
        fcmd = [args.floor, "-v", "-m", "64", guest]
        fr = run(fcmd)
        check(fr, fcmd, 1)
        m = re.search(r"set-up (\d+) ns", fr.stderr)
        floor_setup.append(int(m.group(1)))
    show_cmd("in-process phases", cmd)
    first = rounds[0]
    print("  VM phases inside one process (VMM library, Benchmarks/StartupPhases), first VM / median of the next 10:")
    for key, label in (("build_ns", "build (KVM, memory, kernel load, vCPU set-up)"),
                       ("run_ns", "start + run to the debug exit + join"), ("guest_ns", "  of which the VM's own wall time"),
                       ("teardown_ns", "teardown")):
        print(f"    {label:48} {first[key] / 1e6:6.2f} ms / {median([x[key] for x in later]) / 1e6:6.2f} ms")
    print(f"    the C floor's set-up (image read to first KVM_RUN, kvm_floor -v): median "
          f"{median(floor_setup) / 1e6:.2f} ms")
    results["startup"]["phases_first_ms"] = {k: v / 1e6 for k, v in first.items()}
    results["startup"]["phases_later_ms"] = {k: median([x[k] for x in later]) / 1e6 for k in first}
    results["startup"]["floor_setup_ms"] = median(floor_setup) / 1e6


STARTUP_COMPONENTS = [
    ("ArgumentParser parsing (parseAsRoot)", "ParsableCommandPAAE11parseAsRoot"),
    ("dynamic loader start-up (_dl_start: load, relocate)", "rtld.c:_dl_start"),
    ("VirtualMachine.report() (exit report, always built)", "$s3VMM14VirtualMachineC6report"),
    ("VirtualMachine.init (KVM, memory, kernel load, vCPU)", "$s3VMM14VirtualMachineC13configuration"),
    ("exit loop (VCPULoop.run)", "$s3VMM8VCPULoopC3run"),
]


def startup_instructions(args, results, cmd):
    """User-space instructions of one `vmm run hello.elf`, by component
    (callgrind, inclusive counts): a count, so the same on every run."""
    out = os.path.join(args.work, "callgrind.hello")
    full = ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}"] + cmd
    r = run(full)
    check(r, full, 1)
    annotated = subprocess.run(["callgrind_annotate", "--inclusive=yes", "--threshold=100", out],
                               capture_output=True, text=True).stdout
    total = int(re.search(r"([\d,]+)\s+\(100.0%\)\s+PROGRAM TOTALS", annotated).group(1).replace(",", ""))
    show_cmd("callgrind", full)
    print(f"  user-space instructions of that run: {total / 1e6:.1f} M, by component (inclusive):")
    parts = {}
    for label, needle in STARTUP_COMPONENTS:
        best = 0
        for line in annotated.splitlines():
            if needle in line:
                m = re.match(r"\s*([\d,]+)", line)
                if m:
                    best = max(best, int(m.group(1).replace(",", "")))
        parts[label] = best
        print(f"    {best / 1e6:6.2f} M ({100 * best / total:4.1f}%)  {label}")
    results["startup"]["instructions"] = {"total": total, **parts}


def startup_phases(args, results, cmd):
    """Where vmm's start-up goes: strace -r style timestamps are not available
    everywhere, so use vmm's own figure (VM wall time from vCPU start to stop,
    in --stats-json) against the process's wall time."""
    path = os.path.join(args.work, "hello-stats.json")
    walls, vm_walls = [], []
    for _ in range(5):
        r = run(cmd + ["--stats-json", path])
        check(r, cmd, 1)
        with open(path) as f:
            vm_walls.append(json.load(f)["wallNanoseconds"])
        walls.append(r.wall_ns)
    print(f"  of vmm's {median(walls) / 1e6:.2f} ms (with --stats-json), the guest runs "
          f"{median(vm_walls) / 1e6:.2f} ms (vCPU start to VM end, vmm's own clock); the rest is process start, "
          f"Swift runtime and library loading, VM set-up and exit")
    results["startup"]["vmm_guest_ms"] = median(vm_walls) / 1e6
    results["startup"]["vmm_with_json_ms"] = median(walls) / 1e6


# --- (c) memory --------------------------------------------------------------

def smaps(pid):
    """The mappings of pid: list of dicts with range, size, path, and the kB fields."""
    maps = []
    current = None
    with open(f"/proc/{pid}/smaps") as f:
        for line in f:
            head = re.match(r"^([0-9a-f]+)-([0-9a-f]+) (\S+) \S+ \S+ \d+\s*(.*)$", line)
            if head:
                current = {"start": int(head.group(1), 16), "end": int(head.group(2), 16),
                           "perms": head.group(3), "path": head.group(4).strip()}
                maps.append(current)
                continue
            field = re.match(r"^(\w+):\s+(\d+) kB", line)
            if field and current is not None:
                current[field.group(1)] = int(field.group(2))
    return maps


def categorize(path, is_guest):
    if is_guest:
        return "guest RAM"
    if path == "":
        return "anonymous (thread stacks, large mallocs, Swift metadata)"
    if path == "[heap]":
        return "[heap] (malloc)"
    if path.startswith("["):
        return path
    base = os.path.basename(path)
    if base.startswith("libswiftCore"):
        return "libswiftCore.so"
    if base.startswith("libFoundationEssentials") or base.startswith("lib_FoundationICU") \
            or base.startswith("libFoundation"):
        return "libFoundationEssentials.so"
    if base.startswith("libdispatch") or base.startswith("libswiftDispatch") or base.startswith("libBlocks"):
        return "libdispatch + libswiftDispatch"
    if "/swift/" in path:
        return "other Swift libraries (_Concurrency, _StringProcessing, ...)"
    if base.startswith(("libc.", "libm.", "ld-linux", "libstdc++", "libgcc_s")):
        return "libc, libm, libstdc++, libgcc, ld.so"
    return f"{base} (executable)" if os.access(path, os.X_OK) and ".so" not in base else base


def sample_memory(cmd, guest_bytes, delay=0.4):
    """Starts cmd (a long ioloop), reads its smaps once the guest is in its loop,
    lets it finish, and returns (peak RSS kB from wait4, RSS by category, guest
    mapping details)."""
    launched = spawn(cmd)
    time.sleep(delay)
    child = re.search(r"pid=(\d+)", read(launched[1], ""))
    if not child:
        sys.exit(f"bench: no pid from measure for {shlex.join(cmd)}")
    maps = smaps(int(child.group(1)))
    status = read(f"/proc/{child.group(1)}/status", "")
    result = finish(*launched, cmd)
    if result.status != 1:
        sys.exit(f"bench: {shlex.join(cmd)} ended with status {result.status}")
    guest = [m for m in maps if m["end"] - m["start"] == guest_bytes and m["path"] == ""]
    if len(guest) != 1:
        sys.exit(f"bench: cannot tell the guest RAM mapping of {shlex.join(cmd)} ({len(guest)} candidates)")
    guest = guest[0]
    by_category = {}
    anonymous = file_backed = 0
    for m in maps:
        category = categorize(m["path"], m is guest)
        by_category[category] = by_category.get(category, 0) + m.get("Rss", 0)
        if m is not guest:
            anonymous += m.get("Anonymous", 0)
            file_backed += m.get("Rss", 0) - m.get("Anonymous", 0)
    hwm = re.search(r"VmHWM:\s+(\d+) kB", status)
    rss = re.search(r"VmRSS:\s+(\d+) kB", status)
    return {"maxrss_kb": result.maxrss_kb, "hwm_sampled_kb": int(hwm.group(1)) if hwm else None,
            "rss_sampled_kb": int(rss.group(1)) if rss else None,
            "guest_rss_kb": guest.get("Rss", 0), "guest_thp_kb": guest.get("AnonHugePages", 0),
            "by_category": by_category, "anonymous_kb": anonymous, "file_backed_kb": file_backed}


def bench_memory(args, results):
    print("\n== (c) Peak RSS of vmm with a 64 MiB guest, against the guest pages it touched")
    ioloop = os.path.join(args.guests, "ioloop.elf")
    hello = os.path.join(args.guests, "hello.elf")
    n = args.memory_n
    guest_bytes = 64 * MIB
    runs = {
        "vmm": [args.vmm, "run", "--kernel", ioloop, "--cmdline", f"n={n}", "--memory", "64M"],
        "vmm --no-huge-pages": [args.vmm, "run", "--kernel", ioloop, "--cmdline", f"n={n}", "--memory", "64M",
                                "--no-huge-pages"],
        "vmm static-stdlib": [args.vmm_static, "run", "--kernel", ioloop, "--cmdline", f"n={n}", "--memory", "64M"]
        if args.vmm_static else None,
        "floor": [args.floor, "-m", "64", ioloop, f"n={n}"],
        "floor -H (no huge pages)": [args.floor, "-m", "64", "-H", ioloop, f"n={n}"],
    }
    print(f"  guest: ioloop.elf n={n} (runs ~{n * 12 / 1e6:.1f} s); /proc/PID/smaps read 0.4 s in, once the guest "
          f"is in its loop; peak RSS from wait4 (= GNU time %M = VmHWM)")
    samples = {}
    runs = {name: cmd for name, cmd in runs.items() if cmd}
    for name, cmd in runs.items():
        show_cmd(f"{name:25}", cmd)
        samples[name] = sample_memory(cmd, guest_bytes)
    print(f"  {'':25} {'peak RSS':>10} {'guest RAM RSS':>14} {'(THP)':>8} {'peak - guest':>13}")
    for name, s in samples.items():
        print(f"  {name:25} {s['maxrss_kb'] / 1024:8.2f} MiB {s['guest_rss_kb'] / 1024:10.2f} MiB "
              f"{s['guest_thp_kb'] / 1024:6.0f} MiB {(s['maxrss_kb'] - s['guest_rss_kb']) / 1024:9.2f} MiB")

    # Peak RSS does not depend on the guest RAM size, only on what the guest touches.
    sizes = {}
    for memory in ("64M", "1G"):
        cmd = [args.vmm, "run", "--kernel", hello, "--memory", memory]
        values = []
        for _ in range(3):
            r = run(cmd)
            check(r, cmd, 1)
            values.append(r.maxrss_kb)
        sizes[memory] = median(values)
        show_cmd(f"hello --memory {memory:3}     ", cmd)
    print(f"  hello.elf peak RSS: --memory 64M {sizes['64M'] / 1024:.2f} MiB, --memory 1G {sizes['1G'] / 1024:.2f} MiB")

    # References: the same process without a VM.
    refs = {}
    references = [("swift print", [args.trivial_swift]),
                  ("swift print + FoundationEssentials + Dispatch", [args.trivial_swift_foundation]),
                  ("swift print, -static-stdlib", [args.trivial_swift_static] if args.trivial_swift_static else None),
                  ("swift print + FE + Dispatch, -static-stdlib",
                   [args.trivial_swift_foundation_static] if args.trivial_swift_foundation_static else None),
                  ("vmm --help (no VM)", [args.vmm, "run", "--help"]),
                  ("/bin/true", ["/bin/true"])]
    for name, cmd in references:
        if not cmd:
            continue
        values = [run(cmd).maxrss_kb for _ in range(3)]
        refs[name] = median(values)
        show_cmd(f"{name:45}", cmd)
    for name, kb in refs.items():
        print(f"  peak RSS of {name:45} {kb / 1024:6.2f} MiB")

    base = samples["vmm"]
    overhead_mib = (base["maxrss_kb"] - base["guest_rss_kb"]) / 1024
    print(f"  vmm peak RSS {base['maxrss_kb'] / 1024:.2f} MiB = guest pages {base['guest_rss_kb'] / 1024:.2f} MiB "
          f"+ {overhead_mib:.2f} MiB of vmm itself. Its RSS by mapping (sampled while running, THP on):")
    for category, kb in sorted(base["by_category"].items(), key=lambda item: -item[1]):
        if kb >= 64:
            print(f"    {kb / 1024:6.2f} MiB  {category}")
    print(f"  outside guest RAM: {base['file_backed_kb'] / 1024:.2f} MiB file-backed (code and read-only data of the "
          f"executable and libraries: clean, shared with every other process that maps them) and "
          f"{base['anonymous_kb'] / 1024:.2f} MiB anonymous (heap, stacks, relocated and writable data: "
          f"what each further vmm process adds)")
    if "vmm static-stdlib" in samples:
        st = samples["vmm static-stdlib"]
        print(f"  built with --static-swift-stdlib: peak RSS {st['maxrss_kb'] / 1024:.2f} MiB, of which "
              f"{st['file_backed_kb'] / 1024:.2f} MiB file-backed and {st['anonymous_kb'] / 1024:.2f} MiB anonymous "
              f"outside guest RAM; by mapping: " + ", ".join(
                  f"{category.split(' (')[0]} {kb / 1024:.2f}"
                  for category, kb in sorted(st["by_category"].items(), key=lambda item: -item[1]) if kb >= 128)
              + " MiB")
    results["memory"] = {"samples": samples, "hello_peak_kb": sizes, "references_kb": refs,
                         "overhead_mib": overhead_mib,
                         "overhead_no_thp_mib": (samples["vmm --no-huge-pages"]["maxrss_kb"]
                                                 - samples["vmm --no-huge-pages"]["guest_rss_kb"]) / 1024}


# --- (d) allocations -----------------------------------------------------------

def bench_allocations(args, results):
    print("\n== (d) Heap allocations per exit in steady state")
    results["allocations"] = {}
    if args.package_benchmark:
        package_benchmark(args, results)
    shim_allocations(args, results)


def package_benchmark(args, results):
    out = os.path.join(args.work, "package-benchmark")
    os.makedirs(out, exist_ok=True)
    for name in os.listdir(out):
        os.remove(os.path.join(out, name))
    # histogramEncoded: the HDR histograms as JSON, whose min and max are exact
    # (the text and percentile formats print large counts scaled, e.g. 20 for 20108).
    cmd = ["swift", "package", "--disable-sandbox", "--allow-writing-to-directory", out, "benchmark",
           "--target", "ExitLoopAllocations", "--metric", "mallocCountTotal", "--no-progress",
           "--format", "histogramEncoded", "--path", out]
    env = dict(os.environ, SWIFT_VMM_IOLOOP=os.path.join(args.guests, "ioloop.elf"))
    print("  ordo-one/benchmark 1.38 (its malloc interposer counts every thread), "
          "Benchmarks/Benchmarks/ExitLoopAllocations:")
    print(f"  (cd Benchmarks && SWIFT_VMM_IOLOOP={env['SWIFT_VMM_IOLOOP']} {shlex.join(cmd)})")
    r = subprocess.run(cmd, cwd=args.package_dir, env=env, capture_output=True, text=True)
    if r.returncode != 0:
        print(r.stdout[-3000:], r.stderr[-3000:])
        sys.exit("bench: swift package benchmark failed")
    found = {}
    for name in os.listdir(out):
        m = re.search(r"(control_)?ioloop_n=(\d+)\.mallocCountTotal\.histogram\.json$", name)
        if not m:
            continue
        with open(os.path.join(out, name)) as f:
            histogram = json.load(f)
        kind = "control" if m.group(1) else "ioloop"
        found[(kind, int(m.group(2)))] = (histogram["minNonZeroValue"], histogram["maxValue"],
                                          histogram["_totalCount"])
    keys = sorted(k for k in found if k[0] == "ioloop")
    if len(keys) != 2:
        sys.exit(f"bench: expected two ioloop results in {out}, found {sorted(found)}")
    small, large = keys[0][1], keys[1][1]
    (min_s, max_s, count_s), (min_l, max_l, count_l) = found[keys[0]], found[keys[1]]
    exits = ioloop_exits(large) - ioloop_exits(small)
    per_exit = (min_l - min_s) / exits
    per_exit_max = (max_l - max_s) / exits
    print(f"  mallocs per VM run (build, boot, run, tear down), min..max of {count_s} and {count_l} iterations:")
    print(f"    n={small}: {min_s}..{max_s}   n={large}: {min_l}..{max_l}")
    control = found.get(("control", small))
    if control:
        print(f"    control, n={small} plus {20000} mallocs on another thread: {control[0]}..{control[1]} "
              f"(+{control[0] - min_s}: allocations on other threads are counted)")
    print(f"  allocations per exit = ({min_l} - {min_s}) / {exits} exits = {per_exit:.4f} "
          f"(from the max values: {per_exit_max:.4f})")
    results["allocations"]["package_benchmark"] = {
        "small": small, "large": large, "mallocs_small": min_s, "mallocs_large": min_l,
        "per_exit": per_exit, "per_exit_from_max": per_exit_max,
        "control": control[0] - min_s if control else None}


def shim_allocations(args, results):
    """The vmm command-line binary itself under an LD_PRELOAD counting shim.
    Background threads (libdispatch) sometimes allocate a few more times, at
    moments that depend on scheduling, never fewer: so each N is run several
    times and the minimums are compared."""
    n1, n2 = args.n1, args.n2
    guest = os.path.join(args.guests, "ioloop.elf")
    out = os.path.join(args.work, "alloccount.txt")
    print(f"  LD_PRELOAD counting shim (Benchmarks/alloccount), the vmm binary itself, {args.alloc_reps} runs per N:")
    totals = {"vmm": {n1: [], n2: []}, "floor": {n1: [], n2: []}}
    for name in totals:
        for n in (n1, n2):
            for _ in range(args.alloc_reps):
                if name == "vmm":
                    cmd = [args.vmm, "run", "--kernel", guest, "--cmdline", f"n={n}", "--memory", "64M"]
                else:
                    cmd = [args.floor, "-m", "64", guest, f"n={n}"]
                if os.path.exists(out):
                    os.remove(out)
                env = dict(os.environ, LD_PRELOAD=args.alloccount, ALLOCCOUNT_OUT=out)
                r = run(cmd, env=env)
                check(r, cmd, 1, f"ioloop done {n}")
                m = re.search(r"total=(\d+)", read(out, ""))
                if not m:
                    sys.exit(f"bench: the shim wrote no count for {shlex.join(cmd)}")
                totals[name][n].append(int(m.group(1)))
        show_cmd(f"  {name:5}", ["env", f"LD_PRELOAD={args.alloccount}"] + cmd)
    exits = ioloop_exits(n2) - ioloop_exits(n1)
    shim = {}
    for name, counts in totals.items():
        a, b = min(counts[n1]), min(counts[n2])
        shim[name] = (b - a) / exits
        print(f"    {name:5}: allocations per run n={n1}: {sorted(counts[n1])}, n={n2}: {sorted(counts[n2])}; "
              f"per exit (minimums) ({b} - {a}) / {exits} = {shim[name]:.4f}")
    results["allocations"]["shim"] = shim


# --- summary -------------------------------------------------------------------

def summary(args, results):
    rows = []
    if "exit_cost" in results:
        e = results["exit_cost"]
        rows.append(("(a) per-exit cost, sequential", f"{e['vmm_ns']:.0f} ns", f"{e['floor_ns']:.0f} ns (C floor)",
                     f"{e['ratio']:.3f}", "<= 1.03", e["ratio"] <= 1.03))
        if "pair_ratio" in e:
            rows.append(("    concurrent (CPU time)", f"{e['pair_vmm_ns']:.0f} ns",
                         f"{e['pair_floor_ns']:.0f} ns (C floor)", f"{e['pair_ratio']:.3f}", "<= 1.03",
                         e["pair_ratio"] <= 1.03))
            rows.append(("    vmm's extra per exit", f"+{e['pair_added_ns']:.0f} ns",
                         f"2 clock reads: {e['pair_clock2_ns']:.0f} ns", "", "(info)", None))
    if "callgrind" in results:
        c = results["callgrind"]
        rows.append(("    user-space instructions/exit", f"{c['vmm']:.0f}", f"{c['floor']:.0f} (C floor)",
                     f"+{c['vmm'] - c['floor']:.0f}", "(info)", None))
    if "startup" in results and "ratio" in results["startup"]:
        s = results["startup"]
        rows.append(("(b) hello.elf exec-to-exit", f"{s['medians_ms']['vmm']:.2f} ms",
                     f"{s['medians_ms']['qemu']:.2f} ms (QEMU)", f"{s['ratio']:.3f}", "<= 0.05",
                     s["ratio"] <= 0.05))
        if "ratio_static" in s:
            rows.append(("    vmm --static-swift-stdlib", f"{s['medians_ms']['vmm static-stdlib']:.2f} ms",
                         f"{s['medians_ms']['qemu']:.2f} ms (QEMU)", f"{s['ratio_static']:.3f}", "<= 0.05",
                         s["ratio_static"] <= 0.05))
        rows.append(("    C floor (kvm_floor)", f"{s['medians_ms']['floor']:.2f} ms", f"{s['medians_ms']['qemu']:.2f} ms (QEMU)",
                     f"{s['medians_ms']['floor'] / s['medians_ms']['qemu']:.3f}", "(info)", None))
    if "memory" in results:
        m = results["memory"]
        s = m["samples"]["vmm"]
        rows.append(("(c) peak RSS, 64 MiB guest", f"{s['maxrss_kb'] / 1024:.2f} MiB",
                     f"{s['guest_rss_kb'] / 1024:.2f} MiB guest touched", f"+{m['overhead_mib']:.2f} MiB",
                     "<= +5 MiB", m["overhead_mib"] <= 5))
        s = m["samples"]["vmm --no-huge-pages"]
        rows.append(("    vmm --no-huge-pages", f"{s['maxrss_kb'] / 1024:.2f} MiB",
                     f"{s['guest_rss_kb'] / 1024:.2f} MiB guest touched", f"+{m['overhead_no_thp_mib']:.2f} MiB",
                     "<= +5 MiB", m["overhead_no_thp_mib"] <= 5))
        if "vmm static-stdlib" in m["samples"]:
            st = m["samples"]["vmm static-stdlib"]
            over = (st["maxrss_kb"] - st["guest_rss_kb"]) / 1024
            rows.append(("    vmm --static-swift-stdlib", f"{st['maxrss_kb'] / 1024:.2f} MiB",
                         f"{st['guest_rss_kb'] / 1024:.2f} MiB guest touched", f"+{over:.2f} MiB", "<= +5 MiB",
                         over <= 5))
        fl = m["samples"]["floor"]
        rows.append(("    C floor (kvm_floor)", f"{fl['maxrss_kb'] / 1024:.2f} MiB",
                     f"{fl['guest_rss_kb'] / 1024:.2f} MiB guest touched",
                     f"+{(fl['maxrss_kb'] - fl['guest_rss_kb']) / 1024:.2f} MiB", "(info)", None))
    if "allocations" in results:
        a = results["allocations"]
        if "package_benchmark" in a:
            p = a["package_benchmark"]
            rows.append(("(d) allocations/exit (ordo-one)", f"{p['per_exit']:.4f}",
                         f"n={p['small']}: {p['mallocs_small']}, n={p['large']}: {p['mallocs_large']}", "",
                         "0", p["per_exit"] < 0.01))
        if "shim" in a:
            rows.append((("    " if "package_benchmark" in a else "(d) ") + "allocations/exit (shim, CLI)", f"{a['shim']['vmm']:.4f}",
                         f"{a['shim']['floor']:.4f} (C floor)", "", "0", a["shim"]["vmm"] < 0.01))
    rows += blk.summary_rows(results)
    header = ("benchmark", "vmm", "reference", "ratio/diff", "target", "met")
    widths = [max(len(str(r[i])) for r in rows + [header]) for i in range(5)]
    line = "+" + "+".join("-" * (w + 2) for w in widths + [3]) + "+"
    print("\n== Summary")
    print(line)
    print("| " + " | ".join(h.ljust(w) for h, w in zip(header[:5], widths)) + " | met |")
    print(line)
    for row in rows:
        met = "" if row[5] is None else ("yes" if row[5] else "NO")
        print("| " + " | ".join(str(v).ljust(w) for v, w in zip(row[:5], widths)) + f" | {met:3} |")
    print(line)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--vmm", required=True)
    parser.add_argument("--vmm-nodebug", help="the vmm binary without debug info, for callgrind")
    parser.add_argument("--vmm-static", help="vmm built with --static-swift-stdlib (optional variant)")
    parser.add_argument("--startup-phases", help="Benchmarks/StartupPhases, built (optional)")
    parser.add_argument("--floor", required=True)
    parser.add_argument("--measure", required=True, help="Benchmarks/measure, built")
    parser.add_argument("--cpu", type=int, help="CPU that (a) pins both programs to (default: the last one)")
    parser.add_argument("--guests", required=True)
    parser.add_argument("--qemu")
    parser.add_argument("--trivial-swift", required=True)
    parser.add_argument("--trivial-swift-foundation", required=True)
    parser.add_argument("--trivial-swift-static", help="trivial.swift built with -static-stdlib (optional)")
    parser.add_argument("--trivial-swift-foundation-static", help="trivial_foundation.swift, -static-stdlib")
    parser.add_argument("--alloccount", required=True)
    parser.add_argument("--package-dir", help="Benchmarks/ (the ordo-one/benchmark package)")
    parser.add_argument("--work", required=True, help="a folder for temporary files and results.json")
    parser.add_argument("--reps", type=int, default=11, help="repetitions for (b)")
    parser.add_argument("--exit-reps", type=int, default=15, help="repetitions for (a)")
    parser.add_argument("--alloc-reps", type=int, default=5)
    parser.add_argument("--n1", type=int, default=2000)
    parser.add_argument("--n2", type=int, default=22000)
    parser.add_argument("--pair-n2", type=int, default=42000, help="N2 of the concurrent pairs in (a)")
    parser.add_argument("--memory-n", type=int, default=100000)
    parser.add_argument("--no-callgrind", dest="callgrind", action="store_false")
    parser.add_argument("--no-package-benchmark", dest="package_benchmark", action="store_false")
    parser.add_argument("--only", default="abcde", help="sections to run, e.g. 'ad'")
    blk.add_arguments(parser)
    args = parser.parse_args()
    if args.callgrind and not args.vmm_nodebug:
        args.callgrind = False
    if args.package_benchmark and not args.package_dir:
        args.package_benchmark = False
    os.makedirs(args.work, exist_ok=True)
    global _work, _measure
    _work = args.work
    _measure = args.measure
    if args.cpu is None:
        args.cpu = max(os.sched_getaffinity(0))

    results = {"host": host_description(args)}
    started = time.monotonic()
    if "a" in args.only:
        bench_exit_cost(args, results)
    if "b" in args.only:
        bench_startup(args, results)
    if "c" in args.only:
        bench_memory(args, results)
    if "d" in args.only:
        bench_allocations(args, results)
    if "e" in args.only:
        if not args.qemu:
            sys.exit("bench: (e) needs --qemu")
        blk.bench_blk(args, results)
    summary(args, results)
    print(f"  (measurements took {time.monotonic() - started:.0f} s; load average now {read('/proc/loadavg')})")
    with open(os.path.join(args.work, "results.json"), "w") as f:
        json.dump(results, f, indent=2, default=str)
    print(f"  results as JSON: {os.path.join(args.work, 'results.json')}")


if __name__ == "__main__":
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    main()
