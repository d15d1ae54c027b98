import Foundation

/// Charts as inline SVG text, for the self-contained HTML report (`ReportPage`): line charts
/// over a numeric x axis and bar charts over labels. Small on purpose; every text is escaped.
///
/// Each chart is an `<svg class="chart">` whose `data-marks` attribute counts what it drew
/// (points of all lines, or bars), so a test can tell a drawn chart from an empty one.
public enum SVGChart {
    public struct Line: Sendable {
        public var name: String
        public var values: [Double?]

        public init(name: String, values: [Double?]) {
            self.name = name
            self.values = values
        }
    }

    static let palette = ["#1971c2", "#e8590c", "#2f9e44", "#ae3ec9", "#f59f00", "#0c8599", "#e03131", "#5c940d"]
    static let (width, height, left, right, top, bottom) = (640.0, 220.0, 56.0, 16.0, 14.0, 52.0)

    /// Lines sharing `x`; `xLabels`, when given, label the x ticks instead of numbers.
    public static func lines(_ title: String, x: [Double], lines: [Line], xUnit: String = "", xLabels: [String]? = nil) -> String {
        let maxY = lines.flatMap { $0.values.compactMap { $0 } }.max() ?? 0
        let axis = scale(maxY)
        let (xMin, xMax) = (x.min() ?? 0, max((x.max() ?? 1), (x.min() ?? 0) + 1))
        let plotWidth = width - left - right, plotHeight = height - top - bottom
        func px(_ value: Double) -> Double { left + (value - xMin) / (xMax - xMin) * plotWidth }
        func py(_ value: Double) -> Double { top + plotHeight - value / axis.max * plotHeight }
        var body = frame(axis, py: py)
        let xStep = step(xMax - xMin, ticks: 6)
        var tick = (xMin / xStep).rounded(.up) * xStep
        while tick <= xMax + 1e-9 {
            let label = xLabels.map { labels in labels.indices.contains(Int(tick)) ? labels[Int(tick)] : "" } ?? (number(tick) + xUnit)
            body += #"<text class="tick" x="\#(format(px(tick)))" y="\#(format(height - bottom + 14))" text-anchor="middle">\#(escape(label))</text>"#
            tick += xStep
        }
        var marks = 0
        for (index, line) in lines.enumerated() {
            let points = zip(x, line.values).compactMap { x, y in y.map { "\(format(px(x))),\(format(py($0)))" } }
            marks += points.count
            let colour = palette[index % palette.count]
            body += #"<polyline fill="none" stroke="\#(colour)" stroke-width="1.6" points="\#(points.joined(separator: " "))"><title>\#(escape(line.name))</title></polyline>"#
        }
        return chart(title, marks: marks, body: body + legend(lines.map(\.name)))
    }

    /// One bar per label; `format` writes the value shown above each bar.
    public static func bars(_ title: String, labels: [String], values: [Double], format valueText: (Double) -> String = number) -> String {
        let axis = scale(values.max() ?? 0)
        let plotWidth = width - left - right, plotHeight = height - top - bottom
        func py(_ value: Double) -> Double { top + plotHeight - value / axis.max * plotHeight }
        var body = frame(axis, py: py)
        let slot = plotWidth / Double(max(1, labels.count))
        for (index, (label, value)) in zip(labels, values).enumerated() {
            let x = left + Double(index) * slot + slot * 0.15
            let colour = palette[index % palette.count]
            body += #"<rect x="\#(format(x))" y="\#(format(py(value)))" width="\#(format(slot * 0.7))" height="\#(format(max(0, top + plotHeight - py(value))))" fill="\#(colour)"><title>\#(escape(label)): \#(escape(valueText(value)))</title></rect>"#
            body += #"<text class="value" x="\#(format(x + slot * 0.35))" y="\#(format(py(value) - 3))" text-anchor="middle">\#(escape(valueText(value)))</text>"#
            body += #"<text class="tick" x="\#(format(x + slot * 0.35))" y="\#(format(height - bottom + 14))" text-anchor="middle">\#(escape(label))</text>"#
        }
        return chart(title, marks: labels.count, body: body)
    }

    private static func chart(_ title: String, marks: Int, body: String) -> String {
        #"<svg class="chart" data-marks="\#(marks)" viewBox="0 0 \#(format(width)) \#(format(height))" role="img" aria-label="\#(escape(title))" xmlns="http://www.w3.org/2000/svg"><title>\#(escape(title))</title>\#(body)</svg>"#
    }

    private static func frame(_ axis: (max: Double, step: Double), py: (Double) -> Double) -> String {
        var body = #"<rect class="plot" x="\#(format(left))" y="\#(format(top))" width="\#(format(width - left - right))" height="\#(format(height - top - bottom))"/>"#
        var value = 0.0
        while value <= axis.max + 1e-9 {
            body += #"<line class="grid" x1="\#(format(left))" x2="\#(format(width - right))" y1="\#(format(py(value)))" y2="\#(format(py(value)))"/>"#
            body += #"<text class="tick" x="\#(format(left - 6))" y="\#(format(py(value) + 3))" text-anchor="end">\#(number(value))</text>"#
            value += axis.step
        }
        return body
    }

    private static func legend(_ names: [String]) -> String {
        var x = left
        var body = ""
        for (index, name) in names.enumerated() {
            body += #"<rect x="\#(format(x))" y="\#(format(height - 22))" width="10" height="10" fill="\#(palette[index % palette.count])"/>"#
            body += #"<text class="legend" x="\#(format(x + 14))" y="\#(format(height - 13))">\#(escape(name))</text>"#
            x += 24 + Double(name.count) * 6.5
        }
        return body
    }

    /// A round axis maximum and step for values up to `maximum`.
    static func scale(_ maximum: Double) -> (max: Double, step: Double) {
        let tickStep = step(maximum, ticks: 4)
        return (max(tickStep, (maximum / tickStep).rounded(.up) * tickStep), tickStep)
    }

    static func step(_ span: Double, ticks: Double) -> Double {
        guard span > 0, span.isFinite else { return 1 }
        let raw = span / ticks
        let power = pow(10, (log10(raw)).rounded(.down))
        let scaled = raw / power
        return (scaled <= 1 ? 1 : scaled <= 2 ? 2 : scaled <= 5 ? 5 : 10) * power
    }

    /// 1234567 → "1.2M", 12345 → "12k", 12.34 → "12.3".
    public static func number(_ value: Double) -> String {
        if value >= 1e6 { return String(format: value >= 1e7 ? "%.0fM" : "%.1fM", value / 1e6) }
        if value >= 1e4 { return String(format: "%.0fk", value / 1e3) }
        return value == value.rounded() ? String(Int(value)) : String(format: "%.1f", value)
    }

    static func format(_ value: Double) -> String { String(format: "%.1f", value) }

    /// Text for XML / HTML content and attributes. Scalar by scalar: a quote followed by a
    /// combining mark is one Character, and must be escaped all the same.
    public static func escape(_ text: String) -> String {
        var result = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": result.append(contentsOf: "&amp;".unicodeScalars)
            case "<": result.append(contentsOf: "&lt;".unicodeScalars)
            case ">": result.append(contentsOf: "&gt;".unicodeScalars)
            case "\"": result.append(contentsOf: "&quot;".unicodeScalars)
            case "'": result.append(contentsOf: "&#39;".unicodeScalars)
            default: result.append(scalar)
            }
        }
        return String(result)
    }
}
