import HTTPQClient

/// `--shard K/N`: the URLs whose host falls in shard K of N (K from 0, as Kubernetes'
/// `JOB_COMPLETION_INDEX`). A host's URLs all land in one shard, so per-host connection
/// limits and reuse hold across machines, and each shard's `--output` tree holds hosts no
/// other shard has (the trees merge by copying).
///
/// The shard is FNV-1a (64-bit) of the host in lower case, without port or brackets, modulo
/// N: stable across runs, machines and builds (Swift's `Hasher` is seeded per process). A
/// line that is not a URL is sharded by its whole text, so exactly one shard reports it.
struct URLShard: Equatable {
    let index: Int
    let count: Int

    /// Parses `K/N` with 0 <= K < N.
    init?(_ text: String) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let index = Int(parts[0]), let count = Int(parts[1]), count >= 1, (0..<count).contains(index) else {
            return nil
        }
        self.index = index
        self.count = count
    }

    func contains(_ url: String) -> Bool {
        Self.shard(of: url, count: count) == index
    }

    static func shard(of url: String, count: Int) -> Int {
        Int(fnv1a(key(url)) % UInt64(count))
    }

    /// The host of `url` in lower case, as HTTPURL parses it (the whole text when it does not).
    static func key(_ url: String) -> String {
        (try? HTTPURL(url)).map { $0.host.lowercased() } ?? url
    }

    static func fnv1a(_ text: String) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 {
            hash ^= UInt64(byte)
            hash &*= 0x0000_0100_0000_01b3
        }
        return hash
    }
}
