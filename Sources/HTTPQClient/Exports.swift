@_exported import struct Sockets.SocketAddress
