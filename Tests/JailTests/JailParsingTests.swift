import Jail
import Testing

@Suite struct JailParsingTests {
    @Test func cgroupSettingsNameTheirController() throws {
        let setting = try CgroupSetting.parse("cpu.max=50000 100000")
        #expect(setting == CgroupSetting(file: "cpu.max", value: "50000 100000"))
        #expect(setting.controller == "cpu")
        #expect(try CgroupSetting.parse("memory.max=268435456").controller == "memory")
    }

    @Test(arguments: ["memory.max", "=1", "max=1", "../memory.max=1", "cgroup.procs=1", "memory.max="])
    func badCgroupSettingsAreRefused(_ text: String) {
        #expect(throws: JailError.self) { try CgroupSetting.parse(text) }
    }

    @Test func resourceLimitsParse() throws {
        #expect(try ResourceLimit.parse("no-file=64") == ResourceLimit(kind: .noFile, value: 64))
        #expect(try ResourceLimit.parse("fsize=1048576").encoded == "fsize=1048576")
        #expect(throws: JailError.self) { try ResourceLimit.parse("cpu=1") }
        #expect(throws: JailError.self) { try ResourceLimit.parse("no-file=lots") }
    }

    @Test func mountsRoundTripThroughTheirEncoding() {
        let mount = JailMount(hostPath: "/a:b/disk.img", jailPath: "/drives/0/disk.img", readOnly: false)
        #expect(JailMount.decode(mount.encoded) == mount)
        #expect(JailMount.decode("rx:/a:/b") == nil)
        #expect(JailMount.decode("ro:relative:/b") == nil)
    }

    @Test func idsAreNamesNotPaths() {
        #expect(JailPlan.isValidID("vm-1_a"))
        for bad in ["", "../x", "a/b", "a b", String(repeating: "x", count: 65)] { #expect(!JailPlan.isValidID(bad)) }
        let plan = JailPlan(id: "vm1", uid: 1, gid: 1, chrootBaseDirectory: "/srv/jailer/")
        #expect(plan.rootPath == "/srv/jailer/vm1/root")
        #expect(plan.hostPath(ofJailPath: "/run/api.sock") == "/srv/jailer/vm1/root/run/api.sock")
    }

    @Test func octalEscapesInMountInfoAreUndone() throws {
        // A cgroup2 mount point with a space, as /proc/self/mountinfo writes it.
        #expect(throws: JailError.self) { try CgroupV2.find(override: "/nonexistent\\040dir") }
    }
}
