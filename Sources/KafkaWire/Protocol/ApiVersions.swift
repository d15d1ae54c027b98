/// The ApiVersions exchange (API key 18), the first request every client sends.
///
/// Served in versions 0–2 (non-flexible). A client that asks with a newer version (librdkafka
/// sends v3, kafka-python v4) gets the fallback Kafka defines: a **version 0** body with
/// UNSUPPORTED_VERSION (35) and only the ApiVersions entry, and retries at a version listed
/// there. The response header is always version 0 (the correlation id alone), even for
/// flexible versions.
public enum ApiVersions {
    /// The response body for `requestVersion`: every served API, or the fallback.
    public static func responseBody(requestVersion: Int16) -> [UInt8] {
        var writer = ByteWriter(capacity: 256)
        guard let served = ApiKey.apiVersions.supported, served.contains(requestVersion) else {
            writer.write(ErrorCode.unsupportedVersion.rawValue)
            writer.write(Int32(1))
            writer.write(ApiKey.apiVersions.rawValue)
            writer.write(servedLowest)
            writer.write(ApiKey.apiVersions.supported!.upperBound)
            return writer.take()
        }
        writer.write(ErrorCode.noError.rawValue)
        let keys = ApiKey.all
        writer.write(Int32(keys.count))
        for key in keys {
            writer.write(key.rawValue)
            writer.write(key.supported!.lowerBound)
            writer.write(key.supported!.upperBound)
        }
        if requestVersion >= 1 { writer.write(Int32(0)) }  // throttle_time_ms
        return writer.take()
    }

    private static var servedLowest: Int16 { ApiKey.apiVersions.supported!.lowerBound }
}

/// The answer to a request for an API or version this broker does not serve: the body is the
/// error code UNSUPPORTED_VERSION (35) alone. Every classic Kafka response that can fail as a
/// whole carries an error code; this is the shape Kafka's own fallback (ApiVersions v0) starts
/// with, and it lets the client log the error instead of seeing its connection dropped.
public enum UnsupportedRequest {
    public static let responseBody: [UInt8] = [0, UInt8(ErrorCode.unsupportedVersion.rawValue)]
}

/// Response framing.
public enum ResponseFrame {
    /// Size, correlation id, then (response header v1, for flexible versions other than
    /// ApiVersions') an empty tagged-field section, then the body.
    public static func make(correlationID: Int32, flexible: Bool = false, body: [UInt8]) -> [UInt8] {
        var writer = ByteWriter(capacity: body.count + 9)
        writer.write(Int32(body.count + (flexible ? 5 : 4)))
        writer.write(correlationID)
        if flexible { writer.writeNoTaggedFields() }
        writer.write(contentsOf: body)
        return writer.take()
    }
}
