import Metrics
import Prometheus

#if canImport(Glibc)
import Glibc
#endif

/// `--metrics-file`: swift-metrics bootstrapped with a Prometheus registry whose
/// text exposition is rewritten to a file (whole, by rename) after each sample,
/// for a node-exporter textfile collector or anyone who reads it.
final class MetricsFile: Sendable {
    let path: String
    private let registry: PrometheusCollectorRegistry

    /// Bootstraps the process's metrics system; create at most one.
    init(path: String) {
        self.path = path
        registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
    }

    /// Replaces the file with the registry's current exposition.
    func write() {
        let bytes = registry.emitToBuffer()
        let temporary = path + ".tmp"
        guard let file = fopen(temporary, "w") else { return }
        let written = bytes.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, file) }
        let closed = fclose(file) == 0
        if written == bytes.count && closed {
            rename(temporary, path)
        } else {
            unlink(temporary)
        }
    }
}
