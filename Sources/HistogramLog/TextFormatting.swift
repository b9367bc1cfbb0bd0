#if canImport(Glibc)
import Glibc
#endif

// Text helpers Foundation's full module used to give this module and the `httpq` tool, which
// import FoundationEssentials only (Foundation brings ICU, and ~1.6 ms to every start).

/// printf's formatting (`vsnprintf`), as Foundation's `String(format:)` gave it.
package func printfFormatted(_ format: String, _ arguments: CVarArg...) -> String {
    var buffer = [CChar](repeating: 0, count: 128)
    let needed = withVaList(arguments) { vsnprintf(&buffer, buffer.count, format, $0) }
    if Int(needed) >= buffer.count {
        buffer = [CChar](repeating: 0, count: Int(needed) + 1)
        _ = withVaList(arguments) { vsnprintf(&buffer, buffer.count, format, $0) }
    }
    return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
}

/// The text without the spaces and tabs at either end (Foundation's `trimmingCharacters(in:
/// .whitespaces)` for the ASCII blanks these lines hold).
package func trimmedBlanks<S: StringProtocol>(_ text: S) -> String {
    let blank: (Character) -> Bool = { $0 == " " || $0 == "\t" }
    guard let first = text.firstIndex(where: { !blank($0) }) else { return "" }
    let last = text.lastIndex(where: { !blank($0) })!
    return String(text[first...last])
}
