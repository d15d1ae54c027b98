import Testing

/// The suites that drive external clients against a running server. Serialized, so that the
/// servers, clients and simulations they start do not all compete for the machine at once.
@Suite(.serialized) enum Interop {}

