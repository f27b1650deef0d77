import Foundation

/// What a user can type to name a model: a GGUF file path, a catalog id, or `id:LEVEL`.
public struct ResolvedModel: Sendable, Equatable {
    /// The catalog entry, when the reference named one.
    public var model: ModelEntry?
    /// The level, when the reference (or the model's default) chose one.
    public var level: LevelEntry?
    /// The GGUF file to open.
    public var path: String

    /// A short label: `id:LEVEL` for catalog models, the file name otherwise.
    public var label: String {
        if let model, let level { return "\(model.id):\(level.name)" }
        return (path as NSString).lastPathComponent
    }
}

extension Catalog {
    /// Resolves `reference` (nil: the default model). Paths win when the file exists or the
    /// reference looks like a path (`/`, `./`, `.gguf`).
    public func resolve(_ reference: String?, paths: Paths = Paths()) throws(CatalogError) -> ResolvedModel {
        let ref = reference ?? defaultModel
        let looksLikePath = ref.contains("/") || ref.hasSuffix(".gguf")
        if looksLikePath || (model(ref) == nil && FileManager.default.fileExists(atPath: ref)) {
            let expanded = NSString(string: ref).expandingTildeInPath
            return ResolvedModel(model: nil, level: nil, path: expanded)
        }
        var id = ref
        var levelName: String?
        if let colon = ref.lastIndex(of: ":") {
            id = String(ref[..<colon])
            levelName = String(ref[ref.index(after: colon)...])
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
