import RideModel
import SQLite

/// The support group: what an agent needs on the phone with a driver or rider.
///
/// - `driver_status`: the latest position and status of every driver (one row each);
/// - `trip_timeline`: each trip's milestones (assigned, pickup, dropoff) with time and place;
/// - `incidents`: GPS jumps (a report impossible at `GPSJump.maxPlausibleSpeedKmh`), stops of
///   more than `longStopSeconds` during a trip, and speeding above `speedingKmh`, each with the
///   event it was found in. One incident per episode.
final class SupportProcessor: EventProcessor {
    static let longStopSeconds: Int64 = 120
    static let speedingKmh = 80.0

    static let schema = """
        CREATE TABLE driver_status (
            driver_id TEXT PRIMARY KEY,
            region TEXT NOT NULL,
            lat REAL NOT NULL,
            lon REAL NOT NULL,
            speed_kmh REAL NOT NULL,
            status TEXT NOT NULL,
            trip_id TEXT,
            last_event_id TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            updated_ms INTEGER NOT NULL,
            stopped_since_ms INTEGER,
            stop_reported INTEGER NOT NULL DEFAULT 0
        );
        CREATE INDEX driver_status_region ON driver_status (region, status);
        CREATE TABLE trip_timeline (
            trip_id TEXT NOT NULL,
            driver_id TEXT NOT NULL,
            milestone TEXT NOT NULL,
            event_id TEXT NOT NULL,
            ts TEXT NOT NULL,
            lat REAL NOT NULL,
            lon REAL NOT NULL,
            PRIMARY KEY (trip_id, milestone)
        );
        CREATE TABLE incidents (
            id INTEGER PRIMARY KEY,
            kind TEXT NOT NULL CHECK (kind IN ('gps_jump', 'long_stop', 'speeding')),
            driver_id TEXT NOT NULL,
            trip_id TEXT,
            event_id TEXT NOT NULL,
            ts TEXT NOT NULL,
            detail TEXT NOT NULL
        );
        CREATE INDEX incidents_driver ON incidents (driver_id, ts);
        CREATE INDEX incidents_kind ON incidents (kind, ts);
        """

    private struct DriverRow {
        var region: String
        var position: GeoPoint
        var speedKmh: Double
        var status: DriverStatus
        var tripID: String?
        var lastEventID: String
        var updatedMs: Int64
        var stoppedSinceMs: Int64?
        var stopReported: Bool
    }

    private let load: Statement
    private let save: Statement
    /// `save` for a driver whose row is in the file with the same region and status: the row
    /// is rewritten in place, its indexes untouched (`save` deletes and re-inserts it and
    /// every index entry).
    private let update: Statement
    /// Drivers' rows as they are in the file, as this connection last read or wrote them:
    /// a batch reads a driver from here instead of the file. Forgotten when another connection
    /// has written the file or a transaction did not commit (`forgetFileState`); emptied before
    /// a batch's rows are kept when they and it would come to more than `rememberedDrivers`.
    private var inFile: [String: DriverRow] = [:]
    private let database: Database
    static let rememberedDrivers = 200_000
    private let timeline: Statement
    private let incident: Statement

    init(database: Database, tariff: Tariff) throws(SQLiteError) {
        self.database = database
        load = try database.prepare(
            "SELECT region, lat, lon, speed_kmh, status, trip_id, last_event_id, updated_ms, stopped_since_ms, stop_reported FROM driver_status WHERE driver_id = ?1"
        )
        save = try database.prepare("INSERT OR REPLACE INTO driver_status VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)")
        update = try database.prepare(
            """
            UPDATE driver_status SET lat = ?3, lon = ?4, speed_kmh = ?5, trip_id = ?7, last_event_id = ?8, updated_at = ?9, updated_ms = ?10,
                stopped_since_ms = ?11, stop_reported = ?12
            WHERE driver_id = ?1
            """
        )
        timeline = try database.prepare("INSERT OR REPLACE INTO trip_timeline VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)")
        incident = try database.prepare("INSERT INTO incidents (kind, driver_id, trip_id, event_id, ts, detail) VALUES (?1, ?2, ?3, ?4, ?5, ?6)")
    }

    func process(_ events: ArraySlice<PositionedEvent>) throws(SQLiteError) -> Int {
        var drivers: [String: DriverRow] = [:]
        var rows = 0
        for positioned in events {
            let event = positioned.event
            let driverID = event.driverId  // made from the record's bytes at each use: once here
            var previous = drivers[driverID] ?? inFile[driverID]
            if previous == nil {
                previous = try loadDriver(driverID)
                inFile[driverID] = previous
            }
            var row = DriverRow(
                region: event.region, position: event.position, speedKmh: event.speedKmh, status: event.status,
                tripID: event.tripId, lastEventID: event.eventId, updatedMs: event.ts, stoppedSinceMs: nil, stopReported: false
            )
            if let previous {
                if GPSJump.isJump(from: previous.position, to: event.position, elapsedMs: event.ts - previous.updatedMs) {
                    let km = previous.position.distanceKm(to: event.position)
                    try record("gps_jump", event, detail: "jumped \(format(km)) km in \(event.ts - previous.updatedMs) ms")
                    rows += 1
                    row.position = previous.position  // keep the last believable position
                }
                if event.speedKmh > Self.speedingKmh && previous.speedKmh <= Self.speedingKmh {
                    try record("speeding", event, detail: "\(format(event.speedKmh)) km/h")
                    rows += 1
                }
                if event.status == .onTrip && event.speedKmh == 0 {
                    row.stoppedSinceMs = previous.status == .onTrip && previous.speedKmh == 0 ? previous.stoppedSinceMs ?? previous.updatedMs : event.ts
                    row.stopReported = previous.stopReported && previous.stoppedSinceMs != nil
                    if let since = row.stoppedSinceMs, !row.stopReported, event.ts - since >= Self.longStopSeconds * 1000 {
                        try record("long_stop", event, detail: "stopped \((event.ts - since) / 1000) s during the trip")
                        rows += 1
                        row.stopReported = true
                    }
                }
            }
            if let milestone = event.milestone, let tripID = event.tripId {
                timeline.bind(1, tripID)
                timeline.bind(2, driverID)
                timeline.bind(3, milestone.rawValue)
                timeline.bind(4, event.eventId)
                timeline.bind(5, Timestamp.iso(event.ts))
                timeline.bind(6, event.lat)
                timeline.bind(7, event.lon)
                try timeline.run()
                rows += 1
            }
            drivers[driverID] = row
        }
        if inFile.count + drivers.count > Self.rememberedDrivers { inFile.removeAll(keepingCapacity: true) }
        for (driverID, row) in drivers {
            try store(driverID, row)
            rows += 1
        }
        return rows
    }

    func forgetFileState() { inFile.removeAll(keepingCapacity: true) }

    /// Writes a driver's row: in place when the file's row has the same region and status.
    /// An id the kept rows match but the file does not (Swift compares texts by canonical
    /// equivalence, SQLite by their bytes) changes no row in place and is inserted instead.
    private func store(_ driverID: String, _ row: DriverRow) throws(SQLiteError) {
        let old = inFile.updateValue(row, forKey: driverID)
        if old.map({ $0.region == row.region && $0.status == row.status }) == true {
            try run(update, driverID, row)
            if database.changes == 1 { return }
        }
        save.bind(2, row.region)
        save.bind(6, row.status.rawValue)
        try run(save, driverID, row)
    }

    /// Binds the columns `save` and `update` share and runs `statement`.
    private func run(_ statement: Statement, _ driverID: String, _ row: DriverRow) throws(SQLiteError) {
        statement.bind(1, driverID)
        statement.bind(3, row.position.lat)
        statement.bind(4, row.position.lon)
        statement.bind(5, row.speedKmh)
        statement.bind(7, row.tripID)
        statement.bind(8, row.lastEventID)
        statement.bind(9, Timestamp.iso(row.updatedMs))
        statement.bind(10, row.updatedMs)
        statement.bind(11, row.stoppedSinceMs)
        statement.bind(12, row.stopReported ? 1 : 0)
        try statement.run()
    }

    private func loadDriver(_ driverID: String) throws(SQLiteError) -> DriverRow? {
        load.bind(1, driverID)
        defer { load.reset() }
        guard try load.step() else { return nil }
        return DriverRow(
            region: load.string(0) ?? "", position: GeoPoint(lat: load.double(1), lon: load.double(2)), speedKmh: load.double(3),
            status: DriverStatus(rawValue: load.string(4) ?? "") ?? .offline, tripID: load.string(5),
            lastEventID: load.string(6) ?? "", updatedMs: load.int(7), stoppedSinceMs: load.isNull(8) ? nil : load.int(8),
            stopReported: load.int(9) != 0
        )
    }

    private func record(_ kind: String, _ event: LocationEventView, detail: String) throws(SQLiteError) {
        incident.bind(1, kind)
        incident.bind(2, event.driverId)
        incident.bind(3, event.tripId)
        incident.bind(4, event.eventId)
        incident.bind(5, Timestamp.iso(event.ts))
        incident.bind(6, detail)
        try incident.run()
    }

    private func format(_ value: Double) -> String { String((value * 10).rounded() / 10) }
}
