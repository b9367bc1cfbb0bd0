@_exported import struct Sockets.SocketAddress
@_exported import class TLS.TLSClientContext
@_exported import enum TLS.TLSTrust
@_exported import enum TLS.TLSError
@_exported import enum Codings.ContentCoding
@_exported import enum Codings.DecodingError
@_exported import struct Codings.DecodingLimits
@_exported import class Upgraded.UpgradedConnection
