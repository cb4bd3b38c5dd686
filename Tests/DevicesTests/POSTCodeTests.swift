import Devices
import Testing

@Suite struct POSTCodeTests {
    @Test func readsAllOnesBeforeAnyWrite() {
        let code = POSTCode()
        #expect(code.read() == 0xFF)
        #expect(code.lastValue == nil)
        #expect(code.writeCount == 0)
    }

    @Test func remembersTheLastValue() {
        var code = POSTCode()
        code.write(0x12)
        code.write(0x34)
        #expect(code.read() == 0x34)
        #expect(code.lastValue == 0x34)
        #expect(code.writeCount == 2)
    }

    @Test func portOnABus() {
        let port = POSTCodePort()
        var value: UInt8 = 0
        withUnsafeMutableBytes(of: &value) { port.read(offset: 0, data: $0) }
        #expect(value == 0xFF)
        var written: UInt8 = 0xAB
        #expect(withUnsafeBytes(of: &written) { port.write(offset: 0, data: $0) } == .none)
        #expect(port.lastValue == 0xAB)
        #expect(port.writeCount == 1)
        var wide: UInt16 = 0
        withUnsafeMutableBytes(of: &wide) { port.read(offset: 0, data: $0) }
        #expect(wide == 0xFF_AB, "the last value, then nothing beyond the port")
    }
}
