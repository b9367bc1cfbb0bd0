import CEv

/// Readiness a descriptor is watched for, and reported with.
public struct IOEvents: OptionSet, Hashable, Sendable {
    public let rawValue: Int32
    /// Creates a set from libev's bits.
    public init(rawValue: Int32) { self.rawValue = rawValue }

    /// Reading will not block (data, end of file, or an error to collect).
    public static let read = IOEvents(rawValue: cev_read())
    /// Writing will not block.
    public static let write = IOEvents(rawValue: cev_write())
    /// libev reported an error for the watcher (for example a closed descriptor);
    /// the watcher has been stopped.
    public static let error = IOEvents(rawValue: cev_error())
}
