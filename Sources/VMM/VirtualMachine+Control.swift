import Devices

extension VirtualMachine {
    /// Presses and releases Ctrl-Alt-Delete on the guest's PS/2 keyboard, like
    /// Firecracker's `SendCtrlAltDel` action: the scan codes go into the i8042's
    /// output buffer and IRQ 1 is raised, and a Linux guest's keyboard driver
    /// then reboots (on this VMM, a reboot ends the VM with `StopReason.reset`
    /// unless the configuration restarts it).
    ///
    /// Returns once the keys are queued; it does not wait for the guest.
    /// - Throws: `VMMError.invalidState` before `start()` or after the VM ended;
    ///   `VMMError.keyboard` when the guest has disabled keyboard scanning or the
    ///   controller's buffer has no room for the sequence.
    public func sendCtrlAltDel() throws(VMMError) {
        guard startTime != 0 else { throw .invalidState(operation: "send Ctrl-Alt-Del", state: "not started") }
        guard vcpuStates.contains(where: { $0 != .stopped }) else {
            throw .invalidState(operation: "send Ctrl-Alt-Del", state: "stopped")
        }
        do { try machine.keyboard.sendCtrlAltDel() } catch { throw .keyboard(error) }
    }

    /// Stops the VM and waits for every vCPU thread to end: `requestStop(.stopRequested)`
    /// followed by `wait()`.
    ///
    /// Safe to call from any thread other than a vCPU's, before or after the guest
    /// ended on its own. Returns the reason the VM ended: `.stopRequested`, or the
    /// guest's own reason if it ended first. Before `start()` it returns at once.
    @discardableResult
    public func stop() -> StopReason {
        requestStop(.stopRequested)
        return wait()
    }
}
