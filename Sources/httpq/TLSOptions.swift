import ArgumentParser
import HTTPQClient

/// `--cacert` and `--insecure`, as curl spells them: shared by `fetch` and `load`.
struct TLSOptions: ParsableArguments {
    @Option(name: .long, help: "Trust only the CA certificates in this PEM file for https (instead of the system's).")
    var cacert: String?

    @Flag(name: [.customShort("k"), .long], help: "Do not check https certificates (encrypted, but to whoever answers).")
    var insecure = false

    /// The context https connections use: nil for the system's store with checks on.
    func context() throws -> TLSClientContext? {
        guard cacert != nil || insecure else { return nil }
        do {
            return try TLSClientContext(trust: cacert.map { .certificateFile($0) } ?? .system, verifiesPeer: !insecure)
        } catch {
            throw CommandFailure(error.description)
        }
    }
}
