import Foundation
import XCTest

/// Where the tests find what the repository does not hold (llama.cpp's fixtures in `../shared`,
/// the real models in the XDG cache, tools such as tmux and pip), and what happens when one is
/// missing: a skip with a printed reason on a developer's machine, a failure when
/// `QUANTTY_REQUIRE_FIXTURES=1` (CI sets it), so a run without them cannot pass green having
/// tested none of the README's claims.
public enum TestEnvironment {
    /// `QUANTTY_REQUIRE_FIXTURES=1`: a missing prerequisite fails the test instead of skipping it.
    public static let prerequisitesRequired = ProcessInfo.processInfo.environment["QUANTTY_REQUIRE_FIXTURES"] == "1"

    /// The repository root: the first folder above this file holding Package.swift.
    public static let repoRoot: URL? = {
        var dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        while dir.path != "/" {
            if FileManager.default.fileExists(atPath: dir.appendingPathComponent("Package.swift").path) { return dir }
            dir = dir.deletingLastPathComponent()
        }
        return nil
    }()

    /// `<repo root>/../shared/fixtures`, when it exists.
    public static let sharedFixtures: URL? = {
        guard let root = repoRoot else { return nil }
        let f = root.deletingLastPathComponent().appendingPathComponent("shared/fixtures")
        return FileManager.default.fileExists(atPath: f.path) ? f : nil
    }()

    /// `$XDG_CACHE_HOME/quantty/models` (default `~/.cache/quantty/models`), as the product resolves it.
    public static var modelsDirectory: String {
        let env = ProcessInfo.processInfo.environment
        let cache = env["XDG_CACHE_HOME"].flatMap { $0.hasPrefix("/") ? $0 : nil } ?? (NSHomeDirectory() + "/.cache")
        return cache + "/quantty/models"
    }

    /// The error to throw when `what` is missing: an `XCTSkip`, or a failure under
    /// `QUANTTY_REQUIRE_FIXTURES=1`. Either way the reason is printed.
    public static func missing(_ what: String) -> Error {
        if prerequisitesRequired {
            print("MISSING (QUANTTY_REQUIRE_FIXTURES=1): \(what)")
            return MissingPrerequisite(what: what)
        }
        print("skip: \(what)")
        return XCTSkip(what)
    }

    /// The file or folder at `relative` under `../shared/fixtures`, or `missing(...)`.
    public static func fixture(_ relative: String) throws -> URL {
        guard let root = sharedFixtures else { throw missing("../shared/fixtures not found next to the repository") }
        let u = root.appendingPathComponent(relative)
        guard FileManager.default.fileExists(atPath: u.path) else { throw missing("fixture \(relative) is absent") }
        return u
    }

    /// The real model `name` in the models folder, or `missing(...)`.
    public static func model(_ name: String) throws -> String {
        let path = modelsDirectory + "/" + name
        guard FileManager.default.fileExists(atPath: path) else {
            throw missing("model \(path) is absent: run `quantty fetch --all` (make test does)")
        }
        return path
    }

    /// `condition`, or `missing(what)`: for tools and other prerequisites found by other means.
    public static func require(_ condition: Bool, _ what: @autoclosure () -> String) throws {
        if !condition { throw missing(what()) }
    }
}

/// A prerequisite that `QUANTTY_REQUIRE_FIXTURES=1` says must be there.
public struct MissingPrerequisite: Error, CustomStringConvertible {
    public let what: String
    public var description: String { "required for this test, and missing: \(what)" }
}
