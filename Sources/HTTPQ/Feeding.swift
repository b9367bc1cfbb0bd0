/// The shared `feed` of `Request` and `Response`: consume until the input is used up or the
/// message is complete.
extension MessageParser {
    /// Feeds `bytes`, returning how many belong to this message.
    mutating func feedAll(_ bytes: UnsafeRawBufferPointer) throws(HTTPQError) -> Int {
        try consumeThroughEvents(bytes).consumed
    }

    /// Feeds any byte sequence, through contiguous storage when it has one.
    mutating func feedAll<Bytes: Sequence<UInt8>>(_ bytes: Bytes) throws(HTTPQError) -> Int {
        let result: Result<Int, HTTPQError>? = bytes.withContiguousStorageIfAvailable { buffer in
            Result { () throws(HTTPQError) in try feedAll(UnsafeRawBufferPointer(buffer)) }
        }
        if let result { return try result.get() }
        return try withBytes(Array(bytes)) { (buffer: UnsafeRawBufferPointer) throws(HTTPQError) in try feedAll(buffer) }
    }

    /// Feeds an array slice through its storage.
    mutating func feedAll(_ bytes: ArraySlice<UInt8>) throws(HTTPQError) -> Int {
        let result = bytes.withUnsafeBytes { buffer in Result { () throws(HTTPQError) in try feedAll(buffer) } }
        return try result.get()
    }
}
