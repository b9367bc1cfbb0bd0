/// The grammar of chunk extensions (RFC 9112 §7.1.1), one byte at a time:
/// `*( BWS ";" BWS name [ BWS "=" BWS ( token / quoted-string ) ] )`. Extensions are
/// checked, not kept: no meaning is defined for any, but a lax reading of them is where
/// two parsers start to disagree on where a chunk begins.
enum ChunkExtension {
    /// Where in an extension the line is.
    enum Step: Hashable, Sendable {
        case beforeName, name, afterName, beforeValue, token, quoted, quotedEscape, afterValue
    }

    /// What a byte does to the line.
    enum Outcome {
        case step(Step)
        /// CR or LF where the line may end.
        case lineEnd
        case invalid
    }

    static func next(_ step: Step, _ byte: UInt8) -> Outcome {
        let isWhitespace = Grammar.isWhitespace(byte)
        let isLineEnd = byte == Grammar.cr || byte == Grammar.lf
        switch step {
        case .beforeName:
            if isWhitespace { return .step(.beforeName) }
            return Grammar.isToken(byte) ? .step(.name) : .invalid
        case .name, .token:
            if Grammar.isToken(byte) { return .step(step) }
            if isLineEnd { return .lineEnd }
            if byte == Grammar.semicolon { return .step(.beforeName) }
            if byte == equals && step == .name { return .step(.beforeValue) }
            if isWhitespace { return .step(step == .name ? .afterName : .afterValue) }
            return .invalid
        case .afterName:
            if isWhitespace { return .step(.afterName) }
            if byte == equals { return .step(.beforeValue) }
            return byte == Grammar.semicolon ? .step(.beforeName) : .invalid
        case .beforeValue:
            if isWhitespace { return .step(.beforeValue) }
            if byte == quote { return .step(.quoted) }
            return Grammar.isToken(byte) ? .step(.token) : .invalid
        case .quoted:
            if byte == quote { return .step(.afterValue) }
            if byte == backslash { return .step(.quotedEscape) }
            // qdtext: HTAB, SP, visible ASCII but `"` and `\`, obs-text.
            return Grammar.fieldValue.contains(byte) ? .step(.quoted) : .invalid
        case .quotedEscape:
            return Grammar.fieldValue.contains(byte) ? .step(.quoted) : .invalid
        case .afterValue:
            if isWhitespace { return .step(.afterValue) }
            if byte == Grammar.semicolon { return .step(.beforeName) }
            return isLineEnd ? .lineEnd : .invalid
        }
    }

    private static let equals = UInt8(ascii: "=")
    private static let quote = UInt8(ascii: "\"")
    private static let backslash = UInt8(ascii: "\\")
}
