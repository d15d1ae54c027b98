import KafkaWire
import RideModel
import SQLite

/// The analytics group: every event in `location_events`, and per-region, per-minute
/// rollups in `region_minute_stats` (events, distinct active drivers, average speed, trips
/// started and completed). Distinct drivers are counted through `region_minute_drivers`, so
/// the counts stay exact across batches and consumers.
///
/// `location_events` has two indexes that grow at their ends (time-ordered event ids, and
/// region + time), so ingestion stays linear as the table grows to millions of rows. A
/// per-driver index would take inserts all over the tree; per-driver questions go to the
/// support database, or to `CREATE INDEX ... ON location_events (driver_id, ts)` after a run.
final class AnalyticsProcessor: EventProcessor {
    static let schema = """
        CREATE TABLE location_events (
            event_id TEXT NOT NULL UNIQUE,
            driver_id TEXT NOT NULL,
            region TEXT NOT NULL,
            "partition" INTEGER NOT NULL,
            "offset" INTEGER NOT NULL,
            lat REAL NOT NULL,
            lon REAL NOT NULL,
            speed_kmh REAL NOT NULL,
            status TEXT NOT NULL,
            trip_id TEXT,
            milestone TEXT,
            surge REAL NOT NULL,
            ts TEXT NOT NULL
        );
        CREATE INDEX location_events_region ON location_events (region, ts);
        CREATE TABLE region_minute_stats (
            region TEXT NOT NULL,
            minute TEXT NOT NULL,
            events INTEGER NOT NULL,
            active_drivers INTEGER NOT NULL,
            speed_tenths INTEGER NOT NULL,
            avg_speed_kmh REAL GENERATED ALWAYS AS (speed_tenths / 10.0 / events) VIRTUAL,
            trips_started INTEGER NOT NULL,
            trips_completed INTEGER NOT NULL,
            PRIMARY KEY (region, minute)
        );
        CREATE TABLE region_minute_drivers (
            region TEXT NOT NULL,
            minute TEXT NOT NULL,
            driver_id TEXT NOT NULL,
            PRIMARY KEY (region, minute, driver_id)
        ) WITHOUT ROWID;
        """

    private struct Rollup {
        var events = 0
        /// Speeds in tenths of km/h (events carry one decimal): integer sums are the same in
        /// any batching order, so reruns and resumed runs give identical rows.
        var speedTenths: Int64 = 0
        var started = 0
        var completed = 0
        var drivers: Set<String> = []
    }

    private let insertEvent: Statement
    private let insertDriver: Statement
    private let upsertRollup: Statement
    private let database: Database

    init(database: Database, tariff: Tariff) throws(SQLiteError) {
        self.database = database
        insertEvent = try database.prepare(
            "INSERT INTO location_events VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)"
        )
        insertDriver = try database.prepare("INSERT OR IGNORE INTO region_minute_drivers VALUES (?1, ?2, ?3)")
        upsertRollup = try database.prepare("""
            INSERT INTO region_minute_stats (region, minute, events, active_drivers, speed_tenths, trips_started, trips_completed)
            VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
            ON CONFLICT (region, minute) DO UPDATE SET
                events = events + excluded.events,
                active_drivers = active_drivers + excluded.active_drivers,
                speed_tenths = speed_tenths + excluded.speed_tenths,
                trips_started = trips_started + excluded.trips_started,
                trips_completed = trips_completed + excluded.trips_completed
            """)
    }

    func process(_ events: [PositionedEvent]) throws(SQLiteError) -> Int {
        var rollups: [String: [String: Rollup]] = [:]
        // Events of one tick share their timestamp: its texts are made once.
        var lastTimestamp = Int64.min
        var iso = ""
        var minute = ""
        for positioned in events {
            let event = positioned.event
            if event.ts != lastTimestamp {
                lastTimestamp = event.ts
                iso = Timestamp.iso(event.ts)
                minute = Timestamp.minute(event.ts)
            }
            insertEvent.bind(1, event.eventId)
            insertEvent.bind(2, event.driverId)
            insertEvent.bind(3, event.region)
            insertEvent.bind(4, Int64(positioned.partition.rawValue))
            insertEvent.bind(5, positioned.offset.rawValue)
            insertEvent.bind(6, event.lat)
            insertEvent.bind(7, event.lon)
            insertEvent.bind(8, event.speedKmh)
            insertEvent.bind(9, event.status.rawValue)
            insertEvent.bind(10, event.tripId)
            insertEvent.bind(11, event.milestone?.rawValue)
            insertEvent.bind(12, event.surge)
            insertEvent.bind(13, iso)
            try insertEvent.run()
            var rollup = rollups[event.region]?[minute] ?? Rollup()
            rollup.events += 1
            rollup.speedTenths += Int64((event.speedKmh * 10).rounded())
            if event.milestone == .pickup { rollup.started += 1 }
            if event.milestone == .dropoff { rollup.completed += 1 }
            if event.status != .offline { rollup.drivers.insert(event.driverId) }
            rollups[event.region, default: [:]][minute] = rollup
        }
        var rows = events.count
        for (region, minutes) in rollups {
            for (minute, rollup) in minutes {
                var newDrivers = 0
                for driver in rollup.drivers {
                    insertDriver.bind(1, region)
                    insertDriver.bind(2, minute)
                    insertDriver.bind(3, driver)
                    try insertDriver.run()
                    newDrivers += database.changes
                }
                upsertRollup.bind(1, region)
                upsertRollup.bind(2, minute)
                upsertRollup.bind(3, rollup.events)
                upsertRollup.bind(4, newDrivers)
                upsertRollup.bind(5, rollup.speedTenths)
                upsertRollup.bind(6, rollup.started)
                upsertRollup.bind(7, rollup.completed)
                try upsertRollup.run()
                rows += 1
            }
        }
        return rows
    }
}
