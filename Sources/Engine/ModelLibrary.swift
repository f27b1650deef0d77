import Catalog
import Foundation
import GGUF

/// What the model picker shows for one catalog level or one GGUF file.
public struct ModelListing: Sendable, Equatable {
    /// What to load.
    public var reference: ModelReference
    public var name: String
    /// `general.architecture`, or "?" when the file is not there (yet).
    public var architecture: String
    /// Parameter count as people say it: "360M", "1.7B" ("?" when unknown).
    public var parameters: String
    /// The level name (catalog) or the file type's name (files).
    public var level: String
    public var sizeBytes: UInt64?
    public var bitsPerWeight: Double?
    /// The file is on disk (else it would be fetched first).
    public var isPresent: Bool

    public init(reference: ModelReference, name: String, architecture: String, parameters: String, level: String,
                sizeBytes: UInt64? = nil, bitsPerWeight: Double? = nil, isPresent: Bool) {
        self.reference = reference; self.name = name; self.architecture = architecture; self.parameters = parameters
        self.level = level; self.sizeBytes = sizeBytes; self.bitsPerWeight = bitsPerWeight; self.isPresent = isPresent
    }
}

/// A model reference ready to open: its file and the load options the catalog implies.
public struct LoadTarget: Sendable {
    public var resolved: ResolvedModel
    public var path: String { resolved.path }
    public var options: LoadOptions
}

/// The models a user can open (the catalog's levels and GGUF files found in the model
/// folders) and how to open one: the engine's side of the model picker, so the UI reads no
/// GGUF file itself.
public struct ModelLibrary: Sendable {
    public let catalog: Catalog
    public let paths: Paths
    /// Makes levels with `quantize_from` when they are missing (the executable injects it).
    public let quantizer: Fetcher.Quantizer?

    public init(catalog: Catalog, paths: Paths = Paths(), quantizer: Fetcher.Quantizer? = nil) {
        self.catalog = catalog; self.paths = paths; self.quantizer = quantizer
    }

    // MARK: - Listing

    /// The listing of the catalog's default model at its preferred level.
    public func defaultListing() -> ModelListing? {
        guard let m = catalog.model(catalog.defaultModel), let l = m.preferredLevel else { return nil }
        return listing(model: m, level: l)
    }

    /// One catalog level, with the file's figures when it is present.
    public func listing(model m: ModelEntry, level l: LevelEntry) -> ModelListing {
        let path = l.path(in: paths.modelsDirectory)
        let size = (try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? UInt64
        var arch = "?", params = "?", bpw: Double?
        if size != nil, let f = try? GGUFFile(path: path, requireSupportedTypes: false) {
            arch = f.architecture ?? "?"
            params = Self.formatParameters(f.parameterCount)
            bpw = f.parameterCount > 0 ? Double(f.tensorBytes * 8) / Double(f.parameterCount) : nil
        }
        return ModelListing(reference: .catalog(model: m.id, level: l.name), name: m.name, architecture: arch, parameters: params,
                            level: l.name, sizeBytes: size, bitsPerWeight: bpw, isPresent: size != nil)
    }

    /// Every catalog level, then the GGUF files in the model folders (and the Hugging Face
    /// cache, when present) that are not catalog levels.
    public func listings() -> [ModelListing] {
        var rows: [ModelListing] = []
        var known = Set<String>()
        for m in catalog.models {
            for l in m.levels {
                rows.append(listing(model: m, level: l))
                known.insert(URL(fileURLWithPath: l.path(in: paths.modelsDirectory)).standardizedFileURL.path)
            }
        }
        for dir in [paths.modelsDirectory, paths.huggingFaceHub] {
            guard let e = FileManager.default.enumerator(atPath: dir) else { continue }
            while let rel = e.nextObject() as? String {
                guard rel.hasSuffix(".gguf") else { continue }
                let path = URL(fileURLWithPath: dir + "/" + rel).standardizedFileURL.path
                guard !known.contains(path), let f = try? GGUFFile(path: path, requireSupportedTypes: false) else { continue }
                known.insert(path)
                let summary = GGUFSummary(f)
                rows.append(ModelListing(reference: .file(path: path), name: (rel as NSString).lastPathComponent,
                                         architecture: summary.architecture ?? "?",
                                         parameters: Self.formatParameters(summary.parameterCount), level: summary.fileTypeName ?? "?",
                                         sizeBytes: UInt64(f.fileSize), bitsPerWeight: summary.bitsPerWeight, isPresent: true))
            }
        }
        return rows
    }

    /// `1_700_000_000` -> "1.7B", `135_000_000` -> "135M".
    public static func formatParameters(_ n: Int) -> String {
        n >= 1_000_000_000 ? String(format: "%.1fB", Double(n) / 1e9) : String(format: "%.0fM", Double(n) / 1e6)
    }

    // MARK: - Opening

    /// The catalog entry `reference` names (nil for files and unknown ids).
    public func entry(_ reference: ModelReference) -> ModelEntry? {
        reference.catalogModel.flatMap(catalog.model)
    }

    /// The file and load options of `reference`; a catalog level whose file is missing is
    /// fetched (or derived) first, after `willFetch` is called. `contextLength` nil: the
    /// catalog's `context_length`, else `ContextPolicy`'s.
    public func prepare(_ reference: ModelReference, contextLength: Int?, willFetch: () -> Void = {}) throws -> LoadTarget {
        let resolved = try catalog.resolve(reference, paths: paths)
        if let level = resolved.level, !FileManager.default.fileExists(atPath: resolved.path) {
            try checkConsent(resolved.label)
            willFetch()
            _ = try Fetcher(paths: paths, quantizer: quantizer).fetch(level, of: resolved.model)
        }
        return LoadTarget(resolved: resolved, options: LoadOptions(
            contextLength: contextLength ?? resolved.model?.contextLength, template: resolved.model?.template, label: resolved.label))
    }

    /// A catalog found by itself in the current folder fetches nothing without the user's say.
    func checkConsent(_ label: String) throws(FetchError) {
        guard catalog.needsConsentToFetch else { return }
        throw FetchError("\(label) is not downloaded, and \(catalog.path) was found in the current folder, not given: quantty downloads nothing a folder's catalog names without your say. Run `quantty fetch \(label)` (or `quantty --config \(catalog.path)`) if you trust it")
    }
}
