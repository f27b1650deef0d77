import Foundation
import XCTest
import TestSupport
import GGUF

/// llama.cpp's own Python reader (`pip install gguf`) reads what our writer writes.
final class GGUFPythonInteropTests: XCTestCase {

    private func run(_ args: [String]) throws -> (status: Int32, output: String) {
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

    private func requireGGUFModule() throws {
        let r = try? run(["python3", "-c", "import gguf"])
        guard let r, r.status == 0 else {
            let lines = r?.output.split(separator: "\n").map(String.init) ?? ["python3 not found"]
            let why = lines.last(where: { $0.contains("Error") }) ?? lines.last ?? "exit status \(r?.status ?? -1)"
            print("skip: python's gguf package is not importable (\(why)); install it with: python3 -m pip install gguf")
            throw TestEnvironment.missing("python gguf not importable")
        }
    }

    /// Expected values in JSON, in the terms gguf-py reports them.
    private func expectation(_ w: GGUFWriter) -> [String: Any] {
        func plain(_ v: GGUFValue) -> Any {
            switch v {
            case .uint8(let x): return x
            case .int8(let x): return x
            case .uint16(let x): return x
            case .int16(let x): return x
            case .uint32(let x): return x
            case .int32(let x): return x
            case .uint64(let x): return NSNumber(value: x)
            case .int64(let x): return NSNumber(value: x)
            case .float32(let x): return Double(x)
            case .float64(let x): return x
            case .bool(let b): return b
            case .string(let s): return s
            case .array(_, let a): return a.map(plain)
            }
        }
        func types(_ v: GGUFValue) -> [UInt32] {
            if case .array(_, let a) = v { return [9] + (a.first.map(types) ?? []) }   // gguf-py: [ARRAY] + first element's
            return [v.type.rawValue]
        }
        return [
            "kv": w.metadata.map { ["key": $0.key, "types": types($0.value), "value": plain($0.value)] as [String: Any] },
            "tensors": w.tensors.enumerated().map { i, t in
                ["name": t.name, "shape": t.shape, "type": t.type.rawValue,
                 "hex": Sample.bytes(t.byteCount, seed: i).map { String(format: "%02x", $0) }.joined()] as [String: Any]
            },
        ]
    }

    private static let script = #"""
import json, sys, math
import gguf
path, expected_path = sys.argv[1], sys.argv[2]
exp = json.load(open(expected_path))
r = gguf.GGUFReader(path)
assert r.data_offset % 32 == 0, r.data_offset
keys = [k for k in r.fields if not k.startswith("GGUF.")]
assert keys == [kv["key"] for kv in exp["kv"]], (keys, [kv["key"] for kv in exp["kv"]])
for kv in exp["kv"]:
    f = r.fields[kv["key"]]
    types = [int(t) for t in f.types]
    assert types == kv["types"], (kv["key"], types, kv["types"])
    if 9 in types[1:]:
        continue  # nested arrays: gguf-py reads them, but contents() flattens them
    got = f.contents()
    want = kv["value"]
    if isinstance(want, float):
        assert got == want or (math.isnan(got) and math.isnan(want)), (kv["key"], got, want)
    elif isinstance(want, list) and want and isinstance(want[0], float):
        assert [float(x) for x in got] == want, (kv["key"], got, want)
    else:
        assert got == want, (kv["key"], got, want)
assert [t.name for t in r.tensors] == [t["name"] for t in exp["tensors"]]
for t, e in zip(r.tensors, exp["tensors"]):
    assert [int(x) for x in t.shape] == e["shape"], (t.name, list(t.shape), e["shape"])
    assert int(t.tensor_type) == e["type"], (t.name, t.tensor_type, e["type"])
    data = t.data.tobytes()
    assert data.hex() == e["hex"], (t.name, len(data), len(e["hex"]) // 2)
print("ok", len(keys), "keys", len(r.tensors), "tensors")
"""#

    func testPythonGGUFReaderReadsOurFiles() throws {
        try requireGGUFModule()
        let dir = try makeTemporaryDirectory(self)
        for alignment: UInt32? in [nil, 64] {
            let w = try Sample.writer(alignment: alignment)
            let file = dir + "/sample-\(alignment ?? 32).gguf"
            try w.write(to: file)
            try JSONSerialization.data(withJSONObject: expectation(w)).write(to: URL(fileURLWithPath: file + ".json"))
            try Self.script.write(toFile: dir + "/check.py", atomically: true, encoding: .utf8)
            let r = try run(["python3", dir + "/check.py", file, file + ".json"])
            XCTAssertEqual(r.status, 0, r.output)
            XCTAssertTrue(r.output.hasPrefix("ok"), r.output)
        }
    }
}
