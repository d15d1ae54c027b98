import CCRC32C

/// CRC-32C (Castagnoli), the checksum of Kafka's RecordBatch v2.
///
/// Reflected polynomial 0x82F63B78, initial value and final xor 0xFFFFFFFF; the check value of
/// the ASCII bytes "123456789" is 0xE3069283. This is not zlib's CRC-32.
/// Computed with the CPU's crc32 instruction where available, slicing-by-8 tables otherwise.
public enum CRC32C {
    /// The checksum of `bytes`, continuing from `previous` (the checksum of the bytes before).

    public static func checksum(_ bytes: UnsafeRawBufferPointer, continuing previous: UInt32 = 0) -> UInt32 {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return previous }
        return ridestream_crc32c(previous, base, bytes.count)
    }

    /// The checksum of a byte collection.

    public static func checksum<Bytes: Collection<UInt8>>(_ bytes: Bytes) -> UInt32 {
        if let result = bytes.withContiguousStorageIfAvailable({ checksum(UnsafeRawBufferPointer($0)) }) {
            return result
        }
        return Array(bytes).withUnsafeBytes { checksum($0) }
    }

    /// Whether the hardware instruction is in use on this machine.
    public static var usesHardware: Bool { ridestream_crc32c_hardware_available() != 0 }

    /// The table-driven result, for comparing the two implementations.
    public static func softwareChecksum(_ bytes: UnsafeRawBufferPointer) -> UInt32 {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return 0 }
        return ridestream_crc32c_software(0, base, bytes.count)
    }
}
