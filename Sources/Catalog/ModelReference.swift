import Foundation

/// What to load, parsed once from what the user typed (`-m`, a picker row) and passed on as a
/// value. New kinds of source (a remote endpoint, a file found in a folder) are one more case.
public enum ModelReference: Hashable, Sendable, Codable, CustomStringConvertible {
    /// A catalog model at a level; nil: the model's preferred level.
    case catalog(model: String, level: String?)
    /// A GGUF file.
    case file(path: String)

    /// True when `text` can only mean a file: it has a `/` or ends in `.gguf`.
    public static func looksLikePath(_ text: String) -> Bool {
        text.contains("/") || text.hasSuffix(".gguf")
    }

    /// Parses `text`: a file when it looks like a path, or when a file of that name exists and
    /// `isCatalogModel` does not claim the name (nil: no catalog consulted, an existing file
    /// wins); else `id` or `id:LEVEL` of the catalog. A leading `~` is expanded for files.
    public init(parsing text: String, isCatalogModel: ((String) -> Bool)? = nil) {
        if Self.looksLikePath(text)
            || (FileManager.default.fileExists(atPath: text) && !(isCatalogModel?(text) ?? false)) {
            self = .file(path: NSString(string: text).expandingTildeInPath)
            return
        }
        if let colon = text.lastIndex(of: ":") {
            self = .catalog(model: String(text[..<colon]), level: String(text[text.index(after: colon)...]))
        } else {
            self = .catalog(model: text, level: nil)
        }
    }

    /// `id:LEVEL` (or `id`) for catalog models, the path for files: what `init(parsing:)` reads back.
    public var description: String {
        switch self {
        case .catalog(let model, let level?): return "\(model):\(level)"
        case .catalog(let model, nil): return model
        case .file(let path): return path
        }
    }

    /// The catalog model this reference names (nil for a file).
    public var catalogModel: String? {
        if case .catalog(let model, _) = self { return model }
        return nil
    }

    /// Which model the reference belongs to, for grouping levels: the catalog id, or the file.
    public var modelIdentity: String { catalogModel ?? description }

    /// The level as shown beside a reply: the level name, or the file name.
    public var levelName: String {
        switch self {
        case .catalog(let model, let level): return level ?? model
        case .file(let path): return (path as NSString).lastPathComponent
        }
    }

    /// The same reference with a file's path absolute and standardized, for comparing.
    public var standardized: ModelReference {
        guard case .file(let path) = self else { return self }
        return .file(path: URL(fileURLWithPath: path).standardizedFileURL.path)
    }
}

/// A reference made concrete: the catalog entry and level (for catalog models) and the file.
public struct ResolvedModel: Sendable, Equatable {
    /// The catalog entry, when the reference named one.
    public var model: ModelEntry?
    /// The level, when the reference (or the model's default) chose one.
    public var level: LevelEntry?
    /// The GGUF file to open.
    public var path: String

    /// What was resolved, with the level filled in: `.catalog(id, LEVEL)` or `.file(path)`.
    public var reference: ModelReference {
        if let model, let level { return .catalog(model: model.id, level: level.name) }
        return .file(path: path)
    }

    /// A short label: `id:LEVEL` for catalog models, the file name otherwise.
    public var label: String {
        if let model, let level { return "\(model.id):\(level.name)" }
        return (path as NSString).lastPathComponent
    }
}

extension Catalog {
    /// Parses what the user typed (nil: the default model), consulting this catalog's ids.
    public func reference(_ text: String?) -> ModelReference {
        ModelReference(parsing: text ?? defaultModel, isCatalogModel: { self.model($0) != nil })
    }

    /// Resolves `text` (nil: the default model): `reference(text)`, then `resolve(_:paths:)`.
    public func resolve(_ text: String?, paths: Paths = Paths()) throws(CatalogError) -> ResolvedModel {
        try resolve(reference(text), paths: paths)
    }

    /// The entry, level and file of `reference`; a catalog model without a level gets its
    /// preferred one.
    public func resolve(_ reference: ModelReference, paths: Paths = Paths()) throws(CatalogError) -> ResolvedModel {
        let id: String, levelName: String?
        switch reference {
        case .file(let path):
            return ResolvedModel(model: nil, level: nil, path: path)
        case .catalog(let model, let level):
            id = model; levelName = level
        }
        guard let entry = model(id) else {
            throw CatalogError(file: self.path, "no model '\(id)' in the catalog (models: \(models.map(\.id).joined(separator: ", "))); a GGUF file path works too")
        }
        let level: LevelEntry?
        if let levelName {
            level = entry.level(levelName)
            guard level != nil else {
                throw CatalogError(file: self.path, key: "models.\(id).levels",
                                   "model '\(id)' has no level '\(levelName)' (levels: \(entry.levels.map(\.name).joined(separator: ", ")))")
            }
        } else {
            level = entry.preferredLevel
        }
        return ResolvedModel(model: entry, level: level, path: level!.path(in: paths.modelsDirectory))
    }
}
