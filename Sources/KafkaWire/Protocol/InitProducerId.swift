/// The InitProducerId exchange (API key 22), versions 0–1: an idempotent producer asks for a
/// producer id and epoch before its first Produce.
///
/// Request: transactional_id nullable string, transaction_timeout_ms int32.
/// Response: throttle_time_ms int32, error_code int16, producer_id int64, producer_epoch int16.
public enum InitProducerId {
    public struct Request: Sendable, Equatable {
        /// Non-nil only for transactional producers, which this broker does not serve.
        public var transactionalID: String?
        public var transactionTimeoutMs: Int32

        public static func decode(_ body: UnsafeRawBufferPointer) throws(WireError) -> Request {
            var reader = ByteReader(body)
            return Request(transactionalID: try reader.readNullableString(), transactionTimeoutMs: try reader.readInt32())
        }
    }

    public static func responseBody(error: ErrorCode, producerID: Int64, epoch: Int16) -> [UInt8] {
        var writer = ByteWriter(capacity: 16)
        writer.write(Int32(0))  // throttle_time_ms
        writer.write(error.rawValue)
        writer.write(producerID)
        writer.write(epoch)
        return writer.take()
    }
}
