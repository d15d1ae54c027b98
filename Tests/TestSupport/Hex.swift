/// Hex dumps for byte-exact expectations. `fromHex` ignores spaces and newlines, so fixtures
/// can be grouped by field.
public func hexString(_ bytes: [UInt8]) -> String {
    bytes.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
}

public func fromHex(_ hex: String) -> [UInt8] {
    let digits = hex.filter { !$0.isWhitespace }
    var bytes: [UInt8] = []
    var iterator = digits.makeIterator()
    while let high = iterator.next(), let low = iterator.next() {
        bytes.append(UInt8(String([high, low]), radix: 16)!)
    }
    return bytes
}
