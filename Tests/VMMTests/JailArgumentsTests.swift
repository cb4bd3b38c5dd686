import Jail
import Testing
@testable import vmm

/// `vmm jail`'s rewriting of the `vmm run` arguments: inputs bound in, outputs kept in the jail.
@Suite struct JailArgumentsTests {
    @Test func inputsAreBoundAndTheirArgumentsRewritten() throws {
        let rewritten = try JailArguments.rewrite([
            "run", "--kernel", "/images/vmlinux", "--initrd=/images/initrd.img", "--drive", "/disks/root.img",
            "--drive", "/disks/data.img,ro", "--memory", "256M", "--cmdline", "console=ttyS0"], uid: 1000)
        #expect(rewritten.arguments == [
            "--kernel", "/boot/kernel/vmlinux", "--initrd", "/boot/initrd/initrd.img",
            "--drive", "/drives/0/root.img", "--drive", "/drives/1/data.img,ro",
            "--memory", "256M", "--cmdline", "console=ttyS0"])
        #expect(rewritten.mounts == [
            JailMount(hostPath: "/images/vmlinux", jailPath: "/boot/kernel/vmlinux", readOnly: true),
            JailMount(hostPath: "/images/initrd.img", jailPath: "/boot/initrd/initrd.img", readOnly: true),
            JailMount(hostPath: "/disks/root.img", jailPath: "/drives/0/root.img", readOnly: false),
            JailMount(hostPath: "/disks/data.img", jailPath: "/drives/1/data.img", readOnly: true),
        ])
        #expect(rewritten.devices == [.kvm])
        #expect(rewritten.writableDirectories.isEmpty)
    }

    @Test func modulesAndTheCPUIDFileAreBoundToo() throws {
        let rewritten = try JailArguments.rewrite([
            "--kernel", "/k/guest.elf", "--module", "/m/a.bin,arg one,two", "--module=/m/b.bin",
            "--cpuid-file", "/c/cpuid.json"], uid: 1000)
        #expect(rewritten.arguments == [
            "--kernel", "/boot/kernel/guest.elf", "--module", "/boot/modules/0/a.bin,arg one,two",
            "--module", "/boot/modules/1/b.bin", "--cpuid-file", "/config/cpuid.json"])
        #expect(rewritten.mounts.map(\.hostPath) == ["/k/guest.elf", "/m/a.bin", "/m/b.bin", "/c/cpuid.json"])
        #expect(rewritten.mounts.allSatisfy { $0.readOnly })
    }

    @Test func outputsAndSocketsStayInsideTheJail() throws {
        let rewritten = try JailArguments.rewrite([
            "--api-sock", "/run/api.sock", "--vsock", "cid=3,uds=/run/vsock/v.sock", "--metrics-file=/out/m.prom",
            "--net", "tap=tap0"], uid: 1000)
        #expect(rewritten.arguments == ["--api-sock", "/run/api.sock", "--vsock", "cid=3,uds=/run/vsock/v.sock",
                                        "--metrics-file", "/out/m.prom", "--net", "tap=tap0"])
        #expect(rewritten.writableDirectories == ["/run", "/run/vsock", "/out"])
        #expect(rewritten.devices == [.kvm, .tun])
    }

    @Test(arguments: [["--api-sock", "/api.sock"], ["--stats-json", "relative/s.json"], ["--trace", "/a/../t.json"],
                      ["--kernel"]])
    func badPathsAreRefusedNamingTheOption(_ arguments: [String]) {
        #expect(throws: JailError.self) { try JailArguments.rewrite(arguments, uid: 1) }
    }

    @Test func relativeInputsAreMadeAbsolute() throws {
        let rewritten = try JailArguments.rewrite(["--kernel", "guest.elf"], uid: 1)
        #expect(rewritten.mounts.first?.hostPath.hasPrefix("/") == true)
        #expect(rewritten.mounts.first?.hostPath.hasSuffix("/guest.elf") == true)
    }
}
