// Heap allocations of swift-vmm's exit loop, counted by ordo-one/benchmark's
// malloc interposer (all threads, the vCPU thread included).
//
// Each iteration builds a VM with 64 MiB of RAM, boots ioloop.elf with "n=N"
// (N port-I/O exits to an unassigned port, then ~40 serial and debug-exit
// exits), waits for it and tears it down. The setup and teardown allocate the
// same in both benchmarks, so
//
//   allocations per exit = (mallocs(n=large) - mallocs(n=small)) / (exits(large) - exits(small))
//
// with exits(N) = N + 27 + 2 * digits(N) (Guests/README.md). Benchmarks/bench.py
// computes it from the two p50 values. A third benchmark,
// the control, adds 20,000 mallocs on another thread to the small run, to show
// that allocations off the calling thread are counted.
import Benchmark
import Devices
import VMM

#if canImport(Glibc)
import Glibc
#endif

/// Serial output thrown away: the benchmark's own output stays readable.
struct DiscardedSerialOutput: SerialOutput {
    func write(byte: UInt8) {}
}

/// The guest: SWIFT_VMM_IOLOOP, else where Benchmarks/run.sh builds it.
let ioloopPath: String = {
    if let raw = getenv("SWIFT_VMM_IOLOOP"), raw.pointee != 0 { return String(cString: raw) }
    return "../.build-bench/guests/ioloop.elf"
}()

/// Boots ioloop.elf with n=`count` and checks that it ran to its debug exit.
func bootIOLoop(count: Int) {
    var configuration = MachineConfiguration()
    configuration.memorySize = 64 << 20
    configuration.kernel = .file(path: ioloopPath)
    configuration.commandLine = "n=\(count)"
    configuration.serialOutput = DiscardedSerialOutput()
    do {
        let machine = try VirtualMachine(configuration: configuration)
        try machine.start()
        let reason = machine.wait(timeout: 60)
        guard reason.exitStatus == 1 else { fatalError("ioloop n=\(count) ended: \(reason.summary)") }
    } catch {
        fatalError("ioloop n=\(count): \(error) (guest: \(ioloopPath))")
    }
}

/// Exits the two benchmarks differ by come from these counts.
let smallCount = 1_000
let largeCount = 21_000

/// The control: allocations on a thread other than the caller's must be counted,
/// since the exit loop runs on its own vCPU thread.
let controlMallocs = 20_000

func allocateOnAnotherThread() {
    var thread = pthread_t()
    let created = pthread_create(&thread, nil, { _ in
        for _ in 0..<controlMallocs {
            let pointer = malloc(16)
            blackHole(pointer)
            free(pointer)
        }
        return nil
    }, nil)
    precondition(created == 0, "pthread_create failed")
    pthread_join(thread, nil)
}

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.mallocCountTotal, .wallClock],
        warmupIterations: 1,
        maxDuration: .seconds(20),
        maxIterations: 5
    )
    Benchmark("ioloop n=\(smallCount)") { benchmark in
        for _ in benchmark.scaledIterations { bootIOLoop(count: smallCount) }
    }
    Benchmark("ioloop n=\(largeCount)") { benchmark in
        for _ in benchmark.scaledIterations { bootIOLoop(count: largeCount) }
    }
    Benchmark("control ioloop n=\(smallCount)") { benchmark in
        for _ in benchmark.scaledIterations {
            bootIOLoop(count: smallCount)
            allocateOnAnotherThread()
        }
    }
}
