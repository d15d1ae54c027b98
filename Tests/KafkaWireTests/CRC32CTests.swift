import KafkaWire
import Testing

@Suite struct CRC32CTests {
    @Test func checkValue() {
        #expect(CRC32C.checksum(Array("123456789".utf8)) == 0xE306_9283)
    }

    @Test func emptyInputIsZero() {
        #expect(CRC32C.checksum([UInt8]()) == 0)
    }

    /// RFC 3720 (iSCSI) appendix B.4 vectors.
    @Test func iscsiVectors() {
        #expect(CRC32C.checksum([UInt8](repeating: 0, count: 32)) == 0x8A91_36AA)
        #expect(CRC32C.checksum([UInt8](repeating: 0xff, count: 32)) == 0x62A8_AB43)
        #expect(CRC32C.checksum((0 ..< 32).map { UInt8($0) }) == 0x46DD_794E)
        #expect(CRC32C.checksum((0 ..< 32).map { UInt8(31 - $0) }) == 0x113F_DB5C)
    }

    @Test func hardwareAndTablesAgreeOnEveryLengthAndAlignment() {
        var generator = SystemRandomNumberGenerator()
        let data = (0 ..< 4096).map { _ in UInt8.random(in: 0 ... 255, using: &generator) }
        data.withUnsafeBytes { raw in
            for start in 0 ..< 9 {
                for length in [0, 1, 7, 8, 9, 23, 24, 25, 63, 64, 1000, 4000] {
                    let slice = UnsafeRawBufferPointer(rebasing: raw[start ..< start + length])
                    #expect(CRC32C.checksum(slice) == CRC32C.softwareChecksum(slice))
                }
            }
        }
    }

    @Test func chainingEqualsOneShot() {
        let data = Array("The quick brown fox jumps over the lazy dog".utf8)
        let whole = CRC32C.checksum(data)
        let chained = data.withUnsafeBytes { raw in
            CRC32C.checksum(UnsafeRawBufferPointer(rebasing: raw[10...]), continuing: CRC32C.checksum(UnsafeRawBufferPointer(rebasing: raw[..<10])))
        }
        #expect(whole == chained)
    }
}
