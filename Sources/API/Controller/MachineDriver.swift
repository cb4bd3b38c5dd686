/// What the API needs from a virtual machine. The VMM implements it; tests fake it.
///
/// Calls come one at a time from the API's worker thread, never from the event loop, and
/// may block (building a VM, writing a snapshot). A thrown error's description becomes
/// the `fault_message` of a 400 answer. The controller holds its lock across a call, so a
/// driver must not call back into the `APIController` from inside one.
public protocol MachineDriver: AnyObject, Sendable {
    /// `InstanceStart`: build the VM from `resources` and start it.
    func start(_ resources: VMResources) throws
    /// `PATCH /vm {"state": "Paused"}`.
    func pause() throws
    /// `PATCH /vm {"state": "Resumed"}`.
    func resume() throws
    /// `SendCtrlAltDel`: ask the guest to reboot (i8042 reset key sequence).
    func sendCtrlAltDel() throws
    /// `FlushMetrics`: write the metrics now.
    func flushMetrics() throws
    /// `PUT /snapshot/create` on a paused VM.
    func createSnapshot(_ parameters: SnapshotCreateParams) throws
    /// `PUT /snapshot/load` before boot; returns the restored configuration.
    /// The VM is left paused unless `parameters.resumeVM` is true.
    func loadSnapshot(_ parameters: SnapshotLoadParams) throws -> VMResources
    /// `PATCH /drives/{id}` after boot: `update.pathOnHost` is the new backing file.
    func updateDrive(_ update: PartialDrive) throws
    /// `PUT /logger` (before boot, once).
    func configureLogger(_ logger: LoggerConfig) throws
    /// `PUT /metrics` (before boot, once).
    func configureMetrics(_ metrics: MetricsConfig) throws
}
