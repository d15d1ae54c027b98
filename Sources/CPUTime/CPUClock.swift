import Glibc

/// The clocks stage accounting reads, in nanoseconds.
///
/// - `thread`: CPU time of the calling thread (`CLOCK_THREAD_CPUTIME_ID`). Exact, but a system
///   call (about 0.5 to 2 µs on a virtual machine): read it around work of at least tens of
///   microseconds (a tick, a fetch, a transaction), never per event.
/// - `process`: CPU time of the whole process, user and system (`getrusage`).
/// - `monotonic`: wall time (`CLOCK_MONOTONIC`, served by the vDSO: tens of nanoseconds), for
///   splitting a measured span between its parts.
public enum CPUClock {
    public static func thread() -> UInt64 { read(CLOCK_THREAD_CPUTIME_ID) }

    public static func monotonic() -> UInt64 { read(CLOCK_MONOTONIC) }

    public static func process() -> UInt64 {
        var usage = rusage()
        getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
        return nanoseconds(usage.ru_utime) + nanoseconds(usage.ru_stime)
    }

    private static func read(_ clock: clockid_t) -> UInt64 {
        var time = timespec()
        clock_gettime(clock, &time)
        return UInt64(time.tv_sec) * 1_000_000_000 + UInt64(time.tv_nsec)
    }

    private static func nanoseconds(_ time: timeval) -> UInt64 {
        UInt64(time.tv_sec) * 1_000_000_000 + UInt64(time.tv_usec) * 1000
    }
}
