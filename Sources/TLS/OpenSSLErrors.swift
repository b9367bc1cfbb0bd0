import COpenSSL

/// OpenSSL reports failures on a per-thread queue; these read it into words and keep it
/// empty so that one connection's failure is never blamed on the next.
enum OpenSSLErrors {
    /// Every queued error as one line (`"ssl/tls alert bad certificate; ..."`), emptying the
    /// queue; `fallback` when it holds none.
    static func drain(or fallback: String) -> String {
        var reasons: [String] = []
        while case let code = ERR_get_error(), code != 0 {
            if let text = ERR_reason_error_string(code) {
                reasons.append(String(cString: text))
            } else {
                reasons.append("error \(code)")
            }
        }
        return reasons.isEmpty ? fallback : reasons.joined(separator: "; ")
    }

    static func clear() { ERR_clear_error() }
}
