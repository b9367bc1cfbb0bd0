import CZlib

/// gzip and deflate through zlib's `inflate`. gzip may come as several members one after
/// another (RFC 1952 §2.2: `cat a.gz b.gz`); deflate may be zlib-wrapped (RFC 1950, what
/// the standard says) or raw (RFC 1951, what some servers send), told apart by its header.
final class ZlibDecoder: StreamDecoder {
    private let coding: ContentCoding
    private let stream: UnsafeMutablePointer<z_stream>
    private let output: UnsafeMutableRawBufferPointer
    private var started = false
    /// The stream (or the last gzip member) ended.
    private var ended = false
    /// The first bytes of a deflate body, held until there are two to tell its wrapping.
    private var header: [UInt8] = []
    private var tookInput = false

    init(_ coding: ContentCoding) {
        self.coding = coding
        stream = .allocate(capacity: 1)
        stream.initialize(to: z_stream())
        output = .allocate(byteCount: decodedPieceSize, alignment: 1)
    }

    deinit {
        if started { inflateEnd(stream) }
        stream.deinitialize(count: 1)
        stream.deallocate()
        output.deallocate()
    }

    func decode(_ input: UnsafeRawBufferPointer, emit: (UnsafeRawBufferPointer) throws(DecodingError) -> Void) throws(DecodingError) {
        guard !input.isEmpty else { return }
        tookInput = true
        if !started {
            if coding == .deflate && header.count + input.count < 2 {
                header += input
                return
            }
            let first = header + input.prefix(2 - header.count)
            // RFC 1950 §2.2: CM 8, a window of at most 32 KiB, and a check making CMF*256+FLG a multiple of 31.
            let zlibWrapped = first[0] & 0x0F == 8 && first[0] >> 4 <= 7 && (Int(first[0]) << 8 | Int(first[1])) % 31 == 0
            let windowBits: Int32 = coding == .gzip ? 15 + 16 : zlibWrapped ? 15 : -15
            guard czlib_inflate_init(stream, windowBits) == Z_OK else { throw .corrupt(coding, detail: "zlib could not start") }
            started = true
            if !header.isEmpty {
                let held = header
                header = []
                var failure: DecodingError?
                held.withUnsafeBytes { bytes in
                    do throws(DecodingError) { try inflate(bytes, emit) } catch { failure = error }
                }
                if let failure { throw failure }
            }
        }
        try inflate(input, emit)
    }

    private func inflate(_ input: UnsafeRawBufferPointer, _ emit: (UnsafeRawBufferPointer) throws(DecodingError) -> Void) throws(DecodingError) {
        stream.pointee.next_in = UnsafeMutablePointer(mutating: input.baseAddress!.assumingMemoryBound(to: UInt8.self))
        stream.pointee.avail_in = UInt32(input.count)
        while true {
            if ended {
                guard stream.pointee.avail_in > 0 else { return }
                // Another gzip member may follow; anything else is junk after the end.
                guard coding == .gzip, stream.pointee.next_in.pointee == 0x1F else { throw .trailingData(coding) }
                inflateReset(stream)
                ended = false
            }
            stream.pointee.next_out = output.baseAddress!.assumingMemoryBound(to: UInt8.self)
            stream.pointee.avail_out = UInt32(output.count)
            let result = CZlib.inflate(stream, Z_NO_FLUSH)
            let produced = output.count - Int(stream.pointee.avail_out)
            switch result {
            case Z_OK, Z_BUF_ERROR:
                break
            case Z_STREAM_END:
                ended = true
            default:
                let message = stream.pointee.msg.map { String(cString: $0) } ?? "zlib error \(result)"
                throw .corrupt(coding, detail: message)
            }
            if produced > 0 { try emit(UnsafeRawBufferPointer(rebasing: output[..<produced])) }
            // More to come only while input remains or the output filled up.
            if !ended && stream.pointee.avail_in == 0 && produced < output.count { return }
            if result == Z_BUF_ERROR && produced == 0 { return }
        }
    }

    func finish() throws(DecodingError) {
        if !tookInput { return }
        guard ended else { throw .truncated(coding) }
    }
}
