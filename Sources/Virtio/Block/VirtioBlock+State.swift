import Snapshot

/// virtio-blk keeps nothing between requests: a snapshot records the image's
/// size and whether it is read-only, so that a restore over another disk (the
/// driver has the old capacity and features) is refused.
extension VirtioBlock {
    public func saveDeviceState(into writer: inout StateWriter) {
        writer.write(image.size)
        writer.write(image.readOnly)
    }

    public func restoreDeviceState(from reader: inout StateReader) throws(SnapshotError) {
        let size = try reader.readUInt64("image size")
        let readOnly = try reader.readBool("read-only")
        guard size == image.size else {
            throw .mismatch(what: "size of disk image \(image.path)", snapshot: "\(size) bytes",
                            machine: "\(image.size) bytes")
        }
        guard readOnly == image.readOnly else {
            throw .mismatch(what: "access of disk image \(image.path)", snapshot: readOnly ? "read-only" : "read-write",
                            machine: image.readOnly ? "read-only" : "read-write")
        }
    }
}
