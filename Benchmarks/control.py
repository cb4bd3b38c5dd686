#!/usr/bin/env python3
"""Section (f) of Benchmarks/run.sh: the control plane, swift-vmm against QEMU.

  1. process start -> API socket ready: CPU time the VMM process used until a
     client's connect(2) to its socket succeeds (summed over its threads from
     /proc/PID/task/*/schedstat, nanoseconds), and wall time. swift-vmm runs as
     `vmm --api-sock S`; QEMU (the baseline beside it) as `-S -qmp unix:S`.
     Firecracker's published target is <= 8 CPU-ms.
  2. InstanceStart -> first guest serial byte: swift-vmm configured over the API
     (boot-source, machine-config) then PUT /actions InstanceStart; QEMU started
     with -S and the same guest, then QMP `cont`. Wall time to the first byte on
     the VMM's standard output.
  3. snapshot and restore of a 256 MiB guest (counter.elf, timer-driven):
     swift-vmm PATCH /vm Paused + PUT /snapshot/create, then a new process and
     PUT /snapshot/load with resume_vm; QEMU `stop` + `migrate exec:cat>FILE`,
     then a new QEMU with `-incoming exec:cat FILE` and `cont`. Both write to the
     same directory; repetitions alternate.
Prints the command lines, medians and ratios (swift-vmm / QEMU), and returns a
dict for the summary.
"""
import json
import os
import select
import signal
import socket
import statistics
import subprocess
import time


# --- small clients -----------------------------------------------------------

def connect(path, timeout=10.0, poll=0.0002):
    """Connects to a Unix socket as soon as it accepts; returns (socket, seconds waited)."""
    start = time.monotonic()
    while True:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            sock.connect(path)
            return sock, time.monotonic() - start
        except (FileNotFoundError, ConnectionRefusedError):
            sock.close()
            if time.monotonic() - start > timeout:
                raise RuntimeError(f"{path}: no listener after {timeout} s")
            time.sleep(poll)


def http(sock, method, path, body=None):
    """One HTTP/1.1 request on a kept-alive connection; returns (status, body text)."""
    data = b"" if body is None else json.dumps(body).encode()
    head = f"{method} {path} HTTP/1.1\r\nHost: localhost\r\nAccept: application/json\r\n"
    if body is not None:
        head += "Content-Type: application/json\r\n"
    head += f"Content-Length: {len(data)}\r\n\r\n"
    sock.sendall(head.encode() + data)
    buffer = b""
    while b"\r\n\r\n" not in buffer:
        chunk = sock.recv(65536)
        if not chunk:
            raise RuntimeError(f"{method} {path}: connection closed")
        buffer += chunk
    header, rest = buffer.split(b"\r\n\r\n", 1)
    lines = header.decode().split("\r\n")
    status = int(lines[0].split()[1])
    length = 0
    for line in lines[1:]:
        name, _, value = line.partition(":")
        if name.strip().lower() == "content-length":
            length = int(value.strip())
    while len(rest) < length:
        chunk = sock.recv(65536)
        if not chunk:
            break
        rest += chunk
    return status, rest[:length].decode()


def expect(result, what, status=(200, 204)):
    code, text = result
    if code not in status:
        raise RuntimeError(f"{what}: HTTP {code} {text}")
    return text


class QMP:
    def __init__(self, path):
        self.sock, _ = connect(path)
        self.file = self.sock.makefile("rwb")
        self.read()  # greeting
        self.execute("qmp_capabilities")

    def read(self):
        while True:
            line = self.file.readline()
            if not line:
                raise RuntimeError("QMP closed")
            message = json.loads(line)
            if "event" not in message:
                return message

    def execute(self, command, **arguments):
        request = {"execute": command}
        if arguments:
            request["arguments"] = arguments
        self.file.write(json.dumps(request).encode() + b"\n")
        self.file.flush()
        reply = self.read()
        if "error" in reply:
            raise RuntimeError(f"QMP {command}: {reply['error']}")
        return reply.get("return")

    def close(self):
        self.file.close()
        self.sock.close()


# --- measuring a process -----------------------------------------------------

def cpu_ns(pid):
    """CPU time of a live process's threads, from the scheduler's statistics."""
    total = 0
    for task in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{task}/schedstat") as f:
                total += int(f.read().split()[0])
        except (FileNotFoundError, ProcessLookupError):
            pass
    return total


def spawn(cmd):
    return subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def stop(process):
    if process.poll() is None:
        process.kill()
    process.communicate()


def first_output(process, timeout=20.0, needle=None):
    """Wall time when the process's standard output first has a byte (or `needle`)."""
    fd = process.stdout.fileno()
    seen = b""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.05)
        if ready:
            chunk = os.read(fd, 65536)
            if not chunk:
                raise RuntimeError("the VMM closed its output before the guest printed")
            seen += chunk
            if needle is None or needle in seen:
                return time.monotonic(), seen
    raise RuntimeError(f"no guest output within {timeout} s (saw {seen[-200:]!r})")


def median(values):
    return statistics.median(values) if values else float("nan")


def fresh(path):
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
    return path


# --- the measurements --------------------------------------------------------

def socket_ready(args, work):
    vmm_sock, qemu_sock = fresh(f"{work}/f-vmm.sock"), fresh(f"{work}/f-qemu.sock")
    commands = {
        "vmm": [args.vmm, "--api-sock", vmm_sock],
        "qemu": [args.qemu, "-enable-kvm", "-M", "microvm", "-m", "64", "-nodefaults", "-display", "none",
                 "-S", "-qmp", f"unix:{qemu_sock},server=on,wait=off"],
    }
    paths = {"vmm": vmm_sock, "qemu": qemu_sock}
    if args.vmm_static:
        commands["vmm-static"] = [args.vmm_static, "--api-sock", vmm_sock]
        paths["vmm-static"] = vmm_sock
    for name, cmd in commands.items():
        print(f"  {name}: {' '.join(cmd)}")
    cpu, wall = {name: [] for name in commands}, {name: [] for name in commands}
    for _ in range(args.reps):
        for name, cmd in commands.items():
            fresh(paths[name])
            start = time.monotonic()
            process = spawn(cmd)
            sock, _ = connect(paths[name])
            ready = time.monotonic()
            cpu[name].append(cpu_ns(process.pid) / 1e6)
            wall[name].append((ready - start) * 1e3)
            sock.close()
            stop(process)
    result = {name: {"cpu_ms": median(cpu[name]), "wall_ms": median(wall[name])} for name in cpu}
    print(f"  process start -> socket ready, median of {args.reps}:")
    for name in cpu:
        print(f"    {name:10} CPU {result[name]['cpu_ms']:.2f} ms (runs {min(cpu[name]):.2f}-{max(cpu[name]):.2f}),"
              f" wall {result[name]['wall_ms']:.2f} ms")
    result["ratio_cpu"] = result["vmm"]["cpu_ms"] / result["qemu"]["cpu_ms"]
    print(f"    ratio vmm/qemu CPU {result['ratio_cpu']:.3f}; Firecracker's target: <= 8 CPU-ms"
          f" -> swift-vmm {'meets' if result['vmm']['cpu_ms'] <= 8 else 'misses'} it here")
    if "vmm-static" in result:
        result["ratio_cpu_static"] = result["vmm-static"]["cpu_ms"] / result["qemu"]["cpu_ms"]
        print(f"    ratio vmm-static/qemu CPU {result['ratio_cpu_static']:.3f}; --static-swift-stdlib"
              f" {'meets' if result['vmm-static']['cpu_ms'] <= 8 else 'misses'} the 8 CPU-ms target here")
    return result


def instance_start(args, work):
    vmm_sock, qemu_sock = fresh(f"{work}/f-vmm.sock"), fresh(f"{work}/f-qemu.sock")
    times = {"vmm": [], "qemu": []}
    qemu_cmd = [args.qemu, "-enable-kvm", "-M", "microvm,x-option-roms=on,rtc=off", "-m", "64", "-nodefaults",
                "-display", "none", "-serial", "stdio", "-device", "isa-debug-exit,iobase=0xf4,iosize=4",
                "-kernel", args.hello, "-S", "-qmp", f"unix:{qemu_sock},server=on,wait=off"]
    print(f"  vmm: {args.vmm} --api-sock S; PUT /boot-source {{kernel_image_path: hello.elf}}; "
          "PUT /machine-config {vcpu_count: 1, mem_size_mib: 64}; PUT /actions InstanceStart")
    print(f"  qemu: {' '.join(qemu_cmd)}; QMP cont")
    for _ in range(args.reps):
        fresh(vmm_sock)
        process = spawn([args.vmm, "--api-sock", vmm_sock])
        try:
            sock, _ = connect(vmm_sock)
            expect(http(sock, "PUT", "/boot-source", {"kernel_image_path": args.hello}), "boot-source")
            expect(http(sock, "PUT", "/machine-config", {"vcpu_count": 1, "mem_size_mib": 64}), "machine-config")
            start = time.monotonic()
            expect(http(sock, "PUT", "/actions", {"action_type": "InstanceStart"}), "InstanceStart")
            first, _ = first_output(process)
            times["vmm"].append((first - start) * 1e3)
            sock.close()
        finally:
            stop(process)
        fresh(qemu_sock)
        process = spawn(qemu_cmd)
        try:
            qmp = QMP(qemu_sock)
            start = time.monotonic()
            qmp.execute("cont")
            first, _ = first_output(process)
            times["qemu"].append((first - start) * 1e3)
            qmp.close()
        finally:
            stop(process)
    result = {name: median(values) for name, values in times.items()}
    result["ratio"] = result["vmm"] / result["qemu"]
    print(f"  InstanceStart (QMP cont) -> first serial byte, median of {args.reps}: "
          f"vmm {result['vmm']:.2f} ms, qemu {result['qemu']:.2f} ms, ratio {result['ratio']:.3f}")
    return result


def snapshot_restore(args, work):
    directory = args.snapshot_dir
    os.makedirs(directory, exist_ok=True)
    state, memory = f"{directory}/f-vmm.state", f"{directory}/f-vmm.mem"
    qemu_file = f"{directory}/f-qemu.migration"
    vmm_sock, qemu_sock = f"{work}/f-vmm.sock", f"{work}/f-qemu.sock"
    mib = args.snapshot_mib
    qemu_base = [args.qemu, "-enable-kvm", "-M", "microvm,x-option-roms=on,rtc=off", "-m", str(mib), "-nodefaults",
                 "-display", "none", "-serial", "stdio", "-device", "isa-debug-exit,iobase=0xf4,iosize=4",
                 "-kernel", args.counter, "-append", "every=5"]
    print(f"  guest: counter.elf every=5, {mib} MiB; files in {directory}")
    print(f"  vmm: PATCH /vm Paused; PUT /snapshot/create {{snapshot_path, mem_file_path}}; kill; new process:"
          " PUT /snapshot/load {snapshot_path, mem_backend File, resume_vm: true}")
    print(f"  qemu: QMP stop; migrate exec:cat>FILE (until completed); kill; new QEMU -incoming 'exec:cat FILE';"
          " QMP cont")
    rows = {key: [] for key in ("vmm_create", "vmm_load", "vmm_resumed_output",
                                "qemu_create", "qemu_load", "qemu_resumed_output")}
    for _ in range(args.snapshot_reps):
        # swift-vmm: boot, snapshot, kill, restore.
        fresh(vmm_sock)
        process = spawn([args.vmm, "--api-sock", vmm_sock])
        try:
            sock, _ = connect(vmm_sock)
            expect(http(sock, "PUT", "/boot-source", {"kernel_image_path": args.counter, "boot_args": "every=5"}),
                   "boot-source")
            expect(http(sock, "PUT", "/machine-config", {"vcpu_count": 1, "mem_size_mib": mib}), "machine-config")
            expect(http(sock, "PUT", "/actions", {"action_type": "InstanceStart"}), "InstanceStart")
            first_output(process, needle=b"count 2\n", timeout=60)
            expect(http(sock, "PATCH", "/vm", {"state": "Paused"}), "pause")
            start = time.monotonic()
            expect(http(sock, "PUT", "/snapshot/create",
                        {"snapshot_type": "Full", "snapshot_path": state, "mem_file_path": memory}), "create")
            rows["vmm_create"].append((time.monotonic() - start) * 1e3)
            sock.close()
        finally:
            stop(process)
        fresh(vmm_sock)
        spawned = time.monotonic()
        process = spawn([args.vmm, "--api-sock", vmm_sock])
        try:
            sock, _ = connect(vmm_sock)
            start = time.monotonic()
            expect(http(sock, "PUT", "/snapshot/load",
                        {"snapshot_path": state, "mem_backend": {"backend_type": "File", "backend_path": memory},
                         "resume_vm": True}), "load")
            rows["vmm_load"].append((time.monotonic() - start) * 1e3)
            printed, _ = first_output(process, needle=b"count", timeout=60)
            rows["vmm_resumed_output"].append((printed - spawned) * 1e3)
            sock.close()
        finally:
            stop(process)
        # QEMU: the same with migration to a file.
        fresh(qemu_sock)
        process = spawn(qemu_base + ["-qmp", f"unix:{qemu_sock},server=on,wait=off"])
        try:
            qmp = QMP(qemu_sock)
            first_output(process, needle=b"count 2\n", timeout=60)
            qmp.execute("stop")
            start = time.monotonic()
            qmp.execute("migrate", uri=f"exec:cat > {qemu_file}")
            while qmp.execute("query-migrate").get("status") not in ("completed", "failed"):
                time.sleep(0.001)
            rows["qemu_create"].append((time.monotonic() - start) * 1e3)
            qmp.close()
        finally:
            stop(process)
        fresh(qemu_sock)
        spawned = time.monotonic()
        process = spawn(qemu_base + ["-incoming", f"exec:cat {qemu_file}",
                                     "-qmp", f"unix:{qemu_sock},server=on,wait=off"])
        try:
            qmp = QMP(qemu_sock)
            start = time.monotonic()
            while qmp.execute("query-status").get("status") == "inmigrate":
                time.sleep(0.001)
            rows["qemu_load"].append((time.monotonic() - start) * 1e3)
            qmp.execute("cont")
            printed, _ = first_output(process, needle=b"count", timeout=60)
            rows["qemu_resumed_output"].append((printed - spawned) * 1e3)
            qmp.close()
        finally:
            stop(process)
    result = {key: median(values) for key, values in rows.items()}
    sizes = {name: os.stat(path) for name, path in (("state", state), ("memory", memory), ("qemu", qemu_file))}
    print(f"  {mib} MiB guest, median of {args.snapshot_reps}:")
    print(f"    create:  vmm {result['vmm_create']:.1f} ms, qemu {result['qemu_create']:.1f} ms,"
          f" ratio {result['vmm_create'] / result['qemu_create']:.3f}")
    print(f"    load:    vmm {result['vmm_load']:.1f} ms (PUT /snapshot/load), qemu {result['qemu_load']:.1f} ms"
          f" (incoming migration), ratio {result['vmm_load'] / result['qemu_load']:.3f}")
    print(f"    process start -> guest output again: vmm {result['vmm_resumed_output']:.1f} ms,"
          f" qemu {result['qemu_resumed_output']:.1f} ms")
    for name, info in sizes.items():
        print(f"    file {name}: {info.st_size} bytes, {info.st_blocks * 512} allocated")
    for path in (state, memory, qemu_file):
        fresh(path)
    return result


def main():
    import argparse
    parser = argparse.ArgumentParser()
    parser.add_argument("--vmm", required=True)
    parser.add_argument("--qemu", required=True)
    parser.add_argument("--vmm-static", help="the vmm built with --static-swift-stdlib, for (f1)")
    parser.add_argument("--hello", required=True)
    parser.add_argument("--counter", required=True)
    parser.add_argument("--work", default="/tmp")
    parser.add_argument("--reps", type=int, default=11)
    parser.add_argument("--snapshot-reps", type=int, default=3)
    parser.add_argument("--snapshot-mib", type=int, default=256)
    parser.add_argument("--snapshot-dir", default="/tmp/swift-vmm-bench-snapshots")
    parser.add_argument("--only", default="123")
    parser.add_argument("--json")
    args = parser.parse_args()
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    results = {}
    if "1" in args.only:
        print("\n### (f1) process start -> API socket ready")
        results["socket_ready"] = socket_ready(args, args.work)
    if "2" in args.only:
        print("\n### (f2) InstanceStart -> first guest serial byte")
        results["instance_start"] = instance_start(args, args.work)
    if "3" in args.only:
        print("\n### (f3) snapshot and restore")
        results["snapshot"] = snapshot_restore(args, args.work)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=2)


if __name__ == "__main__":
    main()
