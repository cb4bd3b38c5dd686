import FoundationEssentials

/// Decodes `T` from JSON bytes; a failure is one sentence naming the field (see `describe`).
func decodeJSON<T: Decodable>(_ type: T.Type, from bytes: [UInt8]) throws(JSONFailure) -> T {
    do {
        return try JSONDecoder().decode(T.self, from: Data(bytes))
    } catch {
        throw JSONFailure(message: describe(error))
    }
}

/// Why a JSON body did not decode.
struct JSONFailure: Error {
    var message: String
}

/// Encodes `value` as compact JSON with sorted keys (stable output for clients and tests).
func encodeJSON<T: Encodable>(_ value: T) -> [UInt8] {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    do {
        return Array(try encoder.encode(value))
    } catch {
        // Every type encoded here is plain data; keep the answer valid JSON regardless.
        return Array("{\"fault_message\": \"internal error: could not encode the answer\"}".utf8)
    }
}
