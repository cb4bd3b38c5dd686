import Foundation
import Synchronization
import Testing

/// A host TAP device for one test, made with iproute2 the way an operator would:
/// `ip tuntap add dev NAME mode tap`, `ip addr add 10.77.K.1/24 dev NAME`, `ip link
/// set NAME up`. Names and subnets are unique per test (the process ID and a
/// counter); `remove()` deletes the device, and `with` always calls it.
struct HostTap {
    let name: String
    let subnet: Int

    var hostIP: String { "10.77.\(subnet).1" }
    var guestIP: String { "10.77.\(subnet).2" }
    /// The guest's command-line token: `net=GUEST_IP,HOST_IP`.
    var token: String { "net=\(guestIP),\(hostIP)" }

    private static let counter = Atomic<Int>(0)

    static let ipPath: String? = ["/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip"]
        .first { FileManager.default.isExecutableFile(atPath: $0) }

    /// Why TAP devices cannot be made here (printed once), or nil when they can.
    static let unavailableReason: String? = {
        let reason: String?
        if !FileManager.default.fileExists(atPath: "/dev/net/tun") {
            reason = "/dev/net/tun does not exist"
        } else if ipPath == nil {
            reason = "iproute2's ip is not installed"
        } else {
            do {
                try with(address: false) { _ in }
                reason = nil
            } catch {
                reason = "\(error)"
            }
        }
        if let reason { print("skipping TAP tests: \(reason)") }
        return reason
    }()

    static var available: Bool { unavailableReason == nil }

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// Runs `body` with a fresh TAP device (with 10.77.K.1/24 and up unless
    /// `address` is false) and deletes the device afterwards, whatever happens.
    static func with<T>(address: Bool = true, _ body: (HostTap) throws -> T) throws -> T {
        let tap = try create(address: address)
        defer { tap.remove() }
        return try body(tap)
    }

    private static func create(address: Bool) throws -> HostTap {
        let number = counter.add(1, ordering: .relaxed).newValue
        let name = "svmn\(getpid() % 1_000_000)x\(number)"
        guard let subnet = freeSubnet(from: Int(getpid()) &+ number * 37) else {
            throw Failure(description: "no free 10.77.K.0/24 subnet")
        }
        let tap = HostTap(name: name, subnet: subnet)
        try ip(["tuntap", "add", "dev", name, "mode", "tap"])
        do {
            if address {
                try ip(["addr", "add", "\(tap.hostIP)/24", "dev", name])
                try ip(["link", "set", name, "up"])
            }
        } catch {
            tap.remove()
            throw error
        }
        return tap
    }

    /// A K in 20...219 with no route to 10.77.K.0/24 yet, starting the search at `seed`.
    private static func freeSubnet(from seed: Int) -> Int? {
        for step in 0..<200 {
            let subnet = 20 + (abs(seed) + step) % 200
            let routes = Environment.run([ipPath ?? "ip", "-4", "route", "show", "10.77.\(subnet).0/24"])
            if routes.status == 0 && routes.stdout.isEmpty { return subnet }
        }
        return nil
    }

    func remove() {
        _ = Environment.run([Self.ipPath ?? "ip", "link", "delete", name])
    }

    /// An interface counter of the host's side, e.g. "rx_packets" (frames the guest sent).
    func counter(_ name: String) -> Int? {
        let path = "/sys/class/net/\(self.name)/statistics/\(name)"
        return (try? String(contentsOfFile: path, encoding: .utf8))
            .flatMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
    }

    private static func ip(_ arguments: [String]) throws {
        let result = Environment.run([ipPath ?? "ip"] + arguments)
        guard result.status == 0 else {
            throw Failure(description: "ip \(arguments.joined(separator: " ")) failed (\(result.status)): "
                + result.stderr.trimmingCharacters(in: .whitespacesAndNewlines))
        }
    }
}

/// Tests that create TAP devices are skipped, with the reason printed, where they cannot.
let requiresTap: ConditionTrait = .enabled(if: HostTap.available, "needs /dev/net/tun and `ip tuntap add` (root)")
