/// The keyboard behind an `I8042`, as the command set a PS/2 keyboard answers.
///
/// It has no keys of its own: it acknowledges commands the way Linux's `atkbd`
/// driver expects and knows the scan codes of one sequence, Ctrl-Alt-Delete.
/// It always speaks scan code set 2 (a request for another set is acknowledged and
/// ignored; a query answers 2), which is what the controller's translation assumes.
public struct PS2Keyboard {
    /// Bytes a host sends to the keyboard.
    public enum Command {
        public static let setLEDs: UInt8 = 0xED
        public static let echo: UInt8 = 0xEE
        public static let scanCodeSet: UInt8 = 0xF0
        public static let identify: UInt8 = 0xF2
        public static let setTypematic: UInt8 = 0xF3
        public static let enableScanning: UInt8 = 0xF4
        public static let disableScanning: UInt8 = 0xF5
        public static let setDefaults: UInt8 = 0xF6
        public static let resend: UInt8 = 0xFE
        public static let reset: UInt8 = 0xFF
    }

    /// Bytes the keyboard sends back.
    public enum Reply {
        public static let acknowledge: UInt8 = 0xFA
        public static let selfTestPassed: UInt8 = 0xAA
        public static let echo: UInt8 = 0xEE
        /// The two identification bytes of an MF2 keyboard; the controller's
        /// translation turns the second (0x83) into 0x41.
        public static let identity: UInt8 = 0xAB
        public static let identityUntranslated: UInt8 = 0x83
        public static let identityTranslated: UInt8 = 0x41
    }

    /// Ctrl, Alt and Delete pressed, then released in reverse order, in scan code
    /// set 1: what the guest reads when the controller translates.
    public static let ctrlAltDeleteSet1: [UInt8] = [
        0x1D, 0x38, 0xE0, 0x53,   // make: Ctrl, Alt, Delete
        0xE0, 0xD3, 0xB8, 0x9D,   // break: Delete, Alt, Ctrl
    ]

    /// The same key sequence in scan code set 2: what the guest reads when the
    /// controller passes keyboard bytes through untranslated.
    public static let ctrlAltDeleteSet2: [UInt8] = [
        0x14, 0x11, 0xE0, 0x71,                 // make: Ctrl, Alt, Delete
        0xE0, 0xF0, 0x71, 0xF0, 0x11, 0xF0, 0x14,  // break: Delete, Alt, Ctrl
    ]

    /// Whether key presses are reported (`0xF4` enables, `0xF5` disables, a reset enables).
    public internal(set) var isScanning = true
    /// The LED state last set with `0xED` (bit 0 Scroll Lock, 1 Num Lock, 2 Caps Lock).
    public internal(set) var leds: UInt8 = 0
    /// The typematic rate and delay last set with `0xF3`.
    public internal(set) var typematic: UInt8 = Self.defaultTypematic

    /// 10.9 characters per second after 500 ms, the power-on default.
    private static let defaultTypematic: UInt8 = 0x2B
    /// The scan code set the keyboard speaks and reports.
    private static let scanCodeSetInUse: UInt8 = 2

    /// A command that takes a parameter byte, waiting for it.
    var awaitingParameterFor: UInt8?

    public init() {}

    /// Handles one byte from the host and returns the keyboard's answer.
    ///
    /// `translating` is the controller's translation bit; it changes only the
    /// identification bytes, which the controller would otherwise rewrite.
    public mutating func receive(_ byte: UInt8, translating: Bool) -> [UInt8] {
        if let command = awaitingParameterFor {
            awaitingParameterFor = nil
            return parameter(byte, for: command)
        }
        switch byte {
        case Command.setLEDs, Command.scanCodeSet, Command.setTypematic:
            awaitingParameterFor = byte
            return [Reply.acknowledge]
        case Command.echo:
            return [Reply.echo]
        case Command.identify:
            let second = translating ? Reply.identityTranslated : Reply.identityUntranslated
            return [Reply.acknowledge, Reply.identity, second]
        case Command.enableScanning:
            isScanning = true
            return [Reply.acknowledge]
        case Command.disableScanning:
            isScanning = false
            setDefaults()
            return [Reply.acknowledge]
        case Command.setDefaults:
            setDefaults()
            return [Reply.acknowledge]
        case Command.reset:
            isScanning = true
            setDefaults()
            return [Reply.acknowledge, Reply.selfTestPassed]
        default:
            // Resend and the rarely used set-3 commands: nothing is ever lost and
            // there is nothing to configure, so an acknowledgement is the answer.
            return [Reply.acknowledge]
        }
    }

    private mutating func parameter(_ value: UInt8, for command: UInt8) -> [UInt8] {
        switch command {
        case Command.setLEDs:
            leds = value & 0x07
        case Command.setTypematic:
            typematic = value & 0x7F
        case Command.scanCodeSet where value == 0:
            return [Reply.acknowledge, Self.scanCodeSetInUse]
        default:
            break
        }
        return [Reply.acknowledge]
    }

    private mutating func setDefaults() {
        leds = 0
        typematic = Self.defaultTypematic
    }
}
