// The smallest Swift program, built like vmm (swiftc -O, the Swift runtime linked
// dynamically): its peak RSS is what the Swift runtime alone costs.
print("hello")
