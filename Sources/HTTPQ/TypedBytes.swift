/// `withUnsafeBytes` keeping the parser's typed error (the standard library's is `rethrows`).
@inline(__always)
func withBytes<R>(
    _ array: [UInt8], _ body: (UnsafeRawBufferPointer) throws(HTTPQError) -> R
) throws(HTTPQError) -> R {
    let result = array.withUnsafeBytes { bytes in
        Result { () throws(HTTPQError) -> R in try body(bytes) }
    }
    return try result.get()
}
