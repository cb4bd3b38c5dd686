/// One line of an experiment's table: what was measured, the figure here, what the
/// seed chapters claim, and how the two compare.
public struct LabRow: Codable, Sendable, Equatable {
    public var measure: String
    public var here: String
    public var seed: String
    public var ratio: String

    public init(_ measure: String, here: String, seed: String = "", ratio: String = "") {
        self.measure = measure
        self.here = here
        self.seed = seed
        self.ratio = ratio
    }
}

/// A titled block of text printed after the table (e.g. the steps of a page walk).
public struct LabSection: Codable, Sendable, Equatable {
    public var title: String
    public var lines: [String]

    public init(title: String, lines: [String]) {
        self.title = title
        self.lines = lines
    }
}

/// What one experiment found.
public struct LabResult: Codable, Sendable {
    public var name: String
    public var question: String
    /// The N the experiment ran with.
    public var n: Int
    public var rows: [LabRow]
    public var sections: [LabSection]
    /// Caveats: what is modelled rather than measured, and how this host distorts it.
    public var notes: [String]
    /// Exact counts (exits, writes, signals), by name; what tests check.
    public var counts: [String: UInt64]
    /// Measured figures (ns, cycles, ratios), by name, for --json.
    public var figures: [String: Double]

    public init(name: String, question: String, n: Int, rows: [LabRow] = [], sections: [LabSection] = [],
                notes: [String] = [], counts: [String: UInt64] = [:], figures: [String: Double] = [:]) {
        self.name = name
        self.question = question
        self.n = n
        self.rows = rows
        self.sections = sections
        self.notes = notes
        self.counts = counts
        self.figures = figures
    }

    /// The printed form: title, question, table, sections, notes.
    public func rendered() -> String {
        var lines = ["== \(name) (n = \(n))", question, ""]
        lines.append(LabTable.render(headers: ["measure", "here", "seed's claim", "ratio"],
                                     rows: rows.map { [$0.measure, $0.here, $0.seed, $0.ratio] }))
        for section in sections {
            lines.append("")
            lines.append(section.title)
            lines += section.lines.map { "  " + $0 }
        }
        if !notes.isEmpty {
            lines.append("")
            lines += notes.map { "note: " + $0 }
        }
        return lines.joined(separator: "\n")
    }
}

/// Everything `vmm lab` measured in one invocation (`--json`).
public struct LabReport: Codable, Sendable {
    public var host: LabHost
    public var results: [LabResult]

    public init(host: LabHost, results: [LabResult]) {
        self.host = host
        self.results = results
    }
}

/// Plain-text tables with `+---+` borders, columns as wide as their widest cell.
public enum LabTable {
    public static func render(headers: [String], rows: [[String]]) -> String {
        let columns = max(headers.count, rows.map(\.count).max() ?? 0)
        func cell(_ row: [String], _ index: Int) -> String { index < row.count ? row[index] : "" }
        let widths = (0..<columns).map { index in
            ([headers] + rows).map { cell($0, index).count }.max() ?? 0
        }
        let border = "+" + widths.map { String(repeating: "-", count: $0 + 2) }.joined(separator: "+") + "+"
        func line(_ row: [String]) -> String {
            "|" + (0..<columns).map { index in
                let text = cell(row, index)
                return " " + text + String(repeating: " ", count: widths[index] - text.count) + " "
            }.joined(separator: "|") + "|"
        }
        return ([border, line(headers), border] + rows.map(line) + [border]).joined(separator: "\n")
    }
}

/// Number formatting for the tables (no Foundation).
public enum LabFormat {
    /// `value` with `digits` decimals (rounded half away from zero).
    public static func fixed(_ value: Double, _ digits: Int = 1) -> String {
        guard value.isFinite else { return value.isNaN ? "n/a" : (value > 0 ? "inf" : "-inf") }
        var scale = 1.0
        for _ in 0..<max(digits, 0) { scale *= 10 }
        let scaled = (abs(value) * scale).rounded()
        let whole = UInt64(scaled / scale)
        let fraction = UInt64(scaled - Double(whole) * scale)
        var text = grouped(whole)
        if digits > 0 {
            let digitsText = String(fraction)
            text += "." + String(repeating: "0", count: max(digits - digitsText.count, 0)) + digitsText
        }
        return (value < 0 && scaled != 0 ? "-" : "") + text
    }

    /// An integer with thin thousands separators (commas).
    public static func grouped(_ value: UInt64) -> String {
        let digits = Array(String(value))
        var text = ""
        for (index, digit) in digits.enumerated() {
            if index > 0 && (digits.count - index) % 3 == 0 { text.append(",") }
            text.append(digit)
        }
        return text
    }

    /// A duration in ns, µs or ms, three significant figures or so.
    public static func duration(nanoseconds: Double) -> String {
        let magnitude = abs(nanoseconds)
        if magnitude >= 1_000_000 { return fixed(nanoseconds / 1_000_000, 2) + " ms" }
        if magnitude >= 10_000 { return fixed(nanoseconds / 1000, 1) + " µs" }
        if magnitude >= 1000 { return fixed(nanoseconds / 1000, 2) + " µs" }
        if magnitude >= 10 { return fixed(nanoseconds, 1) + " ns" }
        return fixed(nanoseconds, 2) + " ns"
    }

    /// A ratio such as "25.3x".
    public static func ratio(_ value: Double) -> String {
        guard value.isFinite else { return "n/a" }
        if value >= 100 { return fixed(value, 0) + "x" }
        if value >= 10 { return fixed(value, 1) + "x" }
        return fixed(value, 2) + "x"
    }

    public static func hex(_ value: UInt64, width: Int = 0) -> String {
        let digits = String(value, radix: 16)
        return "0x" + String(repeating: "0", count: max(width - digits.count, 0)) + digits
    }
}

/// Converts guest TSC cycles to time: the guest's `rdtsc` advances at `kHz`.
public struct TSCRate: Codable, Sendable, Equatable {
    public var kHz: UInt64

    public init(kHz: UInt64) { self.kHz = kHz }

    public func nanoseconds(cycles: Double) -> Double {
        kHz == 0 ? .nan : cycles * 1_000_000 / Double(kHz)
    }

    public func cycles(nanoseconds: Double) -> Double {
        nanoseconds * Double(kHz) / 1_000_000
    }
}

/// The median of some values (the mean of the middle two for an even count).
public func labMedian(_ values: [Double]) -> Double {
    let sorted = values.sorted()
    guard !sorted.isEmpty else { return .nan }
    let middle = sorted.count / 2
    return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
}
