// A trivial Swift program that loads the same libraries as vmm
// (FoundationEssentials, Dispatch): its peak RSS is the floor for any program
// built on them.
import Dispatch
import FoundationEssentials

let group = DispatchGroup()
group.enter()
DispatchQueue.global().async { group.leave() }
group.wait()
let data = try JSONEncoder().encode(["hello": Date().timeIntervalSince1970 > 0])
print("hello", data.count)
