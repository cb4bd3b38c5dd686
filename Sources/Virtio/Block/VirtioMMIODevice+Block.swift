/// Replacing the backing file of a virtio-blk device while the guest runs
/// (Firecracker's `PATCH /drives/{id}` with `path_on_host`).
extension VirtioMMIODevice {
    /// Makes the file at `path` the disk behind this transport's virtio-blk
    /// device, opened read-only if the device is. The new file is opened and
    /// checked first, without the lock; on any error (missing, unreadable, not a
    /// regular file or block device, size not whole sectors, or not openable for
    /// writing on a read-write drive) the old image stays and the error names
    /// the problem.
    ///
    /// Then, under the transport's lock (so no request is half served and no
    /// vCPU is reading the configuration space): requests from now on reach the
    /// new file, the capacity in the configuration space is the new file's size,
    /// ConfigGeneration moves on, and a live driver (DRIVER_OK) gets a
    /// configuration-change interrupt (InterruptStatus bit 1) to re-read the
    /// capacity. Requests already completed went to the old file, which is
    /// closed once no request uses it. Safe from any thread.
    public func replaceBlockImage(path: String) throws(VirtioError) {
        let block = try blockDevice()
        let image = try BlockImage(path: path, readOnly: block.readOnly)
        transport.withLock { transport in
            block.install(image)
            transport.configChanged()
        }
    }

    /// The virtio-blk device's current image, or nil when this transport
    /// carries another device type.
    public var blockImage: BlockImageInfo? {
        transport.withLock { transport in
            guard let block = transport.device as? VirtioBlock else { return nil }
            return BlockImageInfo(path: block.imagePath, sectors: block.capacity, readOnly: block.readOnly,
                                  configGeneration: block.configGeneration)
        }
    }

    private func blockDevice() throws(VirtioError) -> VirtioBlock {
        let device = transport.withLock { $0.device }
        guard let block = device as? VirtioBlock else {
            throw .notABlockDevice(device: VirtioMMIOTransport.name(ofDevice: device.deviceID))
        }
        return block
    }
}
