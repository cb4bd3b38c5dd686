import Devices
import Testing

/// Port I/O on an `EmptyPCIBusPort` at 0xCF8, the way the guest does it.
private struct Ports {
    let device = EmptyPCIBusPort()

    func outb(_ value: UInt8, _ port: UInt16) { write(value, port) }
    func outw(_ value: UInt16, _ port: UInt16) { write(value, port) }
    func outl(_ value: UInt32, _ port: UInt16) { write(value, port) }
    func inb(_ port: UInt16) -> UInt8 { read(port) }
    func inw(_ port: UInt16) -> UInt16 { read(port) }
    func inl(_ port: UInt16) -> UInt32 { read(port) }

    private func write<T: FixedWidthInteger>(_ value: T, _ port: UInt16) {
        var value = value.littleEndian
        let action = withUnsafeBytes(of: &value) {
            device.write(offset: UInt64(port - EmptyPCIBus.basePort), data: $0)
        }
        #expect(action == .none)
    }

    private func read<T: FixedWidthInteger>(_ port: UInt16) -> T {
        var value = T.zero
        withUnsafeMutableBytes(of: &value) { device.read(offset: UInt64(port - EmptyPCIBus.basePort), data: $0) }
        return T(littleEndian: value)
    }
}

@Suite struct EmptyPCIBusTests {
    @Test func configAddressLatchesDwordWrites() {
        let ports = Ports()
        #expect(ports.inl(0xCF8) == 0)
        ports.outl(0x8000_1234, 0xCF8)
        #expect(ports.inl(0xCF8) == 0x8000_1234)
        #expect(ports.device.configAddress == 0x8000_1234)
    }

    @Test func reservedAddressBitsReadAsZero() {
        let ports = Ports()
        ports.outl(0xFFFF_FFFF, 0xCF8)
        #expect(ports.inl(0xCF8) == 0x80FF_FFFC)
    }

    @Test func partialAccessesDoNotReachConfigAddress() {
        let ports = Ports()
        ports.outl(0x8000_0000, 0xCF8)
        ports.outb(0x01, 0xCFB)
        ports.outw(0x1234, 0xCF8)
        ports.outb(0x55, 0xCF8)
        #expect(ports.inl(0xCF8) == 0x8000_0000)
        #expect(ports.inb(0xCF8) == 0xFF)
        #expect(ports.inb(0xCFA) == 0xFF)
        #expect(ports.inw(0xCF8) == 0xFFFF)
    }

    @Test func dataWindowReadsAllOnesAtEveryWidth() {
        let ports = Ports()
        ports.outl(0x8000_0000, 0xCF8)
        ports.outl(0x1234_5678, 0xCFC)
        #expect(ports.inl(0xCFC) == 0xFFFF_FFFF)
        #expect(ports.inw(0xCFE) == 0xFFFF)
        #expect(ports.inb(0xCFD) == 0xFF)
        #expect(ports.inl(0xCF8) == 0x8000_0000, "data writes leave the address alone")
    }

    /// `pci_check_type1` and `pci_check_type2` from Linux's arch/x86/pci/direct.c.
    @Test func linuxFindsType1AndNoDevices() {
        let ports = Ports()
        ports.outb(0x01, 0xCFB)
        let saved = ports.inl(0xCF8)
        ports.outl(0x8000_0000, 0xCF8)
        #expect(ports.inl(0xCF8) == 0x8000_0000, "conf1 looks present")
        for devfn: UInt32 in [0, 8, 0xF8] {
            ports.outl(0x8000_0000 | devfn << 8 | 0x08, 0xCF8)  // class code dword
            #expect(ports.inw(0xCFE) == 0xFFFF, "no device at devfn \(devfn)")
            ports.outl(0x8000_0000 | devfn << 8, 0xCF8)
            #expect(ports.inw(0xCFC) == 0xFFFF, "vendor ID of nothing")
        }
        ports.outl(saved, 0xCF8)
        #expect(ports.inl(0xCF8) == saved)

        ports.outb(0x00, 0xCFB)
        ports.outb(0x00, 0xCF8)
        ports.outb(0x00, 0xCFA)
        #expect(ports.inb(0xCF8) != 0x00, "conf2 is not present")
    }
}
