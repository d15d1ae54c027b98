import RideModel
import SQLite

/// The fare group: one `trips` row per completed trip.
///
/// A trip starts at its `pickup` event and ends at its `dropoff` event. Its distance is the
/// sum of great-circle steps between the on-trip reports, skipping GPS jumps (`GPSJump`); its
/// surge is the one reported at pickup; its fare follows the configured `Tariff`. A trip in
/// progress lives in `open_trips` between batches, so a rebalance mid-trip loses nothing.
final class FareProcessor: EventProcessor {
    static let schema = """
        CREATE TABLE trips (
            trip_id TEXT PRIMARY KEY,
            driver_id TEXT NOT NULL,
            rider_id TEXT,
            region TEXT NOT NULL,
            started_at TEXT NOT NULL,
            ended_at TEXT NOT NULL,
            distance_km REAL NOT NULL,
            duration_s REAL NOT NULL,
            surge REAL NOT NULL,
            fare REAL NOT NULL
        );
        CREATE INDEX trips_region ON trips (region, started_at);
        CREATE INDEX trips_driver ON trips (driver_id);
        CREATE TABLE open_trips (
            trip_id TEXT PRIMARY KEY,
            driver_id TEXT NOT NULL,
            rider_id TEXT,
            region TEXT NOT NULL,
            started_ms INTEGER NOT NULL,
            surge REAL NOT NULL,
            last_lat REAL NOT NULL,
            last_lon REAL NOT NULL,
            last_ms INTEGER NOT NULL,
            distance_km REAL NOT NULL
        );
        """

    struct OpenTrip {
        var tripID: String
        var driverID: String
        var riderID: String?
        var region: String
        var startedMs: Int64
        var surge: Double
        var last: GeoPoint
        var lastMs: Int64
        var distanceKm: Double
    }

    private let tariff: Tariff
    private let loadTrip: Statement
    private let saveTrip: Statement
    private let deleteTrip: Statement
    private let insertTrip: Statement

    init(database: Database, tariff: Tariff) throws(SQLiteError) {
        self.tariff = tariff
        loadTrip = try database.prepare(
            "SELECT driver_id, rider_id, region, started_ms, surge, last_lat, last_lon, last_ms, distance_km FROM open_trips WHERE trip_id = ?1"
        )
        saveTrip = try database.prepare(
            "INSERT OR REPLACE INTO open_trips VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)"
        )
        deleteTrip = try database.prepare("DELETE FROM open_trips WHERE trip_id = ?1")
        insertTrip = try database.prepare("INSERT INTO trips VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)")
    }

    func process(_ events: ArraySlice<PositionedEvent>) throws(SQLiteError) -> Int {
        var open: [String: OpenTrip] = [:]
        var finished: Set<String> = []
        var rows = 0
        for positioned in events {
            let event = positioned.event
            guard event.status == .onTrip, let tripID = event.tripId else { continue }
            if event.milestone == .pickup {
                open[tripID] = OpenTrip(
                    tripID: tripID, driverID: event.driverId, riderID: event.riderId, region: event.region,
                    startedMs: event.ts, surge: event.surge, last: event.position, lastMs: event.ts, distanceKm: 0
                )
                finished.remove(tripID)
                continue
            }
            var loaded = open[tripID]
            if loaded == nil { loaded = try load(tripID) }
            guard var trip = loaded else { continue }
            FareMeter.advance(&trip.distanceKm, last: &trip.last, lastMs: &trip.lastMs, to: event.position, at: event.ts)
            if event.milestone == .dropoff {
                try insert(trip, endedMs: event.ts)
                rows += 1
                open[tripID] = nil
                finished.insert(tripID)
            } else {
                open[tripID] = trip
            }
        }
        for tripID in finished {
            deleteTrip.bind(1, tripID)
            try deleteTrip.run()
        }
        for trip in open.values {
            saveTrip.bind(1, trip.tripID)
            saveTrip.bind(2, trip.driverID)
            saveTrip.bind(3, trip.riderID)
            saveTrip.bind(4, trip.region)
            saveTrip.bind(5, trip.startedMs)
            saveTrip.bind(6, trip.surge)
            saveTrip.bind(7, trip.last.lat)
            saveTrip.bind(8, trip.last.lon)
            saveTrip.bind(9, trip.lastMs)
            saveTrip.bind(10, trip.distanceKm)
            try saveTrip.run()
        }
        return rows
    }

    private func load(_ tripID: String) throws(SQLiteError) -> OpenTrip? {
        loadTrip.bind(1, tripID)
        defer { loadTrip.reset() }
        guard try loadTrip.step() else { return nil }
        return OpenTrip(
            tripID: tripID, driverID: loadTrip.string(0) ?? "", riderID: loadTrip.string(1), region: loadTrip.string(2) ?? "",
            startedMs: loadTrip.int(3), surge: loadTrip.double(4), last: GeoPoint(lat: loadTrip.double(5), lon: loadTrip.double(6)),
            lastMs: loadTrip.int(7), distanceKm: loadTrip.double(8)
        )
    }

    private func insert(_ trip: OpenTrip, endedMs: Int64) throws(SQLiteError) {
        let durationSeconds = Double(endedMs - trip.startedMs) / 1000
        insertTrip.bind(1, trip.tripID)
        insertTrip.bind(2, trip.driverID)
        insertTrip.bind(3, trip.riderID)
        insertTrip.bind(4, trip.region)
        insertTrip.bind(5, Timestamp.iso(trip.startedMs))
        insertTrip.bind(6, Timestamp.iso(endedMs))
        insertTrip.bind(7, (trip.distanceKm * 1000).rounded() / 1000)
        insertTrip.bind(8, durationSeconds)
        insertTrip.bind(9, trip.surge)
        insertTrip.bind(10, tariff.fare(distanceKm: trip.distanceKm, durationSeconds: durationSeconds, surge: trip.surge))
        try insertTrip.run()
    }
}

/// The distance rule of the fare meter, shared with tests that recompute fares independently
/// of the database: add each step from the last accepted point, skipping GPS jumps.
public enum FareMeter {
    public static func advance(_ distanceKm: inout Double, last: inout GeoPoint, lastMs: inout Int64, to point: GeoPoint, at ms: Int64) {
        guard !GPSJump.isJump(from: last, to: point, elapsedMs: ms - lastMs) else { return }
        distanceKm += last.distanceKm(to: point)
        last = point
        lastMs = ms
    }
}
