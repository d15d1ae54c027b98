import Broker
import KafkaWire
import LogStore
import Logging
import Synchronization

/// Turns one request frame into its response frame: parses the header, checks the API and
/// version, and calls the broker. Plain async code, no networking, so it is tested without
/// sockets. Returns nil when no response is due (Produce with acks=0) and throws
/// `DispatchError.closeConnection` for requests that cannot be answered at all.
public struct RequestDispatcher: Sendable {
    public let broker: Broker
    public let configuration: ServerConfiguration
    let logger: Logger
    /// The port clients are told to use: the advertised one, else the one bound (which is
    /// only known after binding, when the configuration asks for port 0).
    let boundPort = BoundPort()

    public init(broker: Broker, configuration: ServerConfiguration, logger: Logger = Logger(label: "ridestream.server")) {
        self.broker = broker
        self.configuration = configuration
        self.logger = logger
    }

    public enum DispatchError: Error {
        /// The request's header or body is unreadable.
        case closeConnection(String)
    }

    /// Answers one request frame. `clientHost` is the peer's address as DescribeGroups shows
    /// it (Kafka's "/127.0.0.1" form).
    public func handle(_ frame: [UInt8], clientHost: String = "") async throws -> [UInt8]? {
        let parsed: (header: RequestHeader, bodyStart: Int)
        do {
            parsed = try RequestHeader.parse(frame)
        } catch {
            // ApiVersions with a newer header than we read: answer the fallback anyway.
            if let minimal = try? RequestHeader.minimal(of: frame), minimal.apiKey == .apiVersions {
                return ResponseFrame.make(correlationID: minimal.correlationID, body: ApiVersions.responseBody(requestVersion: minimal.apiVersion))
            }
            // A header that names an API or version this broker does not serve may be laid
            // out differently (a newer header version); the first eight bytes still say whom
            // to answer.
            if let minimal = try? RequestHeader.minimal(of: frame), !minimal.apiKey.serves(minimal.apiVersion) {
                return unsupported(minimal.apiKey, minimal.apiVersion, correlationID: minimal.correlationID)
            }
            throw DispatchError.closeConnection("unreadable request header: \(error)")
        }
        let header = parsed.header
        if header.apiKey == .apiVersions {
            return ResponseFrame.make(correlationID: header.correlationID, body: ApiVersions.responseBody(requestVersion: header.apiVersion))
        }
        guard header.apiKey.serves(header.apiVersion) else {
            return unsupported(header.apiKey, header.apiVersion, correlationID: header.correlationID)
        }
        let body = Array(frame[parsed.bodyStart...])
        let response: [UInt8]?
        do {
            response = try await respond(header, body, clientHost: clientHost)
        } catch let error as WireError {
            throw DispatchError.closeConnection("malformed \(header.apiKey) v\(header.apiVersion) request: \(error)")
        }
        return response.map { ResponseFrame.make(correlationID: header.correlationID, flexible: header.apiKey.isFlexible(header.apiVersion), body: $0) }
    }

    /// Kafka's answer to an API or version it does not serve: UNSUPPORTED_VERSION, and the
    /// connection stays open (clients that checked ApiVersions never get here).
    private func unsupported(_ key: ApiKey, _ version: Int16, correlationID: Int32) -> [UInt8] {
        logger.notice("unsupported request", metadata: ["api": "\(key)", "version": "\(version)"])
        return ResponseFrame.make(correlationID: correlationID, body: UnsupportedRequest.responseBody)
    }

    private func respond(_ header: RequestHeader, _ body: [UInt8], clientHost: String) async throws -> [UInt8]? {
        let version = header.apiVersion
        switch header.apiKey {
        case .metadata:
            let request = try body.withRawBytes { (raw) throws(WireError) in try Metadata.Request.decode(raw, version: version) }
            return metadata(request, version: version)
        case .produce:
            let request = try body.withRawBytes { (raw) throws(WireError) in try Produce.Request.decode(raw, version: version) }
            return produce(request, version: version)
        case .fetch:
            let request = try body.withRawBytes { (raw) throws(WireError) in try Fetch.Request.decode(raw, version: version) }
            return await fetch(request, version: version)
        case .listOffsets:
            let request = try body.withRawBytes { (raw) throws(WireError) in try ListOffsets.Request.decode(raw, version: version) }
            return listOffsets(request, version: version)
        default:
            let response: [UInt8]? = try await withRawBody(body) { (raw) async throws(WireError) in
                if let answer = try await respondToGroupRequest(header, raw, clientHost: clientHost) { return answer }
                return try await respondToAdminRequest(header, raw)
            }
            guard let response else { throw DispatchError.closeConnection("\(header.apiKey) is not served yet") }
            return response
        }
    }

    /// Runs an async body over the request bytes (copied, as the pointer cannot cross awaits).
    func withRawBody<Result>(_ body: [UInt8], _ work: (UnsafeRawBufferPointer) async throws(WireError) -> Result) async throws(WireError) -> Result {
        let pointer = UnsafeMutableRawBufferPointer.allocate(byteCount: max(1, body.count), alignment: 8)
        defer { pointer.deallocate() }
        body.withUnsafeBytes { source in pointer.copyMemory(from: source) }
        return try await work(UnsafeRawBufferPointer(rebasing: pointer[0 ..< body.count]))
    }

    var advertised: Metadata.Broker {
        Metadata.Broker(
            nodeID: configuration.nodeID, host: configuration.effectiveAdvertisedHost,
            port: Int32(configuration.advertisedPort ?? (boundPort.value > 0 ? boundPort.value : configuration.port))
        )
    }

    func metadata(_ request: Metadata.Request, version: Int16) -> [UInt8] {
        let names = request.topics ?? broker.topicNames()
        var topics: [Metadata.Topic] = []
        for name in names {
            if let count = try? broker.partitionCount(name) {
                topics.append(Metadata.Topic(error: .noError, name: name, partitions: (0 ..< Int32(count)).map { $0 }))
                continue
            }
            if request.allowAutoTopicCreation, broker.configuration.autoCreateTopics,
               (try? broker.createTopic(name, configuration: TopicConfiguration(partitions: broker.configuration.defaultPartitions))) != nil {
                let count = Int32(broker.configuration.defaultPartitions)
                topics.append(Metadata.Topic(error: .noError, name: name, partitions: (0 ..< count).map { $0 }))
                continue
            }
            let error: ErrorCode = TopicName(rawValue: name) == nil ? .invalidTopicException : .unknownTopicOrPartition
            topics.append(Metadata.Topic(error: error, name: name, partitions: []))
        }
        return Metadata.responseBody(version: version, broker: advertised, clusterID: "ridestream", topics: topics)
    }

    func produce(_ request: Produce.Request, version: Int16) -> [UInt8]? {
        var topics: [(name: String, partitions: [Produce.PartitionResponse])] = []
        let validAcks = [0, 1, -1].contains(request.acks)
        for topic in request.topics {
            var partitions: [Produce.PartitionResponse] = []
            for data in topic.partitions {
                let id = TopicPartition(topic.name, PartitionID(data.partition))
                do {
                    guard validAcks else {
                        throw BrokerError(.invalidRequiredAcks, "acks must be 0, 1 or -1 (all), got \(request.acks)")
                    }
                    guard let records = data.records, !records.isEmpty else {
                        throw BrokerError(.invalidRequest, "no records for \(id)")
                    }
                    let result = try broker.append(records, to: id)
                    partitions.append(Produce.PartitionResponse(
                        partition: data.partition, error: .noError, baseOffset: result.baseOffset.rawValue,
                        logStartOffset: (try? broker.bounds(id).start.rawValue) ?? 0
                    ))
                } catch {
                    let code = (error as? BrokerError)?.code ?? .unknownServerError
                    partitions.append(Produce.PartitionResponse(
                        partition: data.partition, error: code, baseOffset: -1, logStartOffset: -1, errorMessage: "\(error)"
                    ))
                }
            }
            topics.append((topic.name, partitions))
        }
        guard request.acks != 0 else { return nil }
        return Produce.responseBody(version: version, topics: topics)
    }

    func fetch(_ request: Fetch.Request, version: Int16) async -> [UInt8] {
        var requests: [FetchRequest] = []
        for topic in request.topics {
            for partition in topic.partitions {
                requests.append(FetchRequest(
                    TopicPartition(topic.name, PartitionID(partition.partition)), offset: Offset(partition.fetchOffset),
                    maxBytes: Int(max(1, partition.maxBytes))
                ))
            }
        }
        let results = await broker.fetch(
            requests, maxWaitMs: Int64(max(0, min(request.maxWaitMs, 30_000))), minBytes: Int(max(1, request.minBytes)),
            maxBytes: Int(max(1, request.maxBytes))
        )
        var index = 0
        var topics: [(name: String, partitions: [Fetch.PartitionResponse])] = []
        for topic in request.topics {
            var partitions: [Fetch.PartitionResponse] = []
            for partition in topic.partitions {
                let result = results[index]
                index += 1
                partitions.append(Fetch.PartitionResponse(
                    partition: partition.partition, error: result.error?.code ?? .noError,
                    highWatermark: result.highWatermark.rawValue, logStartOffset: result.logStartOffset.rawValue, records: result.bytes
                ))
            }
            topics.append((topic.name, partitions))
        }
        return Fetch.responseBody(version: version, topics: topics)
    }

    func listOffsets(_ request: ListOffsets.Request, version: Int16) -> [UInt8] {
        var topics: [(name: String, partitions: [ListOffsets.PartitionResponse])] = []
        for topic in request.topics {
            var partitions: [ListOffsets.PartitionResponse] = []
            for (partition, timestamp) in topic.partitions {
                let id = TopicPartition(topic.name, PartitionID(partition))
                do {
                    let found: (offset: Offset, timestamp: Int64)?
                    switch timestamp {
                    case -1: found = (try broker.listOffset(id, .latest), -1)
                    case -2: found = (try broker.listOffset(id, .earliest), -1)
                    default: found = try broker.firstRecord(id, atOrAfterTimestamp: timestamp)
                    }
                    // No record that new: offset and timestamp -1, as Kafka answers.
                    partitions.append(ListOffsets.PartitionResponse(
                        partition: partition, error: .noError, timestamp: found?.timestamp ?? -1, offset: found?.offset.rawValue ?? -1
                    ))
                } catch {
                    partitions.append(ListOffsets.PartitionResponse(partition: partition, error: error.code, timestamp: -1, offset: -1))
                }
            }
            topics.append((topic.name, partitions))
        }
        return ListOffsets.responseBody(version: version, topics: topics)
    }
}

/// The port the server bound, shared between the server and its dispatcher.
final class BoundPort: Sendable {
    private let port = Atomic<Int>(0)
    var value: Int { port.load(ordering: .relaxed) }
    func set(_ value: Int) { port.store(value, ordering: .relaxed) }
}
