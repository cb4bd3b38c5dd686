/// A key of a PS/2 keyboard, with its make code in scan code sets 1 and 2.
///
/// The keyboard always speaks set 2; the i8042 translates to set 1 when its
/// configuration byte asks for it. `scanCodes(pressed:translated:)` gives the
/// bytes the guest reads either way:
/// - set 1: make `[E0] code`, break `[E0] code | 0x80`;
/// - set 2: make `[E0] code`, break `[E0] F0 code`.
public struct PS2Key: Sendable, Hashable {
    /// The make code in scan code set 1 (without the `E0` prefix).
    public let set1: UInt8
    /// The make code in scan code set 2 (without the `E0` prefix).
    public let set2: UInt8
    /// An extended key: every code is preceded by `E0`.
    public let isExtended: Bool

    /// The prefix of the extended keys' codes, in both sets.
    public static let extendedPrefix: UInt8 = 0xE0
    /// The set 2 prefix of a key release.
    public static let set2BreakPrefix: UInt8 = 0xF0
    /// The set 1 bit of a key release.
    public static let set1BreakBit: UInt8 = 0x80

    public init(set1: UInt8, set2: UInt8, isExtended: Bool = false) {
        self.set1 = set1
        self.set2 = set2
        self.isExtended = isExtended
    }

    public static let leftControl = PS2Key(set1: 0x1D, set2: 0x14)
    public static let leftAlt = PS2Key(set1: 0x38, set2: 0x11)
    /// Delete on the editing pad (not keypad period): an extended key.
    public static let delete = PS2Key(set1: 0x53, set2: 0x71, isExtended: true)

    /// The bytes the guest reads for a press or a release of this key, in set 1
    /// when `translated` (the controller translates), set 2 otherwise.
    public func scanCodes(pressed: Bool, translated: Bool) -> [UInt8] {
        var bytes: [UInt8] = isExtended ? [Self.extendedPrefix] : []
        if translated {
            bytes.append(pressed ? set1 : set1 | Self.set1BreakBit)
        } else {
            if !pressed { bytes.append(Self.set2BreakPrefix) }
            bytes.append(set2)
        }
        return bytes
    }
}

/// A key pressed or released.
public struct KeyEvent: Sendable, Hashable {
    public let key: PS2Key
    public let isPress: Bool

    public init(key: PS2Key, isPress: Bool) {
        self.key = key
        self.isPress = isPress
    }

    public static func press(_ key: PS2Key) -> KeyEvent { KeyEvent(key: key, isPress: true) }
    public static func release(_ key: PS2Key) -> KeyEvent { KeyEvent(key: key, isPress: false) }

    /// Ctrl, Alt and Delete pressed, then released in reverse order: what
    /// Firecracker's `SendCtrlAltDel` injects, and what makes Linux's keyboard
    /// driver reboot.
    public static let ctrlAltDelete: [KeyEvent] = [
        .press(.leftControl), .press(.leftAlt), .press(.delete),
        .release(.delete), .release(.leftAlt), .release(.leftControl),
    ]

    /// The bytes of a sequence of events (see `PS2Key.scanCodes(pressed:translated:)`).
    public static func scanCodes(_ events: [KeyEvent], translated: Bool) -> [UInt8] {
        events.flatMap { $0.key.scanCodes(pressed: $0.isPress, translated: translated) }
    }
}

/// Why key events could not be queued in the keyboard controller.
public enum KeyboardInputError: Error, Equatable, CustomStringConvertible {
    /// The guest has told the keyboard to stop scanning (command `0xF5`).
    case scanningDisabled
    /// The sequence does not fit in the controller's output buffer.
    case outputFull(needed: Int, free: Int)

    public var description: String {
        switch self {
        case .scanningDisabled:
            return "the guest has disabled keyboard scanning (0xF5); no key was queued"
        case .outputFull(let needed, let free):
            return "the i8042 output buffer is full: \(needed) bytes needed, \(free) free; no key was queued"
        }
    }
}
