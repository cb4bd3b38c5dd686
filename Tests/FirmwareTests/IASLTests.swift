import Firmware
import Foundation
import Testing

/// The generated tables through ACPICA's iasl: each is disassembled (`iasl -d`), the
/// disassembly compiled back (`iasl`), and any error or warning fails the test. A
/// data table compiled back must give the same bytes. Skipped, saying why, without
/// iasl (scripts/install-deps.sh installs acpica-tools).
@Suite(.enabled(if: IASL.path != nil, "needs iasl (apt-get install acpica-tools)"))
struct IASLTests {
    static let virtio = (0..<3).map {
        DSDT.VirtioMMIODevice(base: 0xD000_0000 + UInt64($0) * 0x1000, size: 0x1000, gsi: [5, 6, 7][$0])
    }

    @Test(arguments: [1, 2, 4])
    func tablesDisassembleAndCompileWithoutComplaint(cpus: Int) throws {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("vmm-iasl-\(getpid())-\(cpus)-\(UInt32.random(in: 0...UInt32.max))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let keep = ProcessInfo.processInfo.environment["SWIFT_VMM_KEEP_IASL"] != nil
        defer { if !keep { try? FileManager.default.removeItem(at: directory) } }
        let tables = try ACPITables(cpuCount: cpus, virtioDevices: Self.virtio).layout(at: ACPITables.rsdpAddress)
        // iasl 20200925 (Debian 12) cannot disassemble a lone RSDP ("does not contain
        // a valid ACPI table"); ACPITablesTests and the acpi guest check it.
        for table in tables where table.signature != "RSD PTR " {
            let name = table.signature.lowercased()
            let binary = directory.appendingPathComponent("\(name).dat")
            try Data(table.bytes).write(to: binary)
            let disassembly = IASL.run(["-d", binary.path], in: directory)
            #expect(disassembly.status == 0, "iasl -d \(name): \(disassembly.output)")
            #expect(IASL.complaints(disassembly.output).isEmpty, "iasl -d \(name): \(disassembly.output)")
            let source = directory.appendingPathComponent("\(name).dsl")
            let text = (try? String(contentsOf: source, encoding: .utf8)) ?? ""
            #expect(!text.isEmpty, "iasl -d wrote no \(name).dsl")
            #expect(IASL.complaints(text).isEmpty, "\(name).dsl: \(IASL.complaints(text))")
            // Compile the disassembly back: no error, no warning.
            let compiled = IASL.run(["-p", directory.appendingPathComponent("\(name)-again").path, source.path],
                                    in: directory)
            #expect(compiled.status == 0, "iasl \(name).dsl: \(compiled.output)")
            #expect(compiled.output.contains("Compilation successful. 0 Errors, 0 Warnings"),
                    "iasl \(name).dsl: \(compiled.output)")
            let again = (try? Data(contentsOf: directory.appendingPathComponent("\(name)-again.aml"))).map(Array.init)
            if name == "dsdt" {
                #expect(text.contains("Name (_S5, Package (0x04)"), "\(text)")
                #expect(text.contains("Name (_HID, \"LNRO0005\")") && text.contains("EisaId (\"PNP0501\")"))
                #expect(text.contains("0xD0002000,         // Address Base"), "\(text)")
                #expect(text.contains("Interrupt (ResourceConsumer, Edge, ActiveHigh, Exclusive, ,, )"))
                #expect(text.components(separatedBy: "\"ACPI0007\"").count - 1 == cpus)
            } else {
                // A data table comes back byte for byte, but for iasl's own compiler ID
                // and revision (28..<36) and so the checksum (9).
                let same = { (bytes: [UInt8]) in
                    bytes.enumerated().filter { $0.offset != 9 && !(28..<36).contains($0.offset) }.map(\.element)
                }
                #expect(again.map(same) == same(table.bytes), "\(name) compiled back differs")
            }
        }
    }
}

enum IASL {
    static let path: String? = {
        let found = ["/usr/bin/iasl", "/usr/local/bin/iasl"].first { FileManager.default.isExecutableFile(atPath: $0) }
        if found == nil { print("skipping IASLTests: iasl is not installed (apt-get install acpica-tools)") }
        return found
    }()

    /// The disassembler's lines that report a problem: errors, warnings, and its
    /// "****" notes about bad structure, lengths or checksums.
    static func complaints(_ text: String) -> [String] {
        text.split(separator: "\n").map(String.init).filter { line in
            let lower = line.lowercased()
            return lower.contains("error") || lower.contains("warning") || line.contains("****")
                || lower.contains("incorrect") || lower.contains("invalid")
        }
    }

    static func run(_ arguments: [String], in directory: URL) -> (status: Int32, output: String) {
        guard let path else { return (-1, "no iasl") }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        process.currentDirectoryURL = directory
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        do { try process.run() } catch { return (-1, "\(error)") }
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }
}
