import CBrotli

/// br through libbrotli's streaming decoder.
final class BrotliStreamDecoder: StreamDecoder {
    private let state: OpaquePointer
    private let output: UnsafeMutableRawBufferPointer
    private var ended = false
    private var tookInput = false

    init() {
        state = BrotliDecoderCreateInstance(nil, nil, nil)
        output = .allocate(byteCount: decodedPieceSize, alignment: 1)
    }

    deinit {
        BrotliDecoderDestroyInstance(state)
        output.deallocate()
    }

    func decode(_ input: UnsafeRawBufferPointer, emit: (UnsafeRawBufferPointer) throws(DecodingError) -> Void) throws(DecodingError) {
        guard !input.isEmpty else { return }
        tookInput = true
        guard !ended else { throw .trailingData(.br) }
        var availableIn = input.count
        var nextIn: UnsafePointer<UInt8>? = input.baseAddress!.assumingMemoryBound(to: UInt8.self)
        while true {
            var availableOut = output.count
            var nextOut: UnsafeMutablePointer<UInt8>? = output.baseAddress!.assumingMemoryBound(to: UInt8.self)
            let result = BrotliDecoderDecompressStream(state, &availableIn, &nextIn, &availableOut, &nextOut, nil)
            let produced = output.count - availableOut
            if result == BROTLI_DECODER_RESULT_ERROR {
                let code = BrotliDecoderGetErrorCode(state)
                throw .corrupt(.br, detail: String(cString: BrotliDecoderErrorString(code)))
            }
            if produced > 0 { try emit(UnsafeRawBufferPointer(rebasing: output[..<produced])) }
            switch result {
            case BROTLI_DECODER_RESULT_SUCCESS:
                ended = true
                if availableIn > 0 { throw .trailingData(.br) }
                return
            case BROTLI_DECODER_RESULT_NEEDS_MORE_INPUT:
                return
            default: // needs more output: go round
                continue
            }
        }
    }

    func finish() throws(DecodingError) {
        if tookInput && !ended { throw .truncated(.br) }
    }
}
