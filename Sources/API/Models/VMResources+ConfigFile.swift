import FoundationEssentials

extension VMResources {
    /// Reads Firecracker's `--config-file` JSON: the same keys as `GET /vm/config`.
    public init(configFile path: String) throws(APIError) {
        let contents: Data
        do {
            contents = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw .configFile(path: path, reason: "cannot read it: \(error)")
        }
        try self.init(configFileContents: Array(contents), path: path)
    }

    /// Parses configuration file contents; `path` only names the file in errors.
    public init(configFileContents: [UInt8], path: String = "<config>") throws(APIError) {
        do {
            self = try decodeJSON(VMResources.self, from: configFileContents)
        } catch {
            throw .configFile(path: path, reason: error.message)
        }
    }
}
