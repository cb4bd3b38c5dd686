#if canImport(Glibc)
import Glibc
#endif

/// Small file helpers for the jail, each failure a `JailError` for its step.
enum HostFiles {
    /// Writes `text` to an existing file (a cgroup interface file), whole.
    static func write(_ text: String, to path: String, step: JailStep) throws(JailError) {
        let fd = open(path, O_WRONLY | O_CLOEXEC)
        guard fd >= 0 else { throw .errno(step, "cannot open \(path) for writing") }
        defer { close(fd) }
        let bytes = Array(text.utf8)
        let written = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
        guard written == bytes.count else { throw .errno(step, "cannot write '\(text)' to \(path)") }
    }

    /// The contents of a small text file, or nil.
    static func read(_ path: String) -> String? {
        guard let file = fopen(path, "r") else { return nil }
        defer { fclose(file) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = fread(&buffer, 1, buffer.count, file)
            if count <= 0 { break }
            bytes += buffer[0..<count]
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Creates `path` and its missing parents (mode 0755, like mkdir -p).
    static func makeDirectories(_ path: String, step: JailStep) throws(JailError) {
        var current = path.hasPrefix("/") ? "" : "."
        for component in path.split(separator: "/") {
            current += "/" + component
            if mkdir(current, 0o755) != 0 && errno != EEXIST {
                throw .errno(step, "cannot create directory \(current)")
            }
        }
        var status = stat()
        guard stat(path, &status) == 0, (status.st_mode & S_IFMT) == S_IFDIR else {
            throw JailError(step, "\(path) exists and is not a directory")
        }
    }

    /// The parent directory of an absolute path ("/" for "/a").
    static func parent(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/"), slash != path.startIndex else { return "/" }
        return String(path[..<slash])
    }

    static func exists(_ path: String) -> Bool {
        var status = stat()
        return lstat(path, &status) == 0
    }
}
