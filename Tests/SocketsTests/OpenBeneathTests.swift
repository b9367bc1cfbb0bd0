import Foundation
import Sockets
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Opening files beneath a served root: openat2's RESOLVE_BENEATH, and the walk by
/// components used where openat2 is missing (a kernel before 5.6, a seccomp profile that
/// refuses it, valgrind — under which `httpq serve` answered 404 to every file before the walk).
@Suite struct OpenBeneathTests {
    /// root/a.txt, root/sub/b.txt, root/inside -> sub/b.txt, root/outside -> ../secret,
    /// root/subdir-link -> sub, and secret beside root.
    private static func makeTree() throws -> (base: String, root: Int32) {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("beneath-\(UUID().uuidString)").path
        let root = base + "/root"
        try FileManager.default.createDirectory(atPath: root + "/sub", withIntermediateDirectories: true)
        try Data("a".utf8).write(to: URL(fileURLWithPath: root + "/a.txt"))
        try Data("b".utf8).write(to: URL(fileURLWithPath: root + "/sub/b.txt"))
        try Data("secret".utf8).write(to: URL(fileURLWithPath: base + "/secret"))
        try FileManager.default.createSymbolicLink(atPath: root + "/inside", withDestinationPath: "sub/b.txt")
        try FileManager.default.createSymbolicLink(atPath: root + "/outside", withDestinationPath: "../secret")
        try FileManager.default.createSymbolicLink(atPath: root + "/subdir-link", withDestinationPath: "sub")
        let fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        try #require(fd >= 0)
        return (base, fd)
    }

    private static func contents(_ outcome: SystemCalls.Outcome<Int32>) -> String? {
        guard case .ok(let fd) = outcome else { return nil }
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: 64)
        let count = read(fd, &buffer, buffer.count)
        return String(decoding: buffer.prefix(max(0, count)), as: UTF8.self)
    }

    private static func errorCode(_ outcome: SystemCalls.Outcome<Int32>) -> Int32? {
        if case .failed(let code) = outcome { return code }
        if case .ok(let fd) = outcome { close(fd) }
        return nil
    }

    @Test func theWalkOpensPlainPathsAndRefusesEveryWayOut() throws {
        let (base, root) = try Self.makeTree()
        defer { close(root); try? FileManager.default.removeItem(atPath: base) }
        let walk = { (path: String) in SystemCalls.openBeneathByComponents(root, path) }
        #expect(Self.contents(walk("a.txt")) == "a")
        #expect(Self.contents(walk("sub/b.txt")) == "b")
        #expect(Self.contents(walk("./sub//b.txt")) == "b")
        #expect(Self.errorCode(walk("../secret")) == EXDEV)
        #expect(Self.errorCode(walk("sub/../../secret")) == EXDEV)
        #expect(Self.errorCode(walk("sub/../a.txt")) == EXDEV, "'..' is refused even when it stays beneath")
        #expect(Self.errorCode(walk("/etc/passwd")) == EXDEV)
        #expect(Self.errorCode(walk("outside")) == EXDEV)
        #expect(Self.errorCode(walk("inside")) == EXDEV, "the walk refuses links that stay beneath too")
        #expect(Self.errorCode(walk("subdir-link/b.txt")) == ENOTDIR)
        #expect(Self.errorCode(walk("missing.txt")) == ENOENT)
        #expect(Self.errorCode(walk(String(repeating: "x/", count: 3000))) == ENAMETOOLONG)
        // The root itself, for a directory listing or an index file.
        guard case .ok(let itself) = walk(".") else { Issue.record("the root did not open"); return }
        var info = stat()
        #expect(fstat(itself, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR)
        close(itself)
    }

    /// A plain name is opened with `openat(O_NOFOLLOW)` first; a link among them still gets
    /// openat2's judgement (allowed beneath, refused outside), as a longer path does.
    @Test func plainNamesAnswerAsOpenat2Would() throws {
        let (base, root) = try Self.makeTree()
        defer { close(root); try? FileManager.default.removeItem(atPath: base) }
        let open = { (path: String) in SystemCalls.openBeneath(root, path) }
        #expect(Self.contents(open("a.txt")) == "a")
        #expect(Self.errorCode(open("missing.txt")) == ENOENT)
        #expect(Self.errorCode(open("outside")) == EXDEV)
        #expect(Self.errorCode(open("..")) == EXDEV)
        if Self.errorCode(open("sub/b.txt")) == nil { // openat2 is there (not under valgrind)
            #expect(Self.contents(open("inside")) == "b", "a link that stays beneath is followed, as by openat2")
        }
        guard case .ok(let itself) = open(".") else { Issue.record("the root did not open"); return }
        var info = stat()
        #expect(fstat(itself, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR)
        Glibc.close(itself)
    }

    @Test func openat2AndTheWalkAgreeOnEveryPathTheyBothAllow() throws {
        let (base, root) = try Self.makeTree()
        defer { close(root); try? FileManager.default.removeItem(atPath: base) }
        for path in ["a.txt", "sub/b.txt", "./sub//b.txt", "../secret", "sub/../../secret", "/etc/passwd", "outside", "missing.txt"] {
            let kernel = SystemCalls.openBeneath(root, path), walk = SystemCalls.openBeneathByComponents(root, path)
            let (k, w) = (Self.contents(kernel) ?? "error \(Self.errorCode(kernel) ?? 0)", Self.contents(walk) ?? "error \(Self.errorCode(walk) ?? 0)")
            #expect(k == w, "\(path): openat2 \(k), walk \(w)")
        }
    }
}
