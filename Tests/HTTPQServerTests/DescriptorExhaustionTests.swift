import Foundation
import HTTPQ
import HTTPQServer
import Testing
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// Out of descriptors (EMFILE): the server neither spins nor stops; it serves everyone once
/// descriptors come back. In a process of its own, since it lowers the descriptor limit.
@Suite struct DescriptorExhaustionTests {
    @Test func serverSurvivesEMFILEWithoutSpinningAndServesEveryone() async {
        await #expect(processExitsWith: .success) {
            let server = try TestServer()
            // The clients' sockets exist before the limit drops, so only the server runs out.
            let clients = (0..<40).map { _ in socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0) }
            var limit = rlimit()
            getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
            limit.rlim_cur = rlim_t(openDescriptorCount() + 8)
            precondition(setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0)

            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            address.sin_port = UInt16(server.port).bigEndian
            var timeout = timeval(tv_sec: 10, tv_usec: 0)
            for fd in clients {
                let connected = withUnsafePointer(to: &address) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
                }
                precondition(connected == 0, "connect failed: \(errno)")
                setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
                let request = Array("GET /x HTTP/1.1\r\nHost: x\r\n\r\n".utf8)
                precondition(request.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, 0) } == request.count)
            }

            // Out of descriptors with 40 connections waiting: the process must stay quiet.
            let before = cpuSeconds()
            usleep(1_000_000)
            let spent = cpuSeconds() - before
            precondition(spent < 0.5, "the server spun on EMFILE: \(spent) s of CPU in 1 s")

            // Each client reads its answer and leaves, giving a descriptor back.
            var answered = 0
            var buffer = [UInt8](repeating: 0, count: 4096)
            for fd in clients {
                let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
                if count > 0, responses(in: Array(buffer[0..<count])).first?.text == "GET /x 0\n" { answered += 1 }
                close(fd)
            }
            precondition(answered == 40, "only \(answered) of 40 answered")
            server.stop()
        }
    }
}

/// User plus system CPU time of this process, in seconds.
private func cpuSeconds() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
}
