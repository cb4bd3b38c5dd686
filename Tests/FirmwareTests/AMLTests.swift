import Firmware
import Testing

@Suite struct AMLTests {
    @Test func packageLengthEncodings() throws {
        #expect(try AML.packageLength(0) == [0x01])
        #expect(try AML.packageLength(62) == [0x3F], "63 bytes in all: the one-byte form's maximum")
        // 63 content bytes + 2 length bytes = 65 = 0x41: lead 0x41 (1 extra byte, nibble 1), then 0x04.
        #expect(try AML.packageLength(63) == [0x41, 0x04])
        #expect(try AML.packageLength(4093) == [0x4F, 0xFF], "4095: the two-byte form's maximum")
        #expect(try AML.packageLength(4094) == [0x81, 0x00, 0x01], "4097 needs a second extra byte")
        #expect(try AML.packageLength((1 << 28) - 5) == [0xCF, 0xFF, 0xFF, 0xFF])
        #expect(throws: FirmwareError.self) { try AML.packageLength(1 << 28) }
    }

    @Test func integersUseTheShortestForm() {
        #expect(AML.integer(0) == [0x00])
        #expect(AML.integer(1) == [0x01])
        #expect(AML.integer(UInt64.max) == [0xFF])
        #expect(AML.integer(5) == [0x0A, 0x05])
        #expect(AML.integer(0x3F8) == [0x0B, 0xF8, 0x03])
        #expect(AML.integer(0xD000_0000) == [0x0C, 0x00, 0x00, 0x00, 0xD0])
        #expect(AML.integer(0x1_0000_0000) == [0x0E, 0, 0, 0, 0, 1, 0, 0, 0])
    }

    @Test func namesArePaddedAndPrefixed() throws {
        #expect(try AML.nameString("_HID") == Array("_HID".utf8))
        #expect(try AML.nameString("_SB") == Array("_SB_".utf8))
        #expect(try AML.nameString("\\_SB") == [0x5C] + Array("_SB_".utf8))
        #expect(try AML.nameString("\\_SB.COM1") == [0x5C, 0x2E] + Array("_SB_COM1".utf8))
        #expect(try AML.nameString("^A.B.C") == [0x5E, 0x2F, 3] + Array("A___B___C___".utf8))
        #expect(try AML.nameString("\\") == [0x5C, 0x00])
        for bad in ["", "TOOLONG", "1ABC", "a", "A..B", "\\X-Y"] {
            #expect(throws: FirmwareError.invalidAMLName(bad)) { try AML.nameString(bad) }
        }
    }

    @Test func eisaIDMatchesTheKnownEncoding() throws {
        // iasl: EisaId ("PNP0501") = 0x0105D041, EisaId ("PNP0A03") = 0x030AD041.
        #expect(try AML.eisaID("PNP0501") == 0x0105_D041)
        #expect(try AML.eisaID("PNP0A03") == 0x030A_D041)
        #expect(throws: FirmwareError.self) { try AML.eisaID("pnp0501") }
        #expect(throws: FirmwareError.self) { try AML.eisaID("PNP05") }
    }

    @Test func termsNest() throws {
        let name = try AML.name("_UID", AML.integer(1))
        #expect(name == [0x08] + Array("_UID".utf8) + [0x01])
        #expect(try AML.string("LNRO0005") == [0x0D] + Array("LNRO0005".utf8) + [0])
        #expect(throws: FirmwareError.self) { try AML.string("é") }
        let device = try AML.device("COM1", [name])
        #expect(device == [0x5B, 0x82, UInt8(1 + 4 + name.count)] + Array("COM1".utf8) + name)
        let package = try AML.package([AML.integer(5), AML.integer(0)])
        #expect(package == [0x12, 0x05, 0x02, 0x0A, 0x05, 0x00])
        #expect(try AML.buffer([0x79, 0x00]) == [0x11, 0x05, 0x0A, 0x02, 0x79, 0x00])
        let scope = try AML.scope("\\_SB", [device])
        #expect(scope[0] == 0x10 && Int(scope[1]) == scope.count - 1)
    }

    @Test func resourceDescriptors() {
        #expect(ResourceDescriptor.io(base: 0x3F8, length: 8).bytes == [0x47, 0x01, 0xF8, 0x03, 0xF8, 0x03, 0x01, 0x08])
        #expect(ResourceDescriptor.irq(4).bytes == [0x22, 0x10, 0x00])
        #expect(ResourceDescriptor.memory32Fixed(base: 0xD000_0000, length: 0x1000).bytes
                == [0x86, 0x09, 0x00, 0x01, 0x00, 0x00, 0x00, 0xD0, 0x00, 0x10, 0x00, 0x00])
        #expect(ResourceDescriptor.interrupt(gsi: 5, levelTriggered: false).bytes
                == [0x89, 0x06, 0x00, 0x03, 0x01, 0x05, 0x00, 0x00, 0x00])
        #expect(ResourceDescriptor.template([]) == [0x79, 0x00])
    }
}
