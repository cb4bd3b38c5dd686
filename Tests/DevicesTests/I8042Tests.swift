import Devices
import Testing

private typealias Command = I8042.Command
private typealias Status = I8042.Status
private typealias Config = I8042.Config

/// Reads every byte the controller has ready, as Linux's `i8042_flush` does.
private func drain(_ i8042: inout I8042) -> [UInt8] {
    var bytes: [UInt8] = []
    while i8042.readStatus() & Status.outputFull != 0 && bytes.count < 64 {
        bytes.append(i8042.readData())
    }
    return bytes
}

/// Sends a command with an optional parameter and returns what the controller answers.
private func command(_ i8042: inout I8042, _ command: UInt8, _ parameter: UInt8? = nil) -> [UInt8] {
    #expect(i8042.writeCommand(command) == .none)
    if let parameter { #expect(i8042.writeData(parameter) == .none) }
    return drain(&i8042)
}

@Suite struct I8042Tests {
    @Test func powerOnStatusHasNoDataAndTheSystemFlag() {
        let i8042 = I8042()
        #expect(i8042.readStatus() == Status.notInhibited | Status.systemFlag)
        #expect(i8042.config == 0x65, "kbd interrupt, system flag, aux disabled, translate")
    }

    @Test func configByteReadsAndWrites() {
        var i8042 = I8042()
        #expect(i8042.writeCommand(Command.readConfig) == .none)
        #expect(i8042.readStatus() & (Status.outputFull | Status.lastWriteWasCommand) == 0x09)
        #expect(i8042.readData() == I8042.defaultConfig)
        #expect(i8042.readStatus() & Status.outputFull == 0)

        #expect(command(&i8042, Command.writeConfig, 0x30) == [], "writing the CTR answers nothing")
        #expect(i8042.readStatus() & Status.lastWriteWasCommand == 0)
        #expect(command(&i8042, Command.readConfig) == [0x30])
        #expect(i8042.readStatus() & Status.systemFlag == 0, "status bit 2 follows the CTR")
    }

    @Test func internalRAMBeyondTheConfigByte() {
        var i8042 = I8042()
        #expect(command(&i8042, 0x65, 0xA5) == [])
        #expect(command(&i8042, 0x25) == [0xA5])
        #expect(command(&i8042, Command.readConfig) == [I8042.defaultConfig])
    }

    @Test func selfAndInterfaceTests() {
        var i8042 = I8042()
        _ = command(&i8042, Command.writeConfig, 0x00)
        #expect(command(&i8042, Command.selfTest) == [0x55])
        #expect(i8042.config & Config.systemFlag != 0, "a passed self-test sets the system flag")
        #expect(command(&i8042, Command.testKeyboard) == [0x00])
        #expect(command(&i8042, Command.testAux) == [0x00])
    }

    @Test func portEnableCommandsFlipTheConfigBits() {
        var i8042 = I8042()
        _ = command(&i8042, Command.enableAux)
        #expect(i8042.config & Config.auxDisabled == 0)
        _ = command(&i8042, Command.disableAux)
        #expect(i8042.config & Config.auxDisabled != 0)
        _ = command(&i8042, Command.disableKeyboard)
        #expect(i8042.config & Config.keyboardDisabled != 0)
        _ = command(&i8042, Command.enableKeyboard)
        #expect(i8042.config & Config.keyboardDisabled == 0)
    }

    @Test func resetLine() {
        var i8042 = I8042()
        #expect(i8042.writeCommand(Command.pulseReset) == .reset)
        #expect(i8042.writeCommand(0xFF) == .none, "pulsing no line is not a reset")
        #expect(i8042.writeCommand(0xF0) == .reset, "any pulse with bit 0 low resets")
        #expect(command(&i8042, Command.readOutputPort) == [I8042.defaultOutputPort])
        #expect(i8042.writeCommand(Command.writeOutputPort) == .none)
        #expect(i8042.writeData(0x03) == .none)
        #expect(i8042.writeCommand(Command.writeOutputPort) == .none)
        #expect(i8042.writeData(0x02) == .reset, "driving the output port's reset bit low resets")
    }

    @Test func keyboardCommands() {
        var i8042 = I8042()
        #expect(i8042.writeData(PS2Keyboard.Command.reset) == .none)
        #expect(drain(&i8042) == [0xFA, 0xAA])
        _ = i8042.writeData(PS2Keyboard.Command.disableScanning)
        #expect(drain(&i8042) == [0xFA])
        #expect(!i8042.keyboard.isScanning)
        _ = i8042.writeData(PS2Keyboard.Command.enableScanning)
        #expect(drain(&i8042) == [0xFA])
        #expect(i8042.keyboard.isScanning)
        _ = i8042.writeData(0xE8)
        #expect(drain(&i8042) == [0xFA], "unknown keyboard commands are acknowledged")
        _ = i8042.writeData(PS2Keyboard.Command.echo)
        #expect(drain(&i8042) == [0xEE])
        _ = i8042.writeData(PS2Keyboard.Command.setLEDs)
        _ = i8042.writeData(0x07)
        #expect(drain(&i8042) == [0xFA, 0xFA])
        #expect(i8042.keyboard.leds == 0x07)
        _ = i8042.writeData(PS2Keyboard.Command.scanCodeSet)
        _ = i8042.writeData(0x00)
        #expect(drain(&i8042) == [0xFA, 0xFA, 0x02], "the keyboard reports set 2")
    }

    @Test func identificationFollowsTranslation() {
        var i8042 = I8042()
        _ = i8042.writeData(PS2Keyboard.Command.identify)
        #expect(drain(&i8042) == [0xFA, 0xAB, 0x41])
        _ = command(&i8042, Command.writeConfig, I8042.defaultConfig & ~Config.translate)
        _ = i8042.writeData(PS2Keyboard.Command.identify)
        #expect(drain(&i8042) == [0xFA, 0xAB, 0x83])
    }

    @Test func ctrlAltDeleteInSet1WhenTranslating() {
        let line = CountingLine()
        var i8042 = I8042(keyboardInterrupt: line)
        let pressed = i8042.pressCtrlAltDelete()
        #expect(pressed)
        #expect(line.triggers == 1)
        #expect(i8042.readStatus() & (Status.outputFull | Status.auxData) == Status.outputFull)
        #expect(i8042.readData() == 0x1D)
        #expect(line.triggers == 2, "another byte waiting raises the line again")
        #expect(drain(&i8042) == [0x38, 0xE0, 0x53, 0xE0, 0xD3, 0xB8, 0x9D])
        #expect(line.triggers == 8, "one edge per byte")
        #expect(i8042.readData() == 0x9D, "an empty buffer reads the last byte again")
        #expect(line.triggers == 8)
    }

    @Test func ctrlAltDeleteInSet2WithoutTranslation() {
        var i8042 = I8042()
        _ = command(&i8042, Command.writeConfig, Config.keyboardInterrupt | Config.systemFlag)
        let pressed = i8042.pressCtrlAltDelete()
        #expect(pressed)
        #expect(drain(&i8042) == [0x14, 0x11, 0xE0, 0x71, 0xE0, 0xF0, 0x71, 0xF0, 0x11, 0xF0, 0x14])
    }

    @Test func ctrlAltDeleteRefusedWhenScanningIsOffOrTheBufferIsFull() {
        var i8042 = I8042()
        _ = i8042.writeData(PS2Keyboard.Command.disableScanning)
        _ = drain(&i8042)
        let whileNotScanning = i8042.pressCtrlAltDelete()
        #expect(!whileNotScanning)
        #expect(i8042.pendingOutput == 0)
        _ = i8042.writeData(PS2Keyboard.Command.enableScanning)
        _ = drain(&i8042)
        let first = i8042.pressCtrlAltDelete()
        #expect(first)
        let second = i8042.pressCtrlAltDelete()
        #expect(second)
        let third = i8042.pressCtrlAltDelete()
        #expect(!third, "16 of 16 bytes used: a third sequence does not fit")
        #expect(i8042.pendingOutput == 16)
    }

    @Test func noInterruptUntilTheConfigByteEnablesIt() {
        let line = CountingLine()
        var i8042 = I8042(keyboardInterrupt: line)
        _ = command(&i8042, Command.writeConfig, Config.systemFlag | Config.translate)
        i8042.pressCtrlAltDelete()
        #expect(line.triggers == 0)
        #expect(i8042.readStatus() & Status.outputFull != 0, "the data is there for polling")
        _ = i8042.writeCommand(Command.writeConfig)
        _ = i8042.writeData(Config.keyboardInterrupt | Config.systemFlag | Config.translate)
        #expect(line.triggers == 1, "enabling the interrupt with data waiting raises it")
    }

    @Test func disabledKeyboardPortHoldsKeysBack() {
        var i8042 = I8042()
        _ = command(&i8042, Command.disableKeyboard)
        i8042.pressCtrlAltDelete()
        #expect(i8042.readStatus() & Status.outputFull == 0)
        #expect(i8042.pendingOutput == 8)
        #expect(i8042.writeCommand(Command.enableKeyboard) == .none)
        #expect(drain(&i8042) == PS2Keyboard.ctrlAltDeleteSet1)
    }

    @Test func controllerAnswersGoAheadOfKeys() {
        var i8042 = I8042()
        i8042.pressCtrlAltDelete()
        _ = i8042.writeCommand(Command.readConfig)
        #expect(i8042.readData() == I8042.defaultConfig)
        #expect(i8042.readData() == 0x1D)
    }

    @Test func keyboardCommandDropsKeysNotYetSent() {
        var i8042 = I8042()
        i8042.pressCtrlAltDelete()
        _ = i8042.writeData(PS2Keyboard.Command.enableScanning)
        #expect(drain(&i8042) == [0x1D, 0xFA], "the byte in the output register stays")
        _ = i8042.writeData(PS2Keyboard.Command.identify)
        _ = i8042.writeData(PS2Keyboard.Command.enableScanning)
        #expect(drain(&i8042) == [0xFA, 0xFA], "the identity bytes were still in the keyboard")
    }

    @Test func auxLoopbackComesBackAsAuxDataOnIRQ12() {
        let keyboardLine = CountingLine()
        let auxLine = CountingLine()
        var i8042 = I8042(keyboardInterrupt: keyboardLine, auxInterrupt: auxLine)
        _ = command(&i8042, Command.enableAux)
        _ = i8042.writeCommand(Command.writeAuxOutput)
        _ = i8042.writeData(0x5A)
        #expect(i8042.readStatus() & (Status.outputFull | Status.auxData) == 0x21)
        #expect(auxLine.triggers == 0, "aux interrupt still disabled in the CTR")
        #expect(i8042.readData() == 0x5A)

        _ = command(&i8042, Command.writeConfig, (I8042.defaultConfig | Config.auxInterrupt) & ~Config.auxDisabled)
        _ = i8042.writeCommand(Command.writeAuxOutput)
        _ = i8042.writeData(0xA5)
        #expect(auxLine.triggers == 1)
        #expect(keyboardLine.triggers == 0)
        #expect(i8042.readData() == 0xA5)
    }

    @Test func writeKeyboardOutputLooksLikeAKey() {
        var i8042 = I8042()
        _ = i8042.writeCommand(Command.writeKeyboardOutput)
        _ = i8042.writeData(0x1E)
        #expect(i8042.readStatus() & (Status.outputFull | Status.auxData) == Status.outputFull)
        #expect(i8042.readData() == 0x1E)
    }

    @Test func bytesForTheMouseGetNoMouseReply() {
        var i8042 = I8042()
        _ = i8042.writeCommand(Command.writeAux)
        _ = i8042.writeData(0xF2)
        #expect(i8042.config & Config.auxDisabled == 0, "sending to the aux port enables it")
        #expect(i8042.readStatus() & Status.auxData != 0)
        #expect(i8042.readData() == I8042.noMouseReply)
    }

    /// The order of Linux's `i8042_controller_check`, `_selftest`, `_init` and
    /// `i8042_check_aux` with the aux interrupt wired.
    @Test func linuxProbeSequence() {
        let auxLine = CountingLine()
        var i8042 = I8042(auxInterrupt: auxLine)
        #expect(drain(&i8042).isEmpty)
        #expect(command(&i8042, Command.selfTest) == [0x55])
        let ctr = command(&i8042, Command.readConfig) + command(&i8042, Command.readConfig)
        #expect(ctr == [0x65, 0x65], "two equal reads: a stable CTR")
        #expect(i8042.readStatus() & Status.notInhibited != 0, "no keylock warning")
        let initCTR = (ctr[0] | Config.keyboardDisabled) & ~Config.keyboardInterrupt
        #expect(command(&i8042, Command.writeConfig, initCTR) == [])
        #expect(command(&i8042, Command.writeAuxOutput, 0x5A) == [0x5A], "aux loop works")
        _ = command(&i8042, Command.disableAux)
        #expect(command(&i8042, Command.readConfig)[0] & Config.auxDisabled != 0)
        _ = command(&i8042, Command.enableAux)
        #expect(command(&i8042, Command.readConfig)[0] & Config.auxDisabled == 0)
        let auxCTR = (initCTR & ~Config.auxDisabled) | Config.auxInterrupt
        _ = command(&i8042, Command.writeConfig, auxCTR)
        _ = i8042.writeCommand(Command.writeAuxOutput)
        _ = i8042.writeData(0xA5)
        #expect(auxLine.triggers == 1, "the aux IRQ test sees its interrupt")
        #expect(i8042.readStatus() & Status.auxData != 0)
        #expect(i8042.readData() == 0xA5)
    }

    @Test func keyboardControllerPortsOnABus() {
        let line = CountingLine()
        let controller = KeyboardController(keyboardInterrupt: line)
        let data = controller.dataPort
        let commandPort = controller.commandPort

        var byte: UInt8 = Command.readConfig
        #expect(withUnsafeBytes(of: &byte) { commandPort.write(offset: 0, data: $0) } == .none)
        var status: UInt16 = 0
        withUnsafeMutableBytes(of: &status) { commandPort.read(offset: 0, data: $0) }
        #expect(status == 0xFF1D, "OBF, system flag, command, unlocked; the byte beyond reads 0xFF")
        var value: UInt8 = 0
        withUnsafeMutableBytes(of: &value) { data.read(offset: 0, data: $0) }
        #expect(value == I8042.defaultConfig)

        #expect(controller.pressCtrlAltDelete())
        #expect(line.triggers == 2, "the CTR answer and the first key each raised IRQ 1")
        withUnsafeMutableBytes(of: &value) { data.read(offset: 0, data: $0) }
        #expect(value == 0x1D)

        byte = Command.pulseReset
        #expect(withUnsafeBytes(of: &byte) { commandPort.write(offset: 0, data: $0) } == .reset)
    }

    // MARK: queueKeys / sendCtrlAltDel

    @Test func keyScanCodesInBothSets() {
        #expect(PS2Key.leftControl.scanCodes(pressed: true, translated: true) == [0x1D])
        #expect(PS2Key.leftControl.scanCodes(pressed: false, translated: true) == [0x9D])
        #expect(PS2Key.delete.scanCodes(pressed: true, translated: true) == [0xE0, 0x53])
        #expect(PS2Key.delete.scanCodes(pressed: false, translated: true) == [0xE0, 0xD3])
        #expect(PS2Key.leftAlt.scanCodes(pressed: false, translated: false) == [0xF0, 0x11])
        #expect(PS2Key.delete.scanCodes(pressed: false, translated: false) == [0xE0, 0xF0, 0x71])
        #expect(KeyEvent.scanCodes(KeyEvent.ctrlAltDelete, translated: true) == PS2Keyboard.ctrlAltDeleteSet1)
        #expect(KeyEvent.scanCodes(KeyEvent.ctrlAltDelete, translated: false) == PS2Keyboard.ctrlAltDeleteSet2)
    }

    @Test func sendCtrlAltDelTranslatedRaisesOneEdgePerByte() throws {
        let line = CountingLine()
        var i8042 = I8042(keyboardInterrupt: line)
        try i8042.sendCtrlAltDel()
        #expect(line.triggers == 1, "one edge for the byte at the front")
        #expect(i8042.pendingOutput == 8)
        #expect(i8042.readStatus() & (Status.outputFull | Status.auxData) == Status.outputFull)
        var bytes: [UInt8] = []
        for expectedEdges in 2...9 {
            bytes.append(i8042.readData())
            #expect(line.triggers == min(expectedEdges, 8), "an edge for each byte left waiting")
        }
        #expect(bytes == [0x1D, 0x38, 0xE0, 0x53, 0xE0, 0xD3, 0xB8, 0x9D])
        #expect(i8042.readStatus() & Status.outputFull == 0)
    }

    @Test func sendCtrlAltDelUntranslatedIsSet2() throws {
        var i8042 = I8042()
        _ = command(&i8042, Command.writeConfig, Config.keyboardInterrupt | Config.systemFlag)
        try i8042.sendCtrlAltDel()
        #expect(drain(&i8042) == [0x14, 0x11, 0xE0, 0x71, 0xE0, 0xF0, 0x71, 0xF0, 0x11, 0xF0, 0x14])
    }

    @Test func queueKeysFollowsTheTranslateBitAtQueueTime() throws {
        var i8042 = I8042()
        try i8042.queueKeys([.press(.delete)])
        #expect(i8042.writeCommand(Command.writeConfig) == .none)
        #expect(i8042.writeData(Config.keyboardInterrupt) == .none, "translation off")
        try i8042.queueKeys([.press(.delete)])
        #expect(drain(&i8042) == [0xE0, 0x53, 0xE0, 0x71])
    }

    @Test func disabledKeyboardPortHoldsQueuedKeysAndTheirInterrupt() throws {
        let line = CountingLine()
        var i8042 = I8042(keyboardInterrupt: line)
        _ = command(&i8042, Command.disableKeyboard)
        try i8042.sendCtrlAltDel()
        #expect(line.triggers == 0, "no interrupt while the port is disabled")
        #expect(i8042.readStatus() & Status.outputFull == 0)
        #expect(i8042.pendingOutput == 8)
        #expect(i8042.writeCommand(Command.enableKeyboard) == .none)
        #expect(line.triggers == 1, "enabling the port delivers the first key")
        #expect(drain(&i8042) == PS2Keyboard.ctrlAltDeleteSet1)
    }

    @Test func queueKeysIsAllOrNothingWhenTheBufferIsFull() throws {
        var i8042 = I8042()
        try i8042.sendCtrlAltDel()
        try i8042.sendCtrlAltDel()
        #expect(i8042.pendingOutput == I8042.outputCapacity)
        #expect(throws: KeyboardInputError.outputFull(needed: 8, free: 0)) { try i8042.sendCtrlAltDel() }
        _ = i8042.readData()
        _ = i8042.readData()
        #expect(throws: KeyboardInputError.outputFull(needed: 8, free: 2)) { try i8042.sendCtrlAltDel() }
        #expect(i8042.pendingOutput == 14, "nothing of the refused sequence was queued")
        try i8042.queueKeys([.press(.delete)])
        #expect(i8042.pendingOutput == 16)
    }

    @Test func queueKeysRefusedWhileScanningIsDisabled() throws {
        var i8042 = I8042()
        _ = i8042.writeData(PS2Keyboard.Command.disableScanning)
        _ = drain(&i8042)
        #expect(throws: KeyboardInputError.scanningDisabled) { try i8042.sendCtrlAltDel() }
        #expect(i8042.pendingOutput == 0)
    }

    @Test func queuedKeysRaiseNoInterruptUntilTheConfigByteEnablesIt() throws {
        let line = CountingLine()
        var i8042 = I8042(keyboardInterrupt: line)
        _ = command(&i8042, Command.writeConfig, Config.systemFlag | Config.translate)
        try i8042.sendCtrlAltDel()
        #expect(line.triggers == 0)
        _ = i8042.writeCommand(Command.writeConfig)
        _ = i8042.writeData(I8042.defaultConfig)
        #expect(line.triggers == 1)
    }

    @Test func keyboardControllerSendCtrlAltDel() throws {
        let line = CountingLine()
        let controller = KeyboardController(keyboardInterrupt: line)
        try controller.sendCtrlAltDel()
        #expect(line.triggers == 1)
        var value: UInt8 = 0
        withUnsafeMutableBytes(of: &value) { controller.dataPort.read(offset: 0, data: $0) }
        #expect(value == 0x1D)
        try controller.sendCtrlAltDel()
        #expect(throws: KeyboardInputError.self) { try controller.sendCtrlAltDel() }
    }
}
