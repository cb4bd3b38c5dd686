import API
import FoundationEssentials
import Testing

/// The OpenAPI file is the contract: it must list exactly the routes the server has.
@Suite("OpenAPI contract")
struct OpenAPISpecTests {
    static let specPath = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("docs/api/firecracker.yaml").path

    /// Reads `(METHOD, path)` pairs from the `paths:` section: a path is a key indented by
    /// two spaces, a method a key indented by four.
    static func specRoutes(_ text: String) -> [String] {
        var routes: [String] = []
        var inPaths = false
        var current: String?
        let methods = ["get", "put", "patch", "post", "delete"]
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if !line.hasPrefix(" ") && !line.isEmpty && !line.hasPrefix("#") {
                inPaths = line.hasPrefix("paths:")
                continue
            }
            guard inPaths else { continue }
            if line.hasPrefix("  /"), line.hasSuffix(":") {
                current = String(line.dropFirst(2).dropLast())
            } else if line.hasPrefix("    "), !line.hasPrefix("     "), let current {
                let key = line.dropFirst(4).split(separator: ":").first.map(String.init) ?? ""
                if methods.contains(key) { routes.append("\(key.uppercased()) \(current)") }
            }
        }
        return routes
    }

    @Test("docs/api/firecracker.yaml lists exactly the route table's (method, path) pairs")
    func specMatchesRoutes() throws {
        let text = try String(contentsOfFile: Self.specPath, encoding: .utf8)
        let spec = Self.specRoutes(text)
        #expect(spec.count == Set(spec).count, "duplicates in the spec")
        let code = Route.allCases.map { "\($0.method) \($0.path)" }
        #expect(Set(spec).subtracting(code).sorted() == [], "in the spec, not in code")
        #expect(Set(code).subtracting(spec).sorted() == [], "in code, not in the spec")
    }

    @Test("routes marked unsupported in code are marked unsupported in the spec")
    func unsupportedMarked() throws {
        let text = try String(contentsOfFile: Self.specPath, encoding: .utf8)
        for route in Route.allCases where route.unsupportedFeature != nil {
            #expect(text.contains("  \(route.path):"), "\(route.path)")
        }
        let marked = text.split(separator: "\n").filter { $0.contains("x-swift-vmm-unsupported: true") }.count
        #expect(marked == Route.allCases.filter { $0.unsupportedFeature != nil }.count)
    }
}
