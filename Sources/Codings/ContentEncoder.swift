import CBrotli
import CZlib

/// Whole-buffer encoding in each coding the decoder reads: for servers that compress a
/// body they hold, and for tests that need coded bodies without a peer that makes them.
public enum ContentEncoder {
    /// `bytes` coded with `coding` at `level` (zlib 0–9, brotli 0–11; nil for each library's
    /// default). `rawDeflate` makes deflate the headerless RFC 1951 stream some servers send.
    public static func encode(_ bytes: [UInt8], as coding: ContentCoding, level: Int? = nil, rawDeflate: Bool = false) -> [UInt8] {
        switch coding {
        case .br: brotli(bytes, quality: level ?? Int(BROTLI_DEFAULT_QUALITY))
        case .gzip: zlib(bytes, windowBits: 15 + 16, level: level ?? Int(Z_DEFAULT_COMPRESSION))
        case .deflate: zlib(bytes, windowBits: rawDeflate ? -15 : 15, level: level ?? Int(Z_DEFAULT_COMPRESSION))
        }
    }

    private static func zlib(_ bytes: [UInt8], windowBits: Int32, level: Int) -> [UInt8] {
        let stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
        stream.initialize(to: z_stream())
        defer { deflateEnd(stream); stream.deinitialize(count: 1); stream.deallocate() }
        precondition(czlib_deflate_init(stream, Int32(level), windowBits) == Z_OK, "zlib's deflate could not start")
        var output = [UInt8](repeating: 0, count: Int(deflateBound(stream, UInt(bytes.count))) + 32)
        var input = bytes
        let written = input.withUnsafeMutableBufferPointer { inBuffer in
            output.withUnsafeMutableBufferPointer { outBuffer -> Int in
                stream.pointee.next_in = inBuffer.baseAddress
                stream.pointee.avail_in = UInt32(inBuffer.count)
                stream.pointee.next_out = outBuffer.baseAddress
                stream.pointee.avail_out = UInt32(outBuffer.count)
                precondition(deflate(stream, Z_FINISH) == Z_STREAM_END, "deflateBound was too small")
                return outBuffer.count - Int(stream.pointee.avail_out)
            }
        }
        return Array(output[..<written])
    }

    private static func brotli(_ bytes: [UInt8], quality: Int) -> [UInt8] {
        var size = BrotliEncoderMaxCompressedSize(bytes.count)
        if size == 0 { size = bytes.count + 1024 }
        var output = [UInt8](repeating: 0, count: size)
        let ok = bytes.withUnsafeBufferPointer { inBuffer in
            output.withUnsafeMutableBufferPointer { outBuffer in
                BrotliEncoderCompress(Int32(quality), BROTLI_DEFAULT_WINDOW, BROTLI_MODE_GENERIC, inBuffer.count,
                                      inBuffer.baseAddress, &size, outBuffer.baseAddress)
            }
        }
        precondition(ok == BROTLI_TRUE, "brotli could not encode")
        return Array(output[..<size])
    }
}
