import ArgumentParser

/// The `httpq` command-line tool.
@main
struct HTTPQCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "httpq",
        abstract: "HTTP/1.1 messages and a libev reactor: parse, fetch, serve.",
        subcommands: [DemoCommand.self, FetchCommand.self, LoadCommand.self, MergeCommand.self, ParseCommand.self, ServeCommand.self]
    )

    /// Runs the tool, mapping usage errors to exit status 2 (the contract in DESIGN.md)
    /// instead of ArgumentParser's 64.
    static func main() {
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch {
            let code = exitCode(for: error)
            if code == .validationFailure {
                FileOutput.standardError(fullMessage(for: error))
                FileOutput.exit(2)
            }
            exit(withError: error)
        }
    }
}
