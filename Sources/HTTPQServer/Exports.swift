@_exported import struct Sockets.SocketAddress
@_exported import class TLS.TLSServerContext
@_exported import enum TLS.TLSError
@_exported import class Upgraded.UpgradedConnection
