/// `groups` output as text, in the columns of `kafka-consumer-groups`.
extension GroupView {
    /// `--describe`: a row per partition the group has offsets for or a member owns.
    public static func offsetsText(_ groups: [GroupView]) -> String {
        var lines: [String] = []
        for group in groups {
            if !lines.isEmpty { lines.append("") }
            if group.members.isEmpty { lines.append("Consumer group '\(TextTable.printable(group.group))' has no active members.") }
            var table = TextTable([.left, .left, .right, .right, .right, .right, .left, .left, .left, .right])
            table.append(["GROUP", "TOPIC", "PARTITION", "CURRENT-OFFSET", "LOG-END-OFFSET", "LAG", "CONSUMER-ID", "HOST", "CLIENT-ID", "STORED"])
            for row in group.offsets {
                table.append([
                    group.group, row.topic, "\(row.partition)", text(row.currentOffset), text(row.logEndOffset), text(row.lag),
                    row.consumerID ?? "-", row.host ?? "-", row.clientID ?? "-", text(row.stored),
                ])
            }
            lines += table.lines()
            lines += group.notes.map { "  " + $0 }
        }
        return lines.joined(separator: "\n")
    }

    /// `--members`: a row per member with what it owns.
    public static func membersText(_ groups: [GroupView]) -> String {
        var lines: [String] = []
        for group in groups {
            if !lines.isEmpty { lines.append("") }
            guard !group.members.isEmpty else {
                lines.append("Consumer group '\(TextTable.printable(group.group))' has no active members.")
                continue
            }
            var table = TextTable([.left, .left, .left, .left, .right, .left])
            table.append(["GROUP", "CONSUMER-ID", "HOST", "CLIENT-ID", "#PARTITIONS", "ASSIGNMENT"])
            for member in group.members {
                table.append([
                    group.group, member.consumerID, member.host, member.clientID, "\(member.assignment.count)",
                    member.assignment.isEmpty ? "-" : member.assignment.joined(separator: ","),
                ])
            }
            lines += table.lines()
        }
        return lines.joined(separator: "\n")
    }

    /// `--state`: one row per group.
    public static func stateText(_ groups: [GroupView]) -> String {
        var table = TextTable([.left, .left, .left, .right, .right])
        table.append(["GROUP", "ASSIGNMENT-STRATEGY", "STATE", "GENERATION", "#MEMBERS"])
        for group in groups {
            table.append([group.group, group.assignmentStrategy ?? "-", group.state, text(group.generation.map(Int64.init)), "\(group.members.count)"])
        }
        return table.lines().joined(separator: "\n")
    }

    /// `groups list`: one row per group with its total lag.
    public static func listText(_ groups: [GroupView]) -> String {
        var table = TextTable([.left, .left, .right, .right, .right, .left])
        table.append(["GROUP", "STATE", "MEMBERS", "PARTITIONS", "LAG", "DATABASE"])
        for group in groups {
            table.append([group.group, group.state, "\(group.members.count)", "\(group.offsets.count)", "\(group.lag)", group.database ?? "-"])
        }
        return table.lines().joined(separator: "\n")
    }

    private static func text(_ value: Int64?) -> String { value.map { "\($0)" } ?? "-" }
}
