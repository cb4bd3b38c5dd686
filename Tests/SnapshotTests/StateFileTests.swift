import Snapshot
import Testing

@Suite struct StateFileTests {
    func sample() -> StateFile {
        var file = StateFile()
        var writer = StateWriter()
        writer.write(UInt8(7))
        writer.write(true)
        writer.write(UInt16(0xBEEF))
        writer.write(UInt32(0xDEAD_BEEF))
        writer.write(UInt64.max - 1)
        writer.write(-5)
        writer.write("serial")
        writer.write(optional: UInt32?.some(9)) { $0.write($1) }
        writer.write(optional: UInt32?.none) { $0.write($1) }
        file.set("one", writer.bytes)
        file.set("two", [1, 2, 3])
        return file
    }

    @Test func roundTripsEveryFieldKind() throws {
        let decoded = try StateFile(decoding: sample().encoded())
        #expect(decoded == sample())
        var reader = try decoded.reader("one")
        #expect(try reader.read() == 7)
        #expect(try reader.readBool("flag"))
        #expect(try reader.readUInt16("a") == 0xBEEF)
        #expect(try reader.readUInt32("b") == 0xDEAD_BEEF)
        #expect(try reader.readUInt64("c") == UInt64.max - 1)
        #expect(try reader.readInt("d", in: -10...10) == -5)
        #expect(try reader.readString("e") == "serial")
        #expect(try reader.readOptional("f") { (r: inout StateReader) throws(SnapshotError) in try r.readUInt32("v") } == 9)
        #expect(try reader.readOptional("g") { (r: inout StateReader) throws(SnapshotError) in try r.readUInt32("v") } == nil)
        try reader.finish()
    }

    @Test func everyFlippedByteIsRejected() throws {
        let bytes = sample().encoded()
        for index in bytes.indices {
            var changed = bytes
            changed[index] ^= 0x40
            #expect(throws: SnapshotError.self) { try StateFile(decoding: changed) }
        }
    }

    @Test func everyTruncationIsRejected() {
        let bytes = sample().encoded()
        for count in 0..<bytes.count {
            #expect(throws: SnapshotError.self) { try StateFile(decoding: Array(bytes.prefix(count))) }
        }
    }

    @Test func namesTheProblem() throws {
        #expect(throws: SnapshotError.notASnapshot(what: "the file does not start with \"SWVMSNAP\"")) {
            try StateFile(decoding: Array("hello world, not a snapshot".utf8))
        }
        var future = sample()
        future.version = 99
        #expect(throws: SnapshotError.unsupportedVersion(found: 99, supported: StateFile.supportedVersions)) {
            try StateFile(decoding: future.encoded())
        }
        #expect(throws: SnapshotError.missingSection("lapic")) { try sample().reader("lapic") }
        var reader = StateReader([1, 2], context: "pit")
        #expect(throws: SnapshotError.truncated(what: "pit.count", needed: 4, left: 2)) { try reader.readUInt32("count") }
        var bad = StateReader([5], context: "serial")
        #expect(throws: SnapshotError.self) { try bad.readBool("dlab") }
        var long = StateReader([0, 0, 0, 1], context: "queue")
        #expect(throws: SnapshotError.self) { try long.readBytes("ring", maximumCount: 16) }
    }

    @Test func crcMatchesTheStandardCheckValue() {
        #expect(CRC32.checksum(Array("123456789".utf8)) == 0xCBF4_3926)
        let split = CRC32.checksum(Array("56789".utf8), continuing: CRC32.checksum(Array("1234".utf8)))
        #expect(split == 0xCBF4_3926)
    }
}
