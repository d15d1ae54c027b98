#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A position in degrees (WGS 84).
public struct GeoPoint: Hashable, Sendable {
    public var lat: Double
    public var lon: Double

    public init(lat: Double, lon: Double) {
        self.lat = lat
        self.lon = lon
    }

    static let earthRadiusKm = 6371.0088

    /// Great-circle distance in kilometres (haversine).
    public func distanceKm(to other: GeoPoint) -> Double {
        let toRadians = Double.pi / 180
        let dLat = (other.lat - lat) * toRadians
        let dLon = (other.lon - lon) * toRadians
        let a = sin(dLat / 2) * sin(dLat / 2)
            + cos(lat * toRadians) * cos(other.lat * toRadians) * sin(dLon / 2) * sin(dLon / 2)
        return 2 * Self.earthRadiusKm * asin(min(1, sqrt(a)))
    }

    /// The point `km` kilometres away along `bearing` degrees (0 = north, 90 = east), on a
    /// locally flat earth (accurate to metres over the distances a car moves in a tick).
    public func moved(km: Double, bearing: Double) -> GeoPoint {
        let radians = bearing * Double.pi / 180
        let dLat = km * cos(radians) / 111.32
        let dLon = km * sin(radians) / (111.32 * cos(lat * Double.pi / 180))
        return GeoPoint(lat: lat + dLat, lon: lon + dLon)
    }

    /// The bearing in degrees from here towards `other`.
    public func bearing(to other: GeoPoint) -> Double {
        let dNorth = (other.lat - lat) * 111.32
        let dEast = (other.lon - lon) * 111.32 * cos(lat * Double.pi / 180)
        let degrees = atan2(dEast, dNorth) * 180 / Double.pi
        return degrees < 0 ? degrees + 360 : degrees
    }
}

/// A latitude / longitude rectangle.
public struct GeoBox: Hashable, Sendable {
    public var minLat: Double
    public var maxLat: Double
    public var minLon: Double
    public var maxLon: Double

    public init(minLat: Double, maxLat: Double, minLon: Double, maxLon: Double) {
        self.minLat = minLat
        self.maxLat = maxLat
        self.minLon = minLon
        self.maxLon = maxLon
    }

    public func contains(_ point: GeoPoint) -> Bool {
        point.lat >= minLat && point.lat <= maxLat && point.lon >= minLon && point.lon <= maxLon
    }

    /// The nearest point inside the box.
    public func clamped(_ point: GeoPoint) -> GeoPoint {
        GeoPoint(lat: min(max(point.lat, minLat), maxLat), lon: min(max(point.lon, minLon), maxLon))
    }

    public var center: GeoPoint { GeoPoint(lat: (minLat + maxLat) / 2, lon: (minLon + maxLon) / 2) }
}
