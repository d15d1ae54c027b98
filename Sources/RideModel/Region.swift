/// A named zone of the simulated city with its bounding box.
public struct Region: Hashable, Sendable {
    public var name: String
    public var box: GeoBox

    public init(name: String, box: GeoBox) {
        self.name = name
        self.box = box
    }

    /// Six zones of Bengaluru with approximate real-world boxes: the default map.
    public static let bengaluru: [Region] = [
        Region(name: "koramangala", box: GeoBox(minLat: 12.920, maxLat: 12.950, minLon: 77.605, maxLon: 77.640)),
        Region(name: "indiranagar", box: GeoBox(minLat: 12.960, maxLat: 12.985, minLon: 77.630, maxLon: 77.660)),
        Region(name: "whitefield", box: GeoBox(minLat: 12.950, maxLat: 12.995, minLon: 77.720, maxLon: 77.770)),
        Region(name: "electronic-city", box: GeoBox(minLat: 12.830, maxLat: 12.865, minLon: 77.640, maxLon: 77.690)),
        Region(name: "hebbal", box: GeoBox(minLat: 13.025, maxLat: 13.055, minLon: 77.575, maxLon: 77.610)),
        Region(name: "jayanagar", box: GeoBox(minLat: 12.915, maxLat: 12.945, minLon: 77.570, maxLon: 77.600)),
    ]
}
