import Foundation

/// The Swift code blocks of `Docs/NAME.md` that follow `<!-- checked by MARKER -->`, for
/// tests that compile a doc's examples and check no block drifted from them.
public func checkedDocBlocks(_ doc: String, marker: String) throws -> [String] {
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    let text = try String(contentsOf: root.appendingPathComponent("Docs/\(doc)"), encoding: .utf8)
    return text.components(separatedBy: "<!-- checked by \(marker) -->\n```swift\n").dropFirst()
        .map { $0.components(separatedBy: "\n```")[0] }
}

/// The lines of `blocks` that appear in none of `sources` (whitespace at their ends ignored).
public func linesMissing(from sources: String, in blocks: [String]) -> [Substring] {
    blocks.flatMap { $0.split(separator: "\n") }.filter { !sources.contains($0.trimmingCharacters(in: .whitespaces)) }
}
