"""Section (e) of Benchmarks/bench.py: virtio-blk 4 KiB random I/O, vmm vs QEMU microvm.

One guest binary (Guests/multiboot/virtio_bench.c: a polled virtio-mmio driver
that runs its request loop at CPL 3) does `requests=N` 4 KiB reads and writes at
random 4 KiB-aligned offsets with `depth=D` in flight, against the same disk image
(in the host page cache), alternately under release `vmm` and under QEMU microvm
with KVM. The guest times its loop with rdtsc; the TSC rate comes from
KVM_GET_TSC_KHZ. Exits per request are taken by difference between a run with N
requests and one with 0, whose serial output has the same length (the guest pads
every number), so only the request loop differs:
  vmm:  user-space exits from --stats-json (`totalExits`), KVM's own `exits`;
  QEMU: KVM's vCPU statistics over QMP `query-stats` (the guest waits at CPL 3
        after its last line, `hold=1`, until they are read): `mmio_exits` (+
        `io_exits`, which this nested KVM leaves at 0) and `exits`.
Can also be run alone: python3 Benchmarks/blk.py --vmm ... --guests ... --qemu ... --work ...
"""
import argparse
import fcntl
import json
import os
import re
import select
import shlex
import signal
import socket
import statistics
import subprocess
import sys
import time

KVMIO = 0xAE


def _io(nr):
    return (KVMIO << 8) | nr


def kvm_tsc_khz():
    """The TSC rate KVM gives a new vCPU (KVM_GET_TSC_KHZ; neither vmm nor QEMU
    sets one, so both guests' TSC runs at this rate)."""
    kvm = os.open("/dev/kvm", os.O_RDWR | os.O_CLOEXEC)
    try:
        vm = fcntl.ioctl(kvm, _io(0x01), 0)          # KVM_CREATE_VM
        try:
            vcpu = fcntl.ioctl(vm, _io(0x41), 0)     # KVM_CREATE_VCPU
            try:
                return fcntl.ioctl(vcpu, _io(0xA3), 0)  # KVM_GET_TSC_KHZ
            finally:
                os.close(vcpu)
        finally:
            os.close(vm)
    finally:
        os.close(kvm)


LINE = {
    "requests": re.compile(r"^bench: requests (\d+) reads (\d+) writes (\d+)$", re.M),
    "cycles": re.compile(r"^bench: cycles (\d+) notifications (\d+)$", re.M),
    "checked": re.compile(r"^bench: checked (\d+) reads \((\d+) of blocks written in this run\), readback (\d+)$", re.M),
}


class Run:
    """One guest run: the figures it printed and the exit counts."""

    def __init__(self, vmm, n, output, wall_s):
        self.vmm = vmm
        self.n = n
        self.output = output
        self.wall_s = wall_s
        if "bench: PASS" not in output:
            sys.exit(f"bench: virtio_bench.elf did not pass under {vmm}:\n{output[-1500:]}")
        requests = LINE["requests"].search(output)
        cycles = LINE["cycles"].search(output)
        checked = LINE["checked"].search(output)
        if not (requests and cycles and checked):
            sys.exit(f"bench: unexpected output of virtio_bench.elf under {vmm}:\n{output[-1500:]}")
        self.requests, self.reads, self.writes = (int(x) for x in requests.groups())
        self.cycles, self.notifications = (int(x) for x in cycles.groups())
        self.checked, self.checked_written, self.readback = (int(x) for x in checked.groups())
        if self.requests != n:
            sys.exit(f"bench: {vmm} run asked for {n} requests, the guest did {self.requests}")
        self.user_exits = None   # exits to user space (vmm), or KVM's mmio_exits + io_exits (QEMU)
        self.kvm_exits = None    # every exit KVM saw
        self.kvm = {}
        self.threads = {}        # thread_times()

    def iops(self, tsc_hz):
        return self.requests / (self.cycles / tsc_hz) if self.cycles else 0.0


def guest_cmdline(args, n):
    return f"requests={n} depth={args.blk_depth} writes={args.blk_writes} hold=1"


def vmm_cmd(args, n, stats):
    return [args.vmm, "run", "--kernel", args.blk_guest, "--drive", args.blk_image, "--memory", "64M",
            "--cmdline", guest_cmdline(args, n), "--stats-json", stats]


def qemu_cmd(args, n, qmp):
    return [args.qemu, "-M", "microvm,x-option-roms=on,rtc=off,pit=off,pic=off", "-accel", "kvm", "-m", "64",
            "-name", "bench,debug-threads=on",
            "-display", "none", "-nodefaults", "-no-reboot", "-serial", "stdio",
            "-device", "isa-debug-exit,iobase=0xf4,iosize=4", "-global", "virtio-mmio.force-legacy=false",
            "-drive", f"id=d0,file={args.blk_image},format=raw,if=none" + getattr(args, "blk_qemu_drive", ""),
            *(["-object", "iothread,id=io0"] if getattr(args, "blk_qemu_iothread", False) else []),
            "-device", "virtio-blk-device,drive=d0" + (",iothread=io0" if getattr(args, "blk_qemu_iothread", False) else ""),
            "-qmp", f"unix:{qmp},server=on,wait=off",
            "-kernel", args.blk_guest, "-append", guest_cmdline(args, n)]


# The vCPU thread of each VMM, by the name it gives it.
VCPU_THREAD = {"vmm": "vCPU thread", "QEMU": "CPU 0/KVM"}


def thread_times(pid, vcpu_name):
    """CPU time (ns, /proc/PID/task/TID/schedstat) and context switches of the
    vCPU thread and of all other threads together."""
    totals = {"vcpu_ns": 0, "other_ns": 0, "other_switches": 0, "other_threads": 0, "by_name": {}}
    base = f"/proc/{pid}/task"
    for tid in os.listdir(base):
        try:
            with open(f"{base}/{tid}/comm") as f:
                name = f.read().strip()
            with open(f"{base}/{tid}/schedstat") as f:
                ns = int(f.read().split()[0])
            with open(f"{base}/{tid}/status") as f:
                status = dict(line.split(":", 1) for line in f.read().splitlines() if ":" in line)
        except OSError:
            continue  # the thread ended meanwhile
        switches = int(status["voluntary_ctxt_switches"]) + int(status["nonvoluntary_ctxt_switches"])
        group = totals["by_name"].setdefault(name.rstrip("0123456789 "), [0, 0, 0])
        group[0] += ns
        group[1] += switches
        group[2] += 1
        if name == vcpu_name:
            totals["vcpu_ns"] += ns
        else:
            totals["other_ns"] += ns
            totals["other_switches"] += switches
            totals["other_threads"] += 1
    return totals


def read_until_done(p, cmd, deadline, err_path):
    """The guest's serial output up to its last line (after which it spins at CPL 3)."""
    output = b""
    while not re.search(rb"^bench: (PASS|FAIL)[^\n]*\n", output, re.M):
        left = deadline - time.monotonic()
        ready, _, _ = select.select([p.stdout], [], [], max(left, 0))
        if not ready:
            sys.exit(f"bench: timed out: {shlex.join(cmd)}\n{output.decode(errors='replace')[-1500:]}")
        chunk = os.read(p.stdout.fileno(), 65536)
        if not chunk:
            sys.exit(f"bench: ended early ({p.wait()}): {shlex.join(cmd)}\n"
                     f"{output.decode(errors='replace')[-1500:]}\n{open(err_path).read()[-1500:]}")
        output += chunk
    return output.decode(errors="replace")


def run_guest(args, name, n):
    """Boots virtio_bench.elf with `requests=n ... hold=1` under vmm or QEMU, waits
    for its last line, samples the threads' CPU time, reads the exit counts (vmm:
    SIGTERM, then its --stats-json; QEMU: QMP query-stats, then quit)."""
    if name == "vmm":
        side = os.path.join(args.work, "blk-vmm-stats.json")
        cmd = vmm_cmd(args, n, side)
    else:
        side = os.path.join(args.work, "blk-qmp.sock")
        cmd = qemu_cmd(args, n, side)
    if os.path.exists(side):
        os.remove(side)
    err_path = os.path.join(args.work, f"blk-{name}.stderr")
    started = time.monotonic()
    deadline = started + args.blk_timeout
    with open(err_path, "w") as err:
        p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=err, stdin=subprocess.DEVNULL)
    try:
        output = read_until_done(p, cmd, deadline, err_path)
        wall = time.monotonic() - started
        threads = thread_times(p.pid, VCPU_THREAD[name])
        if name == "vmm":
            p.send_signal(signal.SIGTERM)
            status = p.wait(timeout=30)
            if status != 128 + signal.SIGTERM:
                sys.exit(f"bench: vmm exited with {status} after SIGTERM (want {128 + signal.SIGTERM}): "
                         f"{open(err_path).read()[-1500:]}")
            with open(side) as f:
                report = json.load(f)
            kvm = {}
            for vcpu in report["vcpus"]:
                for key, value in vcpu.get("kvm", {}).items():
                    kvm[key] = kvm.get(key, 0) + value
            user_exits = report["totalExits"]
        else:
            qmp = QMP(side, deadline)
            stats = qmp.command("query-stats", target="vcpu")
            try:
                qmp.command("quit")
            except (EOFError, OSError):
                pass
            qmp.close()
            p.wait(timeout=30)
            kvm = {}
            for vcpu in stats:
                for provider in vcpu.get("providers", [vcpu]):
                    for stat in provider.get("stats", []):
                        value = stat["value"]
                        if isinstance(value, int) and not isinstance(value, bool):
                            kvm[stat["name"]] = kvm.get(stat["name"], 0) + value
            # This nested KVM leaves io_exits at 0; the loop does no port I/O anyway.
            user_exits = kvm.get("mmio_exits", 0) + kvm.get("io_exits", 0)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    run = Run(name, n, output, wall)
    run.kvm = kvm
    run.user_exits = user_exits
    run.kvm_exits = kvm.get("exits")
    run.threads = threads
    return run


class QMP:
    def __init__(self, path, deadline):
        while True:
            try:
                self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                self.sock.connect(path)
                break
            except OSError:
                self.sock.close()
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.01)
        self.file = self.sock.makefile("rw")
        json.loads(self.file.readline())  # greeting
        self.command("qmp_capabilities")

    def command(self, name, **arguments):
        message = {"execute": name}
        if arguments:
            message["arguments"] = arguments
        self.file.write(json.dumps(message) + "\n")
        self.file.flush()
        while True:
            line = self.file.readline()
            if not line:
                raise EOFError("QMP connection closed")
            reply = json.loads(line)
            if "return" in reply:
                return reply["return"]
            if "error" in reply:
                raise RuntimeError(f"QMP {name}: {reply['error']}")

    def close(self):
        self.file.close()
        self.sock.close()


def prepare_image(args):
    """A fully allocated zero-filled raw image (zeroes are a valid state for the
    guest's check), then read once so that it is in the page cache."""
    size = args.blk_disk_mib << 20
    if not os.path.exists(args.blk_image) or os.path.getsize(args.blk_image) != size:
        chunk = bytes(1 << 20)
        with open(args.blk_image, "wb") as f:
            for _ in range(args.blk_disk_mib):
                f.write(chunk)
    with open(args.blk_image, "rb") as f:
        while f.read(1 << 22):
            pass
    resident = None
    try:
        out = subprocess.run(["fincore", "--bytes", "--noheadings", "--output", "RES,SIZE", args.blk_image],
                             capture_output=True, text=True).stdout.split()
        if len(out) >= 2:
            resident = int(out[0]) / int(out[1])
    except (OSError, ValueError):
        pass
    return resident


def median(values):
    return statistics.median(values)


def spread(values, fmt):
    return f"min {fmt.format(min(values))}, max {fmt.format(max(values))}"


def file_system(path):
    try:
        return subprocess.run(["stat", "-f", "-c", "%T", path], capture_output=True, text=True).stdout.strip() or "?"
    except OSError:
        return "?"


def bench_blk(args, results):
    print(f"\n== (e) virtio-blk, 4 KiB random I/O: virtio_bench.elf under vmm vs QEMU microvm")
    args.blk_guest = os.path.join(args.guests, "virtio_bench.elf")
    args.blk_image = os.path.join(args.blk_image_dir, f"swift-vmm-blk-{os.getpid()}.img")
    try:
        measure_blk(args, results)
    finally:
        if os.path.exists(args.blk_image):
            os.remove(args.blk_image)


def measure_blk(args, results):
    n = args.blk_requests
    resident = prepare_image(args)
    tsc_khz = kvm_tsc_khz()
    tsc_hz = tsc_khz * 1000
    load_before = open("/proc/loadavg").read().split()[:3]
    print(f"  disk: {args.blk_image} ({file_system(args.blk_image)}), {args.blk_disk_mib} MiB raw, made zero-filled "
          f"for this section and deleted after it, read once before the runs: "
          f"{'%.0f%%' % (resident * 100) if resident is not None else '?'} in the page cache (fincore)")
    print(f"  guest: requests={n} depth={args.blk_depth} writes={args.blk_writes} (%), 4 KiB at random 4 KiB-aligned "
          f"offsets, one queue of 256; the same seed in every run")
    print(f"  TSC: {tsc_khz} kHz (KVM_GET_TSC_KHZ of a new vCPU; neither VMM sets another rate)")
    print("  vmm : " + shlex.join(vmm_cmd(args, "N", "STATS.json")))
    print("  QEMU: " + shlex.join(qemu_cmd(args, "N", "QMP.sock")))
    if getattr(args, "blk_qemu_drive", "") or getattr(args, "blk_qemu_iothread", False):
        print("  QEMU's disk path is NOT its default here (--blk-qemu-drive / --blk-qemu-iothread)")
    else:
        print("  QEMU's disk path is its default: cache=writeback (host page cache, no O_DIRECT), aio=threads (a "
              "thread pool does the preads/pwrites), no iothread (the device runs in the main loop), "
              "virtio-mmio ioeventfd=on, queue-size 256, event_idx=on")

    # Baselines: the same guest with 0 requests (same serial output length).
    base = {"vmm": run_guest(args, "vmm", 0), "QEMU": run_guest(args, "QEMU", 0)}
    print(f"  baseline (requests=0): vmm {base['vmm'].user_exits} exits to user space, KVM exits "
          f"{base['vmm'].kvm_exits}; QEMU mmio_exits+io_exits {base['QEMU'].user_exits}, KVM exits "
          f"{base['QEMU'].kvm_exits}")
    # Warm-up (not counted): one run each.
    run_guest(args, "vmm", min(n, 20000))
    run_guest(args, "QEMU", min(n, 20000))

    runs = {"vmm": [], "QEMU": []}
    ratios = []
    for rep in range(args.blk_reps):
        order = ["vmm", "QEMU"] if rep % 2 == 0 else ["QEMU", "vmm"]
        for name in order:
            runs[name].append(run_guest(args, name, n))
        v, q = runs["vmm"][-1], runs["QEMU"][-1]
        ratios.append(v.iops(tsc_hz) / q.iops(tsc_hz))
        line = f"  rep {rep + 1:2}:"
        for name, r in (("vmm", v), ("QEMU", q)):
            b = base[name]
            cpu = (r.threads["other_ns"] - b.threads["other_ns"]) / n / 1000
            line += (f" {name} {r.iops(tsc_hz):7.0f} IOPS, exits/req {(r.user_exits - b.user_exits) / n:.4f} user "
                     f"{(r.kvm_exits - b.kvm_exits) / n:.3f} KVM, {r.notifications / n:.3f} notify/req, "
                     f"{cpu:.1f} us CPU/req besides the vCPU |")
        print(line + f" ratio {ratios[-1]:.2f}")
    load_after = open("/proc/loadavg").read().split()[:3]

    def per_request(name, attribute):
        return [(getattr(r, attribute) - getattr(base[name], attribute)) / n for r in runs[name]]

    summary = {}
    for name in ("vmm", "QEMU"):
        iops = [r.iops(tsc_hz) for r in runs[name]]
        user = per_request(name, "user_exits")
        kvm = per_request(name, "kvm_exits")
        notify = [r.notifications / n for r in runs[name]]
        kvm_keys = ("pf_taken", "irq_exits", "mmio_exits", "halt_exits", "signal_exits")
        breakdown = {k: median([(r.kvm.get(k, 0) - base[name].kvm.get(k, 0)) / n for r in runs[name]])
                     for k in kvm_keys}
        other_cpu = [(r.threads["other_ns"] - base[name].threads["other_ns"]) / n / 1000 for r in runs[name]]
        switches = [(r.threads["other_switches"] - base[name].threads["other_switches"]) / n for r in runs[name]]
        vcpu_share = [(r.threads["vcpu_ns"] - base[name].threads["vcpu_ns"]) / 1e9 / (r.cycles / tsc_hz)
                      for r in runs[name]]
        groups = {}
        for group in runs[name][0].threads["by_name"]:
            cpu = [(r.threads["by_name"].get(group, [0, 0, 0])[0] - base[name].threads["by_name"].get(group, [0, 0, 0])[0])
                   / n / 1000 for r in runs[name]]
            sw = [(r.threads["by_name"].get(group, [0, 0, 0])[1] - base[name].threads["by_name"].get(group, [0, 0, 0])[1])
                  / n for r in runs[name]]
            groups[group] = {"threads": runs[name][0].threads["by_name"][group][2], "cpu_us_per_request": median(cpu),
                             "switches_per_request": median(sw)}
        checked = sum(r.checked for r in runs[name])
        checked_written = sum(r.checked_written for r in runs[name])
        summary[name] = {"iops": median(iops), "iops_all": iops, "user_exits_per_request": median(user),
                         "user_exits_all": user, "kvm_exits_per_request": median(kvm),
                         "notifications_per_request": median(notify), "kvm_breakdown": breakdown,
                         "reads_checked": checked, "reads_of_written_checked": checked_written,
                         "other_cpu_us_per_request": median(other_cpu), "other_cpu_all": other_cpu,
                         "other_switches_per_request": median(switches),
                         "other_threads": max(r.threads["other_threads"] for r in runs[name]),
                         "threads_by_name": groups,
                         "vcpu_cpu_share": median(vcpu_share),
                         "wall_s": median([r.wall_s for r in runs[name]]),
                         "loop_s": median([r.cycles / tsc_hz for r in runs[name]])}
        print(f"  {name:4}: median {median(iops):.0f} IOPS ({spread(iops, '{:.0f}')}); loop {summary[name]['loop_s']:.2f} s"
              f" of {summary[name]['wall_s']:.2f} s from start to the last line; exits per request: to user space "
              f"{median(user):.4f}, seen by KVM {median(kvm):.3f} (" +
              ", ".join(f"{k} {v:.3f}" for k, v in breakdown.items() if v) +
              f"); notifications sent {median(notify):.3f}/request; host CPU time of the threads other than the "
              f"vCPU's ({summary[name]['other_threads']} threads) {median(other_cpu):.2f} us/request, "
              f"{median(switches):.2f} context switches/request; the vCPU thread was on a CPU "
              f"{median(vcpu_share) * 100:.0f}% of the loop; {checked} reads checked "
              f"({checked_written} of blocks the run had written) + {sum(r.readback for r in runs[name])} read back")
        print(f"        per request, by thread (name: CPU, context switches): " + "; ".join(
            f"{g!r} x{v['threads']}: {v['cpu_us_per_request']:.2f} us, {v['switches_per_request']:.2f}"
            for g, v in sorted(groups.items(), key=lambda item: -item[1]["cpu_us_per_request"])
            if v["cpu_us_per_request"] >= 0.01 or v["switches_per_request"] >= 0.01))
    ratio = median(ratios)
    print(f"  IOPS ratio vmm/QEMU: median of per-repetition ratios {ratio:.2f} ({spread(ratios, '{:.2f}')}); "
          f"ratio of medians {summary['vmm']['iops'] / summary['QEMU']['iops']:.2f}")
    print(f"  load average: {' '.join(load_before)} before, {' '.join(load_after)} after")
    results["blk"] = {"requests": n, "depth": args.blk_depth, "writes": args.blk_writes, "reps": args.blk_reps,
                      "disk_mib": args.blk_disk_mib, "page_cache_resident": resident,
                      "image_file_system": file_system(args.blk_image), "tsc_khz": tsc_khz,
                      "ratio": ratio, "ratios": ratios, "vmm": summary["vmm"], "qemu": summary["QEMU"],
                      "baseline": {k: {"user_exits": v.user_exits, "kvm_exits": v.kvm_exits} for k, v in base.items()},
                      "load_before": load_before, "load_after": load_after}


def summary_rows(results):
    if "blk" not in results:
        return []
    b = results["blk"]
    v, q = b["vmm"], b["qemu"]
    return [
        ("(e) virtio-blk 4K random IOPS", f"{v['iops']:.0f}", f"{q['iops']:.0f} (QEMU)", f"{b['ratio']:.2f}",
         ">= 1.5", b["ratio"] >= 1.5),
        ("    user-space exits/request", f"{v['user_exits_per_request']:.4f}",
         f"{q['user_exits_per_request']:.4f} (QEMU, KVM mmio_exits)", "", "< 0.05",
         v["user_exits_per_request"] < 0.05),
        ("    KVM-handled exits/request", f"{v['kvm_exits_per_request']:.3f}",
         f"{q['kvm_exits_per_request']:.3f} (QEMU)", "", "(info)", None),
        ("    host CPU/request, not vCPU", f"{v['other_cpu_us_per_request']:.2f} us",
         f"{q['other_cpu_us_per_request']:.2f} us (QEMU)",
         f"{v['other_cpu_us_per_request'] / q['other_cpu_us_per_request']:.2f}", "(info)", None),
    ]


def add_arguments(parser):
    parser.add_argument("--blk-requests", type=int, default=200000, help="requests per run in (e)")
    parser.add_argument("--blk-reps", type=int, default=7, help="interleaved repetitions in (e)")
    parser.add_argument("--blk-depth", type=int, default=32, help="requests in flight in (e)")
    parser.add_argument("--blk-writes", type=int, default=50, help="percentage of writes in (e)")
    parser.add_argument("--blk-disk-mib", type=int, default=256, help="disk image size in (e)")
    parser.add_argument("--blk-image-dir", default="/dev/shm",
                        help="where (e) makes its disk image (default /dev/shm: tmpfs, see docs/benchmarks.md)")
    parser.add_argument("--blk-qemu-drive", default="",
                        help="extra -drive options for QEMU in (e), e.g. ',aio=io_uring' (default: QEMU's defaults)")
    parser.add_argument("--blk-qemu-iothread", action="store_true",
                        help="give QEMU's virtio-blk an iothread in (e) (default: none, QEMU's default)")
    parser.add_argument("--blk-timeout", type=float, default=600, help="seconds before a run in (e) is given up")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--vmm", required=True)
    parser.add_argument("--guests", required=True)
    parser.add_argument("--qemu", required=True)
    parser.add_argument("--work", required=True)
    add_arguments(parser)
    args = parser.parse_args()
    os.makedirs(args.work, exist_ok=True)
    results = {}
    bench_blk(args, results)
    for row in summary_rows(results):
        print(" | ".join(str(x) for x in row[:5]) + (" | met" if row[5] else " | NOT met" if row[5] is False else ""))


if __name__ == "__main__":
    main()
