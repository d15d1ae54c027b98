import KafkaWire
import RideModel
import SQLite

/// The analytics group: every event in `location_events`, and per-region, per-minute
/// rollups in `region_minute_stats` (events, distinct active drivers, average speed, trips
/// started and completed). Distinct drivers are counted through `region_minute_drivers`, so
/// the counts stay exact across batches and consumers.
///
/// Events are stored in `location_event_rows`: one B-tree and no index. Its key is the
/// event's partition and id as one integer (`EventKey`: an event stored twice in its
/// partition still fails), its time integer milliseconds (`ts_ms`). Each partition's rows are
/// appended at the end of its own range of keys, so ingestion stays linear as the table grows
/// to millions of rows. `location_events` is the view people query: the same rows with
/// `event_id`, `"partition"` and `ts` made back from the key and the milliseconds as a query
/// reads them. (They are not generated columns of the table: SQLite computes a table's
/// generated columns, virtual ones included, for every row it inserts, which cost more than
/// the rest of the insert.) Per-region or per-driver questions over many rows want an index
/// made after a run, e.g. `CREATE INDEX events_by_region ON location_event_rows (region, ts_ms)`.
final class AnalyticsProcessor: EventProcessor {
    static let schema = """
        CREATE TABLE location_event_rows (
            event_key INTEGER PRIMARY KEY,
            driver_id TEXT NOT NULL,
            region TEXT NOT NULL,
            "offset" INTEGER NOT NULL,
            lat REAL NOT NULL,
            lon REAL NOT NULL,
            speed_kmh REAL NOT NULL,
            status TEXT NOT NULL,
            trip_id TEXT,
            milestone TEXT,
            surge REAL NOT NULL,
            ts_ms INTEGER NOT NULL
        );
        CREATE VIEW location_events AS SELECT
            event_key,
            \(EventKey.idSQL("event_key")) AS event_id,
            driver_id,
            region,
            \(EventKey.partitionSQL("event_key")) AS "partition",
            "offset", lat, lon, speed_kmh, status, trip_id, milestone, surge, ts_ms,
            \(Timestamp.isoSQL("ts_ms")) AS ts
            FROM location_event_rows;
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

    /// One region's minute as a batch adds to it.
    private struct Rollup {
        let region: TextKey
        /// The minute's first millisecond.
        let minuteMs: Int64
        var events = 0
        /// Speeds in tenths of km/h (events carry one decimal): integer sums are the same in
        /// any batching order, so reruns and resumed runs give identical rows.
        var speedTenths: Int64 = 0
        var started = 0
        var completed = 0
        var drivers: Set<TextKey> = []

        init(region: TextKey, minuteMs: Int64) {
            self.region = region
            self.minuteMs = minuteMs
        }
    }

    private let insertEvent: Statement
    private let insertDriver: Statement
    private let upsertRollup: Statement
    private let database: Database

    init(database: Database, tariff: Tariff) throws(SQLiteError) {
        self.database = database
        insertEvent = try database.prepare(
            """
            INSERT INTO location_event_rows (event_key, driver_id, region, "offset", lat, lon, speed_kmh, status, trip_id, milestone, surge, ts_ms)
            VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)
            """
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

    func process(_ events: ArraySlice<PositionedEvent>) throws(SQLiteError) -> Int {
        // A batch is one partition's: a region or a few, a minute or two.
        var rollups: [Rollup] = []
        var current = 0
        for positioned in events {
            let event = positioned.event
            let minuteMs = Timestamp.minuteStart(event.ts)
            try event.withBytes { (bytes) throws(SQLiteError) in
                guard let key = EventKey.of(bytes[event.eventIdText], partition: positioned.partition.rawValue) else {
                    throw SQLiteError(
                        code: 20,  // SQLITE_MISMATCH
                        message: "event id '\(event.eventId)' (partition \(positioned.partition.rawValue), offset \(positioned.offset.rawValue)) "
                            + "is not of the simulator's form 0000123-D00042 or beyond its ranges, which location_event_rows keys its rows by",
                        path: database.path
                    )
                }
                insertEvent.bind(1, key)
                insertEvent.bindStaticText(2, bytes[event.driverIdText])
                insertEvent.bindStaticText(3, bytes[event.regionText])
                insertEvent.bind(4, positioned.offset.rawValue)
                insertEvent.bind(5, event.lat)
                insertEvent.bind(6, event.lon)
                insertEvent.bind(7, event.speedKmh)
                insertEvent.bind(8, event.status.rawValue)
                insertEvent.bindStaticText(9, bytes[event.tripIdText])
                insertEvent.bind(10, event.milestone?.rawValue)
                insertEvent.bind(11, event.surge)
                insertEvent.bind(12, event.ts)
                try insertEvent.run()
                let region = TextKey(bytes[event.regionText])
                if current == rollups.count || rollups[current].region != region || rollups[current].minuteMs != minuteMs {
                    current = rollups.firstIndex { $0.region == region && $0.minuteMs == minuteMs } ?? rollups.count
                    if current == rollups.count { rollups.append(Rollup(region: region, minuteMs: minuteMs)) }
                }
                if event.status != .offline { rollups[current].drivers.insert(TextKey(bytes[event.driverIdText])) }
            }
            rollups[current].events += 1
            rollups[current].speedTenths += Int64((event.speedKmh * 10).rounded())
            if event.milestone == .pickup { rollups[current].started += 1 }
            if event.milestone == .dropoff { rollups[current].completed += 1 }
        }
        var rows = events.count
        for rollup in rollups {
            let minute = Timestamp.minute(rollup.minuteMs)
            var newDrivers = 0
            // A run keeps the statement's bindings: region and minute are bound once.
            rollup.region.withBytes { insertDriver.bindText(1, $0) }
            insertDriver.bind(2, minute)
            for driver in rollup.drivers {
                driver.withBytes { insertDriver.bindText(3, $0) }
                try insertDriver.run()
                newDrivers += database.changes
            }
            rollup.region.withBytes { upsertRollup.bindText(1, $0) }
            upsertRollup.bind(2, minute)
            upsertRollup.bind(3, rollup.events)
            upsertRollup.bind(4, newDrivers)
            upsertRollup.bind(5, rollup.speedTenths)
            upsertRollup.bind(6, rollup.started)
            upsertRollup.bind(7, rollup.completed)
            try upsertRollup.run()
            rows += 1
        }
        return rows
    }
}
