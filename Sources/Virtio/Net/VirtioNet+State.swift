import Snapshot

/// virtio-net keeps its MAC address and link status, checked on restore (the
/// driver has them). A frame read from the back end that no guest buffer has
/// taken yet is not kept: it is lost, as a network may lose any frame. A
/// receive buffer the device held for the next frame is given back to the ring
/// (`chainsHeld(inQueue:)`), so the restored device takes it again.
extension VirtioNet {
    public func saveDeviceState(into writer: inout StateWriter) {
        writer.write(raw: mac)
        writer.write(Self.statusLinkUp)
    }

    public func restoreDeviceState(from reader: inout StateReader) throws(SnapshotError) {
        let saved = try reader.readRaw("mac", count: 6)
        let status = try reader.readUInt16("status")
        guard saved == mac else {
            throw .mismatch(what: "virtio-net MAC address", snapshot: Self.format(mac: saved),
                            machine: Self.format(mac: mac))
        }
        guard status == Self.statusLinkUp else {
            throw .invalidValue(field: "\(reader.context).status",
                                reason: "0x\(String(status, radix: 16)) is not VIRTIO_NET_S_LINK_UP")
        }
    }

    public func chainsHeld(inQueue index: Int) -> UInt16 {
        guard index == Self.receiveQueue else { return 0 }
        return state.withLock { $0.heldChain == nil ? 0 : 1 }
    }

    static func format(mac: [UInt8]) -> String {
        mac.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined(separator: ":")
    }
}
