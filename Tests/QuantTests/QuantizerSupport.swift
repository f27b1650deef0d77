import Foundation
import XCTest
import TestSupport
import GGUF
import Quant

/// Where the quantizer tests find their data, and the shared F32 copy of SmolLM2.
enum QuantizerData {
    static var repoRoot: URL? { TestEnvironment.repoRoot }

    /// `<repo root>/../shared/fixtures/SUBPATH`, or `TestEnvironment.missing`.
    static func fixture(_ subpath: String) throws -> String { try TestEnvironment.fixture(subpath).path }

    /// `$XDG_CACHE_HOME/quantty/models/NAME` (default `~/.cache`), or `TestEnvironment.missing`.
    static func realModel(_ name: String) throws -> String { try TestEnvironment.model(name) }

    static let smolLM2 = "SmolLM2-135M-Instruct.Q4_1.gguf"

    /// A folder for this test process, removed at exit.
    static let scratch: String = {
        let dir = NSTemporaryDirectory() + "quantty-quantizer-tests-\(getpid())"
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        atexit { try? FileManager.default.removeItem(atPath: NSTemporaryDirectory() + "quantty-quantizer-tests-\(getpid())") }
        return dir
    }()

    nonisolated(unsafe) private static var f32Copy: String?
    private static let lock = NSLock()

    /// SmolLM2 dequantized to F32 with the quantizer (made once per test process), like the
    /// F32 source the quantize-plan fixtures were made from.
    static func smolLM2F32() throws -> String {
        let source = try realModel(smolLM2)
        lock.lock(); defer { lock.unlock() }
        if let p = f32Copy { return p }
        let out = scratch + "/smollm2-f32.gguf"
        _ = try ModelQuantizer().dequantizeModel(source, to: .f32, output: out)
        f32Copy = out
        return out
    }

    /// A fixture of `quantize-plan/`: file type, file size and the tensor types in file order.
    struct PlanFixture {
        let target: String
        let fileType: Int
        let fileBytes: Int
        let types: [(name: String, type: String)]
    }

    static func planFixture(_ level: String) throws -> PlanFixture {
        try planFixture(atPath: try fixture("quantize-plan/smollm2-135m-\(level.lowercased()).json"))
    }

    /// A plan fixture at `path` (`quantize-plan/` or `imatrix/plan-*.json`).
    static func planFixture(atPath path: String) throws -> PlanFixture {
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        let json = try XCTUnwrap(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let map = try XCTUnwrap(json["tensor_types"] as? [String: String])
        // The file order of tensor_types (JSONSerialization forgets it).
        let text = String(decoding: data, as: UTF8.self)
        let body = try XCTUnwrap(text.range(of: "\"tensor_types\"")).upperBound
        let re = try NSRegularExpression(pattern: "\"([^\"]+)\"\\s*:\\s*\"([^\"]+)\"")
        let ns = text as NSString
        var ordered: [(String, String)] = []
        for m in re.matches(in: text, range: NSRange(body..<text.endIndex, in: text)) {
            ordered.append((ns.substring(with: m.range(at: 1)), ns.substring(with: m.range(at: 2))))
        }
        XCTAssertEqual(ordered.count, map.count, "tensor_types order parse")
        return PlanFixture(target: try XCTUnwrap(json["target"] as? String),
                           fileType: try XCTUnwrap(json["general.file_type"] as? Int),
                           fileBytes: try XCTUnwrap(json["file_bytes"] as? Int),
                           types: ordered)
    }
}

/// Runs a command, returning its exit status and combined output.
func runProcess(_ args: [String]) throws -> (status: Int32, output: String) {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    p.arguments = args
    let pipe = Pipe()
    p.standardOutput = pipe
    p.standardError = pipe
    try p.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return (p.terminationStatus, String(decoding: data, as: UTF8.self))
}

/// A fresh temporary folder, removed when the test ends.
func quantizerTemporaryDirectory(_ test: XCTestCase) throws -> String {
    let dir = NSTemporaryDirectory() + "quantizer-\(getpid())-\(UUID().uuidString)"
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    test.addTeardownBlock { try? FileManager.default.removeItem(atPath: dir) }
    return dir
}
